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
pub mod invoices;
pub mod municipalities;
pub mod reports;
pub mod sessions;
pub mod tokens;
pub mod trajectories;
pub mod users;

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
