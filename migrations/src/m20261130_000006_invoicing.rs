//! Invoices and credit notes with their lines, the claims that make double billing
//! impossible (one live claim per billable item), invoice runs and the run lock.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("invoices")
                    .col(string("id").primary_key())
                    .col(string("kind"))
                    .col(string_null("number").unique_key())
                    .col(string("municipality_code"))
                    .col(string("period"))
                    .col(string("status"))
                    .col(date_null("issue_date"))
                    .col(date_null("due_date"))
                    .col(big_integer("net_cents"))
                    .col(big_integer("vat_cents"))
                    .col(big_integer("total_cents"))
                    .col(string_null("credits_invoice_id"))
                    .col(text_null("reason"))
                    .col(string_null("content_hash"))
                    .col(string_null("run_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("finalised_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone_null("paid_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("invoices", "municipality_code")
                            .to("municipalities", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoices_updated")
                    .table("invoices")
                    .col("updated_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("invoice_lines")
                    .col(string("id").primary_key())
                    .col(string("invoice_id"))
                    .col(integer("position"))
                    .col(string_null("billable_key"))
                    .col(string_null("trajectory_line_id"))
                    .col(string("trajectory_id"))
                    .col(string("trajectory_number"))
                    .col(string("contract_id"))
                    .col(string("product_code"))
                    .col(string("product_name"))
                    .col(text("description"))
                    .col(string("client_ref"))
                    .col(string("buyer_reference"))
                    .col(string("service_period"))
                    .col(date("service_start"))
                    .col(date("service_end"))
                    .col(big_integer("quantity_thousandths"))
                    .col(string("unit"))
                    .col(big_integer("unit_price_cents"))
                    .col(big_integer("net_cents"))
                    .col(string("vat_category"))
                    .col(integer("vat_rate"))
                    .col(text_null("vat_exemption_reason"))
                    .col(string_null("credits_line_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("invoice_lines", "invoice_id")
                            .to("invoices", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoice_lines_invoice")
                    .table("invoice_lines")
                    .col("invoice_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoice_lines_trajectory_line")
                    .table("invoice_lines")
                    .col("trajectory_line_id")
                    .to_owned(),
            )
            .await?;
        // One live claim per billable item: the database, not the code, makes billing an
        // item twice impossible. A credit note releases the claim.
        manager
            .create_table(
                Table::create()
                    .table("billing_claims")
                    .col(string("billable_key").primary_key())
                    .col(string("invoice_line_id").unique_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("billing_claims", "invoice_line_id")
                            .to("invoice_lines", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("invoice_runs")
                    .col(string("id").primary_key())
                    .col(string("period"))
                    .col(string("started_by"))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .col(integer("invoices_created"))
                    .col(integer("lines_created"))
                    .col(integer("items_held"))
                    .to_owned(),
            )
            .await?;
        // Only one invoice run at a time, across servers: a lease on one row.
        manager
            .create_table(
                Table::create()
                    .table("locks")
                    .col(string("name").primary_key())
                    .col(string_null("holder"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("locks")
                    .columns(["name"])
                    .values_panic(["invoice-run".into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "locks",
            "invoice_runs",
            "billing_claims",
            "invoice_lines",
            "invoices",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
