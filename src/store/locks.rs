//! Leases on named locks (the `locks` table): one holder at a time, for a limited time, so a
//! holder that crashed frees the lock by itself. The invoice run holds `invoice-run` across
//! its many short transactions (one per municipality) and renews it in each.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};

use super::db::placeholder;
use crate::error::{AppError, AppResult};

/// The invoice run's lock.
pub const INVOICE_RUN: &str = "invoice-run";

/// How long a lease lasts without renewal. A run renews it before each municipality (a
/// fraction of a second each at scale 100), so only a stalled or killed run lets it lapse.
pub const LEASE_SECS: i64 = 15;

/// Takes the lock for `holder` when it is free or its lease has lapsed; `Ok(false)` when
/// another holder has it. Commits on its own (`db` is not a transaction of the caller's).
pub async fn take<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let taken = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "UPDATE locks SET holder = $1, expires_at = $2 \
                 WHERE name = $3 AND (holder IS NULL OR expires_at IS NULL OR expires_at < $4)",
            ),
            [
                holder.into(),
                (now + Duration::seconds(LEASE_SECS)).into(),
                name.into(),
                now.into(),
            ],
        ))
        .await?
        .rows_affected();
    Ok(taken == 1)
}

/// Renews `holder`'s lease inside the caller's transaction. Fails with a conflict when the
/// lease lapsed and someone else took it: the caller's transaction must then write nothing.
pub async fn renew<C: ConnectionTrait>(
    txn: &C,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let backend = txn.get_database_backend();
    let renewed = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "UPDATE locks SET expires_at = $1 WHERE name = $2 AND holder = $3",
            ),
            [
                (now + Duration::seconds(LEASE_SECS)).into(),
                name.into(),
                holder.into(),
            ],
        ))
        .await?
        .rows_affected();
    if renewed == 1 {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "de factuurrun stond te lang stil en is gestopt; wat al geschreven was, staat als \
             concept klaar. Start de run opnieuw om de rest te factureren"
                .into(),
        ))
    }
}

/// Gives the lock back (a no-op when `holder` no longer has it).
pub async fn release<C: ConnectionTrait>(db: &C, name: &str, holder: &str) -> AppResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        placeholder(
            backend,
            "UPDATE locks SET holder = NULL, expires_at = NULL WHERE name = $1 AND holder = $2",
        ),
        [name.into(), holder.into()],
    ))
    .await?;
    Ok(())
}
