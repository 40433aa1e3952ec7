//! Contract specifications: price resolution, tenancy, indexation, amendments, bad input.

use chrono::NaiveDate;
use rocket::http::{Method, Status};
use serde_json::json;

use crate::harness::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A draft contract for Boxtel in 2030 with REI-WERKFIT at 1250.00 and JOBCOACH-UUR at 87.50.
async fn contract_2030(app: &TestApp, pricing: &As) -> String {
    let created = app
        .post_json(pricing, "/api/v1/contracts", &json!({"municipality": "GM0757", "valid_from": "2030-01-01", "valid_to": "2030-12-31", "budget_ceiling": "50000.00"}))
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    for (code, body) in [
        ("REI-WERKFIT", json!({"price": "1250.00", "volume_cap": 10})),
        (
            "JOBCOACH-UUR",
            json!({"price": "87.50", "valid_from": "2030-03-01"}),
        ),
    ] {
        let reply = app
            .send_json(
                Method::Put,
                pricing,
                &format!("/api/v1/contracts/{id}/lines/{code}"),
                &body.to_string(),
                &[],
            )
            .await;
        assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    }
    id
}

async fn price(app: &TestApp, code: &str, date: NaiveDate) -> Result<String, String> {
    plusmarkt::store::contracts::resolve(&app.db, "GM0757", code, date)
        .await
        .unwrap()
        .map(|r| r.price.to_string())
        .map_err(|e| e.message())
}

#[rocket::async_test]
async fn prices_resolve_on_every_boundary_of_contract_line_and_amendment() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let id = contract_2030(&app, &pricing).await;
    // A draft is not orderable.
    let draft = price(&app, "REI-WERKFIT", d(2030, 6, 1)).await.unwrap_err();
    assert!(draft.contains("niet actief"), "{draft}");
    let activate = app
        .send_json(
            Method::Patch,
            &pricing,
            &format!("/api/v1/contracts/{id}"),
            r#"{"status": "active"}"#,
            &[],
        )
        .await;
    assert_eq!(activate.status, Status::Ok, "{}", activate.body);
    assert!(
        price(&app, "REI-WERKFIT", d(2029, 12, 31)).await.is_err(),
        "day before valid_from"
    );
    assert_eq!(
        price(&app, "REI-WERKFIT", d(2030, 1, 1)).await.unwrap(),
        "1250.00"
    );
    assert_eq!(
        price(&app, "REI-WERKFIT", d(2030, 12, 31)).await.unwrap(),
        "1250.00"
    );
    assert!(
        price(&app, "REI-WERKFIT", d(2031, 1, 1)).await.is_err(),
        "day after valid_to"
    );
    // A line that starts later than the contract.
    assert!(price(&app, "JOBCOACH-UUR", d(2030, 2, 28))
        .await
        .unwrap_err()
        .contains("gecontracteerd van 01-03-2030"));
    assert_eq!(
        price(&app, "JOBCOACH-UUR", d(2030, 3, 1)).await.unwrap(),
        "87.50"
    );
    // An amendment from 1 July: the day before keeps the old price.
    let amend = app
        .send_json(
            Method::Put,
            &pricing,
            &format!("/api/v1/contracts/{id}/lines/REI-WERKFIT"),
            r#"{"price": "1300.00", "effective_from": "2030-07-01"}"#,
            &[],
        )
        .await;
    assert_eq!(amend.status, Status::Ok, "{}", amend.body);
    assert_eq!(
        price(&app, "REI-WERKFIT", d(2030, 6, 30)).await.unwrap(),
        "1250.00"
    );
    assert_eq!(
        price(&app, "REI-WERKFIT", d(2030, 7, 1)).await.unwrap(),
        "1300.00"
    );
    let contract = app
        .get(&pricing, &format!("/api/v1/contracts/{id}"))
        .await
        .json();
    let line = contract["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["product_code"] == "REI-WERKFIT")
        .unwrap()
        .clone();
    assert_eq!(
        line["price_history"],
        json!([{"effective_from": "2030-01-01", "price": "1250.00"}, {"effective_from": "2030-07-01", "price": "1300.00"}])
    );
    // An amendment needs its effective date.
    let missing = app
        .send_json(
            Method::Put,
            &pricing,
            &format!("/api/v1/contracts/{id}/lines/REI-WERKFIT"),
            r#"{"price": "1400.00"}"#,
            &[],
        )
        .await;
    assert_eq!(missing.status, Status::UnprocessableEntity);
    // Not contracted, and retired.
    assert!(price(&app, "DETACHERING-MAAND", d(2030, 6, 1))
        .await
        .unwrap_err()
        .contains("niet in het contract"));
    let system = plusmarkt::auth::Principal::system("test");
    plusmarkt::services::catalogue::retire(&app.db, &system, "REI-WERKFIT", None)
        .await
        .unwrap();
    assert!(price(&app, "REI-WERKFIT", d(2030, 6, 1))
        .await
        .unwrap_err()
        .contains("vervallen"));
}

