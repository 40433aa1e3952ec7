//! Use cases: each opens its transaction, applies the domain rules, writes and audits.

pub mod catalogue;
pub mod contracts;
pub mod cost_scenarios;
pub mod demo;
pub mod demo_history;
pub mod idempotency;
pub mod integrity;
pub mod invoice_documents;
pub mod invoicing;
pub mod ordering;
pub mod providers;
pub mod registration;
pub mod second_factor;
pub mod sessions;
pub mod settlement;
pub mod sign_on;
pub mod users;
