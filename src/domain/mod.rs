//! Pure rules, no I/O: money, quantities, BSN, periods, VAT, pricing, billing, codes, roles.

pub mod billing;
pub mod bsn;
pub mod catalogue;
pub mod clock;
pub mod commitment;
pub mod contract;
pub mod email;
pub mod ids;
pub mod input;
pub mod invoice;
pub mod money;
pub mod offers;
pub mod outbox;
pub mod period;
pub mod pricing;
pub mod principal;
pub mod provider;
pub mod quantity;
pub mod reports;
pub mod role;
pub mod second_factor;
pub mod settlement;
pub mod trajectory;
pub mod vat;