#[rocket::async_test]
async fn copy_with_indexation_gives_exact_cents() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let id = contract_2030(&app, &pricing).await;
    let copy = app
        .post_json(
            &pricing,
            &format!("/api/v1/contracts/{id}/copy"),
            &json!({"indexation_percent": "3.7"}),
        )
        .await;
    assert_eq!(copy.status, Status::Created, "{}", copy.body);
    let copy = copy.json();
    assert_eq!(copy["status"], "draft");
    assert_eq!(copy["valid_from"], "2031-01-01");
    assert_eq!(copy["valid_to"], "2031-12-31");
    let price_of = |code: &str| {
        copy["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["product_code"] == code)
            .unwrap()["price_history"][0]["price"]
            .clone()
    };
    // 1250.00 × 1.037 = 1296.25 exactly; 87.50 × 1.037 = 90.7375 → 90.74 (half up).
    assert_eq!(price_of("REI-WERKFIT"), "1296.25");
    assert_eq!(price_of("JOBCOACH-UUR"), "90.74");
    let line = copy["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["product_code"] == "JOBCOACH-UUR")
        .unwrap()
        .clone();
    assert_eq!(line["valid_from"], "2031-03-01");
    // Copying again would overlap the copy.
    let again = app
        .post_json(
            &pricing,
            &format!("/api/v1/contracts/{id}/copy"),
            &json!({"indexation_percent": "2"}),
        )
        .await;
    assert_eq!(again.status, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_casemanager_of_boxtel_gets_404_for_vughts_contract() {
    let app = TestApp::new().await;
    let finance = app.login_as(FINANCE).await;
    let all = app.get(&finance, "/api/v1/contracts").await.json();
    let vught = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["municipality"] == "GM0865")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let boxtel = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["municipality"] == "GM0757")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let reply = app.get(&cm, &format!("/api/v1/contracts/{vught}")).await;
    assert_eq!(reply.status, Status::NotFound);
    assert!(reply.is_problem());
    assert_eq!(
        app.get(&cm, &format!("/contracten/{vught}")).await.status,
        Status::NotFound
    );
    assert_eq!(
        app.get(&cm, &format!("/api/v1/contracts/{boxtel}"))
            .await
            .status,
        Status::Ok
    );
    let own_list = app.get(&cm, "/api/v1/contracts").await.json();
    assert!(own_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["municipality"] == "GM0757"));
    let listed_other = app
        .get(&cm, "/api/v1/contracts?municipality=GM0865")
        .await
        .json();
    assert!(listed_other["items"].as_array().unwrap().is_empty());
    let page = app.get(&cm, "/contract").await;
    assert_eq!(page.status, Status::Ok);
    assert!(
        page.body.contains("Boxtel") && page.body.contains("€ 120.000,00"),
        "budget ceiling shown"
    );
    assert!(!page.body.contains("Contract activeren"), "read-only");
    // The casemanager cannot edit.
    let put = app
        .send_json(
            Method::Put,
            &cm,
            &format!("/api/v1/contracts/{boxtel}/lines/REI-WERKFIT"),
            r#"{"price": "1.00", "effective_from": "2026-06-01"}"#,
            &[],
        )
        .await;
    assert_eq!(put.status, Status::Forbidden);
    // WSD staff and admin do not read contracts.
    for email in [WSD_STAFF, ADMIN] {
        let who = app.login_as(email).await;
        assert_eq!(
            app.get(&who, "/api/v1/contracts").await.status,
            Status::Forbidden,
            "{email}"
        );
    }
}

