//! Providers (aanbieders): admitted, edited and suspended by the administrator, through
//! the API and the pages; users bound to a provider.

use rocket::http::{Method, Status};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::harness::*;

/// Werkpad as the API example admits it.
pub fn werkpad() -> Value {
    json!({"code": "ZUIDWERK", "name": "Zuidwerk B.V.", "kvk": "12345678",
        "vat_number": "NL123456789B01", "peppol_id": {"scheme": "0106", "id": "12345678"},
        "iban": "NL91ABNA0417164300", "intake_email": "intake@zuidwerk.example"})
}

/// Admits Werkpad as the administrator.
pub async fn admit_werkpad(app: &TestApp) {
    let admin = app.login_as(ADMIN).await;
    let reply = app.post_json(&admin, "/api/v1/providers", &werkpad()).await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
}

/// Adds a user bound to a provider through the API; returns a session for them.
pub async fn provider_user(app: &TestApp, email: &str, role: &str, provider: &str) -> As {
    let admin = app.login_as(ADMIN).await;
    let reply = app
        .post_json(&admin, "/api/v1/users", &json!({"email": email, "name": "Medewerker", "role": role, "provider": provider, "password": PASSWORD}))
        .await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    assert_eq!(reply.json()["provider"], provider);
    app.login_as(email).await
}

async fn provider_rows(app: &TestApp) -> u64 {
    plusmarkt::entities::provider::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

fn fields(reply: &Reply) -> Vec<String> {
    let mut fields: Vec<String> = reply.json()["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {}", reply.body))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    fields.sort();
    fields
}

