//! The invoice run for one month at a scale factor: preview (`invoicing::compute`), real
//! (`invoicing::run`, on a copy of the database) and beside them a hand-written SQL
//! aggregate of the same per-municipality totals as the floor. Each measurement runs in a
//! fresh child process, so its peak memory (VmHWM) is its own.
//!
//! `cargo bench --bench invoice_run -- --scale 1,10 --db sqlite [--period YYYY-MM]`
//!
//! The period defaults to December of the data year on a database without invoices, so a
//! run bills every item of the year up to the end of December (a first run).
//!
//! What the floor computes, exactly (the generated data has no corrections and nothing
//! outside a line's dates, volume or budget, so no item is held):
//! - inspanning (uur, dagdeel, stuk): per delivery (the generator writes 2 or 3 per line and
//!   month, their sum within the volume) with period <= P of a started, completed
//!   or stopped line: round_half_up(unit_price_cents × quantity_thousandths / 1000);
//! - traject: per milestone reached by a registration (start event = `start`, complete
//!   event = `afronding`, milestone event = its name) that the product has, dated on or
//!   before the end of P (first date per milestone): round_half_up(price × share), the
//!   last milestone of the product the price minus the other parts;
//! - maand: per calendar month from the start registration to the earliest of end date,
//!   stop date and the end of P: the price, or round_half_up(price × active days / days).

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use common::{arg, Backend};
use plusmarkt::domain::period::Period;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{json, Value};

fn floor_sql(backend: DbBackend, period: Period) -> String {
    let pg = backend == DbBackend::Postgres;
    let d = |s: String| {
        if pg {
            format!("DATE '{s}'")
        } else {
            format!("'{s}'")
        }
    };
    let least = if pg { "LEAST" } else { "MIN" };
    let greatest = if pg { "GREATEST" } else { "MAX" };
    let days = |a: &str, b: &str| {
        if pg {
            format!("(({a}) - ({b}) + 1)")
        } else {
            format!("CAST(julianday({a}) - julianday({b}) + 1 AS INTEGER)")
        }
    };
    let end = d(period.last_day().to_string());
    let first_month = Period::new(period.year(), 1).expect("january");
    let months: Vec<String> = first_month
        .iter_to(period)
        .map(|m| {
            format!(
                "({}, {}, {})",
                d(m.first_day().to_string()),
                d(m.last_day().to_string()),
                m.days()
            )
        })
        .collect();
    let live = "l.status IN ('started', 'completed', 'stopped')";
    format!(
        "WITH months(first_day, last_day, days) AS (VALUES {months}),
         effort AS (
           SELECT t.municipality_code AS m, (l.unit_price_cents * d.quantity_thousandths + 500) / 1000 AS amount
           FROM deliveries d JOIN trajectory_lines l ON l.id = d.trajectory_line_id
           JOIN trajectories t ON t.id = l.trajectory_id JOIN products p ON p.code = l.product_code
           WHERE p.unit IN ('uur', 'dagdeel', 'stuk') AND {live} AND d.period <= '{period}' AND d.corrects_id IS NULL),
         reached AS (
           SELECT e.trajectory_line_id AS line_id,
                  CASE e.kind WHEN 'start' THEN 'start' WHEN 'complete' THEN 'afronding' ELSE e.milestone END AS name,
                  MIN(e.date) AS date
           FROM line_events e WHERE e.kind IN ('start', 'complete', 'milestone') AND e.corrects_id IS NULL
           GROUP BY 1, 2),
         traject AS (
           SELECT t.municipality_code AS m,
                  CASE WHEN pm.position = (SELECT MAX(x.position) FROM product_milestones x WHERE x.product_code = pm.product_code)
                       THEN l.unit_price_cents - (SELECT COALESCE(SUM((l.unit_price_cents * y.share_basis_points + 5000) / 10000), 0)
                                                  FROM product_milestones y WHERE y.product_code = pm.product_code AND y.position < pm.position)
                       ELSE (l.unit_price_cents * pm.share_basis_points + 5000) / 10000 END AS amount
           FROM reached r JOIN trajectory_lines l ON l.id = r.line_id JOIN trajectories t ON t.id = l.trajectory_id
           JOIN products p ON p.code = l.product_code
           JOIN product_milestones pm ON pm.product_code = l.product_code AND pm.name = r.name
           WHERE p.unit = 'traject' AND {live} AND r.date <= {end}),
         maand_lines AS (
           SELECT t.municipality_code AS m, l.unit_price_cents AS price,
                  COALESCE((SELECT MIN(e.date) FROM line_events e WHERE e.trajectory_line_id = l.id AND e.kind = 'start' AND e.corrects_id IS NULL), l.started_on) AS s,
                  {least}(COALESCE(l.end_date, {end}), COALESCE(l.ended_on, {end}), {end}) AS e
           FROM trajectory_lines l JOIN trajectories t ON t.id = l.trajectory_id JOIN products p ON p.code = l.product_code
           WHERE p.unit = 'maand' AND {live}),
         maand_months AS (
           SELECT ml.m AS m, ml.price AS price, mo.days AS days,
                  {active} AS active
           FROM maand_lines ml JOIN months mo ON {greatest}(ml.s, mo.first_day) <= {least}(ml.e, mo.last_day)
           WHERE ml.s IS NOT NULL),
         maand AS (
           SELECT m, CASE WHEN active >= days THEN price ELSE (2 * price * active + days) / (2 * days) END AS amount FROM maand_months),
         all_items AS (
           SELECT m, amount, 'effort' AS kind FROM effort UNION ALL SELECT m, amount, 'traject' FROM traject
           UNION ALL SELECT m, amount, 'maand' FROM maand)
         SELECT m, kind, CAST(SUM(amount) AS BIGINT) AS total, COUNT(*) AS items FROM all_items GROUP BY m, kind ORDER BY m, kind",
        months = months.join(", "),
        active = days(
            &format!("{least}(ml.e, mo.last_day)"),
            &format!("{greatest}(ml.s, mo.first_day)")
        ),
    )
}

