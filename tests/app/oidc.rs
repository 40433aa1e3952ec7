//! Sign-on with OpenID Connect against a real provider: `oidc-provider` (certified) in
//! `tests/oidc-provider/server.mjs`, started here with node (its npm packages installed on
//! first use). Fails, never skips, when node or npm is missing.
//!
//! Rocket's local client cannot be the provider's redirect target, so the browser's steps
//! are done by hand: `/login/oidc` on the local client, the provider's login with an HTTP
//! client that keeps cookies, then the provider's redirect to the callback, called on the
//! local client with the flow cookie.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use plusmarkt::config::OidcSettings;
use plusmarkt::entities::{audit_event, session, user, user_identity};
use plusmarkt::web::sign_on::FLOW_COOKIE;
use rocket::http::{Cookie, Status};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::Value;

use crate::harness::*;

/// The redirect URI registered at the provider: the tests' public URL + the callback path.
fn redirect_uri() -> String {
    OidcSettings::redirect_uri(&plusmarkt::Config::for_tests("sqlite::memory:").public_url)
}

struct RunningProvider {
    issuer: String,
    _child: Mutex<Child>,
}

/// The one provider of this test run; it stops when the test binary ends (its stdin closes).
fn provider() -> &'static str {
    static PROVIDER: OnceLock<RunningProvider> = OnceLock::new();
    &PROVIDER.get_or_init(start_provider).issuer
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

fn start_provider() -> RunningProvider {
    let dir = provider_dir();
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: the OpenID Connect tests need Node 20 or later (tests/oidc-provider)"
    );
    if !dir.join("node_modules/oidc-provider").is_dir() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .unwrap_or_else(|e| panic!("npm could not start in {}: {e}", dir.display()));
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new("node")
        .arg("server.mjs")
        .arg(port.to_string())
        .arg(redirect_uri())
        .env("OIDC_PROVIDER_STDIN_LIFELINE", "1")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node server.mjs starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let issuer = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(issuer) = line.strip_prefix("listening ") {
                    break issuer.trim().to_string();
                }
            }
            _ => panic!("the OpenID provider (tests/oidc-provider/server.mjs) did not start"),
        }
    };
    // Keep reading its output so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    RunningProvider {
        issuer,
        _child: Mutex::new(child),
    }
}

fn settings(issuer: &str) -> OidcSettings {
    OidcSettings {
        issuer: issuer.to_string(),
        client_id: "plusmarkt".into(),
        client_secret: "plusmarkt-geheim".into(),
    }
}

/// plusmarkt signed on to the test provider.
async fn app() -> TestApp {
    let issuer = provider();
    TestApp::with_config(|c| c.oidc = Some(settings(issuer))).await
}

/// The provider's side of a sign-on, as a browser does it: from the authorization URL
/// through the login form to the redirect to plusmarkt's callback, which is returned.
fn at_provider(authorize_url: &str, login: &str) -> String {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut cookies: BTreeMap<String, String> = BTreeMap::new();
    let callback = redirect_uri();
    let mut url = authorize_url.to_string();
    let mut posted = false;
    for _ in 0..10 {
        let header = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let response = if url.contains("/interaction/") && !posted {
            posted = true;
            agent.post(&url).set("Cookie", &header).send_form(&[
                ("prompt", "login"),
                ("login", login),
                ("password", "geheim"),
            ])
        } else {
            agent.get(&url).set("Cookie", &header).call()
        }
        .unwrap_or_else(|e| panic!("provider at {url}: {e}"));
        for set in response.all("set-cookie") {
            if let Some((name, rest)) = set.split_once('=') {
                let value = rest.split(';').next().unwrap_or("");
                cookies.insert(name.to_string(), value.to_string());
            }
        }
        let location = response
            .header("location")
            .unwrap_or_else(|| {
                panic!(
                    "provider at {url} answered {} without a redirect",
                    response.status()
                )
            })
            .to_string();
        if location.starts_with(&callback) {
            return location;
        }
        url = if location.starts_with('/') {
            format!("{}{location}", provider())
        } else {
            location
        };
    }
    panic!("no redirect to {callback} from the provider");
}

