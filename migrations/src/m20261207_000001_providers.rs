//! The marketplace: providers (aanbieders) as a tenant beside municipalities, and the
//! shared list of service types that makes offers comparable.
//!
//! Every record made before providers existed is WSD's: the new `provider_code` columns
//! default to `WSD`, and the WSD row is inserted here with the demo identity that used to
//! be configuration (`PLUSMARKT_SELLER_*` still overrides it at start, see
//! `store::providers::apply_seller_settings`). Staff roles bind to a provider; the role
//! `wsd_staff` becomes `provider_staff`.
//!
//! No foreign keys on the added columns: SQLite refuses a REFERENCES column with a
//! non-NULL default in ALTER TABLE, and one migration serves both back ends.

use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables whose rows belong to one provider, with the index that serves its scope.
const OWNED: [(&str, &str); 5] = [
    ("products", "idx_products_provider"),
    ("contracts", "idx_contracts_provider"),
    ("trajectories", "idx_trajectories_provider"),
    ("invoices", "idx_invoices_provider"),
    ("invoice_runs", "idx_invoice_runs_provider"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("providers")
                    .col(string("code").primary_key())
                    .col(string("name"))
                    .col(string("kvk").unique_key())
                    .col(string("vat_number"))
                    .col(string("peppol_scheme"))
                    .col(string("peppol_id"))
                    .col(string("iban"))
                    .col(string("intake_email"))
                    .col(string("invoice_email"))
                    .col(string("street"))
                    .col(string("postcode"))
                    .col(string("city"))
                    .col(string("status"))
                    .col(boolean("demo_identifiers"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("services")
                    .col(string("code").primary_key())
                    .col(string("name"))
                    .col(string("description"))
                    .col(integer("position"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO providers (code, name, kvk, vat_number, peppol_scheme, peppol_id, iban, \
             intake_email, invoice_email, street, postcode, city, status, demo_identifiers, \
             created_at, updated_at) VALUES ('WSD', 'WSD (demo)', '17091234', 'NL001234567B01', \
             '0106', '17091234', 'NL91ABNA0417164300', 'intake@wsd.example', \
             'facturen@wsd.example', 'Rietveldenweg 10', '5281 RN', 'Boxtel', 'active', TRUE, \
             CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        )
        .await?;
        for (table, index) in OWNED {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN provider_code VARCHAR NOT NULL DEFAULT 'WSD'"
            ))
            .await?;
            db.execute_unprepared(&format!("CREATE INDEX {index} ON {table} (provider_code)"))
                .await?;
        }
        db.execute_unprepared("ALTER TABLE products ADD COLUMN service_code VARCHAR NULL")
            .await?;
        db.execute_unprepared("ALTER TABLE users ADD COLUMN provider_code VARCHAR NULL")
            .await?;
        db.execute_unprepared("UPDATE users SET role = 'provider_staff' WHERE role = 'wsd_staff'")
            .await?;
        db.execute_unprepared(
            "UPDATE users SET provider_code = 'WSD' \
             WHERE role IN ('pricing', 'finance', 'provider_staff')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE users SET role = 'wsd_staff' WHERE role = 'provider_staff'")
            .await?;
        for (table, index) in OWNED {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN provider_code"))
                .await?;
        }
        db.execute_unprepared("ALTER TABLE products DROP COLUMN service_code")
            .await?;
        db.execute_unprepared("ALTER TABLE users DROP COLUMN provider_code")
            .await?;
        manager
            .drop_table(Table::drop().table("services").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("providers").to_owned())
            .await
    }
}
