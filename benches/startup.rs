//! Start-up of the real server binary on SQLite: the first start on an empty database
//! (migrations, catalogue import, demo data, keys) and restarts on the same database,
//! each timed from spawn until `/health` answers 200.
//!
//! `cargo bench --bench startup`

mod common;

use common::server;
use serde_json::json;

fn main() {
    let path = common::sqlite_path("startup");
    let url = common::sqlite_url(&path);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let _ = std::fs::remove_file(path.with_file_name("plusmarkt.keys"));
    let first = server::start(&url);
    let first_s = first.ready_after.as_secs_f64();
    drop(first);
    let mut restarts: Vec<f64> = (0..5)
        .map(|_| server::start(&url).ready_after.as_secs_f64())
        .collect();
    restarts.sort_by(f64::total_cmp);
    let median = restarts[restarts.len() / 2];
    println!(
        "start-up (sqlite): first start {:.0} ms, restart median of 5 {:.0} ms (all: {:?})",
        first_s * 1e3,
        median * 1e3,
        restarts
            .iter()
            .map(|s| (s * 1e3).round())
            .collect::<Vec<_>>()
    );
    common::result(
        json!({"bench": "startup", "db": "sqlite", "first_ms": first_s * 1e3, "restart_ms": median * 1e3, "restarts_ms": restarts.iter().map(|s| s * 1e3).collect::<Vec<_>>()}),
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let _ = std::fs::remove_dir_all(path.with_file_name("mail"));
}