/// What `/login/oidc` gave: the provider's URL and the flow cookie (its plain value).
struct Started {
    authorize_url: String,
    flow: String,
    set_cookie: String,
}

async fn start(app: &TestApp) -> Started {
    let response = app.client.get("/login/oidc").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther, "GET /login/oidc");
    let authorize_url = response
        .headers()
        .get_one("Location")
        .expect("a Location")
        .to_string();
    let set_cookie = response
        .headers()
        .get("Set-Cookie")
        .find(|c| c.starts_with(FLOW_COOKIE))
        .expect("the flow cookie")
        .to_string();
    let flow = response
        .cookies()
        .get_private(FLOW_COOKIE)
        .expect("a private flow cookie")
        .value()
        .to_string();
    Started {
        authorize_url,
        flow,
        set_cookie,
    }
}

/// The callback as the browser calls it, with the flow cookie.
async fn callback(app: &TestApp, callback_url: &str, flow: &str) -> Answer {
    let path = callback_url
        .strip_prefix("http://localhost:8000")
        .expect("the callback on the public URL");
    let response = app
        .client
        .get(path.to_string())
        .private_cookie(Cookie::new(FLOW_COOKIE, flow.to_string()))
        .dispatch()
        .await;
    let session = response
        .cookies()
        .get_private(plusmarkt::auth::guards::SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty());
    let flow_removed = response
        .headers()
        .get("Set-Cookie")
        .any(|c| c.starts_with(&format!("{FLOW_COOKIE}=;")) && c.contains("Path=/login/oidc"));
    let reply = TestApp::read(response).await;
    Answer {
        reply,
        session,
        flow_removed,
    }
}

struct Answer {
    reply: Reply,
    session: Option<String>,
    flow_removed: bool,
}

/// A whole sign-on as `login` at the provider.
async fn sign_on(app: &TestApp, login: &str) -> Answer {
    let started = start(app).await;
    let url = started.authorize_url.clone();
    let login = login.to_string();
    let back = tokio::task::spawn_blocking(move || at_provider(&url, &login))
        .await
        .unwrap();
    callback(app, &back, &started.flow).await
}

async fn sessions(app: &TestApp) -> u64 {
    session::Entity::find().count(&app.db).await.unwrap()
}

/// The last audit event with this action, its `after` as JSON.
async fn last_event(app: &TestApp, action: &str) -> Option<Value> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .order_by_desc(audit_event::Column::Seq)
        .one(&app.db)
        .await
        .unwrap()
        .map(|e| serde_json::from_str(e.after.as_deref().unwrap_or("null")).unwrap())
}

async fn failures(app: &TestApp) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("user.sign_in_failed"))
        .count(&app.db)
        .await
        .unwrap()
}

async fn user_by_email(app: &TestApp, email: &str) -> user::Model {
    plusmarkt::store::users::find_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
}

/// A refused sign-on: its status, a Dutch sentence, no session, the flow cookie gone, and a
/// `sign_in_failed` event whose reason starts with `reason`.
async fn assert_refused(app: &TestApp, answer: &Answer, status: u16, says: &str, reason: &str) {
    assert_eq!(answer.reply.status.code, status, "{}", answer.reply.body);
    assert!(answer.reply.body.contains(says), "{}", answer.reply.body);
    assert!(answer.session.is_none(), "no session cookie");
    assert!(answer.flow_removed, "the flow cookie is removed");
    let event = last_event(app, "user.sign_in_failed")
        .await
        .expect("a sign_in_failed event");
    assert!(
        event["reason"].as_str().unwrap_or("").starts_with(reason),
        "{event}"
    );
}

