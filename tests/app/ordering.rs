//! The cafetaria: clients by BSN, orders within contract, caps and budget, idempotency,
//! state moves, and concurrency.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::harness::*;

pub const BSN_A: &str = "999990019";

pub async fn register(app: &TestApp, who: &As, bsn: &str, name: &str) -> String {
    let reply = app
        .post_json(who, "/api/v1/clients", &json!({"bsn": bsn, "name": name}))
        .await;
    assert!(
        reply.status == Status::Created || reply.status == Status::Ok,
        "{}",
        reply.body
    );
    reply.json()["id"].as_str().unwrap().to_string()
}

/// An active 2030 contract for Boxtel with a cap of 10 Werkfit trajectories, a budget
/// ceiling, and jobcoaching from 1 March.
pub async fn boxtel_2030(app: &TestApp, ceiling: &str) -> String {
    let pricing = app.login_as(PRICING).await;
    let created = app
        .post_json(&pricing, "/api/v1/contracts", &json!({"municipality": "GM0757", "valid_from": "2030-01-01", "valid_to": "2030-12-31", "budget_ceiling": ceiling}))
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    for (code, body) in [
        ("REI-WERKFIT", json!({"price": "3450.00", "volume_cap": 10})),
        (
            "JOBCOACH-UUR",
            json!({"price": "87.50", "valid_from": "2030-03-01"}),
        ),
        ("PLANREGIE-MAAND", json!({"price": "1200.00"})),
        ("DIAG-AANZET", json!({"price": "1000.01"})),
        ("WERKACADEMIE-JONGEREN", json!({})),
    ] {
        let r = app
            .send_json(
                Method::Put,
                &pricing,
                &format!("/api/v1/contracts/{id}/lines/{code}"),
                &body.to_string(),
                &[],
            )
            .await;
        assert_eq!(r.status, Status::Ok, "{}", r.body);
    }
    let r = app
        .send_json(
            Method::Patch,
            &pricing,
            &format!("/api/v1/contracts/{id}"),
            r#"{"status":"active"}"#,
            &[],
        )
        .await;
    assert_eq!(r.status, Status::Ok);
    id
}

pub fn werkfit(client: &str) -> Value {
    json!({"client_id": client, "buyer_reference": "KM-2030-0001", "lines": [{"product_code": "REI-WERKFIT", "start_date": "2030-02-01"}]})
}

#[rocket::async_test]
async fn a_casemanager_registers_a_client_and_orders_a_two_product_trajectory() {
    let app = TestApp::new().await;
    let contract = boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let created = app
        .post_json(
            &cm,
            "/api/v1/clients",
            &json!({"bsn": BSN_A, "name": "J. de Vries", "birth_date": "2001-04-12"}),
        )
        .await;
    assert_eq!(created.status, Status::Created);
    let client = created.json();
    assert_eq!(client["bsn_masked"], "*****0019");
    assert_eq!(client["municipality"], "GM0757");
    assert!(!created.body.contains(BSN_A));
    // Registering again finds the same client.
    let again = app
        .post_json(
            &cm,
            "/api/v1/clients",
            &json!({"bsn": BSN_A, "name": "J. de Vries"}),
        )
        .await;
    assert_eq!(again.status, Status::Ok);
    assert_eq!(again.json()["id"], client["id"]);
    let order = json!({"client_id": client["id"], "buyer_reference": "KM-2030-0042", "lines": [
        {"product_code": "REI-WERKFIT", "start_date": "2030-03-01"},
        {"product_code": "JOBCOACH-UUR", "start_date": "2030-03-01", "end_date": "2030-08-31", "quantity": "40", "frequency": "total", "budget": "3600.00"}
    ]});
    let placed = app.post_json(&cm, "/api/v1/trajectories", &order).await;
    assert_eq!(placed.status, Status::Created, "{}", placed.body);
    let t = placed.json();
    assert!(t["number"].as_str().unwrap().starts_with('T'));
    assert_eq!(t["status"], "requested");
    assert_eq!(t["lines"][0]["unit_price"], "3450.00");
    assert_eq!(t["lines"][1]["unit_price"], "87.50");
    // 40 × 87.50 = 3500.00 (within the line budget of 3600.00)
    assert_eq!(t["lines"][1]["committed"], "3500.00");
    let c = app
        .get(
            &app.login_as(FINANCE).await,
            &format!("/api/v1/contracts/{contract}"),
        )
        .await
        .json();
    assert_eq!(c["budget_committed"], "6950.00");
    assert_eq!(c["budget_remaining"], "93050.00");
    // The intake mailbox is told, without the BSN.
    let mail = app.emails().await;
    let intake: Vec<_> = mail
        .into_iter()
        .filter(|m| m.to.contains("intake@wsd.example"))
        .collect();
    assert_eq!(intake.len(), 1);
    assert!(intake[0].subject.contains(t["number"].as_str().unwrap()));
    assert!(!intake[0].text.contains(BSN_A) && !intake[0].html.contains(BSN_A));
    assert!(intake[0].text.contains("/wsd/trajecten/"));
    // It names the municipality and each product (read before the order's write turn).
    for shown in [
        "Boxtel",
        "Werkfit (REI-WERKFIT)",
        "Jobcoaching (JOBCOACH-UUR)",
    ] {
        assert!(
            intake[0].text.contains(shown),
            "{shown} in {}",
            intake[0].text
        );
    }
}

