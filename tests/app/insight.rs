//! Insight: every report on a known data set against hand-computed figures, the scope of a
//! casemanager through the page, the CSV and the API, and the cost-price calculator.
//!
//! The data set (all last year; Boxtel's contract has a ceiling of 30000.00 and a cap of 10
//! Werkfit trajectories; Vught's a ceiling of 15000.00):
//!
//! | traject | ordered | lines | what happened |
//! |---|---|---|---|
//! | A (Boxtel) | 5 Jan | Werkfit 2450.00, Planregie 1200.00/month from 17 Jan to 31 Dec (committed 580.65 + 11 × 1200.00 = 13780.65), jobcoaching 40 h × 87.50 = 3500.00, loonwaardemeting 1 × 895.00 | the worked example: Werkfit done (goal reached) in March, Planregie stopped 9 March, 12.5 hours and the loonwaardemeting in February |
//! | B (Boxtel) | 20 Mar | Werkfit 2450.00 | 1 Apr to 15 Jun, placed in regular work |
//! | C (Boxtel) | 25 Mar | Werkfit | rejected |
//! | E (Boxtel) | 10 Apr | Werkfit 2450.00 | 1 to 31 May, goal not reached |
//! | D (Boxtel) | 2 May | day-parts 10 × 54.35 = 543.50 | started 1 Jul, 4 day-parts in July (invoice left in draft) |
//! | V (Vught) | 1 Feb | Werkfit 2450.00 | 1 to 20 Feb, goal reached |
//!
//! Invoices: runs for March and June are finalised; July's stays a draft; then the
//! loonwaardemeting (895.00, February) is credited.

use chrono::NaiveDate;
use rocket::http::{Method, Status};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::harness::*;
use crate::ordering::{register, BSN_A};
use crate::registration::{delivery, event, last_year};

struct Fixture {
    y: i32,
}