#[rocket::async_test]
async fn an_admitted_provider_is_listed_with_its_seller_identity_and_audited() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let before = provider_rows(&app).await;
    let reply = app.post_json(&admin, "/api/v1/providers", &werkpad()).await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    let p = reply.json();
    assert_eq!(p["code"], "ZUIDWERK");
    assert_eq!(p["status"], "active");
    assert_eq!(p["peppol_id"], json!({"scheme": "0106", "id": "12345678"}));
    // The invoice address defaults to the intake address.
    assert_eq!(p["invoice_email"], "intake@zuidwerk.example");
    assert_eq!(provider_rows(&app).await, before + 1);

    // Any signed-in user sees the list and the provider.
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let list = app.get(&cm, "/api/v1/providers").await;
    assert_eq!(list.status, Status::Ok);
    let codes: Vec<String> = list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect();
    // The demo's two providers and the one admitted here, by code.
    assert_eq!(codes, ["WERKPAD", "WSD", "ZUIDWERK"]);
    let one = app.get(&cm, "/api/v1/providers/ZUIDWERK").await;
    assert_eq!(one.status, Status::Ok);
    assert_eq!(one.json()["iban"], "NL91ABNA0417164300");
    assert_eq!(one.json()["vat_number"], "NL123456789B01");
    assert_eq!(
        app.get(&cm, "/api/v1/providers/NIEMAND").await.status,
        Status::NotFound
    );

    let audited = plusmarkt::entities::audit_event::Entity::find()
        .filter(plusmarkt::entities::audit_event::Column::Action.eq("provider.create"))
        .filter(plusmarkt::entities::audit_event::Column::EntityId.eq("ZUIDWERK"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

#[rocket::async_test]
async fn a_duplicate_code_or_kvk_number_is_422_on_that_field_and_writes_nothing() {
    let app = TestApp::new().await;
    admit_werkpad(&app).await;
    let admin = app.login_as(ADMIN).await;
    let before = provider_rows(&app).await;

    let mut same_code = werkpad();
    same_code["kvk"] = json!("11223344");
    let reply = app.post_json(&admin, "/api/v1/providers", &same_code).await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert!(reply.is_problem());
    assert_eq!(fields(&reply), ["code"]);

    let mut same_kvk = werkpad();
    same_kvk["code"] = json!("ZUIDWERK2");
    let reply = app.post_json(&admin, "/api/v1/providers", &same_kvk).await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert_eq!(fields(&reply), ["kvk"]);
    assert!(reply.body.contains("Zuidwerk B.V."), "{}", reply.body);

    // Taking another provider's KvK number on an edit is refused too.
    let wsd_kvk = app.get(&admin, "/api/v1/providers/WSD").await.json()["kvk"].clone();
    let reply = app
        .send_json(
            Method::Patch,
            &admin,
            "/api/v1/providers/ZUIDWERK",
            &json!({"kvk": wsd_kvk}).to_string(),
            &[],
        )
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert_eq!(fields(&reply), ["kvk"]);

    assert_eq!(provider_rows(&app).await, before);
    assert_eq!(
        app.get(&admin, "/api/v1/providers/ZUIDWERK").await.json()["kvk"],
        "12345678"
    );
}

#[rocket::async_test]
async fn a_bad_iban_vat_number_and_kvk_number_are_listed_together() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let before = provider_rows(&app).await;
    let mut bad = werkpad();
    bad["iban"] = json!("NL91ABNA0417164301");
    bad["vat_number"] = json!("NL12345678B01");
    bad["kvk"] = json!("1234567");
    bad["peppol_id"] = json!({"scheme": "106", "id": "1234567"});
    let reply = app.post_json(&admin, "/api/v1/providers", &bad).await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert_eq!(
        fields(&reply),
        ["iban", "kvk", "peppol_id.scheme", "vat_number"]
    );
    // Missing required fields are named too.
    let reply = app
        .post_json(&admin, "/api/v1/providers", &json!({"code": "LEEG"}))
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert_eq!(
        fields(&reply),
        ["iban", "intake_email", "kvk", "name", "vat_number"]
    );
    assert_eq!(provider_rows(&app).await, before);
}

#[rocket::async_test]
async fn only_the_administrator_admits_and_suspends() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let reply = app
        .post_json(&pricing, "/api/v1/providers", &werkpad())
        .await;
    assert_eq!(reply.status, Status::Forbidden, "{}", reply.body);
    let reply = app
        .send_json(
            Method::Patch,
            &pricing,
            "/api/v1/providers/WSD",
            r#"{"status": "suspended"}"#,
            &[],
        )
        .await;
    assert_eq!(reply.status, Status::Forbidden);

    admit_werkpad(&app).await;
    let admin = app.login_as(ADMIN).await;
    let reply = app
        .send_json(
            Method::Patch,
            &admin,
            "/api/v1/providers/ZUIDWERK",
            r#"{"status": "suspended"}"#,
            &[],
        )
        .await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    let shown = app.get(&pricing, "/api/v1/providers/ZUIDWERK").await.json();
    assert_eq!(shown["status"], "suspended");
    assert_eq!(shown["name"], "Zuidwerk B.V.", "the rest unchanged");

    // The code never changes; an unknown status or provider is refused.
    let reply = app
        .send_json(
            Method::Patch,
            &admin,
            "/api/v1/providers/ZUIDWERK",
            r#"{"code": "ANDERS"}"#,
            &[],
        )
        .await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert_eq!(fields(&reply), ["code"]);
    let reply = app
        .send_json(
            Method::Patch,
            &admin,
            "/api/v1/providers/ZUIDWERK",
            r#"{"status": "gesloten"}"#,
            &[],
        )
        .await;
    assert_eq!(fields(&reply), ["status"]);
    let reply = app
        .send_json(
            Method::Patch,
            &admin,
            "/api/v1/providers/NIEMAND",
            r#"{"status": "active"}"#,
            &[],
        )
        .await;
    assert_eq!(reply.status, Status::NotFound);
    let reply = app
        .send_json(
            Method::Patch,
            &admin,
            "/api/v1/providers/ZUIDWERK",
            r#"{"status": "active", "city": "Tilburg", "postcode": "5038ab"}"#,
            &[],
        )
        .await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    assert_eq!(reply.json()["status"], "active");
    assert_eq!(reply.json()["postcode"], "5038 AB");
}

