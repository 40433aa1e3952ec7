//! The real binary killed with SIGKILL while it writes: after every restart `plusmarkt check`
//! passes (audit chain, numbering, totals, claims, outbox) and every acknowledged write is there.
//! Every other kill lands while an invoice run of a month with work in it is in flight: the
//! run writes one municipality per transaction, so a kill leaves some municipalities' drafts
//! complete and nothing of the rest; after the restart the killed run's lease lapses and the
//! same month runs again to the end, billing every item exactly once.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    dir: std::path::PathBuf,
    port: u16,
    child: Option<Child>,
}

fn binary() -> String {
    std::env::var("PLUSMARKT_CRASH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_plusmarkt").to_string())
}

impl Server {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary());
        cmd.current_dir(&self.dir)
            .args(args)
            .env(
                "PLUSMARKT_CATALOGUE_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/catalogue"),
            )
            .env("ROCKET_PORT", self.port.to_string())
            .env_remove("PLUSMARKT_DATABASE_URL");
        cmd
    }

    fn start(&mut self) {
        let child = self
            .command(&[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if ureq::get(&format!("http://127.0.0.1:{}/health", self.port))
                .call()
                .is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not come back");
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGKILL: no shutdown, no flush.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn killed_at_random_moments_the_server_loses_nothing_it_acknowledged() {
    let dir =
        std::env::temp_dir().join(format!("plusmarkt-crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Server {
        dir,
        port,
        child: None,
    };
    let token = |email: &str| {
        let out = server
            .command(&["token", "add", "--email", email])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap()
            .trim()
            .to_string()
    };
    let casemanager = format!("Bearer {}", token("casemanager@boxtel.example"));
    let finance = format!("Bearer {}", token("financien@wsd.example"));
    server.start();
    let url = format!("http://127.0.0.1:{port}");
    let client = ureq::post(&format!("{url}/api/v1/clients"))
        .set("Authorization", &casemanager)
        .send_json(serde_json::json!({"bsn": "999990019", "name": "J. de Vries"}))
        .unwrap()
        .into_json::<serde_json::Value>()
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let today = chrono::Local::now().date_naive();
    let period = crate::registration::last_year();
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    const KILLS: usize = 12;
    // Months of this year with the demo history in them, oldest first: one per run killed.
    let months: Vec<String> = (1..=KILLS as u32 / 2)
        .rev()
        .map(|k| (today - chrono::Months::new(k)).format("%Y-%m").to_string())
        .collect();
    let mut kills_during_a_run = 0;
    for round in 0..KILLS {
        // Every other round, a run of a month with work in it, killed while it is in flight.
        let run_in_flight = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let runner = (round % 2 == 1).then(|| {
            let (in_flight, url, finance) = (run_in_flight.clone(), url.clone(), finance.clone());
            let month = months[round / 2].clone();
            in_flight.store(true, std::sync::atomic::Ordering::SeqCst);
            std::thread::spawn(move || {
                let _ = ureq::post(&format!("{url}/api/v1/invoice-runs"))
                    .set("Authorization", &finance)
                    .send_json(serde_json::json!({"period": month}));
                in_flight.store(false, std::sync::atomic::Ordering::SeqCst);
                month
            })
        });
        // A writer keeps placing orders and running invoices while the server is killed
        // at a random moment, so a kill can land in the middle of a transaction.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (stop, acknowledged, url, casemanager, finance, client) = (
                stop.clone(),
                acknowledged.clone(),
                url.clone(),
                casemanager.clone(),
                finance.clone(),
                client.clone(),
            );
            std::thread::spawn(move || {
                let mut i = 0u32;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    i += 1;
                    let reply = if i.is_multiple_of(3) {
                        ureq::post(&format!("{url}/api/v1/invoice-runs"))
                            .set("Authorization", &finance)
                            .send_json(serde_json::json!({"period": format!("{period}-12")}))
                    } else {
                        ureq::post(&format!("{url}/api/v1/trajectories")).set("Authorization", &casemanager).send_json(serde_json::json!({
                            "client_id": client, "buyer_reference": format!("CRASH-{round}-{i}"),
                            "lines": [{"product_code": "DIAG-AANZET", "start_date": today.to_string()}]
                        }))
                    };
                    match reply {
                        Ok(r) if r.status() == 201 => {
                            if let Ok(v) = r.into_json::<serde_json::Value>() {
                                if let Some(id) = v["id"].as_str() {
                                    acknowledged.lock().unwrap().push(id.to_string());
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        if runner.is_some() {
            std::thread::sleep(Duration::from_millis(20 + next() % 60));
        } else {
            std::thread::sleep(Duration::from_millis(150 + next() % 400));
        }
        let during_a_run = run_in_flight.load(std::sync::atomic::Ordering::SeqCst);
        server.kill();
        if during_a_run {
            kills_during_a_run += 1;
        }
        std::thread::sleep(Duration::from_millis(50));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        writer.join().unwrap();
        server.start();
        let check = server.command(&["check"]).output().unwrap();
        assert!(
            check.status.success(),
            "plusmarkt check failed after a kill: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        if let Some(runner) = runner {
            // The killed month runs again, to the end: it waits for the dead run's lease
            // to lapse, bills the rest, and the check still passes.
            let month = runner.join().unwrap();
            let rerun = ureq::post(&format!("{url}/api/v1/invoice-runs"))
                .set("Authorization", &finance)
                .send_json(serde_json::json!({"period": month}));
            assert!(
                rerun.as_ref().is_ok_and(|r| r.status() == 201),
                "the killed month {month} runs again: {rerun:?}"
            );
            let again = ureq::post(&format!("{url}/api/v1/invoice-runs"))
                .set("Authorization", &finance)
                .send_json(serde_json::json!({"period": month}))
                .unwrap()
                .into_json::<serde_json::Value>()
                .unwrap();
            assert_eq!(
                again["invoices"].as_array().map(Vec::len),
                Some(0),
                "after the rerun of {month} nothing is left to bill: {again}"
            );
            let check = server.command(&["check"]).output().unwrap();
            assert!(
                check.status.success(),
                "plusmarkt check failed after the rerun of {month}: {}{}",
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            );
        }
        for id in acknowledged.lock().unwrap().iter() {
            let r = ureq::get(&format!("{url}/api/v1/trajectories/{id}"))
                .set("Authorization", &casemanager)
                .call();
            assert!(
                r.is_ok_and(|r| r.status() == 200),
                "acknowledged trajectory {id} lost after a kill"
            );
        }
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!(
        "crash test: {KILLS} kills survived ({kills_during_a_run} during an invoice run), {} acknowledged orders all present",
        acknowledged.len()
    );
    assert!(
        kills_during_a_run >= 3,
        "only {kills_during_a_run} kill(s) landed during an invoice run"
    );
    assert!(
        acknowledged.len() >= KILLS * 2,
        "the test placed too few orders to mean anything"
    );
}
