//! The casemanager's pages: cafetaria, clients, the order form and trajectories, driven
//! as a browser would (forms with the CSRF field, redirects followed by hand).

use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use crate::harness::*;
use crate::ordering::{boxtel_2030, BSN_A};

/// The `value` of the input named `name` in a page.
fn input_value(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in {body}"))
        + marker.len();
    body[start..][..body[start..].find('"').unwrap()].to_string()
}

/// Registers a client through the form; returns the client's id.
async fn register_by_form(app: &TestApp, cm: &As, bsn: &str, name: &str) -> String {
    let reply = app
        .post_form(
            cm,
            "/klanten",
            &[("bsn", bsn), ("name", name), ("birth_date", "2001-04-12")],
        )
        .await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    let location = reply.header("Location").unwrap();
    assert!(!location.contains(bsn));
    location
        .trim_start_matches("/klanten/")
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

/// The fields of the two-product order of the brief, with a key of the test's choosing.
fn two_product_order<'a>(
    client: &'a str,
    key: &'a str,
    quantity: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("idempotency_key", key),
        ("client_id", client),
        ("buyer_reference", "KM-2030-0042"),
        ("lines[0].product_code", "REI-WERKFIT"),
        ("lines[0].start_date", "2030-03-01"),
        ("lines[0].end_date", ""),
        ("lines[0].budget", ""),
        ("lines[1].product_code", "JOBCOACH-UUR"),
        ("lines[1].start_date", "2030-03-01"),
        ("lines[1].quantity", quantity),
        ("lines[1].frequency", "total"),
        ("lines[1].end_date", "2030-08-31"),
        ("lines[1].budget", "3.600,00"),
    ]
}

async fn trajectory_count(app: &TestApp, who: &As) -> usize {
    app.get(who, "/api/v1/trajectories").await.json()["items"]
        .as_array()
        .unwrap()
        .len()
}

#[rocket::async_test]
async fn the_cafetaria_shows_the_contracted_products_filtered_by_target_group() {
    let app = TestApp::new().await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    // The start page and the menu lead to the casemanager's pages.
    let home = app.get(&cm, "/").await;
    for href in ["/cafetaria", "/klanten", "/trajecten", "/contract"] {
        assert!(home.body.contains(&format!("href=\"{href}\"")), "{href}");
    }
    // Today's demo contract: Boxtel buys a core set, with a budget ceiling of 120.000.
    let page = app.get(&cm, "/cafetaria?target_group=jongeren").await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    assert!(page.body.contains("Nog beschikbaar:"));
    assert!(page.body.contains("€ 120.000,00"), "{}", page.body);
    assert!(page.body.contains("WERKACADEMIE-JONGEREN"));
    assert!(page.body.contains("€ 1.710,00 per traject"));
    // Boxtel's agreed price for jobcoaching, below the list price of 75.00.
    assert!(page.body.contains("€ 72,50 per uur"));
    assert!(page.body.contains("12 weken"));
    // Products for young people that Boxtel did not contract, and other target groups.
    assert!(!page.body.contains("WERKACADEMIE-VCA"));
    assert!(!page.body.contains("JEUGD-DAGB-DAGDEEL"));
    assert!(!page.body.contains("INB-PIP"));
    assert!(page
        .body
        .contains("name=\"product\" value=\"WERKACADEMIE-JONGEREN\""));
    // The text filter and the domain filter narrow further.
    let text = app.get(&cm, "/cafetaria?q=jobcoach").await;
    assert!(text.body.contains("JOBCOACH-UUR") && !text.body.contains("REI-WERKFIT"));
    let domain = app.get(&cm, "/cafetaria?domain=inburgering").await;
    assert!(domain.body.contains("INB-PIP") && !domain.body.contains("JOBCOACH-UUR"));
    // Vught (Cafetariamodel) buys the whole portfolio.
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    let page = app.get(&vught, "/cafetaria?target_group=jongeren").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("WERKACADEMIE-VCA"));
    assert!(page.body.contains("€ 150.000,00"));
    // A date without a contract says so; a bad date is shown next to its field.
    let none = app.get(&cm, "/cafetaria?op=2040-01-01").await;
    assert!(none.body.contains("geen contract"));
    assert!(!none.body.contains("WERKACADEMIE-JONGEREN"));
    let bad = app.get(&cm, "/cafetaria?op=morgen").await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    assert!(bad.body.contains("aria-describedby=\"op-fout\""));
    // Only casemanagers.
    assert_eq!(
        app.get(&app.login_as(PRICING).await, "/cafetaria")
            .await
            .status,
        Status::Forbidden
    );
    let anonymous = app.get(&As::Anonymous, "/cafetaria").await;
    assert_eq!(anonymous.header("Location"), Some("/login"));
}

