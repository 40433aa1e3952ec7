//! What WSD registers on an order line: events (start, milestone, stop, complete) and
//! delivered quantities per month. Both are append-only; a correction is a new row that
//! names the row it corrects, so what was invoiced stays as it was.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("line_events")
                    .col(string("id").primary_key())
                    .col(string("trajectory_line_id"))
                    .col(string("kind"))
                    .col(date("date"))
                    .col(string_null("milestone"))
                    .col(string_null("outcome"))
                    .col(text_null("note"))
                    .col(string_null("corrects_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string("created_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("line_events", "trajectory_line_id")
                            .to("trajectory_lines", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_line_events_line")
                    .table("line_events")
                    .col("trajectory_line_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("deliveries")
                    .col(string("id").primary_key())
                    .col(string("trajectory_line_id"))
                    .col(string("period"))
                    .col(big_integer("quantity_thousandths"))
                    .col(text_null("note"))
                    .col(string_null("corrects_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string("created_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("deliveries", "trajectory_line_id")
                            .to("trajectory_lines", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deliveries_line")
                    .table("deliveries")
                    .col("trajectory_line_id")
                    .col("period")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["deliveries", "line_events"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
