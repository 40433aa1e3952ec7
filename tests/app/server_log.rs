//! The real binary, as an operator runs it: its output never contains a BSN.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

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
            .env_remove("ROCKET_LOG_LEVEL");
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
    assert!(
        output.contains("POST /api/v1/clients 201"),
        "the access log is written:\n{output}"
    );
    assert!(
        output.contains("GET /api/v1/clients 200"),
        "queries are left out:\n{output}"
    );
    for bsn in BSNS {
        assert!(
            !output.contains(bsn),
            "BSN {bsn} in the server output:\n{output}"
        );
    }
}