#[rocket::async_test]
async fn a_casemanager_signs_on_and_is_linked_to_the_identity() {
    let app = app().await;
    let issuer = provider();
    // The login page offers it, beside the password form.
    let login = app.get(&As::Anonymous, "/login").await;
    assert!(login.body.contains("Inloggen met je organisatie"));
    assert!(login.body.contains("name=\"password\""));

    let started = start(&app).await;
    assert!(started
        .authorize_url
        .starts_with(&format!("{issuer}/auth?")));
    for part in [
        "code_challenge_method=S256",
        "state=",
        "nonce=",
        "client_id=plusmarkt",
    ] {
        assert!(
            started.authorize_url.contains(part),
            "{}",
            started.authorize_url
        );
    }
    let cookie = started.set_cookie.clone();
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/login/oidc",
        "Max-Age=600",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let before = sessions(&app).await;
    let url = started.authorize_url.clone();
    let back = tokio::task::spawn_blocking(move || at_provider(&url, CASEMANAGER_BOXTEL))
        .await
        .unwrap();
    let answer = callback(&app, &back, &started.flow).await;
    assert_eq!(answer.reply.status, Status::Ok, "{}", answer.reply.body);
    assert!(
        answer.reply.body.contains("url=/"),
        "goes on to the start page"
    );
    assert!(answer.flow_removed);
    assert_eq!(sessions(&app).await, before + 1);
    let token = answer.session.expect("a session cookie");
    let home = app.get(&As::Session(token), "/").await;
    assert_eq!(home.status, Status::Ok);
    assert!(home.body.contains("Casemanager"), "{}", home.body);

    let casemanager = user_by_email(&app, CASEMANAGER_BOXTEL).await;
    let identity = user_identity::Entity::find()
        .filter(user_identity::Column::UserId.eq(casemanager.id.clone()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("linked");
    assert_eq!(identity.issuer, issuer);
    assert_eq!(identity.subject, CASEMANAGER_BOXTEL);
    let event = last_event(&app, "user.sign_in")
        .await
        .expect("a sign_in event");
    assert_eq!(event["amr"], serde_json::json!(["pwd"]), "{event}");
    assert_eq!(event["issuer"], issuer, "{event}");

    // The code works once.
    let again = callback(&app, &back, &started.flow).await;
    assert_refused(
        &app,
        &again,
        401,
        "kon uw inlog niet bevestigen",
        "code_refused",
    )
    .await;
    assert_eq!(sessions(&app).await, before + 1);
}

#[rocket::async_test]
async fn a_linked_user_signs_on_by_iss_and_sub_after_the_address_changed() {
    let app = app().await;
    assert!(sign_on(&app, CASEMANAGER_BOXTEL).await.session.is_some());
    let mut casemanager = user_by_email(&app, CASEMANAGER_BOXTEL)
        .await
        .into_active_model();
    casemanager.email = Set("c.manager@boxtel.example".into());
    let casemanager = casemanager.update(&app.db).await.unwrap();
    // The provider still says the old address; the link decides.
    let answer = sign_on(&app, CASEMANAGER_BOXTEL).await;
    let token = answer.session.expect("signed in by iss + sub");
    let me = app.get(&As::Session(token), "/account").await;
    assert!(me.body.contains("c.manager@boxtel.example"), "{}", me.body);
    assert_eq!(
        user_identity::Entity::find()
            .filter(user_identity::Column::UserId.eq(casemanager.id))
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
}

#[rocket::async_test]
async fn unknown_and_unverified_addresses_and_inactive_users_are_refused() {
    let app = app().await;
    let before = sessions(&app).await;

    let unknown = sign_on(&app, "onbekend@boxtel.example").await;
    assert_refused(
        &app,
        &unknown,
        401,
        "nog geen account in plusmarkt",
        "unknown_user",
    )
    .await;
    assert_eq!(
        last_event(&app, "user.sign_in_failed").await.unwrap()["email"],
        "onbekend@boxtel.example"
    );

    // The address is a plusmarkt user's, but the provider has not verified it.
    let unverified = sign_on(&app, &format!("onbevestigd+{CASEMANAGER_BOXTEL}")).await;
    assert_refused(
        &app,
        &unverified,
        401,
        "niet bevestigd",
        "email_not_verified",
    )
    .await;

    let mut vught = user_by_email(&app, CASEMANAGER_VUGHT)
        .await
        .into_active_model();
    vught.active = Set(false);
    vught.update(&app.db).await.unwrap();
    let inactive = sign_on(&app, CASEMANAGER_VUGHT).await;
    assert_refused(&app, &inactive, 401, "uitgeschakeld", "user_inactive").await;

    assert_eq!(sessions(&app).await, before);
    assert_eq!(failures(&app).await, 3);
    assert_eq!(
        user_identity::Entity::find().count(&app.db).await.unwrap(),
        0,
        "nothing linked"
    );
}

#[rocket::async_test]
async fn a_wrong_state_or_a_missing_flow_is_refused() {
    let app = app().await;
    let before = sessions(&app).await;
    let started = start(&app).await;
    let url = started.authorize_url.clone();
    let back = tokio::task::spawn_blocking(move || at_provider(&url, CASEMANAGER_BOXTEL))
        .await
        .unwrap();
    let state = back
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .unwrap()
        .to_string();
    let forged = back.replace(&format!("state={state}"), "state=vervalst");
    let wrong = callback(&app, &forged, &started.flow).await;
    assert_refused(
        &app,
        &wrong,
        400,
        "hoort niet bij dit venster",
        "state_mismatch",
    )
    .await;

    // Without the flow cookie (another browser, or after ten minutes).
    let path = back
        .strip_prefix("http://localhost:8000")
        .unwrap()
        .to_string();
    let response = app.client.get(path).dispatch().await;
    let reply = TestApp::read(response).await;
    assert_eq!(reply.status, Status::BadRequest);
    assert!(
        reply.body.contains("Begin opnieuw met inloggen"),
        "{}",
        reply.body
    );
    assert_eq!(
        last_event(&app, "user.sign_in_failed").await.unwrap()["reason"],
        "flow_missing"
    );
    // The provider's error (the user cancelled).
    let started = start(&app).await;
    let flow: Value = serde_json::from_str(&started.flow).unwrap();
    let cancelled = callback(
        &app,
        &format!(
            "http://localhost:8000/login/oidc/callback?error=access_denied&state={}",
            flow["state"].as_str().unwrap()
        ),
        &started.flow,
    )
    .await;
    assert_refused(
        &app,
        &cancelled,
        401,
        "niet toegestaan of het is afgebroken",
        "provider_error",
    )
    .await;
    assert_eq!(sessions(&app).await, before);
    assert_eq!(failures(&app).await, 3);
}

#[rocket::async_test]
async fn an_id_token_for_another_audience_or_a_code_for_another_client_is_refused() {
    let app = app().await;
    let before = sessions(&app).await;
    // The provider signs an ID token for `andere-app` (see server.mjs).
    let other_audience = sign_on(&app, &format!("ander-publiek+{CASEMANAGER_BOXTEL}")).await;
    assert_refused(
        &app,
        &other_audience,
        401,
        "kon uw inlog niet bevestigen",
        "id_token_invalid:audience",
    )
    .await;

    // A code issued to `andere-app`, brought to plusmarkt's callback with a valid flow.
    let started = start(&app).await;
    let url = started
        .authorize_url
        .replace("client_id=plusmarkt", "client_id=andere-app");
    let back = tokio::task::spawn_blocking(move || at_provider(&url, CASEMANAGER_BOXTEL))
        .await
        .unwrap();
    let foreign = callback(&app, &back, &started.flow).await;
    assert_refused(
        &app,
        &foreign,
        401,
        "kon uw inlog niet bevestigen",
        "code_refused",
    )
    .await;
    assert_eq!(sessions(&app).await, before);
}

#[rocket::async_test]
async fn an_expired_id_token_is_refused() {
    let issuer = provider();
    // Two hours on: the provider's ID tokens live one hour.
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let app = TestApp::with_config(|c| {
        c.oidc = Some(settings(issuer));
        c.clock = plusmarkt::domain::clock::Clock::fixed(later);
    })
    .await;
    let before = sessions(&app).await;
    let answer = sign_on(&app, CASEMANAGER_BOXTEL).await;
    assert_refused(
        &app,
        &answer,
        401,
        "kon uw inlog niet bevestigen",
        "id_token_invalid:expired",
    )
    .await;
    assert_eq!(sessions(&app).await, before);
}

#[rocket::async_test]
async fn password_login_can_be_switched_off() {
    let issuer = provider();
    let app = TestApp::with_config(|c| {
        c.oidc = Some(settings(issuer));
        c.password_login = false;
    })
    .await;
    let page = app.get(&As::Anonymous, "/login").await;
    assert!(page.body.contains("Inloggen met je organisatie"));
    assert!(!page.body.contains("name=\"password\""), "{}", page.body);
    let before = sessions(&app).await;
    let refused = app
        .post_form(
            &As::Anonymous,
            "/login",
            &[("email", CASEMANAGER_BOXTEL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, Status::Forbidden);
    assert!(
        refused.body.contains("wachtwoord staat uit"),
        "{}",
        refused.body
    );
    assert_eq!(sessions(&app).await, before);
    // Sign-on still works.
    assert!(sign_on(&app, CASEMANAGER_BOXTEL).await.session.is_some());
}

#[rocket::async_test]
async fn a_provider_that_is_down_gives_a_dutch_page_not_a_failed_start() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let app = TestApp::with_config(|c| {
        c.oidc = Some(settings(&format!("http://127.0.0.1:{closed}")));
    })
    .await;
    let reply = app.get(&As::Anonymous, "/login/oidc").await;
    assert_eq!(reply.status, Status::ServiceUnavailable);
    assert!(
        reply
            .body
            .contains("De inlogdienst van uw organisatie is nu niet bereikbaar"),
        "{}",
        reply.body
    );
    // Without sign-on configured the routes say so.
    let plain = TestApp::new().await;
    let reply = plain.get(&As::Anonymous, "/login/oidc").await;
    assert_eq!(reply.status, Status::NotFound);
    assert!(!plain
        .get(&As::Anonymous, "/login")
        .await
        .body
        .contains("Inloggen met je organisatie"));
}

#[rocket::async_test]
async fn a_second_link_of_an_identity_writes_nothing_and_says_so() {
    let app = TestApp::new().await;
    let user_id = |email: &'static str| {
        let db = app.db.clone();
        async move {
            plusmarkt::store::users::find_by_email(&db, email)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let (boxtel, vught) = (
        user_id(CASEMANAGER_BOXTEL).await,
        user_id(CASEMANAGER_VUGHT).await,
    );
    let now = app.clock().now();
    let link = |user: String, subject: &'static str| {
        let db = app.db.clone();
        async move {
            plusmarkt::store::identities::link(&db, &user, "https://idp.example", subject, now)
                .await
                .unwrap()
        }
    };
    // Two first sign-ons of one person at the same moment: one link, no error.
    assert!(link(boxtel.clone(), "sub-1").await);
    assert!(!link(boxtel.clone(), "sub-1").await);
    // The identity is someone else's, or the user is linked to another sub: refused.
    assert!(!link(vught.clone(), "sub-1").await);
    assert!(!link(boxtel.clone(), "sub-2").await);
    let linked = plusmarkt::store::identities::user_of(&app.db, "https://idp.example", "sub-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.id, boxtel);
}
