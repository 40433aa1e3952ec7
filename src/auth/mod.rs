//! Who is asking: users, sessions, API tokens, roles, and the request guards built on them.

pub mod bsn_vault;
pub mod csrf;
pub mod guards;
pub mod password;
pub mod principal;
pub mod ratelimit;
pub mod secret;

pub use guards::{
    Admin, AuditReader, Casemanager, ContractReader, CurrentUser, Finance, FinanceReader,
    InsightReader, Pricing, SeenGeneration, WsdStaff,
};
pub use principal::Principal;
