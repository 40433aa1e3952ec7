//! Managing users (issue 26): role and binding, deactivation (sessions and tokens end at
//! once), the administrator's one-time password reset link, and changing one's own
//! password through the API and the account page.

use plusmarkt::entities::{password_reset, session};
use rocket::http::{Method, Status};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::harness::*;

async fn user_id(app: &TestApp, email: &str) -> String {
    plusmarkt::store::users::find_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no user {email}"))
        .id
}

async fn patch(app: &TestApp, who: &As, id: &str, body: Value) -> Reply {
    app.send_json(
        Method::Patch,
        who,
        &format!("/api/v1/users/{id}"),
        &body.to_string(),
        &[],
    )
    .await
}

fn error_fields(reply: &Reply) -> Vec<String> {
    reply.json()["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn sessions_of(app: &TestApp, user: &str) -> u64 {
    session::Entity::find()
        .filter(session::Column::UserId.eq(user))
        .count(&app.db)
        .await
        .unwrap()
}

async fn audit_actions(app: &TestApp, admin: &As, id: &str) -> Vec<String> {
    app.all_items(admin, "/api/v1/audit-events?entity=user")
        .await
        .iter()
        .filter(|e| e["entity_id"] == id)
        .map(|e| e["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Whether a password login works (the login form).
async fn can_log_in(app: &TestApp, email: &str, password: &str) -> bool {
    let reply = app
        .post_form(
            &As::Anonymous,
            "/login",
            &[("email", email), ("password", password)],
        )
        .await;
    reply.status == Status::SeeOther
}

#[rocket::async_test]
async fn an_admin_changes_role_and_binding_with_the_creation_rules() {
    let app = TestApp::new().await;
    let admin = app.token_for(ADMIN).await;
    let id = user_id(&app, CASEMANAGER_VUGHT).await;

    // Casemanager → finance of WSD: the municipality goes with the old role.
    let r = patch(
        &app,
        &admin,
        &id,
        json!({"role": "finance", "provider": "WSD"}),
    )
    .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    let user = r.json();
    assert_eq!(user["role"], "finance");
    assert_eq!(user["provider"], "WSD");
    assert_eq!(user["municipality"], Value::Null);
    assert!(audit_actions(&app, &admin, &id)
        .await
        .contains(&"user.update".to_string()));

    // Back to casemanager without a municipality: 422 naming the field.
    let r = patch(&app, &admin, &id, json!({"role": "casemanager"})).await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert_eq!(error_fields(&r), ["municipality"], "{}", r.body);
    // An unknown provider, and a municipality on a provider role.
    let r = patch(&app, &admin, &id, json!({"provider": "NIEMAND"})).await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert_eq!(error_fields(&r), ["provider"], "{}", r.body);
    let r = patch(&app, &admin, &id, json!({"municipality": "GM0865"})).await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert_eq!(error_fields(&r), ["municipality"], "{}", r.body);
    // An unknown role.
    let r = patch(&app, &admin, &id, json!({"role": "baas"})).await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert_eq!(error_fields(&r), ["role"], "{}", r.body);
    // Nothing of the refused changes was written.
    let stored = plusmarkt::store::users::find_by_id(&app.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.provider_code.as_deref(), Some("WSD"));
    assert_eq!(stored.municipality_code, None);

    let r = patch(
        &app,
        &admin,
        &id,
        json!({"role": "casemanager", "municipality": "GM0865"}),
    )
    .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    assert_eq!(r.json()["municipality"], "GM0865");
    assert_eq!(r.json()["provider"], Value::Null);

    // Only the administrator.
    for who in [FINANCE, CASEMANAGER_BOXTEL] {
        let someone = app.login_as(who).await;
        let r = patch(&app, &someone, &id, json!({"active": false})).await;
        assert_eq!(r.status, Status::Forbidden, "{who}: {}", r.body);
        let r = app
            .post_json(
                &someone,
                &format!("/api/v1/users/{id}/password-reset"),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, Status::Forbidden, "{who}: {}", r.body);
    }
    let r = patch(
        &app,
        &admin,
        "00000000-0000-7000-8000-000000000000",
        json!({}),
    )
    .await;
    assert_eq!(r.status, Status::NotFound, "{}", r.body);
}

#[rocket::async_test]
async fn deactivation_ends_sessions_and_tokens_at_once_and_reactivation_restores() {
    let app = TestApp::new().await;
    let admin = app.token_for(ADMIN).await;
    let id = user_id(&app, WSD_STAFF).await;
    let session = app.login_as(WSD_STAFF).await;
    let token = app.token_for(WSD_STAFF).await;
    for who in [&session, &token] {
        assert_eq!(app.get(who, "/api/v1/me").await.status, Status::Ok);
    }
    assert_eq!(app.get(&session, "/wsd/intake").await.status, Status::Ok);

    let r = patch(&app, &admin, &id, json!({"active": false})).await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    assert_eq!(r.json()["active"], false);
    for who in [&session, &token] {
        assert_eq!(
            app.get(who, "/api/v1/me").await.status,
            Status::Unauthorized
        );
    }
    let page = app.get(&session, "/wsd/intake").await;
    assert!(
        page.status == Status::Unauthorized
            || page
                .header("Location")
                .is_some_and(|l| l.starts_with("/login")),
        "{} {:?}",
        page.status,
        page.header("Location")
    );
    assert_eq!(sessions_of(&app, &id).await, 0, "the sessions are deleted");
    assert!(!can_log_in(&app, WSD_STAFF, PASSWORD).await);

    let r = patch(&app, &admin, &id, json!({"active": true})).await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    assert_eq!(app.get(&token, "/api/v1/me").await.status, Status::Ok);
    assert!(can_log_in(&app, WSD_STAFF, PASSWORD).await);
    let actions = audit_actions(&app, &admin, &id).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "user.update").count(),
        2,
        "{actions:?}"
    );
}

#[rocket::async_test]
async fn an_admin_cannot_deactivate_or_demote_themselves() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let id = user_id(&app, ADMIN).await;
    for body in [
        json!({"active": false}),
        json!({"role": "finance", "provider": "WSD"}),
    ] {
        let r = patch(&app, &admin, &id, body.clone()).await;
        assert_eq!(r.status, Status::Conflict, "{body}: {}", r.body);
        assert!(
            r.json()["detail"].as_str().unwrap().contains("eigen"),
            "{}",
            r.body
        );
    }
    assert_eq!(app.get(&admin, "/api/v1/me").await.status, Status::Ok);
    // The same through the page: the confirmed form is refused too.
    let r = app
        .post_form(
            &admin,
            &format!("/beheer/gebruikers/{id}/status"),
            &[("active", "false"), ("bevestigd", "ja")],
        )
        .await;
    assert_eq!(r.status, Status::Conflict, "{}", r.body);
    let stored = plusmarkt::store::users::find_by_id(&app.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.active);
}

#[rocket::async_test]
async fn the_admin_pages_change_binding_and_deactivate_after_confirmation() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let id = user_id(&app, WSD_STAFF).await;
    let list = app.get(&admin, "/beheer/gebruikers").await;
    assert!(list.body.contains(&format!("/beheer/gebruikers/{id}")));
    let page = app.get(&admin, &format!("/beheer/gebruikers/{id}")).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("Rol en koppeling"), "{}", page.body);

    // A casemanager without a municipality: refused at the field, the choice kept.
    let r = app
        .post_form(
            &admin,
            &format!("/beheer/gebruikers/{id}"),
            &[
                ("role", "casemanager"),
                ("municipality", ""),
                ("provider", ""),
            ],
        )
        .await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert!(r.body.contains("id=\"municipality-fout\""), "{}", r.body);
    assert!(
        r.body.contains("<option value=\"casemanager\" selected>"),
        "{}",
        r.body
    );
    let r = app
        .post_form(
            &admin,
            &format!("/beheer/gebruikers/{id}"),
            &[
                ("role", "casemanager"),
                ("municipality", "GM0757"),
                ("provider", ""),
            ],
        )
        .await;
    assert_eq!(r.status, Status::SeeOther, "{}", r.body);
    let stored = plusmarkt::store::users::find_by_id(&app.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.municipality_code.as_deref(), Some("GM0757"));
    assert_eq!(stored.provider_code, None);

    // Deactivating asks first; only the confirmed form acts.
    let session = app.login_as(WSD_STAFF).await;
    let ask = app
        .get(&admin, &format!("/beheer/gebruikers/{id}/status"))
        .await;
    assert_eq!(ask.status, Status::Ok);
    assert!(ask.body.contains("deactiveren?"), "{}", ask.body);
    let r = app
        .post_form(
            &admin,
            &format!("/beheer/gebruikers/{id}/status"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    assert!(r.body.contains("bevestigd"), "{}", r.body);
    assert_eq!(app.get(&session, "/api/v1/me").await.status, Status::Ok);
    let r = app
        .post_form(
            &admin,
            &format!("/beheer/gebruikers/{id}/status"),
            &[("active", "false"), ("bevestigd", "ja")],
        )
        .await;
    assert_eq!(r.status, Status::SeeOther, "{}", r.body);
    assert_eq!(
        app.get(&session, "/api/v1/me").await.status,
        Status::Unauthorized
    );
    let page = app
        .get(
            &admin,
            &format!("/beheer/gebruikers/{id}?gedaan=gedeactiveerd"),
        )
        .await;
    assert!(page.body.contains("Weer activeren"), "{}", page.body);
}

/// The link in the last reset e-mail to `to`, and its token.
async fn reset_link(app: &TestApp, to: &str) -> (String, String) {
    let mails = app.emails().await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to.contains(to) && m.subject.contains("wachtwoord"))
        .unwrap_or_else(|| panic!("no reset e-mail to {to}"));
    let start = mail
        .text
        .find("http://localhost:8000/wachtwoord-herstellen/")
        .expect("a link with the public URL");
    let link: String = mail.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(mail.html.contains(&link), "{}", mail.html);
    let path = link.trim_start_matches("http://localhost:8000").to_string();
    let token = path.rsplit('/').next().unwrap().to_string();
    (path, token)
}

