//! sea-orm entities, one file per table, nothing else. Entities never double as form or
//! JSON input.

pub mod api_token;
pub mod audit_event;
pub mod idempotency_key;
pub mod municipality;
pub mod outbox;
pub mod session;
pub mod user;
