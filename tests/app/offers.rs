//! Offers side by side: two providers offering in the same service to one municipality
//! under two contracts, their contract prices, indicators (none below 5 trajectories),
//! the sort orders, and one query per table however many offers.

use chrono::NaiveDate;
use rocket::http::Status;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::harness::*;
use crate::registration::event;
use plusmarkt::domain::contract::ContractStatus;
use plusmarkt::domain::provider::ProviderStatus;
use plusmarkt::entities::{contract, contract_line, contract_line_price, product, provider};

pub const WERKPAD: &str = "ZUIDWERK";
pub const WERKPAD_INTAKE: &str = "intake@zuidwerk.example";

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The app on 15 June 2030.
pub async fn app_2030() -> TestApp {
    TestApp::on_date(d(2030, 6, 15)).await
}

/// Admits the provider Zuidwerk B.V., directly in the store.
pub async fn admit_werkpad(app: &TestApp, status: ProviderStatus) {
    let now = chrono::Utc::now();
    provider::ActiveModel::from(provider::Model {
        code: WERKPAD.into(),
        name: "Zuidwerk B.V.".into(),
        kvk: "90000017".into(),
        vat_number: "NL900000017B01".into(),
        peppol_scheme: "0106".into(),
        peppol_id: "90000017".into(),
        iban: "NL91ABNA0417164300".into(),
        intake_email: WERKPAD_INTAKE.into(),
        invoice_email: "facturen@zuidwerk.example".into(),
        street: "Markt 1".into(),
        postcode: "5281 AA".into(),
        city: "Boxtel".into(),
        status,
        demo_identifiers: true,
        created_at: now,
        updated_at: now,
    })
    .insert(&app.db)
    .await
    .expect("insert provider");
}

/// A copy of WSD's product `like` under a new code, sold by `provider`, in `service`.
pub async fn product_of(app: &TestApp, like: &str, code: &str, provider: &str, service: &str) {
    let mut stored = plusmarkt::store::catalogue::get(&app.db, like)
        .await
        .unwrap()
        .expect("product");
    stored.spec.code = plusmarkt::domain::ids::ProductCode::parse(code).unwrap();
    stored.spec.name = format!("{} ({provider})", stored.spec.name);
    plusmarkt::store::catalogue::save_product(&app.db, &stored.spec, None)
        .await
        .expect("save product");
    classify(app, code, provider, service).await;
}

/// Sets a product's provider and service type.
pub async fn classify(app: &TestApp, code: &str, provider: &str, service: &str) {
    product::Entity::update_many()
        .col_expr(product::Column::ProviderCode, Expr::value(provider))
        .col_expr(product::Column::ServiceCode, Expr::value(service))
        .filter(product::Column::Code.eq(code))
        .exec(&app.db)
        .await
        .expect("classify product");
}

/// An active 2030 contract of `municipality` with `provider`, with lines at these prices.
pub async fn contract_with(
    app: &TestApp,
    municipality: &str,
    provider: &str,
    ceiling_cents: Option<i64>,
    lines: &[(&str, i64)],
) -> String {
    let now = chrono::Utc::now();
    let id = uuid::Uuid::now_v7().to_string();
    contract::ActiveModel::from(contract::Model {
        id: id.clone(),
        municipality_code: municipality.into(),
        name: format!("{provider} {municipality} 2030"),
        valid_from: d(2030, 1, 1),
        valid_to: d(2030, 12, 31),
        status: ContractStatus::Active,
        budget_ceiling_cents: ceiling_cents,
        version: 1,
        lock_seq: 0,
        created_at: now,
        activated_at: Some(now),
        provider_code: provider.into(),
        settlement: plusmarkt::domain::settlement::SettlementForm::ProductPrice,
        guaranteed_amount_cents: None,
        budget_amount_cents: None,
        advance_schedule: None,
        refund_unused: false,
    })
    .insert(&app.db)
    .await
    .expect("insert contract");
    for (code, cents) in lines {
        let line_id = uuid::Uuid::now_v7().to_string();
        contract_line::ActiveModel::from(contract_line::Model {
            id: line_id.clone(),
            contract_id: id.clone(),
            product_code: code.to_string(),
            volume_cap_thousandths: None,
            valid_from: d(2030, 1, 1),
            valid_to: d(2030, 12, 31),
            created_at: now,
        })
        .insert(&app.db)
        .await
        .expect("insert contract line");
        contract_line_price::ActiveModel::from(contract_line_price::Model {
            contract_line_id: line_id,
            effective_from: d(2030, 1, 1),
            price_cents: *cents,
            created_at: now,
            created_by: "test".into(),
        })
        .insert(&app.db)
        .await
        .expect("insert contract line price");
    }
    id
}

