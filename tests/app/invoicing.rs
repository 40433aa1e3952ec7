//! Settlement: worked examples to the cent, runs that never bill twice, gapless numbers,
//! credit notes, renditions and the finance pull API.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::harness::*;
use crate::registration::{accepted, boxtel_last_year, delivery, event, last_year};

/// The worked example: one trajectory of four lines, registered up to March last year.
/// Werkfit 2450.00 (50% start in January, 50% completion in March); Planregie 1200.00 a
/// month from the 17th of January, stopped on 9 March; 12.5 hours jobcoaching at 87.50 in
/// February; one loonwaardemeting at 895.00 (21% VAT) in February.
pub async fn worked_example(app: &TestApp) -> Vec<String> {
    boxtel_last_year(app).await;
    let y = last_year();
    let (_, lines) = accepted(app, json!([
        {"product_code": "REI-WERKFIT", "start_date": format!("{y}-01-10")},
        {"product_code": "PLANREGIE-MAAND", "start_date": format!("{y}-01-17"), "end_date": format!("{y}-12-31")},
        {"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-01-05"), "quantity": "40", "frequency": "total"},
        {"product_code": "LOONWAARDEMETING", "start_date": format!("{y}-01-05"), "quantity": "1", "frequency": "total"}
    ])).await;
    for (line, date) in [
        (&lines[0], "01-10"),
        (&lines[1], "01-17"),
        (&lines[2], "01-05"),
        (&lines[3], "01-05"),
    ] {
        let r = event(
            app,
            line,
            json!({"kind": "start", "date": format!("{y}-{date}")}),
        )
        .await;
        assert_eq!(r.status, Status::Created, "{}", r.body);
    }
    assert_eq!(
        event(
            app,
            &lines[0],
            json!({"kind": "complete", "date": format!("{y}-03-20"), "outcome": "goal_reached"})
        )
        .await
        .status,
        Status::Created
    );
    assert_eq!(
        event(
            app,
            &lines[1],
            json!({"kind": "stop", "date": format!("{y}-03-09"), "note": "verhuisd"})
        )
        .await
        .status,
        Status::Created
    );
    assert_eq!(
        delivery(
            app,
            &lines[2],
            json!({"period": format!("{y}-02"), "quantity": "12.5"})
        )
        .await
        .status,
        Status::Created
    );
    assert_eq!(
        delivery(
            app,
            &lines[3],
            json!({"period": format!("{y}-02"), "quantity": "1"})
        )
        .await
        .status,
        Status::Created
    );
    lines
}

pub async fn run(app: &TestApp, period: &str, preview: bool) -> Value {
    let finance = app.login_as(FINANCE).await;
    let r = app
        .post_json(
            &finance,
            "/api/v1/invoice-runs",
            &json!({"period": period, "preview": preview}),
        )
        .await;
    assert!(
        r.status == Status::Ok || r.status == Status::Created,
        "{}",
        r.body
    );
    r.json()
}

