//! Orders placed while the month-end invoice run goes on: casemanagers keep ordering while
//! finance runs invoices in office hours. On a copy of the generated database at `--scale`
//! (`--db sqlite|postgres`), the real server binary takes orders from 8 clients at a steady
//! 50 per second in all: first for a few seconds alone (the baseline), then while
//! `POST /api/v1/invoice-runs` bills the data year's December (every item of the year: the
//! run of benches/invoice_run.rs, over HTTP). Reports each phase's orders, p50/p99 latency
//! (from the moment an order was due, so a stalled server is not hidden by a client that
//! waits) and refusals (anything but 201, or no answer).
//!
//! `cargo bench --bench orders_during_run -- --scale 100 --db sqlite [--rate 50] [--clients 8]`

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{arg, orders, server, Backend};
use serde_json::json;

const BASELINE_SECS: u64 = 5;

/// The latencies (ms) and refusals of one phase.
#[derive(Default)]
struct Phase {
    latencies_ms: Vec<f64>,
    refused: usize,
}

impl Phase {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return 0.0;
        }
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

/// Places orders from `clients` threads at `rate` per second in all until `stop`, each due
/// at a fixed schedule; the latency counts from when the order was due.
fn place_orders(
    base: &str,
    token: &str,
    body: &serde_json::Value,
    clients: usize,
    rate: f64,
    stop: &Arc<AtomicBool>,
) -> Phase {
    let phase = Arc::new(Mutex::new(Phase::default()));
    let interval = Duration::from_secs_f64(clients as f64 / rate);
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (phase, stop, url, auth, body) = (
                phase.clone(),
                stop.clone(),
                format!("{base}/api/v1/trajectories"),
                format!("Bearer {token}"),
                body.clone(),
            );
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(60))
                    .build();
                // Clients start spread over one interval.
                let start = Instant::now() + interval.mul_f64(c as f64 / clients as f64);
                let mut k = 0u32;
                while !stop.load(Ordering::SeqCst) {
                    let due = start + interval * k;
                    k += 1;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let answer = agent
                        .post(&url)
                        .set("Authorization", &auth)
                        .send_json(body.clone());
                    let ms = due.elapsed().as_secs_f64() * 1000.0;
                    let mut phase = phase.lock().unwrap();
                    match answer {
                        Ok(r) if r.status() == 201 => phase.latencies_ms.push(ms),
                        _ => phase.refused += 1,
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client");
    }
    Arc::try_unwrap(phase)
        .ok()
        .expect("clients done")
        .into_inner()
        .unwrap()
}

#[tokio::main]
async fn main() {
    let scale: usize = arg("--scale")
        .map(|s| s.parse().expect("--scale N"))
        .unwrap_or(10);
    let backend = Backend::parse(&arg("--db").unwrap_or_else(|| "sqlite".into()));
    let rate: f64 = arg("--rate")
        .map(|s| s.parse().expect("--rate N"))
        .unwrap_or(50.0);
    let clients: usize = arg("--clients")
        .map(|s| s.parse().expect("--clients N"))
        .unwrap_or(8);
    common::ensure_generated(backend, scale).await;
    let scratch = format!("orders_run_s{scale}");
    let url = common::copy_of(backend, scale, &scratch).await;
    let setup = orders::prepare(&url).await;
    let finance = orders::user_with_token(&url, "bench-financien@wsd.example", "finance", &[]);
    let body = json!({"client_id": setup.client_id, "buyer_reference": "BENCH-DURING-RUN",
        "lines": [{"product_code": setup.product, "start_date": format!("{}-12-15", setup.year)}]});

    let srv = server::start(&url);
    let base = format!("http://127.0.0.1:{}", srv.port);
    // Warm-up, then the baseline: orders alone.
    let stop = Arc::new(AtomicBool::new(false));
    let baseline = {
        let stopper = stop.clone();
        let timer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(BASELINE_SECS));
            stopper.store(true, Ordering::SeqCst);
        });
        let phase = place_orders(&base, &setup.token, &body, clients, rate, &stop);
        timer.join().unwrap();
        phase
    };

    // The run, with orders coming in until it answers.
    let stop = Arc::new(AtomicBool::new(false));
    let period = format!("{}-12", common::data_year());
    let run = {
        let (stop, base, finance) = (stop.clone(), base.clone(), finance.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            let answer = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(3600))
                .build()
                .post(&format!("{base}/api/v1/invoice-runs"))
                .set("Authorization", &format!("Bearer {finance}"))
                .send_json(json!({"period": period}));
            let seconds = started.elapsed().as_secs_f64();
            stop.store(true, Ordering::SeqCst);
            let status = answer.map(|r| r.status()).unwrap_or_else(|e| match e {
                ureq::Error::Status(code, _) => code,
                ureq::Error::Transport(_) => 0,
            });
            (status, seconds)
        })
    };
    let during = place_orders(&base, &setup.token, &body, clients, rate, &stop);
    let (run_status, run_s) = run.join().expect("run");
    assert_eq!(run_status, 201, "the invoice run failed");
    drop(srv);

    println!(
        "orders at {rate}/s from {clients} clients, {} scale {scale}",
        backend.name()
    );
    for (name, phase) in [("alone", &baseline), ("during the run", &during)] {
        println!(
            "  {name:<15} {:>6} orders  p50 {:>8.1} ms  p99 {:>8.1} ms  refused {}",
            phase.latencies_ms.len(),
            phase.percentile(50.0),
            phase.percentile(99.0),
            phase.refused
        );
    }
    println!("  the run took {run_s:.1} s");
    common::result(json!({
        "bench": "orders_during_run", "db": backend.name(), "scale": scale,
        "rate": rate, "clients": clients,
        "orders": during.latencies_ms.len(), "p50_ms": during.percentile(50.0),
        "p99_ms": during.percentile(99.0), "refused": during.refused, "run_s": run_s,
        "baseline_orders": baseline.latencies_ms.len(), "baseline_p50_ms": baseline.percentile(50.0),
        "baseline_p99_ms": baseline.percentile(99.0), "baseline_refused": baseline.refused,
    }));
    common::drop_database(backend, &scratch).await;
}
