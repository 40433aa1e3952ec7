//! Saved scenarios of the cost-price calculator: per product, fixed costs per year, variable
//! cost per unit and the expected yearly volume. One scenario per product and name; saving
//! under the same name replaces it (the audit log keeps before and after).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("cost_scenarios")
                    .col(string("id").primary_key())
                    .col(string("product_code"))
                    .col(string("name"))
                    .col(big_integer("fixed_costs_cents"))
                    .col(big_integer("variable_cost_cents"))
                    .col(big_integer("expected_volume_thousandths"))
                    .col(text_null("note"))
                    .col(string("updated_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("cost_scenarios", "product_code")
                            .to("products", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_cost_scenarios_product_name")
                    .table("cost_scenarios")
                    .col("product_code")
                    .col("name")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("cost_scenarios").to_owned())
            .await
    }
}