/// The tables a run writes: its lines and their billing claims.
const WRITTEN_TABLES: [&str; 2] = ["invoice_lines", "billing_claims"];

/// The bare cost of the run's writes: after a run, copies the invoice lines and claims it
/// wrote into empty tables of the same definition and indexes (`bench_` + name), in one
/// transaction of two `INSERT … SELECT`, committed. This is what the same rows cost the
/// database without any application in between; the run's time beside `floor + this`
/// shows how much of the gap to the floor is the writing itself. Returns the lines copied
/// and the seconds of the copy (not of the table set-up before it).
async fn write_floor(db: &DatabaseConnection) -> (usize, f64) {
    let backend = db.get_database_backend();
    let exec = |sql: String| async move {
        db.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    };
    // Schema texts read with `sql` (one column, `text`), every written table's name
    // prefixed with `bench_` (index and constraint names hold it too).
    let renamed = |sql: String| async move {
        db.query_all_raw(Statement::from_string(backend, sql))
            .await
            .expect("schema")
            .into_iter()
            .map(|r| {
                let text: String = r.try_get("", "text").unwrap();
                WRITTEN_TABLES
                    .iter()
                    .fold(text, |s, t| s.replace(t, &format!("bench_{t}")))
            })
            .collect::<Vec<_>>()
    };
    for table in WRITTEN_TABLES {
        if backend == DbBackend::Postgres {
            exec(format!(
                "CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)"
            ))
            .await;
            // LIKE copies no foreign keys: add the table's own, so that the copy checks
            // them as the run's inserts do.
            for def in renamed(format!("SELECT pg_get_constraintdef(oid) AS text FROM pg_constraint WHERE conrelid = '{table}'::regclass AND contype = 'f'")).await {
                exec(format!("ALTER TABLE bench_{table} ADD {def}")).await;
            }
        } else {
            // The table's and its indexes' own CREATE statements; the automatic
            // primary-key index comes with the table.
            for sql in renamed(format!("SELECT sql AS text FROM sqlite_master WHERE tbl_name = '{table}' AND sql IS NOT NULL ORDER BY type DESC")).await {
                exec(sql).await;
            }
        }
    }
    let lines = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM invoice_lines",
        ))
        .await
        .expect("count")
        .expect("a row")
        .try_get::<i64>("", "n")
        .unwrap();
    // Timed from here: the copy itself.
    let started = Instant::now();
    let txn = db.begin().await.expect("begin");
    for table in WRITTEN_TABLES {
        txn.execute_unprepared(&format!("INSERT INTO bench_{table} SELECT * FROM {table}"))
            .await
            .expect("copy");
    }
    txn.commit().await.expect("commit");
    (
        usize::try_from(lines).unwrap_or(0),
        started.elapsed().as_secs_f64(),
    )
}

