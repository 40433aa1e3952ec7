//! Sessions (issue 24): they end after 30 minutes idle and 12 hours at most, a sign-in always
//! gets a new session id, "overal uitloggen" ends every session of the user, and every sign-in
//! and refused sign-in is in the audit log.

use chrono::Duration;
use plusmarkt::entities::{audit_event, session};
use plusmarkt::store::sessions::{ABSOLUTE_HOURS, IDLE_MINUTES};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

use crate::harness::*;

fn token_of(who: &As) -> &str {
    match who {
        As::Session(token) => token,
        _ => panic!("a session"),
    }
}

async fn row_of(app: &TestApp, who: &As) -> Option<session::Model> {
    session::Entity::find_by_id(plusmarkt::crypto::secret::token_hash(token_of(who)))
        .one(&app.db)
        .await
        .unwrap()
}

async fn set_times(
    app: &TestApp,
    who: &As,
    created_at: chrono::DateTime<chrono::Utc>,
    last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
) {
    let row = row_of(app, who).await.expect("the session exists");
    session::Entity::update(session::ActiveModel {
        id: Set(row.id),
        created_at: Set(created_at),
        expires_at: Set(created_at + Duration::hours(ABSOLUTE_HOURS)),
        last_seen_at: Set(last_seen_at),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();
}

/// The audit events with this action, oldest first, as (entity id, details).
async fn audited(app: &TestApp, action: &str) -> Vec<(String, serde_json::Value)> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .order_by_asc(audit_event::Column::Seq)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let after = e
                .after
                .as_deref()
                .map(|a| serde_json::from_str(a).unwrap())
                .unwrap_or_default();
            (e.entity_id, after)
        })
        .collect()
}

/// The session cookie a response set, decoded as a browser sends it back.
fn session_cookie_of(reply: &Reply) -> Option<String> {
    let value = reply
        .headers
        .iter()
        .find(|(n, v)| n.eq_ignore_ascii_case("set-cookie") && v.starts_with("plusmarkt_session="))?
        .1
        .split(';')
        .next()?
        .trim_start_matches("plusmarkt_session=")
        .to_string();
    Some(
        rocket::http::RawStr::new(&value)
            .percent_decode()
            .ok()?
            .into_owned(),
    )
}

/// A session cookie as the browser sends it: the sealed value, not the token.
async fn me_with_sealed(app: &TestApp, sealed: &str) -> Status {
    app.client
        .get("/api/v1/me")
        .cookie(rocket::http::Cookie::new(
            plusmarkt::auth::guards::SESSION_COOKIE,
            sealed.to_string(),
        ))
        .dispatch()
        .await
        .status()
}

#[rocket::async_test]
async fn a_session_left_alone_for_thirty_minutes_ends_and_the_login_page_says_why() {
    let app = TestApp::new().await;
    let now = app.clock().now();
    let who = app.login_as(CASEMANAGER_BOXTEL).await;

    // 29 minutes idle: still signed in, and the request counts as activity.
    set_times(
        &app,
        &who,
        now - Duration::hours(1),
        Some(now - Duration::minutes(IDLE_MINUTES - 1)),
    )
    .await;
    assert_eq!(app.get(&who, "/api/v1/me").await.status, Status::Ok);
    let seen = row_of(&app, &who).await.unwrap().last_seen_at;
    assert!(
        seen.is_some_and(|s| now - s < Duration::minutes(1)),
        "the request was noted as activity: {seen:?}"
    );

    // 30 minutes idle: over. A page sends the browser to the login page, which says why.
    set_times(
        &app,
        &who,
        now - Duration::hours(1),
        Some(now - Duration::minutes(IDLE_MINUTES)),
    )
    .await;
    let page = app.get(&who, "/trajecten").await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.header("Location"), Some("/login?verlopen=1"));
    let login = app.get(&As::Anonymous, "/login?verlopen=1").await;
    assert!(
        login.body.contains("u deed een half uur niets"),
        "{}",
        login.body
    );
    // The API answers 401, every time; the next sign-in clears the ended session away.
    for _ in 0..2 {
        let api = app.get(&who, "/api/v1/me").await;
        assert_eq!(api.status, Status::Unauthorized);
        assert!(api.is_problem());
    }
    app.post_form(
        &As::Anonymous,
        "/login",
        &[("email", CASEMANAGER_BOXTEL), ("password", PASSWORD)],
    )
    .await;
    assert!(
        row_of(&app, &who).await.is_none(),
        "the sign-in removed the ended session"
    );
}