#[rocket::async_test]
async fn uncontracted_and_not_yet_contracted_products_are_refused() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "A. Klant").await;
    let reply = app
        .post_json(&cm, "/api/v1/trajectories", &json!({"client_id": client, "lines": [{"product_code": "DETACHERING-MAAND", "start_date": "2030-03-01"}]}))
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert!(
        reply.json()["detail"]
            .as_str()
            .unwrap()
            .contains("niet in het contract"),
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["errors"][0]["field"], "lines[0].product_code");
    let early = app
        .post_json(&cm, "/api/v1/trajectories", &json!({"client_id": client, "lines": [{"product_code": "JOBCOACH-UUR", "start_date": "2030-02-15", "quantity": "10", "frequency": "total"}]}))
        .await;
    assert_eq!(early.status, Status::UnprocessableEntity);
    assert!(
        early.json()["detail"]
            .as_str()
            .unwrap()
            .contains("01-03-2030"),
        "{}",
        early.body
    );
    let trajectories = app.get(&cm, "/api/v1/trajectories").await.json();
    assert!(
        trajectories["items"].as_array().unwrap().is_empty(),
        "nothing ordered"
    );
}

#[rocket::async_test]
async fn invalid_bsns_and_other_municipalities_clients() {
    let app = TestApp::new().await;
    let boxtel = app.login_as(CASEMANAGER_BOXTEL).await;
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    for bad in ["123456789", "12345678a", "1234", "000000000"] {
        let reply = app
            .post_json(
                &boxtel,
                "/api/v1/clients",
                &json!({"bsn": bad, "name": "X"}),
            )
            .await;
        assert_eq!(reply.status, Status::UnprocessableEntity, "{bad}");
        assert_eq!(reply.json()["errors"][0]["field"], "bsn");
    }
    let boxtel_client = register(&app, &boxtel, BSN_A, "A. Klant").await;
    // Vught does not find Boxtel's client, cannot open it and cannot order for it.
    let found = app
        .post_json(&vught, "/api/v1/clients/search", &json!({"bsn": BSN_A}))
        .await
        .json();
    assert!(found["items"].as_array().unwrap().is_empty());
    assert_eq!(
        app.get(&vught, &format!("/api/v1/clients/{boxtel_client}"))
            .await
            .status,
        Status::NotFound
    );
    let order = app.post_json(&vught, "/api/v1/trajectories", &json!({"client_id": boxtel_client, "lines": [{"product_code": "REI-WERKFIT", "start_date": "2026-12-01"}]})).await;
    assert_eq!(order.status, Status::UnprocessableEntity);
    assert_eq!(order.json()["errors"][0]["field"], "client_id");
    // Vught registers the same person as its own client: a separate record.
    let vught_client = register(&app, &vught, BSN_A, "A. Klant").await;
    assert_ne!(vught_client, boxtel_client);
    // A provider's staff see the clients of their own provider's trajectories only: none
    // yet, then Boxtel's once it orders from WSD.
    let staff = app.login_as(WSD_STAFF).await;
    let search = |staff| {
        let app = &app;
        async move {
            app.post_json(staff, "/api/v1/clients/search", &json!({"bsn": BSN_A}))
                .await
                .json()["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(search(&staff).await, 0);
    let order = app.post_json(&boxtel, "/api/v1/trajectories", &json!({"client_id": boxtel_client, "lines": [{"product_code": "REI-WERKFIT", "start_date": "2026-12-01"}]})).await;
    assert_eq!(order.status, Status::Created, "{}", order.body);
    assert_eq!(search(&staff).await, 1);
    // Every view is audited.
    let audit = app
        .all_items(
            &app.login_as(ADMIN).await,
            "/api/v1/audit-events?entity=client",
        )
        .await;
    assert!(
        audit
            .iter()
            .filter(|e| e["action"] == "client.view")
            .count()
            >= 1
    );
    assert!(
        !serde_json::to_string(&audit).unwrap().contains(BSN_A),
        "no BSN in the audit log"
    );
}

#[rocket::async_test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "A. Klant").await;
    let body = werkfit(&client).to_string();
    let first = app
        .send_json(
            Method::Post,
            &cm,
            "/api/v1/trajectories",
            &body,
            &[("Idempotency-Key", "order-1")],
        )
        .await;
    assert_eq!(first.status, Status::Created);
    let second = app
        .send_json(
            Method::Post,
            &cm,
            "/api/v1/trajectories",
            &body,
            &[("Idempotency-Key", "order-1")],
        )
        .await;
    assert_eq!(second.status, Status::Created);
    assert_eq!(second.json(), first.json());
    let listed = app.get(&cm, "/api/v1/trajectories").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "ordered once");
    let other = werkfit(&client)
        .to_string()
        .replace("KM-2030-0001", "KM-2030-0002");
    let refused = app
        .send_json(
            Method::Post,
            &cm,
            "/api/v1/trajectories",
            &other,
            &[("Idempotency-Key", "order-1")],
        )
        .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert_eq!(
        app.get(&cm, "/api/v1/trajectories").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let too_long = "k".repeat(256);
    let bad_key = app
        .send_json(
            Method::Post,
            &cm,
            "/api/v1/trajectories",
            &body,
            &[("Idempotency-Key", &too_long)],
        )
        .await;
    assert_eq!(bad_key.status, Status::BadRequest);
}

#[rocket::async_test]
async fn cancel_before_start_works_and_after_start_answers_409() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "A. Klant").await;
    let a = app
        .post_json(&cm, "/api/v1/trajectories", &werkfit(&client))
        .await
        .json();
    let cancelled = app
        .send_json(
            Method::Post,
            &cm,
            &format!("/api/v1/trajectories/{}/cancel", a["id"].as_str().unwrap()),
            "",
            &[],
        )
        .await;
    assert_eq!(cancelled.status, Status::Ok, "{}", cancelled.body);
    assert_eq!(cancelled.json()["status"], "cancelled");
    let again = app
        .send_json(
            Method::Post,
            &cm,
            &format!("/api/v1/trajectories/{}/cancel", a["id"].as_str().unwrap()),
            "",
            &[],
        )
        .await;
    assert_eq!(again.status, Status::Conflict);
    // Start a second one through the line's state, then cancelling is refused.
    let b = app
        .post_json(&cm, "/api/v1/trajectories", &werkfit(&client))
        .await
        .json();
    let id = b["id"].as_str().unwrap();
    let staff = app.login_as(WSD_STAFF).await;
    assert_eq!(
        app.post_json(
            &staff,
            &format!("/api/v1/trajectories/{id}/accept"),
            &json!({"planned_start": "2030-02-01"})
        )
        .await
        .status,
        Status::Ok
    );
    let backend = sea_orm::ConnectionTrait::get_database_backend(&app.db);
    sea_orm::ConnectionTrait::execute_raw(
        &app.db,
        sea_orm::Statement::from_string(
            backend,
            format!("UPDATE trajectory_lines SET status = 'started' WHERE trajectory_id = '{id}'"),
        ),
    )
    .await
    .unwrap();
    let late = app
        .send_json(
            Method::Post,
            &cm,
            &format!("/api/v1/trajectories/{id}/cancel"),
            "",
            &[],
        )
        .await;
    assert_eq!(late.status, Status::Conflict);
    assert!(late.is_problem());
    // Accepting twice is an illegal move too.
    let twice = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectories/{id}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(twice.status, Status::Conflict);
}

