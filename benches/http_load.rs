//! HTTP under load from a separate client process (`wrk`) on loopback, against the real
//! server binary on a copy of the scale-1 SQLite database: `/health` (the ceiling), the
//! casemanager's product list, the offers (API and cafetaria page, 50 providers × 30
//! products), a trajectory page and order placement, at 1, 16 and 64
//! connections. Needs `wrk` on the PATH (`apt-get install -y wrk`).
//!
//! `cargo bench --bench http_load [-- --seconds 10] [--only products,order]`
//! (`--only` measures the named endpoints only, for trying a change; RESULTS.md wants all.)

mod common;

use std::process::Command;

use chrono::Utc;
use common::{arg, server, Backend};
use plusmarkt::entities::{contract, contract_line, contract_line_price};
use sea_orm::EntityTrait;
use serde_json::json;

use common::orders::MUNICIPALITY;

/// Milliseconds from wrk's "1.23ms", "456.00us", "1.02s".
fn ms(text: &str) -> f64 {
    let (n, f) = if let Some(v) = text.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = text.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = text.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (text, f64::NAN)
    };
    n.parse::<f64>().unwrap_or(f64::NAN) * f
}

struct Wrk {
    rps: f64,
    p50: f64,
    p99: f64,
    requests: u64,
    non_2xx: u64,
    errors: String,
}

fn wrk(
    url: &str,
    connections: usize,
    seconds: u64,
    token: &str,
    script: Option<&std::path::Path>,
    header: Option<&str>,
) -> Wrk {
    let mut c = Command::new("wrk");
    c.arg(format!("-t{}", connections.min(2)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"));
    if let Some(s) = script {
        c.arg("-s").arg(s);
    }
    if let Some(h) = header {
        c.arg("-H").arg(h);
    }
    let out = c.arg(url).output().expect("wrk (apt-get install -y wrk)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut r = Wrk {
        rps: 0.0,
        p50: f64::NAN,
        p99: f64::NAN,
        requests: 0,
        non_2xx: 0,
        errors: String::new(),
    };
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["Requests/sec:", v] => r.rps = v.parse().unwrap_or(0.0),
            ["50%", v] => r.p50 = ms(v),
            ["99%", v] => r.p99 = ms(v),
            [n, "requests", "in", ..] => r.requests = n.parse().unwrap_or(0),
            ["Non-2xx", "or", "3xx", "responses:", n] => r.non_2xx = n.parse().unwrap_or(0),
            ["Socket", "errors:", ..] => r.errors = line.trim().to_string(),
            _ => {}
        }
    }
    r
}

#[tokio::main]
async fn main() {
    let seconds: u64 = arg("--seconds")
        .map(|s| s.parse().expect("--seconds N"))
        .unwrap_or(10);
    let only: Option<Vec<String>> =
        arg("--only").map(|s| s.split(',').map(str::to_string).collect());
    which_wrk();
    common::ensure_generated(Backend::Sqlite, 1).await;
    let url = common::copy_of(Backend::Sqlite, 1, "http_s1").await;
    let common::orders::OrderSetup {
        token,
        client_id,
        product,
        trajectory_id,
        year,
        contracted,
        from,
        to,
        created,
    } = common::orders::prepare(&url).await;
    let db = plusmarkt::store::db::connect(&url).await.expect("connect");
    marketplace(&db, &contracted, from, to, created).await;
    db.close().await.ok();

    let script = common::data_dir().join("order.lua");
    let body = json!({"client_id": client_id, "buyer_reference": "BENCH-LOAD",
        "lines": [{"product_code": product, "start_date": format!("{year}-12-15")}]});
    std::fs::write(&script, format!(
        "wrk.method = \"POST\"\nwrk.body = [[{body}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
    )).unwrap();

    let srv = server::start(&url);
    let base = format!("http://127.0.0.1:{}", srv.port);
    // One check of each request before loading it.
    let check = ureq::post(&format!("{base}/api/v1/trajectories"))
        .set("Authorization", &format!("Bearer {token}"))
        .send_json(body.clone());
    match check {
        Ok(r) => println!("order check: {}", r.status()),
        Err(e) => panic!("order placement does not work: {e:?}"),
    }
    for path in [
        "/api/v1/products".to_string(),
        "/api/v1/offers".to_string(),
        "/cafetaria".to_string(),
        format!("/api/v1/trajectories/{trajectory_id}"),
    ] {
        let r = ureq::get(&format!("{base}{path}"))
            .set("Authorization", &format!("Bearer {token}"))
            .call()
            .expect("get");
        println!("check {path}: {}", r.status());
    }
    // (name, url, wrk script, extra request header)
    type Target<'a> = (
        &'a str,
        String,
        Option<&'a std::path::Path>,
        Option<&'a str>,
    );
    let targets: Vec<Target> = vec![
        ("health", format!("{base}/health"), None, None),
        ("products", format!("{base}/api/v1/products"), None, None),
        // The same list as browsers and most HTTP libraries ask for it: gzip-compressed.
        (
            "products_gzip",
            format!("{base}/api/v1/products"),
            None,
            Some("Accept-Encoding: gzip"),
        ),
        // The same list, one product per page: what the list costs apart from its size.
        (
            "products_1",
            format!("{base}/api/v1/products?limit=1"),
            None,
            None,
        ),
        // 50 providers × 30 products contracted by Boxtel, side by side.
        ("offers", format!("{base}/api/v1/offers"), None, None),
        ("offers_page", format!("{base}/cafetaria"), None, None),
        (
            "trajectory",
            format!("{base}/api/v1/trajectories/{trajectory_id}"),
            None,
            None,
        ),
        (
            "order",
            format!("{base}/api/v1/trajectories"),
            Some(script.as_path()),
            None,
        ),
    ];
    println!(
        "HTTP on loopback, wrk {seconds} s per row, server on scale-1 SQLite ({} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "  {:<13} {:>5} {:>10} {:>9} {:>9} {:>9} {:>7}",
        "endpoint", "conns", "req/s", "p50 ms", "p99 ms", "requests", "non-2xx"
    );
    for (name, target, script, header) in &targets {
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == name)) {
            continue;
        }
        for connections in [1usize, 16, 64] {
            let r = wrk(target, connections, seconds, &token, *script, *header);
            println!(
                "  {name:<13} {connections:>5} {:>10.0} {:>9.2} {:>9.2} {:>9} {:>7} {}",
                r.rps, r.p50, r.p99, r.requests, r.non_2xx, r.errors
            );
            common::result(
                json!({"bench": "http", "db": "sqlite", "endpoint": name, "connections": connections,
                "rps": r.rps, "p50_ms": r.p50, "p99_ms": r.p99, "requests": r.requests, "non_2xx": r.non_2xx, "errors": r.errors, "seconds": seconds}),
            );
        }
    }
    drop(srv);
    common::drop_database(Backend::Sqlite, "http_s1").await;
    let _ = std::fs::remove_file(script);
    let _ = std::fs::remove_dir_all(common::data_dir().join("mail"));
}