#[rocket::async_test]
async fn bad_contract_input_answers_422_and_changes_nothing() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let id = contract_2030(&app, &pricing).await;
    let count = || async {
        plusmarkt::store::contracts::of_municipality(&app.db, "GM0757")
            .await
            .unwrap()
            .len()
    };
    let before = count().await;
    for body in [
        json!({"municipality": "GM0757", "valid_from": "2030-06-01", "valid_to": "2031-05-31"}),
        json!({"municipality": "GM0757", "valid_from": "2032-12-31", "valid_to": "2032-01-01"}),
        json!({"municipality": "GM0757", "valid_from": "2033-01-01", "valid_to": "2033-12-31", "budget_ceiling": "-1.00"}),
        json!({"municipality": "GM9999", "valid_from": "2033-01-01", "valid_to": "2033-12-31"}),
    ] {
        let reply = app.post_json(&pricing, "/api/v1/contracts", &body).await;
        assert_eq!(
            reply.status,
            Status::UnprocessableEntity,
            "{body}: {}",
            reply.body
        );
    }
    assert_eq!(count().await, before);
    let lines_before = plusmarkt::store::contracts::lines(&app.db, &id)
        .await
        .unwrap()
        .len();
    for (code, body) in [
        ("NIET-BESTAAND", json!({"price": "10.00"})),
        ("DIAG-AANZET", json!({"price": "-10.00"})),
        ("DIAG-AANZET", json!({"price": "10.00", "volume_cap": -3})),
        (
            "DIAG-AANZET",
            json!({"price": "10.00", "valid_from": "2030-05-01", "valid_to": "2030-04-01"}),
        ),
        ("DIAG-AANZET", json!({"price": "10.001"})),
    ] {
        let reply = app
            .send_json(
                Method::Put,
                &pricing,
                &format!("/api/v1/contracts/{id}/lines/{code}"),
                &body.to_string(),
                &[],
            )
            .await;
        assert_eq!(
            reply.status,
            Status::UnprocessableEntity,
            "{code} {body}: {}",
            reply.body
        );
        assert!(reply.is_problem());
    }
    assert_eq!(
        plusmarkt::store::contracts::lines(&app.db, &id)
            .await
            .unwrap()
            .len(),
        lines_before
    );
}