#[rocket::async_test]
async fn wsd_rejects_with_a_reason_the_casemanager_sees_and_is_mailed() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "A. Klant").await;
    let t = app
        .post_json(&cm, "/api/v1/trajectories", &werkfit(&client))
        .await
        .json();
    let staff = app.login_as(WSD_STAFF).await;
    let empty = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectories/{}/reject", t["id"].as_str().unwrap()),
            &json!({"reason": " "}),
        )
        .await;
    assert_eq!(empty.status, Status::UnprocessableEntity);
    let rejected = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectories/{}/reject", t["id"].as_str().unwrap()),
            &json!({"reason": "Klant woont buiten de regio"}),
        )
        .await;
    assert_eq!(rejected.status, Status::Ok);
    let seen = app
        .get(
            &cm,
            &format!("/api/v1/trajectories/{}", t["id"].as_str().unwrap()),
        )
        .await
        .json();
    assert_eq!(seen["status"], "rejected");
    assert_eq!(seen["reject_reason"], "Klant woont buiten de regio");
    let mails = app.emails().await;
    assert!(mails.iter().any(|m| m.to.contains(CASEMANAGER_BOXTEL)
        && m.subject.contains("afgewezen")
        && m.text.contains("buiten de regio")));
    // A rejected order no longer counts against the cap or budget.
    let c = plusmarkt::store::contracts::of_municipality(&app.db, "GM0757")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.valid_from.to_string() == "2030-01-01")
        .unwrap();
    assert_eq!(
        plusmarkt::store::contracts::budget_committed(&app.db, &c.id)
            .await
            .unwrap()
            .to_string(),
        "0.00"
    );
}