#[rocket::async_test]
async fn a_client_is_registered_and_found_by_bsn_and_the_bsn_never_shows() {
    let app = TestApp::new().await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let id = register_by_form(&app, &cm, BSN_A, "J. de Vries").await;
    let page = app.get(&cm, &format!("/klanten/{id}?nieuw=ja")).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("De klant is geregistreerd."));
    assert!(page.body.contains("*****0019"));
    assert!(page.body.contains("12-04-2001"));
    assert!(page.body.contains(&format!("/cafetaria?client={id}")));
    assert!(!page.body.contains(BSN_A));
    // Registering the same BSN again leads to that client.
    let again = app
        .post_form(
            &cm,
            "/klanten",
            &[("bsn", BSN_A), ("name", "Jan de Vries"), ("birth_date", "")],
        )
        .await;
    assert_eq!(again.status, Status::SeeOther);
    assert_eq!(
        again.header("Location"),
        Some(format!("/klanten/{id}?bestond=ja").as_str())
    );
    // Found by BSN through a POST; the result is masked and links to the client.
    let found = app
        .post_form(&cm, "/klanten/zoeken", &[("bsn", BSN_A)])
        .await;
    assert_eq!(found.status, Status::Ok);
    assert!(found.body.contains(&format!("href=\"/klanten/{id}\"")));
    assert!(found.body.contains("*****0019"));
    assert!(!found.body.contains(BSN_A));
    let none = app
        .post_form(&cm, "/klanten/zoeken", &[("bsn", "111222333")])
        .await;
    assert!(none.body.contains("Geen klant van uw gemeente gevonden"));
    assert!(!none.body.contains("111222333"));
    // An invalid BSN: 422, the message next to the field, the number kept to correct it.
    let bad = app
        .post_form(
            &cm,
            "/klanten",
            &[
                ("bsn", "123456789"),
                ("name", "A. Klant"),
                ("birth_date", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    assert!(bad.body.contains("id=\"bsn-fout\""));
    assert!(bad.body.contains("elfproef"));
    assert!(bad.body.contains("aria-describedby=\"bsn-hint bsn-fout\""));
    assert!(bad.body.contains("value=\"A. Klant\""));
    assert!(bad.body.contains("value=\"123456789\""));
    // A valid BSN with a missing name: the form comes back with the BSN.
    let no_name = app
        .post_form(
            &cm,
            "/klanten",
            &[("bsn", "111222333"), ("name", " "), ("birth_date", "")],
        )
        .await;
    assert_eq!(no_name.status, Status::UnprocessableEntity);
    assert!(no_name.body.contains("id=\"name-fout\""));
    assert!(no_name.body.contains("value=\"111222333\""));
    let bad_search = app
        .post_form(&cm, "/klanten/zoeken", &[("bsn", "12345")])
        .await;
    assert_eq!(bad_search.status, Status::UnprocessableEntity);
    assert!(bad_search.body.contains("id=\"zoek-bsn-fout\""));
    // The list of clients shows names and masked numbers only.
    let list = app.get(&cm, "/klanten").await;
    assert!(list.body.contains("J. de Vries") && list.body.contains("*****0019"));
    assert!(!list.body.contains(BSN_A));
    // Another municipality's casemanager does not find or see the client.
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    assert_eq!(
        app.get(&vught, &format!("/klanten/{id}")).await.status,
        Status::NotFound
    );
    let elsewhere = app
        .post_form(&vught, "/klanten/zoeken", &[("bsn", BSN_A)])
        .await;
    assert!(elsewhere
        .body
        .contains("Geen klant van uw gemeente gevonden"));
    assert!(!app
        .get(&vught, "/klanten")
        .await
        .body
        .contains("J. de Vries"));
}

#[rocket::async_test]
async fn a_two_product_trajectory_is_ordered_through_the_pages_and_the_budget_drops() {
    let app = TestApp::new().await;
    let contract = boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register_by_form(&app, &cm, BSN_A, "J. de Vries").await;
    // The cafetaria on a day in 2030 shows that contract's products and budget.
    let before = app
        .get(&cm, &format!("/cafetaria?op=2030-03-01&client={client}"))
        .await;
    assert_eq!(before.status, Status::Ok, "{}", before.body);
    assert!(before.body.contains("€ 100.000,00"), "{}", before.body);
    assert!(before.body.contains("€ 87,50 per uur"));
    assert!(before
        .body
        .contains(&format!("<option value=\"{client}\" selected>")));
    assert!(!before.body.contains("DETACHERING-MAAND"));
    // The order form for the two chosen products.
    let form = app
        .get(
            &cm,
            &format!(
                "/bestellen?client={client}&product=REI-WERKFIT&product=JOBCOACH-UUR&op=2030-03-01"
            ),
        )
        .await;
    assert_eq!(form.status, Status::Ok, "{}", form.body);
    assert!(form
        .body
        .contains("name=\"lines[0].start_date\" value=\"2030-03-01\""));
    assert!(form.body.contains("name=\"lines[1].quantity\""));
    assert!(
        !form.body.contains("name=\"lines[0].quantity\""),
        "no quantity for a traject product"
    );
    assert!(
        form.body.contains("uw referentie, komt op de factuur")
            || form.body.contains("Uw referentie, komt op de factuur")
    );
    let key = input_value(&form.body, "idempotency_key");
    assert!(!key.is_empty());
    let placed = app
        .post_form(&cm, "/bestellen", &two_product_order(&client, &key, "40"))
        .await;
    assert_eq!(placed.status, Status::SeeOther, "{}", placed.body);
    let location = placed.header("Location").unwrap().to_string();
    assert!(location.starts_with("/trajecten/") && location.ends_with("?besteld=ja"));
    let page = app.get(&cm, &location).await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    let number = app.get(&cm, "/api/v1/trajectories").await.json()["items"][0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(page.body.contains(&format!("Traject {number} is besteld.")));
    for text in [
        "REI-WERKFIT",
        "JOBCOACH-UUR",
        "€ 3.450,00 per traject",
        "€ 87,50 per uur",
        "40 uur in totaal",
        "€ 3.500,00",
        "€ 3.600,00",
        "01-03-2030 t/m 31-08-2030",
        "aangevraagd",
        "KM-2030-0042",
        "J. d. V. (BSN *****0019)",
        ">Annuleren</button>",
    ] {
        assert!(page.body.contains(text), "{text} in {}", page.body);
    }
    assert!(!page.body.contains(BSN_A));
    // The budget drops by 3.450,00 + 40 × 87,50 = 6.950,00.
    let after = app.get(&cm, "/cafetaria?op=2030-03-01").await;
    assert!(after.body.contains("€ 93.050,00"), "{}", after.body);
    let contract_page = app.get(&cm, &format!("/contracten/{contract}")).await;
    assert!(contract_page.body.contains("€ 93.050,00"));
    // The lists show it, in Dutch.
    let list = app.get(&cm, "/trajecten").await;
    assert!(list.body.contains(&number));
    assert!(list.body.contains("J. de Vries"));
    assert!(list.body.contains("Werkfit, Jobcoaching"));
    assert!(list.body.contains("aangevraagd"));
    let filtered = app.get(&cm, "/trajecten?status=cancelled").await;
    assert!(!filtered.body.contains(&number));
    let requested = app.get(&cm, "/trajecten?status=requested").await;
    assert!(requested.body.contains(&number));
    let client_page = app.get(&cm, &format!("/klanten/{client}")).await;
    assert!(client_page.body.contains(&number));
    // The intake mailbox is told, without the BSN.
    let mail = app.emails().await;
    assert!(mail.iter().any(|m| m.subject.contains(&number)));
    assert!(mail.iter().all(|m| !m.text.contains(BSN_A)));
}

#[rocket::async_test]
async fn a_bad_order_shows_each_error_next_to_its_field_and_orders_nothing() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register_by_form(&app, &cm, BSN_A, "J. de Vries").await;
    let reply = app
        .post_form(
            &cm,
            "/bestellen",
            &two_product_order(&client, "web-test-key-1", ""),
        )
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert!(
        reply.body.contains("id=\"lines-1-quantity-fout\""),
        "{}",
        reply.body
    );
    assert!(reply
        .body
        .contains("aria-describedby=\"lines-1-quantity-fout\""));
    assert!(reply.body.contains("geef het aantal uur op"));
    assert!(reply.body.contains("href=\"#lines-1-quantity\""));
    // The form comes back as typed, with the same key.
    assert!(reply.body.contains("value=\"KM-2030-0042\""));
    assert!(reply.body.contains("value=\"2030-08-31\""));
    assert_eq!(
        input_value(&reply.body, "idempotency_key"),
        "web-test-key-1"
    );
    assert_eq!(trajectory_count(&app, &cm).await, 0);
    // A product before its contract line starts, and no client chosen.
    let mut early = two_product_order("", "web-test-key-2", "40");
    early[8] = ("lines[1].start_date", "2030-02-01");
    let reply = app.post_form(&cm, "/bestellen", &early).await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert!(
        reply.body.contains("id=\"client_id-fout\""),
        "{}",
        reply.body
    );
    let with_client = {
        let mut f = two_product_order(&client, "web-test-key-3", "40");
        f[8] = ("lines[1].start_date", "2030-02-01");
        f
    };
    let reply = app.post_form(&cm, "/bestellen", &with_client).await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert!(reply.body.contains("id=\"lines-1-fout\""), "{}", reply.body);
    assert!(reply.body.contains("JOBCOACH-UUR:"));
    // A quantity that is not a number, typed the Dutch way elsewhere.
    let reply = app
        .post_form(
            &cm,
            "/bestellen",
            &two_product_order(&client, "web-test-key-4", "veertig"),
        )
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert!(reply.body.contains("id=\"lines-1-quantity-fout\""));
    assert_eq!(trajectory_count(&app, &cm).await, 0);
    // Without products the form sends the casemanager back to the cafetaria.
    let empty = app.get(&cm, &format!("/bestellen?client={client}")).await;
    assert!(empty
        .body
        .contains("kies eerst in de cafetaria minstens één product"));
    assert!(!empty.body.contains(">Traject bestellen</button>"));
}

#[rocket::async_test]
async fn a_double_submit_of_the_order_form_orders_once() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register_by_form(&app, &cm, BSN_A, "J. de Vries").await;
    let form = app
        .get(
            &cm,
            &format!("/bestellen?client={client}&product=REI-WERKFIT&product=JOBCOACH-UUR"),
        )
        .await;
    let key = input_value(&form.body, "idempotency_key");
    let fields = two_product_order(&client, &key, "40");
    let first = app.post_form(&cm, "/bestellen", &fields).await;
    let second = app.post_form(&cm, "/bestellen", &fields).await;
    assert_eq!(first.status, Status::SeeOther, "{}", first.body);
    assert_eq!(second.status, Status::SeeOther, "{}", second.body);
    assert_eq!(first.header("Location"), second.header("Location"));
    assert_eq!(trajectory_count(&app, &cm).await, 1);
    // The same form sent again with other content is refused, with a fresh key to go on.
    let changed = two_product_order(&client, &key, "60");
    let reply = app.post_form(&cm, "/bestellen", &changed).await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert!(reply.body.contains("al eerder verstuurd"));
    let fresh = input_value(&reply.body, "idempotency_key");
    assert_ne!(fresh, key);
    let third = app
        .post_form(&cm, "/bestellen", &two_product_order(&client, &fresh, "60"))
        .await;
    assert_eq!(third.status, Status::SeeOther, "{}", third.body);
    assert_eq!(trajectory_count(&app, &cm).await, 2);
}

#[rocket::async_test]
async fn the_trajectory_page_shows_registrations_and_cancelling_stops_at_the_start() {
    use plusmarkt::entities::{delivery, line_event};

    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register_by_form(&app, &cm, BSN_A, "J. de Vries").await;
    let order = |key: &'static str| {
        two_product_order(&client, key, "40")
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let send = |fields: Vec<(String, String)>| {
        let app = &app;
        let cm = &cm;
        async move {
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let reply = app.post_form(cm, "/bestellen", &refs).await;
            assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
            let location = reply.header("Location").unwrap().to_string();
            location
                .trim_start_matches("/trajecten/")
                .split('?')
                .next()
                .unwrap()
                .to_string()
        }
    };
    // Cancelled before the start: the button works once, then the page explains.
    let a = send(order("web-cancel-a")).await;
    let cancelled = app
        .post_form(
            &cm,
            &format!("/trajecten/{a}/annuleren"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(cancelled.status, Status::SeeOther, "{}", cancelled.body);
    let page = app.get(&cm, cancelled.header("Location").unwrap()).await;
    assert!(page.body.contains("is geannuleerd."));
    assert!(page.body.contains("geannuleerd"));
    assert!(!page.body.contains(">Annuleren</button>"));
    let again = app
        .post_form(
            &cm,
            &format!("/trajecten/{a}/annuleren"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(again.status, Status::Conflict);
    assert!(again.body.contains("dit traject is al geannuleerd"));
    // Accepted and started, with a milestone and hours: shown, and no longer cancellable.
    let b = send(order("web-cancel-b")).await;
    let staff = app.login_as(WSD_STAFF).await;
    let accepted = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectories/{b}/accept"),
            &serde_json::json!({"planned_start": "2030-03-04"}),
        )
        .await;
    assert_eq!(accepted.status, Status::Ok, "{}", accepted.body);
    let lines = plusmarkt::store::trajectories::lines(&app.db, &b)
        .await
        .unwrap();
    let backend = sea_orm::ConnectionTrait::get_database_backend(&app.db);
    sea_orm::ConnectionTrait::execute_raw(
        &app.db,
        sea_orm::Statement::from_string(
            backend,
            format!("UPDATE trajectory_lines SET status = 'started' WHERE trajectory_id = '{b}'"),
        ),
    )
    .await
    .unwrap();
    let date = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    for (id, line, kind, day, milestone, note, corrects) in [
        ("e1", &lines[0], "start", "2030-03-04", None, None, None),
        (
            "e2",
            &lines[0],
            "milestone",
            "2030-03-04",
            Some("start"),
            Some("intakegesprek gevoerd"),
            None,
        ),
        ("e3", &lines[1], "start", "2030-03-05", None, None, None),
        (
            "e4",
            &lines[1],
            "start",
            "2030-03-06",
            None,
            Some("datum verbeterd"),
            Some("e3"),
        ),
    ] {
        line_event::ActiveModel {
            id: Set(id.to_string()),
            trajectory_line_id: Set(line.id.clone()),
            kind: Set(plusmarkt::domain::trajectory::EventKind::parse(kind).unwrap()),
            date: Set(date(day)),
            milestone: Set(milestone.map(str::to_string)),
            outcome: Set(None),
            note: Set(note.map(str::to_string)),
            corrects_id: Set(corrects.map(str::to_string)),
            created_at: Set(chrono::Utc::now()),
            created_by: Set("consulent@wsd.example".into()),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    for (id, period, thousandths, corrects) in [
        ("d1", "2030-03", 6_000, None),
        ("d2", "2030-03", 2_500, None),
        ("d3", "2030-04", 9_000, None),
        ("d4", "2030-04", 8_000, Some("d3")),
    ] {
        delivery::ActiveModel {
            id: Set(id.to_string()),
            trajectory_line_id: Set(lines[1].id.clone()),
            period: Set(period.to_string()),
            quantity_thousandths: Set(thousandths),
            note: Set(None),
            corrects_id: Set(corrects.map(str::to_string)),
            created_at: Set(chrono::Utc::now()),
            created_by: Set("consulent@wsd.example".into()),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let page = app.get(&cm, &format!("/trajecten/{b}")).await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    for text in [
        "04-03-2030",
        "Mijlpaal bereikt: start",
        "intakegesprek gevoerd",
        "Gestart (correctie)",
        "vervangen door een correctie",
        "maart 2030",
        // Each registration its own row (issue 26), not one sum per month.
        "6 uur",
        "2,5 uur",
        "april 2030",
        "8 uur",
        "gestart",
    ] {
        assert!(page.body.contains(text), "{text} in {}", page.body);
    }
    // The replaced registration stays visible, struck through.
    assert!(page.body.contains("<del>9 uur</del>"), "{}", page.body);
    assert!(!page.body.contains(">Annuleren</button>"));
    let late = app
        .post_form(
            &cm,
            &format!("/trajecten/{b}/annuleren"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(late.status, Status::Conflict);
    assert!(late.body.contains("al gestart"));
    assert!(late.body.contains("id=\"annuleren-fout\""));
    // Vught sees none of it.
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    assert_eq!(
        app.get(&vught, &format!("/trajecten/{b}")).await.status,
        Status::NotFound
    );
    assert_eq!(
        app.post_form(&vught, &format!("/trajecten/{a}/annuleren"), &[])
            .await
            .status,
        Status::NotFound
    );
    assert!(!app
        .get(&vught, "/trajecten")
        .await
        .body
        .contains("J. de Vries"));
}

#[rocket::async_test]
async fn another_municipalitys_casemanager_gets_404_for_the_pages() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register_by_form(&app, &cm, BSN_A, "J. de Vries").await;
    let placed = app
        .post_form(
            &cm,
            "/bestellen",
            &two_product_order(&client, "web-404", "40"),
        )
        .await;
    let location = placed.header("Location").unwrap().to_string();
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    let path = location.split('?').next().unwrap();
    let page = app.get(&vught, path).await;
    assert_eq!(page.status, Status::NotFound);
    assert!(page.body.contains("Niet gevonden"));
    assert_eq!(
        app.get(&vught, &format!("/klanten/{client}")).await.status,
        Status::NotFound
    );
    // Vught cannot order for Boxtel's client either.
    let reply = app
        .post_form(
            &vught,
            "/bestellen",
            &two_product_order(&client, "web-vught", "40"),
        )
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert!(reply.body.contains("id=\"client_id-fout\""));
}
