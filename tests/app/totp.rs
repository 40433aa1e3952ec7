//! The second factor (issue 24): TOTP after the password, set up with a QR code and the key
//! as text, ten single-use recovery codes, a code accepted once and only within one step of
//! now, wrong codes rate-limited and audited, no session before the code, `reset-2fa`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use plusmarkt::auth::csrf::CSRF_COOKIE;
use plusmarkt::auth::pending::{PendingSignIn, PENDING_COOKIE};
use plusmarkt::crypto::bsn_vault::BsnVault;
use plusmarkt::domain::clock::Clock;
use plusmarkt::domain::second_factor::MfaPolicy;
use plusmarkt::entities::{audit_event, recovery_code, session, user};
use plusmarkt::services::second_factor;
use rocket::http::{ContentType, Cookie, Status};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::harness::*;

const CSRF: &str = "test-csrf-token";

/// A browser: sends back the cookies the app set (sealed, as they came), and posts forms
/// with the CSRF field, from one client address.
struct Browser<'a> {
    app: &'a TestApp,
    jar: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            jar: BTreeMap::new(),
        }
    }

    fn keep(&mut self, reply: &Reply) {
        for (name, value) in &reply.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let first = value.split(';').next().unwrap_or_default();
            let Some((name, raw)) = first.split_once('=') else {
                continue;
            };
            // The CSRF cookie stays the test's own (see `post`).
            if name == CSRF_COOKIE {
                continue;
            }
            let removed = raw.is_empty() || value.contains("Max-Age=0");
            if removed {
                self.jar.remove(name);
            } else {
                let decoded = rocket::http::RawStr::new(raw)
                    .percent_decode()
                    .unwrap()
                    .into_owned();
                self.jar.insert(name.to_string(), decoded);
            }
        }
    }

    fn has(&self, name: &str) -> bool {
        self.jar.contains_key(name)
    }

    fn with_cookies<'c>(
        &self,
        mut request: rocket::local::asynchronous::LocalRequest<'c>,
    ) -> rocket::local::asynchronous::LocalRequest<'c> {
        for (name, value) in &self.jar {
            request = request.cookie(Cookie::new(name.clone(), value.clone()));
        }
        request
            .private_cookie(Cookie::new(CSRF_COOKIE, CSRF))
            .remote("127.0.0.1:9999".parse().unwrap())
    }

    async fn get(&mut self, path: &str) -> Reply {
        let request = self.with_cookies(self.app.client.get(path.to_string()));
        let reply = TestApp::read(request.dispatch().await).await;
        self.keep(&reply);
        reply
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut body = format!("csrf_token={CSRF}");
        for (k, v) in fields {
            body.push_str(&format!("&{}={}", urlencode(k), urlencode(v)));
        }
        let request = self
            .with_cookies(self.app.client.post(path.to_string()))
            .header(ContentType::Form)
            .body(body);
        let reply = TestApp::read(request.dispatch().await).await;
        self.keep(&reply);
        reply
    }

    async fn password(&mut self, email: &str) -> Reply {
        self.post("/login", &[("email", email), ("password", PASSWORD)])
            .await
    }
}

/// An instant 10 seconds into a time step, near now.
fn pinned_now() -> DateTime<Utc> {
    let now = Utc::now().timestamp();
    DateTime::from_timestamp(now - now.rem_euclid(30) + 10, 0).unwrap()
}

async fn app_with(mfa: MfaPolicy, now: DateTime<Utc>) -> TestApp {
    TestApp::with_config(|c| {
        c.mfa = mfa;
        c.clock = Clock::fixed(now);
    })
    .await
}

async fn user_row(app: &TestApp, email: &str) -> user::Model {
    plusmarkt::store::users::find_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
}

fn vault(app: &TestApp) -> &BsnVault {
    app.client.rocket().state::<BsnVault>().unwrap()
}

/// The user's TOTP secret, read back from the database and decrypted.
async fn secret_of(app: &TestApp, email: &str) -> Vec<u8> {
    let sealed = user_row(app, email).await.totp_secret.expect("a secret");
    vault(app).decrypt_secret(&sealed).unwrap()
}

/// The code an authenticator app shows at `at`.
fn code_at(secret: &[u8], at: DateTime<Utc>) -> String {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .build()
        .unwrap()
        .generate(at.timestamp() as u64)
        .to_string()
}

