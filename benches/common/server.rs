//! Starting the real server binary on a free loopback port and waiting for /health.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_plusmarkt");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The plusmarkt command line against `url`.
pub fn cli(url: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env("PLUSMARKT_DATABASE_URL", url)
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_PROFILE", "release")
        .env(
            "PLUSMARKT_CATALOGUE_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/catalogue"),
        )
        .current_dir(super::data_dir());
    // PostgreSQL has no key file beside the database: fixed bench keys (SQLite keeps its
    // generated ones in plusmarkt.keys).
    if url.starts_with("postgres") {
        c.env("PLUSMARKT_BSN_KEY", "be".repeat(32)).env(
            "ROCKET_SECRET_KEY",
            "cGx1c21hcmt0LWJlbmNoLXNlY3JldC1rZXktMjAyNiE=",
        );
    }
    c
}

pub struct Server {
    pub child: Child,
    pub port: u16,
    /// From spawn until /health answered 200.
    pub ready_after: Duration,
}

pub fn start(url: &str) -> Server {
    let port = free_port();
    let started = Instant::now();
    let mut child = cli(url)
        .arg("serve")
        .env("ROCKET_PORT", port.to_string())
        // The access log (one event per request, on standard error) would drown the output.
        .env("PLUSMARKT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server");
    let health = format!("http://127.0.0.1:{port}/health");
    loop {
        if let Ok(r) = ureq::get(&health).timeout(Duration::from_secs(2)).call() {
            if r.status() == 200 {
                break;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server stopped: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    Server {
        child,
        port,
        ready_after: started.elapsed(),
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
