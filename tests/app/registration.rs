//! WSD's registrations: start, milestones, stop, completion, deliveries, corrections, and
//! every refusal saying why.

use chrono::Datelike;
use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::harness::*;
use crate::ordering::{register, BSN_A};

/// Last year: every date in it lies in the past, whatever today is.
pub fn last_year() -> i32 {
    chrono::Local::now().date_naive().year() - 1
}

/// An active contract of Boxtel for last year.
pub async fn boxtel_last_year(app: &TestApp) -> String {
    let y = last_year();
    let pricing = app.login_as(PRICING).await;
    let created = app
        .post_json(&pricing, "/api/v1/contracts", &json!({"municipality": "GM0757", "valid_from": format!("{y}-01-01"), "valid_to": format!("{y}-12-31")}))
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    for (code, body) in [
        ("REI-NAARWERK", json!({"price": "4200.00"})),
        ("REI-WERKFIT", json!({"price": "2450.00"})),
        ("JOBCOACH-UUR", json!({"price": "87.50"})),
        ("PLANREGIE-MAAND", json!({"price": "1200.00"})),
        ("DAGB-DAGDEEL", json!({"price": "54.35"})),
        ("LOONWAARDEMETING", json!({"price": "895.00"})),
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

/// Orders and accepts a trajectory; returns (trajectory id, line ids).
pub async fn accepted(app: &TestApp, lines: Value) -> (String, Vec<String>) {
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(app, &cm, BSN_A, "J. de Vries").await;
    let placed = app
        .post_json(
            &cm,
            "/api/v1/trajectories",
            &json!({"client_id": client, "buyer_reference": "KM-REF-7", "lines": lines}),
        )
        .await;
    assert_eq!(placed.status, Status::Created, "{}", placed.body);
    let t = placed.json();
    let id = t["id"].as_str().unwrap().to_string();
    let staff = app.login_as(WSD_STAFF).await;
    let r = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectories/{id}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    let lines = t["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    (id, lines)
}

pub async fn event(app: &TestApp, line: &str, body: Value) -> Reply {
    let staff = app.login_as(WSD_STAFF).await;
    app.post_json(
        &staff,
        &format!("/api/v1/trajectory-lines/{line}/events"),
        &body,
    )
    .await
}

pub async fn delivery(app: &TestApp, line: &str, body: Value) -> Reply {
    let staff = app.login_as(WSD_STAFF).await;
    app.post_json(
        &staff,
        &format!("/api/v1/trajectory-lines/{line}/deliveries"),
        &body,
    )
    .await
}

#[rocket::async_test]
async fn start_milestones_and_completion_move_the_line_and_mail_the_casemanager() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (id, lines) = accepted(
        &app,
        json!([{"product_code": "REI-NAARWERK", "start_date": format!("{y}-02-01")}]),
    )
    .await;
    let line = &lines[0];
    let r = event(
        &app,
        line,
        json!({"kind": "start", "date": format!("{y}-02-03")}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    assert_eq!(r.json()["status"], "started");
    let r = event(&app, line, json!({"kind": "milestone", "milestone": "plaatsing", "date": format!("{y}-05-10"), "note": "arbeidsovereenkomst bij Bakkerij Jansen"})).await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let r = event(
        &app,
        line,
        json!({"kind": "complete", "date": format!("{y}-11-10"), "outcome": "regular_work"}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let t = r.json();
    assert_eq!(t["status"], "completed");
    assert_eq!(t["lines"][0]["outcome"], "regular_work");
    assert_eq!(t["lines"][0]["events"].as_array().unwrap().len(), 3);
    let mails = app.emails().await;
    let to_cm: Vec<_> = mails
        .iter()
        .filter(|m| m.to.contains(CASEMANAGER_BOXTEL))
        .collect();
    assert!(
        to_cm.iter().any(|m| m.subject.contains("gestart")),
        "started mail"
    );
    assert!(
        to_cm.iter().any(
            |m| m.subject.contains("afgerond") && m.text.contains("geplaatst in regulier werk")
        ),
        "completed mail"
    );
    assert!(
        to_cm.iter().any(|m| m.subject.contains("geaccepteerd")),
        "accepted mail"
    );
    assert!(
        to_cm
            .iter()
            .all(|m| m.text.contains(&format!("/trajecten/{id}"))),
        "link to the trajectory"
    );
    assert!(to_cm
        .iter()
        .all(|m| !m.text.contains(BSN_A) && !m.html.contains(BSN_A)));
}

#[rocket::async_test]
async fn each_refusal_answers_422_or_409_saying_why() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (_, lines) = accepted(&app, json!([
        {"product_code": "REI-NAARWERK", "start_date": format!("{y}-03-01"), "end_date": format!("{y}-10-31")},
        {"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-03-01"), "end_date": format!("{y}-08-31"), "quantity": "10", "frequency": "month"}
    ])).await;
    let (traject, hours) = (&lines[0], &lines[1]);
    // Before the start is registered, no milestone or delivery.
    let r = event(
        &app,
        traject,
        json!({"kind": "milestone", "milestone": "plaatsing", "date": format!("{y}-04-01")}),
    )
    .await;
    assert_eq!(r.status, Status::Conflict);
    let r = delivery(
        &app,
        hours,
        json!({"period": format!("{y}-04"), "quantity": "6"}),
    )
    .await;
    assert_eq!(r.status, Status::Conflict);
    for (line, body, field) in [
        (
            traject,
            json!({"kind": "start", "date": format!("{y}-02-28")}),
            "date",
        ),
        (
            traject,
            json!({"kind": "start", "date": format!("{y}-11-01")}),
            "date",
        ),
        (
            traject,
            json!({"kind": "start", "date": "2999-01-01"}),
            "date",
        ),
        (
            traject,
            json!({"kind": "begin", "date": format!("{y}-03-01")}),
            "kind",
        ),
    ] {
        let r = event(&app, line, body.clone()).await;
        assert_eq!(r.status, Status::UnprocessableEntity, "{body}: {}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(
        event(
            &app,
            traject,
            json!({"kind": "start", "date": format!("{y}-03-02")})
        )
        .await
        .status,
        Status::Created
    );
    assert_eq!(
        event(
            &app,
            hours,
            json!({"kind": "start", "date": format!("{y}-03-02")})
        )
        .await
        .status,
        Status::Created
    );
    assert_eq!(
        event(
            &app,
            traject,
            json!({"kind": "start", "date": format!("{y}-03-03")})
        )
        .await
        .status,
        Status::Conflict,
        "started twice"
    );
    let ok = event(
        &app,
        traject,
        json!({"kind": "milestone", "milestone": "plaatsing", "date": format!("{y}-06-01")}),
    )
    .await;
    assert_eq!(ok.status, Status::Created);
    for (body, field) in [
        (
            json!({"kind": "milestone", "milestone": "plaatsing", "date": format!("{y}-06-02")}),
            "milestone",
        ),
        (
            json!({"kind": "milestone", "milestone": "start", "date": format!("{y}-06-02")}),
            "milestone",
        ),
        (
            json!({"kind": "milestone", "milestone": "diploma", "date": format!("{y}-06-02")}),
            "milestone",
        ),
        (
            json!({"kind": "complete", "date": format!("{y}-09-01")}),
            "outcome",
        ),
        (
            json!({"kind": "stop", "date": format!("{y}-09-01")}),
            "note",
        ),
    ] {
        let r = event(&app, traject, body.clone()).await;
        assert_eq!(r.status, Status::UnprocessableEntity, "{body}: {}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], field, "{body}");
    }
    // Deliveries: 10 hours per month ordered.
    assert_eq!(
        delivery(
            &app,
            hours,
            json!({"period": format!("{y}-04"), "quantity": "6"})
        )
        .await
        .status,
        Status::Created
    );
    let over = delivery(
        &app,
        hours,
        json!({"period": format!("{y}-04"), "quantity": "4.5"}),
    )
    .await;
    assert_eq!(over.status, Status::UnprocessableEntity);
    assert!(
        over.json()["detail"]
            .as_str()
            .unwrap()
            .contains("nog 4 mogelijk"),
        "{}",
        over.body
    );
    for (body, field) in [
        (
            json!({"period": format!("{y}-02"), "quantity": "1"}),
            "period",
        ),
        (
            json!({"period": format!("{y}-09"), "quantity": "1"}),
            "period",
        ),
        (json!({"period": "2999-01", "quantity": "1"}), "period"),
        (
            json!({"period": format!("{y}-05"), "quantity": "0"}),
            "quantity",
        ),
        (
            json!({"period": format!("{y}-05"), "quantity": "-2"}),
            "quantity",
        ),
    ] {
        let r = delivery(&app, hours, body.clone()).await;
        assert_eq!(r.status, Status::UnprocessableEntity, "{body}: {}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], field, "{body}");
    }
    let not_hours = delivery(
        &app,
        traject,
        json!({"period": format!("{y}-05"), "quantity": "1"}),
    )
    .await;
    assert_eq!(not_hours.status, Status::UnprocessableEntity);
    // Only WSD staff register.
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let r = app
        .post_json(
            &cm,
            &format!("/api/v1/trajectory-lines/{hours}/deliveries"),
            &json!({"period": format!("{y}-05"), "quantity": "1"}),
        )
        .await;
    assert_eq!(r.status, Status::Forbidden);
}

#[rocket::async_test]
async fn a_correction_is_a_new_registration_and_the_old_one_stays() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (_, lines) = accepted(&app, json!([{"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-03-01"), "quantity": "40", "frequency": "total"}])).await;
    let hours = &lines[0];
    assert_eq!(
        event(
            &app,
            hours,
            json!({"kind": "start", "date": format!("{y}-03-01")})
        )
        .await
        .status,
        Status::Created
    );
    let first = delivery(
        &app,
        hours,
        json!({"period": format!("{y}-03"), "quantity": "12.5"}),
    )
    .await
    .json();
    let first_id = first["lines"][0]["deliveries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let corrected = delivery(&app, hours, json!({"period": format!("{y}-03"), "quantity": "10", "corrects_id": first_id, "note": "dubbel geteld"})).await;
    assert_eq!(corrected.status, Status::Created, "{}", corrected.body);
    let deliveries = corrected.json()["lines"][0]["deliveries"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(deliveries.len(), 2, "the old registration stays");
    assert_eq!(deliveries[1]["corrects_id"], first_id.as_str());
    let twice = delivery(
        &app,
        hours,
        json!({"period": format!("{y}-03"), "quantity": "9", "corrects_id": first_id}),
    )
    .await;
    assert_eq!(
        twice.status,
        Status::UnprocessableEntity,
        "an already corrected registration"
    );
    // With the correction, 10 of 40 hours are used: 30 more fit, 30.5 not.
    assert_eq!(
        delivery(
            &app,
            hours,
            json!({"period": format!("{y}-04"), "quantity": "30.5"})
        )
        .await
        .status,
        Status::UnprocessableEntity
    );
    assert_eq!(
        delivery(
            &app,
            hours,
            json!({"period": format!("{y}-04"), "quantity": "30"})
        )
        .await
        .status,
        Status::Created
    );
}

#[rocket::async_test]
async fn a_retried_registration_with_the_same_key_registers_once() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (_, lines) = accepted(&app, json!([{"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-03-01"), "quantity": "40", "frequency": "total"}])).await;
    let staff = app.login_as(WSD_STAFF).await;
    assert_eq!(
        event(
            &app,
            &lines[0],
            json!({"kind": "start", "date": format!("{y}-03-01")})
        )
        .await
        .status,
        Status::Created
    );
    let body = json!({"period": format!("{y}-03"), "quantity": "6"}).to_string();
    for _ in 0..2 {
        let r = app
            .send_json(
                Method::Post,
                &staff,
                &format!("/api/v1/trajectory-lines/{}/deliveries", lines[0]),
                &body,
                &[("Idempotency-Key", "d-1")],
            )
            .await;
        assert_eq!(r.status, Status::Created);
    }
    let t = app
        .get(&staff, "/api/v1/trajectories?status=started")
        .await
        .json();
    assert_eq!(
        t["items"][0]["lines"][0]["deliveries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[rocket::async_test]
async fn a_casemanager_extends_a_running_line_within_the_budget_and_wsd_sees_it() {
    let app = TestApp::new().await;
    let contract = boxtel_last_year(&app).await;
    let pricing = app.login_as(PRICING).await;
    let r = app
        .send_json(
            Method::Patch,
            &pricing,
            &format!("/api/v1/contracts/{contract}"),
            r#"{"budget_ceiling": "5000.00"}"#,
            &[],
        )
        .await;
    assert_eq!(r.status, Status::Ok);
    let y = last_year();
    let (id, lines) = accepted(&app, json!([{"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-03-01"), "quantity": "20", "frequency": "total"}])).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    // 20 → 40 hours: 3500.00 committed, within 5000.00.
    let more = app
        .send_json(
            Method::Patch,
            &cm,
            &format!("/api/v1/trajectory-lines/{}", lines[0]),
            r#"{"quantity": "40"}"#,
            &[],
        )
        .await;
    assert_eq!(more.status, Status::Ok, "{}", more.body);
    assert_eq!(more.json()["lines"][0]["committed"], "3500.00");
    // 40 → 80 hours would commit 7000.00: over the ceiling.
    let over = app
        .send_json(
            Method::Patch,
            &cm,
            &format!("/api/v1/trajectory-lines/{}", lines[0]),
            r#"{"quantity": "80"}"#,
            &[],
        )
        .await;
    assert_eq!(over.status, Status::UnprocessableEntity);
    assert!(over.json()["detail"]
        .as_str()
        .unwrap()
        .contains("budgetplafond"));
    let less = app
        .send_json(
            Method::Patch,
            &cm,
            &format!("/api/v1/trajectory-lines/{}", lines[0]),
            r#"{"quantity": "10"}"#,
            &[],
        )
        .await;
    assert_eq!(less.status, Status::UnprocessableEntity, "only more");
    let staff = app.login_as(WSD_STAFF).await;
    let inbox = app.get(&staff, "/wsd/intake").await;
    assert!(
        inbox.body.contains("Gewijzigde trajecten")
            && inbox.body.contains(&format!("/wsd/trajecten/{id}"))
    );
    assert_eq!(
        app.post_form(&staff, &format!("/wsd/trajecten/{id}/gezien"), &[])
            .await
            .status,
        Status::SeeOther
    );
    assert!(!app
        .get(&staff, "/wsd/intake")
        .await
        .body
        .contains("Gewijzigde trajecten"));
    assert!(app
        .emails()
        .await
        .iter()
        .any(|m| m.to.contains("intake@wsd.example") && m.subject.contains("gewijzigd")));
}
