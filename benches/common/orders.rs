//! A municipality (Boxtel) that can order this year on a generated bench database: a contract
//! for the year with every product of the catalogue, a casemanager and their API token, made
//! directly in the database and through the command line. Used by the HTTP and the
//! orders-during-a-run benchmarks.

use std::io::Write;
use std::process::Stdio;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use plusmarkt::entities::{contract, contract_line, contract_line_price};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};

pub const CASEMANAGER: &str = "bench-casemanager@boxtel.example";
pub const MUNICIPALITY: &str = "GM0757";

pub struct OrderSetup {
    /// The casemanager's API token.
    pub token: String,
    /// A client of the municipality.
    pub client_id: String,
    /// A product sold per trajectory.
    pub product: String,
    /// A trajectory of the municipality.
    pub trajectory_id: String,
    /// This year (the generated data is last year's).
    pub year: i32,
    /// The first product of the catalogue (under the contract).
    pub contracted: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub created: DateTime<Utc>,
}

/// Adds a user through the command line (the password on standard input) and returns an API
/// token for them.
pub fn user_with_token(url: &str, email: &str, role: &str, scope: &[&str]) -> String {
    let mut args = vec![
        "user", "add", "--email", email, "--role", role, "--name", "Bench",
    ];
    args.extend_from_slice(scope);
    let mut add = super::server::cli(url)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user add");
    add.stdin
        .take()
        .unwrap()
        .write_all(b"bench-password-2026-long\n")
        .unwrap();
    assert!(add.wait().unwrap().success(), "user add failed");
    let out = super::server::cli(url)
        .args(["token", "add", "--email", email, "--label", "bench"])
        .output()
        .expect("token add");
    assert!(
        out.status.success(),
        "token add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("token")
        .trim()
        .to_string()
}

/// Prepares the database at `url` for ordering this year (see the module).
pub async fn prepare(url: &str) -> OrderSetup {
    let url = url.to_string();
    let db = plusmarkt::store::db::connect(&url).await.expect("connect");
    // The data is last year's; orders are placed for this year, under a contract of this year.
    let year = chrono::Local::now().date_naive().year();
    let from = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
    let created = Utc.with_ymd_and_hms(year, 1, 1, 8, 0, 0).unwrap();
    let contract_id = uuid::Uuid::new_v4().to_string();
    contract::Entity::insert(contract::ActiveModel::from(contract::Model {
        id: contract_id.clone(),
        municipality_code: MUNICIPALITY.into(),
        name: format!("Bench {year}"),
        valid_from: from,
        valid_to: to,
        status: plusmarkt::domain::contract::ContractStatus::Active,
        budget_ceiling_cents: None,
        version: 1,
        lock_seq: 0,
        created_at: created,
        activated_at: Some(created),
        provider_code: plusmarkt::domain::provider::WSD.to_string(),
        settlement: plusmarkt::domain::settlement::SettlementForm::ProductPrice,
        guaranteed_amount_cents: None,
        budget_amount_cents: None,
        advance_schedule: None,
        refund_unused: false,
    }))
    .exec_without_returning(&db)
    .await
    .expect("contract");
    let products = super::generator::products(&db, year).await;
    for p in &products {
        let id = uuid::Uuid::new_v4().to_string();
        contract_line::Entity::insert(contract_line::ActiveModel::from(contract_line::Model {
            id: id.clone(),
            contract_id: contract_id.clone(),
            product_code: p.code.clone(),
            volume_cap_thousandths: None,
            valid_from: from,
            valid_to: to,
            created_at: created,
        }))
        .exec_without_returning(&db)
        .await
        .expect("line");
        contract_line_price::Entity::insert(contract_line_price::ActiveModel::from(
            contract_line_price::Model {
                contract_line_id: id,
                effective_from: from,
                price_cents: p.price_cents,
                created_at: created,
                created_by: "bench".into(),
            },
        ))
        .exec_without_returning(&db)
        .await
        .expect("price");
    }
    let product = products
        .iter()
        .find(|p| p.unit == "traject")
        .expect("a traject product")
        .code
        .clone();
    let backend = db.get_database_backend();
    let first = |sql: &str| {
        let db = db.clone();
        let sql = sql.to_string();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0).unwrap()
        }
    };
    let trajectory_id = first(&format!("SELECT id FROM trajectories WHERE municipality_code = '{MUNICIPALITY}' ORDER BY number LIMIT 1")).await;
    let client_id = first(&format!(
        "SELECT id FROM clients WHERE municipality_code = '{MUNICIPALITY}' ORDER BY id LIMIT 1"
    ))
    .await;
    db.close().await.ok();

    let token = user_with_token(
        &url,
        CASEMANAGER,
        "casemanager",
        &["--municipality", MUNICIPALITY],
    );
    OrderSetup {
        token,
        client_id,
        product,
        trajectory_id,
        year,
        contracted: products[0].code.clone(),
        from,
        to,
        created,
    }
}