/// Sets the second factor up for a user directly through the service, with a code of
/// `at`; returns the recovery codes.
async fn enrolled(app: &TestApp, email: &str, at: DateTime<Utc>) -> Vec<String> {
    let user = user_row(app, email).await;
    second_factor::start_enrolment(&app.db, vault(app), &user)
        .await
        .unwrap();
    let user = user_row(app, email).await;
    let code = code_at(&secret_of(app, email).await, at);
    second_factor::finish_enrolment(&app.db, vault(app), at, &user, &code)
        .await
        .unwrap()
        .expect("the right code")
}

async fn sessions_of(app: &TestApp, email: &str) -> u64 {
    let user = user_row(app, email).await;
    session::Entity::find()
        .filter(session::Column::UserId.eq(user.id))
        .count(&app.db)
        .await
        .unwrap()
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

/// The recovery codes on the page shown after setting up.
fn codes_on(page: &str) -> Vec<String> {
    page.split("<li><code>")
        .skip(1)
        .filter_map(|rest| rest.split("</code>").next())
        .map(str::to_string)
        .collect()
}

#[rocket::async_test]
async fn required_and_not_set_up_sets_up_first_with_a_qr_code_the_key_and_ten_codes_once() {
    let now = pinned_now();
    let app = app_with(MfaPolicy::Required, now).await;
    let mut browser = Browser::new(&app);

    // The password is right: no session, only the pending step, and on to setting up.
    let reply = browser.password(CASEMANAGER_BOXTEL).await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    assert_eq!(reply.header("Location"), Some("/account/2fa"));
    assert!(browser.has(PENDING_COOKIE) && !browser.has("plusmarkt_session"));
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 0);
    assert_eq!(browser.get("/api/v1/me").await.status, Status::Unauthorized);
    // The code page sends someone without a second factor to setting up.
    let code_page = browser.get("/login/code").await;
    assert_eq!(code_page.header("Location"), Some("/account/2fa"));

    let page = browser.get("/account/2fa").await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    let secret = secret_of(&app, CASEMANAGER_BOXTEL).await;
    let base32 = totp_rs::Secret::from(secret.clone()).to_base32();
    let grouped = plusmarkt::domain::second_factor::grouped(&base32);
    assert!(
        page.body.contains("<svg role=\"img\" aria-label=\"QR-code"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&grouped),
        "the key as text, in groups of four"
    );
    assert!(page.body.contains("Installeer een authenticator-app"));
    assert!(page.body.contains("autocomplete=\"one-time-code\""));
    assert!(page.body.contains("inputmode=\"numeric\""));
    assert!(page.body.contains("<label for=\"code\">"));
    // Stored sealed, never in clear; a reload shows the same key.
    let stored = user_row(&app, CASEMANAGER_BOXTEL).await;
    assert!(!stored.totp_secret.as_deref().unwrap().contains(&base32));
    assert!(stored.totp_enabled_at.is_none());
    assert!(browser.get("/account/2fa").await.body.contains(&grouped));

    // A wrong code: refused, audited, still no session.
    let wrong = browser.post("/account/2fa", &[("code", "000000")]).await;
    let wrong = if code_at(&secret, now) == "000000" {
        browser.post("/account/2fa", &[("code", "111111")]).await
    } else {
        wrong
    };
    assert_eq!(wrong.status, Status::Unauthorized);
    assert!(
        wrong.body.contains("De code klopt niet of is verlopen"),
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains(&grouped), "the same key again");
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 0);
    let failed = audited(&app, "user.sign_in_failed").await;
    assert_eq!(
        failed.last().unwrap().1["reason"],
        "code onjuist of verlopen"
    );
    assert_eq!(failed.last().unwrap().1["method"], "password+totp");

    // The right code: the ten recovery codes, once, and the session.
    let done = browser
        .post("/account/2fa", &[("code", &code_at(&secret, now))])
        .await;
    assert_eq!(done.status, Status::Ok, "{}", done.body);
    assert!(done.body.contains("Bewaar deze codes op een veilige plek"));
    let codes = codes_on(&done.body);
    assert_eq!(codes.len(), 10, "{}", done.body);
    assert!(!browser.has(PENDING_COOKIE), "the pending step is over");
    assert!(browser.has("plusmarkt_session"));
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 1);
    assert_eq!(browser.get("/api/v1/me").await.status, Status::Ok);
    let user = user_row(&app, CASEMANAGER_BOXTEL).await;
    assert!(user.totp_enabled_at.is_some());
    let stored: Vec<String> = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user.id.clone()))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.code_hash)
        .collect();
    assert_eq!(stored.len(), 10);
    for code in &codes {
        assert!(!stored.contains(code), "stored hashed");
        let normal = plusmarkt::domain::second_factor::normalize_recovery_code(code);
        assert!(stored.contains(&plusmarkt::crypto::secret::token_hash(&normal)));
    }
    let sign_in = audited(&app, "user.sign_in").await;
    assert_eq!(sign_in.last().unwrap().0, user.id);
    assert_eq!(sign_in.last().unwrap().1["method"], "password+totp");
    assert_eq!(audited(&app, "user.totp_enrol").await.len(), 1);
    // Shown once: setting up again is not offered.
    let again = browser.get("/account/2fa").await;
    assert_eq!(again.header("Location"), Some("/account#tweestaps"));
    let account = browser.get("/account").await;
    assert!(
        account.body.contains("Tweestapsverificatie staat aan"),
        "{}",
        account.body
    );
    assert!(account.body.contains("nog 10 herstelcodes"));
    assert!(
        !account.body.contains("Uitzetten"),
        "required: it cannot be switched off"
    );
}

