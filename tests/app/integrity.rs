//! `plusmarkt check`: a clean database after the worked example passes, and each kind of
//! corruption, done by hand with SQL as a careless operator or a forger would, is reported
//! (and only as what it is).

use std::collections::BTreeSet;

use chrono::Datelike;
use plusmarkt::services::integrity::{check, Check, Finding};
use rocket::http::{Method, Status};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::harness::*;
use crate::invoicing::{run, worked_example};
use crate::registration::last_year;

/// The worked example settled: March invoiced and finalised (number 1), the jobcoaching
/// line credited (number 2), the invoice sent, and that line billed again on a new draft.
pub struct Settled {
    pub invoice: String,
    pub credit_note: String,
    pub draft: String,
}

pub async fn settled(app: &TestApp) -> Settled {
    let lines = worked_example(app).await;
    let y = last_year();
    let invoice = run(app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let finance = app.login_as(FINANCE).await;
    let finalised = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{invoice}/finalise"),
            "",
            &[],
        )
        .await;
    assert_eq!(finalised.status, Status::Ok, "{}", finalised.body);
    let jobcoach = finalised.json()["lines"]
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
            &format!("/api/v1/invoices/{invoice}/credit"),
            &json!({"line_ids": [jobcoach], "reason": "dubbel geregistreerd"}),
        )
        .await;
    assert_eq!(credit.status, Status::Created, "{}", credit.body);
    let credit_note = credit.json()["id"].as_str().unwrap().to_string();
    let sent = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{invoice}/send"),
            "",
            &[],
        )
        .await;
    assert_eq!(sent.status, Status::Ok, "{}", sent.body);
    let draft = run(app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    Settled {
        invoice,
        credit_note,
        draft,
    }
}

/// The year the numbers were issued in.
fn issue_year() -> i32 {
    chrono::Local::now().date_naive().year()
}

/// Changes the database behind the application's back.
async fn sql(app: &TestApp, statement: &str) {
    let backend = app.db.get_database_backend();
    let result = app
        .db
        .execute_raw(Statement::from_string(backend, statement.to_string()))
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    assert!(result.rows_affected() >= 1, "{statement} changed nothing");
}

async fn one_string(app: &TestApp, query: &str, column: &str) -> String {
    let backend = app.db.get_database_backend();
    app.db
        .query_one_raw(Statement::from_string(backend, query.to_string()))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no row: {query}"))
        .try_get("", column)
        .unwrap()
}

/// The Werkfit line of an invoice (exempt from VAT, never credited in `settled`).
async fn werkfit_line(app: &TestApp, invoice: &str) -> String {
    one_string(
        app,
        &format!(
            "SELECT id FROM invoice_lines WHERE invoice_id = '{invoice}' \
             AND product_code = 'REI-WERKFIT' ORDER BY position LIMIT 1"
        ),
        "id",
    )
    .await
}

fn listing(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("\n  {f}"))
        .collect::<String>()
}

/// Checks and asserts exactly these kinds of finding; returns them.
async fn assert_found(app: &TestApp, expected: &[Check]) -> Vec<Finding> {
    let findings = check(&app.db).await.expect("the check runs");
    let kinds: BTreeSet<Check> = findings.iter().map(|f| f.check).collect();
    let expected: BTreeSet<Check> = expected.iter().copied().collect();
    assert_eq!(kinds, expected, "findings:{}", listing(&findings));
    findings
}

const LINE_COLUMNS: &str = "trajectory_line_id, trajectory_id, trajectory_number, contract_id, \
    product_code, product_name, description, client_ref, buyer_reference, service_period, \
    service_start, service_end, quantity_thousandths, unit, unit_price_cents, net_cents, \
    vat_category, vat_rate, vat_exemption_reason, credits_line_id";

#[rocket::async_test]
async fn a_clean_database_after_the_worked_example_passes() {
    let app = TestApp::new().await;
    settled(&app).await;
    assert_found(&app, &[]).await;
}

#[rocket::async_test]
async fn a_billed_item_on_a_second_line_is_reported() {
    let app = TestApp::new().await;
    let s = settled(&app).await;
    let line = werkfit_line(&app, &s.invoice).await;
    let key = one_string(
        &app,
        &format!("SELECT billable_key FROM invoice_lines WHERE id = '{line}'"),
        "billable_key",
    )
    .await;
    // The same item once more, on the open draft, past the claims table.
    sql(
        &app,
        &format!(
            "INSERT INTO invoice_lines (id, invoice_id, position, billable_key, {LINE_COLUMNS}) \
             SELECT 'dubbel-1', '{}', position + 100, billable_key, {LINE_COLUMNS} \
             FROM invoice_lines WHERE id = '{line}'",
            s.draft
        ),
    )
    .await;
    // The draft's totals no longer match its lines either.
    let findings = assert_found(&app, &[Check::DoubleBilling, Check::Totals]).await;
    assert!(
        findings
            .iter()
            .any(|f| f.check == Check::DoubleBilling && f.message.contains(&key)),
        "{}",
        listing(&findings)
    );
}