#[rocket::async_test]
async fn contract_states_and_stale_edits() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let id = contract_2030(&app, &pricing).await;
    let etag = app
        .get(&pricing, &format!("/api/v1/contracts/{id}"))
        .await
        .header("ETag")
        .unwrap()
        .to_string();
    let ok = app
        .send_json(
            Method::Patch,
            &pricing,
            &format!("/api/v1/contracts/{id}"),
            r#"{"budget_ceiling": "60000.00"}"#,
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(ok.status, Status::Ok);
    assert_eq!(ok.json()["budget_ceiling"], "60000.00");
    let stale = app
        .send_json(
            Method::Patch,
            &pricing,
            &format!("/api/v1/contracts/{id}"),
            r#"{"budget_ceiling": "70000.00"}"#,
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(stale.status, Status::PreconditionFailed);
    let ended = app
        .send_json(
            Method::Patch,
            &pricing,
            &format!("/api/v1/contracts/{id}"),
            r#"{"status": "ended"}"#,
            &[],
        )
        .await;
    assert_eq!(
        ended.status,
        Status::Conflict,
        "draft cannot end: {}",
        ended.body
    );
    let events = app
        .all_items(
            &app.login_as(FINANCE).await,
            "/api/v1/audit-events?entity=contract",
        )
        .await;
    assert!(events.iter().any(|e| e["entity_id"] == id.as_str()
        && e["action"] == "contract.update"
        && e["before"]["budget_ceiling"] == "50000.00"
        && e["after"]["budget_ceiling"] == "60000.00"));
}

#[rocket::async_test]
async fn demo_contracts_cover_every_municipality_with_caps_ceilings_and_discounts() {
    let app = TestApp::new().await;
    let finance = app.login_as(FINANCE).await;
    let contracts = app.get(&finance, "/api/v1/contracts").await.json();
    let items = contracts["items"].as_array().unwrap();
    assert_eq!(items.len(), 9);
    assert!(items.iter().all(|c| c["status"] == "active"));
    assert!(items.iter().any(|c| c["budget_ceiling"].is_string()));
    assert!(items
        .iter()
        .flat_map(|c| c["lines"].as_array().unwrap())
        .any(|l| l["volume_cap"].is_string()));
    assert!(items
        .iter()
        .flat_map(|c| c["lines"].as_array().unwrap())
        .any(|l| l["price"].as_str().unwrap().parse::<f64>().unwrap()
            < l["list_price"].as_str().unwrap().parse::<f64>().unwrap()));
    let sizes: std::collections::BTreeSet<usize> = items
        .iter()
        .map(|c| c["lines"].as_array().unwrap().len())
        .collect();
    assert!(
        sizes.len() >= 3,
        "selections differ by cooperation model: {sizes:?}"
    );
}

#[rocket::async_test]
async fn pricing_staff_create_amend_activate_and_copy_in_the_pages() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let created = app
        .post_form(
            &pricing,
            "/prijzen/contracten",
            &[
                ("municipality", "GM0848"),
                ("valid_from", "2030-01-01"),
                ("valid_to", "2030-12-31"),
                ("budget_ceiling", ""),
            ],
        )
        .await;
    assert_eq!(created.status, Status::SeeOther, "{}", created.body);
    let location = created.header("Location").unwrap().to_string();
    let id = location
        .trim_start_matches("/prijzen/contracten/")
        .to_string();
    let line = app
        .post_form(
            &pricing,
            &format!("/prijzen/contracten/{id}/regels"),
            &[
                ("product_code", "DIAG-AANZET"),
                ("price", "1400,00"),
                ("volume_cap", ""),
            ],
        )
        .await;
    assert_eq!(line.status, Status::SeeOther, "{}", line.body);
    let version = plusmarkt::store::contracts::of_municipality(&app.db, "GM0848")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap()
        .version
        .to_string();
    // One click asks first: who may then order, and that there is no way back to draft.
    let asked = app
        .post_form(
            &pricing,
            &format!("/prijzen/contracten/{id}/activeren"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(asked.status, Status::Ok, "{}", asked.body);
    assert!(
        asked.body.contains("activeren?")
            && asked.body.contains("kunnen dan bij WSD")
            && asked.body.contains("1 product bestellen")
            && asked.body.contains("gaat niet terug naar concept")
            && asked
                .body
                .contains(&format!("name=\"version\" value=\"{version}\"")),
        "{}",
        asked.body
    );
    let still = app.get(&pricing, &format!("/api/v1/contracts/{id}")).await;
    assert_eq!(still.json()["status"], "draft");
    let active = app
        .post_form(
            &pricing,
            &format!("/prijzen/contracten/{id}/activeren"),
            &[("version", &version), ("bevestigd", "ja")],
        )
        .await;
    assert_eq!(active.status, Status::SeeOther, "{}", active.body);
    let no_date = app
        .post_form(
            &pricing,
            &format!("/prijzen/contracten/{id}/regels"),
            &[
                ("product_code", "DIAG-AANZET"),
                ("price", "1450.00"),
                ("volume_cap", ""),
                ("effective_from", ""),
            ],
        )
        .await;
    assert_eq!(no_date.status, Status::UnprocessableEntity);
    assert!(no_date.body.contains("ingangsdatum"));
    let amended = app
        .post_form(
            &pricing,
            &format!("/prijzen/contracten/{id}/regels"),
            &[
                ("product_code", "DIAG-AANZET"),
                ("price", "1450.00"),
                ("volume_cap", ""),
                ("effective_from", "2030-07-01"),
            ],
        )
        .await;
    assert_eq!(amended.status, Status::SeeOther, "{}", amended.body);
    let page = app
        .get(&pricing, &format!("/prijzen/contracten/{id}"))
        .await;
    assert!(
        page.body
            .contains("€ 1.400,00 vanaf 01-01-2030; € 1.450,00 vanaf 01-07-2030"),
        "history visible"
    );
    let copied = app
        .post_form(
            &pricing,
            &format!("/prijzen/contracten/{id}/kopie"),
            &[("indexation_percent", "2,5")],
        )
        .await;
    assert_eq!(copied.status, Status::SeeOther, "{}", copied.body);
    let copy_page = app.get(&pricing, copied.header("Location").unwrap()).await;
    // 1450.00 × 1.025 = 1486.25
    assert!(copy_page.body.contains("€ 1.486,25"), "indexed price");
}

/// A casemanager of `municipality`, as the request guards make one.
fn casemanager_of(municipality: &str) -> plusmarkt::auth::Principal {
    plusmarkt::auth::Principal {
        user_id: "test-casemanager".into(),
        email: "cm@example.nl".into(),
        name: "Test".into(),
        role: plusmarkt::domain::role::Role::Casemanager,
        municipality: Some(municipality.into()),
        provider: None,
        token_label: None,
    }
}

#[rocket::async_test]
async fn taking_a_contracts_row_returns_it_counted_and_only_to_its_own_municipality() {
    let app = TestApp::new().await;
    let contract = plusmarkt::store::contracts::of_municipality(&app.db, "GM0757")
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("Boxtel has a contract");
    let taken = plusmarkt::store::contracts::lock(&app.db, &casemanager_of("GM0757"), &contract.id)
        .await
        .expect("Boxtel's casemanager takes Boxtel's contract");
    assert_eq!(taken.id, contract.id);
    assert_eq!(taken.lock_seq, contract.lock_seq + 1, "the row is taken");
    assert_eq!(taken.municipality_code, "GM0757");
    let refused =
        plusmarkt::store::contracts::lock(&app.db, &casemanager_of("GM0865"), &contract.id).await;
    assert!(
        matches!(refused, Err(plusmarkt::error::AppError::NotFound)),
        "Vught's casemanager may not take Boxtel's contract: {refused:?}"
    );
    let after = plusmarkt::store::contracts::of_municipality(&app.db, "GM0757")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == contract.id)
        .unwrap();
    assert_eq!(
        after.lock_seq, taken.lock_seq,
        "a refused take changes nothing"
    );
}

/// `count` draft contracts of a municipality, one a year from 2040, each with an output and
/// an effort line.
async fn contracts_of(app: &TestApp, pricing: &As, municipality: &str, count: i32) {
    for year in 2040..2040 + count {
        let created = app
            .post_json(pricing, "/api/v1/contracts", &json!({"municipality": municipality, "valid_from": format!("{year}-01-01"), "valid_to": format!("{year}-12-31"), "budget_ceiling": "50000.00"}))
            .await;
        assert_eq!(created.status, Status::Created, "{}", created.body);
        let id = created.json()["id"].as_str().unwrap().to_string();
        for (code, body) in [
            ("REI-WERKFIT", json!({"price": "1250.00", "volume_cap": 10})),
            ("JOBCOACH-UUR", json!({"price": "87.50"})),
        ] {
            let reply = app
                .send_json(
                    Method::Put,
                    pricing,
                    &format!("/api/v1/contracts/{id}/lines/{code}"),
                    &body.to_string(),
                    &[],
                )
                .await;
            assert_eq!(reply.status, Status::Ok, "{}", reply.body);
        }
    }
}

/// The contract list is read in batches: as many statements for 50 contracts as for 5 (one
/// per table), never one or more per contract or per line.
#[rocket::async_test]
async fn listing_contracts_takes_as_many_statements_for_50_as_for_5() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let mut counted = Vec::new();
    // Both on product price (a page with a volume guarantee or budget reads its billed
    // amounts and ledger in two more statements, whatever its length).
    for (municipality, count) in [("GM0845", 5), ("GM0848", 50)] {
        contracts_of(&app, &pricing, municipality, count).await;
        let path = format!("/api/v1/contracts?municipality={municipality}");
        let (statements, reply) = app.queries(app.get(&pricing, &path)).await;
        assert_eq!(reply.status, Status::Ok, "{}", reply.body);
        let items = reply.json()["items"].as_array().unwrap().len();
        assert!(items >= count as usize, "{items} contracts listed");
        eprintln!(
            "GET {path}: {items} contracts, {} statements",
            statements.len()
        );
        counted.push(statements);
    }
    assert_eq!(
        counted[0].len(),
        counted[1].len(),
        "5 contracts: {:#?}\n50 contracts: {:#?}",
        counted[0],
        counted[1]
    );
    assert!(counted[1].len() <= 12, "{:#?}", counted[1]);
}

