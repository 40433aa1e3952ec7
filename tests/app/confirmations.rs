//! Nothing irreversible on one click: each such step first answers a confirmation page that
//! says what will happen, and acts only on the form of that page (`bevestigd=ja`). Planned
//! prices can be withdrawn or corrected before they take effect, never after.

use chrono::Datelike;
use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::harness::*;
use crate::invoicing::{run, worked_example};
use crate::registration::{accepted, boxtel_last_year, event, last_year};

fn this_year() -> i32 {
    chrono::Local::now().date_naive().year()
}

async fn invoice(app: &TestApp, who: &As, id: &str) -> Reply {
    app.get(who, &format!("/api/v1/invoices/{id}")).await
}

#[rocket::async_test]
async fn finalising_and_discarding_a_draft_ask_first_and_say_what_happens() {
    let app = TestApp::new().await;
    worked_example(&app).await;
    let y = last_year();
    let finance = app.login_as(FINANCE).await;
    let first = run(&app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let lines = invoice(&app, &finance, &first).await.json()["lines"]
        .as_array()
        .unwrap()
        .len();

    // The draft's page leads to the confirmation, not to the action.
    let page = app.get(&finance, &format!("/facturen/{first}")).await;
    assert!(page.body.contains(&format!(
        "<form method=\"get\" action=\"/facturen/{first}/weggooien\">"
    )));
    let asked = app
        .get(&finance, &format!("/facturen/{first}/weggooien"))
        .await;
    assert_eq!(asked.status, Status::Ok);
    assert!(
        asked.body.contains(&format!("gaat weg met {lines} regels"))
            && asked
                .body
                .contains("de volgende factuurrun berekent deze regels opnieuw"),
        "{}",
        asked.body
    );
    assert!(asked.body.contains("name=\"bevestigd\" value=\"ja\""));
    // One click without the confirmation changes nothing.
    let once = app
        .post_form(&finance, &format!("/facturen/{first}/weggooien"), &[])
        .await;
    assert_eq!(once.status, Status::Ok);
    assert!(once.body.contains("Concept weggooien?"));
    assert_eq!(invoice(&app, &finance, &first).await.status, Status::Ok);
    let gone = app
        .post_form(
            &finance,
            &format!("/facturen/{first}/weggooien"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(gone.status, Status::SeeOther, "{}", gone.body);
    assert_eq!(
        invoice(&app, &finance, &first).await.status,
        Status::NotFound
    );

    // The next run computes it again; finalising says the number it will get.
    let id = run(&app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let number = format!("{}-000001", this_year());
    let sentence = format!(
        "Factuur krijgt nummer {number} en kan daarna alleen met een creditnota worden gecorrigeerd."
    );
    let asked = app
        .get(&finance, &format!("/facturen/{id}/definitief"))
        .await;
    assert_eq!(asked.status, Status::Ok);
    assert!(asked.body.contains(&sentence), "{}", asked.body);
    let once = app
        .post_form(&finance, &format!("/facturen/{id}/definitief"), &[])
        .await;
    assert_eq!(once.status, Status::Ok);
    assert!(once.body.contains(&sentence));
    let still = invoice(&app, &finance, &id).await.json();
    assert_eq!(still["status"], "draft");
    assert!(still["number"].is_null());
    let done = app
        .post_form(
            &finance,
            &format!("/facturen/{id}/definitief"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    let final_ = invoice(&app, &finance, &id).await.json();
    assert_eq!(final_["status"], "final");
    assert_eq!(final_["number"], number.as_str());
}

#[rocket::async_test]
async fn a_casemanager_confirms_before_a_trajectory_is_cancelled() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (id, _) = accepted(
        &app,
        json!([{"product_code": "REI-WERKFIT", "start_date": format!("{y}-06-01")}]),
    )
    .await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let page = app.get(&cm, &format!("/trajecten/{id}")).await;
    assert!(page.body.contains(&format!(
        "<form method=\"get\" action=\"/trajecten/{id}/annuleren\""
    )));
    let asked = app.get(&cm, &format!("/trajecten/{id}/annuleren")).await;
    assert_eq!(asked.status, Status::Ok);
    for text in [
        "de aanbieder start het niet en er wordt niets voor gefactureerd",
        "Het vastgelegde bedrag van € 2.450,00 komt weer vrij in het budget van het contract.",
        "Ja, annuleer het traject",
    ] {
        assert!(asked.body.contains(text), "{text} in {}", asked.body);
    }
    let once = app
        .post_form(&cm, &format!("/trajecten/{id}/annuleren"), &[])
        .await;
    assert_eq!(once.status, Status::Ok);
    assert!(once.body.contains("komt weer vrij in het budget"));
    let status = |r: Reply| r.json()["status"].as_str().unwrap().to_string();
    let trajectory = format!("/api/v1/trajectories/{id}");
    assert_eq!(status(app.get(&cm, &trajectory).await), "accepted");
    let done = app
        .post_form(
            &cm,
            &format!("/trajecten/{id}/annuleren"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(status(app.get(&cm, &trajectory).await), "cancelled");
}

#[rocket::async_test]
async fn provider_staff_confirm_before_stopping_or_completing_a_line() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (id, lines) = accepted(&app, json!([
        {"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-02-01"), "quantity": "40", "frequency": "total"},
        {"product_code": "REI-WERKFIT", "start_date": format!("{y}-02-01")}
    ]))
    .await;
    for line in &lines {
        let r = event(
            &app,
            line,
            json!({"kind": "start", "date": format!("{y}-02-03")}),
        )
        .await;
        assert_eq!(r.status, Status::Created, "{}", r.body);
    }
    let staff = app.login_as(WSD_STAFF).await;
    let line_status = |t: &Value, i: usize| t["lines"][i]["status"].as_str().unwrap().to_string();
    let trajectory = format!("/api/v1/trajectories/{id}");
    let stop_date = format!("{y}-04-30");
    let stop = [
        ("kind", "stop"),
        ("date", stop_date.as_str()),
        ("note", "verhuisd naar Zwolle"),
    ];
    let path = format!("/wsd/regels/{}/registraties", lines[0]);
    let once = app.post_form(&staff, &path, &stop).await;
    assert_eq!(once.status, Status::Ok, "{}", once.body);
    for text in [
        "stoppen?",
        &format!("stopt op 30-04-{y}"),
        "De casemanager krijgt hier geen e-mail over, maar ziet de stop en de reden op de trajectpagina.",
        &format!("Wat tot en met 30-04-{y} is geleverd of bereikt, wordt nog gefactureerd; daarna niets meer"),
        "name=\"note\" value=\"verhuisd naar Zwolle\"",
        "Ja, stop dit product",
    ] {
        assert!(once.body.contains(text), "{text} in {}", once.body);
    }
    assert_eq!(
        line_status(&app.get(&staff, &trajectory).await.json(), 0),
        "started"
    );
    let mut confirmed = stop.to_vec();
    confirmed.push(("bevestigd", "ja"));
    let done = app.post_form(&staff, &path, &confirmed).await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(
        line_status(&app.get(&staff, &trajectory).await.json(), 0),
        "stopped"
    );

    let complete_date = format!("{y}-05-15");
    let complete = [
        ("kind", "complete"),
        ("date", complete_date.as_str()),
        ("outcome", "goal_reached"),
    ];
    let path = format!("/wsd/regels/{}/registraties", lines[1]);
    let once = app.post_form(&staff, &path, &complete).await;
    assert_eq!(once.status, Status::Ok, "{}", once.body);
    for text in [
        &format!("wordt afgerond op 15-05-{y} met uitkomst"),
        "De casemanager die het traject bestelde krijgt daarover een e-mail.",
        "Ja, rond dit product af",
    ] {
        assert!(once.body.contains(text), "{text} in {}", once.body);
    }
    assert_eq!(
        line_status(&app.get(&staff, &trajectory).await.json(), 1),
        "started"
    );
    let mut confirmed = complete.to_vec();
    confirmed.push(("bevestigd", "ja"));
    let done = app.post_form(&staff, &path, &confirmed).await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(
        line_status(&app.get(&staff, &trajectory).await.json(), 1),
        "completed"
    );
}

#[rocket::async_test]
async fn retiring_a_product_asks_first() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let product = "/api/v1/products/JOBCOACH-UUR";
    let page = app.get(&pricing, "/prijzen/producten/JOBCOACH-UUR").await;
    assert!(page
        .body
        .contains("<form method=\"get\" action=\"/prijzen/producten/JOBCOACH-UUR/vervallen\""));
    let asked = app
        .get(&pricing, "/prijzen/producten/JOBCOACH-UUR/vervallen")
        .await;
    assert_eq!(asked.status, Status::Ok);
    for text in [
        "kan daarna niet meer besteld worden",
        "Lopende trajecten en contracten met dit product lopen gewoon door en worden gefactureerd zoals afgesproken.",
        "Ja, laat het product vervallen",
    ] {
        assert!(asked.body.contains(text), "{text} in {}", asked.body);
    }
    let version = plusmarkt::store::catalogue::get(&app.db, "JOBCOACH-UUR")
        .await
        .unwrap()
        .unwrap()
        .version
        .to_string();
    let path = "/prijzen/producten/JOBCOACH-UUR/vervallen";
    let once = app
        .post_form(&pricing, path, &[("version", &version)])
        .await;
    assert_eq!(once.status, Status::Ok);
    assert!(once.body.contains("kan daarna niet meer besteld worden"));
    assert_eq!(app.get(&pricing, product).await.json()["status"], "active");
    let done = app
        .post_form(
            &pricing,
            path,
            &[("version", &version), ("bevestigd", "ja")],
        )
        .await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(app.get(&pricing, product).await.json()["status"], "retired");
}

fn price_on(product: &Value, date: &str) -> Option<String> {
    product["prices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["valid_from"] == date)
        .map(|p| p["amount"].as_str().unwrap().to_string())
}

#[rocket::async_test]
async fn a_planned_price_is_corrected_or_withdrawn_until_its_date_comes() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let product = "/api/v1/products/JOBCOACH-UUR";
    let planned = format!("{}-01-01", this_year() + 3);
    let add = |amount: &'static str| {
        let body = json!({"valid_from": planned, "amount": amount});
        let app = &app;
        let pricing = &pricing;
        async move {
            app.post_json(pricing, "/api/v1/products/JOBCOACH-UUR/prices", &body)
                .await
        }
    };
    assert_eq!(add("95.00").await.status, Status::Created);
    // Re-entering the date corrects the planned amount.
    let corrected = add("96.50").await;
    assert_eq!(corrected.status, Status::Created, "{}", corrected.body);
    let now = app.get(&pricing, product).await.json();
    assert_eq!(price_on(&now, &planned).as_deref(), Some("96.50"));
    assert_eq!(
        now["prices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["valid_from"] == planned.as_str())
            .count(),
        1
    );
    // An effective version is neither corrected nor withdrawn.
    let effective = now["prices"][0]["valid_from"].as_str().unwrap().to_string();
    assert!(effective < planned);
    let refused = app
        .post_json(
            &pricing,
            "/api/v1/products/JOBCOACH-UUR/prices",
            &json!({"valid_from": effective, "amount": "1.00"}),
        )
        .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    let delete = |date: String| {
        let app = &app;
        let pricing = &pricing;
        async move {
            app.send_json(
                Method::Delete,
                pricing,
                &format!("/api/v1/products/JOBCOACH-UUR/prices/{date}"),
                "",
                &[],
            )
            .await
        }
    };
    let too_late = delete(effective.clone()).await;
    assert_eq!(too_late.status, Status::Conflict);
    assert!(too_late.is_problem());
    assert!(
        too_late
            .body
            .contains("geldt al en kan niet meer worden ingetrokken"),
        "{}",
        too_late.body
    );
    assert_eq!(
        delete(format!("{}-02-03", this_year() + 4)).await.status,
        Status::NotFound
    );
    // Another provider cannot touch it.
    let werkpad = app.login_as("prijzen@werkpad.example").await;
    let theirs = app
        .send_json(
            Method::Delete,
            &werkpad,
            &format!("/api/v1/products/JOBCOACH-UUR/prices/{planned}"),
            "",
            &[],
        )
        .await;
    assert_eq!(theirs.status, Status::NotFound);
    // Withdrawn: gone from the product, audited with what it was.
    let withdrawn = delete(planned.clone()).await;
    assert_eq!(withdrawn.status, Status::NoContent, "{}", withdrawn.body);
    assert_eq!(
        price_on(&app.get(&pricing, product).await.json(), &planned),
        None
    );
    let admin = app.login_as(ADMIN).await;
    let events = app
        .all_items(&admin, "/api/v1/audit-events?entity=product")
        .await;
    let event = events
        .iter()
        .find(|e| e["action"] == "price.withdraw")
        .expect("the withdrawal is audited");
    assert!(event.to_string().contains("96.50"), "{event}");
    assert_eq!(delete(planned.clone()).await.status, Status::NotFound);
}

#[rocket::async_test]
async fn the_product_page_withdraws_a_planned_price_after_a_confirmation() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let planned = format!("{}-03-01", this_year() + 3);
    let added = app
        .post_form(
            &pricing,
            "/prijzen/producten/JOBCOACH-UUR/tarieven",
            &[("valid_from", &planned), ("amount", "99,00")],
        )
        .await;
    assert_eq!(added.status, Status::SeeOther, "{}", added.body);
    // Re-entered on the page: corrected, not refused.
    let again = app
        .post_form(
            &pricing,
            "/prijzen/producten/JOBCOACH-UUR/tarieven",
            &[("valid_from", &planned), ("amount", "98,00")],
        )
        .await;
    assert_eq!(again.status, Status::SeeOther, "{}", again.body);
    let link = format!("/prijzen/producten/JOBCOACH-UUR/tarieven/{planned}/intrekken");
    let page = app.get(&pricing, "/prijzen/producten/JOBCOACH-UUR").await;
    assert!(page
        .body
        .contains(&format!("href=\"{link}\">Intrekken</a>")));
    assert!(
        page.body.contains("gecorrigeerd naar € 98,00"),
        "{}",
        page.body
    );
    let asked = app.get(&pricing, &link).await;
    assert_eq!(asked.status, Status::Ok);
    assert!(
        asked.body.contains("Het geplande tarief van € 98,00 vanaf")
            && asked.body.contains("blijft dan"),
        "{}",
        asked.body
    );
    let once = app.post_form(&pricing, &link, &[]).await;
    assert_eq!(once.status, Status::Ok);
    let product = "/api/v1/products/JOBCOACH-UUR";
    assert_eq!(
        price_on(&app.get(&pricing, product).await.json(), &planned).as_deref(),
        Some("98.00")
    );
    let done = app.post_form(&pricing, &link, &[("bevestigd", "ja")]).await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(
        price_on(&app.get(&pricing, product).await.json(), &planned),
        None
    );
    let page = app.get(&pricing, "/prijzen/producten/JOBCOACH-UUR").await;
    assert!(!page.body.contains(&link));
}

#[rocket::async_test]
async fn sending_paying_and_crediting_an_invoice_ask_first_and_say_what_happens() {
    let app = TestApp::new().await;
    worked_example(&app).await;
    let y = last_year();
    let finance = app.login_as(FINANCE).await;
    let id = run(&app, &format!("{y}-03"), false).await["invoices"][0]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = app
        .post_form(
            &finance,
            &format!("/facturen/{id}/definitief"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    let number = invoice(&app, &finance, &id).await.json()["number"]
        .as_str()
        .unwrap()
        .to_string();
    let outbox_before = outbox_rows(&app).await;

    // Sending: the address it goes to, and that a sent e-mail cannot be called back.
    let once = app
        .post_form(&finance, &format!("/facturen/{id}/versturen"), &[])
        .await;
    assert_eq!(once.status, Status::Ok);
    assert!(
        once.body.contains(&format!("Factuur {number} versturen?"))
            && once.body.contains("per e-mail naar ")
            && once.body.contains("kan niet worden teruggehaald")
            && once.body.contains(&format!("Ja, verstuur {number}")),
        "{}",
        once.body
    );
    assert_eq!(invoice(&app, &finance, &id).await.json()["status"], "final");
    assert_eq!(outbox_rows(&app).await, outbox_before, "nothing was queued");
    let sent = app
        .post_form(
            &finance,
            &format!("/facturen/{id}/versturen"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(sent.status, Status::SeeOther, "{}", sent.body);
    assert_eq!(invoice(&app, &finance, &id).await.json()["status"], "sent");
    assert_eq!(outbox_rows(&app).await, outbox_before + 1);

    // Crediting: how many lines, for how much, what happens to the work, and that the
    // note is final at once. The reason and disposition are carried through unchanged.
    let line = invoice(&app, &finance, &id).await.json()["lines"][0].clone();
    let line_id = line["id"].as_str().unwrap();
    let fields = [
        ("line_ids", line_id),
        ("reason", "dubbel geregistreerd"),
        ("disposition", "waive"),
    ];
    let once = app
        .post_form(&finance, &format!("/facturen/{id}/crediteren"), &fields)
        .await;
    assert_eq!(once.status, Status::Ok);
    assert!(
        once.body
            .contains(&format!("Creditnota maken op factuur {number}?"))
            && once.body.contains("crediteert 1 regel voor € ")
            && once.body.contains("Niet opnieuw factureren:")
            && once.body.contains("krijgt direct een eigen nummer")
            && once
                .body
                .contains(&format!("name=\"line_ids\" value=\"{line_id}\""))
            && once
                .body
                .contains("name=\"reason\" value=\"dubbel geregistreerd\"")
            && once.body.contains("name=\"disposition\" value=\"waive\""),
        "{}",
        once.body
    );
    assert!(invoice(&app, &finance, &id).await.json()["credits"]
        .as_array()
        .unwrap()
        .is_empty());
    let mut confirmed = fields.to_vec();
    confirmed.push(("bevestigd", "ja"));
    let credited = app
        .post_form(&finance, &format!("/facturen/{id}/crediteren"), &confirmed)
        .await;
    assert_eq!(credited.status, Status::SeeOther, "{}", credited.body);
    assert_eq!(
        invoice(&app, &finance, &id).await.json()["credits"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Paying: the end state, said before it is set.
    let once = app
        .post_form(&finance, &format!("/facturen/{id}/betaald"), &[])
        .await;
    assert_eq!(once.status, Status::Ok);
    assert!(
        once.body
            .contains(&format!("Factuur {number} markeren als betaald?"))
            && once.body.contains("Betaald is de eindstatus"),
        "{}",
        once.body
    );
    assert_eq!(invoice(&app, &finance, &id).await.json()["status"], "sent");
    let paid = app
        .post_form(
            &finance,
            &format!("/facturen/{id}/betaald"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(paid.status, Status::SeeOther, "{}", paid.body);
    assert_eq!(invoice(&app, &finance, &id).await.json()["status"], "paid");
    // A paid invoice is not offered for payment again: asking says why, changing nothing.
    let again = app
        .post_form(&finance, &format!("/facturen/{id}/betaald"), &[])
        .await;
    assert_eq!(again.status, Status::Conflict, "{}", again.body);
    assert!(again
        .body
        .contains("kan niet als betaald gemarkeerd worden"));
}
