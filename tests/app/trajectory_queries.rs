//! The casemanager's trajectory list (API and page) is loaded in batches: the number of
//! SQL statements one request runs does not grow with the number of trajectories shown.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use plusmarkt::auth::guards::SESSION_COOKIE;
use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::Client;
use serde_json::json;

use crate::harness::*;
use crate::ordering::{boxtel_2030, register, BSN_A};

/// A second server on the app's database whose connection counts the statements it runs
/// (the mail worker's outbox polling left out, as it runs on its own schedule).
struct Counting {
    client: Client,
    statements: Arc<AtomicUsize>,
}

impl Counting {
    async fn on(app: &TestApp) -> Counting {
        let statements = Arc::new(AtomicUsize::new(0));
        let mut db = plusmarkt::store::db::connect(&app.database_url)
            .await
            .expect("connect");
        let counter = statements.clone();
        db.set_metric_callback(move |info| {
            if !info.statement.sql.contains("outbox") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let config = plusmarkt::Config::for_tests(&app.database_url);
        let rocket = plusmarkt::rocket_with(config, db);
        let client = Client::untracked(rocket).await.expect("rocket builds");
        Counting { client, statements }
    }

    /// The statements one GET runs, after checking that it answers 200.
    async fn count(&self, who: &As, path: &str) -> usize {
        let As::Session(token) = who else {
            panic!("a session")
        };
        self.statements.store(0, Ordering::SeqCst);
        let response = self
            .client
            .get(path)
            .private_cookie(Cookie::new(SESSION_COOKIE, token.clone()))
            .dispatch()
            .await;
        let n = self.statements.load(Ordering::SeqCst);
        let reply = TestApp::read(response).await;
        assert_eq!(reply.status, Status::Ok, "{path}: {}", reply.body);
        n
    }
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
    let app = TestApp::on_file().await;
    boxtel_2030(&app, "100000000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    order(&app, &cm, &client, 10).await;
    let counting = Counting::on(&app).await;
    let api = "/api/v1/trajectories?limit=500";
    let page = "/trajecten";
    // A first request of each warms whatever is read once per session or server.
    counting.count(&cm, api).await;
    counting.count(&cm, page).await;
    let api_10 = counting.count(&cm, api).await;
    let page_10 = counting.count(&cm, page).await;

    order(&app, &cm, &client, 190).await;
    let listed = app.get(&cm, api).await;
    assert_eq!(listed.json()["items"].as_array().map(Vec::len), Some(200));
    let api_200 = counting.count(&cm, api).await;
    let page_200 = counting.count(&cm, page).await;
    println!(
        "statements: API {api_10} (10) / {api_200} (200), page {page_10} (10) / {page_200} (200)"
    );
    assert_eq!(api_200, api_10, "the API list grows with its rows");
    assert_eq!(page_200, page_10, "the page grows with its rows");
}
