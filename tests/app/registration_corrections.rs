//! Correcting and withdrawing registrations on WSD's trajectory page (issue 26): the history
//! stays visible, a second registration of a month asks "aanvulling of vergissing?", a billed
//! registration can still be corrected, and events can be withdrawn through the API too.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::harness::*;
use crate::invoicing::{admit_werkpad, run, worked_example, WERKPAD_STAFF};
use crate::registration::{accepted, boxtel_last_year, delivery, event, last_year};

/// A started JOBCOACH-UUR line of 40 hours in total; returns (trajectory, line).
async fn started_hours(app: &TestApp) -> (String, String) {
    boxtel_last_year(app).await;
    let y = last_year();
    let (t, lines) = accepted(
        app,
        json!([{"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-01-05"), "quantity": "40", "frequency": "total"}]),
    )
    .await;
    let r = event(
        app,
        &lines[0],
        json!({"kind": "start", "date": format!("{y}-01-05")}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    (t, lines[0].clone())
}

async fn deliveries(app: &TestApp, t: &str) -> Vec<Value> {
    let staff = app.login_as(WSD_STAFF).await;
    let r = app.get(&staff, &format!("/api/v1/trajectories/{t}")).await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    r.json()["lines"][0]["deliveries"]
        .as_array()
        .unwrap()
        .clone()
}

async fn line_json(app: &TestApp, t: &str, index: usize) -> Value {
    let staff = app.login_as(WSD_STAFF).await;
    app.get(&staff, &format!("/api/v1/trajectories/{t}"))
        .await
        .json()["lines"][index]
        .clone()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Registers hours through the API and returns the registration's id.
async fn hours(
    app: &TestApp,
    t: &str,
    line: &str,
    period: &str,
    quantity: &str,
    note: &str,
) -> String {
    let r = delivery(
        app,
        line,
        json!({"period": period, "quantity": quantity, "note": note}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    // Listed by month: the newest of this month and quantity.
    let all = deliveries(app, t).await;
    id_of(
        all.iter()
            .rfind(|d| d["period"] == period && d["quantity"] == quantity)
            .unwrap(),
    )
}

#[rocket::async_test]
async fn an_hour_registration_is_corrected_on_the_page_and_the_old_one_stays_struck_through() {
    let app = TestApp::new().await;
    let (t, line) = started_hours(&app).await;
    let y = last_year();
    let period = format!("{y}-11");
    hours(&app, &t, &line, &period, "12", "goed").await;
    let wrong = hours(&app, &t, &line, &format!("{y}-10"), "21", "per ongeluk").await;
    let staff = app.login_as(WSD_STAFF).await;
    // Real work is blocked by the wrong 21 hours.
    let blocked = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{line}/leveringen"),
            &[
                ("period", &format!("{y}-12")),
                ("quantity", "8"),
                ("note", ""),
                ("keuze", "aanvulling"),
            ],
        )
        .await;
    assert_eq!(blocked.status, Status::UnprocessableEntity);
    assert!(blocked.body.contains("nog 7 mogelijk"), "{}", blocked.body);
    // Every live row offers both actions; "Corrigeren" opens a prefilled form.
    let page = app.get(&staff, &format!("/wsd/trajecten/{t}")).await;
    assert!(
        page.body.contains(&format!("?corrigeer={wrong}")),
        "{}",
        page.body
    );
    assert!(page.body.contains("Intrekken"));
    let form = app
        .get(&staff, &format!("/wsd/trajecten/{t}?corrigeer={wrong}"))
        .await;
    assert!(
        form.body
            .contains(&format!("name=\"corrects_id\" value=\"{wrong}\"")),
        "{}",
        form.body
    );
    assert!(form.body.contains(&format!("id=\"kquantity-{wrong}\" name=\"quantity\" inputmode=\"decimal\" required value=\"21\"")), "{}", form.body);
    let corrected = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{line}/leveringen"),
            &[
                ("corrects_id", &wrong),
                ("period", &format!("{y}-10")),
                ("quantity", "2"),
                ("note", "twee uur, niet 21"),
            ],
        )
        .await;
    assert_eq!(corrected.status, Status::SeeOther, "{}", corrected.body);
    let all = deliveries(&app, &t).await;
    assert_eq!(all.len(), 3, "the old registration is kept: {all:?}");
    let correction = all
        .iter()
        .find(|d| d["corrects_id"] == wrong.as_str())
        .expect("a correction naming the wrong one");
    assert_eq!(correction["quantity"], "2");
    let page = app
        .get(&staff, &format!("/wsd/trajecten/{t}?gedaan=gecorrigeerd"))
        .await;
    assert!(page.body.contains("De correctie is opgeslagen."));
    assert!(page.body.contains("<del>21 uur</del>"), "{}", page.body);
    assert!(page.body.contains("vervangen op"), "{}", page.body);
    assert!(page.body.contains(WSD_STAFF), "who replaced it");
    // The 8 hours fit now.
    let now_fits = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{line}/leveringen"),
            &[
                ("period", &format!("{y}-12")),
                ("quantity", "8"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(now_fits.status, Status::SeeOther, "{}", now_fits.body);
}

#[rocket::async_test]
async fn withdrawing_needs_a_reason_and_the_history_shows_who_when_and_why() {
    let app = TestApp::new().await;
    let (t, line) = started_hours(&app).await;
    let y = last_year();
    let wrong = hours(&app, &t, &line, &format!("{y}-11"), "21", "per ongeluk").await;
    let staff = app.login_as(WSD_STAFF).await;
    let refused = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{line}/intrekken"),
            &[("registratie", &wrong), ("reason", "  ")],
        )
        .await;
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(&format!("id=\"kreason-{wrong}-fout\"")),
        "the error sits at the field: {}",
        refused.body
    );
    assert!(
        refused.body.contains(&format!("href=\"#kreason-{wrong}\"")),
        "the summary links to it"
    );
    assert!(refused
        .body
        .contains("geef de reden waarom u de registratie intrekt"));
    assert_eq!(deliveries(&app, &t).await.len(), 1, "nothing changed");
    let done = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{line}/intrekken"),
            &[("registratie", &wrong), ("reason", "dubbel geregistreerd")],
        )
        .await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    let all = deliveries(&app, &t).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["quantity"], "0");
    assert_eq!(all[1]["corrects_id"], wrong.as_str());
    assert_eq!(all[1]["note"], "dubbel geregistreerd");
    let page = app.get(&staff, &format!("/wsd/trajecten/{t}")).await;
    assert!(page.body.contains("<del>21 uur</del>"), "{}", page.body);
    assert!(page.body.contains("ingetrokken op"), "{}", page.body);
    assert!(page.body.contains("dubbel geregistreerd"));
    assert!(
        !page.body.contains(&format!("?corrigeer={wrong}")),
        "no actions on a withdrawn row"
    );
    // The audit trail has it.
    let admin = app.login_as(ADMIN).await;
    let audit = app
        .get(
            &admin,
            "/api/v1/audit-events?entity=trajectory_line&limit=200",
        )
        .await;
    assert!(
        audit.body.contains("registration.correct"),
        "{}",
        audit.body
    );
}