#[rocket::async_test]
async fn a_reset_link_works_once_and_ends_the_sessions() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let id = user_id(&app, WSD_STAFF).await;
    let session = app.login_as(WSD_STAFF).await;

    let r = app
        .post_json(
            &admin,
            &format!("/api/v1/users/{id}/password-reset"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, Status::Accepted, "{}", r.body);
    let (path, token) = reset_link(&app, WSD_STAFF).await;
    // Only the hash is stored.
    assert_eq!(
        password_reset::Entity::find_by_id(token.clone())
            .one(&app.db)
            .await
            .unwrap(),
        None
    );
    assert!(audit_actions(&app, &admin, &id)
        .await
        .contains(&"user.password_reset_sent".to_string()));

    let form = app.get(&As::Anonymous, &path).await;
    assert_eq!(form.status, Status::Ok, "{}", form.body);
    assert!(form.body.contains(WSD_STAFF), "{}", form.body);

    // A weak password is refused at the field and leaves the link working.
    let r = app
        .post_form(&As::Anonymous, &path, &[("password", "kort")])
        .await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert!(r.body.contains("id=\"password-fout\""), "{}", r.body);
    assert!(!r.body.contains("value=\"kort\""));
    assert_eq!(app.get(&session, "/api/v1/me").await.status, Status::Ok);

    let new = "een nieuw lang wachtwoord";
    let r = app
        .post_form(&As::Anonymous, &path, &[("password", new)])
        .await;
    assert_eq!(r.status, Status::SeeOther, "{}", r.body);
    assert_eq!(r.header("Location"), Some("/login?hersteld=1"));
    assert_eq!(
        app.get(&session, "/api/v1/me").await.status,
        Status::Unauthorized,
        "the user's sessions end"
    );
    assert!(!can_log_in(&app, WSD_STAFF, PASSWORD).await, "old password");
    assert!(can_log_in(&app, WSD_STAFF, new).await, "new password");

    // Second use refused, on the page and the form.
    let again = app.get(&As::Anonymous, &path).await;
    assert_eq!(again.status, Status::Gone, "{}", again.body);
    assert!(again.body.contains("al gebruikt"), "{}", again.body);
    let r = app
        .post_form(
            &As::Anonymous,
            &path,
            &[("password", "nog een ander wachtwoord")],
        )
        .await;
    assert_eq!(r.status, Status::Gone, "{}", r.body);
    assert!(can_log_in(&app, WSD_STAFF, new).await);
    assert!(audit_actions(&app, &admin, &id)
        .await
        .contains(&"user.password_reset".to_string()));

    // An unknown link.
    let r = app
        .get(&As::Anonymous, "/wachtwoord-herstellen/geen-echte-link")
        .await;
    assert_eq!(r.status, Status::Gone);
    assert!(r.body.contains("bestaat niet"), "{}", r.body);
}

