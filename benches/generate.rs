//! Generates the bench database of a scale factor (1 = WSD today: 9 municipalities,
//! ~3,000 trajectories of last year with their registrations; 100 = ~900 municipalities).
//!
//! `cargo bench --bench generate -- --scale 10 --db sqlite` (`--force` regenerates).
//! SQLite files go to `BENCH_DATA_DIR` (default target/bench-data); PostgreSQL databases
//! `plusmarkt_bench_s<scale>` (or `$BENCH_DB_PREFIX_s<scale>`) to `BENCH_PG_URL` (default postgres://postgres@127.0.0.1:5432).

mod common;

use common::{arg, Backend};

#[tokio::main]
async fn main() {
    let scales: Vec<usize> = arg("--scale")
        .unwrap_or_else(|| "1".into())
        .split(',')
        .map(|s| s.parse().expect("--scale N[,N…]"))
        .collect();
    let backend = Backend::parse(&arg("--db").unwrap_or_else(|| "sqlite".into()));
    for scale in scales {
        if std::env::args().any(|a| a == "--force") {
            let _ = std::fs::remove_file(common::data_dir().join(format!(
                "{}-{}.done",
                backend.name(),
                common::database_name(scale)
            )));
        }
        let url = common::ensure_generated(backend, scale).await;
        println!("{}", plusmarkt::redact_url(&url));
    }
}