#[rocket::async_test]
async fn a_code_is_accepted_once_and_only_within_one_step_of_now() {
    let now = pinned_now();
    let app = app_with(MfaPolicy::Required, now).await;
    // Set up ten minutes ago.
    enrolled(&app, CASEMANAGER_BOXTEL, now - Duration::minutes(10)).await;
    let secret = secret_of(&app, CASEMANAGER_BOXTEL).await;

    let mut browser = Browser::new(&app);
    let reply = browser.password(CASEMANAGER_BOXTEL).await;
    assert_eq!(reply.header("Location"), Some("/login/code"));
    let page = browser.get("/login/code").await;
    assert!(page
        .body
        .contains("Voer nu de code uit uw authenticator-app in"));
    assert!(page.body.contains("herstelcode gebruiken"));
    // Two steps off, either way: refused.
    for off in [-60, 60] {
        let code = code_at(&secret, now + Duration::seconds(off));
        let reply = browser.post("/login/code", &[("code", &code)]).await;
        assert_eq!(reply.status, Status::Unauthorized, "{off} s off");
        assert!(reply.body.contains("klopt niet of is verlopen"));
    }
    // Not a code at all.
    let reply = browser.post("/login/code", &[("code", "12345")]).await;
    assert_eq!(reply.status, Status::Unauthorized);
    assert!(reply.body.contains("zes cijfers"));
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 0);
    // One step back (a code typed as it changed): accepted, with spaces.
    let code = code_at(&secret, now - Duration::seconds(30));
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let reply = browser.post("/login/code", &[("code", &spaced)]).await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    assert_eq!(reply.header("Location"), Some("/"));
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 1);

    // The current code, in another browser: accepted (a later step).
    let mut other = Browser::new(&app);
    other.password(CASEMANAGER_BOXTEL).await;
    let current = code_at(&secret, now);
    let reply = other.post("/login/code", &[("code", &current)]).await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    // The same code once more: refused, as used; so is the earlier step's.
    let mut third = Browser::new(&app);
    third.password(CASEMANAGER_BOXTEL).await;
    for code in [current.clone(), code] {
        let reply = third.post("/login/code", &[("code", &code)]).await;
        assert_eq!(reply.status, Status::Unauthorized);
        assert!(reply.body.contains("al gebruikt"), "{}", reply.body);
        assert!(!third.has("plusmarkt_session"));
    }
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 2);
    let reasons: Vec<String> = audited(&app, "user.sign_in_failed")
        .await
        .into_iter()
        .map(|(_, d)| d["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(
        reasons.contains(&"code al gebruikt".to_string()),
        "{reasons:?}"
    );
    // One step ahead: accepted.
    let reply = third
        .post(
            "/login/code",
            &[("code", &code_at(&secret, now + Duration::seconds(30)))],
        )
        .await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    let methods: Vec<String> = audited(&app, "user.sign_in")
        .await
        .into_iter()
        .map(|(_, d)| d["method"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(methods, ["password+totp"; 3]);
}

#[rocket::async_test]
async fn two_requests_with_one_code_on_two_servers_let_exactly_one_in() {
    let app = TestApp::on_file().await;
    let second = app.second_server().await;
    let now = Utc::now();
    enrolled(&app, CASEMANAGER_BOXTEL, now - Duration::minutes(5)).await;
    let secret = secret_of(&app, CASEMANAGER_BOXTEL).await;
    let user = user_row(&app, CASEMANAGER_BOXTEL).await;
    let code = code_at(&secret, Utc::now());
    async fn send(server: &TestApp, user_id: &str, code: &str) -> Status {
        let pending = PendingSignIn::new(user_id, Utc::now());
        server
            .client
            .post("/login/code")
            .private_cookie(Cookie::new(PENDING_COOKIE, pending.encode()))
            .private_cookie(Cookie::new(CSRF_COOKIE, CSRF))
            .header(ContentType::Form)
            .body(format!("csrf_token={CSRF}&code={code}"))
            .dispatch()
            .await
            .status()
    }
    let (a, b) = futures::join!(send(&app, &user.id, &code), send(&second, &user.id, &code));
    let mut statuses = vec![a.code, b.code];
    statuses.sort();
    assert_eq!(statuses, vec![303, 401], "exactly one passes");
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 1);
}

#[rocket::async_test]
async fn a_recovery_code_works_once_and_the_page_says_how_many_are_left() {
    let now = pinned_now();
    let app = app_with(MfaPolicy::Required, now).await;
    let codes = enrolled(&app, CASEMANAGER_BOXTEL, now - Duration::minutes(10)).await;
    assert_eq!(codes.len(), 10);

    let mut browser = Browser::new(&app);
    browser.password(CASEMANAGER_BOXTEL).await;
    let page = browser.get("/login/herstelcode").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("Elke herstelcode werkt maar één keer"));
    // As typed from paper: capitals, spaces instead of dashes.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let reply = browser
        .post("/login/herstelcode", &[("code", &typed)])
        .await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    let next = reply.header("Location").unwrap().to_string();
    assert_eq!(next, "/account?herstelcodes_over=9#tweestaps");
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 1);
    // A browser does not send the fragment.
    let account = browser.get(next.split('#').next().unwrap()).await;
    assert!(
        account.body.contains("u hebt nog 9 herstelcodes over"),
        "{}",
        account.body
    );
    let sign_in = audited(&app, "user.sign_in").await;
    assert_eq!(
        sign_in.last().unwrap().1["method"],
        "password+recovery_code"
    );

    // Used: never again.
    let mut again = Browser::new(&app);
    again.password(CASEMANAGER_BOXTEL).await;
    let reply = again
        .post("/login/herstelcode", &[("code", &codes[3])])
        .await;
    assert_eq!(reply.status, Status::Unauthorized);
    assert!(reply.body.contains("klopt niet of is al gebruikt"));
    assert!(!again.has("plusmarkt_session"));
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 1);
    let failed = audited(&app, "user.sign_in_failed").await;
    assert_eq!(failed.last().unwrap().1["method"], "password+recovery_code");
    // Another user's code is no use either; Boxtel's own unused ones still are.
    let vught = enrolled(&app, CASEMANAGER_VUGHT, now - Duration::minutes(10)).await;
    let reply = again
        .post("/login/herstelcode", &[("code", &vught[0])])
        .await;
    assert_eq!(reply.status, Status::Unauthorized);
    let reply = again
        .post("/login/herstelcode", &[("code", &codes[4])])
        .await;
    assert_eq!(
        reply.header("Location"),
        Some("/account?herstelcodes_over=8#tweestaps")
    );
}

