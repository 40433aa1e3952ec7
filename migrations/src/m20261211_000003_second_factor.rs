//! The second factor (issue 24): a user's TOTP secret (encrypted with the vault key, never in
//! clear), when it was switched on (null: not yet, or an enrolment not finished), and the
//! last time step a code was accepted for (a code is accepted once: the step only moves
//! forward). The recovery codes, ten per user, stored as hashes, each used at most once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER (SQLite).
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(text_null("totp_secret"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(timestamp_with_time_zone_null("totp_enabled_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(big_integer_null("totp_last_step"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("recovery_codes")
                    .col(string("id").primary_key())
                    .col(string("user_id"))
                    .col(string("code_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("recovery_codes", "user_id")
                            .to("users", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_codes_user_hash")
                    .table("recovery_codes")
                    .col("user_id")
                    .col("code_hash")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("recovery_codes").to_owned())
            .await?;
        for column in ["totp_last_step", "totp_enabled_at", "totp_secret"] {
            manager
                .alter_table(Table::alter().table("users").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