#[rocket::async_test]
async fn an_expired_or_replaced_reset_link_is_refused() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let id = user_id(&app, FINANCE).await;
    let r = app
        .post_form(
            &admin,
            &format!("/beheer/gebruikers/{id}/wachtwoord-herstel"),
            &[],
        )
        .await;
    assert_eq!(r.status, Status::SeeOther, "{}", r.body);
    let (first, _) = reset_link(&app, FINANCE).await;

    // A second link replaces the first.
    let r = app
        .post_json(
            &admin,
            &format!("/api/v1/users/{id}/password-reset"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, Status::Accepted, "{}", r.body);
    let (second, _) = reset_link(&app, FINANCE).await;
    assert_ne!(first, second);
    assert_eq!(app.get(&As::Anonymous, &first).await.status, Status::Gone);
    assert_eq!(app.get(&As::Anonymous, &second).await.status, Status::Ok);

    // The link's day has passed.
    password_reset::Entity::update_many()
        .col_expr(
            password_reset::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(password_reset::Column::UserId.eq(id.clone()))
        .exec(&app.db)
        .await
        .unwrap();
    let r = app.get(&As::Anonymous, &second).await;
    assert_eq!(r.status, Status::Gone, "{}", r.body);
    assert!(r.body.contains("verlopen"), "{}", r.body);
    let r = app
        .post_form(
            &As::Anonymous,
            &second,
            &[("password", "een nieuw lang wachtwoord")],
        )
        .await;
    assert_eq!(r.status, Status::Gone, "{}", r.body);
    assert!(can_log_in(&app, FINANCE, PASSWORD).await);
}

async fn change(app: &TestApp, who: &As, current: &str, new: &str) -> Reply {
    app.post_json(
        who,
        "/api/v1/me/password",
        &json!({"current": current, "new": new}),
    )
    .await
}

#[rocket::async_test]
async fn everyone_changes_their_own_password_and_other_sessions_end() {
    let app = TestApp::new().await;
    let id = user_id(&app, CASEMANAGER_BOXTEL).await;
    let this = app.login_as(CASEMANAGER_BOXTEL).await;
    let other = app.login_as(CASEMANAGER_BOXTEL).await;

    let r = change(
        &app,
        &this,
        "niet het wachtwoord",
        "een nieuw lang wachtwoord",
    )
    .await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert_eq!(error_fields(&r), ["current"], "{}", r.body);
    let r = change(&app, &this, PASSWORD, "kort").await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert_eq!(error_fields(&r), ["new"], "{}", r.body);
    assert!(can_log_in(&app, CASEMANAGER_BOXTEL, PASSWORD).await);
    assert_eq!(app.get(&other, "/api/v1/me").await.status, Status::Ok);

    let new = "een nieuw lang wachtwoord";
    let r = change(&app, &this, PASSWORD, new).await;
    assert_eq!(r.status, Status::NoContent, "{}", r.body);
    // The session is renewed (a new cookie), every other one ended.
    let cookie = r.header("Set-Cookie").unwrap_or_default();
    assert!(cookie.contains("plusmarkt_session="), "{cookie}");
    assert_eq!(
        app.get(&other, "/api/v1/me").await.status,
        Status::Unauthorized
    );
    assert_eq!(sessions_of(&app, &id).await, 1, "only the renewed session");
    assert!(!can_log_in(&app, CASEMANAGER_BOXTEL, PASSWORD).await);
    assert!(can_log_in(&app, CASEMANAGER_BOXTEL, new).await);

    // With an API token: sessions end, the token goes on.
    let token = app.token_for(PRICING).await;
    let pricing_session = app.login_as(PRICING).await;
    let r = change(&app, &token, PASSWORD, new).await;
    assert_eq!(r.status, Status::NoContent, "{}", r.body);
    assert_eq!(app.get(&token, "/api/v1/me").await.status, Status::Ok);
    assert_eq!(
        app.get(&pricing_session, "/api/v1/me").await.status,
        Status::Unauthorized
    );
    let admin = app.login_as(ADMIN).await;
    assert!(audit_actions(&app, &admin, &id)
        .await
        .contains(&"user.password_change".to_string()));
    // Anonymous: 401.
    let r = change(&app, &As::Anonymous, PASSWORD, new).await;
    assert_eq!(r.status, Status::Unauthorized);
}

#[rocket::async_test]
async fn wrong_current_passwords_are_rate_limited_like_the_login() {
    let app = TestApp::new().await;
    let me = app.login_as(FINANCE).await;
    for _ in 0..plusmarkt::auth::ratelimit::MAX_FAILURES_PER_ACCOUNT {
        let r = change(&app, &me, "fout wachtwoord!", "een nieuw lang wachtwoord").await;
        assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    }
    let r = change(&app, &me, PASSWORD, "een nieuw lang wachtwoord").await;
    assert_eq!(r.status, Status::TooManyRequests, "{}", r.body);
    assert!(can_log_in(&app, FINANCE, PASSWORD).await);
}

#[rocket::async_test]
async fn the_account_page_changes_the_password_with_errors_at_the_fields() {
    let app = TestApp::new().await;
    let me = app.login_as(WSD_STAFF).await;
    let page = app.get(&me, "/account").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("Wachtwoord wijzigen"), "{}", page.body);
    assert!(page.body.contains("href=\"/account\""));

    let r = app
        .post_form(
            &me,
            "/account/wachtwoord",
            &[("current", "geheim-fout-1"), ("new", "kort-nieuw")],
        )
        .await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert!(r.body.contains("id=\"current-fout\""), "{}", r.body);
    assert!(
        !r.body.contains("geheim-fout-1"),
        "passwords are never shown back"
    );
    let r = app
        .post_form(
            &me,
            "/account/wachtwoord",
            &[("current", PASSWORD), ("new", "kort")],
        )
        .await;
    assert_eq!(r.status, Status::UnprocessableEntity, "{}", r.body);
    assert!(r.body.contains("id=\"new-fout\""), "{}", r.body);
    assert!(!r.body.contains("id=\"current-fout\""), "{}", r.body);

    let r = app
        .post_form(
            &me,
            "/account/wachtwoord",
            &[("current", PASSWORD), ("new", "een nieuw lang wachtwoord")],
        )
        .await;
    assert_eq!(r.status, Status::SeeOther, "{}", r.body);
    assert_eq!(r.header("Location"), Some("/account?gewijzigd=1"));
    assert!(can_log_in(&app, WSD_STAFF, "een nieuw lang wachtwoord").await);
}