/// An active contract for last year.
async fn contract(
    app: &TestApp,
    municipality: &str,
    ceiling: Option<&str>,
    lines: &[(&str, Value)],
) {
    let y = last_year();
    let pricing = app.login_as(PRICING).await;
    let mut body = json!({"municipality": municipality, "valid_from": format!("{y}-01-01"), "valid_to": format!("{y}-12-31")});
    if let Some(c) = ceiling {
        body["budget_ceiling"] = json!(c);
    }
    let created = app.post_json(&pricing, "/api/v1/contracts", &body).await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    for (code, body) in lines {
        let r = app
            .send_json(
                Method::Put,
                &pricing,
                &format!("/api/v1/contracts/{id}/lines/{code}"),
                &body.to_string(),
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
}

/// Places an order for a new client, decides it, and dates it as ordered on `on`.
async fn order(
    app: &TestApp,
    casemanager: &str,
    bsn: &str,
    lines: Value,
    accept: bool,
    on: NaiveDate,
) -> Vec<String> {
    let cm = app.login_as(casemanager).await;
    let client = register(app, &cm, bsn, "A. Klant").await;
    let placed = app
        .post_json(
            &cm,
            "/api/v1/trajectories",
            &json!({"client_id": client, "buyer_reference": "KM-INZICHT", "lines": lines}),
        )
        .await;
    assert_eq!(placed.status, Status::Created, "{}", placed.body);
    let t = placed.json();
    let id = t["id"].as_str().unwrap().to_string();
    let staff = app.login_as(WSD_STAFF).await;
    let (path, body) = if accept {
        (format!("/api/v1/trajectories/{id}/accept"), json!({}))
    } else {
        (
            format!("/api/v1/trajectories/{id}/reject"),
            json!({"reason": "geen plek"}),
        )
    };
    let r = app.post_json(&staff, &path, &body).await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    use plusmarkt::entities::trajectory;
    let at = on.and_hms_opt(12, 0, 0).unwrap().and_utc();
    trajectory::Entity::update_many()
        .col_expr(trajectory::Column::CreatedAt, Expr::value(at))
        .filter(trajectory::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    t["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect()
}

async fn registered(app: &TestApp, line: &str, body: Value) {
    let r = event(app, line, body).await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
}

async fn run(app: &TestApp, period: &str) {
    let finance = app.login_as(FINANCE).await;
    let r = app
        .post_json(
            &finance,
            "/api/v1/invoice-runs",
            &json!({"period": period, "preview": false}),
        )
        .await;
    assert!(r.status.code < 300, "{}", r.body);
}

async fn finalise_drafts(app: &TestApp) {
    let finance = app.login_as(FINANCE).await;
    for inv in app
        .all_items(&finance, "/api/v1/invoices?status=draft")
        .await
    {
        let id = inv["id"].as_str().unwrap();
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
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

async fn insight_data(app: &TestApp) -> Fixture {
    let y = last_year();
    contract(
        app,
        "GM0757",
        Some("30000.00"),
        &[
            ("REI-NAARWERK", json!({"price": "4200.00"})),
            ("REI-WERKFIT", json!({"price": "2450.00", "volume_cap": 10})),
            ("JOBCOACH-UUR", json!({"price": "87.50"})),
            ("PLANREGIE-MAAND", json!({"price": "1200.00"})),
            ("DAGB-DAGDEEL", json!({"price": "54.35"})),
            ("LOONWAARDEMETING", json!({"price": "895.00"})),
        ],
    )
    .await;
    contract(
        app,
        "GM0865",
        Some("15000.00"),
        &[("REI-WERKFIT", json!({"price": "2450.00"}))],
    )
    .await;
    let a = order(app, CASEMANAGER_BOXTEL, BSN_A, json!([
        {"product_code": "REI-WERKFIT", "start_date": format!("{y}-01-10")},
        {"product_code": "PLANREGIE-MAAND", "start_date": format!("{y}-01-17"), "end_date": format!("{y}-12-31")},
        {"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-01-05"), "quantity": "40", "frequency": "total"},
        {"product_code": "LOONWAARDEMETING", "start_date": format!("{y}-01-05"), "quantity": "1", "frequency": "total"}
    ]), true, d(y, 1, 5)).await;
    for (line, date) in [
        (&a[0], "01-10"),
        (&a[1], "01-17"),
        (&a[2], "01-05"),
        (&a[3], "01-05"),
    ] {
        registered(
            app,
            line,
            json!({"kind": "start", "date": format!("{y}-{date}")}),
        )
        .await;
    }
    registered(
        app,
        &a[0],
        json!({"kind": "complete", "date": format!("{y}-03-20"), "outcome": "goal_reached"}),
    )
    .await;
    registered(
        app,
        &a[1],
        json!({"kind": "stop", "date": format!("{y}-03-09"), "note": "verhuisd"}),
    )
    .await;
    for (line, quantity) in [(&a[2], "12.5"), (&a[3], "1")] {
        let r = delivery(
            app,
            line,
            json!({"period": format!("{y}-02"), "quantity": quantity}),
        )
        .await;
        assert_eq!(r.status, Status::Created, "{}", r.body);
    }
    let werkfit = |start: &str| json!([{"product_code": "REI-WERKFIT", "start_date": format!("{y}-{start}")}]);
    let b = order(
        app,
        CASEMANAGER_BOXTEL,
        "999990020",
        werkfit("04-01"),
        true,
        d(y, 3, 20),
    )
    .await;
    registered(
        app,
        &b[0],
        json!({"kind": "start", "date": format!("{y}-04-01")}),
    )
    .await;
    registered(
        app,
        &b[0],
        json!({"kind": "complete", "date": format!("{y}-06-15"), "outcome": "regular_work"}),
    )
    .await;
    order(
        app,
        CASEMANAGER_BOXTEL,
        "999990032",
        werkfit("04-01"),
        false,
        d(y, 3, 25),
    )
    .await;
    let e = order(
        app,
        CASEMANAGER_BOXTEL,
        "999990044",
        werkfit("05-01"),
        true,
        d(y, 4, 10),
    )
    .await;
    registered(
        app,
        &e[0],
        json!({"kind": "start", "date": format!("{y}-05-01")}),
    )
    .await;
    registered(
        app,
        &e[0],
        json!({"kind": "complete", "date": format!("{y}-05-31"), "outcome": "goal_not_reached"}),
    )
    .await;
    let dagb = order(app, CASEMANAGER_BOXTEL, "999990056", json!([
        {"product_code": "DAGB-DAGDEEL", "start_date": format!("{y}-07-01"), "quantity": "10", "frequency": "total"}
    ]), true, d(y, 5, 2)).await;
    registered(
        app,
        &dagb[0],
        json!({"kind": "start", "date": format!("{y}-07-01")}),
    )
    .await;
    let r = delivery(
        app,
        &dagb[0],
        json!({"period": format!("{y}-07"), "quantity": "4"}),
    )
    .await;
    assert_eq!(r.status, Status::Created, "{}", r.body);
    let v = order(
        app,
        CASEMANAGER_VUGHT,
        "999990068",
        werkfit("02-01"),
        true,
        d(y, 2, 1),
    )
    .await;
    registered(
        app,
        &v[0],
        json!({"kind": "start", "date": format!("{y}-02-01")}),
    )
    .await;
    registered(
        app,
        &v[0],
        json!({"kind": "complete", "date": format!("{y}-02-20"), "outcome": "goal_reached"}),
    )
    .await;
    run(app, &format!("{y}-03")).await;
    finalise_drafts(app).await;
    run(app, &format!("{y}-06")).await;
    finalise_drafts(app).await;
    // July stays a draft: its 4 day-parts (217.40) are not invoiced yet.
    run(app, &format!("{y}-07")).await;
    // Credit the loonwaardemeting (895.00, February) on Boxtel's first invoice.
    let finance = app.login_as(FINANCE).await;
    let invoices = app
        .all_items(
            &finance,
            "/api/v1/invoices?municipality=GM0757&status=final",
        )
        .await;
    let mut credited = false;
    for inv in invoices {
        let full = app
            .get(
                &finance,
                &format!("/api/v1/invoices/{}", inv["id"].as_str().unwrap()),
            )
            .await
            .json();
        if let Some(line) = full["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["trajectory_line_id"] == a[3].as_str())
        {
            let r = app
                .post_json(
                    &finance,
                    &format!("/api/v1/invoices/{}/credit", inv["id"].as_str().unwrap()),
                    &json!({"line_ids": [line["id"]], "reason": "meting ging niet door"}),
                )
                .await;
            assert_eq!(r.status, Status::Created, "{}", r.body);
            assert_eq!(r.json()["net"], "895.00");
            credited = true;
        }
    }
    assert!(credited);
    Fixture { y }
}

async fn report(app: &TestApp, who: &As, name: &str, query: &str) -> Value {
    let r = app
        .get(who, &format!("/api/v1/reports/{name}?{query}"))
        .await;
    assert_eq!(r.status, Status::Ok, "{name}: {}", r.body);
    r.json()
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

/// The principal of a demo user, for calling the services with a chosen date.
async fn principal(app: &TestApp, email: &str) -> plusmarkt::auth::Principal {
    let user = plusmarkt::store::users::find_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap();
    plusmarkt::store::users::principal_of(&user, None).unwrap()
}

#[rocket::async_test]
async fn each_report_matches_the_hand_computed_figures() {
    let app = TestApp::new().await;
    let Fixture { y } = insight_data(&app).await;
    let finance = app.login_as(FINANCE).await;
    let q = format!("municipality=GM0757&year={y}");

    // Budget. Committed by order month: January 2450.00 + 13780.65 + 3500.00 + 895.00 =
    // 20625.65; March 2450.00 (B; C was rejected); April 2450.00 (E); May 543.50 (D).
    // Invoiced by service month, final invoices minus the credit note:
    // Jan 1225.00 + 580.65 = 1805.65; Feb 1200.00 + 1093.75 + 895.00 - 895.00 = 2293.75;
    // Mar 1225.00 + 348.39 = 1573.39; Apr 1225.00 (B start); May 1225.00 + 1225.00 (E);
    // Jun 1225.00 (B done); Jul nothing (draft). Total 10572.79.
    let budget = report(&app, &finance, "budget", &q).await;
    assert_eq!(budget["municipality"], "GM0757");
    assert_eq!(budget["year"], y);
    assert_eq!(budget["ceiling"], "30000.00");
    assert_eq!(budget["committed"], "26069.15");
    assert_eq!(budget["remaining"], "3930.85");
    assert_eq!(budget["invoiced"], "10572.79");
    // A past year is over: the forecast is what was invoiced.
    assert_eq!(budget["months_elapsed"], 12);
    assert_eq!(budget["forecast"], "10572.79");
    let months = budget["months"].as_array().unwrap();
    let pick = |i: usize, field: &str| months[i][field].as_str().unwrap().to_string();
    let committed: Vec<String> = (0..12).map(|i| pick(i, "committed")).collect();
    let invoiced: Vec<String> = (0..12).map(|i| pick(i, "invoiced")).collect();
    assert_eq!(
        committed,
        [
            "20625.65", "0.00", "2450.00", "2450.00", "543.50", "0.00", "0.00", "0.00", "0.00",
            "0.00", "0.00", "0.00"
        ]
    );
    assert_eq!(
        invoiced,
        [
            "1805.65", "2293.75", "1573.39", "1225.00", "2450.00", "1225.00", "0.00", "0.00",
            "0.00", "0.00", "0.00", "0.00"
        ]
    );
    assert_eq!(pick(0, "period"), format!("{y}-01"));
    assert_eq!(pick(3, "committed_cumulative"), "25525.65");
    assert_eq!(pick(2, "invoiced_cumulative"), "5672.79");
    assert_eq!(pick(11, "committed_cumulative"), "26069.15");
    assert_eq!(pick(11, "invoiced_cumulative"), "10572.79");

    // Spend by product, highest invoiced first.
    let products = report(&app, &finance, "products", &q).await;
    let rows: Vec<(String, u64, String, String)> = items(&products)
        .iter()
        .map(|p| {
            (
                p["product_code"].as_str().unwrap().to_string(),
                p["order_lines"].as_u64().unwrap(),
                p["committed"].as_str().unwrap().to_string(),
                p["invoiced"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("REI-WERKFIT", 3, "7350.00", "7350.00"),
        ("PLANREGIE-MAAND", 1, "13780.65", "2129.04"),
        ("JOBCOACH-UUR", 1, "3500.00", "1093.75"),
        ("LOONWAARDEMETING", 1, "895.00", "0.00"),
        ("DAGB-DAGDEEL", 1, "543.50", "0.00"),
    ];
    assert_eq!(
        rows,
        expected
            .iter()
            .map(|(c, n, a, b)| (c.to_string(), *n, a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    // The same spend by provider, service type and municipality: all WSD's, in Boxtel,
    // adding up to the products' totals.
    let providers = report(&app, &finance, "providers", &q).await;
    assert_eq!(providers["committed"], products["committed"]);
    assert_eq!(providers["invoiced"], products["invoiced"]);
    assert_eq!(providers["committed"], "26069.15");
    assert_eq!(providers["invoiced"], "10572.79");
    let provider_rows = items(&providers);
    assert!(!provider_rows.is_empty());
    for row in provider_rows {
        assert_eq!(row["provider"], "WSD", "{row}");
        assert_eq!(row["municipality"], "GM0757", "{row}");
        assert_eq!(row["municipality_name"], "Boxtel", "{row}");
    }
    assert_eq!(
        provider_rows
            .iter()
            .map(|r| r["order_lines"].as_u64().unwrap())
            .sum::<u64>(),
        7
    );
    assert_eq!(products["committed"], "26069.15");
    assert_eq!(products["invoiced"], "10572.79");

    // Spend by target group: each product counts fully for each of its groups.
    // Werkfit: bijstand, nugger, jongeren; Planregie: bijstand, nugger, wmo, jeugd;
    // jobcoaching: jongeren, wsw, beschut, lks, werkgever; loonwaardemeting: beschut, lks,
    // werkgever; dagbesteding: bijstand, beschut, wmo.
    let groups = report(&app, &finance, "target_groups", &q).await;
    assert_eq!(groups["overlapping"], true);
    let rows: Vec<(String, u64, String, String)> = items(&groups)
        .iter()
        .map(|g| {
            (
                g["target_group"].as_str().unwrap().to_string(),
                g["products"].as_u64().unwrap(),
                g["committed"].as_str().unwrap().to_string(),
                g["invoiced"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("bijstand", 3, "21674.15", "9479.04"),
        ("nugger", 2, "21130.65", "9479.04"),
        ("jongeren", 2, "10850.00", "8443.75"),
        ("wmo", 2, "14324.15", "2129.04"),
        ("jeugd", 1, "13780.65", "2129.04"),
        ("beschut", 3, "4938.50", "1093.75"),
        ("lks", 2, "4395.00", "1093.75"),
        ("werkgever", 2, "4395.00", "1093.75"),
        ("wsw", 1, "3500.00", "1093.75"),
        ("statushouder", 0, "0.00", "0.00"),
    ];
    assert_eq!(
        rows,
        expected
            .iter()
            .map(|(c, n, a, b)| (c.to_string(), *n, a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );

    // Trajectories by status: A and D started, B and E completed, C rejected.
    let status = report(&app, &finance, "status", &q).await;
    let counts: Vec<(String, u64)> = items(&status)
        .iter()
        .map(|s| {
            (
                s["status"].as_str().unwrap().to_string(),
                s["trajectories"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("requested", 0),
            ("accepted", 0),
            ("started", 2),
            ("completed", 2),
            ("stopped", 0),
            ("rejected", 1),
            ("cancelled", 0)
        ]
        .map(|(s, n)| (s.to_string(), n))
    );
    assert_eq!(status["total"], 5);

    // Outcomes: Werkfit 3 completed (A goal reached, B regular work, E not reached) → 2 of 3
    // reached = 66.7%, 1 in regular work; Planregie 1 stopped.
    let outcomes = report(&app, &finance, "outcomes", &q).await;
    let rows = items(&outcomes);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["product_code"], "PLANREGIE-MAAND");
    assert_eq!(rows[0]["completed"], 0);
    assert_eq!(rows[0]["stopped"], 1);
    assert_eq!(rows[0]["goal_reached_share"], Value::Null);
    assert_eq!(rows[1]["product_code"], "REI-WERKFIT");
    assert_eq!(rows[1]["completed"], 3);
    assert_eq!(rows[1]["goal_reached"], 2);
    assert_eq!(rows[1]["goal_reached_share"], "66.7");
    assert_eq!(rows[1]["regular_work"], 1);
    assert_eq!(outcomes["goal_reached_share"], "66.7");
    assert_eq!(outcomes["stopped"], 1);

    // Uptake against caps: 3 of 10 Werkfit trajectories (C rejected does not count).
    let uptake = report(&app, &finance, "uptake", &q).await;
    let rows = items(&uptake);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0]["product_code"], "REI-WERKFIT");
    assert_eq!(rows[0]["measure"], "traject");
    assert_eq!(rows[0]["ordered"], "3");
    assert_eq!(rows[0]["cap"], "10");
    assert_eq!(rows[0]["used_under_cap"], "3");
    assert_eq!(rows[0]["cap_share"], "30.0");
    let jobcoach = rows
        .iter()
        .find(|r| r["product_code"] == "JOBCOACH-UUR")
        .unwrap();
    assert_eq!(jobcoach["measure"], "uur");
    assert_eq!(jobcoach["ordered"], "40");
    assert_eq!(jobcoach["cap"], Value::Null);
    assert_eq!(jobcoach["cap_share"], Value::Null);

    // All municipalities together: Vught adds a ceiling of 15000.00 and Werkfit 2450.00
    // committed and invoiced in February.
    let all = format!("municipality=alle&year={y}");
    let budget = report(&app, &finance, "budget", &all).await;
    assert_eq!(budget["municipality"], Value::Null);
    assert_eq!(budget["ceiling"], "45000.00");
    assert_eq!(budget["committed"], "28519.15");
    // Room left per contract: 30000.00 - 26069.15 + 15000.00 - 2450.00.
    assert_eq!(budget["remaining"], "16480.85");
    assert_eq!(budget["invoiced"], "13022.79");
    assert_eq!(budget["months"][1]["invoiced"], "4743.75");
    assert_eq!(budget["months"][1]["committed"], "2450.00");
    let outcomes = report(&app, &finance, "outcomes", &all).await;
    assert_eq!(items(&outcomes)[1]["completed"], 4);
    assert_eq!(items(&outcomes)[1]["goal_reached"], 3);
    assert_eq!(items(&outcomes)[1]["goal_reached_share"], "75.0");
    let status = report(&app, &finance, "status", &all).await;
    assert_eq!(status["total"], 6);

    // Revenue against the plan of 1500000.00: 13022.79 = 0.868…% → 0.9%.
    let plan = report(&app, &finance, "plan", &format!("year={y}")).await;
    assert_eq!(plan["plan"], "1500000.00");
    assert_eq!(plan["revenue"], "13022.79");
    assert_eq!(plan["plan_share"], "0.9");
    assert_eq!(plan["months"][0]["plan_cumulative"], "125000.00");
    assert_eq!(plan["months"][5]["plan_cumulative"], "750000.00");
    assert_eq!(plan["months"][11]["plan_cumulative"], "1500000.00");
    assert_eq!(plan["months"][1]["revenue"], "4743.75");
    assert_eq!(plan["months"][11]["revenue_cumulative"], "13022.79");
    // The plan is WSD's as a whole: not per municipality, not for casemanagers.
    let r = app
        .get(&finance, &format!("/api/v1/reports/plan?{q}"))
        .await;
    assert_eq!(r.status, Status::UnprocessableEntity);
    let boxtel = app.login_as(CASEMANAGER_BOXTEL).await;
    let r = app
        .get(&boxtel, &format!("/api/v1/reports/plan?year={y}"))
        .await;
    assert_eq!(r.status, Status::Forbidden);
    assert!(r.is_problem());
    let r = app
        .get(&finance, &format!("/api/v1/reports/nonsense?{q}"))
        .await;
    assert_eq!(r.status, Status::NotFound);
    // The route and its answers are in the OpenAPI document.
    let doc = app.get(&As::Anonymous, "/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/reports/{report}"]["get"].is_object());
    for schema in ["Report", "BudgetReport", "PlanReport", "UptakeReport"] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
}

#[rocket::async_test]
async fn the_forecast_runs_the_rate_so_far_to_year_end() {
    let app = TestApp::new().await;
    let Fixture { y } = insight_data(&app).await;
    use plusmarkt::views::reports::{report, select, Report, ReportKind};
    let who = principal(&app, CASEMANAGER_BOXTEL).await;
    for (today, elapsed, so_far, forecast) in [
        // On 15 April three months are over: 5672.79 ÷ 3 × 12 = 22691.16.
        (d(y, 4, 15), 3, "5672.79", "22691.16"),
        // On 10 July six: 10572.79 ÷ 6 × 12 = 21145.58.
        (d(y, 7, 10), 6, "10572.79", "21145.58"),
    ] {
        let selection = select(&app.db, &who, None, Some(y), today).await.unwrap();
        let Report::Budget(b) = report(&app.db, &who, &selection, ReportKind::Budget)
            .await
            .unwrap()
        else {
            panic!("not a budget report");
        };
        assert_eq!(b.municipality.as_deref(), Some("GM0757"));
        assert_eq!(b.months_elapsed, elapsed);
        assert_eq!(b.invoiced_so_far.to_string(), so_far);
        assert_eq!(b.forecast.map(|f| f.to_string()).as_deref(), Some(forecast));
    }
    // In January nothing is over yet: no forecast.
    let selection = select(&app.db, &who, None, Some(y), d(y, 1, 20))
        .await
        .unwrap();
    let Report::Budget(b) = report(&app.db, &who, &selection, ReportKind::Budget)
        .await
        .unwrap()
    else {
        panic!("not a budget report");
    };
    assert_eq!(b.forecast, None);
}

#[rocket::async_test]
async fn the_page_and_the_csv_show_the_same_figures() {
    let app = TestApp::new().await;
    let Fixture { y } = insight_data(&app).await;
    let finance = app.login_as(FINANCE).await;
    let page = app
        .get(&finance, &format!("/inzicht?municipality=GM0757&year={y}"))
        .await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    for text in [
        "€ 30.000,00",
        "€ 26.069,15",
        "€ 3.930,85",
        "€ 10.572,79",
        "€ 13.780,65",
        "66,7%",
        "role=\"img\"",
        "<title id=\"grafiek-budget-title\">",
        "<desc id=\"grafiek-budget-desc\">",
        "/inzicht.csv?report=budget&amp;municipality=GM0757&amp;year=",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }
    // Finance chooses the municipality; the plan section asks for all municipalities.
    assert!(page
        .body
        .contains("<option value=\"GM0757\" selected>Boxtel</option>"));
    assert!(
        page.body.contains("kies hierboven ‘Alle gemeenten’")
            || page.body.contains("Kies hierboven ‘Alle gemeenten’")
    );
    let all = app
        .get(&finance, &format!("/inzicht?municipality=alle&year={y}"))
        .await;
    assert_eq!(all.status, Status::Ok);
    assert!(all.body.contains("€ 1.500.000,00"));
    assert!(all.body.contains("<title id=\"grafiek-plan-title\">"));
    assert!(all.body.contains("€ 13.022,79"));

    let csv = app
        .get(
            &finance,
            &format!("/inzicht.csv?report=budget&municipality=GM0757&year={y}"),
        )
        .await;
    assert_eq!(csv.status, Status::Ok);
    assert_eq!(csv.content_type.as_deref(), Some("text/csv"));
    assert!(csv
        .header("Content-Disposition")
        .unwrap()
        .contains(&format!("inzicht-budget-GM0757-{y}.csv")));
    let lines: Vec<&str> = csv.body.split("\r\n").collect();
    assert_eq!(lines[0], "gemeente;jaar;maand;budgetplafond;vastgelegd;gefactureerd;vastgelegd_cumulatief;gefactureerd_cumulatief;prognose_jaareinde");
    assert_eq!(
        lines[1],
        format!("GM0757;{y};{y}-01;30000,00;20625,65;1805,65;20625,65;1805,65;10572,79")
    );
    assert_eq!(
        lines[2],
        format!("GM0757;{y};{y}-02;30000,00;0,00;2293,75;20625,65;4099,40;10572,79")
    );
    assert_eq!(lines.len(), 14, "header, 12 months, final line end");
    let csv = app
        .get(
            &finance,
            &format!("/inzicht.csv?report=products&municipality=GM0757&year={y}"),
        )
        .await;
    assert!(csv.body.contains(&format!(
        "GM0757;{y};REI-WERKFIT;Werkfit;traject;3;7350,00;7350,00\r\n"
    )));
    let csv = app
        .get(
            &finance,
            &format!("/inzicht.csv?report=outcomes&municipality=GM0757&year={y}"),
        )
        .await;
    assert!(csv
        .body
        .contains(&format!("GM0757;{y};REI-WERKFIT;Werkfit;3;2;66,7;1;0\r\n")));
    for report in ["target_groups", "status", "uptake"] {
        let csv = app
            .get(
                &finance,
                &format!("/inzicht.csv?report={report}&municipality=GM0757&year={y}"),
            )
            .await;
        assert_eq!(csv.status, Status::Ok, "{report}");
        assert!(csv.body.lines().count() > 1, "{report}");
    }
    let csv = app
        .get(&finance, &format!("/inzicht.csv?report=plan&year={y}"))
        .await;
    assert!(csv.body.contains(&format!(
        "{y};{y}-12;0,00;13022,79;1500000,00;1500000,00\r\n"
    )));
    // Pricing and the administrator read the reports too; WSD's trajectory staff do not.
    for who in [PRICING, ADMIN] {
        let s = app.login_as(who).await;
        assert_eq!(
            app.get(&s, &format!("/inzicht?year={y}")).await.status,
            Status::Ok
        );
    }
    let staff = app.login_as(WSD_STAFF).await;
    assert_eq!(app.get(&staff, "/inzicht").await.status, Status::Forbidden);
    assert_eq!(
        app.get(&staff, "/api/v1/reports/budget").await.status,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn a_casemanager_of_vught_never_sees_boxtels_figures() {
    let app = TestApp::new().await;
    let Fixture { y } = insight_data(&app).await;
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    let token = app.token_for(CASEMANAGER_VUGHT).await;
    // Asking for Boxtel: not found, through the page, the CSV and the API (session and token).
    let page = app
        .get(&vught, &format!("/inzicht?municipality=GM0757&year={y}"))
        .await;
    assert_eq!(page.status, Status::NotFound);
    for report in [
        "budget",
        "products",
        "target_groups",
        "status",
        "outcomes",
        "uptake",
    ] {
        let csv = app
            .get(
                &vught,
                &format!("/inzicht.csv?report={report}&municipality=GM0757&year={y}"),
            )
            .await;
        assert_eq!(csv.status, Status::NotFound, "{report}");
        assert!(!csv.body.contains("GM0757;"), "{report}");
        for who in [&vught, &token] {
            let api = app
                .get(
                    who,
                    &format!("/api/v1/reports/{report}?municipality=GM0757&year={y}"),
                )
                .await;
            assert_eq!(api.status, Status::NotFound, "{report}");
            assert!(api.is_problem());
        }
    }
    // Without a municipality, or with "alle", a casemanager gets their own figures only.
    for query in [
        format!("year={y}"),
        format!("municipality=alle&year={y}"),
        format!("municipality=GM0865&year={y}"),
    ] {
        let budget = report(&app, &vught, "budget", &query).await;
        assert_eq!(budget["municipality"], "GM0865");
        assert_eq!(budget["ceiling"], "15000.00");
        assert_eq!(budget["committed"], "2450.00");
        assert_eq!(budget["invoiced"], "2450.00");
        assert_eq!(budget["months"][1]["invoiced"], "2450.00");
    }
    let products = report(&app, &vught, "products", &format!("year={y}")).await;
    assert_eq!(items(&products).len(), 1);
    assert_eq!(items(&products)[0]["product_code"], "REI-WERKFIT");
    let status = report(&app, &vught, "status", &format!("year={y}")).await;
    assert_eq!(status["total"], 1);
    let page = app.get(&vught, &format!("/inzicht?year={y}")).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("Inzicht: Vught"));
    assert!(page.body.contains("€ 2.450,00"));
    for boxtel_only in [
        "26.069,15",
        "10.572,79",
        "13.780,65",
        "30.000,00",
        "Planregie",
        "GM0757",
    ] {
        assert!(
            !page.body.contains(boxtel_only),
            "{boxtel_only} on Vught's page"
        );
    }
    // No municipality picker for a casemanager.
    assert!(!page.body.contains("name=\"municipality\""));
    let csv = app
        .get(&vught, &format!("/inzicht.csv?report=budget&year={y}"))
        .await;
    assert_eq!(csv.status, Status::Ok);
    assert!(csv.body.lines().skip(1).all(|l| l.starts_with("GM0865;")));
}

#[rocket::async_test]
async fn the_cost_price_calculator_and_its_saved_scenarios() {
    let app = TestApp::new().await;
    let Fixture { y } = insight_data(&app).await;
    let pricing = app.login_as(PRICING).await;
    // The worked example: fixed 100000.00, variable 250.00, 80 expected.
    // 100%: 100000 / 80 + 250 = 1500.00; 80% (64): 1562.50 + 250 = 1812.50;
    // 110% (88): 1136.3636… + 250 = 1386.36. Against Werkfit's list price 3450.00 the
    // break-even is 100000 / 3200 = 31.25 → 32, the margin 3450.00 - 1500.00 = 1950.00.
    let page = app
        .get(&pricing, "/prijzen/kostprijs?product=REI-WERKFIT&fixed_costs=100.000,00&variable_cost=250&expected_volume=80")
        .await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    for text in [
        "€ 1.812,50",
        "€ 1.500,00",
        "€ 1.386,36",
        ">64<",
        ">80<",
        ">88<",
        "€ 3.450,00",
        "€ 1.950,00",
        "32 traject",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }
    // Against an agreed price of 1725.00: 100000 / 1475 = 67.8 → 68, margin 225.00.
    contract(
        &app,
        "GM0823",
        None,
        &[("REI-WERKFIT", json!({"price": "1725.00"}))],
    )
    .await;
    let who = principal(&app, PRICING).await;
    let inputs = plusmarkt::domain::reports::CostInputs {
        fixed: plusmarkt::domain::money::Money::from_cents(10_000_000),
        variable: plusmarkt::domain::money::Money::from_cents(25_000),
        expected_volume: rust_decimal::Decimal::from(80),
    };
    let view =
        plusmarkt::views::reports::cost_price(&app.db, &who, "REI-WERKFIT", inputs, d(y, 6, 1))
            .await
            .unwrap();
    let oirschot = view
        .prices
        .iter()
        .find(|p| p.municipality.as_deref() == Some("GM0823"))
        .unwrap();
    assert_eq!(oirschot.price.to_string(), "1725.00");
    assert_eq!(oirschot.break_even, Some(rust_decimal::Decimal::from(68)));
    assert_eq!(oirschot.margin.unwrap().to_string(), "225.00");
    let boxtel = view
        .prices
        .iter()
        .find(|p| p.municipality.as_deref() == Some("GM0757"))
        .unwrap();
    // 100000 / (2450 - 250) = 45.45… → 46.
    assert_eq!(boxtel.break_even, Some(rust_decimal::Decimal::from(46)));
    let costs: Vec<String> = view
        .scenarios
        .iter()
        .map(|s| s.cost_price.unwrap().to_string())
        .collect();
    assert_eq!(costs, ["1812.50", "1500.00", "1386.36"]);

    // The default volume is the year's uptake: Werkfit A, B, E and V (C was rejected);
    // Planregie ran January to March; 40 hours of jobcoaching.
    for (code, volume) in [
        ("REI-WERKFIT", "4"),
        ("PLANREGIE-MAAND", "3"),
        ("JOBCOACH-UUR", "40"),
    ] {
        let v = plusmarkt::views::reports::expected_volume(&app.db, &who, code, y)
            .await
            .unwrap();
        assert_eq!(v.to_string(), volume, "{code}");
    }

    // Saving a scenario, then saving it again under the same name: audited with before/after.
    let fields = [
        ("product", "REI-WERKFIT"),
        ("fixed_costs", "100000,00"),
        ("variable_cost", "250,00"),
        ("expected_volume", "80"),
        ("name", "Begroting volgend jaar"),
        ("note", "uit de scenario's 80/100/110%"),
    ];
    let saved = app.post_form(&pricing, "/prijzen/kostprijs", &fields).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    let location = saved.header("Location").unwrap().to_string();
    let page = app.get(&pricing, &location).await;
    assert!(page.body.contains("Het scenario is opgeslagen."));
    assert!(page.body.contains("Begroting volgend jaar"));
    assert!(page.body.contains("€ 1.500,00"));
    let mut changed = fields;
    changed[3] = ("expected_volume", "64");
    let again = app
        .post_form(&pricing, "/prijzen/kostprijs", &changed)
        .await;
    assert_eq!(again.status, Status::SeeOther);
    let admin = app.login_as(ADMIN).await;
    let events = app
        .all_items(&admin, "/api/v1/audit-events?entity=cost_scenario")
        .await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["action"], "cost_scenario.create");
    assert_eq!(events[0]["before"], Value::Null);
    assert_eq!(events[0]["after"]["fixed_costs"], "100000.00");
    assert_eq!(events[1]["action"], "cost_scenario.update");
    assert_eq!(events[1]["before"]["expected_volume"], "80");
    assert_eq!(events[1]["after"]["expected_volume"], "64");
    assert_eq!(events[0]["entity_id"], events[1]["entity_id"]);
    // Bad input is refused with the reason, nothing saved.
    let mut bad = fields;
    bad[2] = ("variable_cost", "-5");
    bad[3] = ("expected_volume", "0");
    let refused = app.post_form(&pricing, "/prijzen/kostprijs", &bad).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(refused.body.contains("role=\"alert\""));
    assert_eq!(
        app.all_items(&admin, "/api/v1/audit-events?entity=cost_scenario")
            .await
            .len(),
        2
    );
    // Only pricing staff use the calculator; the form needs its CSRF token.
    let finance = app.login_as(FINANCE).await;
    assert_eq!(
        app.get(&finance, "/prijzen/kostprijs").await.status,
        Status::Forbidden
    );
    let forged = app
        .post_form_raw(&pricing, "/prijzen/kostprijs", &fields, None)
        .await;
    assert_eq!(forged.status, Status::Forbidden);
}

/// Writes the insight pages of the data set as HTML for a look in a browser, when
/// PLUSMARKT_INSIGHT_HTML names a folder (see README: screenshots of the charts).
#[rocket::async_test]
async fn the_pages_render_for_a_look() {
    let Some(dir) = std::env::var_os("PLUSMARKT_INSIGHT_HTML") else {
        return;
    };
    let app = TestApp::new().await;
    let Fixture { y } = insight_data(&app).await;
    this_year_on_the_demo_contracts(&app).await;
    let finance = app.login_as(FINANCE).await;
    let boxtel = app.login_as(CASEMANAGER_BOXTEL).await;
    let pricing = app.login_as(PRICING).await;
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, who, path) in [
        ("alle", &finance, format!("/inzicht?municipality=alle&year={y}")),
        ("boxtel", &boxtel, format!("/inzicht?year={y}")),
        ("dit-jaar-alle", &finance, "/inzicht?municipality=alle".to_string()),
        ("dit-jaar-boxtel", &boxtel, "/inzicht".to_string()),
        ("kostprijs", &pricing, "/prijzen/kostprijs?product=REI-WERKFIT&fixed_costs=100000&variable_cost=250&expected_volume=80".to_string()),
    ] {
        let page = app.get(who, &path).await;
        assert_eq!(page.status, Status::Ok);
        std::fs::write(
            dir.join(format!("{name}.html")),
            page.body.replace("/static/style.css", "style.css"),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("style.css"),
        include_str!("../../src/web/static/style.css"),
    )
    .unwrap();
}

/// Orders this year on the demo contracts, month by month up to the last completed month,
/// invoiced and finalised: Boxtel a Werkfit each month (done two months later), Vught 20
/// hours of jobcoaching each month with 8 delivered.
async fn this_year_on_the_demo_contracts(app: &TestApp) {
    use chrono::Datelike;
    let today = chrono::Local::now().date_naive();
    let (y, over) = (today.year(), today.month() - 1);
    for m in 1..=over {
        let werkfit = order(
            app,
            CASEMANAGER_BOXTEL,
            BSN_A,
            json!([{"product_code": "REI-WERKFIT", "start_date": format!("{y}-{m:02}-05")}]),
            true,
            d(y, m, 2),
        )
        .await;
        registered(
            app,
            &werkfit[0],
            json!({"kind": "start", "date": format!("{y}-{m:02}-05")}),
        )
        .await;
        if m + 2 <= over {
            let outcome = ["goal_reached", "regular_work", "goal_not_reached"][(m % 3) as usize];
            registered(
                app,
                &werkfit[0],
                json!({"kind": "complete", "date": format!("{y}-{:02}-20", m + 2), "outcome": outcome}),
            )
            .await;
        }
        let hours = order(app, CASEMANAGER_VUGHT, "999990081", json!([
            {"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-{m:02}-03"), "quantity": "20", "frequency": "total"}
        ]), true, d(y, m, 1)).await;
        registered(
            app,
            &hours[0],
            json!({"kind": "start", "date": format!("{y}-{m:02}-03")}),
        )
        .await;
        let r = delivery(
            app,
            &hours[0],
            json!({"period": format!("{y}-{m:02}"), "quantity": "8"}),
        )
        .await;
        assert_eq!(r.status, Status::Created, "{}", r.body);
    }
    if over > 0 {
        run(app, &format!("{y}-{over:02}")).await;
        finalise_drafts(app).await;
    }
}