/// Werkpad admitted, with a pricing user of its own and one product of its own (a copy
/// of DIAG-AANZET as WP-DIAGNOSE, inserted directly: the catalogue files are not needed).
async fn werkpad_with_pricing(app: &TestApp) -> As {
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
    crate::providers::admit_werkpad(app).await;
    let mut product = plusmarkt::entities::product::Entity::find_by_id("DIAG-AANZET")
        .one(&app.db)
        .await
        .unwrap()
        .expect("a demo product");
    product.code = "ZW-DIAGNOSE".into();
    product.name = "Diagnose bij Werkpad".into();
    product.provider_code = "ZUIDWERK".into();
    let mut row = product.into_active_model();
    row = row.reset_all();
    row.insert(&app.db).await.unwrap();
    crate::providers::provider_user(app, "prijzen@zuidwerk.example", "pricing", "ZUIDWERK").await
}

async fn new_contract(app: &TestApp, who: &As, body: serde_json::Value) -> crate::harness::Reply {
    app.post_json(who, "/api/v1/contracts", &body).await
}

async fn put_line(app: &TestApp, who: &As, id: &str, code: &str) -> crate::harness::Reply {
    app.send_json(
        Method::Put,
        who,
        &format!("/api/v1/contracts/{id}/lines/{code}"),
        r#"{"price": "900.00"}"#,
        &[],
    )
    .await
}

