//! Credits with a disposition (issue 26): each credit-note line that reverses a delivery
//! line says what happens to the work behind it: `rebill` (the next run bills it again as
//! registered then), `waive` (never billed again, held with the credit's reason) or
//! `withdraw` (the registrations were corrected to nothing). The credited line's credit
//! note and disposition are read through `credits_line_id`; existing credits were all
//! rebilled, which is what they did.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "ALTER TABLE invoice_lines ADD COLUMN disposition VARCHAR NULL",
            "UPDATE invoice_lines SET disposition = 'rebill' \
             WHERE credits_line_id IS NOT NULL AND kind = 'delivery'",
        ] {
            db.execute_unprepared(sql).await?;
        }
        // Run after run reads the waived items of a municipality through the credit-note
        // lines that reverse a line.
        manager
            .create_index(
                Index::create()
                    .name("idx_invoice_lines_credits_line")
                    .table("invoice_lines")
                    .col("credits_line_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_invoice_lines_credits_line")
                    .table("invoice_lines")
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE invoice_lines DROP COLUMN disposition")
            .await?;
        Ok(())
    }
}