/// Providers on the marketplace besides WSD, and products per provider, all contracted by
/// the benchmark's municipality for the year.
const PROVIDERS: usize = 50;
const PRODUCTS_PER_PROVIDER: usize = 30;

/// 50 providers with 30 products each (copies of `like`), each provider under its own
/// contract with the municipality for the year.
async fn marketplace(
    db: &sea_orm::DatabaseConnection,
    like: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    created: chrono::DateTime<Utc>,
) {
    use plusmarkt::entities::{product, provider};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    let template = plusmarkt::store::catalogue::get(db, like)
        .await
        .expect("read product")
        .expect("product");
    for p in 0..PROVIDERS {
        let code = format!("BP{p:02}");
        provider::Entity::insert(provider::ActiveModel::from(provider::Model {
            code: code.clone(),
            name: format!("Benchaanbieder {p:02} B.V."),
            kvk: format!("9{p:07}"),
            vat_number: format!("NL9{p:08}B01"),
            peppol_scheme: "0106".into(),
            peppol_id: format!("9{p:07}"),
            iban: "NL91ABNA0417164300".into(),
            intake_email: format!("intake@bp{p:02}.example"),
            invoice_email: format!("facturen@bp{p:02}.example"),
            street: "Markt 1".into(),
            postcode: "5281 AA".into(),
            city: "Boxtel".into(),
            status: plusmarkt::domain::provider::ProviderStatus::Active,
            demo_identifiers: true,
            created_at: created,
            updated_at: created,
        }))
        .exec_without_returning(db)
        .await
        .expect("provider");
        let contract_id = uuid::Uuid::new_v4().to_string();
        contract::Entity::insert(contract::ActiveModel::from(contract::Model {
            id: contract_id.clone(),
            municipality_code: MUNICIPALITY.into(),
            name: format!("Bench {code}"),
            valid_from: from,
            valid_to: to,
            status: plusmarkt::domain::contract::ContractStatus::Active,
            budget_ceiling_cents: None,
            version: 1,
            lock_seq: 0,
            created_at: created,
            activated_at: Some(created),
            provider_code: code.clone(),
            settlement: plusmarkt::domain::settlement::SettlementForm::ProductPrice,
            guaranteed_amount_cents: None,
            budget_amount_cents: None,
            advance_schedule: None,
            refund_unused: false,
        }))
        .exec_without_returning(db)
        .await
        .expect("contract");
        for n in 0..PRODUCTS_PER_PROVIDER {
            let mut spec = template.spec.clone();
            let product_code = format!("{code}-X{n:02}");
            spec.code = plusmarkt::domain::ids::ProductCode::parse(&product_code).expect("code");
            spec.name = format!("{} {n:02} van {code}", spec.name);
            plusmarkt::store::catalogue::save_product(db, &spec, None)
                .await
                .expect("product");
            let id = uuid::Uuid::new_v4().to_string();
            contract_line::Entity::insert(contract_line::ActiveModel::from(contract_line::Model {
                id: id.clone(),
                contract_id: contract_id.clone(),
                product_code,
                volume_cap_thousandths: None,
                valid_from: from,
                valid_to: to,
                created_at: created,
            }))
            .exec_without_returning(db)
            .await
            .expect("line");
            contract_line_price::Entity::insert(contract_line_price::ActiveModel::from(
                contract_line_price::Model {
                    contract_line_id: id,
                    effective_from: from,
                    price_cents: 10_000 + (p * 37 + n * 11) as i64,
                    created_at: created,
                    created_by: "bench".into(),
                },
            ))
            .exec_without_returning(db)
            .await
            .expect("price");
        }
        product::Entity::update_many()
            .col_expr(product::Column::ProviderCode, Expr::value(code.clone()))
            .col_expr(
                product::Column::ServiceCode,
                Expr::value(format!("dienst-{}", p % 12)),
            )
            .filter(product::Column::Code.starts_with(format!("{code}-")))
            .exec(db)
            .await
            .expect("provider of products");
    }
}

fn which_wrk() {
    let ok = Command::new("wrk").arg("--version").output().is_ok();
    assert!(ok, "wrk is not installed: apt-get install -y wrk");
}