#[rocket::async_test]
async fn provider_roles_are_created_only_with_a_known_provider() {
    let app = TestApp::new().await;
    admit_werkpad(&app).await;
    let admin = app.login_as(ADMIN).await;
    let users_before = plusmarkt::store::users::count(&app.db).await.unwrap();
    for (body, field) in [
        (
            json!({"email": "p1@zuidwerk.example", "name": "P", "role": "pricing", "password": PASSWORD}),
            "provider",
        ),
        (
            json!({"email": "p2@zuidwerk.example", "name": "P", "role": "finance", "provider": "NIEMAND", "password": PASSWORD}),
            "provider",
        ),
        (
            json!({"email": "p3@zuidwerk.example", "name": "P", "role": "provider_staff", "provider": "", "password": PASSWORD}),
            "provider",
        ),
        (
            json!({"email": "p4@zuidwerk.example", "name": "P", "role": "casemanager", "municipality": "GM0757", "provider": "ZUIDWERK", "password": PASSWORD}),
            "provider",
        ),
    ] {
        let reply = app.post_json(&admin, "/api/v1/users", &body).await;
        assert_eq!(
            reply.status,
            Status::UnprocessableEntity,
            "{body}: {}",
            reply.body
        );
        assert_eq!(fields(&reply), [field], "{body}");
    }
    assert_eq!(
        plusmarkt::store::users::count(&app.db).await.unwrap(),
        users_before
    );

    let werkpad = provider_user(&app, "prijzen@zuidwerk.example", "pricing", "ZUIDWERK").await;
    let me = app.get(&werkpad, "/api/v1/me").await.json();
    assert_eq!(me["provider"], "ZUIDWERK");
    assert_eq!(me["role"], "pricing");
    let users = app.get(&admin, "/api/v1/users").await.json();
    let listed = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "prijzen@zuidwerk.example")
        .cloned()
        .unwrap();
    assert_eq!(listed["provider"], "ZUIDWERK");
    // The demo's WSD pricing user is WSD's.
    let wsd = app.login_as(PRICING).await;
    assert_eq!(app.get(&wsd, "/api/v1/me").await.json()["provider"], "WSD");
}

#[rocket::async_test]
async fn a_provider_user_logs_in_with_the_password_set_by_the_administrator() {
    let app = TestApp::new().await;
    admit_werkpad(&app).await;
    provider_user(&app, "financien@zuidwerk.example", "finance", "ZUIDWERK").await;
    let reply = app
        .post_form_raw(
            &As::Anonymous,
            "/login",
            &[
                ("csrf_token", "t"),
                ("email", "financien@zuidwerk.example"),
                ("password", PASSWORD),
            ],
            Some("t"),
        )
        .await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
}

