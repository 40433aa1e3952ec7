//! Settlement arrangements (issue 23): a volume guarantee with its true-up and a budget
//! with advances, each run month by month through a whole past year and checked to the
//! cent after every run, with late work, hand credits, the fixed form, the yearly copy,
//! and the e-invoices of a true-up, an advance and a reconciliation credit note.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::harness::*;
use crate::ordering::{register, BSN_A};
use crate::registration::{delivery, event, last_year};

const VUGHT: &str = "GM0865";
const BOXTEL: &str = "GM0757";

/// A contract of last year with jobcoaching (87.50 an hour) and Planregie, both exempt,
/// settled as `settlement`; active.
async fn settling_contract(app: &TestApp, municipality: &str, settlement: Value) -> String {
    let y = last_year();
    let pricing = app.login_as(PRICING).await;
    let mut body = json!({"municipality": municipality, "valid_from": format!("{y}-01-01"), "valid_to": format!("{y}-12-31")});
    for (k, v) in settlement.as_object().unwrap() {
        body[k] = v.clone();
    }
    let created = app.post_json(&pricing, "/api/v1/contracts", &body).await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    for (code, price) in [("JOBCOACH-UUR", "87.50"), ("PLANREGIE-MAAND", "1200.00")] {
        let r = app
            .send_json(
                Method::Put,
                &pricing,
                &format!("/api/v1/contracts/{id}/lines/{code}"),
                &json!({ "price": price }).to_string(),
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
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    id
}

/// A trajectory of 200 hours of jobcoaching from 5 January, accepted and started; returns
/// its line id.
async fn jobcoaching(app: &TestApp, casemanager: &str) -> String {
    let y = last_year();
    let cm = app.login_as(casemanager).await;
    let client = register(app, &cm, BSN_A, "J. de Vries").await;
    let placed = app
        .post_json(
            &cm,
            "/api/v1/trajectories",
            &json!({"client_id": client, "buyer_reference": "KM-SETTLE", "lines": [
                {"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-01-05"), "quantity": "200", "frequency": "total"}
            ]}),
        )
        .await;
    assert_eq!(placed.status, Status::Created, "{}", placed.body);
    let t = placed.json();
    let staff = app.login_as(WSD_STAFF).await;
    let id = t["id"].as_str().unwrap();
    let r = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectories/{id}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    let line = t["lines"][0]["id"].as_str().unwrap().to_string();
    let r = event(
        app,
        &line,
        json!({"kind": "start", "date": format!("{y}-01-05")}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    line
}

async fn hours(app: &TestApp, line: &str, period: &str, quantity: &str) {
    let r = delivery(app, line, json!({"period": period, "quantity": quantity})).await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
}

async fn run(app: &TestApp, period: &str) -> Value {
    let finance = app.login_as(FINANCE).await;
    let r = app
        .post_json(&finance, "/api/v1/invoice-runs", &json!({"period": period}))
        .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    r.json()
}

async fn invoice(app: &TestApp, id: &str) -> Value {
    let finance = app.login_as(FINANCE).await;
    let r = app.get(&finance, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    r.json()
}

async fn finalise(app: &TestApp, id: &str) -> Reply {
    let finance = app.login_as(FINANCE).await;
    app.send_json(
        Method::Post,
        &finance,
        &format!("/api/v1/invoices/{id}/finalise"),
        "",
        &[],
    )
    .await
}

async fn contract(app: &TestApp, id: &str) -> Value {
    let pricing = app.login_as(PRICING).await;
    let r = app.get(&pricing, &format!("/api/v1/contracts/{id}")).await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    r.json()
}

fn cents(v: &Value) -> i64 {
    let text = v.as_str().unwrap_or_else(|| panic!("not an amount: {v}"));
    let (euros, rest) = text.split_once('.').unwrap_or((text, "00"));
    let negative = euros.starts_with('-');
    let value =
        euros.trim_start_matches('-').parse::<i64>().unwrap() * 100 + rest.parse::<i64>().unwrap();
    if negative {
        -value
    } else {
        value
    }
}

/// Every invoice's totals equal the sum of its lines, and VAT is per category on them.
fn assert_totals_add_up(inv: &Value) {
    let lines = inv["lines"].as_array().unwrap();
    let net: i64 = lines.iter().map(|l| cents(&l["net"])).sum();
    assert_eq!(cents(&inv["net"]), net, "{inv}");
    assert_eq!(
        cents(&inv["total"]),
        cents(&inv["net"]) + cents(&inv["vat"]),
        "{inv}"
    );
}

fn lines_of_kind<'a>(inv: &'a Value, kind: &str) -> Vec<&'a Value> {
    inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == kind)
        .collect()
}

/// The run's draft invoice and credit notes for a municipality.
fn drafts(outcome: &Value, municipality: &str) -> (Option<String>, Vec<String>) {
    let invoice = outcome["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["municipality"] == municipality)
        .and_then(|i| i["invoice_id"].as_str().map(str::to_string));
    let notes = outcome["credit_notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["municipality"] == municipality)
        .flat_map(|c| c["credit_note_ids"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    (invoice, notes)
}

/// The volume-guarantee invariant: billed delivery + true-up = max(guarantee, delivery).
async fn assert_guarantee_holds(app: &TestApp, contract_id: &str) {
    let c = contract(app, contract_id).await;
    let p = &c["settlement_progress"];
    let delivery = cents(&p["billed"]);
    let true_up = cents(&p["true_up_billed"]);
    let guaranteed = cents(&p["guaranteed_amount"]);
    assert_eq!(delivery + true_up, guaranteed.max(delivery), "{p}");
}

fn save_einvoice(name: &str, xml: &str) {
    let file = crate::renditions::einvoice_dir().join(format!("{name}.xml"));
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

#[rocket::async_test]
async fn a_volume_guarantee_year_is_topped_up_once_and_late_work_credits_the_difference() {
    let app = TestApp::new().await;
    let y = last_year();
    let contract_id = settling_contract(
        &app,
        BOXTEL,
        json!({"settlement": "volume_guarantee", "guaranteed_amount": "12000.00"}),
    )
    .await;
    let line = jobcoaching(&app, CASEMANAGER_BOXTEL).await;
    // 8 hours a month in January to November: 700.00 a month, 7,700.00 in all.
    for m in 1..=11 {
        hours(&app, &line, &format!("{y}-{m:02}"), "8").await;
    }
    let mut invoices = Vec::new();
    for m in 1..=12 {
        let outcome = run(&app, &format!("{y}-{m:02}")).await;
        let (invoice_id, notes) = drafts(&outcome, BOXTEL);
        assert!(notes.is_empty(), "month {m}: {outcome}");
        let id = invoice_id.unwrap_or_else(|| panic!("month {m}: no invoice: {outcome}"));
        assert_eq!(finalise(&app, &id).await.status, Status::Ok);
        let inv = invoice(&app, &id).await;
        assert_totals_add_up(&inv);
        let true_ups = lines_of_kind(&inv, "true_up");
        if m < 12 {
            assert_eq!(cents(&inv["net"]), 70000, "month {m}: {inv}");
            assert!(
                true_ups.is_empty(),
                "no true-up before the last month: {inv}"
            );
        } else {
            // December: no delivery, and the shortfall 12,000.00 − 7,700.00.
            assert_eq!(true_ups.len(), 1, "{inv}");
            assert_eq!(true_ups[0]["net"], "4300.00");
            assert_eq!(
                true_ups[0]["description"],
                format!("Aanvulling volumegarantie {y}")
            );
            assert_eq!(true_ups[0]["vat_category"], "exempt");
            assert_eq!(
                true_ups[0]["settlement_terms"]["guaranteed_amount"],
                "12000.00"
            );
            assert_eq!(cents(&inv["total"]), 430000);
        }
        if m == 12 {
            assert_guarantee_holds(&app, &contract_id).await;
        } else {
            let p = contract(&app, &contract_id).await["settlement_progress"].clone();
            assert_eq!(p["true_up_billed"], "0.00", "{p}");
            assert_eq!(cents(&p["billed"]), 70000 * m, "{p}");
        }
        invoices.push(id);
    }
    let finance = app.login_as(FINANCE).await;
    let december = invoices.last().unwrap().clone();
    let ubl = app
        .get(&finance, &format!("/api/v1/invoices/{december}/ubl"))
        .await;
    assert_eq!(ubl.status, Status::Ok);
    assert!(ubl.body.contains("VOLUMEGARANTIE"), "{}", ubl.body);
    save_einvoice("settlement-true-up-invoice", &ubl.body);

    // A volume guarantee has no ledger to book on.
    let manual = app
        .post_json(
            &finance,
            &format!("/api/v1/contracts/{contract_id}/ledger"),
            &json!({"amount": "10.00", "reason": "proef"}),
        )
        .await;
    assert_eq!(manual.status, Status::Conflict, "{}", manual.body);

    // A second run of December bills nothing more.
    let again = run(&app, &format!("{y}-12")).await;
    assert!(
        again["settlement"].as_array().unwrap().is_empty(),
        "{again}"
    );

    // Four hours of November registered late: the January run bills them and credits
    // 350.00 of the true-up, citing December's invoice.
    hours(&app, &line, &format!("{y}-11"), "4").await;
    let outcome = run(&app, &format!("{}-01", y + 1)).await;
    let (invoice_id, notes) = drafts(&outcome, BOXTEL);
    let invoice_id = invoice_id.expect("the late hours are billed");
    assert_eq!(notes.len(), 1, "{outcome}");
    let note = invoice(&app, &notes[0]).await;
    assert_eq!(note["kind"], "credit_note");
    assert_eq!(lines_of_kind(&note, "true_up")[0]["net"], "350.00");
    assert_eq!(note["credits_invoice_id"], december.as_str());
    assert_totals_add_up(&note);
    // The credit note waits for the invoice it cites when that is still a draft; here it
    // is final, so both can be finalised.
    assert_eq!(finalise(&app, &invoice_id).await.status, Status::Ok);
    assert_eq!(finalise(&app, &notes[0]).await.status, Status::Ok);
    assert_guarantee_holds(&app, &contract_id).await;
    let p = contract(&app, &contract_id).await["settlement_progress"].clone();
    assert_eq!(
        (p["billed"].as_str(), p["true_up_billed"].as_str()),
        (Some("8050.00"), Some("3950.00"))
    );
    let ubl = app
        .get(&finance, &format!("/api/v1/invoices/{}/ubl", notes[0]))
        .await;
    assert!(ubl.body.contains("<CreditNote"), "{}", ubl.body);
    save_einvoice("settlement-true-up-credit-note", &ubl.body);

    // Finance credits the late delivery line by hand: the true-up goes up again in the next
    // run as the delivery is billed again (rebill), and the sum stays the guarantee.
    let late = invoice(&app, &invoice_id).await;
    let delivery_line = lines_of_kind(&late, "delivery")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let credit = app
        .post_json(
            &finance,
            &format!("/api/v1/invoices/{invoice_id}/credit"),
            &json!({"line_ids": [delivery_line], "reason": "verkeerde maand"}),
        )
        .await;
    assert_eq!(credit.status, Status::Created, "{}", credit.body);
    let outcome = run(&app, &format!("{}-02", y + 1)).await;
    let (invoice_id, _) = drafts(&outcome, BOXTEL);
    let feb = invoice(&app, &invoice_id.expect("rebilled")).await;
    assert_eq!(lines_of_kind(&feb, "delivery").len(), 1);
    assert!(lines_of_kind(&feb, "true_up").is_empty(), "{feb}");
    assert_guarantee_holds(&app, &contract_id).await;
}

#[rocket::async_test]
async fn a_budget_year_is_invoiced_in_advances_and_unused_budget_is_returned() {
    let app = TestApp::new().await;
    let y = last_year();
    let contract_id = settling_contract(
        &app,
        VUGHT,
        json!({"settlement": "budget", "budget_amount": "12000.00", "advance_schedule": "monthly", "refund_unused": true}),
    )
    .await;
    let line = jobcoaching(&app, CASEMANAGER_VUGHT).await;
    // 8 hours a month in January to October: valued at 7,000.00, never billed line by line.
    for m in 1..=10 {
        hours(&app, &line, &format!("{y}-{m:02}"), "8").await;
    }
    let mut december = String::new();
    let mut first_advance = String::new();
    let mut advances = 0;
    for m in 1..=12 {
        let outcome = run(&app, &format!("{y}-{m:02}")).await;
        let (invoice_id, notes) = drafts(&outcome, VUGHT);
        let id = invoice_id.unwrap_or_else(|| panic!("month {m}: {outcome}"));
        let inv = invoice(&app, &id).await;
        assert_totals_add_up(&inv);
        assert!(lines_of_kind(&inv, "delivery").is_empty(), "{inv}");
        let advance = lines_of_kind(&inv, "advance");
        assert_eq!(advance.len(), 1, "{inv}");
        assert_eq!(advance[0]["net"], "1000.00");
        advances += cents(&advance[0]["net"]);
        if m == 1 {
            first_advance = id.clone();
        }
        if m == 3 {
            assert_eq!(advance[0]["description"], format!("Voorschot maart {y}"));
        }
        if m < 12 {
            assert!(notes.is_empty(), "{outcome}");
            assert_eq!(finalise(&app, &id).await.status, Status::Ok);
        } else {
            // December: the last advance and a credit note returning 12,000 − 7,000.
            assert_eq!(notes.len(), 1, "{outcome}");
            let note = invoice(&app, &notes[0]).await;
            let rec = lines_of_kind(&note, "reconciliation");
            assert_eq!(rec.len(), 1, "{note}");
            assert_eq!(rec[0]["net"], "5000.00");
            assert_eq!(rec[0]["description"], format!("Verrekening budget {y}"));
            assert_eq!(note["period"], format!("{y}-12"));
            assert_eq!(note["credits_invoice_id"], id.as_str());
            // The credit note cites December's invoice, which must be final first.
            assert_eq!(finalise(&app, &notes[0]).await.status, Status::Conflict);
            assert_eq!(finalise(&app, &id).await.status, Status::Ok);
            assert_eq!(finalise(&app, &notes[0]).await.status, Status::Ok);
            december = notes[0].clone();
        }
        if m == 6 {
            // Before the last month the contract shows advances against delivered value.
            let p = contract(&app, &contract_id).await["settlement_progress"].clone();
            assert_eq!(p["billed"], "6000.00", "{p}");
            assert_eq!(p["delivered_value"], "4200.00", "{p}");
            assert_eq!(p["shortfall_or_unused_to_date"], "1800.00", "{p}");
            assert_eq!(p["budget_amount"], "12000.00");
        }
    }
    assert_eq!(advances, 1_200_000, "the advances add up to the budget");
    let finance = app.login_as(FINANCE).await;
    let ubl = app
        .get(&finance, &format!("/api/v1/invoices/{december}/ubl"))
        .await;
    assert!(ubl.body.contains("<CreditNote"), "{}", ubl.body);
    assert!(ubl.body.contains("VERREKENING"));
    save_einvoice("settlement-reconciliation-credit-note", &ubl.body);
    let pdf = app
        .get_bytes(&finance, &format!("/api/v1/invoices/{december}/pdf"), &[])
        .await;
    assert!(pdf.body.starts_with(b"%PDF"));

    // Late work of November lowers the return: the next run bills 350.00 back.
    hours(&app, &line, &format!("{y}-11"), "4").await;
    let outcome = run(&app, &format!("{}-01", y + 1)).await;
    let (invoice_id, notes) = drafts(&outcome, VUGHT);
    assert!(notes.is_empty(), "{outcome}");
    let inv = invoice(&app, &invoice_id.expect("billed back")).await;
    let rec = lines_of_kind(&inv, "reconciliation");
    assert_eq!(rec.len(), 1, "{inv}");
    assert_eq!(rec[0]["net"], "350.00");
    // advances + reconciliation = min(budget, delivered), and the ledger balances.
    let p = contract(&app, &contract_id).await["settlement_progress"].clone();
    assert_eq!(p["delivered_value"], "7350.00", "{p}");
    assert_eq!(p["returned"], "4650.00", "{p}");
    assert_eq!(p["balance"], "0.00", "{p}");
    assert_eq!(cents(&p["billed"]) - cents(&p["returned"]), 735_000);

    let ubl = app
        .get(&finance, &format!("/api/v1/invoices/{first_advance}/ubl"))
        .await;
    assert!(ubl.body.contains("VOORSCHOT"), "{}", ubl.body);
    save_einvoice("settlement-advance-invoice", &ubl.body);

    // Finance books an agreed deduction by hand: the next run returns that much less.
    let ledger_path = format!("/api/v1/contracts/{contract_id}/ledger");
    let bad = app
        .post_json(
            &finance,
            &ledger_path,
            &json!({"amount": "0", "reason": " "}),
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity, "{}", bad.body);
    assert_eq!(
        error_fields(&bad),
        vec!["amount".to_string(), "reason".to_string()]
    );
    let entry = app
        .post_json(
            &finance,
            &ledger_path,
            &json!({"amount": "-100.00", "reason": "afgesproken: administratiekosten"}),
        )
        .await;
    assert_eq!(entry.status, Status::Created, "{}", entry.body);
    let outcome = run(&app, &format!("{}-02", y + 1)).await;
    let (invoice_id, notes) = drafts(&outcome, VUGHT);
    assert!(notes.is_empty(), "{outcome}");
    let inv = invoice(&app, &invoice_id.expect("100.00 billed back")).await;
    assert_eq!(lines_of_kind(&inv, "reconciliation")[0]["net"], "100.00");
    let ledger = app.get(&finance, &ledger_path).await;
    assert_eq!(ledger.status, Status::Ok, "{}", ledger.body);
    let ledger = ledger.json();
    assert_eq!(ledger["balance"], "0.00", "{ledger}");
    let entries = ledger["entries"].as_array().unwrap();
    let sum: i64 = entries.iter().map(|e| cents(&e["amount"])).sum();
    assert_eq!(sum, 0);
    assert!(entries
        .iter()
        .any(|e| e["kind"] == "manual" && e["reason"] == "afgesproken: administratiekosten"));
    assert_eq!(
        entries.iter().filter(|e| e["kind"] == "advance").count(),
        12
    );
}

async fn patch(app: &TestApp, id: &str, body: Value) -> Reply {
    let pricing = app.login_as(PRICING).await;
    app.send_json(
        Method::Patch,
        &pricing,
        &format!("/api/v1/contracts/{id}"),
        &body.to_string(),
        &[],
    )
    .await
}

fn error_fields(reply: &Reply) -> Vec<String> {
    reply.json()["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[rocket::async_test]
async fn the_form_is_chosen_on_a_draft_fixed_once_active_and_kept_indexed_in_the_copy() {
    let app = TestApp::new().await;
    let y = last_year() - 1;
    let pricing = app.login_as(PRICING).await;
    let period = json!({"municipality": BOXTEL, "valid_from": format!("{y}-01-01"), "valid_to": format!("{y}-12-31")});
    let with = |extra: Value| {
        let mut body = period.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    // All errors at once, each on its field; nothing is made.
    let bad = app
        .post_json(
            &pricing,
            "/api/v1/contracts",
            &with(json!({"settlement": "budget", "guaranteed_amount": "100.00"})),
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity, "{}", bad.body);
    let fields = error_fields(&bad);
    assert!(
        fields.contains(&"budget_amount".to_string()),
        "{}",
        bad.body
    );
    assert!(
        fields.contains(&"guaranteed_amount".to_string()),
        "{}",
        bad.body
    );
    let unknown = app
        .post_json(
            &pricing,
            "/api/v1/contracts",
            &with(json!({"settlement": "cafetaria"})),
        )
        .await;
    assert_eq!(unknown.status, Status::UnprocessableEntity);
    assert_eq!(
        error_fields(&unknown),
        vec!["settlement".to_string()],
        "{}",
        unknown.body
    );
    let before = plusmarkt::store::contracts::of_municipality(&app.db, BOXTEL)
        .await
        .unwrap()
        .len();
    assert_eq!(
        before,
        plusmarkt::store::contracts::of_municipality(&app.db, BOXTEL)
            .await
            .unwrap()
            .len()
    );

    // A draft changes its form freely; the old form's amounts go.
    let created = app
        .post_json(
            &pricing,
            "/api/v1/contracts",
            &with(json!({"settlement": "volume_guarantee", "guaranteed_amount": "10000.00"})),
        )
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let c = created.json();
    assert_eq!(
        (c["settlement"].as_str(), c["guaranteed_amount"].as_str()),
        (Some("volume_guarantee"), Some("10000.00"))
    );
    let id = c["id"].as_str().unwrap().to_string();
    let r = patch(&app, &id, json!({"settlement": "budget", "budget_amount": "5000.00", "advance_schedule": "quarterly"})).await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    let c = r.json();
    assert_eq!(c["settlement"], "budget");
    assert_eq!(c["guaranteed_amount"], Value::Null);
    assert_eq!(c["advance_schedule"], "quarterly");

    // One VAT category: a standard-rated product next to an exempt one is refused.
    for (code, want) in [
        ("JOBCOACH-UUR", Status::Ok),
        ("LOONWAARDEMETING", Status::UnprocessableEntity),
    ] {
        let r = app
            .send_json(
                Method::Put,
                &pricing,
                &format!("/api/v1/contracts/{id}/lines/{code}"),
                r#"{"price":"100.00"}"#,
                &[],
            )
            .await;
        assert_eq!(r.status, want, "{code}: {}", r.body);
        if want != Status::Ok {
            assert_eq!(error_fields(&r), vec!["product_code".to_string()]);
            assert!(r.body.contains("btw"), "{}", r.body);
        }
    }

    let r = patch(&app, &id, json!({"settlement": "volume_guarantee", "guaranteed_amount": "10000.00", "status": "active"})).await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    // Fixed once active: a new amount or form is a conflict, the same terms are no change.
    for body in [
        json!({"guaranteed_amount": "9000.00"}),
        json!({"settlement": "product_price"}),
    ] {
        let r = patch(&app, &id, body.clone()).await;
        assert_eq!(r.status, Status::Conflict, "{body}: {}", r.body);
    }
    assert_eq!(
        patch(&app, &id, json!({"guaranteed_amount": "10000.00"}))
            .await
            .status,
        Status::Ok
    );

    // Next year's copy keeps the form and indexes the guarantee like the prices.
    let copy = app
        .post_json(
            &pricing,
            &format!("/api/v1/contracts/{id}/copy"),
            &json!({"indexation_percent": "2.5"}),
        )
        .await;
    assert_eq!(copy.status, Status::Created, "{}", copy.body);
    let copy = copy.json();
    assert_eq!(copy["settlement"], "volume_guarantee");
    assert_eq!(copy["guaranteed_amount"], "10250.00");
    assert_eq!(copy["status"], "draft");
}

#[rocket::async_test]
async fn pricing_staff_choose_the_form_on_the_page_and_see_where_it_stands() {
    let app = TestApp::new().await;
    let y = last_year() - 1;
    let pricing = app.login_as(PRICING).await;
    let page = app.get(&pricing, "/prijzen/contracten").await;
    assert!(page.body.contains("Afrekenvorm") && page.body.contains("volume_guarantee"));
    // A guarantee typed the Dutch way; the refund box belongs to a budget and is ignored.
    let created = app
        .post_form(
            &pricing,
            "/prijzen/contracten",
            &[
                ("municipality", VUGHT),
                ("valid_from", &format!("{y}-01-01")),
                ("valid_to", &format!("{y}-12-31")),
                ("budget_ceiling", ""),
                ("settlement", "volume_guarantee"),
                ("guaranteed_amount", "25.000,00"),
                ("budget_amount", ""),
                ("advance_schedule", "monthly"),
            ],
        )
        .await;
    assert_eq!(created.status, Status::SeeOther, "{}", created.body);
    let location = created.header("Location").unwrap().to_string();
    let page = app.get(&pricing, &location).await;
    assert_eq!(page.status, Status::Ok);
    assert!(
        page.body.contains("Volumegarantie (transitiearrangement)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Gegarandeerd bedrag"), "{}", page.body);
    assert!(page.body.contains("25.000,00"), "{}", page.body);
    // A budget without its amount is refused next to the field, and nothing is made.
    let refused = app
        .post_form(
            &pricing,
            "/prijzen/contracten",
            &[
                ("municipality", BOXTEL),
                ("valid_from", &format!("{y}-01-01")),
                ("valid_to", &format!("{y}-12-31")),
                ("budget_ceiling", ""),
                ("settlement", "budget"),
                ("guaranteed_amount", ""),
                ("budget_amount", ""),
                ("advance_schedule", "quarterly"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("vul het bedrag in"),
        "{}",
        refused.body
    );
}

#[rocket::async_test]
async fn the_cost_price_scenarios_never_fall_below_the_guaranteed_volume() {
    // The demo's Oirschot contract of this year guarantees 60,000.00 over its exempt
    // products, jobcoaching among them.
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let oirschot = plusmarkt::store::contracts::of_municipality(&app.db, "GM0823")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.settlement == plusmarkt::domain::settlement::SettlementForm::VolumeGuarantee)
        .expect("the demo has a volume guarantee");
    assert_eq!(oirschot.guaranteed_amount_cents, Some(6_000_000));
    let page = app
        .get(&pricing, "/prijzen/kostprijs?product=JOBCOACH-UUR&fixed_costs=10000&variable_cost=40&expected_volume=10")
        .await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    assert!(
        page.body.contains("Volumegarantie Oirschot"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("opgehoogd tot het gegarandeerde volume"),
        "{}",
        page.body
    );
    // A volume above the guarantee is left as planned.
    let page = app
        .get(&pricing, "/prijzen/kostprijs?product=JOBCOACH-UUR&fixed_costs=10000&variable_cost=40&expected_volume=1000000")
        .await;
    assert!(
        !page.body.contains("opgehoogd tot het gegarandeerde volume"),
        "{}",
        page.body
    );
    // Nuenen's budget is paid in advances.
    let nuenen = plusmarkt::store::contracts::of_municipality(&app.db, "GM0820")
        .await
        .unwrap();
    assert!(nuenen.iter().any(|c| c.settlement
        == plusmarkt::domain::settlement::SettlementForm::Budget
        && c.refund_unused));
}

/// Finalises every draft of the last run: invoices first, then the credit notes that cite them.
async fn finalise_all(app: &TestApp, outcome: &Value) {
    let mut invoices = Vec::new();
    let mut notes = Vec::new();
    for m in [BOXTEL, VUGHT] {
        let (invoice, credit_notes) = drafts(outcome, m);
        invoices.extend(invoice);
        notes.extend(credit_notes);
    }
    for id in invoices.iter().chain(notes.iter()) {
        let r = finalise(app, id).await;
        assert_eq!(r.status, Status::Ok, "{}", r.body);
    }
}

/// The budget invariants: the advances never exceed the budget, and once settled,
/// advances − returned = min(budget, delivered) (the ledger's balance is what is left).
async fn assert_budget_holds(
    app: &TestApp,
    contract_id: &str,
    settled: bool,
) -> Result<(), String> {
    let p = contract(app, contract_id).await["settlement_progress"].clone();
    let (advances, budget) = (cents(&p["billed"]), cents(&p["budget_amount"]));
    let (delivered, returned) = (cents(&p["delivered_value"]), cents(&p["returned"]));
    if advances > budget {
        return Err(format!("advances above the budget: {p}"));
    }
    if settled {
        if advances != budget {
            return Err(format!("not every advance billed: {p}"));
        }
        if advances - returned != budget.min(delivered) {
            return Err(format!("advances − returned ≠ min(budget, delivered): {p}"));
        }
    } else if returned != 0 {
        return Err(format!("returned before the last month: {p}"));
    }
    Ok(())
}

/// For random hours through a year, late registrations and hand credits after it, the
/// volume guarantee and the budget hold to the cent after every run.
#[test]
fn random_histories_with_late_work_and_credits_settle_to_the_cent_after_every_run() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    #[derive(Debug, Clone)]
    enum Late {
        Hours(bool, u32, u32),
        CreditDelivery(usize),
    }
    let history = (
        100_000_i64..3_000_000,
        100_000_i64..3_000_000,
        any::<bool>(),
        proptest::collection::vec(0u32..14, 12),
        proptest::collection::vec(0u32..14, 12),
        proptest::collection::vec(
            prop_oneof![
                (any::<bool>(), 1u32..=12, 1u32..30).prop_map(|(v, m, h)| Late::Hours(v, m, h)),
                (0usize..40).prop_map(Late::CreditDelivery),
            ],
            1..5,
        ),
    );
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::with_cases(6)
    });
    let result = runner.run(&history, |(guarantee, budget, quarterly, vg_hours, b_hours, late)| {
        runtime.block_on(async {
            let app = TestApp::new().await;
            let y = last_year();
            let money = |c: i64| format!("{}.{:02}", c / 100, c % 100);
            let vg = settling_contract(&app, BOXTEL, json!({"settlement": "volume_guarantee", "guaranteed_amount": money(guarantee)})).await;
            let schedule = if quarterly { "quarterly" } else { "monthly" };
            let bc = settling_contract(&app, VUGHT, json!({"settlement": "budget", "budget_amount": money(budget), "advance_schedule": schedule, "refund_unused": true})).await;
            let vg_line = jobcoaching(&app, CASEMANAGER_BOXTEL).await;
            let b_line = jobcoaching(&app, CASEMANAGER_VUGHT).await;
            for m in 1..=12u32 {
                for (line, h) in [(&vg_line, vg_hours[m as usize - 1]), (&b_line, b_hours[m as usize - 1])] {
                    if h > 0 {
                        hours(&app, line, &format!("{y}-{m:02}"), &h.to_string()).await;
                    }
                }
            }
            let mut period = chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
            let mut runs = 0;
            let step = |p: chrono::NaiveDate| p.checked_add_months(chrono::Months::new(1)).unwrap();
            let run_and_check = |period: chrono::NaiveDate| {
                let app = &app;
                let (vg, bc) = (vg.clone(), bc.clone());
                async move {
                    let outcome = run(app, &period.format("%Y-%m").to_string()).await;
                    finalise_all(app, &outcome).await;
                    let settled = period >= chrono::NaiveDate::from_ymd_opt(y, 12, 1).unwrap();
                    let p = contract(app, &vg).await["settlement_progress"].clone();
                    let (billed, true_up, g) = (cents(&p["billed"]), cents(&p["true_up_billed"]), cents(&p["guaranteed_amount"]));
                    if settled && billed + true_up != g.max(billed) {
                        return Err(format!("after {period}: {p}"));
                    }
                    if !settled && true_up != 0 {
                        return Err(format!("true-up before the last month: {p}"));
                    }
                    assert_budget_holds(app, &bc, settled).await
                }
            };
            for _ in 0..12 {
                run_and_check(period).await.map_err(TestCaseError::fail)?;
                period = step(period);
                runs += 1;
            }
            for l in late {
                match l {
                    Late::Hours(on_guarantee, m, h) => {
                        let line = if on_guarantee { &vg_line } else { &b_line };
                        hours(&app, line, &format!("{y}-{m:02}"), &h.to_string()).await;
                    }
                    Late::CreditDelivery(n) => {
                        // A delivery line of Boxtel's final invoices, credited by hand.
                        let finance = app.login_as(FINANCE).await;
                        let list = app.get(&finance, &format!("/api/v1/invoices?municipality={BOXTEL}&limit=100")).await.json();
                        let mut lines = Vec::new();
                        for i in list["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "invoice" && i["status"] != "draft") {
                            let inv = invoice(&app, i["id"].as_str().unwrap()).await;
                            for l in lines_of_kind(&inv, "delivery") {
                                lines.push((inv["id"].as_str().unwrap().to_string(), l["id"].as_str().unwrap().to_string()));
                            }
                        }
                        if let Some((inv, line)) = lines.get(n % lines.len().max(1)) {
                            let r = app.post_json(&finance, &format!("/api/v1/invoices/{inv}/credit"), &json!({"line_ids": [line], "reason": "proef"})).await;
                            prop_assert!(r.status == Status::Created || r.status == Status::UnprocessableEntity, "{}", r.body);
                        }
                    }
                }
                run_and_check(period).await.map_err(TestCaseError::fail)?;
                period = step(period);
                runs += 1;
            }
            prop_assert!(runs >= 13);
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
