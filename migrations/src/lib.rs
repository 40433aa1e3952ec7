//! The one migration set for SQLite and PostgreSQL.
//!
//! Rules that keep both back ends on one set: enums are stored as strings (no native
//! PostgreSQL enums), money as BIGINT cents, quantities as BIGINT thousandths, and every
//! SQLite-sensitive change gets its own ALTER.

pub use sea_orm_migration::prelude::*;

mod m20261130_000001_foundation;
mod m20261130_000002_catalogue;
mod m20261130_000003_contracts;
mod m20261130_000004_ordering;
mod m20261130_000005_registrations;
mod m20261130_000006_invoicing;
mod m20261201_000001_cost_scenarios;
mod m20261201_000002_trajectory_line_index;
mod m20261201_000003_catalogue_generation;
mod m20261202_000001_invoice_municipality_index;
mod m20261203_000001_invoice_line_indexes;
mod m20261207_000001_providers;
mod m20261208_000001_settlement;
mod m20261209_000002_credit_dispositions;
mod m20261209_000026_password_resets;
mod m20261210_000001_token_lifecycle;
mod m20261211_000001_session_activity;
mod m20261211_000002_user_identities;
mod m20261211_000003_second_factor;
mod m20261212_000001_provider_municipality_indexes;
pub use m20261130_000001_foundation::GENESIS;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_foundation::Migration),
            Box::new(m20261130_000002_catalogue::Migration),
            Box::new(m20261130_000003_contracts::Migration),
            Box::new(m20261130_000004_ordering::Migration),
            Box::new(m20261130_000005_registrations::Migration),
            Box::new(m20261130_000006_invoicing::Migration),
            Box::new(m20261201_000001_cost_scenarios::Migration),
            Box::new(m20261201_000002_trajectory_line_index::Migration),
            Box::new(m20261201_000003_catalogue_generation::Migration),
            Box::new(m20261202_000001_invoice_municipality_index::Migration),
            Box::new(m20261203_000001_invoice_line_indexes::Migration),
            Box::new(m20261207_000001_providers::Migration),
            Box::new(m20261208_000001_settlement::Migration),
            Box::new(m20261209_000002_credit_dispositions::Migration),
            Box::new(m20261209_000026_password_resets::Migration),
            Box::new(m20261210_000001_token_lifecycle::Migration),
            Box::new(m20261211_000001_session_activity::Migration),
            Box::new(m20261211_000002_user_identities::Migration),
            Box::new(m20261211_000003_second_factor::Migration),
            Box::new(m20261212_000001_provider_municipality_indexes::Migration),
        ]
    }
}
