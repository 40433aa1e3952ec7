//! Invoice lines are read by contract (the budget a contract has invoiced, on every
//! contract view), which scanned the whole table; nothing reads them by trajectory line,
//! yet that index took a random-page insert for every line an invoice run writes (found
//! by the benchmarks of issue 10). So the one index replaces the other.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_invoice_lines_trajectory_line")
                    .table("invoice_lines")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoice_lines_contract")
                    .table("invoice_lines")
                    .col("contract_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_invoice_lines_contract")
                    .table("invoice_lines")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoice_lines_trajectory_line")
                    .table("invoice_lines")
                    .col("trajectory_line_id")
                    .to_owned(),
            )
            .await
    }
}
