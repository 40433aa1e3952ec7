//! Shared by the bench programs: arguments, where the bench databases live, creating them
//! with the generator, and reading peak memory.
#![allow(dead_code)]

pub mod generator;
pub mod orders;
pub mod server;

use std::path::PathBuf;
use std::time::Instant;

use chrono::Datelike;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

pub const SEED: u64 = 20_261_130;

/// `--name value` from the command line (cargo bench passes `--bench` too; ignored).
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The data year: last year.
pub fn data_year() -> i32 {
    chrono::Local::now().date_naive().year() - 1
}

/// `BENCH_DATA_DIR`, default `target/bench-data` in the checkout.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var("BENCH_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"));
    std::fs::create_dir_all(&dir).expect("bench data dir");
    dir
}

/// `BENCH_PG_URL`: the server, without a database name.
pub fn pg_server() -> String {
    std::env::var("BENCH_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn parse(s: &str) -> Backend {
        match s {
            "sqlite" => Backend::Sqlite,
            "postgres" | "pg" | "postgresql" => Backend::Postgres,
            other => panic!("--db sqlite|postgres, not {other}"),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

pub fn sqlite_path(name: &str) -> PathBuf {
    data_dir().join(format!("{name}.sqlite"))
}

pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// `BENCH_DB_PREFIX` (default `plusmarkt_bench`) and the scale: sessions sharing a
/// PostgreSQL server keep their bench databases apart with their own prefix.
pub fn database_name(scale: usize) -> String {
    let prefix = std::env::var("BENCH_DB_PREFIX").unwrap_or_else(|_| "plusmarkt_bench".into());
    format!("{prefix}_s{scale}")
}

/// The URL of the generated database of `scale`.
pub fn url_of(backend: Backend, scale: usize) -> String {
    match backend {
        Backend::Sqlite => sqlite_url(&sqlite_path(&database_name(scale))),
        Backend::Postgres => format!("{}/{}", pg_server(), database_name(scale)),
    }
}

/// Raised whenever the generated data or its statistics change, so that a database made by
/// an older generator is made again instead of reused.
const DATA_VERSION: u32 = 2;

fn marker(backend: Backend, scale: usize) -> PathBuf {
    data_dir().join(format!(
        "{}-{}.v{DATA_VERSION}.done",
        backend.name(),
        database_name(scale)
    ))
}

pub async fn admin_pg(sql: &str) {
    let db = sea_orm::Database::connect(format!("{}/postgres", pg_server()))
        .await
        .expect("postgres");
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    db.close().await.ok();
}

/// Removes a database of the bench (file or PostgreSQL database).
pub async fn drop_database(backend: Backend, name: &str) {
    match backend {
        Backend::Sqlite => {
            let p = sqlite_path(name);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
            let _ = std::fs::remove_file(p.with_file_name("plusmarkt.keys"));
        }
        Backend::Postgres => {
            admin_pg(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
}

/// A fresh, migrated database with the catalogue and nothing else.
pub async fn fresh(backend: Backend, name: &str) -> (String, DatabaseConnection) {
    drop_database(backend, name).await;
    let url = match backend {
        Backend::Sqlite => sqlite_url(&sqlite_path(name)),
        Backend::Postgres => {
            admin_pg(&format!("CREATE DATABASE {name}")).await;
            format!("{}/{name}", pg_server())
        }
    };
    let config = plusmarkt::Config::for_tests(&url);
    let (db, _) = plusmarkt::prepare_database(&config).await.expect("prepare");
    (url, db)
}

/// Generates the database of `scale` unless a complete one is there. Returns its URL.
pub async fn ensure_generated(backend: Backend, scale: usize) -> String {
    let done = marker(backend, scale);
    let url = url_of(backend, scale);
    if done.exists() {
        return url;
    }
    let started = Instant::now();
    let (_, db) = fresh(backend, &database_name(scale)).await;
    let counts = generator::generate(&db, scale, data_year(), SEED + scale as u64).await;
    if backend == Backend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .ok();
    } else {
        analyze_tables_with_rows(&db).await;
    }
    db.close().await.ok();
    let secs = started.elapsed().as_secs_f64();
    let registrations = counts.events + counts.deliveries;
    println!(
        "generated {} scale {scale}: {} municipalities, {} trajectories, {} lines, {} registrations ({} events, {} deliveries) in {secs:.1} s",
        backend.name(), counts.municipalities, counts.trajectories, counts.lines, registrations, counts.events, counts.deliveries
    );
    result(serde_json::json!({
        "bench": "generate", "db": backend.name(), "scale": scale, "seconds": secs,
        "counts": counts, "registrations": registrations,
    }));
    std::fs::write(&done, serde_json::to_string(&counts).unwrap()).expect("marker");
    url
}

/// Gathers statistics as autovacuum would have by now: for every table that holds rows, and
/// for no empty one. Autovacuum never analyzes a table that has had no rows; one analyzed while
/// empty is recorded as empty, and the planner then trusts its actual size. The invoice run's
/// foreign-key check of `invoice_lines.invoice_id` is planned once per connection, when the
/// run's first draft invoice is that table's only row: on "empty" statistics that plan is a
/// sequential scan of `invoices`, kept for the whole run while the table grows to one row
/// per municipality (benches/ANALYSIS.md, sixth session).
async fn analyze_tables_with_rows(db: &DatabaseConnection) {
    let backend = db.get_database_backend();
    let tables = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT relname::text AS name FROM pg_class \
             WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1",
        ))
        .await
        .expect("list tables");
    for row in tables {
        let name: String = row.try_get("", "name").expect("table name");
        let has_rows = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT EXISTS (SELECT 1 FROM \"{name}\") AS has_rows"),
            ))
            .await
            .expect("probe table")
            .expect("one row")
            .try_get::<bool>("", "has_rows")
            .expect("has_rows");
        if has_rows {
            db.execute_unprepared(&format!("ANALYZE \"{name}\""))
                .await
                .expect("analyze");
        }
    }
}

/// Copies the database of `scale` to a scratch database `name` (the real run writes).
pub async fn copy_of(backend: Backend, scale: usize, name: &str) -> String {
    drop_database(backend, name).await;
    match backend {
        Backend::Sqlite => {
            let to = sqlite_path(name);
            std::fs::copy(sqlite_path(&database_name(scale)), &to).expect("copy");
            sqlite_url(&to)
        }
        Backend::Postgres => {
            admin_pg(&format!(
                "CREATE DATABASE {name} TEMPLATE {}",
                database_name(scale)
            ))
            .await;
            format!("{}/{name}", pg_server())
        }
    }
}

/// VmHWM of this process in KiB: its peak resident memory.
pub fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Prints one machine-readable result line (run_all.sh collects them).
pub fn result(value: serde_json::Value) {
    println!("RESULT {value}");
}

pub async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, sql.to_string()))
        .await
        .expect(sql)
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("an integer")
}
