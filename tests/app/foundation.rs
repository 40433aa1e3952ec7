//! The foundation: health, login, rate limit, CSRF, roles, audit chain, errors.

use rocket::http::Status;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::harness::*;

#[rocket::async_test]
async fn health_answers_ok_with_the_database() {
    let app = TestApp::new().await;
    let reply = app.get(&As::Anonymous, "/health").await;
    assert_eq!(reply.status, Status::Ok);
    assert_eq!(reply.json(), json!({"status": "ok", "database": "ok"}));
}

#[rocket::async_test]
async fn demo_data_holds_the_nine_municipalities_and_one_user_per_role() {
    let app = TestApp::new().await;
    let me = app.login_as(ADMIN).await;
    let reply = app.get(&me, "/api/v1/municipalities").await;
    let codes: Vec<String> = reply.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "GM0753", "GM0757", "GM0820", "GM0823", "GM0824", "GM0845", "GM0848", "GM0865",
            "GM1948"
        ]
    );
    let users = app.get(&me, "/api/v1/users").await.json();
    let roles: std::collections::BTreeSet<String> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["role"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(roles.len(), 5, "one demo user per role: {roles:?}");
}

#[rocket::async_test]
async fn login_with_the_right_password_opens_a_session() {
    let app = TestApp::new().await;
    let page = app.get(&As::Anonymous, "/login").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("Inloggen"));
    let reply = app
        .post_form(
            &As::Anonymous,
            "/login",
            &[("email", CASEMANAGER_BOXTEL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    let cookie = reply
        .headers
        .iter()
        .find(|(n, v)| n.eq_ignore_ascii_case("set-cookie") && v.starts_with("plusmarkt_session="))
        .map(|(_, v)| v.clone())
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    // Every cookie the login sets (the session and the new CSRF token) is HttpOnly,
    // SameSite=Strict and for the whole site.
    let cookies: Vec<&String> = reply
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v)
        .collect();
    assert!(cookies.len() >= 2, "{cookies:?}");
    for c in &cookies {
        let attributes: Vec<String> = c
            .split(';')
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        assert!(attributes.contains(&"httponly".to_string()), "{c}");
        assert!(attributes.contains(&"samesite=strict".to_string()), "{c}");
        assert!(attributes.contains(&"path=/".to_string()), "{c}");
    }
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("plusmarkt_session=")
        .to_string();
    // As a browser sends it back: percent-decoded.
    let value = rocket::http::RawStr::new(&value)
        .percent_decode()
        .unwrap()
        .into_owned();
    // The cookie opens the session, and logging out ends it on the server.
    let raw = rocket::http::Cookie::new(plusmarkt::auth::guards::SESSION_COOKIE, value);
    let me = app
        .client
        .get("/api/v1/me")
        .cookie(raw.clone())
        .dispatch()
        .await;
    assert_eq!(me.status(), Status::Ok);
    let out = app
        .client
        .post("/logout")
        .cookie(raw.clone())
        .private_cookie(rocket::http::Cookie::new(
            plusmarkt::auth::csrf::CSRF_COOKIE,
            "t",
        ))
        .header(rocket::http::ContentType::Form)
        .body("csrf_token=t")
        .dispatch()
        .await;
    assert_eq!(out.status(), Status::SeeOther);
    let after = app.client.get("/api/v1/me").cookie(raw).dispatch().await;
    assert_eq!(
        after.status(),
        Status::Unauthorized,
        "a replayed cookie after logout"
    );
}

#[rocket::async_test]
async fn login_with_a_wrong_password_or_unknown_user_fails() {
    let app = TestApp::new().await;
    for (email, password) in [
        (CASEMANAGER_BOXTEL, "wrong-password"),
        ("nobody@wsd.example", PASSWORD),
    ] {
        let reply = app
            .post_form(
                &As::Anonymous,
                "/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(reply.status, Status::Unauthorized);
        assert!(reply.body.contains("klopt niet"), "{}", reply.body);
        assert!(!reply
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("set-cookie")
                && v.starts_with("plusmarkt_session=")));
    }
}

#[rocket::async_test]
async fn repeated_failed_logins_answer_429() {
    let app = TestApp::new().await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let reply = app
            .post_form(
                &As::Anonymous,
                "/login",
                &[("email", FINANCE), ("password", "not-the-password")],
            )
            .await;
        statuses.push(reply.status.code);
    }
    assert_eq!(statuses[..5], [401, 401, 401, 401, 401]);
    assert_eq!(statuses[5..], [429, 429]);
    // Even the right password is refused while the account is locked.
    let reply = app
        .post_form(
            &As::Anonymous,
            "/login",
            &[("email", FINANCE), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, Status::TooManyRequests);
    assert!(reply.header("Retry-After").is_some());
}

#[rocket::async_test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = TestApp::new().await;
    let fields = [("email", CASEMANAGER_BOXTEL), ("password", PASSWORD)];
    let no_field = app
        .post_form_raw(&As::Anonymous, "/login", &fields, Some("cookie-token"))
        .await;
    assert_eq!(no_field.status, Status::Forbidden);
    let mut with_field = vec![("csrf_token", "other-token")];
    with_field.extend_from_slice(&fields);
    let mismatch = app
        .post_form_raw(&As::Anonymous, "/login", &with_field, Some("cookie-token"))
        .await;
    assert_eq!(mismatch.status, Status::Forbidden);
    let no_cookie = app
        .post_form_raw(&As::Anonymous, "/login", &with_field, None)
        .await;
    assert_eq!(no_cookie.status, Status::Forbidden);
    // The admin's user form is protected the same way, and nothing is created.
    let admin = app.login_as(ADMIN).await;
    let reply = app
        .post_form_raw(
            &admin,
            "/beheer/gebruikers",
            &[
                ("email", "x@wsd.example"),
                ("name", "X"),
                ("role", "finance"),
                ("municipality", ""),
                ("password", "long-enough-password"),
            ],
            Some("cookie-token"),
        )
        .await;
    assert_eq!(reply.status, Status::Forbidden);
    assert!(
        plusmarkt::store::users::find_by_email(&app.db, "x@wsd.example")
            .await
            .unwrap()
            .is_none()
    );
}

