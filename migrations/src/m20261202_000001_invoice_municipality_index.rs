//! Invoices are looked up per municipality and period (the run's open draft, the live
//! claims a run subtracts). Without this index SQLite's planner started the claims query
//! from a scan of billing_claims, once per municipality: a run's time grew with
//! municipalities × claims (found by the benchmarks of issue 10).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_invoices_municipality_period")
                    .table("invoices")
                    .col("municipality_code")
                    .col("period")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_invoices_municipality_period")
                    .table("invoices")
                    .to_owned(),
            )
            .await
    }
}
