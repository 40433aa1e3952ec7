//! Contract specifications: per municipality and period, lines with agreed prices whose
//! history is kept as dated price rows (amendments), optional volume caps and a budget
//! ceiling. `lock_seq` is bumped by every order so that orders against one contract
//! queue up (the row lock on PostgreSQL, the write lock on SQLite).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("contracts")
                    .col(string("id").primary_key())
                    .col(string("municipality_code"))
                    .col(string("name"))
                    .col(date("valid_from"))
                    .col(date("valid_to"))
                    .col(string("status"))
                    .col(big_integer_null("budget_ceiling_cents"))
                    .col(integer("version"))
                    .col(big_integer("lock_seq"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("activated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("contracts", "municipality_code")
                            .to("municipalities", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contracts_municipality")
                    .table("contracts")
                    .col("municipality_code")
                    .col("valid_from")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("contract_lines")
                    .col(string("id").primary_key())
                    .col(string("contract_id"))
                    .col(string("product_code"))
                    // Trajectories (traject, maand) or units (uur, dagdeel, stuk) in
                    // thousandths, per contract period.
                    .col(big_integer_null("volume_cap_thousandths"))
                    .col(date("valid_from"))
                    .col(date("valid_to"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("contract_lines", "contract_id")
                            .to("contracts", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("contract_lines", "product_code")
                            .to("products", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_contract_lines_product")
                    .table("contract_lines")
                    .col("contract_id")
                    .col("product_code")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("contract_line_prices")
                    .col(string("contract_line_id"))
                    .col(date("effective_from"))
                    .col(big_integer("price_cents"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string("created_by"))
                    .primary_key(
                        Index::create()
                            .col("contract_line_id")
                            .col("effective_from"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("contract_line_prices", "contract_line_id")
                            .to("contract_lines", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["contract_line_prices", "contract_lines", "contracts"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