fn amounts(invoice: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["description"].as_str().unwrap().to_string(),
                l["net"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[rocket::async_test]
async fn the_worked_example_is_billed_to_the_cent() {
    let app = TestApp::new().await;
    worked_example(&app).await;
    let y = last_year();
    let preview = run(&app, &format!("{y}-03"), true).await;
    assert_eq!(preview["invoices"].as_array().unwrap().len(), 1);
    let boxtel = &preview["invoices"][0];
    assert_eq!(boxtel["municipality"], "GM0757");
    assert_eq!(boxtel["lines"], 7);
    // Exempt: 1225.00 + 1225.00 + 580.65 + 1200.00 + 348.39 + 1093.75 = 5672.79
    // Standard: 895.00, VAT 21% = 187.95. Net 6567.79, total 6755.74.
    assert_eq!(boxtel["net"], "6567.79");
    assert_eq!(boxtel["vat"], "187.95");
    assert_eq!(boxtel["total"], "6755.74");
    // A preview writes nothing.
    let finance = app.login_as(FINANCE).await;
    assert!(app.get(&finance, "/api/v1/invoices").await.json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let result = run(&app, &format!("{y}-03"), false).await;
    let id = result["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let invoice = app
        .get(&finance, &format!("/api/v1/invoices/{id}"))
        .await
        .json();
    assert_eq!(invoice["status"], "draft");
    assert_eq!(invoice["total"], "6755.74");
    let nets: Vec<String> = amounts(&invoice).into_iter().map(|(_, n)| n).collect();
    let mut expected = vec![
        "1225.00", "1225.00", "580.65", "1200.00", "348.39", "1093.75", "895.00",
    ];
    expected.sort();
    let mut got = nets.clone();
    got.sort();
    assert_eq!(got, expected);
    // The monthly lines carry their own service periods.
    let periods: Vec<&str> = invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["product_code"] == "PLANREGIE-MAAND")
        .map(|l| l["service_period"].as_str().unwrap())
        .collect();
    assert_eq!(
        periods,
        [format!("{y}-01"), format!("{y}-02"), format!("{y}-03")]
    );
    // Running the period again adds nothing.
    let again = run(&app, &format!("{y}-03"), false).await;
    assert!(again["invoices"].as_array().unwrap().is_empty(), "{again}");
    let invoice = app
        .get(&finance, &format!("/api/v1/invoices/{id}"))
        .await
        .json();
    assert_eq!(invoice["lines"].as_array().unwrap().len(), 7);
}

#[rocket::async_test]
async fn earlier_periods_bill_only_what_was_due_then() {
    let app = TestApp::new().await;
    worked_example(&app).await;
    let y = last_year();
    let january = run(&app, &format!("{y}-01"), false).await;
    // January: Werkfit start 1225.00 and Planregie 15/31 of 1200.00 = 580.65.
    assert_eq!(january["invoices"][0]["net"], "1805.65");
    let february = run(&app, &format!("{y}-02"), false).await;
    // February adds 1200.00 + 1093.75 + 895.00 (VAT 187.95) to the open draft.
    assert_eq!(february["invoices"][0]["net"], "3188.75");
    assert_eq!(february["invoices"][0]["vat"], "187.95");
}

#[rocket::async_test]
async fn finalise_number_credit_one_line_and_rebill() {
    let app = TestApp::new().await;
    let lines = worked_example(&app).await;
    let y = last_year();
    let result = run(&app, &format!("{y}-03"), false).await;
    let id = result["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let finance = app.login_as(FINANCE).await;
    let final_ = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await;
    assert_eq!(final_.status, Status::Ok, "{}", final_.body);
    let invoice = final_.json();
    let year = chrono::Datelike::year(&chrono::Local::now().date_naive());
    assert_eq!(invoice["number"], format!("{year}-000001"));
    assert_eq!(invoice["status"], "final");
    assert!(invoice["due_date"].as_str().unwrap() > invoice["issue_date"].as_str().unwrap());
    let twice = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await;
    assert_eq!(twice.status, Status::Conflict);
    // Credit the jobcoaching line.
    let jobcoach = invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["trajectory_line_id"] == lines[2].as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let credit = app
        .post_json(
            &finance,
            &format!("/api/v1/invoices/{id}/credit"),
            &json!({"line_ids": [jobcoach], "reason": "dubbel geregistreerd"}),
        )
        .await;
    assert_eq!(credit.status, Status::Created, "{}", credit.body);
    let note = credit.json();
    assert_eq!(note["kind"], "credit_note");
    assert_eq!(note["number"], format!("{year}-000002"));
    assert_eq!(note["credits_invoice_id"], id.as_str());
    assert_eq!(note["total"], "1093.75");
    assert_eq!(note["vat"], "0.00");
    let again = app
        .post_json(
            &finance,
            &format!("/api/v1/invoices/{id}/credit"),
            &json!({"line_ids": [jobcoach], "reason": "nog eens"}),
        )
        .await;
    assert_eq!(again.status, Status::UnprocessableEntity);
    // The original never changed.
    let original = app
        .get(&finance, &format!("/api/v1/invoices/{id}"))
        .await
        .json();
    assert_eq!(original["total"], "6755.74");
    assert_eq!(original["credits"][0]["number"], format!("{year}-000002"));
    // The registration still says 12.5 hours: the next run bills the line again.
    let rebill = run(&app, &format!("{y}-03"), false).await;
    assert_eq!(rebill["invoices"][0]["net"], "1093.75");
    // Credit and re-bill net to the original amount billed once.
    let c = plusmarkt::store::contracts::of_municipality(&app.db, "GM0757")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.valid_from.to_string() == format!("{y}-01-01"))
        .unwrap();
    assert_eq!(
        plusmarkt::store::contracts::budget_invoiced(&app.db, &c.id)
            .await
            .unwrap()
            .to_string(),
        "5474.04",
        "6567.79 - 1093.75 (the re-bill is still a draft)"
    );
}

#[rocket::async_test]
async fn a_changed_registration_after_invoicing_is_credited_and_rebilled() {
    let app = TestApp::new().await;
    let lines = worked_example(&app).await;
    let y = last_year();
    let id = run(&app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let finance = app.login_as(FINANCE).await;
    let invoice = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await
        .json();
    // WSD corrects February's hours from 12.5 to 10: a new registration.
    let staff = app.login_as(WSD_STAFF).await;
    let t = app.get(&staff, "/api/v1/trajectories").await.json();
    let first = t["items"][0]["lines"][2]["deliveries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        delivery(
            &app,
            &lines[2],
            json!({"period": format!("{y}-02"), "quantity": "10", "corrects_id": first})
        )
        .await
        .status,
        Status::Created
    );
    let preview = run(&app, &format!("{y}-03"), true).await;
    assert_eq!(
        preview["invoices"][0]["net"], "875.00",
        "10 × 87.50 billed anew"
    );
    assert_eq!(
        preview["to_review"].as_array().unwrap().len(),
        1,
        "the old line must be credited: {preview}"
    );
    let old = invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["trajectory_line_id"] == lines[2].as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let credit = app
        .post_json(
            &finance,
            &format!("/api/v1/invoices/{id}/credit"),
            &json!({"line_ids": [old], "reason": "uren gecorrigeerd"}),
        )
        .await;
    assert_eq!(credit.status, Status::Created);
    let after = run(&app, &format!("{y}-03"), true).await;
    assert!(after["to_review"].as_array().unwrap().is_empty(), "{after}");
    assert_eq!(after["invoices"][0]["net"], "875.00");
}

#[rocket::async_test]
async fn the_database_refuses_a_second_claim_on_a_billed_item() {
    let app = TestApp::new().await;
    worked_example(&app).await;
    let y = last_year();
    run(&app, &format!("{y}-03"), false).await;
    let backend = sea_orm::ConnectionTrait::get_database_backend(&app.db);
    let key: String = sea_orm::ConnectionTrait::query_one_raw(
        &app.db,
        sea_orm::Statement::from_string(backend, "SELECT billable_key FROM billing_claims LIMIT 1"),
    )
    .await
    .unwrap()
    .unwrap()
    .try_get("", "billable_key")
    .unwrap();
    let line: String = sea_orm::ConnectionTrait::query_one_raw(
        &app.db,
        sea_orm::Statement::from_string(backend, "SELECT id FROM invoice_lines LIMIT 1 OFFSET 1"),
    )
    .await
    .unwrap()
    .unwrap()
    .try_get("", "id")
    .unwrap();
    let duplicate = sea_orm::ConnectionTrait::execute_raw(
        &app.db,
        sea_orm::Statement::from_string(backend, format!("INSERT INTO billing_claims (billable_key, invoice_line_id, created_at) VALUES ('{key}', '{line}', '2026-01-01T00:00:00Z')")),
    )
    .await;
    assert!(
        duplicate.is_err(),
        "a second claim on {key} must be impossible"
    );
}

#[rocket::async_test]
async fn runs_while_registrations_arrive_never_bill_an_item_twice() {
    let app = TestApp::on_file().await;
    let lines = worked_example(&app).await;
    let y = last_year();
    let finance = app.login_as(FINANCE).await;
    let staff = app.login_as(WSD_STAFF).await;
    let runs = (0..6).map(|_| {
        let finance = finance.clone();
        let app = &app;
        async move {
            app.post_json(
                &finance,
                "/api/v1/invoice-runs",
                &json!({"period": format!("{y}-12")}),
            )
            .await
            .status
        }
    });
    let registrations = (3..9).map(|m| {
        let staff = staff.clone();
        let app = &app;
        let line = lines[2].clone();
        async move {
            app.post_json(
                &staff,
                &format!("/api/v1/trajectory-lines/{line}/deliveries"),
                &json!({"period": format!("{y}-{m:02}"), "quantity": "1"}),
            )
            .await
            .status
        }
    });
    let (a, b) = futures::future::join(
        futures::future::join_all(runs),
        futures::future::join_all(registrations),
    )
    .await;
    assert!(a.iter().all(|s| *s == Status::Created), "{a:?}");
    assert!(b.iter().all(|s| *s == Status::Created), "{b:?}");
    run(&app, &format!("{y}-12"), false).await;
    let backend = sea_orm::ConnectionTrait::get_database_backend(&app.db);
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &app.db,
        sea_orm::Statement::from_string(backend, "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COUNT(DISTINCT billable_key) AS BIGINT) AS d FROM invoice_lines WHERE billable_key IS NOT NULL"),
    )
    .await
    .unwrap()
    .unwrap();
    let (n, d): (i64, i64) = (row.try_get("", "n").unwrap(), row.try_get("", "d").unwrap());
    assert_eq!(n, d, "no billable item on two invoice lines");
    // 7 items of the worked example and 6 hours registered while running.
    assert_eq!(n, 13);
}

#[rocket::async_test]
async fn concurrent_finalisations_take_consecutive_numbers() {
    let app = TestApp::on_file().await;
    worked_example(&app).await;
    let y = last_year();
    let mut drafts = Vec::new();
    for m in ["01", "02", "03"] {
        let r = run(&app, &format!("{y}-{m}"), false).await;
        drafts.push(r["invoices"][0]["invoice_id"].as_str().unwrap().to_string());
        // Finalise nothing yet: each month's items go to a new draft only once the previous
        // draft is final, so finalise all but keep them concurrent below.
    }
    let distinct: std::collections::BTreeSet<&String> = drafts.iter().collect();
    // Lines of later months join the open draft of *their* period, so three periods give three drafts.
    assert_eq!(distinct.len(), 3, "{drafts:?}");
    let finance = app.login_as(FINANCE).await;
    let calls = drafts.iter().map(|id| {
        let finance = finance.clone();
        let app = &app;
        async move {
            app.send_json(
                Method::Post,
                &finance,
                &format!("/api/v1/invoices/{id}/finalise"),
                "",
                &[],
            )
            .await
            .json()["number"]
                .as_str()
                .unwrap()
                .to_string()
        }
    });
    let mut numbers = futures::future::join_all(calls).await;
    numbers.sort();
    let year = chrono::Datelike::year(&chrono::Local::now().date_naive());
    assert_eq!(
        numbers,
        [
            format!("{year}-000001"),
            format!("{year}-000002"),
            format!("{year}-000003")
        ]
    );
}

#[rocket::async_test]
async fn finance_pulls_new_and_changed_invoices_with_a_token() {
    let app = TestApp::new().await;
    let lines = worked_example(&app).await;
    let y = last_year();
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let id = run(&app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let finance = app.login_as(FINANCE).await;
    let invoice = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await
        .json();
    let line = invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["trajectory_line_id"] == lines[2].as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post_json(
        &finance,
        &format!("/api/v1/invoices/{id}/credit"),
        &json!({"line_ids": [line], "reason": "test"}),
    )
    .await;
    let token = app.token_for(FINANCE).await;
    let pulled = app
        .get(&token, &format!("/api/v1/invoices?since={before}"))
        .await;
    assert_eq!(pulled.status, Status::Ok, "{}", pulled.body);
    let items = pulled.json()["items"].as_array().unwrap().clone();
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"invoice") && kinds.contains(&"credit_note"),
        "{kinds:?}"
    );
    // Polling from the last change on returns nothing old.
    let latest = items
        .iter()
        .map(|i| i["updated_at"].as_str().unwrap())
        .max()
        .unwrap()
        .to_string();
    let later = app
        .get(
            &token,
            &format!("/api/v1/invoices?since={}", latest.replace('+', "%2B")),
        )
        .await
        .json();
    assert!(later["items"].as_array().unwrap().len() <= 1);
    // A casemanager sees their final invoices, not drafts, and not another municipality's.
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let own = app.get(&cm, "/api/v1/invoices").await.json();
    assert!(own["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] != "draft"));
    assert_eq!(own["items"].as_array().unwrap().len(), 2);
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    assert_eq!(
        app.get(&vught, &format!("/api/v1/invoices/{id}"))
            .await
            .status,
        Status::NotFound
    );
    assert_eq!(
        app.get(&app.login_as(PRICING).await, "/api/v1/invoices")
            .await
            .status,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn renditions_of_a_real_invoice_and_sending_it() {
    let app = TestApp::new().await;
    worked_example(&app).await;
    let y = last_year();
    let id = run(&app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let finance = app.login_as(FINANCE).await;
    assert_eq!(
        app.get(&finance, &format!("/api/v1/invoices/{id}/pdf"))
            .await
            .status,
        Status::Conflict,
        "a draft has no number yet"
    );
    let invoice = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await
        .json();
    let pdf = app
        .get(&finance, &format!("/api/v1/invoices/{id}/pdf"))
        .await;
    assert_eq!(pdf.status, Status::Ok);
    assert_eq!(pdf.content_type.as_deref(), Some("application/pdf"));
    let ubl = app
        .get(&finance, &format!("/api/v1/invoices/{id}/ubl"))
        .await;
    assert_eq!(ubl.status, Status::Ok);
    assert!(ubl.body.contains(invoice["number"].as_str().unwrap()));
    assert!(ubl.body.contains("6755.74"), "payable amount");
    assert!(!ubl.body.contains(crate::ordering::BSN_A));
    crate::renditions::save_for_validation("worked-example-invoice", &ubl.body);
    let csv = app
        .get(&finance, &format!("/api/v1/invoices/{id}/csv"))
        .await;
    assert_eq!(csv.status, Status::Ok);
    assert_eq!(csv.body.lines().count(), 8, "header and 7 lines");
    assert!(csv.body.contains("1093,75"), "decimal comma");
    let line = invoice["lines"][0]["id"].as_str().unwrap().to_string();
    let note = app
        .post_json(
            &finance,
            &format!("/api/v1/invoices/{id}/credit"),
            &json!({"line_ids": [line], "reason": "test"}),
        )
        .await
        .json();
    let note_ubl = app
        .get(
            &finance,
            &format!("/api/v1/invoices/{}/ubl", note["id"].as_str().unwrap()),
        )
        .await;
    assert!(
        note_ubl.body.contains("CreditNote")
            && note_ubl.body.contains(invoice["number"].as_str().unwrap())
    );
    crate::renditions::save_for_validation("worked-example-credit-note", &note_ubl.body);
    let sent = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/send"),
            "",
            &[],
        )
        .await;
    assert_eq!(sent.status, Status::Ok, "{}", sent.body);
    assert_eq!(sent.json()["status"], "sent");
    assert!(sent.json()["sent_at"].is_string());
    let mails = app.emails().await;
    let mail = mails
        .iter()
        .find(|m| m.to.contains("crediteuren@boxtel.example"))
        .expect("sent to Boxtel's finance address");
    assert_eq!(mail.attachments.len(), 2);
    assert!(mail
        .attachments
        .iter()
        .any(|a| a.content_type == "application/pdf" && a.bytes.starts_with(b"%PDF")));
    assert!(mail
        .attachments
        .iter()
        .any(|a| a.content_type == "application/xml"
            && String::from_utf8_lossy(&a.bytes) == ubl.body));
}

#[rocket::async_test]
async fn an_invoice_sent_to_a_loopback_smtp_server_arrives_with_both_attachments_intact() {
    use mail_parser::{MessageParser, MimeHeaders};
    let smtp = crate::smtp_server::SmtpServer::start().await;
    let port = smtp.port();
    let app = TestApp::with_config(|c| {
        c.mail = plusmarkt::config::MailTransportConfig::Smtp {
            host: "127.0.0.1".into(),
            port,
            tls: plusmarkt::config::SmtpTls::None,
            user: None,
            password: None,
        };
    })
    .await;
    worked_example(&app).await;
    let y = last_year();
    let id = run(&app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let finance = app.login_as(FINANCE).await;
    let invoice = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await
        .json();
    let ubl = app
        .get(&finance, &format!("/api/v1/invoices/{id}/ubl"))
        .await;
    assert_eq!(
        app.send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{id}/send"),
            "",
            &[]
        )
        .await
        .status,
        Status::Ok
    );
    // The background worker sends the outbox; wait for the message to arrive.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let invoice_mail = loop {
        let found = smtp.received().into_iter().find(|r| {
            r.rcpt_to
                .iter()
                .any(|t| t.contains("crediteuren@boxtel.example"))
        });
        if let Some(found) = found {
            break found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the invoice did not arrive"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let parsed = MessageParser::default()
        .parse(&invoice_mail.data)
        .expect("a parseable message");
    assert!(parsed
        .subject()
        .unwrap()
        .contains(invoice["number"].as_str().unwrap()));
    let attachments: Vec<_> = parsed.attachments().collect();
    assert_eq!(attachments.len(), 2);
    let pdf_part = attachments
        .iter()
        .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".pdf")))
        .expect("the PDF");
    let xml_part = attachments
        .iter()
        .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".xml")))
        .expect("the UBL");
    let pdf = pdf_bytes(&app, &finance, &id).await;
    assert!(pdf.starts_with(b"%PDF") && pdf.len() > 1000);
    assert_eq!(pdf_part.contents(), pdf.as_slice(), "PDF intact");
    assert_eq!(xml_part.contents(), ubl.body.as_bytes(), "UBL intact");
}