#[rocket::async_test]
async fn a_municipality_contracts_two_providers_in_one_year_but_one_provider_once() {
    let app = TestApp::new().await;
    let werkpad = werkpad_with_pricing(&app).await;
    let wsd = app.login_as(PRICING).await;
    let year =
        json!({"municipality": "GM0757", "valid_from": "2030-01-01", "valid_to": "2030-12-31"});
    let first = new_contract(&app, &wsd, year.clone()).await;
    assert_eq!(first.status, Status::Created, "{}", first.body);
    assert_eq!(first.json()["provider"], "WSD");
    let second = new_contract(&app, &werkpad, year.clone()).await;
    assert_eq!(second.status, Status::Created, "{}", second.body);
    assert_eq!(second.json()["provider"], "ZUIDWERK");
    assert_eq!(second.json()["municipality"], "GM0757");

    let count = || async {
        plusmarkt::store::contracts::of_municipality(&app.db, "GM0757")
            .await
            .unwrap()
            .len()
    };
    let before = count().await;
    for (who, body) in [
        (
            &wsd,
            json!({"municipality": "GM0757", "valid_from": "2030-07-01", "valid_to": "2031-06-30"}),
        ),
        (&werkpad, year.clone()),
    ] {
        let refused = new_contract(&app, who, body).await;
        assert_eq!(
            refused.status,
            Status::UnprocessableEntity,
            "{}",
            refused.body
        );
        assert_eq!(refused.json()["errors"][0]["field"], "valid_from");
        assert!(
            refused.body.contains("dezelfde gemeente en aanbieder"),
            "{}",
            refused.body
        );
    }
    assert_eq!(count().await, before);

    // Moving Werkpad's draft is checked against Werkpad's contracts only.
    let id = second.json()["id"].as_str().unwrap().to_string();
    let moved = app
        .send_json(
            Method::Patch,
            &werkpad,
            &format!("/api/v1/contracts/{id}"),
            r#"{"valid_from": "2030-02-01"}"#,
            &[],
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{}", moved.body);

    // The casemanager sees both contracts of the year, each linking to the other.
    let wsd_id = first.json()["id"].as_str().unwrap().to_string();
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let page = app.get(&cm, &format!("/contracten/{wsd_id}")).await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    assert!(
        page.body.contains(&format!("/contracten/{id}")),
        "{}",
        page.body
    );
    assert!(page.body.contains("(Zuidwerk B.V.)"));

    // A pricing user cannot make a contract for another provider.
    let mut other = year.clone();
    other["provider"] = json!("WSD");
    other["valid_from"] = json!("2031-01-01");
    other["valid_to"] = json!("2031-12-31");
    let refused = new_contract(&app, &werkpad, other).await;
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["errors"][0]["field"], "provider");
}

