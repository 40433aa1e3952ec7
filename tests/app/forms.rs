//! Forms that help (issue 27): one amount format in every form, every error of a form at once
//! next to its field with the input kept, and the daily trajectory lists with their filters,
//! search and count.

use rocket::http::Status;
use serde_json::{json, Value};

use crate::harness::*;
use crate::ordering::{boxtel_2030, register, BSN_A};
use crate::registration::{accepted, boxtel_last_year, event, last_year};

/// The three ways people write three thousand five hundred and twenty euros.
const SPELLINGS: [&str; 3] = ["3.520,00", "3520,00", "3520.00"];

/// The one hint every amount field gives.
const HINT: &str = "bijvoorbeeld 3.520,00";

async fn contract_json(app: &TestApp, who: &As, id: &str) -> Value {
    let reply = app.get(who, &format!("/api/v1/contracts/{id}")).await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    reply.json()
}

#[rocket::async_test]
async fn the_contract_form_reads_every_spelling_and_echoes_a_refused_amount_as_typed() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let form = app.get(&pricing, "/prijzen/contracten").await;
    assert!(form.body.contains(HINT), "the budget ceiling's hint");
    for (year, spelling) in (2031..).zip(SPELLINGS) {
        let created = app
            .post_form(
                &pricing,
                "/prijzen/contracten",
                &[
                    ("municipality", "GM0848"),
                    ("valid_from", &format!("{year}-01-01")),
                    ("valid_to", &format!("{year}-12-31")),
                    ("budget_ceiling", spelling),
                ],
            )
            .await;
        assert_eq!(
            created.status,
            Status::SeeOther,
            "{spelling}: {}",
            created.body
        );
        let id = created
            .header("Location")
            .unwrap()
            .trim_start_matches("/prijzen/contracten/")
            .to_string();
        let contract = contract_json(&app, &pricing, &id).await;
        assert_eq!(contract["budget_ceiling"], "3520.00", "{spelling}");
        // The line price reads the same three ways.
        for (code, price) in [
            ("DIAG-AANZET", "3.520,00"),
            ("REI-WERKFIT", "3520,00"),
            ("PLANREGIE-MAAND", "3520.00"),
        ] {
            let line = app
                .post_form(
                    &pricing,
                    &format!("/prijzen/contracten/{id}/regels"),
                    &[("product_code", code), ("price", price), ("volume_cap", "")],
                )
                .await;
            assert_eq!(line.status, Status::SeeOther, "{price}: {}", line.body);
        }
        let contract = contract_json(&app, &pricing, &id).await;
        let prices: Vec<&str> = contract["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["price"].as_str().unwrap())
            .collect();
        assert_eq!(prices, ["3520.00"; 3], "{contract}");
        if year == 2031 {
            let page = app
                .get(&pricing, &format!("/prijzen/contracten/{id}"))
                .await;
            assert!(page.body.contains(HINT), "the line price's hint");
        }
    }
    // A refused amount comes back exactly as typed, with every error next to its field
    // and the other fields kept.
    let refused = app
        .post_form(
            &pricing,
            "/prijzen/contracten",
            &[
                ("municipality", "GM0865"),
                ("valid_from", "2040-01-01"),
                ("valid_to", "eind 2040"),
                ("budget_ceiling", "3.520.00"),
                ("settlement", "volume_guarantee"),
                ("guaranteed_amount", "12,345"),
            ],
        )
        .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    let body = &refused.body;
    assert!(body.contains("value=\"3.520.00\""), "echoed as typed");
    assert!(body.contains("geen geldig bedrag: 3.520.00 (bijvoorbeeld 3.520,00)"));
    assert!(body.contains("id=\"budget_ceiling-fout\""));
    assert!(body.contains("aria-describedby=\"budget_ceiling-hint budget_ceiling-fout\""));
    assert!(body.contains("id=\"valid_to-fout\""), "all errors at once");
    assert!(body.contains("id=\"guaranteed_amount-fout\""));
    assert!(body.contains("value=\"12,345\""));
    assert!(body.contains("value=\"2040-01-01\""));
    assert!(body.contains("value=\"eind 2040\""));
    assert!(body.contains("<option value=\"GM0865\" selected>"));
    assert!(body.contains("value=\"volume_guarantee\" checked"));
    assert!(
        body.contains("href=\"#budget_ceiling\""),
        "the summary links to the field"
    );
}

