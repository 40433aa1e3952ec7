//! Credits with a disposition (issue 26): what happens to the work behind a credited line
//! is chosen explicitly (`rebill`, `waive`, `withdraw`) and shows afterwards on the invoice,
//! the credit note and the next run's preview.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use plusmarkt::domain::money::Money;

use crate::harness::*;
use crate::invoicing::{run, worked_example};
use crate::registration::{delivery, last_year};

/// The worked example, run for March last year and finalised: (invoice, the lines of the
/// order). The jobcoaching line (`lines[2]`) bills 12,5 hours at 87,50 = 1.093,75.
async fn billed(app: &TestApp) -> (Value, Vec<String>) {
    let lines = worked_example(app).await;
    let y = last_year();
    let id = run(app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let finance = app.login_as(FINANCE).await;
    let r = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    (r.json(), lines)
}

/// The invoice line billing an order line.
fn line_of(invoice: &Value, order_line: &str) -> Value {
    invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["trajectory_line_id"] == order_line)
        .cloned()
        .unwrap_or_else(|| panic!("no line for {order_line} in {invoice}"))
}

async fn credit(app: &TestApp, invoice: &str, line: &str, disposition: Option<&str>) -> Reply {
    let finance = app.login_as(FINANCE).await;
    let mut body = json!({"line_ids": [line], "reason": "dubbel geregistreerd"});
    if let Some(d) = disposition {
        body["disposition"] = json!(d);
    }
    app.post_json(
        &finance,
        &format!("/api/v1/invoices/{invoice}/credit"),
        &body,
    )
    .await
}

async fn invoice(app: &TestApp, id: &str) -> Value {
    let finance = app.login_as(FINANCE).await;
    app.get(&finance, &format!("/api/v1/invoices/{id}"))
        .await
        .json()
}

fn preview_net(preview: &Value) -> Option<String> {
    preview["invoices"]
        .as_array()
        .unwrap()
        .first()
        .map(|i| i["net"].as_str().unwrap().to_string())
}