/// Boxtel holds two 2030 contracts: WSD's (the demo's, with jobcoaching and Werkfit) and
/// Werkpad's (its jobcoaching at 80.00, its Werkfit at 3000.00), both providers offering
/// in the services "jobcoaching" and "werkfit".
pub async fn two_providers(app: &TestApp, werkpad_ceiling_cents: Option<i64>) {
    admit_werkpad(app, ProviderStatus::Active).await;
    classify(app, "JOBCOACH-UUR", "WSD", "jobcoaching").await;
    classify(app, "REI-WERKFIT", "WSD", "werkfit").await;
    product_of(app, "JOBCOACH-UUR", "ZW-JOBCOACH", WERKPAD, "jobcoaching").await;
    product_of(app, "REI-WERKFIT", "ZW-WERKFIT", WERKPAD, "werkfit").await;
    contract_with(
        app,
        "GM0757",
        WERKPAD,
        werkpad_ceiling_cents,
        &[("ZW-JOBCOACH", 8000), ("ZW-WERKFIT", 300000)],
    )
    .await;
}

fn items(reply: &Reply) -> Vec<Value> {
    reply.json()["items"].as_array().unwrap().clone()
}

fn codes(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|o| o["product_code"].as_str().unwrap().to_string())
        .collect()
}

#[rocket::async_test]
async fn both_providers_offers_show_side_by_side_with_their_contract_prices() {
    let app = app_2030().await;
    two_providers(&app, None).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let reply = app.get(&cm, "/api/v1/offers?service=jobcoaching").await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    let offers = items(&reply);
    let mut found = codes(&offers);
    found.sort();
    // WSD's and this test's provider, beside the demo's Werkpad (also contracted by Boxtel).
    assert_eq!(found, ["JOBCOACH-UUR", "WP-JOBCOACH-UUR", "ZW-JOBCOACH"]);
    let of = |code: &str| offers.iter().find(|o| o["product_code"] == code).unwrap();
    assert_eq!(of("JOBCOACH-UUR")["provider"]["code"], "WSD");
    // WSD's price is its own contract's, as the product list gives it.
    let wsd = app.get(&cm, "/api/v1/products/JOBCOACH-UUR").await;
    assert_eq!(
        of("JOBCOACH-UUR")["contract_price"],
        wsd.json()["contract_price"]
    );
    assert_ne!(of("JOBCOACH-UUR")["contract_price"], "80.00");
    assert_eq!(of("ZW-JOBCOACH")["provider"]["code"], WERKPAD);
    assert_eq!(of("ZW-JOBCOACH")["provider"]["name"], "Zuidwerk B.V.");
    assert_eq!(of("ZW-JOBCOACH")["contract_price"], "80.00");
    assert_eq!(of("ZW-JOBCOACH")["service"], "jobcoaching");
    assert!(of("ZW-JOBCOACH").get("list_price").is_some());
    assert_eq!(reply.json()["sort"], "neutral");

    // Without a service: every contracted product of both providers.
    let all = items(&app.get(&cm, "/api/v1/offers").await);
    let all = codes(&all);
    for code in ["REI-WERKFIT", "ZW-WERKFIT", "JOBCOACH-UUR", "ZW-JOBCOACH"] {
        assert!(all.contains(&code.to_string()), "{code} in {all:?}");
    }
    // Text finds the provider's name too.
    let werkpad = codes(&items(&app.get(&cm, "/api/v1/offers?q=zuidwerk").await));
    assert_eq!(werkpad.len(), 2, "{werkpad:?}");
}