#[rocket::async_test]
async fn a_gap_in_the_invoice_numbers_is_reported() {
    let app = TestApp::new().await;
    let s = settled(&app).await;
    let year = issue_year();
    sql(
        &app,
        &format!(
            "UPDATE invoices SET number = '{year}-000003' WHERE id = '{}'",
            s.credit_note
        ),
    )
    .await;
    // The number is part of what a final document says, so its hash breaks as well.
    let findings = assert_found(&app, &[Check::Numbering, Check::FinalChanged]).await;
    let numbering: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check == Check::Numbering)
        .collect();
    assert!(
        numbering
            .iter()
            .any(|f| f.message.contains(&format!("{year}")) && f.message.contains("2 ontbreekt")),
        "{}",
        listing(&findings)
    );
}

#[rocket::async_test]
async fn a_changed_amount_on_a_final_invoice_is_reported_even_with_matching_totals() {
    let app = TestApp::new().await;
    let s = settled(&app).await;
    let line = werkfit_line(&app, &s.invoice).await;
    // A forger keeps the totals consistent (the line is exempt: no VAT changes).
    sql(
        &app,
        &format!("UPDATE invoice_lines SET net_cents = net_cents + 100 WHERE id = '{line}'"),
    )
    .await;
    sql(
        &app,
        &format!(
            "UPDATE invoices SET net_cents = net_cents + 100, total_cents = total_cents + 100 \
             WHERE id = '{}'",
            s.invoice
        ),
    )
    .await;
    let findings = assert_found(&app, &[Check::FinalChanged]).await;
    assert!(
        findings[0]
            .message
            .contains(&format!("factuur {}-000001", issue_year())),
        "{}",
        listing(&findings)
    );
}

#[rocket::async_test]
async fn a_broken_audit_event_is_reported() {
    let app = TestApp::new().await;
    settled(&app).await;
    sql(
        &app,
        "UPDATE audit_events SET actor = 'iemand anders' WHERE seq = 5",
    )
    .await;
    let findings = assert_found(&app, &[Check::Audit]).await;
    assert!(
        findings[0].message.contains("gebeurtenis 5"),
        "{}",
        listing(&findings)
    );
}

#[rocket::async_test]
async fn a_sent_invoice_without_its_mail_is_reported() {
    let app = TestApp::new().await;
    settled(&app).await;
    sql(&app, "DELETE FROM outbox WHERE related_entity = 'invoice'").await;
    let findings = assert_found(&app, &[Check::Outbox]).await;
    assert!(
        findings[0].message.contains("is verzonden"),
        "{}",
        listing(&findings)
    );
}

/// Runs the real command line against the test database.
async fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    cli_on(&app.database_url, args).await
}

async fn cli_on(database_url: &str, args: &[&str]) -> std::process::Output {
    use base64::Engine;
    tokio::process::Command::new(env!("CARGO_BIN_EXE_plusmarkt"))
        .args(args)
        .env("PLUSMARKT_DATABASE_URL", database_url)
        .env("PLUSMARKT_BSN_KEY", "2a".repeat(32))
        .env(
            "ROCKET_SECRET_KEY",
            base64::engine::general_purpose::STANDARD.encode([7u8; 64]),
        )
        .output()
        .await
        .expect("plusmarkt runs")
}

#[rocket::async_test]
async fn the_check_command_prints_findings_in_dutch_and_fails_on_any() {
    let app = TestApp::on_file().await;
    settled(&app).await;
    let clean = cli(&app, &["check"]).await;
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert!(
        clean.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(stdout.contains("database in orde"), "{stdout}");
    sql(&app, "DELETE FROM outbox WHERE related_entity = 'invoice'").await;
    let broken = cli(&app, &["check"]).await;
    let stdout = String::from_utf8_lossy(&broken.stdout);
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert_eq!(broken.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "uitgaande post: factuur {}-000001 is verzonden",
            issue_year()
        )),
        "{stdout}"
    );
    assert!(stderr.contains("1 bevinding(en)"), "{stderr}");
    // A database that is not there is an error, not an empty database that passes.
    let missing = std::env::temp_dir().join(format!(
        "plusmarkt-missing-{}.sqlite",
        uuid::Uuid::new_v4().simple()
    ));
    let reply = cli_on(
        &format!("sqlite://{}?mode=rwc", missing.display()),
        &["check"],
    )
    .await;
    assert_eq!(reply.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&reply.stderr).contains("bestaat niet"));
    assert!(!missing.exists());
}

#[rocket::async_test]
async fn the_backup_command_copies_sqlite_and_points_postgresql_to_pg_dump() {
    let app = TestApp::on_file().await;
    let target = std::env::temp_dir().join(format!(
        "plusmarkt-cli-backup-{}.sqlite",
        uuid::Uuid::new_v4().simple()
    ));
    let file = target.to_str().unwrap();
    let reply = cli(&app, &["backup", file]).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&reply.stdout),
        String::from_utf8_lossy(&reply.stderr),
    );
    if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        assert_eq!(reply.status.code(), Some(1), "{stdout}{stderr}");
        assert!(stderr.contains("pg_dump -Fc"), "{stderr}");
        return;
    }
    assert!(reply.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("reservekopie geschreven"), "{stdout}");
    let copy = format!("sqlite://{file}");
    assert!(cli_on(&copy, &["check"]).await.status.success());
    let again = cli(&app, &["backup", file]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("bestaat al"));
    std::fs::remove_file(&target).ok();
}