/// The deliveries registered on an order line, as the provider's staff read them.
async fn deliveries(app: &TestApp, order_line: &str) -> Vec<Value> {
    let staff = app.login_as(WSD_STAFF).await;
    let t = app.get(&staff, "/api/v1/trajectories").await.json();
    t["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["lines"].as_array().unwrap().clone())
        .find(|l| l["id"] == order_line)
        .map(|l| l["deliveries"].as_array().unwrap().clone())
        .unwrap_or_default()
}

#[rocket::async_test]
async fn rebill_bills_the_credited_work_again_and_says_so() {
    let app = TestApp::new().await;
    let (inv, lines) = billed(&app).await;
    let id = inv["id"].as_str().unwrap();
    let line = line_of(&inv, &lines[2]);
    // No disposition: rebill, as before.
    let r = credit(&app, id, line["id"].as_str().unwrap(), None).await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let note = r.json();
    assert_eq!(note["lines"][0]["disposition"], "rebill");
    let after = invoice(&app, id).await;
    let credited = line_of(&after, &lines[2]);
    assert_eq!(credited["credited_by"], note["id"]);
    assert_eq!(credited["disposition"], "rebill");
    assert!(line_of(&after, &lines[0])["credited_by"].is_null());
    let preview = run(&app, &format!("{}-03", last_year()), true).await;
    assert_eq!(
        preview_net(&preview).as_deref(),
        Some("1093.75"),
        "{preview}"
    );
    assert!(preview["held"].as_array().unwrap().is_empty(), "{preview}");
}

#[rocket::async_test]
async fn waive_holds_the_credited_work_with_its_reason() {
    let app = TestApp::new().await;
    let (inv, lines) = billed(&app).await;
    let id = inv["id"].as_str().unwrap();
    let line = line_of(&inv, &lines[2]);
    let r = credit(&app, id, line["id"].as_str().unwrap(), Some("waive")).await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let number = r.json()["number"].as_str().unwrap().to_string();
    assert_eq!(
        line_of(&invoice(&app, id).await, &lines[2])["disposition"],
        "waive"
    );
    let y = last_year();
    let preview = run(&app, &format!("{y}-03"), true).await;
    assert_eq!(preview_net(&preview), None, "nothing billed: {preview}");
    let held = preview["held"].as_array().unwrap();
    assert_eq!(held.len(), 1, "{preview}");
    assert_eq!(held[0]["trajectory_line_id"], lines[2].as_str());
    assert_eq!(
        held[0]["reason"],
        format!("gecrediteerd op CN {number}, niet opnieuw te factureren (dubbel geregistreerd)")
    );
    // A run writes nothing for it, and later runs hold it still.
    let written = run(&app, &format!("{y}-04"), false).await;
    assert!(
        written["invoices"].as_array().unwrap().is_empty(),
        "{written}"
    );
    let later = run(&app, &format!("{y}-05"), true).await;
    assert_eq!(later["held"].as_array().unwrap().len(), 1);
}

#[rocket::async_test]
async fn withdraw_corrects_the_registration_to_nothing() {
    let app = TestApp::new().await;
    let (inv, lines) = billed(&app).await;
    let id = inv["id"].as_str().unwrap();
    let line = line_of(&inv, &lines[2]);
    let before = deliveries(&app, &lines[2]).await;
    assert_eq!(before.len(), 1);
    let r = credit(&app, id, line["id"].as_str().unwrap(), Some("withdraw")).await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    assert_eq!(r.json()["lines"][0]["disposition"], "withdraw");
    let after = deliveries(&app, &lines[2]).await;
    assert_eq!(after.len(), 2, "{after:?}");
    let correction = after
        .iter()
        .find(|d| d["corrects_id"] == before[0]["id"])
        .expect("a correction of the billed registration");
    assert_eq!(correction["quantity"], "0");
    assert!(correction["note"]
        .as_str()
        .unwrap()
        .contains("dubbel geregistreerd"));
    let preview = run(&app, &format!("{}-03", last_year()), true).await;
    assert_eq!(preview_net(&preview), None, "nothing billed: {preview}");
    assert!(preview["held"].as_array().unwrap().is_empty());
    assert!(preview["to_review"].as_array().unwrap().is_empty());
}

#[rocket::async_test]
async fn withdraw_after_a_correction_of_an_already_billed_registration() {
    let app = TestApp::new().await;
    let (inv, lines) = billed(&app).await;
    let y = last_year();
    let id = inv["id"].as_str().unwrap();
    // The billed 12,5 hours are corrected to 10 after the invoice went out.
    let first = deliveries(&app, &lines[2]).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = delivery(
        &app,
        &lines[2],
        json!({"period": format!("{y}-02"), "quantity": "10", "corrects_id": first}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    // The old line is credited with withdraw: its registration is already replaced, so
    // nothing more is corrected, and the 10 hours are billed.
    let line = line_of(&inv, &lines[2]);
    let r = credit(&app, id, line["id"].as_str().unwrap(), Some("withdraw")).await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    assert_eq!(deliveries(&app, &lines[2]).await.len(), 2);
    let preview = run(&app, &format!("{y}-03"), true).await;
    assert_eq!(
        preview_net(&preview).as_deref(),
        Some("875.00"),
        "{preview}"
    );
    assert!(preview["to_review"].as_array().unwrap().is_empty());

    // Waiving instead holds only the old item: the corrected 10 hours are new work.
    let app = TestApp::new().await;
    let (inv, lines) = billed(&app).await;
    let id = inv["id"].as_str().unwrap();
    let first = deliveries(&app, &lines[2]).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    delivery(
        &app,
        &lines[2],
        json!({"period": format!("{y}-02"), "quantity": "10", "corrects_id": first}),
    )
    .await;
    let line = line_of(&inv, &lines[2]);
    let r = credit(&app, id, line["id"].as_str().unwrap(), Some("waive")).await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let preview = run(&app, &format!("{y}-03"), true).await;
    assert_eq!(
        preview_net(&preview).as_deref(),
        Some("875.00"),
        "{preview}"
    );
}

#[rocket::async_test]
async fn unknown_or_unfit_dispositions_are_refused() {
    let app = TestApp::new().await;
    let (inv, lines) = billed(&app).await;
    let id = inv["id"].as_str().unwrap();
    let jobcoach = line_of(&inv, &lines[2]);
    let r = credit(&app, id, jobcoach["id"].as_str().unwrap(), Some("vergeten")).await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert!(r.body.contains("disposition"), "{}", r.body);
    assert!(r.body.contains("onbekende keuze"), "{}", r.body);
    // A milestone has no registered quantity to withdraw.
    let werkfit = line_of(&inv, &lines[0]);
    let r = credit(&app, id, werkfit["id"].as_str().unwrap(), Some("withdraw")).await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert!(r.body.contains("disposition"), "{}", r.body);
    // Nothing was credited by the refusals.
    assert!(invoice(&app, id).await["credits"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[rocket::async_test]
async fn the_credit_form_asks_for_a_disposition_and_names_the_lines() {
    let app = TestApp::new().await;
    let (inv, lines) = billed(&app).await;
    let id = inv["id"].as_str().unwrap();
    let finance = app.login_as(FINANCE).await;
    let page = app.get(&finance, &format!("/facturen/{id}")).await;
    assert_eq!(page.status, Status::Ok);
    for d in ["rebill", "waive", "withdraw"] {
        assert!(
            page.body.contains(&format!(
                "type=\"radio\" name=\"disposition\" value=\"{d}\" id=\"d-{d}\" required aria"
            )),
            "{d} offered, none preselected: {}",
            page.body
        );
    }
    assert!(!page.body.contains(" checked"));
    for sentence in [
        "De volgende factuurrun factureert het werk opnieuw",
        "wordt nooit meer gefactureerd",
        "gecorrigeerd naar nul",
    ] {
        assert!(page.body.contains(sentence), "{sentence}");
    }
    let jobcoach = line_of(&inv, &lines[2]);
    let label = format!(
        "aria-label=\"{} voor {}",
        jobcoach["product_name"].as_str().unwrap(),
        jobcoach["client_ref"].as_str().unwrap()
    );
    assert!(page.body.contains(&label), "{label}: {}", page.body);
    assert!(!page.body.contains("Regel 1 crediteren"));
    // "Versturen" stands before the credit section, not among its fields.
    let send = page.body.find("Versturen naar de gemeente").unwrap();
    let section = page.body.find("id=\"credit-title\"").unwrap();
    assert!(send < section);

    // Without a disposition nothing is credited and the form says why, keeping the reason.
    let line_id = jobcoach["id"].as_str().unwrap();
    let r = app
        .post_form(
            &finance,
            &format!("/facturen/{id}/crediteren"),
            &[("line_ids", line_id), ("reason", "dubbel geregistreerd")],
        )
        .await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert!(r
        .body
        .contains("kies wat er met het gecrediteerde werk gebeurt"));
    assert!(r.body.contains("value=\"dubbel geregistreerd\""));
    assert!(invoice(&app, id).await["credits"]
        .as_array()
        .unwrap()
        .is_empty());

    // With one, the credit note is made, and both pages show the disposition.
    let r = app
        .post_form(
            &finance,
            &format!("/facturen/{id}/crediteren"),
            &[
                ("line_ids", line_id),
                ("reason", "dubbel geregistreerd"),
                ("disposition", "waive"),
                ("bevestigd", "ja"),
            ],
        )
        .await;
    assert_eq!(r.status, Status::SeeOther, "{}", r.body);
    let credits = invoice(&app, id).await["credits"].clone();
    let number = credits[0]["number"].as_str().unwrap();
    let note_id = credits[0]["id"].as_str().unwrap();
    let page = app.get(&finance, &format!("/facturen/{id}")).await;
    assert!(
        page.body.contains(&format!(
            "gecrediteerd op CN {number}, niet opnieuw te factureren"
        )),
        "{}",
        page.body
    );
    let note = app.get(&finance, &format!("/facturen/{note_id}")).await;
    assert!(
        note.body
            .contains("Niet opnieuw factureren: niet opnieuw te factureren"),
        "{}",
        note.body
    );

    // The preview page holds it with the same words.
    let preview = app
        .get(&finance, &format!("/financien?periode={}-03", last_year()))
        .await;
    assert!(
        preview.body.contains(&format!(
            "gecrediteerd op CN {number}, niet opnieuw te factureren"
        )),
        "{}",
        preview.body
    );
}

#[rocket::async_test]
async fn the_preview_lists_its_lines_and_credit_notes_count_negative() {
    let app = TestApp::new().await;
    let lines = worked_example(&app).await;
    let finance = app.login_as(FINANCE).await;
    let y = last_year();
    let page = app
        .get(&finance, &format!("/financien?periode={y}-03"))
        .await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("<details"), "{}", page.body);
    assert!(page.body.contains("<summary>Regels voor"), "{}", page.body);
    for amount in ["1.093,75", "895,00"] {
        assert!(page.body.contains(amount), "{amount}: {}", page.body);
    }

    // After a credit with rebill, the preview's line says it is billed again.
    let id = run(&app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await;
    let inv = r.json();
    let r = credit(
        &app,
        &id,
        line_of(&inv, &lines[2])["id"].as_str().unwrap(),
        Some("rebill"),
    )
    .await;
    let number = r.json()["number"].as_str().unwrap().to_string();
    let total = Money::parse(r.json()["total"].as_str().unwrap()).unwrap();
    let page = app
        .get(&finance, &format!("/financien?periode={y}-03"))
        .await;
    assert!(
        page.body.contains(&format!(
            "gecrediteerd op CN {number}, wordt opnieuw gefactureerd"
        )),
        "{}",
        page.body
    );

    // The list shows the credit note as a negative amount.
    let list = app.get(&finance, "/facturen").await;
    let negative = (-total).format_nl();
    assert!(
        negative.contains('-') || negative.contains('−'),
        "{negative}"
    );
    assert!(list.body.contains(&negative), "{negative}: {}", list.body);
}
