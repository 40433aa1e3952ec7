//! The provider's index on trajectories and on invoices, widened by the municipality (and
//! the period) (issue 25). The invoice run and its preview read, per municipality, one
//! provider's trajectories and invoices (`services::invoicing`). With only
//! `(provider_code)` and `(municipality_code, …)` to choose from, SQLite without statistics
//! (a fresh installation never has any) takes the provider's index, which at WSD holds every
//! row: each municipality then read every trajectory, and every line of every invoice written
//! so far in the run, and the run grew with the square of the data (scale 100: preview 341 s,
//! run 478 s; benches/ANALYSIS.md). `(provider_code, municipality_code[, period])` serves
//! both the provider's own lists (its prefix) and the per-municipality reads, so it replaces
//! the provider's index instead of adding one more to every order's write.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, old index, new index, new index's columns)
const INDEXES: [(&str, &str, &str, &[&str]); 2] = [
    (
        "trajectories",
        "idx_trajectories_provider",
        "idx_trajectories_provider_municipality",
        &["provider_code", "municipality_code"],
    ),
    (
        "invoices",
        "idx_invoices_provider",
        "idx_invoices_provider_municipality_period",
        &["provider_code", "municipality_code", "period"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, old, new, columns) in INDEXES {
            let mut index = Index::create();
            index.name(new).table(table);
            for c in columns {
                index.col(*c);
            }
            manager.create_index(index.to_owned()).await?;
            manager
                .drop_index(Index::drop().name(old).table(table).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, old, new, _) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(old)
                        .table(table)
                        .col("provider_code")
                        .to_owned(),
                )
                .await?;
            manager
                .drop_index(Index::drop().name(new).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
