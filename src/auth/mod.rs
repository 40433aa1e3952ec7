//! Who is asking: users, sessions, API tokens, roles, and the request guards built on them.

pub mod csrf;
pub mod guards;
pub mod pending;
pub mod ratelimit;

pub use crate::domain::principal::Principal;
pub use guards::{
    Admin, AuditReader, Casemanager, ContractReader, CurrentUser, Finance, FinanceReader,
    InsightReader, Pricing, ProductCreator, ProviderStaff, SeenGeneration,
};