#[rocket::async_test]
async fn a_session_ends_twelve_hours_after_sign_in_however_busy() {
    let app = TestApp::new().await;
    let now = app.clock().now();
    let who = app.login_as(FINANCE).await;
    // Opened 11 h 59 min ago, seen a minute ago: still on.
    set_times(
        &app,
        &who,
        now - Duration::hours(ABSOLUTE_HOURS) + Duration::minutes(1),
        Some(now - Duration::minutes(1)),
    )
    .await;
    assert_eq!(app.get(&who, "/api/v1/me").await.status, Status::Ok);
    // Opened 12 hours ago, seen a minute ago: over.
    set_times(
        &app,
        &who,
        now - Duration::hours(ABSOLUTE_HOURS),
        Some(now - Duration::minutes(1)),
    )
    .await;
    assert_eq!(
        app.get(&who, "/api/v1/me").await.status,
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn signing_in_gives_a_new_session_id_and_ends_the_one_the_browser_had() {
    let app = TestApp::new().await;
    let planted = app.login_as(CASEMANAGER_BOXTEL).await;
    // Sign in (as someone else, even) with that session cookie still in the browser.
    let csrf = "test-csrf-token";
    let reply = app
        .post_form_raw(
            &planted,
            "/login",
            &[
                ("csrf_token", csrf),
                ("email", FINANCE),
                ("password", PASSWORD),
            ],
            Some(csrf),
        )
        .await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    let fresh = session_cookie_of(&reply).expect("a new session cookie");
    assert_eq!(me_with_sealed(&app, &fresh).await, Status::Ok);
    assert!(
        row_of(&app, &planted).await.is_none(),
        "the old session ended"
    );
    assert_eq!(
        app.get(&planted, "/api/v1/me").await.status,
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn signing_out_everywhere_ends_every_session_of_the_user_and_only_theirs() {
    let app = TestApp::new().await;
    let laptop = app.login_as(CASEMANAGER_BOXTEL).await;
    let phone = app.login_as(CASEMANAGER_BOXTEL).await;
    let colleague = app.login_as(CASEMANAGER_VUGHT).await;

    let account = app.get(&laptop, "/account").await;
    assert!(
        account.body.contains("Overal uitloggen"),
        "{}",
        account.body
    );
    let reply = app
        .post_form(&laptop, "/account/overal-uitloggen", &[])
        .await;
    assert_eq!(reply.status, Status::SeeOther);
    assert_eq!(reply.header("Location"), Some("/login?uitgelogd=overal"));
    for ended in [&laptop, &phone] {
        assert_eq!(
            app.get(ended, "/api/v1/me").await.status,
            Status::Unauthorized
        );
    }
    assert_eq!(app.get(&colleague, "/api/v1/me").await.status, Status::Ok);
    let login = app.get(&As::Anonymous, "/login?uitgelogd=overal").await;
    assert!(login.body.contains("overal uitgelogd"), "{}", login.body);

    let events = audited(&app, "user.sign_out_everywhere").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].1["sessions_ended"], 2);

    // Without the CSRF token nothing happens.
    let again = app.login_as(CASEMANAGER_BOXTEL).await;
    let forged = app
        .post_form_raw(&again, "/account/overal-uitloggen", &[], None)
        .await;
    assert_eq!(forged.status, Status::Forbidden);
    assert_eq!(app.get(&again, "/api/v1/me").await.status, Status::Ok);
}

#[rocket::async_test]
async fn every_sign_in_and_every_refused_sign_in_is_in_the_audit_log() {
    let app = TestApp::new().await;
    for (email, password) in [
        (CASEMANAGER_BOXTEL, PASSWORD),
        (CASEMANAGER_BOXTEL, "verkeerd-wachtwoord"),
        ("niemand@wsd.example", PASSWORD),
    ] {
        app.post_form(
            &As::Anonymous,
            "/login",
            &[("email", email), ("password", password)],
        )
        .await;
    }
    let user = plusmarkt::store::users::find_by_email(&app.db, CASEMANAGER_BOXTEL)
        .await
        .unwrap()
        .unwrap();
    let signed_in = audited(&app, "user.sign_in").await;
    assert_eq!(signed_in.len(), 1, "{signed_in:?}");
    assert_eq!(signed_in[0].0, user.id);
    assert_eq!(signed_in[0].1["method"], "password");

    let refused = audited(&app, "user.sign_in_failed").await;
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[0].0, user.id, "a wrong password names the user");
    assert_eq!(refused[0].1["email"], CASEMANAGER_BOXTEL);
    assert_eq!(refused[1].0, "-", "an unknown address names no user");
    assert_eq!(refused[1].1["email"], "niemand@wsd.example");
    // No refused sign-in left a session behind, and the chain still holds.
    let sessions = session::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(sessions, 1, "only the successful sign-in has a session");
    assert!(plusmarkt::store::audit::verify(&app.db)
        .await
        .unwrap()
        .is_empty());
}
