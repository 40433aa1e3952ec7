//! Sign-on identities: a plusmarkt user linked to an identity at an OpenID provider by the
//! provider's `iss` and `sub`, made at the first sign-on by verified e-mail address. Later
//! sign-ons find the user by `iss` + `sub`, so a changed e-mail address does not matter.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("user_identities")
                    .col(string("id").primary_key())
                    .col(string("user_id"))
                    .col(string("issuer"))
                    .col(string("subject"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_sign_in_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("user_identities", "user_id")
                            .to("users", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // One user per identity, and one identity per user at each provider.
        manager
            .create_index(
                Index::create()
                    .name("ux_user_identities_issuer_subject")
                    .table("user_identities")
                    .col("issuer")
                    .col("subject")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_user_identities_user_issuer")
                    .table("user_identities")
                    .col("user_id")
                    .col("issuer")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("user_identities").to_owned())
            .await
    }
}
