//! WSD's and finance's pages, walked as their users would.

use rocket::http::Status;
use serde_json::json;

use crate::harness::*;
use crate::ordering::{register, BSN_A};
use crate::registration::{boxtel_last_year, last_year};

#[rocket::async_test]
async fn wsd_staff_accept_from_the_inbox_and_register_start_and_hours() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    let t = app
        .post_json(&cm, "/api/v1/trajectories", &json!({"client_id": client, "lines": [{"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-05-01"), "quantity": "40", "frequency": "total"}]}))
        .await
        .json();
    let id = t["id"].as_str().unwrap();
    let line = t["lines"][0]["id"].as_str().unwrap();
    let staff = app.login_as(WSD_STAFF).await;
    let inbox = app.get(&staff, "/wsd/intake").await;
    assert_eq!(inbox.status, Status::Ok);
    assert!(inbox.body.contains(t["number"].as_str().unwrap()));
    assert!(!inbox.body.contains(BSN_A), "BSN masked");
    let accepted = app
        .post_form(
            &staff,
            &format!("/wsd/trajecten/{id}/accepteren"),
            &[("planned_start", &format!("{y}-05-01"))],
        )
        .await;
    assert_eq!(accepted.status, Status::SeeOther, "{}", accepted.body);
    assert!(
        !app.get(&staff, "/wsd/intake")
            .await
            .body
            .contains(t["number"].as_str().unwrap()),
        "gone from the inbox"
    );
    let started = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{line}/registraties"),
            &[("kind", "start"), ("date", &format!("{y}-05-02"))],
        )
        .await;
    assert_eq!(started.status, Status::SeeOther, "{}", started.body);
    let hours = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{line}/leveringen"),
            &[
                ("period", &format!("{y}-06")),
                ("quantity", "6"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(hours.status, Status::SeeOther, "{}", hours.body);
    let refused = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{line}/leveringen"),
            &[
                ("period", &format!("{y}-04")),
                ("quantity", "2"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(
        refused.body.contains("vóór de start"),
        "the reason is shown"
    );
    let page = app.get(&staff, &format!("/wsd/trajecten/{id}")).await;
    assert!(page.body.contains("6 uur"));
    // The casemanager sees the registration.
    let seen = app
        .get(&cm, &format!("/api/v1/trajectories/{id}"))
        .await
        .json();
    assert_eq!(seen["lines"][0]["deliveries"][0]["quantity"], "6");
    assert_eq!(seen["status"], "started");
    // Casemanagers and pricing cannot use WSD's pages.
    assert_eq!(app.get(&cm, "/wsd/intake").await.status, Status::Forbidden);
    assert_eq!(
        app.get(&app.login_as(PRICING).await, "/wsd/trajecten")
            .await
            .status,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn finance_previews_runs_finalises_and_credits_in_the_pages() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (_, lines) = crate::registration::accepted(&app, json!([{"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-03-01"), "quantity": "40", "frequency": "total"}])).await;
    assert_eq!(
        crate::registration::event(
            &app,
            &lines[0],
            json!({"kind": "start", "date": format!("{y}-03-01")})
        )
        .await
        .status,
        Status::Created
    );
    assert_eq!(
        crate::registration::delivery(
            &app,
            &lines[0],
            json!({"period": format!("{y}-03"), "quantity": "12.5"})
        )
        .await
        .status,
        Status::Created
    );
    let finance = app.login_as(FINANCE).await;
    let preview = app
        .get(&finance, &format!("/financien?periode={y}-03"))
        .await;
    assert_eq!(preview.status, Status::Ok);
    assert!(
        preview.body.contains("€ 1.093,75"),
        "12,5 × € 87,50 in the preview"
    );
    let bad = app.get(&finance, "/financien?periode=maart").await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    let ran = app
        .post_form(
            &finance,
            "/financien/run",
            &[("period", &format!("{y}-03"))],
        )
        .await;
    assert_eq!(ran.status, Status::SeeOther);
    let drafts = app.get(&finance, "/facturen?status=draft").await;
    assert!(drafts.body.contains("concept") && drafts.body.contains("€ 1.093,75"));
    let id = app
        .get(&finance, "/api/v1/invoices?status=draft")
        .await
        .json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    assert_eq!(
        app.get(&cm, &format!("/facturen/{id}")).await.status,
        Status::NotFound,
        "drafts are not for the casemanager"
    );
    let final_ = app
        .post_form(
            &finance,
            &format!("/facturen/{id}/definitief"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(final_.status, Status::SeeOther, "{}", final_.body);
    let page = app.get(&finance, &format!("/facturen/{id}")).await;
    assert!(page.body.contains("definitief") && page.body.contains("/pdf"));
    let line = app
        .get(&finance, &format!("/api/v1/invoices/{id}"))
        .await
        .json()["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let no_lines = app
        .post_form(
            &finance,
            &format!("/facturen/{id}/crediteren"),
            &[("reason", "x")],
        )
        .await;
    assert_eq!(no_lines.status, Status::UnprocessableEntity);
    let credited = app
        .post_form(
            &finance,
            &format!("/facturen/{id}/crediteren"),
            &[
                ("line_ids", &line),
                ("reason", "dubbel"),
                ("disposition", "rebill"),
                ("bevestigd", "ja"),
            ],
        )
        .await;
    assert_eq!(credited.status, Status::SeeOther, "{}", credited.body);
    let note = app
        .get(&finance, credited.header("Location").unwrap())
        .await;
    assert!(note.body.contains("Creditnota") && note.body.contains("dubbel"));
    // The casemanager sees both final documents.
    let list = app.get(&cm, "/facturen").await;
    assert_eq!(list.status, Status::Ok);
    assert_eq!(
        list.body.matches("€ 1.093,75").count(),
        2,
        "invoice and credit note"
    );
    assert_eq!(
        list.body.matches("-€ 1.093,75").count(),
        1,
        "the credit note counts negative"
    );
    assert_eq!(app.get(&cm, "/financien").await.status, Status::Forbidden);
    let read_only = app.get(&cm, &format!("/facturen/{id}")).await;
    assert!(!read_only.body.contains("Creditnota maken") && !read_only.body.contains("Versturen"));
}