async fn pdf_bytes(app: &TestApp, who: &As, id: &str) -> Vec<u8> {
    let request = app.client.get(format!("/api/v1/invoices/{id}/pdf"));
    let request = match who {
        As::Session(token) => request.private_cookie(rocket::http::Cookie::new(
            plusmarkt::auth::guards::SESSION_COOKIE,
            token.clone(),
        )),
        _ => request,
    };
    request
        .dispatch()
        .await
        .into_bytes()
        .await
        .unwrap_or_default()
}

/// The second provider's users: pricing, finance and staff, bound to Werkpad.
pub const WERKPAD_PRICING: &str = "prijzen@werkpad.example";
pub const WERKPAD_FINANCE: &str = "financien@werkpad.example";
pub const WERKPAD_STAFF: &str = "consulent@werkpad.example";
/// Werkpad's made-up identity: its KvK number is also its Peppol id (scheme 0106).
pub const WERKPAD_KVK: &str = "87654321";
pub const WERKPAD_IBAN: &str = "NL44RABO0123456789";

async fn sql(app: &TestApp, statement: &str) {
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(statement)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// Admits a second provider, Werkpad Brabant B.V., with its own KvK, VAT number, IBAN and
/// Peppol id, its users, and one product of its own (`WP-JOBCOACH`, hours, made from WSD's
/// jobcoaching product) in the catalogue.
pub async fn admit_werkpad(app: &TestApp) {
    use plusmarkt::domain::provider::{parse_iban, parse_kvk, parse_vat_number};
    use plusmarkt::entities::{price_version, product, product_milestone, product_target_group};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    // The identity is one an admin could have entered.
    assert_eq!(parse_iban(WERKPAD_IBAN).unwrap(), WERKPAD_IBAN);
    assert_eq!(parse_kvk(WERKPAD_KVK).unwrap(), WERKPAD_KVK);
    assert_eq!(
        parse_vat_number("NL876543210B01").unwrap(),
        "NL876543210B01"
    );
    sql(
        app,
        &format!(
            "INSERT INTO providers (code, name, kvk, vat_number, peppol_scheme, peppol_id, iban, \
             intake_email, invoice_email, street, postcode, city, status, demo_identifiers, \
             created_at, updated_at) VALUES ('WERKPAD', 'Werkpad Brabant B.V.', '{WERKPAD_KVK}', \
             'NL876543210B01', '0106', '{WERKPAD_KVK}', '{WERKPAD_IBAN}', 'intake@werkpad.example', \
             'facturen@werkpad.example', 'Stationsplein 4', '5211 AP', '''s-Hertogenbosch', \
             'active', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING"
        ),
    )
    .await;
    let admin = plusmarkt::domain::principal::Principal::system("test");
    for (email, role) in [
        (WERKPAD_PRICING, "pricing"),
        (WERKPAD_FINANCE, "finance"),
        (WERKPAD_STAFF, "provider_staff"),
    ] {
        // The demo already has Werkpad's users; a database without them gets them here.
        if plusmarkt::store::users::find_by_email(&app.db, email)
            .await
            .unwrap()
            .is_none()
        {
            plusmarkt::services::users::add_user(
                &app.db,
                &admin,
                email,
                "Werkpad",
                role,
                None,
                Some("WERKPAD".into()),
                PASSWORD,
            )
            .await
            .unwrap();
        }
        sql(
            app,
            &format!("UPDATE users SET provider_code = 'WERKPAD' WHERE email = '{email}'"),
        )
        .await;
    }
    // Werkpad's product: WSD's jobcoaching by the hour under another code and provider.
    let source = "JOBCOACH-UUR";
    let code = "WP-JOBCOACH";
    let p = product::Entity::find_by_id(source.to_string())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    product::Entity::insert(product::ActiveModel::from(product::Model {
        code: code.into(),
        name: "Jobcoaching Werkpad".into(),
        provider_code: "WERKPAD".into(),
        ..p
    }))
    .exec_without_returning(&app.db)
    .await
    .unwrap();
    for v in price_version::Entity::find()
        .filter(price_version::Column::ProductCode.eq(source))
        .all(&app.db)
        .await
        .unwrap()
    {
        price_version::Entity::insert(price_version::ActiveModel::from(price_version::Model {
            product_code: code.into(),
            ..v
        }))
        .exec_without_returning(&app.db)
        .await
        .unwrap();
    }
    for g in product_target_group::Entity::find()
        .filter(product_target_group::Column::ProductCode.eq(source))
        .all(&app.db)
        .await
        .unwrap()
    {
        product_target_group::Entity::insert(product_target_group::ActiveModel::from(
            product_target_group::Model {
                product_code: code.into(),
                ..g
            },
        ))
        .exec_without_returning(&app.db)
        .await
        .unwrap();
    }
    assert!(product_milestone::Entity::find()
        .filter(product_milestone::Column::ProductCode.eq(source))
        .all(&app.db)
        .await
        .unwrap()
        .is_empty());
    sql(
        app,
        "UPDATE catalogue_generation SET value = value + 1 WHERE id = 1",
    )
    .await;
}

/// Werkpad's contract with Boxtel for the year before last (jobcoaching at 82.00 an hour;
/// a year of its own, since on this branch a municipality's contracts may not overlap even
/// across providers), a trajectory ordered from it, accepted and started by Werkpad's
/// staff, and 7.5 hours delivered in February: 615.00 to bill in any later period.
/// Returns the trajectory id.
pub async fn werkpad_in_boxtel(app: &TestApp) -> String {
    let y = last_year() - 1;
    let pricing = app.login_as(WERKPAD_PRICING).await;
    let created = app
        .post_json(&pricing, "/api/v1/contracts", &json!({"municipality": "GM0757", "valid_from": format!("{y}-01-01"), "valid_to": format!("{y}-12-31")}))
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let contract = created.json()["id"].as_str().unwrap().to_string();
    let r = app
        .send_json(
            Method::Put,
            &pricing,
            &format!("/api/v1/contracts/{contract}/lines/WP-JOBCOACH"),
            r#"{"price": "82.00"}"#,
            &[],
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    let r = app
        .send_json(
            Method::Patch,
            &pricing,
            &format!("/api/v1/contracts/{contract}"),
            r#"{"status":"active"}"#,
            &[],
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = crate::ordering::register(app, &cm, "999990020", "M. Jansen").await;
    let placed = app
        .post_json(
            &cm,
            "/api/v1/trajectories",
            &json!({"client_id": client, "buyer_reference": "KM-WP-1", "lines": [
                {"product_code": "WP-JOBCOACH", "start_date": format!("{y}-01-05"), "quantity": "40", "frequency": "total"}
            ]}),
        )
        .await;
    assert_eq!(placed.status, Status::Created, "{}", placed.body);
    let t = placed.json();
    let id = t["id"].as_str().unwrap().to_string();
    let line = t["lines"][0]["id"].as_str().unwrap().to_string();
    let staff = app.login_as(WERKPAD_STAFF).await;
    let r = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectories/{id}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    let r = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectory-lines/{line}/events"),
            &json!({"kind": "start", "date": format!("{y}-01-05")}),
        )
        .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let r = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectory-lines/{line}/deliveries"),
            &json!({"period": format!("{y}-02"), "quantity": "7.5"}),
        )
        .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    id
}

async fn run_as(app: &TestApp, who: &str, period: &str, preview: bool) -> Value {
    let finance = app.login_as(who).await;
    let r = app
        .post_json(
            &finance,
            "/api/v1/invoice-runs",
            &json!({"period": period, "preview": preview}),
        )
        .await;
    assert!(
        r.status == Status::Ok || r.status == Status::Created,
        "{}",
        r.body
    );
    r.json()
}

async fn finalise(app: &TestApp, who: &As, id: &str) -> Value {
    let r = app
        .send_json(
            Method::Post,
            who,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    r.json()
}

fn product_codes(invoice: &Value) -> Vec<String> {
    invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["product_code"].as_str().unwrap().to_string())
        .collect()
}

#[rocket::async_test]
async fn two_providers_keep_their_own_books() {
    let app = TestApp::new().await;
    worked_example(&app).await;
    admit_werkpad(&app).await;
    werkpad_in_boxtel(&app).await;
    let y = last_year();
    let period = format!("{y}-03");
    let year = chrono::Datelike::year(&chrono::Local::now().date_naive());

    // Each provider's preview holds only its own items.
    let wsd_preview = run_as(&app, FINANCE, &period, true).await;
    assert_eq!(wsd_preview["provider"], "WSD");
    assert_eq!(wsd_preview["invoices"][0]["net"], "6567.79");
    let wp_preview = run_as(&app, WERKPAD_FINANCE, &period, true).await;
    assert_eq!(wp_preview["provider"], "WERKPAD");
    assert_eq!(wp_preview["invoices"].as_array().unwrap().len(), 1);
    assert_eq!(wp_preview["invoices"][0]["municipality"], "GM0757");
    assert_eq!(wp_preview["invoices"][0]["lines"], 1);
    assert_eq!(wp_preview["invoices"][0]["net"], "615.00");

    // Werkpad runs first: WSD's items stay unbilled, and WSD's run then bills all of them.
    let wp_run = run_as(&app, WERKPAD_FINANCE, &period, false).await;
    assert_eq!(wp_run["provider"], "WERKPAD");
    let wp_id = wp_run["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let wsd_run = run_as(&app, FINANCE, &period, false).await;
    assert_eq!(wsd_run["invoices"].as_array().unwrap().len(), 1);
    assert_eq!(wsd_run["invoices"][0]["net"], "6567.79");
    let wsd_id = wsd_run["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(
        wp_id, wsd_id,
        "one invoice per provider, municipality and period"
    );
    // Nothing is left for either, and neither finds the other's items to review.
    for who in [FINANCE, WERKPAD_FINANCE] {
        let again = run_as(&app, who, &period, false).await;
        assert!(again["invoices"].as_array().unwrap().is_empty(), "{again}");
        assert!(again["to_review"].as_array().unwrap().is_empty(), "{again}");
    }

    let wsd = app.login_as(FINANCE).await;
    let wp = app.login_as(WERKPAD_FINANCE).await;
    // Independent numbering: each provider's first number of the year.
    let wp_final = finalise(&app, &wp, &wp_id).await;
    assert_eq!(wp_final["number"], format!("WERKPAD-{year}-000001"));
    assert_eq!(wp_final["provider"], "WERKPAD");
    assert_eq!(product_codes(&wp_final), vec!["WP-JOBCOACH"]);
    assert_eq!(wp_final["total"], "615.00");
    let wsd_final = finalise(&app, &wsd, &wsd_id).await;
    assert_eq!(wsd_final["number"], format!("{year}-000001"));
    assert_eq!(wsd_final["provider"], "WSD");
    assert_eq!(wsd_final["lines"].as_array().unwrap().len(), 7);
    assert!(!product_codes(&wsd_final).contains(&"WP-JOBCOACH".to_string()));

    // Neither provider's finance sees the other's invoice: 404, and not in any list.
    for (who, other) in [(&wsd, &wp_id), (&wp, &wsd_id)] {
        for path in [
            format!("/api/v1/invoices/{other}"),
            format!("/api/v1/invoices/{other}/ubl"),
            format!("/api/v1/invoices/{other}/pdf"),
        ] {
            assert_eq!(app.get(who, &path).await.status, Status::NotFound, "{path}");
        }
        let r = app
            .send_json(
                Method::Post,
                who,
                &format!("/api/v1/invoices/{other}/credit"),
                r#"{"reason": "niet van ons"}"#,
                &[],
            )
            .await;
        assert_eq!(r.status, Status::NotFound, "{}", r.body);
        let page = app.get(who, &format!("/facturen/{other}")).await;
        assert_eq!(page.status, Status::NotFound);
    }
    let wsd_list = app.all_items(&wsd, "/api/v1/invoices").await;
    assert_eq!(wsd_list.len(), 1);
    assert_eq!(wsd_list[0]["id"], wsd_id.as_str());
    assert_eq!(wsd_list[0]["provider"], "WSD");
    let wp_list = app.all_items(&wp, "/api/v1/invoices").await;
    assert_eq!(wp_list.len(), 1);
    assert_eq!(wp_list[0]["id"], wp_id.as_str());
    let csv = app
        .get(&wsd, &format!("/api/v1/invoices.csv?period={period}"))
        .await;
    assert!(!csv.body.contains("WERKPAD-"), "{}", csv.body);
    // The finance pages: the list shows only the own invoices with the seller's name.
    let page = app.get(&wp, "/facturen").await;
    assert!(page.body.contains(&format!("WERKPAD-{year}-000001")));
    assert!(page.body.contains("Werkpad Brabant B.V."));
    assert!(
        !page.body.contains(&format!(">{year}-000001<")),
        "{}",
        page.body
    );
    let run_page = app.get(&wp, "/financien").await;
    assert!(run_page.body.contains("Factuurrun Werkpad Brabant B.V."));
    // The municipality sees both providers' final invoices, each naming its seller.
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let mut seen: Vec<String> = app
        .all_items(&cm, "/api/v1/invoices")
        .await
        .iter()
        .map(|i| i["provider"].as_str().unwrap().to_string())
        .collect();
    seen.sort();
    assert_eq!(seen, vec!["WERKPAD", "WSD"]);

    // The UBL names Werkpad as the seller: endpoint, legal entity, VAT number and IBAN.
    let ubl = app.get(&wp, &format!("/api/v1/invoices/{wp_id}/ubl")).await;
    assert_eq!(ubl.status, Status::Ok);
    let supplier = ubl
        .body
        .split("<cac:AccountingSupplierParty>")
        .nth(1)
        .and_then(|rest| rest.split("</cac:AccountingSupplierParty>").next())
        .unwrap()
        .to_string();
    for needle in [
        format!("<cbc:EndpointID schemeID=\"0106\">{WERKPAD_KVK}</cbc:EndpointID>"),
        format!("<cbc:CompanyID schemeID=\"0106\">{WERKPAD_KVK}</cbc:CompanyID>"),
        "<cbc:CompanyID>NL876543210B01</cbc:CompanyID>".to_string(),
        "<cbc:Name>Werkpad Brabant B.V.</cbc:Name>".to_string(),
    ] {
        assert!(supplier.contains(&needle), "missing {needle}\n{supplier}");
    }
    assert!(
        !supplier.contains("17091234"),
        "WSD's KvK on Werkpad's invoice"
    );
    assert!(ubl
        .body
        .contains(&format!("<cbc:ID>{WERKPAD_IBAN}</cbc:ID>")));
    let wsd_ubl = app
        .get(&wsd, &format!("/api/v1/invoices/{wsd_id}/ubl"))
        .await
        .body;
    assert!(wsd_ubl.contains("<cbc:EndpointID schemeID=\"0106\">17091234</cbc:EndpointID>"));
    assert!(wsd_ubl.contains("<cbc:ID>NL91ABNA0417164300</cbc:ID>"));
    // Both real documents go with the samples to the official validator.
    let dir = crate::renditions::einvoice_dir();
    for (name, xml) in [
        ("app-werkpad-invoice", &ubl.body),
        ("app-wsd-invoice", &wsd_ubl),
    ] {
        let file = dir.join(format!("{name}.xml"));
        std::fs::write(&file, xml).unwrap();
        if crate::renditions::validation_wanted() {
            for cen in ["latest", "peppol"] {
                let (code, text) = crate::renditions::validate(&file, cen);
                assert_eq!(
                    code,
                    Some(0),
                    "{} under --cen {cen}:\n{text}",
                    file.display()
                );
            }
        }
    }
    // The PDF's letterhead is Werkpad's.
    let pdf = pdf_bytes(&app, &wp, &wp_id).await;
    assert!(pdf.starts_with(b"%PDF"));

    // A credit note takes the number series of the credited invoice's provider.
    let credit = app
        .post_json(
            &wp,
            &format!("/api/v1/invoices/{wp_id}/credit"),
            &json!({"reason": "uren dubbel geregistreerd"}),
        )
        .await;
    assert_eq!(credit.status, Status::Created, "{}", credit.body);
    assert_eq!(credit.json()["number"], format!("WERKPAD-{year}-000002"));
    assert_eq!(credit.json()["provider"], "WERKPAD");
    // WSD's series went on undisturbed; the books add up per provider and year.
    let rebill = run_as(&app, WERKPAD_FINANCE, &period, false).await;
    assert_eq!(rebill["invoices"][0]["net"], "615.00");
    let findings = plusmarkt::services::integrity::check(&app.db)
        .await
        .unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    let runs: Vec<String> = {
        use sea_orm::EntityTrait;
        plusmarkt::entities::invoice_run::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.provider_code)
            .collect()
    };
    assert_eq!(runs.iter().filter(|p| *p == "WERKPAD").count(), 3);
    assert_eq!(runs.iter().filter(|p| *p == "WSD").count(), 2);
}

#[rocket::async_test]
async fn a_run_bills_the_named_or_own_provider_only() {
    use plusmarkt::domain::period::Period;
    use plusmarkt::domain::principal::Principal;
    use plusmarkt::domain::role::Role;
    use plusmarkt::services::invoicing::{billing_provider, run as run_period};
    let app = TestApp::new().await;
    worked_example(&app).await;
    admit_werkpad(&app).await;
    werkpad_in_boxtel(&app).await;
    let period = Period::parse(&format!("{}-03", last_year())).unwrap();
    let system = Principal::system("test");
    let field = |e: plusmarkt::error::AppError| {
        e.field_errors()
            .iter()
            .map(|f| f.field.clone())
            .collect::<Vec<_>>()
    };
    // The system names the provider; without one, or an unknown one, 422 on `provider`.
    for named in [None, Some("NIEMAND"), Some("")] {
        let e = billing_provider(&app.db, &system, named).await.unwrap_err();
        assert_eq!(field(e), vec!["provider"], "{named:?}");
    }
    // A bound finance user runs their own provider; naming another is refused.
    let werkpad_finance = Principal {
        role: Role::Finance,
        provider: Some("WERKPAD".into()),
        ..Principal::system("werkpad")
    };
    assert_eq!(
        billing_provider(&app.db, &werkpad_finance, None)
            .await
            .unwrap(),
        "WERKPAD"
    );
    let e = billing_provider(&app.db, &werkpad_finance, Some("WSD"))
        .await
        .unwrap_err();
    assert_eq!(field(e), vec!["provider"]);
    // An unbound finance user bills nothing.
    let unbound = Principal {
        provider: None,
        ..werkpad_finance.clone()
    };
    assert!(billing_provider(&app.db, &unbound, None).await.is_err());
    // A refused run writes nothing.
    assert!(run_period(&app.db, &system, None, period).await.is_err());
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        plusmarkt::entities::invoice::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    // The system's run of Werkpad writes Werkpad's invoice only.
    let outcome = run_period(&app.db, &system, Some("WERKPAD"), period)
        .await
        .unwrap();
    assert_eq!(outcome.provider, "WERKPAD");
    assert_eq!(outcome.invoices.len(), 1);
    assert_eq!(outcome.lines_created, 1);
    let stored = plusmarkt::entities::invoice::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].provider_code, "WERKPAD");
}

