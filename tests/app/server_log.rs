//! The log: the real binary, as an operator runs it, never writes a BSN; neither does the
//! in-process server with everything logged (tracing's `trace` level) in text and JSON. Every
//! answer names its request id, and a server error shows it to the user.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plusmarkt::config::{LogFormat, LogSettings};
use rocket::http::Status;
use serde_json::json;

use crate::harness::{As, TestApp, CASEMANAGER_BOXTEL};

const BSNS: [&str; 3] = ["999990019", "999991772", "123456789"];

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_server_log_holds_no_bsn() {
    let dir = std::env::temp_dir().join(format!("plusmarkt-log-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = env!("CARGO_BIN_EXE_plusmarkt");
    let catalogue = concat!(env!("CARGO_MANIFEST_DIR"), "/catalogue");
    let port = free_port();
    let base_env = |cmd: &mut Command| {
        cmd.current_dir(&dir)
            .env("PLUSMARKT_CATALOGUE_DIR", catalogue)
            .env("ROCKET_PORT", port.to_string())
            .env_remove("PLUSMARKT_DATABASE_URL")
            .env_remove("PLUSMARKT_LOG_FORMAT")
            .env_remove("ROCKET_LOG_LEVEL")
            // More than the default shows, so more could leak.
            .env("PLUSMARKT_LOG", "debug");
    };
    let mut token_cmd = Command::new(binary);
    base_env(&mut token_cmd);
    let token_out = token_cmd
        .args(["token", "add", "--email", "casemanager@boxtel.example"])
        .output()
        .unwrap();
    assert!(
        token_out.status.success(),
        "{}",
        String::from_utf8_lossy(&token_out.stderr)
    );
    let token = String::from_utf8_lossy(&token_out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();

    let mut serve = Command::new(binary);
    base_env(&mut serve);
    let mut child = serve
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if ureq::get(&format!("{url}/health")).call().is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let auth = format!("Bearer {token}");
    let mut statuses = Vec::new();
    if up {
        for body in [
            serde_json::json!({"bsn": BSNS[0], "name": "J. de Vries"}),
            serde_json::json!({"bsn": BSNS[1], "name": "F. Yilmaz"}),
            serde_json::json!({"bsn": BSNS[2], "name": "Ongeldig"}),
        ] {
            let r = ureq::post(&format!("{url}/api/v1/clients"))
                .set("Authorization", &auth)
                .send_json(body);
            statuses.push(match r {
                Ok(r) => r.status(),
                Err(ureq::Error::Status(code, _)) => code,
                Err(e) => panic!("{e}"),
            });
        }
        let found = ureq::get(&format!("{url}/api/v1/clients?bsn={}", BSNS[0]))
            .set("Authorization", &auth)
            .call();
        statuses.push(found.map(|r| r.status()).unwrap_or(0));
        let searched = ureq::post(&format!("{url}/api/v1/clients/search"))
            .set("Authorization", &auth)
            .send_json(serde_json::json!({"bsn": BSNS[1]}));
        statuses.push(searched.map(|r| r.status()).unwrap_or(0));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut output = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(up, "the server did not start:\n{output}");
    assert_eq!(statuses, [201, 201, 422, 200, 200], "{output}");
    let access = |method: &str, status: u16| {
        output.lines().any(|line| {
            line.contains(&format!("method={method} path=/api/v1/clients}}"))
                && line.contains("plusmarkt::access")
                && line.contains(&format!("status={status}"))
        })
    };
    assert!(access("POST", 201), "the access log is written:\n{output}");
    assert!(access("GET", 200), "queries are left out:\n{output}");
    for bsn in BSNS {
        assert!(
            !output.contains(bsn),
            "BSN {bsn} in the server output:\n{output}"
        );
    }
}

#[test]
fn a_bad_log_filter_is_named_with_an_example() {
    let dir = std::env::temp_dir().join(format!("plusmarkt-log-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_plusmarkt"))
        .current_dir(&dir)
        .env_remove("PLUSMARKT_DATABASE_URL")
        .env("PLUSMARKT_LOG", "plusmarkt=luid")
        .arg("migrate")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("PLUSMARKT_LOG") && stderr.contains("PLUSMARKT_LOG=info"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// What the log subscriber wrote while a test ran.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Installs the server's own subscriber, writing here, on this thread (where the test
    /// client runs the requests) until the guard is dropped.
    fn install(&self, filter: &str, format: LogFormat) -> tracing::subscriber::DefaultGuard {
        let settings = LogSettings {
            filter: filter.into(),
            format,
        };
        let captured = self.clone();
        tracing::subscriber::set_default(plusmarkt::telemetry::subscriber(
            &settings,
            move || captured.clone(),
            false,
        ))
    }
}

#[rocket::async_test]
async fn requests_with_a_bsn_leave_no_bsn_in_the_log() {
    let app = TestApp::new().await;
    let token = app.token_for(CASEMANAGER_BOXTEL).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    for format in [LogFormat::Text, LogFormat::Json] {
        let captured = Captured::default();
        let guard = captured.install("trace", format);
        let mut ids = Vec::new();
        for (bsn, name) in [
            (BSNS[0], "J. de Vries"),
            (BSNS[1], "F. Yilmaz"),
            (BSNS[2], "Ongeldig"),
        ] {
            let r = app
                .post_json(
                    &token,
                    "/api/v1/clients",
                    &json!({"bsn": bsn, "name": name}),
                )
                .await;
            ids.push(r.header("X-Request-Id").expect("a request id").to_string());
        }
        let r = app
            .get(&token, &format!("/api/v1/clients?bsn={}", BSNS[0]))
            .await;
        assert_eq!(r.status, Status::Ok);
        let r = app
            .post_json(&token, "/api/v1/clients/search", &json!({"bsn": BSNS[1]}))
            .await;
        assert_eq!(r.status, Status::Ok);
        for (bsn, name) in [(BSNS[0], "Jan de Vries"), (BSNS[2], "Ongeldig")] {
            let r = app
                .post_form(
                    &cm,
                    "/klanten",
                    &[("bsn", bsn), ("name", name), ("birth_date", "")],
                )
                .await;
            ids.push(r.header("X-Request-Id").expect("a request id").to_string());
        }
        for bsn in [BSNS[1], BSNS[2]] {
            let r = app.post_form(&cm, "/klanten/zoeken", &[("bsn", bsn)]).await;
            assert!(r.header("X-Request-Id").is_some());
        }
        drop(guard);
        let log = captured.text();
        for id in &ids {
            assert!(log.contains(id.as_str()), "request {id} in the log:\n{log}");
        }
        assert!(log.contains("plusmarkt::access"), "{log}");
        if format == LogFormat::Json {
            for line in log.lines() {
                let event: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                assert!(event["level"].is_string(), "{line}");
            }
            assert!(
                log.lines().any(|line| {
                    let event: serde_json::Value = serde_json::from_str(line).unwrap();
                    event["target"] == "plusmarkt::access"
                        && event["span"]["id"] == ids[0].as_str()
                        && event["span"]["path"] == "/api/v1/clients"
                        && event["fields"]["status"].as_u64().is_some()
                }),
                "{log}"
            );
        }
        for bsn in BSNS {
            assert!(
                !log.contains(bsn),
                "BSN {bsn} in the log ({format:?}):\n{log}"
            );
        }
    }
}

#[rocket::async_test]
async fn every_answer_names_its_request_id() {
    let app = TestApp::new().await;
    let page = app.get(&As::Anonymous, "/login").await;
    let generated = page
        .header("X-Request-Id")
        .expect("a request id")
        .to_string();
    assert_eq!(generated.len(), 32);
    assert!(generated.bytes().all(|b| b.is_ascii_hexdigit()));
    let missing = app.get(&As::Anonymous, "/api/v1/nothing-here").await;
    assert_eq!(missing.status, Status::NotFound);
    let other = missing
        .header("X-Request-Id")
        .expect("a request id on errors");
    assert_ne!(other, generated);
    // Not a server error: the problem names no request id.
    assert!(missing.json().get("request_id").is_none());

    // A client's own well-formed id is kept; anything else is replaced.
    let kept = app
        .client
        .get("/login")
        .header(rocket::http::Header::new("X-Request-Id", "proxy-4f2a_17"))
        .dispatch()
        .await;
    assert_eq!(
        kept.headers().get_one("X-Request-Id"),
        Some("proxy-4f2a_17")
    );
    let replaced = app
        .client
        .get("/login")
        .header(rocket::http::Header::new(
            "X-Request-Id",
            "no spaces, please",
        ))
        .dispatch()
        .await;
    let replaced = replaced.headers().get_one("X-Request-Id").unwrap();
    assert_eq!(replaced.len(), 32);
}

#[rocket::async_test]
async fn a_server_error_shows_its_request_id() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::new().await;
    let token = app.token_for(CASEMANAGER_BOXTEL).await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    // The table the trajectory lists read is gone: every such read is a database error.
    app.db
        .execute_unprepared("ALTER TABLE trajectories RENAME TO trajectories_gone")
        .await
        .unwrap();
    let captured = Captured::default();
    let guard = captured.install("info", LogFormat::Text);
    let api = app.get(&token, "/api/v1/trajectories").await;
    let page = app.get(&cm, "/trajecten").await;
    drop(guard);

    assert_eq!(api.status, Status::InternalServerError);
    assert!(api.is_problem());
    let id = api
        .header("X-Request-Id")
        .expect("a request id")
        .to_string();
    let problem = api.json();
    assert_eq!(problem["request_id"], id.as_str());
    assert_eq!(problem["status"], 500);
    // The OpenAPI document describes the member: a string, present on server errors only.
    let doc = app.get(&As::Anonymous, "/api/v1/openapi.json").await.json();
    let schema = &doc["components"]["schemas"]["Problem"];
    assert_eq!(
        schema["properties"]["request_id"]["type"], "string",
        "{schema}"
    );
    assert!(
        !schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "request_id"),
        "{schema}"
    );

    assert_eq!(page.status, Status::InternalServerError);
    let page_id = page.header("X-Request-Id").expect("a request id");
    assert!(
        page.body.contains(&format!(
            "Vermeld bij contact met de servicedesk: referentie <code>{page_id}</code>"
        )),
        "{}",
        page.body
    );

    let log = captured.text();
    for id in [id.as_str(), page_id] {
        assert!(
            log.lines()
                .any(|line| line.contains(id) && line.contains("ERROR")),
            "the error of {id} is logged with its id:\n{log}"
        );
    }
}
