//! Two servers on one database (PostgreSQL in CI, a SQLite file otherwise): caps hold
//! across them, simultaneous invoice runs bill once, and numbering stays gapless.

use rocket::http::{Method, Status};
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