#[rocket::async_test]
async fn a_second_registration_of_a_month_asks_addition_or_mistake() {
    let app = TestApp::new().await;
    let (t, line) = started_hours(&app).await;
    let y = last_year();
    let period = format!("{y}-11");
    let first = hours(&app, &t, &line, &period, "12", "eerste week").await;
    let staff = app.login_as(WSD_STAFF).await;
    let path = format!("/wsd/regels/{line}/leveringen");
    let asked = app
        .post_form(
            &staff,
            &path,
            &[
                ("period", &period),
                ("quantity", "6,5"),
                ("note", "tweede week"),
            ],
        )
        .await;
    assert_eq!(asked.status, Status::Ok, "{}", asked.body);
    assert!(
        asked.body.contains("Aanvulling of vergissing?"),
        "{}",
        asked.body
    );
    assert!(asked
        .body
        .contains("Aanvulling: tel op bij de bestaande registratie"));
    assert!(asked
        .body
        .contains("Vergissing: vervang de bestaande registratie"));
    assert!(asked
        .body
        .contains(&format!("name=\"corrects_id\" value=\"{first}\"")));
    assert!(
        asked.body.contains("name=\"quantity\" value=\"6,5\""),
        "the input is kept"
    );
    assert_eq!(
        deliveries(&app, &t).await.len(),
        1,
        "nothing saved before the answer"
    );
    // Cancel: the form comes back as typed, nothing saved.
    let back = app
        .post_form(
            &staff,
            &path,
            &[
                ("period", &period),
                ("quantity", "6,5"),
                ("note", "tweede week"),
                ("keuze", "terug"),
            ],
        )
        .await;
    assert_eq!(back.status, Status::Ok);
    assert!(
        back.body.contains("required value=\"6,5\""),
        "{}",
        back.body
    );
    assert!(back.body.contains("value=\"tweede week\""));
    assert_eq!(deliveries(&app, &t).await.len(), 1);
    // Addition: both count.
    let added = app
        .post_form(
            &staff,
            &path,
            &[
                ("period", &period),
                ("quantity", "6,5"),
                ("note", "tweede week"),
                ("keuze", "aanvulling"),
            ],
        )
        .await;
    assert_eq!(added.status, Status::SeeOther, "{}", added.body);
    let all = deliveries(&app, &t).await;
    assert_eq!(all.len(), 2);
    assert!(all[1]["corrects_id"].is_null());
    // Mistake: the third replaces the first.
    let again = app
        .post_form(
            &staff,
            &path,
            &[("period", &period), ("quantity", "10"), ("note", "toch 10")],
        )
        .await;
    assert!(again.body.contains("Aanvulling of vergissing?"));
    let replaced = app
        .post_form(
            &staff,
            &path,
            &[
                ("period", &period),
                ("quantity", "10"),
                ("note", "toch 10"),
                ("keuze", "vergissing"),
                ("corrects_id", &first),
            ],
        )
        .await;
    assert_eq!(replaced.status, Status::SeeOther, "{}", replaced.body);
    let all = deliveries(&app, &t).await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["corrects_id"], first.as_str());
    // Another month asks nothing.
    let other = app
        .post_form(
            &staff,
            &path,
            &[
                ("period", &format!("{y}-10")),
                ("quantity", "1"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(other.status, Status::SeeOther, "{}", other.body);
}

#[rocket::async_test]
async fn events_are_withdrawn_through_the_api_and_the_page() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (t, lines) = accepted(
        &app,
        json!([
            {"product_code": "REI-WERKFIT", "start_date": format!("{y}-01-10")},
            {"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-01-05"), "quantity": "40", "frequency": "total"}
        ]),
    )
    .await;
    for line in &lines {
        let r = event(
            &app,
            line,
            json!({"kind": "start", "date": format!("{y}-02-01")}),
        )
        .await;
        assert_eq!(r.status, Status::Created, "{}", r.body);
    }
    let r = event(
        &app,
        &lines[0],
        json!({"kind": "complete", "date": format!("{y}-03-20"), "outcome": "goal_reached"}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let l = line_json(&app, &t, 0).await;
    assert_eq!(l["status"], "completed");
    let complete = l["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "complete")
        .map(id_of)
        .unwrap();
    // Through the API: a reason is required.
    let no_reason = event(
        &app,
        &lines[0],
        json!({"kind": "withdraw", "corrects_id": complete}),
    )
    .await;
    assert_eq!(
        no_reason.status,
        Status::UnprocessableEntity,
        "{}",
        no_reason.body
    );
    assert!(no_reason.body.contains("reason"));
    let withdrawn = event(
        &app,
        &lines[0],
        json!({"kind": "withdraw", "corrects_id": complete, "reason": "verkeerd traject"}),
    )
    .await;
    assert_eq!(withdrawn.status, Status::Created, "{}", withdrawn.body);
    let l = line_json(&app, &t, 0).await;
    assert_eq!(
        l["status"], "started",
        "a withdrawn completion makes the line run again: {l}"
    );
    assert!(l["ended_on"].is_null(), "{l}");
    // Withdrawn twice: refused.
    let twice = event(
        &app,
        &lines[0],
        json!({"kind": "withdraw", "corrects_id": complete, "reason": "nogmaals"}),
    )
    .await;
    assert_eq!(twice.status, Status::UnprocessableEntity);
    // It can be completed again.
    let r = event(
        &app,
        &lines[0],
        json!({"kind": "complete", "date": format!("{y}-03-21"), "outcome": "goal_reached"}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    // Through the page: the start of the hours line (nothing else registered on it).
    let l = line_json(&app, &t, 1).await;
    let start = l["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "start")
        .map(id_of)
        .unwrap();
    let staff = app.login_as(WSD_STAFF).await;
    let done = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{}/intrekken", lines[1]),
            &[("registratie", &start), ("reason", "nog niet begonnen")],
        )
        .await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    let l = line_json(&app, &t, 1).await;
    assert_eq!(l["status"], "accepted", "{l}");
    let page = app.get(&staff, &format!("/wsd/trajecten/{t}")).await;
    assert!(page.body.contains("<del>start</del>"), "{}", page.body);
    assert!(page.body.contains("nog niet begonnen"));
    // The casemanager sees both withdrawals struck through with their reasons.
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let seen = app.get(&cm, &format!("/trajecten/{t}")).await;
    assert!(seen.body.contains("ingetrokken op"), "{}", seen.body);
    assert!(seen.body.contains("verkeerd traject"));
}

#[rocket::async_test]
async fn another_providers_staff_cannot_correct_or_withdraw() {
    let app = TestApp::new().await;
    let (t, line) = started_hours(&app).await;
    let y = last_year();
    let id = hours(&app, &t, &line, &format!("{y}-11"), "21", "").await;
    admit_werkpad(&app).await;
    let other = app.login_as(WERKPAD_STAFF).await;
    let r = app
        .post_form(
            &other,
            &format!("/wsd/regels/{line}/intrekken"),
            &[("registratie", &id), ("reason", "weg ermee")],
        )
        .await;
    assert!(
        matches!(r.status, Status::NotFound | Status::Forbidden),
        "{}",
        r.status
    );
    let r = app
        .post_form(
            &other,
            &format!("/wsd/regels/{line}/leveringen"),
            &[
                ("corrects_id", &id),
                ("period", &format!("{y}-11")),
                ("quantity", "1"),
                ("note", ""),
            ],
        )
        .await;
    assert!(
        matches!(r.status, Status::NotFound | Status::Forbidden),
        "{}",
        r.status
    );
    let r = app
        .post_json(
            &other,
            &format!("/api/v1/trajectory-lines/{line}/events"),
            &json!({"kind": "withdraw", "corrects_id": id, "reason": "x"}),
        )
        .await;
    assert!(
        matches!(r.status, Status::NotFound | Status::Forbidden),
        "{}",
        r.status
    );
    assert_eq!(deliveries(&app, &t).await.len(), 1, "nothing changed");
}

#[rocket::async_test]
async fn the_casemanager_sees_every_registration_of_a_month_with_its_own_note() {
    let app = TestApp::new().await;
    let (t, line) = started_hours(&app).await;
    let y = last_year();
    let period = format!("{y}-11");
    let first = hours(&app, &t, &line, &period, "12", "sollicitatietraining").await;
    hours(&app, &t, &line, &period, "3", "werkplekbezoek").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let page = app.get(&cm, &format!("/trajecten/{t}")).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("sollicitatietraining"), "{}", page.body);
    assert!(page.body.contains("werkplekbezoek"), "{}", page.body);
    assert!(
        page.body.contains("12 uur"),
        "each registration its own row: {}",
        page.body
    );
    assert!(page.body.contains("3 uur"));
    let r = delivery(
        &app,
        &line,
        json!({"period": period, "quantity": "10", "corrects_id": first, "note": "toch 10"}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let page = app.get(&cm, &format!("/trajecten/{t}")).await;
    assert!(page.body.contains("<del>12 uur</del>"), "{}", page.body);
    assert!(page.body.contains("toch 10"));
}

#[rocket::async_test]
async fn a_billed_registration_is_corrected_and_the_next_run_settles_the_difference() {
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
    let number = invoice["number"].as_str().unwrap().to_string();
    let staff = app.login_as(WSD_STAFF).await;
    let all = app.get(&staff, "/api/v1/trajectories").await.json();
    let t = all["items"][0]["id"].as_str().unwrap().to_string();
    let billed = all["items"][0]["lines"][2]["deliveries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = app.get(&staff, &format!("/wsd/trajecten/{t}")).await;
    assert!(
        page.body
            .contains(&format!("gefactureerd op factuur {number}"))
            && page
                .body
                .contains("De volgende factuurrun factureert dan de nieuwe registratie"),
        "{}",
        page.body
    );
    let corrected = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{}/leveringen", lines[2]),
            &[
                ("corrects_id", &billed),
                ("period", &format!("{y}-02")),
                ("quantity", "10"),
                ("note", "uren gecorrigeerd"),
            ],
        )
        .await;
    assert_eq!(corrected.status, Status::SeeOther, "{}", corrected.body);
    // The engine: the correction is billed anew (10 × 87.50) and the old line of 12.5 hours
    // is put to finance to credit.
    let preview = run(&app, &format!("{y}-03"), true).await;
    assert_eq!(preview["invoices"][0]["net"], "875.00", "{preview}");
    let review = preview["to_review"].as_array().unwrap();
    assert_eq!(review.len(), 1, "{preview}");
    assert!(review[0].to_string().contains(&billed), "{preview}");
    assert!(review[0].to_string().contains("crediteer"), "{preview}");
}
