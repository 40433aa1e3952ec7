//! JSON request bodies: `null` in a PATCH clears a field (absent keeps it), and a body that
//! does not parse is answered in Dutch, naming the field by its path.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::harness::*;

/// A draft contract for Boxtel in 2031 with a ceiling of 50000.00.
async fn contract_with_ceiling(app: &TestApp, pricing: &As) -> String {
    let created = app
        .post_json(pricing, "/api/v1/contracts", &json!({"municipality": "GM0757", "valid_from": "2031-01-01", "valid_to": "2031-12-31", "budget_ceiling": "50000.00"}))
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    assert_eq!(created.json()["budget_ceiling"], "50000.00");
    created.json()["id"].as_str().unwrap().to_string()
}

#[rocket::async_test]
async fn patching_a_contract_with_a_null_ceiling_removes_it_and_absent_keeps_it() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let id = contract_with_ceiling(&app, &pricing).await;
    let path = format!("/api/v1/contracts/{id}");

    // Absent: the ceiling stays.
    let renamed = app
        .send_json(
            Method::Patch,
            &pricing,
            &path,
            r#"{"name": "Boxtel 2031"}"#,
            &[],
        )
        .await;
    assert_eq!(renamed.status, Status::Ok, "{}", renamed.body);
    assert_eq!(renamed.json()["budget_ceiling"], "50000.00");
    assert_eq!(
        app.get(&pricing, &path).await.json()["budget_ceiling"],
        "50000.00"
    );

    // null: the ceiling goes, in the answer and when read again.
    let cleared = app
        .send_json(
            Method::Patch,
            &pricing,
            &path,
            r#"{"budget_ceiling": null}"#,
            &[],
        )
        .await;
    assert_eq!(cleared.status, Status::Ok, "{}", cleared.body);
    assert_eq!(cleared.json()["budget_ceiling"], Value::Null);
    let read = app.get(&pricing, &path).await.json();
    assert_eq!(read["budget_ceiling"], Value::Null, "{read}");
    assert_eq!(read["name"], "Boxtel 2031");

    // A value sets it again; a number is refused with what to send.
    let set = app
        .send_json(
            Method::Patch,
            &pricing,
            &path,
            r#"{"budget_ceiling": "40000.00"}"#,
            &[],
        )
        .await;
    assert_eq!(set.json()["budget_ceiling"], "40000.00");
    let number = app
        .send_json(
            Method::Patch,
            &pricing,
            &path,
            r#"{"budget_ceiling": 40000}"#,
            &[],
        )
        .await;
    assert_eq!(number.status, Status::UnprocessableEntity);
    assert_eq!(number.json()["errors"][0]["field"], "budget_ceiling");
}

#[rocket::async_test]
async fn patching_a_product_with_a_null_exemption_reason_removes_it() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let path = "/api/v1/products/DAGB-DAGDEEL";
    let before = app.get(&pricing, path).await.json();
    assert_eq!(before["vat_category"], "exempt");
    assert!(before["vat_exemption_reason"].is_string(), "{before}");

    // Absent: the reason stays (and an exempt product needs it).
    let renamed = app
        .send_json(
            Method::Patch,
            &pricing,
            path,
            r#"{"summary": "Per dagdeel."}"#,
            &[],
        )
        .await;
    assert_eq!(renamed.status, Status::Ok, "{}", renamed.body);
    assert_eq!(
        renamed.json()["vat_exemption_reason"],
        before["vat_exemption_reason"]
    );

    // null with the standard rate: the reason goes (it was kept, and refused, before).
    let standard = app
        .send_json(
            Method::Patch,
            &pricing,
            path,
            r#"{"vat_category": "standard", "vat_exemption_reason": null}"#,
            &[],
        )
        .await;
    assert_eq!(standard.status, Status::Ok, "{}", standard.body);
    let read = app.get(&pricing, path).await.json();
    assert_eq!(read["vat_category"], "standard");
    assert_eq!(read["vat_exemption_reason"], Value::Null, "{read}");
}