#[rocket::async_test]
async fn the_administrator_admits_edits_and_suspends_in_the_pages_after_a_confirmation() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let list = app.get(&admin, "/beheer/aanbieders").await;
    assert_eq!(list.status, Status::Ok);
    assert!(list.body.contains("Aanbieders"));
    assert!(list.body.contains("toegelaten"), "WSD's status");
    let form = app.get(&admin, "/beheer/aanbieders/nieuw").await;
    assert_eq!(form.status, Status::Ok);
    assert!(form.body.contains("Aanbieder toelaten"));

    let before = provider_rows(&app).await;
    let mut fields = vec![
        ("code", "ZUIDWERK"),
        ("name", "Zuidwerk B.V."),
        ("kvk", "1234"),
        ("vat_number", "NL123456789B01"),
        ("peppol_scheme", "0106"),
        ("peppol_id", ""),
        ("iban", "NL91ABNA0417164301"),
        ("intake_email", "intake@zuidwerk.example"),
        ("invoice_email", ""),
        ("street", "Stationsstraat 1"),
        ("postcode", "5038 AB"),
        ("city", "Tilburg"),
    ];
    let refused = app.post_form(&admin, "/beheer/aanbieders", &fields).await;
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.body
    );
    // Each error beside its field, and what was typed kept.
    assert!(
        refused.body.contains(r#"id="kvk-fout""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"id="iban-fout""#));
    assert!(!refused.body.contains(r#"id="name-fout""#));
    assert!(refused.body.contains(r#"value="Stationsstraat 1""#));
    assert!(refused.body.contains(r#"value="NL91ABNA0417164301""#));
    assert_eq!(provider_rows(&app).await, before);

    fields[2] = ("kvk", "12345678");
    fields[6] = ("iban", "NL91ABNA0417164300");
    let admitted = app.post_form(&admin, "/beheer/aanbieders", &fields).await;
    assert_eq!(admitted.status, Status::SeeOther, "{}", admitted.body);
    assert_eq!(
        admitted.header("Location"),
        Some("/beheer/aanbieders/ZUIDWERK?toegelaten=1")
    );
    let page = app
        .get(&admin, "/beheer/aanbieders/ZUIDWERK?toegelaten=1")
        .await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("Maak nu de eerste gebruikers aan"));
    assert!(page.body.contains("/beheer/gebruikers?aanbieder=ZUIDWERK"));
    // The user form offers the provider, preselected from the provider's page.
    let users = app
        .get(&admin, "/beheer/gebruikers?aanbieder=ZUIDWERK")
        .await;
    assert!(
        users.body.contains(r#"<option value="ZUIDWERK" selected>"#),
        "{}",
        users.body
    );
    let added = app
        .post_form(
            &admin,
            "/beheer/gebruikers",
            &[
                ("email", "zorg@zuidwerk.example"),
                ("name", "Zorg"),
                ("role", "provider_staff"),
                ("municipality", ""),
                ("provider", "ZUIDWERK"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(added.status, Status::SeeOther, "{}", added.body);
    let unbound = app
        .post_form(
            &admin,
            "/beheer/gebruikers",
            &[
                ("email", "los@zuidwerk.example"),
                ("name", "Los"),
                ("role", "pricing"),
                ("municipality", ""),
                ("provider", ""),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(unbound.status, Status::UnprocessableEntity);
    assert!(unbound.body.contains("werkt voor één aanbieder"));

    // Editing keeps the code.
    let mut edit: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| *k != "code")
        .cloned()
        .collect();
    edit.retain(|(k, _)| *k != "city");
    edit.push(("city", "Breda"));
    let edited = app
        .post_form(&admin, "/beheer/aanbieders/ZUIDWERK", &edit)
        .await;
    assert_eq!(edited.status, Status::SeeOther, "{}", edited.body);
    assert_eq!(
        app.get(&admin, "/api/v1/providers/ZUIDWERK").await.json()["city"],
        "Breda"
    );

    // Suspending: the confirmation page says what happens and changes nothing.
    let confirm = app.get(&admin, "/beheer/aanbieders/ZUIDWERK/status").await;
    assert_eq!(confirm.status, Status::Ok);
    assert!(confirm.body.contains("Een geschorste aanbieder houdt zijn lopende trajecten en facturen, maar krijgt geen nieuwe bestellingen."));
    assert!(confirm.body.contains(r#"name="status" value="suspended""#));
    assert_eq!(
        app.get(&admin, "/api/v1/providers/ZUIDWERK").await.json()["status"],
        "active"
    );
    let done = app
        .post_form(
            &admin,
            "/beheer/aanbieders/ZUIDWERK/status",
            &[("status", "suspended")],
        )
        .await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(
        app.get(&admin, "/api/v1/providers/ZUIDWERK").await.json()["status"],
        "suspended"
    );
    assert!(app
        .get(&admin, "/beheer/aanbieders")
        .await
        .body
        .contains("geschorst"));
    // And back: the confirmation now offers reactivation.
    let confirm = app.get(&admin, "/beheer/aanbieders/ZUIDWERK/status").await;
    assert!(confirm.body.contains(r#"name="status" value="active""#));
}
