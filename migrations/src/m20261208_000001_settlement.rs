//! Settlement arrangements (issue 23): a contract settles on product price (as before), on a
//! volume guarantee with a true-up, or on a budget paid in advances. Invoice lines get their
//! kind and, for the settlement lines, the terms they were computed under; a budget keeps a
//! ledger whose sum is its balance.
//!
//! Existing contracts settle on product price and every existing line is a delivery (the
//! column defaults).

use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "ALTER TABLE contracts ADD COLUMN settlement VARCHAR NOT NULL DEFAULT 'product_price'",
            "ALTER TABLE contracts ADD COLUMN guaranteed_amount_cents BIGINT NULL",
            "ALTER TABLE contracts ADD COLUMN budget_amount_cents BIGINT NULL",
            "ALTER TABLE contracts ADD COLUMN advance_schedule VARCHAR NULL",
            "ALTER TABLE contracts ADD COLUMN refund_unused BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE invoice_lines ADD COLUMN kind VARCHAR NOT NULL DEFAULT 'delivery'",
            "ALTER TABLE invoice_lines ADD COLUMN settlement_terms TEXT NULL",
        ] {
            db.execute_unprepared(sql).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("budget_ledger")
                    .col(string("id").primary_key())
                    .col(string("contract_id"))
                    .col(string("kind"))
                    .col(big_integer("amount_cents"))
                    .col(string("period"))
                    .col(string_null("invoice_line_id"))
                    .col(string_null("reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string("created_by"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_budget_ledger_contract")
                    .table("budget_ledger")
                    .col("contract_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_budget_ledger_invoice_line")
                    .table("budget_ledger")
                    .col("invoice_line_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("budget_ledger").to_owned())
            .await?;
        let db = manager.get_connection();
        for (table, column) in [
            ("contracts", "settlement"),
            ("contracts", "guaranteed_amount_cents"),
            ("contracts", "budget_amount_cents"),
            ("contracts", "advance_schedule"),
            ("contracts", "refund_unused"),
            ("invoice_lines", "kind"),
            ("invoice_lines", "settlement_terms"),
        ] {
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}