#[rocket::async_test]
async fn an_administrator_names_the_provider_of_a_new_contract() {
    let app = TestApp::new().await;
    crate::providers::admit_werkpad(&app).await;
    let admin = app.login_as(ADMIN).await;
    let body =
        json!({"municipality": "GM0820", "valid_from": "2030-01-01", "valid_to": "2030-12-31"});
    let before = plusmarkt::store::contracts::of_municipality(&app.db, "GM0820")
        .await
        .unwrap()
        .len();
    for provider in [None, Some("NIEMAND"), Some("")] {
        let mut b = body.clone();
        if let Some(p) = provider {
            b["provider"] = json!(p);
        }
        let refused = new_contract(&app, &admin, b).await;
        assert_eq!(
            refused.status,
            Status::UnprocessableEntity,
            "{provider:?}: {}",
            refused.body
        );
        assert_eq!(refused.json()["errors"][0]["field"], "provider");
    }
    assert_eq!(
        plusmarkt::store::contracts::of_municipality(&app.db, "GM0820")
            .await
            .unwrap()
            .len(),
        before
    );
    let mut named = body.clone();
    named["provider"] = json!("ZUIDWERK");
    let created = new_contract(&app, &admin, named).await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    assert_eq!(created.json()["provider"], "ZUIDWERK");
    // Other roles still may not.
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    assert_eq!(
        new_contract(&app, &cm, body).await.status,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn a_contract_line_holds_only_products_of_the_contracts_provider() {
    let app = TestApp::new().await;
    let werkpad = werkpad_with_pricing(&app).await;
    let wsd = app.login_as(PRICING).await;
    let year =
        json!({"municipality": "GM0757", "valid_from": "2030-01-01", "valid_to": "2030-12-31"});
    let wp_id = new_contract(&app, &werkpad, year.clone()).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let wsd_id = new_contract(&app, &wsd, year).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let refused = put_line(&app, &werkpad, &wp_id, "DIAG-AANZET").await;
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["errors"][0]["field"], "product_code");
    assert!(
        refused.body.contains("WSD") && refused.body.contains("Zuidwerk B.V."),
        "{}",
        refused.body
    );
    let refused = put_line(&app, &wsd, &wsd_id, "ZW-DIAGNOSE").await;
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["errors"][0]["field"], "product_code");
    for id in [&wp_id, &wsd_id] {
        assert!(plusmarkt::store::contracts::lines(&app.db, id)
            .await
            .unwrap()
            .is_empty());
    }

    let ok = put_line(&app, &werkpad, &wp_id, "ZW-DIAGNOSE").await;
    assert_eq!(ok.status, Status::Ok, "{}", ok.body);
    assert_eq!(
        put_line(&app, &wsd, &wsd_id, "DIAG-AANZET").await.status,
        Status::Ok
    );

    // The pricing page of Werkpad's contract shows the provider and offers only its products.
    let page = app
        .get(&werkpad, &format!("/prijzen/contracten/{wp_id}"))
        .await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("Zuidwerk B.V. (ZUIDWERK)"));
    assert!(
        page.body.contains(r#"value="ZW-DIAGNOSE""#),
        "{}",
        page.body
    );
    assert!(!page.body.contains(r#"value="DIAG-AANZET""#));
}

#[rocket::async_test]
async fn werkpads_pricing_sees_and_changes_only_werkpads_contracts() {
    let app = TestApp::new().await;
    let werkpad = werkpad_with_pricing(&app).await;
    let wsd = app.login_as(PRICING).await;
    let wsd_id = contract_2030(&app, &wsd).await;
    let wp = new_contract(
        &app,
        &werkpad,
        json!({"municipality": "GM0757", "valid_from": "2030-01-01", "valid_to": "2030-12-31"}),
    )
    .await;
    let wp_id = wp.json()["id"].as_str().unwrap().to_string();

    let listed = app.all_items(&werkpad, "/api/v1/contracts").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], wp_id.as_str());
    let page = app.get(&werkpad, "/prijzen/contracten").await;
    assert!(page.body.contains("Zuidwerk B.V."));
    assert!(!page.body.contains(&wsd_id));
    // And WSD's pricing does not see Werkpad's.
    assert!(app
        .all_items(&wsd, "/api/v1/contracts")
        .await
        .iter()
        .all(|c| c["provider"] == "WSD" && c["id"] != wp_id.as_str()));

    let all_before = plusmarkt::store::contracts::of_municipality(&app.db, "GM0757")
        .await
        .unwrap();
    let version_before = all_before.iter().find(|c| c.id == wsd_id).unwrap().version;
    let path = format!("/api/v1/contracts/{wsd_id}");
    assert_eq!(app.get(&werkpad, &path).await.status, Status::NotFound);
    let patch = app
        .send_json(
            Method::Patch,
            &werkpad,
            &path,
            r#"{"name": "Van Werkpad"}"#,
            &[],
        )
        .await;
    assert_eq!(patch.status, Status::NotFound);
    assert_eq!(
        put_line(&app, &werkpad, &wsd_id, "ZW-DIAGNOSE")
            .await
            .status,
        Status::NotFound
    );
    let delete = app
        .send_json(
            Method::Delete,
            &werkpad,
            &format!("{path}/lines/REI-WERKFIT"),
            "{}",
            &[],
        )
        .await;
    assert_eq!(delete.status, Status::NotFound, "{}", delete.body);
    let copy = app
        .post_json(
            &werkpad,
            &format!("{path}/copy"),
            &json!({"indexation_percent": "2.5"}),
        )
        .await;
    assert_eq!(copy.status, Status::NotFound, "{}", copy.body);
    assert_eq!(
        app.get(&werkpad, &format!("/prijzen/contracten/{wsd_id}"))
            .await
            .status,
        Status::NotFound
    );
    let after = plusmarkt::store::contracts::of_municipality(&app.db, "GM0757")
        .await
        .unwrap();
    assert_eq!(
        after.iter().find(|c| c.id == wsd_id).unwrap().version,
        version_before
    );
    assert_eq!(after.len(), all_before.len(), "no copy made");

    // Copying its own contract keeps the provider.
    let own_copy = app
        .post_json(
            &werkpad,
            &format!("/api/v1/contracts/{wp_id}/copy"),
            &json!({"indexation_percent": "2.5"}),
        )
        .await;
    assert_eq!(own_copy.status, Status::Created, "{}", own_copy.body);
    assert_eq!(own_copy.json()["provider"], "ZUIDWERK");
}