#[rocket::async_test]
async fn a_casemanager_gets_404_for_another_municipalitys_trajectory() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "A. Klant").await;
    let t = app
        .post_json(&cm, "/api/v1/trajectories", &werkfit(&client))
        .await
        .json();
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    let id = t["id"].as_str().unwrap();
    assert_eq!(
        app.get(&vught, &format!("/api/v1/trajectories/{id}"))
            .await
            .status,
        Status::NotFound
    );
    assert_eq!(
        app.send_json(
            Method::Post,
            &vught,
            &format!("/api/v1/trajectories/{id}/cancel"),
            "",
            &[]
        )
        .await
        .status,
        Status::NotFound
    );
    assert!(
        app.get(&vught, "/api/v1/trajectories").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get(&app.login_as(PRICING).await, "/api/v1/trajectories")
            .await
            .status,
        Status::Forbidden
    );
}

async fn fire(app: &TestApp, who: &As, bodies: Vec<Value>) -> Vec<Status> {
    let requests = bodies.into_iter().map(|b| {
        let who = who.clone();
        async move { app.post_json(&who, "/api/v1/trajectories", &b).await.status }
    });
    futures::future::join_all(requests).await
}

#[rocket::async_test]
async fn a_hundred_concurrent_orders_at_a_cap_of_ten_take_exactly_ten() {
    let app = TestApp::on_file().await;
    let contract = boxtel_2030(&app, "10000000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "A. Klant").await;
    let statuses = fire(&app, &cm, (0..100).map(|_| werkfit(&client)).collect()).await;
    let created = statuses.iter().filter(|s| **s == Status::Created).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == Status::UnprocessableEntity)
        .count();
    assert_eq!((created, refused), (10, 90), "{statuses:?}");
    let c = app
        .get(
            &app.login_as(FINANCE).await,
            &format!("/api/v1/contracts/{contract}"),
        )
        .await
        .json();
    let line = c["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["product_code"] == "REI-WERKFIT")
        .unwrap()
        .clone();
    assert_eq!(line["volume_used"], "10");
}

#[rocket::async_test]
async fn a_hundred_concurrent_orders_never_exceed_the_budget_ceiling() {
    let app = TestApp::on_file().await;
    // 10 × 1000.01 fits in 10000.10; the 11th would not.
    let contract = boxtel_2030(&app, "10000.10").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "A. Klant").await;
    let order = json!({"client_id": client, "lines": [{"product_code": "DIAG-AANZET", "start_date": "2030-02-01"}]});
    let statuses = fire(&app, &cm, (0..100).map(|_| order.clone()).collect()).await;
    let created = statuses.iter().filter(|s| **s == Status::Created).count();
    assert_eq!(created, 10, "{statuses:?}");
    let c = app
        .get(
            &app.login_as(FINANCE).await,
            &format!("/api/v1/contracts/{contract}"),
        )
        .await
        .json();
    assert_eq!(c["budget_committed"], "10000.10");
    assert_eq!(c["budget_remaining"], "0.00");
    let over = app.post_json(&cm, "/api/v1/trajectories", &order).await;
    let detail = over.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("budgetplafond") && detail.contains("nog beschikbaar € 0,00"),
        "{detail}"
    );
}