#[rocket::async_test]
async fn sort_by_price_orders_by_the_contract_price_and_neutral_is_stable_for_the_day() {
    let app = app_2030().await;
    two_providers(&app, None).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let reply = app.get(&cm, "/api/v1/offers?sort=price").await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    let prices: Vec<rust_decimal::Decimal> = items(&reply)
        .iter()
        .map(|o| o["contract_price"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(prices.len() >= 4);
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    let first = codes(&items(&app.get(&cm, "/api/v1/offers").await));
    let again = codes(&items(&app.get(&cm, "/api/v1/offers").await));
    assert_eq!(first, again, "the neutral order holds for the day");
}

#[rocket::async_test]
async fn who_may_ask_for_which_municipality() {
    let app = app_2030().await;
    two_providers(&app, None).await;
    let pricing = app.login_as(PRICING).await;
    let reply = app.get(&pricing, "/api/v1/offers").await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert!(reply.body.contains("municipality"), "{}", reply.body);
    // WSD's pricing staff see only WSD's offers.
    let reply = app
        .get(&pricing, "/api/v1/offers?municipality=GM0757")
        .await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    let providers: Vec<Value> = items(&reply)
        .iter()
        .map(|o| o["provider"]["code"].clone())
        .collect();
    assert!(!providers.is_empty());
    assert!(providers.iter().all(|p| p == "WSD"), "{providers:?}");
    // Another municipality's offers are not found for a casemanager.
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    let reply = app.get(&vught, "/api/v1/offers?municipality=GM0757").await;
    assert_eq!(reply.status, Status::NotFound, "{}", reply.body);
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let reply = app.get(&cm, "/api/v1/offers?sort=best").await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert!(reply.body.contains("\"sort\""), "{}", reply.body);
}

/// Orders Werkfit of WSD for a client, accepted, started 10 days after the 1 February
/// start date and completed with `outcome`.
async fn werkfit_completed(app: &TestApp, client: &str, outcome: &str) {
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let placed = app
        .post_json(
            &cm,
            "/api/v1/trajectories",
            &json!({"client_id": client, "buyer_reference": "KM-OFFERS", "lines": [{"product_code": "REI-WERKFIT", "start_date": "2030-02-01"}]}),
        )
        .await;
    assert_eq!(placed.status, Status::Created, "{}", placed.body);
    let t = placed.json();
    let staff = app.login_as(WSD_STAFF).await;
    let r = app
        .post_json(
            &staff,
            &format!("/api/v1/trajectories/{}/accept", t["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    let line = t["lines"][0]["id"].as_str().unwrap();
    let r = event(app, line, json!({"kind": "start", "date": "2030-02-11"})).await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let r = event(
        app,
        line,
        json!({"kind": "complete", "date": "2030-04-08", "outcome": outcome}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
}

async fn werkfit_indicators(app: &TestApp) -> Value {
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let reply = app.get(&cm, "/api/v1/offers?service=werkfit").await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    items(&reply)
        .into_iter()
        .find(|o| o["product_code"] == "REI-WERKFIT")
        .expect("Werkfit offered")["indicators"]
        .clone()
}

#[rocket::async_test]
async fn indicators_stay_null_below_five_trajectories_and_show_from_five() {
    let app = app_2030().await;
    two_providers(&app, None).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = crate::ordering::register(&app, &cm, crate::ordering::BSN_A, "J. de Vries").await;
    for outcome in [
        "goal_reached",
        "goal_reached",
        "goal_not_reached",
        "regular_work",
    ] {
        werkfit_completed(&app, &client, outcome).await;
    }
    let four = werkfit_indicators(&app).await;
    for figure in [
        "started",
        "completed",
        "goal_reached_share",
        "median_days_to_start",
        "median_weeks",
    ] {
        assert!(four[figure].is_null(), "{figure} on 4 trajectories: {four}");
    }
    werkfit_completed(&app, &client, "goal_not_reached").await;
    let five = werkfit_indicators(&app).await;
    assert_eq!(five["started"], 5, "{five}");
    assert_eq!(five["completed"], 5, "{five}");
    // goal reached and regular work count as the goal reached: 3 of 5.
    assert_eq!(five["goal_reached_share"], "0.60", "{five}");
    assert!(five["median_days_to_start"].is_string(), "{five}");
    // 11 February to 8 April: 56 days, 8 weeks.
    assert_eq!(five["median_weeks"], "8", "{five}");
    // Werkpad's Werkfit has no history: nothing shown.
    let reply = app.get(&cm, "/api/v1/offers?service=werkfit").await;
    let wp = items(&reply)
        .into_iter()
        .find(|o| o["product_code"] == "ZW-WERKFIT")
        .unwrap();
    assert!(wp["indicators"]["started"].is_null());
}

/// The offers view is read in batches: as many statements for 30 offers as for 3.
#[rocket::async_test]
async fn the_offers_view_takes_as_many_statements_for_30_offers_as_for_3() {
    let app = app_2030().await;
    admit_werkpad(&app, ProviderStatus::Active).await;
    let mut counted = Vec::new();
    for (municipality, count) in [("GM0823", 3), ("GM0848", 30)] {
        let mut lines = Vec::new();
        for i in 0..count {
            let code = format!("ZW-{municipality}-{i:02}");
            product_of(&app, "REI-WERKFIT", &code, WERKPAD, "werkfit").await;
            lines.push(code);
        }
        let priced: Vec<(&str, i64)> = lines
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), 100_000 + i as i64))
            .collect();
        contract_with(&app, municipality, WERKPAD, None, &priced).await;
        let admin = app.login_as(ADMIN).await;
        let path = format!("/api/v1/offers?municipality={municipality}");
        let (statements, reply) = app.queries(app.get(&admin, &path)).await;
        assert_eq!(reply.status, Status::Ok, "{}", reply.body);
        let werkpad = items(&reply)
            .iter()
            .filter(|o| o["provider"]["code"] == WERKPAD)
            .count();
        assert_eq!(werkpad, count, "{}", reply.body);
        counted.push(statements);
    }
    assert_eq!(
        counted[0].len(),
        counted[1].len(),
        "3 offers: {:#?}\n30 offers: {:#?}",
        counted[0],
        counted[1]
    );
    assert!(counted[1].len() <= 16, "{:#?}", counted[1]);
}

#[rocket::async_test]
async fn the_cafetaria_page_shows_the_offers_of_one_service_side_by_side() {
    let app = app_2030().await;
    two_providers(&app, None).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    crate::ordering::register(&app, &cm, crate::ordering::BSN_A, "J. de Vries").await;
    let page = app
        .get(&cm, "/cafetaria?service=jobcoaching&sort=price")
        .await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    assert!(page.body.contains("Aanbieder: Zuidwerk B.V."));
    assert!(page.body.contains("Aanbieder: WSD"));
    assert!(page.body.contains("€ 80,00 per uur"), "{}", page.body);
    assert!(page.body.contains(
        "De volgorde is willekeurig en wisselt per dag; plusmarkt rangschikt aanbieders niet."
    ));
    assert!(page.body.contains("te weinig trajecten om iets te zeggen"));
    assert!(page.body.contains("name=\"product\" value=\"ZW-JOBCOACH\""));
    assert!(page.body.contains("class=\"order-bar\""));
    assert!(page.body.contains("<option value=\"price\" selected>"));
    // In the order the API gives for the same sort (by price).
    let api = codes(&items(
        &app.get(&cm, "/api/v1/offers?service=jobcoaching&sort=price")
            .await,
    ));
    let positions: Vec<usize> = api
        .iter()
        .map(|c| page.body.find(&format!("id=\"p-{c}\"")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{api:?}");
    // Only the service asked for.
    assert!(!page.body.contains("ZW-WERKFIT"));
    let bad = app.get(&cm, "/cafetaria?sort=beste").await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    assert!(bad.body.contains("sort-fout"));
}