#[rocket::async_test]
async fn a_right_password_without_a_code_never_makes_a_session() {
    let now = pinned_now();
    // Optional: only those who set it up are asked.
    let app = app_with(MfaPolicy::Optional, now).await;
    enrolled(&app, CASEMANAGER_BOXTEL, now - Duration::minutes(10)).await;
    let mut browser = Browser::new(&app);
    let reply = browser.password(CASEMANAGER_BOXTEL).await;
    assert_eq!(reply.header("Location"), Some("/login/code"));
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 0);
    assert_eq!(
        session::Entity::find().count(&app.db).await.unwrap(),
        0,
        "no session row at all"
    );
    assert_eq!(browser.get("/api/v1/me").await.status, Status::Unauthorized);
    let home = browser.get("/").await;
    assert_eq!(home.header("Location"), Some("/login"));
    assert!(audited(&app, "user.sign_in").await.is_empty());
    // Someone without a second factor signs in with the password alone.
    let mut plain = Browser::new(&app);
    let reply = plain.password(CASEMANAGER_VUGHT).await;
    assert_eq!(reply.header("Location"), Some("/"));
    assert_eq!(sessions_of(&app, CASEMANAGER_VUGHT).await, 1);
    assert_eq!(
        audited(&app, "user.sign_in").await.last().unwrap().1["method"],
        "password"
    );
    // Without the pending step the code pages send back to the login page.
    let mut stranger = Browser::new(&app);
    for path in ["/login/code", "/login/herstelcode"] {
        let reply = stranger.get(path).await;
        assert_eq!(reply.header("Location"), Some("/login?opnieuw=1"), "{path}");
    }
    let reply = stranger.post("/login/code", &[("code", "123456")]).await;
    assert_eq!(reply.header("Location"), Some("/login?opnieuw=1"));
    assert_eq!(
        stranger.get("/account/2fa").await.header("Location"),
        Some("/login")
    );
    let login = stranger.get("/login?opnieuw=1").await;
    assert!(login.body.contains("Log opnieuw in"));
}