#[rocket::async_test]
async fn each_role_is_refused_the_routes_of_the_others() {
    let app = TestApp::new().await;
    for email in [CASEMANAGER_BOXTEL, PRICING, FINANCE, WSD_STAFF] {
        let who = app.login_as(email).await;
        assert_eq!(
            app.get(&who, "/beheer/gebruikers").await.status,
            Status::Forbidden,
            "{email}"
        );
        assert_eq!(
            app.get(&who, "/api/v1/users").await.status,
            Status::Forbidden,
            "{email}"
        );
    }
    for email in [CASEMANAGER_BOXTEL, PRICING, WSD_STAFF] {
        let who = app.login_as(email).await;
        let reply = app.get(&who, "/api/v1/audit-events").await;
        assert_eq!(reply.status, Status::Forbidden, "{email}");
        assert!(reply.is_problem());
    }
    let finance = app.login_as(FINANCE).await;
    assert_eq!(
        app.get(&finance, "/api/v1/audit-events").await.status,
        Status::Ok
    );
    let admin = app.login_as(ADMIN).await;
    assert_eq!(
        app.get(&admin, "/beheer/gebruikers").await.status,
        Status::Ok
    );
    // Not logged in: the API answers 401, the web sends to the login page.
    assert_eq!(
        app.get(&As::Anonymous, "/api/v1/me").await.status,
        Status::Unauthorized
    );
    let page = app.get(&As::Anonymous, "/beheer/gebruikers").await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.header("Location"), Some("/login"));
}

#[rocket::async_test]
async fn me_answers_for_sessions_and_tokens() {
    let app = TestApp::new().await;
    let session = app.login_as(CASEMANAGER_BOXTEL).await;
    let me = app.get(&session, "/api/v1/me").await.json();
    assert_eq!(me["email"], CASEMANAGER_BOXTEL);
    assert_eq!(me["role"], "casemanager");
    assert_eq!(me["municipality"], "GM0757");
    let token = app.token_for(FINANCE).await;
    let me = app.get(&token, "/api/v1/me").await.json();
    assert_eq!(me["role"], "finance");
    assert_eq!(me["municipality"], serde_json::Value::Null);
    let bad = app
        .get(&As::Token("pmk_not-a-token".into()), "/api/v1/me")
        .await;
    assert_eq!(bad.status, Status::Unauthorized);
}

#[rocket::async_test]
async fn tokens_are_stored_hashed() {
    let app = TestApp::new().await;
    let As::Token(token) = app.token_for(FINANCE).await else {
        unreachable!()
    };
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT token_hash FROM api_tokens",
        ))
        .await
        .unwrap();
    for row in rows {
        let stored: String = row.try_get("", "token_hash").unwrap();
        assert_ne!(stored, token);
        assert!(!stored.contains(&token));
    }
}