#[rocket::async_test]
async fn the_product_price_and_cost_price_forms_read_every_spelling() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let product = app
        .get(&pricing, "/prijzen/producten/WERKACADEMIE-JONGEREN")
        .await;
    assert!(product.body.contains(HINT));
    assert!(!product.body.contains("1234.50"), "no contradicting hint");
    let next_month = {
        use chrono::Datelike;
        let today = chrono::Local::now().date_naive();
        chrono::NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
            .unwrap()
            .checked_add_months(chrono::Months::new(1))
            .unwrap()
    };
    for (months, spelling) in (0..).zip(SPELLINGS) {
        let from = next_month
            .checked_add_months(chrono::Months::new(months))
            .unwrap();
        let reply = app
            .post_form(
                &pricing,
                "/prijzen/producten/WERKACADEMIE-JONGEREN/tarieven",
                &[("valid_from", &from.to_string()), ("amount", spelling)],
            )
            .await;
        assert_eq!(reply.status, Status::SeeOther, "{spelling}: {}", reply.body);
    }
    let audit = app
        .all_items(
            &app.login_as(FINANCE).await,
            "/api/v1/audit-events?entity=product",
        )
        .await;
    let added: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "price.add")
        .map(|e| &e["after"]["amount"])
        .collect();
    assert_eq!(added, [&json!("3520.00"); 3]);
    let refused = app
        .post_form(
            &pricing,
            "/prijzen/producten/WERKACADEMIE-JONGEREN/tarieven",
            &[
                ("valid_from", &next_month.to_string()),
                ("amount", "3.520.00"),
            ],
        )
        .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(refused.body.contains("value=\"3.520.00\""));
    assert!(refused
        .body
        .contains("aria-describedby=\"amount-hint amount-fout\""));

    // The cost-price calculator: 3520 / 80 + 250 = 294 per trajectory, however typed.
    let empty = app.get(&pricing, "/prijzen/kostprijs").await;
    assert!(empty.body.contains(HINT));
    assert!(!empty.body.contains("100000,00"), "no contradicting hint");
    for spelling in SPELLINGS {
        let page = app
            .get(
                &pricing,
                &format!(
                    "/prijzen/kostprijs?product=REI-WERKFIT&fixed_costs={}&variable_cost=250&expected_volume=80",
                    urlencode(spelling)
                ),
            )
            .await;
        assert_eq!(page.status, Status::Ok, "{spelling}: {}", page.body);
        assert!(page.body.contains("€ 294,00"), "{spelling}");
        assert!(page.body.contains(&format!("value=\"{spelling}\"")));
    }
    let refused = app
        .get(
            &pricing,
            "/prijzen/kostprijs?product=REI-WERKFIT&fixed_costs=3.520.00&variable_cost=abc&expected_volume=80",
        )
        .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(refused.body.contains("value=\"3.520.00\""));
    assert!(refused.body.contains("id=\"fixed_costs-fout\""));
    assert!(refused.body.contains("id=\"variable_cost-fout\""));
}