#[rocket::async_test]
async fn repeated_wrong_codes_are_refused_with_429_like_passwords() {
    let now = pinned_now();
    let app = app_with(MfaPolicy::Required, now).await;
    enrolled(&app, CASEMANAGER_BOXTEL, now - Duration::minutes(10)).await;
    let secret = secret_of(&app, CASEMANAGER_BOXTEL).await;
    let wrong = if code_at(&secret, now) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut browser = Browser::new(&app);
    browser.password(CASEMANAGER_BOXTEL).await;
    for _ in 0..plusmarkt::auth::ratelimit::MAX_FAILURES_PER_ACCOUNT {
        let reply = browser.post("/login/code", &[("code", wrong)]).await;
        assert_eq!(reply.status, Status::Unauthorized);
    }
    // Even the right code now waits, and typing the password again does not start afresh.
    let reply = browser
        .post("/login/code", &[("code", &code_at(&secret, now))])
        .await;
    assert_eq!(reply.status, Status::TooManyRequests);
    assert!(reply.header("Retry-After").is_some());
    let mut again = Browser::new(&app);
    assert_eq!(
        again.password(CASEMANAGER_BOXTEL).await.status,
        Status::TooManyRequests
    );
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 0);
}

#[rocket::async_test]
async fn the_pending_step_is_useless_after_five_minutes_and_when_changed() {
    let now = pinned_now();
    let app = app_with(MfaPolicy::Required, now).await;
    enrolled(&app, CASEMANAGER_BOXTEL, now - Duration::minutes(10)).await;
    let secret = secret_of(&app, CASEMANAGER_BOXTEL).await;
    let user = user_row(&app, CASEMANAGER_BOXTEL).await;
    let post = |cookie: Cookie<'static>, sealed: bool, code: String| {
        let request = app.client.post("/login/code");
        let request = if sealed {
            request.private_cookie(cookie)
        } else {
            request.cookie(cookie)
        };
        async move {
            TestApp::read(
                request
                    .private_cookie(Cookie::new(CSRF_COOKIE, CSRF))
                    .header(ContentType::Form)
                    .body(format!("csrf_token={CSRF}&code={code}"))
                    .dispatch()
                    .await,
            )
            .await
        }
    };
    let pending_at =
        |at: DateTime<Utc>| Cookie::new(PENDING_COOKIE, PendingSignIn::new(&user.id, at).encode());
    // Five minutes after the password: over.
    let stale = post(
        pending_at(now - Duration::minutes(5)),
        true,
        code_at(&secret, now),
    )
    .await;
    assert_eq!(stale.status, Status::SeeOther);
    assert_eq!(stale.header("Location"), Some("/login?opnieuw=1"));
    // Not sealed by the server (made or changed in the browser): nothing.
    let forged = post(
        pending_at(now - Duration::minutes(1)),
        false,
        code_at(&secret, now),
    )
    .await;
    assert_eq!(forged.header("Location"), Some("/login?opnieuw=1"));
    let mut browser = Browser::new(&app);
    browser.password(CASEMANAGER_BOXTEL).await;
    let sealed = browser.jar.get(PENDING_COOKIE).unwrap().clone();
    let mut changed = sealed.clone().into_bytes();
    let last = changed.len() - 2;
    changed[last] = if changed[last] == b'A' { b'B' } else { b'A' };
    let changed = post(
        Cookie::new(PENDING_COOKIE, String::from_utf8(changed).unwrap()),
        false,
        code_at(&secret, now),
    )
    .await;
    assert_eq!(changed.header("Location"), Some("/login?opnieuw=1"));
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 0);
    // Each refused, in the audit log: the stale one for its user.
    let reasons: Vec<(String, serde_json::Value)> = audited(&app, "user.sign_in_failed").await;
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[0].0, user.id);
    assert_eq!(
        reasons[0].1["reason"],
        "wachtwoordstap ouder dan vijf minuten"
    );
    assert_eq!(reasons[0].1["email"], CASEMANAGER_BOXTEL);
    for (entity, details) in &reasons[1..] {
        assert_eq!(entity, "-");
        assert_eq!(
            details["reason"],
            "wachtwoordstap ongeldig (cookie niet van deze server)"
        );
    }
    // Within five minutes, sealed by the server: the code passes.
    let fresh = post(
        pending_at(now - Duration::minutes(4)),
        true,
        code_at(&secret, now),
    )
    .await;
    assert_eq!(fresh.header("Location"), Some("/"), "{}", fresh.body);
    assert_eq!(sessions_of(&app, CASEMANAGER_BOXTEL).await, 1);
}