#[rocket::async_test]
async fn creating_a_user_is_audited_and_bad_input_changes_nothing() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let reply = app
        .post_json(&admin, "/api/v1/users", &json!({"email": "nieuw@boxtel.example", "name": "Nina Nieuw", "role": "casemanager", "municipality": "GM0757", "password": "een-lang-wachtwoord"}))
        .await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    let events = app
        .get(&admin, "/api/v1/audit-events?entity=user")
        .await
        .json();
    let last = events["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "user.create");
    assert_eq!(last["after"]["email"], "nieuw@boxtel.example");
    assert_eq!(last["actor"], ADMIN);
    assert!(
        !last.to_string().contains("argon2"),
        "no password hash in the audit log"
    );

    let before = plusmarkt::store::users::count(&app.db).await.unwrap();
    for (body, field) in [
        (
            json!({"email": "not-an-email", "name": "X", "role": "finance", "password": "een-lang-wachtwoord"}),
            "email",
        ),
        (
            json!({"email": "a@wsd.example", "name": "X", "role": "root", "password": "een-lang-wachtwoord"}),
            "role",
        ),
        (
            json!({"email": "a@wsd.example", "name": "X", "role": "casemanager", "password": "een-lang-wachtwoord"}),
            "municipality",
        ),
        (
            json!({"email": "a@wsd.example", "name": "X", "role": "casemanager", "municipality": "GM9999", "password": "een-lang-wachtwoord"}),
            "municipality",
        ),
        (
            json!({"email": "a@wsd.example", "name": "X", "role": "finance", "password": "kort"}),
            "password",
        ),
        (
            json!({"email": ADMIN, "name": "X", "role": "finance", "password": "een-lang-wachtwoord"}),
            "email",
        ),
    ] {
        let reply = app.post_json(&admin, "/api/v1/users", &body).await;
        assert_eq!(
            reply.status,
            Status::UnprocessableEntity,
            "{body}: {}",
            reply.body
        );
        assert!(reply.is_problem());
        let fields: Vec<String> = reply.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        assert!(fields.contains(&field.to_string()), "{body}: {fields:?}");
    }
    assert_eq!(
        plusmarkt::store::users::count(&app.db).await.unwrap(),
        before
    );
}

#[rocket::async_test]
async fn bad_json_and_unknown_routes_answer_problem_json() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let syntax = app
        .send_json(
            rocket::http::Method::Post,
            &admin,
            "/api/v1/users",
            "{\"email\": ",
            &[],
        )
        .await;
    assert_eq!(syntax.status, Status::BadRequest);
    assert!(syntax.is_problem());
    assert!(syntax.json()["detail"].as_str().unwrap().contains("JSON"));
    let wrong_type = app
        .send_json(
            rocket::http::Method::Post,
            &admin,
            "/api/v1/users",
            "{\"email\": 5}",
            &[],
        )
        .await;
    assert_eq!(wrong_type.status, Status::UnprocessableEntity);
    assert_eq!(wrong_type.json()["errors"][0]["field"], "email");
    let unknown_field = app
        .send_json(
            rocket::http::Method::Post,
            &admin,
            "/api/v1/users",
            "{\"emial\": \"x\"}",
            &[],
        )
        .await;
    assert_eq!(unknown_field.status, Status::UnprocessableEntity);
    for path in ["/api/v1/nothing-here", "/api/v1/municipalities/GM9999"] {
        let reply = app.get(&admin, path).await;
        assert_eq!(reply.status, Status::NotFound, "{path}");
        assert!(reply.is_problem(), "{path}");
        assert_eq!(reply.json()["status"], 404);
    }
    let page = app.get(&admin, "/nergens").await;
    assert_eq!(page.status, Status::NotFound);
    assert!(page.body.contains("Niet gevonden"));
}

#[rocket::async_test]
async fn a_tampered_audit_event_is_reported() {
    let app = TestApp::new().await;
    assert!(plusmarkt::store::audit::verify(&app.db)
        .await
        .unwrap()
        .is_empty());
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(sea_orm::Statement::from_string(
            backend,
            "UPDATE audit_events SET after = '{\"role\":\"admin\"}' WHERE seq = 3",
        ))
        .await
        .unwrap();
    let findings = plusmarkt::store::audit::verify(&app.db).await.unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].seq, Some(3));
}

/// The column `v` of the one row `sql` answers.
async fn one_value<T: sea_orm::TryGetable>(app: &TestApp, sql: &str) -> T {
    app.db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "v")
        .unwrap()
}

#[rocket::async_test]
async fn a_deleted_audit_event_is_reported() {
    let app = TestApp::new().await;
    let backend = app.db.get_database_backend();
    let last: i64 = one_value(&app, "SELECT MAX(seq) AS v FROM audit_events").await;
    app.db
        .execute_raw(sea_orm::Statement::from_string(
            backend,
            format!("DELETE FROM audit_events WHERE seq = {last}"),
        ))
        .await
        .unwrap();
    assert!(!plusmarkt::store::audit::verify(&app.db)
        .await
        .unwrap()
        .is_empty());
}

