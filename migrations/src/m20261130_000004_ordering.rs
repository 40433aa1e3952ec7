//! Clients (BSN encrypted, found by keyed hash), trajectories and their lines with the
//! price locked at ordering, and gapless counters for numbers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("counters")
                    .col(string("name").primary_key())
                    .col(big_integer("value"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("clients")
                    .col(string("id").primary_key())
                    .col(string("municipality_code"))
                    .col(string("bsn_hash"))
                    .col(text("bsn_encrypted"))
                    .col(string("bsn_last4"))
                    .col(string("name"))
                    .col(date_null("birth_date"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("clients", "municipality_code")
                            .to("municipalities", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        // A BSN is registered once per municipality; each municipality keeps its own record.
        manager
            .create_index(
                Index::create()
                    .name("uq_clients_municipality_bsn")
                    .table("clients")
                    .col("municipality_code")
                    .col("bsn_hash")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("trajectories")
                    .col(string("id").primary_key())
                    .col(string_uniq("number"))
                    .col(string("municipality_code"))
                    .col(string("client_id"))
                    .col(string("contract_id"))
                    .col(string("buyer_reference"))
                    .col(string("status"))
                    .col(string("ordered_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(date_null("planned_start"))
                    .col(text_null("reject_reason"))
                    // Set when the casemanager extends a running line; cleared when WSD has seen it.
                    .col(timestamp_with_time_zone_null("changed_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("trajectories", "client_id")
                            .to("clients", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("trajectories", "contract_id")
                            .to("contracts", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_trajectories_municipality_status")
                    .table("trajectories")
                    .col("municipality_code")
                    .col("status")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("trajectory_lines")
                    .col(string("id").primary_key())
                    .col(string("trajectory_id"))
                    .col(integer("position"))
                    .col(string("product_code"))
                    .col(string("contract_line_id"))
                    .col(date("start_date"))
                    .col(date_null("end_date"))
                    .col(big_integer_null("quantity_thousandths"))
                    .col(string_null("frequency"))
                    // The total units ordered (quantity × occurrences), for caps and billing.
                    .col(big_integer_null("volume_thousandths"))
                    .col(big_integer_null("budget_cents"))
                    .col(big_integer("unit_price_cents"))
                    // What this line commits against the contract's budget ceiling.
                    .col(big_integer("committed_cents"))
                    .col(string("status"))
                    .col(date_null("started_on"))
                    .col(date_null("ended_on"))
                    .col(string_null("outcome"))
                    .col(text_null("end_reason"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("trajectory_lines", "trajectory_id")
                            .to("trajectories", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("trajectory_lines", "contract_line_id")
                            .to("contract_lines", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_trajectory_lines_product")
                    .table("trajectory_lines")
                    .col("product_code")
                    .col("start_date")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_trajectory_lines_contract_line")
                    .table("trajectory_lines")
                    .col("contract_line_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["trajectory_lines", "trajectories", "clients", "counters"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