#[rocket::async_test]
async fn trajectories_page_with_a_cursor_without_gaps_or_repeats() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "A. Klant").await;
    let mut placed = Vec::new();
    for _ in 0..3 {
        placed.push(
            app.post_json(&cm, "/api/v1/trajectories", &werkfit(&client))
                .await
                .json()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let mut seen = Vec::new();
    let mut url = "/api/v1/trajectories?limit=1".to_string();
    loop {
        let page = app.get(&cm, &url).await.json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/trajectories?limit=1&cursor={c}"),
            None => break,
        }
    }
    placed.reverse();
    assert_eq!(seen, placed, "newest first, each once");
    assert_eq!(
        app.get(&cm, "/api/v1/trajectories?cursor=bm9wZQ")
            .await
            .status,
        Status::UnprocessableEntity
    );
}

// ---- several providers ------------------------------------------------------------------

async fn trajectories_in_db(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    plusmarkt::entities::trajectory::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

fn mixed(client: &str) -> Value {
    json!({"client_id": client, "buyer_reference": "KM-MIX", "lines": [
        {"product_code": "REI-WERKFIT", "start_date": "2030-03-01"},
        {"product_code": "ZW-JOBCOACH", "start_date": "2030-03-01", "quantity": "10", "frequency": "total"}
    ]})
}

#[rocket::async_test]
async fn an_api_order_mixing_two_providers_is_refused_naming_both_and_writes_nothing() {
    let app = crate::offers::app_2030().await;
    crate::offers::two_providers(&app, None).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    let (trajectories, mails) = (trajectories_in_db(&app).await, outbox_rows(&app).await);
    let reply = app
        .post_json(&cm, "/api/v1/trajectories", &mixed(&client))
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert!(reply.body.contains("\"lines\""), "{}", reply.body);
    assert!(
        reply.body.contains("WSD") && reply.body.contains("ZUIDWERK"),
        "{}",
        reply.body
    );
    assert_eq!(trajectories_in_db(&app).await, trajectories);
    assert_eq!(outbox_rows(&app).await, mails);

    // One provider's products: one trajectory of that provider, told to its intake.
    let reply = app
        .post_json(
            &cm,
            "/api/v1/trajectories",
            &json!({"client_id": client, "buyer_reference": "KM-WP", "lines": [
            {"product_code": "ZW-WERKFIT", "start_date": "2030-03-01"}]}),
        )
        .await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    assert_eq!(reply.json()["provider"], "ZUIDWERK");
    assert_eq!(reply.json()["lines"][0]["unit_price"], "3000.00");
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let shown = app.get(&cm, &format!("/api/v1/trajectories/{id}")).await;
    assert_eq!(shown.json()["provider"], "ZUIDWERK", "{}", shown.body);
    let mails = app.emails().await;
    assert!(
        mails.iter().any(|m| m.to == crate::offers::WERKPAD_INTAKE),
        "{:?}",
        mails.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
}

#[rocket::async_test]
async fn ordering_from_a_suspended_provider_is_refused_naming_it() {
    use plusmarkt::domain::provider::ProviderStatus;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = crate::offers::app_2030().await;
    crate::offers::two_providers(&app, None).await;
    plusmarkt::entities::provider::Entity::update_many()
        .col_expr(
            plusmarkt::entities::provider::Column::Status,
            Expr::value(ProviderStatus::Suspended),
        )
        .filter(plusmarkt::entities::provider::Column::Code.eq("ZUIDWERK"))
        .exec(&app.db)
        .await
        .unwrap();
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    let before = trajectories_in_db(&app).await;
    let reply = app
        .post_json(
            &cm,
            "/api/v1/trajectories",
            &json!({"client_id": client, "buyer_reference": "KM-WP", "lines": [
            {"product_code": "ZW-WERKFIT", "start_date": "2030-03-01"}]}),
        )
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert!(reply.body.contains("Zuidwerk B.V."), "{}", reply.body);
    assert!(
        reply.body.contains("lines[0].product_code"),
        "{}",
        reply.body
    );
    assert_eq!(trajectories_in_db(&app).await, before);
    // Its offers are gone from the list.
    let offers = app.get(&cm, "/api/v1/offers").await;
    assert!(!offers.body.contains("ZW-WERKFIT"), "{}", offers.body);
}

/// An order reads its own provider in its write turn, not every provider on the market:
/// each order waits for the turn of the order before it (on SQLite one writer at a time), so
/// reading the whole marketplace there slowed every order as the market grew
/// (benches/ANALYSIS.md, fourteenth session).
#[rocket::async_test]
async fn an_order_reads_only_its_own_provider() {
    let app = crate::offers::app_2030().await;
    crate::offers::two_providers(&app, None).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    let body = json!({"client_id": client, "buyer_reference": "KM-ZW", "lines": [
        {"product_code": "ZW-WERKFIT", "start_date": "2030-03-01"}]});
    let (statements, reply) = app
        .queries(app.post_json(&cm, "/api/v1/trajectories", &body))
        .await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    let provider_reads: Vec<&String> = statements
        .iter()
        .filter(|s| s.contains("FROM \"providers\""))
        .collect();
    assert!(!provider_reads.is_empty(), "{statements:#?}");
    for sql in provider_reads {
        assert!(
            sql.contains("\"providers\".\"code\" IN") || sql.contains("\"providers\".\"code\" ="),
            "a read of every provider: {sql}"
        );
    }
}

/// An order reads the catalogue before its write turn and checks in the turn that the
/// catalogue has not changed since (its generation). When it has, the order is decided on the
/// catalogue as it then is: here the product stopped being orderable while the order waited
/// for its turn, and the order is refused, not placed at the terms it read. SQLite only:
/// there the test can hold the turn while the order waits for it.
#[rocket::async_test]
async fn an_order_is_decided_on_the_catalogue_as_it_is_when_its_turn_comes() {
    let app = TestApp::on_sqlite_file().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    let before = trajectories_in_db(&app).await;
    let held = plusmarkt::store::db::begin_write(&app.db).await.unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = |needle: &str| {
        log.lock()
            .unwrap()
            .iter()
            .skip_while(|s| !s.contains("catalogue_generation"))
            .any(|s| s.contains(needle))
    };
    let body = werkfit(&client);
    let order = app.counting(
        log.clone(),
        app.post_json(&cm, "/api/v1/trajectories", &body),
    );
    let change = async {
        // The order's last read before its turn is its municipality's name.
        while !seen("\"municipalities\"") {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        sea_orm::ConnectionTrait::execute_unprepared(
            &held,
            "UPDATE contract_lines SET valid_from = '2031-01-01', valid_to = '2031-12-31' \
             WHERE product_code = 'REI-WERKFIT'",
        )
        .await
        .unwrap();
        held.commit().await.unwrap();
    };
    let (reply, ()) = tokio::join!(order, change);
    // Before the change the order read its line as orderable (it got as far as its
    // municipality's name); only the check in its turn can have refused it.
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert_eq!(reply.json()["errors"][0]["field"], "lines[0].product_code");
    assert_eq!(trajectories_in_db(&app).await, before);
}

/// Every statement in an order's write turn delays the orders queued behind it (SQLite has
/// one writer): the lines of a trajectory go into the database in one statement.
#[rocket::async_test]
async fn an_order_inserts_its_lines_in_one_statement() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    let body = json!({"client_id": client, "buyer_reference": "KM-3", "lines": [
        {"product_code": "REI-WERKFIT", "start_date": "2030-03-01"},
        {"product_code": "PLANREGIE-MAAND", "start_date": "2030-03-01"},
        {"product_code": "DIAG-AANZET", "start_date": "2030-03-01"}]});
    let (statements, reply) = app
        .queries(app.post_json(&cm, "/api/v1/trajectories", &body))
        .await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    assert_eq!(reply.json()["lines"].as_array().unwrap().len(), 3);
    let inserts = statements
        .iter()
        .filter(|s| s.starts_with("INSERT INTO \"trajectory_lines\""))
        .count();
    assert_eq!(inserts, 1, "{statements:#?}");
}

fn cart<'a>(client: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("idempotency_key", key),
        ("client_id", client),
        ("buyer_reference", "KM-CART"),
        ("lines[0].product_code", "REI-WERKFIT"),
        ("lines[0].start_date", "2030-03-01"),
        ("lines[1].product_code", "ZW-WERKFIT"),
        ("lines[1].start_date", "2030-03-01"),
    ]
}

