//! Gapless counters, taken inside the caller's transaction: the row is created if
//! missing and then incremented, which locks it until the transaction ends, so numbers
//! are consecutive and a rolled-back transaction gives its number back.

use sea_orm::{ConnectionTrait, Statement};

use super::db::placeholder;
use crate::error::{AppError, AppResult};

pub async fn next<C: ConnectionTrait>(txn: &C, name: &str) -> AppResult<i64> {
    let backend = txn.get_database_backend();
    // One statement: on SQLite every statement in the write turn delays the next writer.
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "INSERT INTO counters (name, value) VALUES ($1, 1) \
                 ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
            ),
            [name.into()],
        ))
        .await?
        .ok_or_else(|| AppError::Internal(format!("teller {name} ontbreekt")))?;
    Ok(row.try_get("", "value")?)
}

/// The current value without taking one.
pub async fn peek<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholder(backend, "SELECT value FROM counters WHERE name = $1"),
            [name.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "value")?,
        None => 0,
    })
}