#[rocket::async_test]
async fn configured_seller_keys_seed_wsds_row_and_the_invoice_shows_it() {
    let app = TestApp::with_config(|c| {
        c.seller.name = Some("Werkvoorzieningsschap De Dommel".into());
        c.seller.kvk = Some("17654321".into());
        c.seller.iban = Some("NL44 RABO 0123 4567 89".into());
    })
    .await;
    let wsd = plusmarkt::store::providers::get(&app.db, "WSD")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(wsd.name, "Werkvoorzieningsschap De Dommel");
    assert_eq!(wsd.kvk, "17654321");
    // The Peppol id was the KvK number and follows it.
    assert_eq!(
        (wsd.peppol_scheme.as_str(), wsd.peppol_id.as_str()),
        ("0106", "17654321")
    );
    assert_eq!(wsd.iban, "NL44RABO0123456789");
    // Keys that are not set leave the row alone.
    assert_eq!(wsd.vat_number, "NL001234567B01");
    assert_eq!(wsd.city, "Boxtel");
    // Applying the same settings again changes nothing.
    let mut seller = plusmarkt::config::Seller {
        name: Some("Werkvoorzieningsschap De Dommel".into()),
        ..Default::default()
    };
    assert!(
        !plusmarkt::store::providers::apply_seller_settings(&app.db, &seller)
            .await
            .unwrap()
    );
    // A wrong value is refused, naming its key, and nothing is written.
    seller.name = Some("Iets anders".into());
    seller.iban = Some("NL00RABO0123456789".into());
    let e = plusmarkt::store::providers::apply_seller_settings(&app.db, &seller)
        .await
        .unwrap_err();
    let fields: Vec<String> = e.field_errors().iter().map(|f| f.field.clone()).collect();
    assert_eq!(fields, vec!["PLUSMARKT_SELLER_IBAN"]);
    let after = plusmarkt::store::providers::get(&app.db, "WSD")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, wsd);

    // The invoice's seller is the row.
    worked_example(&app).await;
    let id = run(&app, &format!("{}-03", last_year()), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let finance = app.login_as(FINANCE).await;
    finalise(&app, &finance, &id).await;
    let ubl = app
        .get(&finance, &format!("/api/v1/invoices/{id}/ubl"))
        .await
        .body;
    assert!(ubl.contains("<cbc:Name>Werkvoorzieningsschap De Dommel</cbc:Name>"));
    assert!(ubl.contains("<cbc:EndpointID schemeID=\"0106\">17654321</cbc:EndpointID>"));
    assert!(ubl.contains("<cbc:ID>NL44RABO0123456789</cbc:ID>"));
}

