//! Connecting, migrating, and starting write transactions the same way on both back ends.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Opens the database. SQLite gets WAL, foreign keys and a generous busy timeout, so
/// writers queue instead of failing; an in-memory database gets a single connection
/// (each connection would otherwise see its own empty database).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options.sqlx_logging(false);
    if url.starts_with("sqlite") {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        options
            .max_connections(if in_memory { 1 } else { 8 })
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .map_sqlx_sqlite_opts(move |opts| {
                let opts = opts
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30));
                if in_memory {
                    opts
                } else {
                    opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                }
            });
        if in_memory {
            // Keep the one connection (and so the database) for the life of the pool.
            options
                .idle_timeout(None::<Duration>)
                .max_lifetime(None::<Duration>);
        }
    } else {
        options
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30));
    }
    Database::connect(options).await
}

/// Applies pending migrations. A failure names the migration and stops the caller.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), String> {
    Migrator::up(db, None)
        .await
        .map_err(|e| format!("migratie mislukt: {e}"))
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (BEGIN IMMEDIATE), so two writers never both read and then deadlock on upgrading;
/// on PostgreSQL it is an ordinary READ COMMITTED transaction and rows are locked by
/// `UPDATE` where a decision depends on them.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        db.begin().await
    }
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Writes `$1`-style placeholders for PostgreSQL and `?` for SQLite.
pub fn placeholder(backend: DbBackend, sql: &str) -> String {
    match backend {
        DbBackend::Postgres => sql.to_string(),
        _ => {
            let mut out = String::with_capacity(sql.len());
            let mut chars = sql.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                        chars.next();
                    }
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}
