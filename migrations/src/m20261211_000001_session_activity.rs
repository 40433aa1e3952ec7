//! Sessions that end when left alone (issue 24): when the session was last seen, so that it
//! ends after 30 minutes without a request (and after 12 hours at most, `expires_at`). Null
//! means not seen since it was opened (`created_at`). Written at most once a minute per
//! session, see `store::sessions::user_of`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .add_column(timestamp_with_time_zone_null("last_seen_at"))
                    .to_owned(),
            )
            .await?;
        // "Overal uitloggen" and deactivation end a user's sessions by user.
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user")
                    .table("sessions")
                    .col("user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_sessions_user")
                    .table("sessions")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .drop_column("last_seen_at")
                    .to_owned(),
            )
            .await
    }
}
