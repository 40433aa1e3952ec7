//! A generation number for what the product list shows: products with their target
//! groups, milestones and list prices, and contracts with their lines and price
//! amendments. Triggers bump it in the same transaction as any change to those tables,
//! whoever makes it (this server, a second server on the same database, the command
//! line, a hand-written statement), so a server may keep the product list in memory and
//! read only this number per request (`services::catalogue_cache`).
//!
//! Updates of `contracts` count only for the columns a price depends on: every order
//! updates its contract's `lock_seq`, and that must not empty the caches.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose every change counts.
const TABLES: [&str; 6] = [
    "products",
    "product_target_groups",
    "product_milestones",
    "price_versions",
    "contract_lines",
    "contract_line_prices",
];

/// The columns of `contracts` that decide a price.
const CONTRACT_COLUMNS: &str = "municipality_code, valid_from, valid_to, status";

const BUMP: &str = "UPDATE catalogue_generation SET value = value + 1 WHERE id = 1";

fn sqlite_up() -> Vec<String> {
    let mut statements = Vec::new();
    let mut trigger = |name: String, event: String, table: &str| {
        statements.push(format!(
            "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {BUMP}; END"
        ));
    };
    for table in TABLES {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            let name = format!("catalogue_generation_{table}_{}", event.to_lowercase());
            trigger(name, event.to_string(), table);
        }
    }
    trigger(
        "catalogue_generation_contracts_insert".into(),
        "INSERT".into(),
        "contracts",
    );
    trigger(
        "catalogue_generation_contracts_delete".into(),
        "DELETE".into(),
        "contracts",
    );
    trigger(
        "catalogue_generation_contracts_update".into(),
        format!("UPDATE OF {CONTRACT_COLUMNS}"),
        "contracts",
    );
    statements
}

fn sqlite_down() -> Vec<String> {
    let mut names: Vec<String> = TABLES
        .iter()
        .flat_map(|t| {
            ["insert", "update", "delete"].map(|e| format!("catalogue_generation_{t}_{e}"))
        })
        .collect();
    names.extend(
        ["insert", "delete", "update"].map(|e| format!("catalogue_generation_contracts_{e}")),
    );
    names
        .into_iter()
        .map(|n| format!("DROP TRIGGER IF EXISTS {n}"))
        .collect()
}

fn postgres_up() -> Vec<String> {
    let mut statements = vec![format!(
        "CREATE FUNCTION bump_catalogue_generation() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN {BUMP}; RETURN NULL; END $$"
    )];
    let mut trigger = |table: &str, events: String| {
        statements.push(format!(
            "CREATE TRIGGER catalogue_generation_{table} AFTER {events} ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation()"
        ));
    };
    for table in TABLES {
        trigger(table, "INSERT OR UPDATE OR DELETE OR TRUNCATE".into());
    }
    trigger(
        "contracts",
        format!("INSERT OR DELETE OR TRUNCATE OR UPDATE OF {CONTRACT_COLUMNS}"),
    );
    statements
}

fn postgres_down() -> Vec<String> {
    let mut statements: Vec<String> = TABLES
        .iter()
        .chain(["contracts"].iter())
        .map(|t| format!("DROP TRIGGER IF EXISTS catalogue_generation_{t} ON {t}"))
        .collect();
    statements.push("DROP FUNCTION IF EXISTS bump_catalogue_generation()".into());
    statements
}

async fn run(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("catalogue_generation")
                    .col(integer("id").primary_key())
                    .col(big_integer("value"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("catalogue_generation")
                    .columns(["id", "value"])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, postgres_up()).await,
            _ => run(manager, sqlite_up()).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, postgres_down()).await?,
            _ => run(manager, sqlite_down()).await?,
        }
        manager
            .drop_table(Table::drop().table("catalogue_generation").to_owned())
            .await
    }
}
