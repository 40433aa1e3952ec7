//! Two servers on one database (PostgreSQL in CI, a SQLite file otherwise): caps hold
//! across them, simultaneous invoice runs bill once, numbering stays gapless, and one
//! server's product list shows the other's changes at once.

use rocket::http::{Method, Status};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::harness::*;
use crate::ordering::{boxtel_2030, register, werkfit, BSN_A};

#[rocket::async_test]
async fn orders_at_a_cap_from_two_servers_take_exactly_the_cap() {
    let a = TestApp::on_file().await;
    let b = a.second_server().await;
    boxtel_2030(&a, "10000000.00").await;
    let cm_a = a.login_as(CASEMANAGER_BOXTEL).await;
    let cm_b = b.login_as(CASEMANAGER_BOXTEL).await;
    let client = register(&a, &cm_a, BSN_A, "A. Klant").await;
    let order = werkfit(&client);
    let from_a = (0..30).map(|_| {
        let (who, order) = (cm_a.clone(), order.clone());
        let a = &a;
        async move {
            a.post_json(&who, "/api/v1/trajectories", &order)
                .await
                .status
        }
    });
    let from_b = (0..30).map(|_| {
        let (who, order) = (cm_b.clone(), order.clone());
        let b = &b;
        async move {
            b.post_json(&who, "/api/v1/trajectories", &order)
                .await
                .status
        }
    });
    let (ra, rb) = futures::future::join(
        futures::future::join_all(from_a),
        futures::future::join_all(from_b),
    )
    .await;
    let created = ra
        .iter()
        .chain(rb.iter())
        .filter(|s| **s == Status::Created)
        .count();
    assert_eq!(created, 10, "a: {ra:?}\nb: {rb:?}");
    // Both servers took part.
    assert!(ra
        .iter()
        .chain(rb.iter())
        .all(|s| *s == Status::Created || *s == Status::UnprocessableEntity));
}

#[rocket::async_test]
async fn simultaneous_invoice_runs_on_two_servers_bill_once_and_number_gaplessly() {
    let a = TestApp::on_file().await;
    let b = a.second_server().await;
    crate::registration::boxtel_last_year(&a).await;
    let y = crate::registration::last_year();
    let (_, lines) = crate::registration::accepted(&a, json!([{"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-03-01"), "quantity": "40", "frequency": "total"}])).await;
    assert_eq!(
        crate::registration::event(
            &a,
            &lines[0],
            json!({"kind": "start", "date": format!("{y}-03-01")})
        )
        .await
        .status,
        Status::Created
    );
    for m in 3..9 {
        assert_eq!(
            crate::registration::delivery(
                &a,
                &lines[0],
                json!({"period": format!("{y}-{m:02}"), "quantity": "2"})
            )
            .await
            .status,
            Status::Created
        );
    }
    let fa = a.login_as(FINANCE).await;
    let fb = b.login_as(FINANCE).await;
    let body = json!({"period": format!("{y}-12")});
    let (ra, rb) = futures::future::join(
        a.post_json(&fa, "/api/v1/invoice-runs", &body),
        b.post_json(&fb, "/api/v1/invoice-runs", &body),
    )
    .await;
    assert_eq!(
        (ra.status, rb.status),
        (Status::Created, Status::Created),
        "{} {}",
        ra.body,
        rb.body
    );
    let lines_billed = ra.json()["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rb.json()["invoices"].as_array().unwrap())
        .map(|i| i["lines"].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(
        lines_billed, 6,
        "one run billed the six months, the other nothing"
    );
    let drafts = a.get(&fa, "/api/v1/invoices?status=draft").await.json();
    assert_eq!(drafts["items"].as_array().unwrap().len(), 1);
    let id = drafts["items"][0]["id"].as_str().unwrap().to_string();
    // Finalise on one server, credit lines on both at once: numbers stay consecutive.
    let fin = a
        .send_json(
            Method::Post,
            &fa,
            &format!("/api/v1/invoices/{id}/finalise"),
            "",
            &[],
        )
        .await
        .json();
    let line_ids: Vec<String> = fin["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    let credits = line_ids.iter().enumerate().map(|(i, l)| {
        let (server, who) = if i % 2 == 0 {
            (&a, fa.clone())
        } else {
            (&b, fb.clone())
        };
        let l = l.clone();
        let id = id.clone();
        async move {
            server
                .post_json(
                    &who,
                    &format!("/api/v1/invoices/{id}/credit"),
                    &json!({"line_ids": [l], "reason": "test"}),
                )
                .await
                .json()["number"]
                .as_str()
                .map(str::to_string)
        }
    });
    let mut numbers: Vec<String> = futures::future::join_all(credits)
        .await
        .into_iter()
        .flatten()
        .collect();
    numbers.push(fin["number"].as_str().unwrap().to_string());
    numbers.sort();
    let year = chrono::Datelike::year(&chrono::Local::now().date_naive());
    let expected: Vec<String> = (1..=7).map(|n| format!("{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

/// The contract price a casemanager's product list shows for a product in mid-2030, or
/// none when the product is not listed.
async fn listed_price(app: &TestApp, who: &As, code: &str) -> Option<String> {
    let reply = app
        .get(who, "/api/v1/products?on=2030-07-01&limit=500")
        .await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    reply.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["code"] == code)
        .map(|p| p["contract_price"].as_str().unwrap_or_default().to_string())
}

/// Each server keeps the product list in memory; a change made through the other server,
/// or by a statement no server made, shows in the next list.
#[rocket::async_test]
async fn a_servers_product_list_shows_changes_made_elsewhere_at_once() {
    let a = TestApp::on_file().await;
    let b = a.second_server().await;
    let contract = boxtel_2030(&a, "10000000.00").await;
    let cm = b.login_as(CASEMANAGER_BOXTEL).await;
    assert_eq!(
        listed_price(&b, &cm, "REI-WERKFIT").await.as_deref(),
        Some("3450.00")
    );

    // An amendment through server a.
    let pricing = a.login_as(PRICING).await;
    let amended = a
        .send_json(
            Method::Put,
            &pricing,
            &format!("/api/v1/contracts/{contract}/lines/REI-WERKFIT"),
            r#"{"price": "3600.00", "effective_from": "2030-07-01"}"#,
            &[],
        )
        .await;
    assert_eq!(amended.status, Status::Ok, "{}", amended.body);
    assert_eq!(
        listed_price(&b, &cm, "REI-WERKFIT").await.as_deref(),
        Some("3600.00")
    );

    // Statements straight to the database: a price, and a product retired.
    a.db.execute_unprepared(&format!(
        "UPDATE contract_line_prices SET price_cents = 99900 WHERE contract_line_id IN \
         (SELECT id FROM contract_lines WHERE contract_id = '{contract}' AND product_code = 'DIAG-AANZET')"
    ))
    .await
    .unwrap();
    assert_eq!(
        listed_price(&b, &cm, "DIAG-AANZET").await.as_deref(),
        Some("999.00")
    );
    assert!(listed_price(&b, &cm, "PLANREGIE-MAAND").await.is_some());
    a.db.execute_unprepared(
        "UPDATE products SET status = 'retired' WHERE code = 'PLANREGIE-MAAND'",
    )
    .await
    .unwrap();
    assert_eq!(listed_price(&b, &cm, "PLANREGIE-MAAND").await, None);
}
