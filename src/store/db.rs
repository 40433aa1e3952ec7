//! Connecting, migrating, and starting write transactions the same way on both back ends.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex as StdMutex, Weak};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, RuntimeErr, SqliteTransactionMode, SqlxSqliteConnector,
    Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

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
/// (BEGIN IMMEDIATE), so two writers never both read and then deadlock on upgrading,
/// after waiting its turn in this process's queue of writers to the file (see
/// [`write_queue`]), on the pool's own writer connection (see [`writer_of`]); on
/// PostgreSQL it is an ordinary READ COMMITTED transaction and rows are locked by
/// `UPDATE` where a decision depends on them.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(WriteTxn {
            txn: db.begin().await?,
            _turn: None,
        });
    }
    let Some(queue) = write_queue(db) else {
        return Ok(WriteTxn {
            txn: begin_immediate(db).await?,
            _turn: None,
        });
    };
    // The turn is taken before the writer connection, so queued writers hold no
    // connection while they wait.
    let turn = queue.lock_owned().await;
    let writer = writer_of(db).await?;
    Ok(WriteTxn {
        txn: begin_immediate(&writer).await?,
        _turn: Some(turn),
    })
}

async fn begin_immediate(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The writer's page cache, in KiB (SQLite's default is 2,000 KiB). A month-end run inserts
/// each municipality's lines and claims at places spread over indexes of millions of
/// entries (the claims' billable keys); with the default cache most of those pages were read
/// again and dirty ones spilled to the WAL before the commit (benches/ANALYSIS.md,
/// thirteenth session). Taken only as pages are used, and only by the one writer.
const WRITER_CACHE_KIB: u32 = 65_536;

/// The connection this pool writes through on SQLite: one, kept open for the life of the
/// pool and used only inside a writer's turn.
///
/// Why: SQLite empties a connection's page cache whenever another connection has written
/// since its last transaction. With writes spread over the pool's connections, every
/// write began with a cold cache and read its pages again (~95 page reads per order).
/// Readers do not empty the writer's cache, so its pages stay warm between writes.
/// Same options as the pool (foreign keys, busy timeout, WAL, synchronous FULL).
async fn writer_of(db: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    type Writers = HashMap<usize, (Weak<SqliteConnectOptions>, DatabaseConnection)>;
    static WRITERS: LazyLock<StdMutex<Writers>> = LazyLock::new(Default::default);
    let options = db.get_sqlite_connection_pool().connect_options();
    // Keyed by the pool's options, which live exactly as long as the pool; an entry
    // whose pool is gone is dropped, so a later pool at the same address gets its own.
    let key = Arc::as_ptr(&options) as usize;
    let lock = || {
        WRITERS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if let Some((owner, writer)) = lock().get(&key) {
        if owner.upgrade().is_some_and(|o| Arc::ptr_eq(&o, &options)) {
            return Ok(writer.clone());
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        // A local file's connection does not go stale; no ping before each write.
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(60))
        .connect_with(
            (*options)
                .clone()
                .pragma("cache_size", format!("-{WRITER_CACHE_KIB}")),
        )
        .await
        .map_err(|e| DbErr::Conn(RuntimeErr::Internal(format!("schrijfverbinding: {e}"))))?;
    let writer = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let mut writers = lock();
    writers.retain(|_, (owner, _)| owner.strong_count() > 0);
    writers.insert(key, (Arc::downgrade(&options), writer.clone()));
    Ok(writer)
}

/// The queue of this process's writers to one SQLite file, or none when the pool has a
/// single connection (an in-memory database), which queues writers by itself.
///
/// Why: SQLite has one write lock per file. Without the queue every writer races for
/// it and the losers wait in SQLite's busy handler, which sleeps in growing steps (up to
/// 100 ms a try) rather than being woken when the lock is free: at 16 concurrent orders
/// the unlucky ones waited near a second. Tokio's mutex is fair (first come, first
/// served) and wakes the next writer at once. The busy timeout still covers writers in
/// other processes (a second server on the same file, the command line) and writes
/// that do not go through `begin_write`.
fn write_queue(db: &DatabaseConnection) -> Option<Arc<Mutex<()>>> {
    static QUEUES: LazyLock<StdMutex<HashMap<PathBuf, Arc<Mutex<()>>>>> =
        LazyLock::new(Default::default);
    let pool = db.get_sqlite_connection_pool();
    if pool.options().get_max_connections() <= 1 {
        return None;
    }
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut queues = QUEUES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(queues.entry(file).or_default().clone())
}

/// A transaction begun by [`begin_write`]: use it like a `DatabaseTransaction`. On SQLite
/// it holds the writer's turn until it commits, rolls back or is dropped.
pub struct WriteTxn {
    // Declared before the turn: a transaction dropped without commit starts its rollback
    // before the next writer is let in.
    txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[rocket::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Stored vocabulary words as an SQL literal list, `('a', 'b')`, so raw SQL takes its
/// statuses and kinds from the domain enums (`as_str()`). Only for those fixed words, never
/// for input.
pub fn sql_words(words: impl IntoIterator<Item = &'static str>) -> String {
    let quoted: Vec<String> = words.into_iter().map(|w| format!("'{w}'")).collect();
    format!("({})", quoted.join(", "))
}

/// `('final', 'sent', 'paid')`: the invoices and credit notes that count as invoiced
/// (`domain::commitment::invoiced`).
pub fn final_invoice_statuses() -> String {
    sql_words(crate::domain::commitment::invoiced_statuses())
}

/// `('rejected', 'cancelled')`: order lines that no longer count against caps and budgets
/// (`domain::commitment::counts`).
pub fn released_line_statuses() -> String {
    sql_words(crate::domain::commitment::released_statuses())
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
