//! API tokens you can list, label, expire and revoke (issue 24): the list is one's own (an
//! administrator's is everyone's), a revoked or expired token gets 401 at once, someone
//! else's token is 404 to a non-administrator, `last_used_at` is recorded, the account page
//! lists tokens and revokes them only after the confirmation step, and every revocation is
//! in the audit log.

use plusmarkt::auth::Principal;
use plusmarkt::entities::api_token;
use rocket::http::{Method, Status};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::Value;

use crate::harness::*;

/// A token for `email` with this label (and expiry), and its id.
async fn make_token(
    app: &TestApp,
    email: &str,
    label: &str,
    expires_in_days: Option<u32>,
) -> (As, String) {
    let token = plusmarkt::services::users::add_token(
        &app.db,
        &Principal::system("test"),
        email,
        label,
        expires_in_days,
    )
    .await
    .unwrap();
    let who = As::Token(token);
    let mine = tokens(app, &who).await;
    let id = mine
        .iter()
        .find(|t| t["label"] == label)
        .unwrap_or_else(|| panic!("token {label} not in its own list: {mine:?}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    (who, id)
}

async fn tokens(app: &TestApp, who: &As) -> Vec<Value> {
    let reply = app.get(who, "/api/v1/tokens").await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    reply.json().as_array().cloned().unwrap()
}

async fn revoke(app: &TestApp, who: &As, id: &str) -> Reply {
    app.send_json(
        Method::Delete,
        who,
        &format!("/api/v1/tokens/{id}"),
        "",
        &[],
    )
    .await
}

fn labels(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|t| t["label"].as_str().unwrap().to_string())
        .collect()
}

#[rocket::async_test]
async fn the_list_shows_own_tokens_and_an_administrator_sees_everyones() {
    let app = TestApp::new().await;
    let (finance, _) = make_token(&app, FINANCE, "boekhouding", Some(90)).await;
    let (_pricing, _) = make_token(&app, PRICING, "prijslijst", None).await;
    let mine = tokens(&app, &finance).await;
    assert_eq!(labels(&mine), vec!["boekhouding"]);
    let t = &mine[0];
    for key in ["id", "label", "created_at", "last_used_at", "expires_at"] {
        assert!(t.get(key).is_some(), "{key} missing in {t}");
    }
    assert!(t["expires_at"].is_string(), "{t}");
    // Never the token or its hash.
    let text = t.to_string();
    assert!(!text.contains("pmk_") && !text.contains("hash"), "{text}");
    // A session sees the same own list.
    let session = app.login_as(PRICING).await;
    assert_eq!(labels(&tokens(&app, &session).await), vec!["prijslijst"]);
    let admin = app.login_as(ADMIN).await;
    let all = labels(&tokens(&app, &admin).await);
    assert!(
        all.contains(&"boekhouding".to_string()) && all.contains(&"prijslijst".to_string()),
        "{all:?}"
    );
    assert_eq!(
        app.get(&As::Anonymous, "/api/v1/tokens").await.status,
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn a_revoked_token_gets_401_at_once_on_every_server_and_the_audit_log_holds_it() {
    let app = TestApp::on_file().await;
    let second = app.second_server().await;
    let (finance, id) = make_token(&app, FINANCE, "boekhouding", None).await;
    assert_eq!(app.get(&finance, "/api/v1/me").await.status, Status::Ok);
    assert_eq!(second.get(&finance, "/api/v1/me").await.status, Status::Ok);
    let r = revoke(&app, &finance, &id).await;
    assert_eq!(r.status, Status::NoContent, "{}", r.body);
    for server in [&app, &second] {
        let r = server.get(&finance, "/api/v1/me").await;
        assert_eq!(r.status, Status::Unauthorized, "{}", r.body);
        assert!(r.is_problem(), "{:?}", r.content_type);
    }
    let admin = app.login_as(ADMIN).await;
    assert!(tokens(&app, &admin)
        .await
        .iter()
        .all(|t| t["id"] != id.as_str()));
    let events = app
        .all_items(&admin, "/api/v1/audit-events?entity=api_token")
        .await;
    let revoked: Vec<&Value> = events
        .iter()
        .filter(|e| e["entity_id"] == id.as_str() && e["action"] == "api_token.revoke")
        .collect();
    assert_eq!(revoked.len(), 1, "{events:?}");
    // Revoking again changes nothing and logs nothing.
    assert_eq!(revoke(&app, &admin, &id).await.status, Status::NoContent);
    let again = app
        .all_items(&admin, "/api/v1/audit-events?entity=api_token")
        .await;
    assert_eq!(
        again
            .iter()
            .filter(|e| e["action"] == "api_token.revoke")
            .count(),
        1
    );
}

#[rocket::async_test]
async fn someone_elses_token_is_404_to_a_non_administrator_and_revocable_by_an_administrator() {
    let app = TestApp::new().await;
    let (finance, finance_id) = make_token(&app, FINANCE, "boekhouding", None).await;
    let (pricing, _) = make_token(&app, PRICING, "prijslijst", None).await;
    let r = revoke(&app, &pricing, &finance_id).await;
    assert_eq!(r.status, Status::NotFound, "{}", r.body);
    assert!(r.is_problem());
    assert_eq!(
        revoke(&app, &pricing, "00000000-0000-7000-8000-000000000000")
            .await
            .status,
        Status::NotFound
    );
    // Untouched.
    assert_eq!(app.get(&finance, "/api/v1/me").await.status, Status::Ok);
    let admin = app.token_for(ADMIN).await;
    assert_eq!(
        revoke(&app, &admin, &finance_id).await.status,
        Status::NoContent
    );
    assert_eq!(
        app.get(&finance, "/api/v1/me").await.status,
        Status::Unauthorized
    );
    assert_eq!(app.get(&pricing, "/api/v1/me").await.status, Status::Ok);
}

#[rocket::async_test]
async fn an_expired_token_gets_401_like_a_revoked_one() {
    let app = TestApp::new().await;
    let (finance, id) = make_token(&app, FINANCE, "tijdelijk", Some(1)).await;
    assert_eq!(app.get(&finance, "/api/v1/me").await.status, Status::Ok);
    let row = api_token::Entity::find_by_id(id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let expires = row.expires_at.expect("expires_at set");
    let from_now = expires - chrono::Utc::now();
    assert!(
        from_now > chrono::Duration::hours(23) && from_now <= chrono::Duration::days(1),
        "{from_now}"
    );
    let mut moved: api_token::ActiveModel = row.into();
    moved.expires_at = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
    moved.update(&app.db).await.unwrap();
    let r = app.get(&finance, "/api/v1/me").await;
    assert_eq!(r.status, Status::Unauthorized, "{}", r.body);
    assert!(r.is_problem());
    // Still listed (so it can be seen and cleaned up), with its expiry.
    let admin = app.login_as(ADMIN).await;
    assert!(tokens(&app, &admin)
        .await
        .iter()
        .any(|t| t["id"] == id.as_str()));
}

#[rocket::async_test]
async fn an_expiry_out_of_range_is_refused_naming_the_field() {
    let app = TestApp::new().await;
    for days in [0, 5000] {
        let e = plusmarkt::services::users::add_token(
            &app.db,
            &Principal::system("test"),
            FINANCE,
            "x",
            Some(days),
        )
        .await
        .unwrap_err();
        assert_eq!(e.field_errors()[0].field, "expires_in_days", "{e}");
    }
}

#[rocket::async_test]
async fn last_used_at_is_set_after_a_call() {
    let app = TestApp::new().await;
    let (finance, id) = make_token(&app, FINANCE, "boekhouding", None).await;
    let row = api_token::Entity::find_by_id(id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // make_token listed the tokens with it once already.
    let first = row.last_used_at.expect("last_used_at after a call");
    // Within the minute a call writes nothing more: one statement, the lookup.
    let (sql, reply) = app.queries(app.get(&finance, "/api/v1/me")).await;
    assert_eq!(reply.status, Status::Ok);
    assert_eq!(sql.len(), 1, "{sql:#?}");
    assert!(!sql[0].to_uppercase().starts_with("UPDATE"), "{sql:#?}");
    let row = api_token::Entity::find_by_id(id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.last_used_at, Some(first));
    // Older than a minute: the next call records the new moment.
    let mut old: api_token::ActiveModel = row.into();
    let long_ago = chrono::Utc::now() - chrono::Duration::minutes(5);
    old.last_used_at = Set(Some(long_ago));
    old.update(&app.db).await.unwrap();
    let (sql, reply) = app.queries(app.get(&finance, "/api/v1/me")).await;
    assert_eq!(reply.status, Status::Ok);
    let updates = sql
        .iter()
        .filter(|s| s.to_uppercase().starts_with("UPDATE API_TOKENS"))
        .count();
    assert_eq!(updates, 1, "{sql:#?}");
    let row = api_token::Entity::find_by_id(id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.last_used_at.unwrap() > long_ago);
    let listed = tokens(&app, &finance).await;
    assert!(listed[0]["last_used_at"].is_string(), "{listed:?}");
}

#[rocket::async_test]
async fn the_account_page_lists_a_token_and_revokes_it_only_after_confirmation() {
    let app = TestApp::new().await;
    let (token, id) = make_token(&app, FINANCE, "boekhouding-koppeling", Some(30)).await;
    let session = app.login_as(FINANCE).await;
    let page = app.get(&session, "/account").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("boekhouding-koppeling"), "{}", page.body);
    assert!(page
        .body
        .contains(&format!("/account/tokens/{id}/intrekken")));
    // One click: the confirmation, and nothing changes.
    let path = format!("/account/tokens/{id}/intrekken");
    let ask = app.post_form(&session, &path, &[]).await;
    assert_eq!(ask.status, Status::Ok, "{}", ask.body);
    assert!(
        ask.body
            .contains("Token „boekhouding-koppeling” intrekken?"),
        "{}",
        ask.body
    );
    assert!(ask.body.contains("werken meteen niet meer"), "{}", ask.body);
    assert!(ask.body.contains(r#"name="bevestigd" value="ja""#));
    assert_eq!(app.get(&token, "/api/v1/me").await.status, Status::Ok);
    // Another user's session cannot revoke it, confirmed or not.
    let other = app.login_as(PRICING).await;
    let r = app.post_form(&other, &path, &[("bevestigd", "ja")]).await;
    assert_eq!(r.status, Status::NotFound);
    assert_eq!(app.get(&token, "/api/v1/me").await.status, Status::Ok);
    // Confirmed: revoked.
    let done = app.post_form(&session, &path, &[("bevestigd", "ja")]).await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(
        app.get(&token, "/api/v1/me").await.status,
        Status::Unauthorized
    );
    let page = app.get(&session, "/account?ingetrokken=1").await;
    assert!(
        !page.body.contains("boekhouding-koppeling"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Het token is ingetrokken"));
    let admin = app.login_as(ADMIN).await;
    let events = app
        .all_items(&admin, "/api/v1/audit-events?entity=api_token")
        .await;
    assert!(events
        .iter()
        .any(|e| e["entity_id"] == id.as_str() && e["action"] == "api_token.revoke"));
}

#[rocket::async_test]
async fn the_administrators_user_page_lists_and_revokes_that_users_tokens_after_confirmation() {
    let app = TestApp::new().await;
    let (token, id) = make_token(&app, FINANCE, "boekhouding-koppeling", None).await;
    let user = plusmarkt::store::users::find_by_email(&app.db, FINANCE)
        .await
        .unwrap()
        .unwrap()
        .id;
    let admin = app.login_as(ADMIN).await;
    let page = app.get(&admin, &format!("/beheer/gebruikers/{user}")).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("boekhouding-koppeling"), "{}", page.body);
    let path = format!("/beheer/gebruikers/{user}/tokens/{id}/intrekken");
    let ask = app.post_form(&admin, &path, &[]).await;
    assert_eq!(ask.status, Status::Ok, "{}", ask.body);
    assert!(ask
        .body
        .contains("Token „boekhouding-koppeling” intrekken?"));
    assert_eq!(app.get(&token, "/api/v1/me").await.status, Status::Ok);
    // Under another user's page it is not found.
    let other = plusmarkt::store::users::find_by_email(&app.db, PRICING)
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = app
        .post_form(
            &admin,
            &format!("/beheer/gebruikers/{other}/tokens/{id}/intrekken"),
            &[("bevestigd", "ja")],
        )
        .await;
    assert_eq!(r.status, Status::NotFound);
    let done = app.post_form(&admin, &path, &[("bevestigd", "ja")]).await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(
        app.get(&token, "/api/v1/me").await.status,
        Status::Unauthorized
    );
}