/// The measurement of one child process.
async fn child(kind: &str, url: &str, period: Period) {
    let config = plusmarkt::Config::for_tests(url);
    let db: DatabaseConnection = plusmarkt::store::db::connect(&config.database_url)
        .await
        .expect("connect");
    let started = Instant::now();
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_kind: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let (items, held, written);
    // Set by a measurement that times only part of its work.
    let mut timed: Option<f64> = None;
    match kind {
        "floor" => {
            let backend = db.get_database_backend();
            let rows = db
                .query_all_raw(Statement::from_string(backend, floor_sql(backend, period)))
                .await
                .expect("floor query");
            let mut n = 0;
            for r in rows {
                let m: String = r.try_get("", "m").unwrap();
                let k: String = r.try_get("", "kind").unwrap();
                let total: i64 = r.try_get("", "total").unwrap();
                let count: i64 = r.try_get("", "items").unwrap();
                *totals.entry(m).or_default() += total;
                let e = by_kind.entry(k).or_default();
                e.0 += total;
                e.1 += count;
                n += count;
            }
            items = n as usize;
            held = 0;
            written = 0;
        }
        "preview" => {
            let principal = plusmarkt::auth::Principal::system("bench");
            let bills = plusmarkt::services::invoicing::compute(
                &db,
                &principal,
                Some(plusmarkt::domain::provider::WSD),
                period,
            )
            .await
            .expect("compute");
            items = bills.iter().map(|b| b.lines).sum();
            held = bills.iter().map(|b| b.held.len()).sum();
            written = 0;
            for b in &bills {
                totals.insert(b.municipality.code.clone(), b.totals().1.net.to_cents());
            }
        }
        "run" => {
            let principal = plusmarkt::auth::Principal::system("bench");
            let outcome = plusmarkt::services::invoicing::run(
                &db,
                &principal,
                Some(plusmarkt::domain::provider::WSD),
                period,
            )
            .await
            .expect("run");
            items = outcome.bills.iter().map(|b| b.lines).sum();
            held = outcome.bills.iter().map(|b| b.held.len()).sum();
            written = outcome.lines_created;
            for inv in &outcome.invoices {
                totals.insert(inv.municipality_code.clone(), inv.net.to_cents());
            }
        }
        "write_floor" => {
            let (n, copy_seconds) = write_floor(&db).await;
            timed = Some(copy_seconds);
            items = n;
            held = 0;
            written = n;
        }
        other => panic!("unknown measurement {other}"),
    }
    let seconds = timed.unwrap_or_else(|| started.elapsed().as_secs_f64());
    println!(
        "{}",
        json!({
            "kind": kind, "seconds": seconds, "items": items, "held": held, "written": written,
            "peak_kib": common::peak_kib(), "totals": totals,
            "by_kind": by_kind.iter().map(|(k, (t, c))| (k.clone(), json!({"total": t, "items": c}))).collect::<BTreeMap<_, _>>(),
        })
    );
}

fn measure(kind: &str, url: &str, period: Period) -> Value {
    let out = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--child",
            kind,
            "--url",
            url,
            "--period",
            &period.to_string(),
        ])
        .output()
        .expect("child");
    assert!(
        out.status.success(),
        "{kind} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().expect("child output");
    serde_json::from_str(line).expect("child json")
}