#[rocket::async_test]
async fn a_web_cart_of_two_providers_places_one_trajectory_each_mailed_to_each_intake() {
    let app = crate::offers::app_2030().await;
    crate::offers::two_providers(&app, None).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    let before = trajectories_in_db(&app).await;
    app.emails().await;
    let reply = app
        .post_form(&cm, "/bestellen", &cart(&client, "web-cart-0001"))
        .await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    assert_eq!(trajectories_in_db(&app).await, before + 2);
    // Sent again: the same two, nothing new.
    let again = app
        .post_form(&cm, "/bestellen", &cart(&client, "web-cart-0001"))
        .await;
    assert_eq!(again.status, Status::SeeOther, "{}", again.body);
    assert_eq!(trajectories_in_db(&app).await, before + 2);

    let listed = app.all_items(&cm, "/api/v1/trajectories").await;
    let mut providers: Vec<String> = listed
        .iter()
        .filter(|t| t["buyer_reference"] == "KM-CART")
        .map(|t| t["provider"].as_str().unwrap().to_string())
        .collect();
    providers.sort();
    assert_eq!(providers, ["WSD", "ZUIDWERK"]);
    let mails = app.emails().await;
    let mut intake: Vec<&str> = mails
        .iter()
        .filter(|m| m.to.starts_with("intake@"))
        .map(|m| m.to.as_str())
        .collect();
    intake.sort();
    assert_eq!(intake, ["intake@wsd.example", "intake@zuidwerk.example"]);
}

#[rocket::async_test]
async fn a_failing_second_part_of_a_cart_rolls_back_the_first() {
    let app = crate::offers::app_2030().await;
    // Werkpad's contract has a ceiling of 100.00: its Werkfit (3000.00) does not fit.
    crate::offers::two_providers(&app, Some(10_000)).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    let (trajectories, mails) = (trajectories_in_db(&app).await, outbox_rows(&app).await);
    let reply = app
        .post_form(&cm, "/bestellen", &cart(&client, "web-cart-0002"))
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert_eq!(
        trajectories_in_db(&app).await,
        trajectories,
        "nothing placed"
    );
    assert_eq!(outbox_rows(&app).await, mails, "nobody told");
}
