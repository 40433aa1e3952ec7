//! The casemanager's trajectory list (API and page) is loaded in batches: the number of
//! SQL statements one request runs does not grow with the number of trajectories shown.

use rocket::http::Status;
use serde_json::json;

use crate::harness::*;
use crate::ordering::{boxtel_2030, register, BSN_A};

/// The statements one GET runs (through the harness's counter), after checking that it
/// answers 200.
async fn count(app: &TestApp, who: &As, path: &str) -> usize {
    let (statements, reply) = app.queries(app.get(who, path)).await;
    assert_eq!(reply.status, Status::Ok, "{path}: {}", reply.body);
    statements.len()
}

async fn order(app: &TestApp, cm: &As, client: &str, n: usize) {
    for i in 0..n {
        let reply = app
            .post_json(
                cm,
                "/api/v1/trajectories",
                &json!({"client_id": client, "buyer_reference": format!("Q-{i}"),
                    "lines": [{"product_code": "DIAG-AANZET", "start_date": "2030-02-01"},
                              {"product_code": "PLANREGIE-MAAND", "start_date": "2030-02-01", "end_date": "2030-04-30"}]}),
            )
            .await;
        assert_eq!(reply.status, Status::Created, "{}", reply.body);
    }
}

#[rocket::async_test]
async fn the_casemanagers_trajectory_list_runs_as_many_statements_for_200_as_for_10() {
    let app = TestApp::new().await;
    boxtel_2030(&app, "100000000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    order(&app, &cm, &client, 10).await;
    let api = "/api/v1/trajectories?limit=500";
    let page = "/trajecten";
    let searched = "/trajecten?zoek=vries";
    let staff = app.login_as(WSD_STAFF).await;
    let staff_page = "/wsd/trajecten?gemeente=GM0757&zoek=vries";
    // A first request of each warms whatever is read once per session or server.
    count(&app, &cm, api).await;
    count(&app, &cm, page).await;
    count(&app, &cm, searched).await;
    count(&app, &staff, staff_page).await;
    let api_10 = count(&app, &cm, api).await;
    let page_10 = count(&app, &cm, page).await;
    let searched_10 = count(&app, &cm, searched).await;
    let staff_10 = count(&app, &staff, staff_page).await;

    order(&app, &cm, &client, 190).await;
    let listed = app.get(&cm, api).await;
    assert_eq!(listed.json()["items"].as_array().map(Vec::len), Some(200));
    let api_200 = count(&app, &cm, api).await;
    let page_200 = count(&app, &cm, page).await;
    println!(
        "statements: API {api_10} (10) / {api_200} (200), page {page_10} (10) / {page_200} (200)"
    );
    assert_eq!(api_200, api_10, "the API list grows with its rows");
    assert_eq!(page_200, page_10, "the page grows with its rows");
    assert_eq!(
        count(&app, &cm, searched).await,
        searched_10,
        "the searched page grows with its rows"
    );
    assert_eq!(
        count(&app, &staff, staff_page).await,
        staff_10,
        "the provider staff's filtered page grows with its rows"
    );
}