fn mismatches(a: &Value, b: &Value) -> Vec<String> {
    let (a, b) = (
        a["totals"].as_object().unwrap(),
        b["totals"].as_object().unwrap(),
    );
    let mut out = Vec::new();
    for key in a.keys().chain(b.keys()) {
        let (x, y) = (
            a.get(key).and_then(Value::as_i64).unwrap_or(0),
            b.get(key).and_then(Value::as_i64).unwrap_or(0),
        );
        if x != y
            && !out
                .iter()
                .any(|o: &String| o.starts_with(&format!("{key}:")))
        {
            out.push(format!("{key}: {x} vs {y}"));
        }
    }
    out
}

#[tokio::main]
async fn main() {
    let period =
        Period::parse(&arg("--period").unwrap_or_else(|| format!("{}-12", common::data_year())))
            .expect("--period YYYY-MM");
    if let Some(kind) = arg("--child") {
        child(&kind, &arg("--url").expect("--url"), period).await;
        return;
    }
    let backend = Backend::parse(&arg("--db").unwrap_or_else(|| "sqlite".into()));
    let scales: Vec<usize> = arg("--scale")
        .unwrap_or_else(|| "1".into())
        .split(',')
        .map(|s| s.parse().expect("--scale N[,N…]"))
        .collect();
    for scale in scales {
        let url = common::ensure_generated(backend, scale).await;
        let grand = |v: &Value| -> i64 {
            v["totals"]
                .as_object()
                .unwrap()
                .values()
                .filter_map(Value::as_i64)
                .sum()
        };
        println!(
            "invoice run {} scale {scale}, period {period}:",
            backend.name()
        );
        // Each figure is printed as soon as it is measured, so a slow run still leaves the others.
        let report = |name: &str, v: &Value, mismatch: &[String]| {
            let secs = v["seconds"].as_f64().unwrap();
            let items = v["items"].as_u64().unwrap();
            println!(
                "  {name:<9} {secs:>9.3} s  {items:>9} lines  {:>11.0} lines/s  peak {:>7.1} MiB  total {:.2} EUR  held {}",
                items as f64 / secs.max(1e-9),
                v["peak_kib"].as_f64().unwrap() / 1024.0,
                grand(v) as f64 / 100.0,
                v["held"],
            );
            if mismatch.is_empty() {
                println!(
                    "    totals match the floor per municipality ({})",
                    v["totals"].as_object().unwrap().len()
                );
            } else {
                println!("    MISMATCH with the floor: {mismatch:?}");
            }
            common::result(json!({
                "bench": "invoice_run", "db": backend.name(), "scale": scale, "period": period.to_string(),
                "kind": name, "seconds": v["seconds"], "items": v["items"], "held": v["held"],
                "written": v["written"], "peak_kib": v["peak_kib"], "total_cents": grand(v),
                "matches_floor": mismatch.is_empty(),
            }));
        };
        let floor = measure("floor", &url, period);
        report("floor", &floor, &[]);
        println!("    floor by kind: {}", floor["by_kind"]);
        let preview = measure("preview", &url, period);
        report("preview", &preview, &mismatches(&preview, &floor));
        let scratch = format!("{}_run", common::database_name(scale));
        let run_url = common::copy_of(backend, scale, &scratch).await;
        let run = measure("run", &run_url, period);
        report("run", &run, &mismatches(&run, &floor));
        let writes = measure("write_floor", &run_url, period);
        common::drop_database(backend, &scratch).await;
        println!(
            "  {:<9} {:>9.3} s  {:>9} lines copied with their claims (INSERT … SELECT into tables of the same indexes)",
            "writes",
            writes["seconds"].as_f64().unwrap(),
            writes["items"]
        );
        common::result(json!({
            "bench": "invoice_run", "db": backend.name(), "scale": scale, "period": period.to_string(),
            "kind": "write_floor", "seconds": writes["seconds"], "items": writes["items"], "held": 0,
            "written": writes["written"], "peak_kib": writes["peak_kib"], "total_cents": null,
            "matches_floor": null,
        }));
    }
}