#[rocket::async_test]
async fn reset_2fa_removes_the_second_factor_and_ends_the_sessions() {
    let now = pinned_now();
    let app = app_with(MfaPolicy::Required, now).await;
    enrolled(&app, CASEMANAGER_BOXTEL, now - Duration::minutes(10)).await;
    let session = app.login_as(CASEMANAGER_BOXTEL).await;
    let cli = plusmarkt::auth::Principal::system("cli");

    let report = second_factor::reset(&app.db, &cli, CASEMANAGER_BOXTEL)
        .await
        .unwrap();
    assert!(report.had_second_factor);
    assert_eq!(report.recovery_codes_removed, 10);
    assert_eq!(report.sessions_ended, 1);
    assert_eq!(
        app.get(&session, "/api/v1/me").await.status,
        Status::Unauthorized
    );
    let user = user_row(&app, CASEMANAGER_BOXTEL).await;
    assert_eq!(
        (user.totp_secret, user.totp_enabled_at, user.totp_last_step),
        (None, None, None)
    );
    assert_eq!(
        recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(user.id.clone()))
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    let events = audited(&app, "user.totp_reset").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, user.id);
    assert_eq!(events[0].1["sessions_ended"], 1);
    // The next login sets it up anew.
    let mut browser = Browser::new(&app);
    let reply = browser.password(CASEMANAGER_BOXTEL).await;
    assert_eq!(reply.header("Location"), Some("/account/2fa"));
    // An unknown address is an error that says so.
    let unknown = second_factor::reset(&app.db, &cli, "niemand@boxtel.example").await;
    assert!(matches!(unknown, Err(plusmarkt::error::AppError::NotFound)));
    assert_eq!(
        plusmarkt::views::audit::action_label("user.totp_reset"),
        "tweestapsverificatie opnieuw ingesteld door beheer"
    );
}