/// Sets the invoice run's lease as if another run held it until `expires_at`.
async fn hold_run_lease(app: &TestApp, holder: &str, expires_at: chrono::DateTime<chrono::Utc>) {
    use sea_orm::ConnectionTrait;
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            plusmarkt::store::db::placeholder(
                backend,
                "UPDATE locks SET holder = $1, expires_at = $2 WHERE name = 'invoice-run'",
            ),
            [holder.into(), expires_at.into()],
        ))
        .await
        .unwrap();
}

async fn runs_of(app: &TestApp, period: &str) -> usize {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    plusmarkt::entities::invoice_run::Entity::find()
        .filter(plusmarkt::entities::invoice_run::Column::Period.eq(period))
        .all(&app.db)
        .await
        .unwrap()
        .len()
}

#[rocket::async_test]
async fn a_run_waits_for_the_run_that_holds_the_lease_and_takes_over_a_lapsed_one() {
    let app = TestApp::new().await;
    worked_example(&app).await;
    let period = format!("{}-12", last_year());
    let now = chrono::Utc::now();

    // A run that was killed: its lease lapsed a moment ago. The next run takes it over.
    hold_run_lease(&app, "killed-run", now - chrono::Duration::seconds(1)).await;
    let first = run(&app, &period, false).await;
    assert!(!first["invoices"].as_array().unwrap().is_empty(), "{first}");

    // A run in progress elsewhere: the next run waits until it is done, then finds
    // nothing new to bill.
    hold_run_lease(&app, "running-run", now + chrono::Duration::seconds(60)).await;
    let waiting = run(&app, &period, false);
    let other_finishes = async {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert_eq!(
            runs_of(&app, &period).await,
            1,
            "the second run waits for the lease"
        );
        use sea_orm::ConnectionTrait;
        app.db
            .execute_unprepared("UPDATE locks SET holder = NULL, expires_at = NULL")
            .await
            .unwrap();
    };
    let (second, ()) = futures::future::join(waiting, other_finishes).await;
    assert!(
        second["invoices"].as_array().unwrap().is_empty(),
        "{second}"
    );
    assert_eq!(runs_of(&app, &period).await, 2);

    // A finished run gives the lease back.
    use sea_orm::ConnectionTrait;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT holder FROM locks WHERE name = 'invoice-run'",
        ))
        .await
        .unwrap()
        .unwrap();
    let holder: Option<String> = row.try_get("", "holder").unwrap();
    assert_eq!(holder, None);
}

