//! The dienstenportfolio: target groups, products, their target groups and billing
//! milestones, and list-price versions (integer cents).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("target_groups")
                    .col(string("code").primary_key())
                    .col(string("name"))
                    .col(integer("position"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("products")
                    .col(string("code").primary_key())
                    .col(string("name"))
                    .col(text("summary"))
                    .col(text("description"))
                    .col(string("domain"))
                    .col(text("goal"))
                    .col(text("output"))
                    .col(text("proof"))
                    .col(integer("duration_weeks"))
                    .col(string("variant"))
                    .col(string("unit"))
                    .col(string("vat_category"))
                    .col(text_null("vat_exemption_reason"))
                    .col(string("status"))
                    // Bumped by every change; the ETag of the product.
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("product_target_groups")
                    .col(string("product_code"))
                    .col(string("target_group_code"))
                    .col(integer("position"))
                    .primary_key(Index::create().col("product_code").col("target_group_code"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("product_target_groups", "product_code")
                            .to("products", "code")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("product_target_groups", "target_group_code")
                            .to("target_groups", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("product_milestones")
                    .col(string("product_code"))
                    .col(integer("position"))
                    .col(string("name"))
                    // Share of the price in hundredths of a percent: 50% = 5000.
                    .col(integer("share_basis_points"))
                    .primary_key(Index::create().col("product_code").col("position"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("product_milestones", "product_code")
                            .to("products", "code")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("price_versions")
                    .col(string("product_code"))
                    .col(date("valid_from"))
                    .col(big_integer("amount_cents"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string("created_by"))
                    .primary_key(Index::create().col("product_code").col("valid_from"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("price_versions", "product_code")
                            .to("products", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "price_versions",
            "product_milestones",
            "product_target_groups",
            "products",
            "target_groups",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
