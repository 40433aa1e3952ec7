//! Queries and transactions. Functions that read business data take the `Principal` and
//! scope by it here, in one place, so handlers cannot forget it.

pub mod audit;
pub mod backup;
pub mod catalogue;
pub mod clients;
pub mod contracts;
pub mod counters;
pub mod db;
pub mod idempotency;
pub mod identities;
pub mod invoices;
pub mod locks;
pub mod municipalities;
pub mod offers;
pub mod password_resets;
pub mod providers;
pub mod reports;
pub mod scope;
pub mod second_factor;
pub mod sessions;
pub mod settlement;
pub mod tokens;
pub mod trajectories;
pub mod users;

/// The instant stamped on records (the system clock; see [`crate::domain::clock`]).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    crate::domain::clock::Clock::system().now()
}

/// A new record id: a UUID v7, time-ordered with 74 random bits. Time order keeps
/// inserts at the right edge of the primary-key index instead of at random pages, which
/// is what made the invoice run's writes slow down as the tables grew (benches/ANALYSIS.md).
/// Ids are not secrets: access is checked on every read.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
