//! sea-orm entities, one file per table, nothing else. Entities never double as form or
//! JSON input.

pub mod api_token;
pub mod audit_event;
pub mod billing_claim;
pub mod client;
pub mod contract;
pub mod contract_line;
pub mod contract_line_price;
pub mod cost_scenario;
pub mod delivery;
pub mod idempotency_key;
pub mod invoice;
pub mod invoice_line;
pub mod invoice_run;
pub mod line_event;
pub mod municipality;
pub mod outbox;
pub mod price_version;
pub mod product;
pub mod product_milestone;
pub mod product_target_group;
pub mod session;
pub mod target_group;
pub mod trajectory;
pub mod trajectory_line;
pub mod user;
