//! API tokens you can manage (issue 24): an optional expiry, when the token was last used
//! (written at most once a minute per token, see `store::tokens::owner_of`) and when it was
//! revoked. All nullable: existing tokens never expire and were never seen in use.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 3] = ["expires_at", "last_used_at", "revoked_at"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One change per ALTER (SQLite).
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("api_tokens")
                        .add_column(timestamp_with_time_zone_null(column))
                        .to_owned(),
                )
                .await?;
        }
        // The token list of one user (the account page, the admin's user page).
        manager
            .create_index(
                Index::create()
                    .name("idx_api_tokens_user")
                    .table("api_tokens")
                    .col("user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_api_tokens_user")
                    .table("api_tokens")
                    .to_owned(),
            )
            .await?;
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("api_tokens")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