#[rocket::async_test]
async fn the_client_form_shows_every_error_next_to_its_field_and_keeps_the_bsn() {
    let app = TestApp::new().await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let bad = app
        .post_form(
            &cm,
            "/klanten",
            &[
                ("bsn", "123456789"),
                ("name", " "),
                ("birth_date", "31-02-2001"),
            ],
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    let body = &bad.body;
    assert!(body.contains("id=\"bsn-fout\""), "{body}");
    assert!(body.contains("elfproef"));
    assert!(
        body.contains("id=\"name-fout\""),
        "the name's error as well"
    );
    assert!(body.contains("id=\"birth_date-fout\""), "and the date's");
    assert!(body.contains("value=\"123456789\""), "the BSN is kept");
    assert!(body.contains("value=\"31-02-2001\""), "the date as typed");
    assert!(body.contains("aria-describedby=\"bsn-hint bsn-fout\""));
    assert!(body.contains("aria-describedby=\"name-fout\""));
    assert!(body.contains("aria-describedby=\"birth_date-fout\""));
    assert!(
        body.contains("href=\"#birth_date\""),
        "the summary at the top"
    );
    // A valid BSN with a name missing: the BSN comes back, not a request to type it again.
    let no_name = app
        .post_form(
            &cm,
            "/klanten",
            &[("bsn", "111222333"), ("name", ""), ("birth_date", "")],
        )
        .await;
    assert_eq!(no_name.status, Status::UnprocessableEntity);
    assert!(no_name.body.contains("value=\"111222333\""));
    assert!(!no_name.body.contains("opnieuw in"));
}

#[rocket::async_test]
async fn the_registration_forms_of_a_line_keep_month_and_hours_with_each_error_at_its_field() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (id, lines) = accepted(
        &app,
        json!([{"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-05-01"), "quantity": "40", "frequency": "total"}]),
    )
    .await;
    let line = &lines[0];
    let started = event(
        &app,
        line,
        json!({"kind": "start", "date": format!("{y}-05-02")}),
    )
    .await;
    assert_eq!(started.status, Status::Created, "{}", started.body);
    let staff = app.login_as(WSD_STAFF).await;
    let path = format!("/wsd/regels/{line}/leveringen");
    // Both fields wrong: both messages, each next to its field, both values kept.
    let both = app
        .post_form(
            &staff,
            &path,
            &[
                ("period", "2025-13"),
                ("quantity", "veel"),
                ("note", "week 3"),
            ],
        )
        .await;
    assert_eq!(both.status, Status::UnprocessableEntity);
    let body = &both.body;
    assert!(body.contains(&format!("id=\"p-{line}-fout\"")), "{body}");
    assert!(body.contains(&format!("id=\"q-{line}-fout\"")));
    assert!(body.contains(&format!("aria-describedby=\"p-{line}-fout\"")));
    assert!(body.contains(&format!("aria-describedby=\"q-{line}-fout\"")));
    assert!(body.contains("value=\"2025-13\""));
    assert!(body.contains("value=\"veel\""));
    assert!(body.contains("value=\"week 3\""));
    assert!(
        body.contains(&format!("href=\"#q-{line}\"")),
        "the summary links to it"
    );
    // Refused by the rules (before the start): month and hours are not forgotten.
    let early = app
        .post_form(
            &staff,
            &path,
            &[
                ("period", &format!("{y}-04")),
                ("quantity", "2,5"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(early.status, Status::UnprocessableEntity);
    assert!(early.body.contains("vóór de start"));
    assert!(early.body.contains(&format!("value=\"{y}-04\"")));
    assert!(early.body.contains("value=\"2,5\""));
    // An event form: the date as typed next to its field.
    let stop = app
        .post_form(
            &staff,
            &format!("/wsd/regels/{line}/registraties"),
            &[("kind", "stop"), ("date", "gisteren"), ("note", "verhuisd")],
        )
        .await;
    assert_eq!(stop.status, Status::UnprocessableEntity);
    assert!(stop.body.contains(&format!("id=\"st-{line}-fout\"")));
    assert!(stop.body.contains("value=\"gisteren\""));
    assert!(stop.body.contains("value=\"verhuisd\""));
    // Nothing was registered.
    let page = app.get(&staff, &format!("/wsd/trajecten/{id}")).await;
    assert!(!page.body.contains("2,5 uur"));
}

/// Orders one diagnosis for `client`; returns the trajectory number.
async fn order_for(app: &TestApp, cm: &As, client: &str) -> String {
    let reply = app
        .post_json(
            cm,
            "/api/v1/trajectories",
            &json!({"client_id": client, "lines": [{"product_code": "DIAG-AANZET", "start_date": "2030-02-01"}]}),
        )
        .await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    reply.json()["number"].as_str().unwrap().to_string()
}

#[rocket::async_test]
async fn the_trajectory_lists_filter_by_municipality_search_number_and_name_and_count() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let vries = register(&app, &cm, BSN_A, "J. de Vries").await;
    let jansen = register(&app, &cm, "999990020", "P. Jansen").await;
    let first = order_for(&app, &cm, &vries).await;
    order_for(&app, &cm, &vries).await;
    let third = order_for(&app, &cm, &jansen).await;

    // The casemanager's list: the count, the search by name and by number.
    let all = app.get(&cm, "/trajecten").await;
    assert_eq!(all.status, Status::Ok);
    assert!(all.body.contains("3 trajecten"), "{}", all.body);
    let by_name = app.get(&cm, "/trajecten?zoek=VRIES").await;
    assert!(by_name.body.contains("2 trajecten"));
    assert!(by_name.body.contains(&first) && !by_name.body.contains(&third));
    assert!(
        by_name.body.contains("value=\"VRIES\""),
        "the search is kept"
    );
    let by_number = app
        .get(&cm, &format!("/trajecten?zoek={}", urlencode(&third)))
        .await;
    assert!(by_number.body.contains("1 traject."), "{}", by_number.body);
    assert!(by_number.body.contains(&third) && !by_number.body.contains(&first));
    let none = app.get(&cm, "/trajecten?zoek=%25").await;
    assert!(
        none.body.contains("0 trajecten"),
        "a % is a character, not a wildcard"
    );
    assert!(none
        .body
        .contains("Geen trajecten gevonden met deze filters"));
    // Another municipality's casemanager finds nothing, whatever they search.
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    let elsewhere = app.get(&vught, "/trajecten?zoek=vries").await;
    assert!(elsewhere.body.contains("0 trajecten"));
    assert!(!elsewhere.body.contains(&first));

    // The provider staff's list: by municipality, by name, by number, with the count.
    let staff = app.login_as(WSD_STAFF).await;
    let all = app.get(&staff, "/wsd/trajecten").await;
    assert_eq!(all.status, Status::Ok);
    assert!(all.body.contains("3 trajecten"), "{}", all.body);
    assert!(all
        .body
        .contains("<option value=\"GM0757\">Boxtel</option>"));
    let boxtel = app.get(&staff, "/wsd/trajecten?gemeente=GM0757").await;
    assert!(boxtel.body.contains("3 trajecten"));
    assert!(boxtel.body.contains("<option value=\"GM0757\" selected>"));
    let vught_only = app.get(&staff, "/wsd/trajecten?gemeente=GM0865").await;
    assert!(vught_only.body.contains("0 trajecten"));
    assert!(!vught_only.body.contains(&first));
    let jansen_list = app
        .get(&staff, "/wsd/trajecten?gemeente=GM0757&zoek=jansen")
        .await;
    assert!(jansen_list.body.contains("1 traject."));
    assert!(jansen_list.body.contains(&third) && !jansen_list.body.contains(&first));
    let number = app
        .get(
            &staff,
            &format!("/wsd/trajecten?zoek={}", urlencode(&first)),
        )
        .await;
    assert!(number.body.contains("1 traject."));
    assert!(number.body.contains(&first));
}

#[rocket::async_test]
async fn months_read_as_words_for_every_role() {
    let app = TestApp::new().await;
    boxtel_last_year(&app).await;
    let y = last_year();
    let (id, lines) = accepted(
        &app,
        json!([{"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-05-01"), "quantity": "40", "frequency": "total"}]),
    )
    .await;
    let line = &lines[0];
    let started = event(
        &app,
        line,
        json!({"kind": "start", "date": format!("{y}-05-02")}),
    )
    .await;
    assert_eq!(started.status, Status::Created, "{}", started.body);
    let staff = app.login_as(WSD_STAFF).await;
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
    let june = format!("juni {y}");
    // Provider staff: the registrations of the line.
    let wsd = app.get(&staff, &format!("/wsd/trajecten/{id}")).await;
    assert!(
        wsd.body.contains(&format!("<td>{june}</td>")),
        "{}",
        wsd.body
    );
    // Casemanager: the deliveries per month.
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let page = app.get(&cm, &format!("/trajecten/{id}")).await;
    assert!(page.body.contains(&june), "{}", page.body);
    assert!(!page.body.contains(&format!("Juni {y}")));
    // Finance: the run's preview and the invoice list.
    let finance = app.login_as(FINANCE).await;
    let run = app
        .get(&finance, &format!("/financien?periode={y}-06"))
        .await;
    assert!(
        run.body.contains(&format!("Voorbeeld {june}")),
        "{}",
        run.body
    );
    let ran = app
        .post_form(
            &finance,
            "/financien/run",
            &[("period", &format!("{y}-06"))],
        )
        .await;
    assert_eq!(ran.status, Status::SeeOther, "{}", ran.body);
    let invoices = app.get(&finance, "/facturen").await;
    assert!(
        invoices.body.contains(&format!("<td>{june}</td>")),
        "{}",
        invoices.body
    );
    assert!(!invoices.body.contains(&format!("<td>{y}-06</td>")));
}