/// The tables whose rows grow with the data (every order, registration and invoice line).
const GROWING_TABLES: [&str; 8] = [
    "trajectories",
    "trajectory_lines",
    "line_events",
    "deliveries",
    "clients",
    "invoices",
    "invoice_lines",
    "billing_claims",
];

/// What SQLite plans for `sql` (parameters unbound), one line per step.
async fn sqlite_plan(app: &TestApp, sql: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db.get_database_backend();
    app.db
        .query_all_raw(Statement::from_string(
            backend,
            format!("EXPLAIN QUERY PLAN {sql}"),
        ))
        .await
        .unwrap_or_else(|e| panic!("EXPLAIN QUERY PLAN {sql}: {e}"))
        .iter()
        .map(|row| row.try_get::<String>("", "detail").expect("detail"))
        .collect()
}

/// A run reads, per municipality, one provider's trajectories and invoices. SQLite without
/// statistics (a fresh installation never has any) once took the provider's own index for
/// those reads, which at WSD holds every row: the run then grew with the square of the data
/// (benches/ANALYSIS.md, thirteenth session). No read of a preview or a run may search a
/// growing table by the provider alone, or scan one.
#[rocket::async_test]
async fn a_run_reads_each_municipality_through_an_index_of_its_own() {
    let app = TestApp::on_sqlite_file().await;
    worked_example(&app).await;
    let period = format!("{}-03", last_year());
    let (mut statements, _) = app.queries(run(&app, &period, true)).await;
    let (written, outcome) = app.queries(run(&app, &period, false)).await;
    assert_eq!(outcome["invoices"].as_array().unwrap().len(), 1);
    statements.extend(written);
    let mut read = 0;
    for sql in statements.iter().filter(|s| {
        let s = s.trim_start().to_ascii_uppercase();
        s.starts_with("SELECT") || s.starts_with("WITH")
    }) {
        let plan = sqlite_plan(&app, sql).await;
        for step in &plan {
            let by_provider_alone = step.ends_with("(provider_code=?)");
            // "SCAN t" names the table or, in a join, its alias (the run's are one letter).
            let scanned = step
                .strip_prefix("SCAN ")
                .and_then(|rest| rest.split_whitespace().next());
            let scans_growing =
                scanned.is_some_and(|t| GROWING_TABLES.contains(&t) || t.len() <= 2);
            assert!(
                !by_provider_alone && !scans_growing,
                "{step}\nin the plan of {sql}\n{plan:#?}"
            );
        }
        read += 1;
    }
    assert!(read > 10, "only {read} reads were planned");
}