/// An event added to the log behind the chain's back (not through `store::audit::append`,
/// which moves the head with it) leaves the head behind, and `audit verify` reports it.
#[rocket::async_test]
async fn an_audit_event_added_behind_the_chains_back_is_reported() {
    let app = TestApp::new().await;
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(sea_orm::Statement::from_string(
            backend,
            "INSERT INTO audit_events (seq, at, actor, action, entity, entity_id, prev_hash, hash) \
             SELECT last_seq + 1, 'nu', 'iemand', 'x', 'x', 'x', last_hash, 'vals' \
             FROM audit_head WHERE id = 1",
        ))
        .await
        .unwrap();
    let head: String = one_value(&app, "SELECT last_hash AS v FROM audit_head WHERE id = 1").await;
    assert_ne!(
        head, "vals",
        "the head moved with an event added behind its back"
    );
    let findings = plusmarkt::store::audit::verify(&app.db).await.unwrap();
    assert!(
        findings.iter().any(|f| f.seq.is_none()),
        "the head's mismatch: {findings:?}"
    );
}

#[rocket::async_test]
async fn the_openapi_document_lists_the_routes() {
    let app = TestApp::new().await;
    let doc = app.get(&As::Anonymous, "/api/v1/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/health",
        "/api/v1/me",
        "/api/v1/municipalities",
        "/api/v1/audit-events",
        "/api/v1/users",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

/// The directives of a Content-Security-Policy, by name.
fn csp_directives(csp: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    csp.split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_string).collect()))
        })
        .collect()
}

#[rocket::async_test]
async fn pages_and_answers_carry_security_headers() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let pricing = app.login_as(PRICING).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let mut checked = Vec::new();
    // Pages, JSON, problem+json, redirects, error pages and the stylesheet all carry them.
    for (who, path) in [
        (&As::Anonymous, "/login"),
        (&As::Anonymous, "/health"),
        (&As::Anonymous, "/api/v1/me"),
        (&As::Anonymous, "/beheer/gebruikers"),
        (&As::Anonymous, "/bestaat-niet"),
        (&As::Anonymous, "/static/style.css"),
        (&As::Anonymous, "/api/v1/openapi.json"),
        (&admin, "/"),
        (&admin, "/beheer/gebruikers"),
        (&pricing, "/prijzen/producten"),
        (&pricing, "/prijzen/producten/REI-WERKFIT"),
        (&pricing, "/prijzen/producten/REI-WERKFIT/bewerken"),
        (&pricing, "/prijzen/contracten"),
        (&cm, "/contract"),
        (&cm, "/beheer/gebruikers"),
        (&cm, "/api/v1/products"),
    ] {
        let reply = app.get(who, path).await;
        let csp = reply
            .header("Content-Security-Policy")
            .unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"));
        let directives = csp_directives(csp);
        let scripts = directives
            .get("script-src")
            .or_else(|| directives.get("default-src"))
            .unwrap_or_else(|| panic!("{path}: no script-src or default-src in {csp}"));
        for unsafe_source in [
            "'unsafe-inline'",
            "'unsafe-eval'",
            "*",
            "data:",
            "http:",
            "https:",
        ] {
            assert!(
                !scripts.iter().any(|s| s == unsafe_source),
                "{path}: scripts from {unsafe_source} in {csp}"
            );
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            directives.get("frame-ancestors").map(Vec::as_slice),
            Some(&["'none'".to_string()][..]),
            "{path}: {csp}"
        );
        assert_eq!(
            directives.get("object-src").map(Vec::as_slice),
            Some(&["'none'".to_string()][..]),
            "{path}: {csp}"
        );
        assert!(directives.contains_key("base-uri"), "{path}: {csp}");
        assert_eq!(
            reply.header("X-Content-Type-Options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(reply.header("X-Frame-Options"), Some("DENY"), "{path}");
        let referrer = reply.header("Referrer-Policy").unwrap_or_default();
        assert!(
            [
                "no-referrer",
                "same-origin",
                "strict-origin",
                "strict-origin-when-cross-origin"
            ]
            .contains(&referrer),
            "{path}: Referrer-Policy {referrer:?}"
        );
        // The policy forbids inline script and style: the pages must not need them.
        if reply.content_type.as_deref() == Some("text/html") {
            let html = reply.body.to_ascii_lowercase();
            for inline in ["<script>", "<script ", "<style", " style=\"", "javascript:"] {
                if inline == "<script " {
                    assert!(
                        html.match_indices("<script ").all(|(i, _)| html[i..]
                            .split('>')
                            .next()
                            .is_some_and(|tag| tag.contains(" src="))),
                        "{path}: inline script"
                    );
                } else {
                    assert!(!html.contains(inline), "{path}: {inline} in the page");
                }
            }
            assert!(
                !html.split('<').any(|tag| tag
                    .split('>')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .skip(1)
                    .any(|attribute| attribute.starts_with("on") && attribute.contains('='))),
                "{path}: an inline event handler"
            );
        }
        checked.push(format!("{} {path}", reply.status.code));
    }
    eprintln!("security headers checked on: {}", checked.join(", "));
}