#[rocket::async_test]
async fn where_optional_a_signed_in_user_sets_it_up_and_switches_it_off_with_the_password() {
    let now = pinned_now();
    let app = app_with(MfaPolicy::Optional, now).await;
    let who = app.login_as(CASEMANAGER_BOXTEL).await;
    let account = app.get(&who, "/account").await;
    assert!(account
        .body
        .contains("<h2 id=\"tweestaps\">Tweestapsverificatie</h2>"));
    assert!(account.body.contains("href=\"/account/2fa\">Instellen</a>"));

    let page = app.get(&who, "/account/2fa").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("<svg"));
    let secret = secret_of(&app, CASEMANAGER_BOXTEL).await;
    let done = app
        .post_form(&who, "/account/2fa", &[("code", &code_at(&secret, now))])
        .await;
    assert_eq!(done.status, Status::Ok, "{}", done.body);
    assert_eq!(codes_on(&done.body).len(), 10);
    assert!(done.body.contains("href=\"/account#tweestaps\""));
    assert_eq!(
        sessions_of(&app, CASEMANAGER_BOXTEL).await,
        1,
        "no new session"
    );
    assert_eq!(audited(&app, "user.totp_enrol").await.len(), 1);

    // Off: first the confirmation page with the password field.
    let ask = app.post_form(&who, "/account/2fa/uitzetten", &[]).await;
    assert_eq!(ask.status, Status::Ok);
    assert!(ask.body.contains("type=\"password\""));
    assert!(ask.body.contains("Ja, zet tweestapsverificatie uit"));
    assert!(user_row(&app, CASEMANAGER_BOXTEL)
        .await
        .totp_enabled_at
        .is_some());
    let wrong = app
        .post_form(
            &who,
            "/account/2fa/uitzetten",
            &[("bevestigd", "ja"), ("password", "niet-het-wachtwoord")],
        )
        .await;
    assert_eq!(wrong.status, Status::UnprocessableEntity);
    assert!(wrong.body.contains("Het wachtwoord klopt niet"));
    let off = app
        .post_form(
            &who,
            "/account/2fa/uitzetten",
            &[("bevestigd", "ja"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(off.status, Status::SeeOther, "{}", off.body);
    let user = user_row(&app, CASEMANAGER_BOXTEL).await;
    assert!(user.totp_secret.is_none() && user.totp_enabled_at.is_none());
    assert_eq!(audited(&app, "user.totp_disable").await.len(), 1);
    // The password alone again.
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser
            .password(CASEMANAGER_BOXTEL)
            .await
            .header("Location"),
        Some("/")
    );
}

#[rocket::async_test]
async fn where_required_it_cannot_be_switched_off() {
    let now = pinned_now();
    let app = app_with(MfaPolicy::Required, now).await;
    enrolled(&app, CASEMANAGER_BOXTEL, now - Duration::minutes(10)).await;
    let who = app.login_as(CASEMANAGER_BOXTEL).await;
    let reply = app
        .post_form(
            &who,
            "/account/2fa/uitzetten",
            &[("bevestigd", "ja"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, Status::Conflict);
    assert!(reply.body.contains("verplicht"), "{}", reply.body);
    assert!(user_row(&app, CASEMANAGER_BOXTEL)
        .await
        .totp_enabled_at
        .is_some());
}

#[rocket::async_test]
async fn each_password_step_sets_up_with_a_secret_of_its_own() {
    let now = pinned_now();
    let app = app_with(MfaPolicy::Required, now).await;
    // Someone who knew the password began setting up and left it.
    let mut first = Browser::new(&app);
    first.password(CASEMANAGER_BOXTEL).await;
    assert_eq!(first.get("/account/2fa").await.status, Status::Ok);
    let earlier = secret_of(&app, CASEMANAGER_BOXTEL).await;
    // The next password step starts with a new secret; the earlier one no longer counts.
    let mut second = Browser::new(&app);
    second.password(CASEMANAGER_BOXTEL).await;
    assert_eq!(second.get("/account/2fa").await.status, Status::Ok);
    let own = secret_of(&app, CASEMANAGER_BOXTEL).await;
    assert_ne!(own, earlier);
    let reply = first
        .post("/account/2fa", &[("code", &code_at(&earlier, now))])
        .await;
    assert_eq!(reply.status, Status::Unauthorized);
    let reply = second
        .post("/account/2fa", &[("code", &code_at(&own, now))])
        .await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    assert_eq!(codes_on(&reply.body).len(), 10);

    // A password step more than five minutes old cannot set up: the login page says why.
    let user = user_row(&app, CASEMANAGER_VUGHT).await;
    let stale = PendingSignIn::new(&user.id, now - Duration::minutes(6));
    let reply = TestApp::read(
        app.client
            .get("/account/2fa")
            .private_cookie(Cookie::new(PENDING_COOKIE, stale.encode()))
            .dispatch()
            .await,
    )
    .await;
    assert_eq!(reply.header("Location"), Some("/login?opnieuw=1"));
    assert!(user_row(&app, CASEMANAGER_VUGHT)
        .await
        .totp_secret
        .is_none());
}