/// The one field error of a 422, and its detail.
fn field_error(reply: &Reply) -> (String, String, String) {
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert!(reply.is_problem(), "{}", reply.body);
    let body = reply.json();
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    (
        errors[0]["field"].as_str().unwrap().to_string(),
        errors[0]["message"].as_str().unwrap().to_string(),
        body["detail"].as_str().unwrap().to_string(),
    )
}

#[rocket::async_test]
async fn a_body_that_does_not_fit_is_answered_in_dutch_naming_the_field() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let post = |who: &'static str, path: &'static str, body: &'static str| {
        let app = &app;
        let who = if who == PRICING { &pricing } else { &cm };
        async move { app.send_json(Method::Post, who, path, body, &[]).await }
    };

    // Unknown field: named, with the ones that are allowed.
    let unknown = post(
        PRICING,
        "/api/v1/contracts",
        r#"{"municipality": "GM0757", "valid_from": "2031-01-01", "valid_to": "2031-12-31", "settlemnt": "fixed"}"#,
    )
    .await;
    let (field, message, detail) = field_error(&unknown);
    assert_eq!(field, "settlemnt");
    assert!(
        message.starts_with("onbekend veld `settlemnt`; toegestaan zijn: ")
            && message.contains("municipality")
            && message.contains("budget_ceiling"),
        "{message}"
    );
    assert_eq!(detail, message);

    // Wrong type, deep in the body: the JSON path.
    let wrong_type = post(
        CASEMANAGER_BOXTEL,
        "/api/v1/trajectories",
        r#"{"client_id": "x", "lines": [{"product_code": "JOBCOACH-UUR", "start_date": "2030-03-01", "quantity": 3}]}"#,
    )
    .await;
    let (field, message, _) = field_error(&wrong_type);
    assert_eq!(field, "lines[0].quantity");
    assert_eq!(
        message,
        "`lines[0].quantity`: verwacht tekst, kreeg een getal"
    );

    // Missing field.
    let missing = post(
        PRICING,
        "/api/v1/contracts",
        r#"{"valid_from": "2031-01-01", "valid_to": "2031-12-31"}"#,
    )
    .await;
    let (field, message, _) = field_error(&missing);
    assert_eq!(field, "municipality");
    assert_eq!(message, "`municipality` ontbreekt");
    let missing_deep = post(
        CASEMANAGER_BOXTEL,
        "/api/v1/trajectories",
        r#"{"client_id": "x", "lines": [{"start_date": "2030-03-01"}]}"#,
    )
    .await;
    let (field, message, _) = field_error(&missing_deep);
    assert_eq!(field, "lines[0].product_code");
    assert_eq!(message, "`lines[0].product_code` ontbreekt");

    // Not JSON: 400 with line and column; cut short: says so.
    let syntax = post(
        PRICING,
        "/api/v1/contracts",
        "{\n  \"municipality\": GM0757}",
    )
    .await;
    assert_eq!(syntax.status, Status::BadRequest);
    assert!(syntax.is_problem());
    assert_eq!(
        syntax.json()["detail"],
        "ongeldige aanvraag: ongeldige JSON op regel 2, kolom 19"
    );
    let cut = post(PRICING, "/api/v1/contracts", r#"{"municipality": "#).await;
    assert_eq!(cut.status, Status::BadRequest);
    assert_eq!(
        cut.json()["detail"],
        "ongeldige aanvraag: de JSON houdt onverwacht op"
    );
    let trailing = post(
        PRICING,
        "/api/v1/contracts",
        r#"{"municipality": "GM0757", "valid_from": "2031-01-01", "valid_to": "2031-12-31"} x"#,
    )
    .await;
    assert_eq!(trailing.status, Status::BadRequest);
    assert!(trailing.json()["detail"]
        .as_str()
        .unwrap()
        .contains("ongeldige JSON op regel 1, kolom"));

    // No English from serde anywhere.
    for reply in [
        &unknown,
        &wrong_type,
        &missing,
        &missing_deep,
        &syntax,
        &cut,
        &trailing,
    ] {
        for english in [
            "unknown field",
            "invalid type",
            "missing field",
            "expected",
            "EOF",
            "at line",
            "column",
        ] {
            assert!(!reply.body.contains(english), "{english}: {}", reply.body);
        }
    }
}
