//! Users, sessions, API tokens, municipalities, the audit log, idempotency keys and the
//! e-mail outbox: what every later capability stands on.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("municipalities")
                    .col(string("code").primary_key())
                    .col(string("name"))
                    .col(string("cooperation_model"))
                    .col(string_null("oin"))
                    .col(string_null("kvk"))
                    .col(boolean("demo_identifiers"))
                    .col(string("street"))
                    .col(string("postcode"))
                    .col(string("city"))
                    .col(string("finance_email"))
                    .col(integer("payment_term_days"))
                    .col(string_null("buyer_reference"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(string("id").primary_key())
                    .col(string_uniq("email"))
                    .col(string("name"))
                    .col(string("role"))
                    .col(string_null("municipality_code"))
                    .col(string("password_hash"))
                    .col(boolean("active"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("users", "municipality_code")
                            .to("municipalities", "code"),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(string("id").primary_key())
                    .col(string("user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("sessions", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("api_tokens")
                    .col(string("id").primary_key())
                    .col(string("user_id"))
                    .col(string("label"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(boolean("revoked"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("api_tokens", "user_id")
                            .to("users", "id"),
                    )
                    .to_owned(),
            )
            .await?;

        // The head of the hash chain: one row, updated first by every append so that
        // concurrent writers queue up instead of forking the chain.
        manager
            .create_table(
                Table::create()
                    .table("audit_head")
                    .col(integer("id").primary_key())
                    .col(big_integer("last_seq"))
                    .col(string("last_hash"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("audit_head")
                    .columns(["id", "last_seq", "last_hash"])
                    .values_panic([1.into(), 0i64.into(), GENESIS.into()])
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(big_integer("seq").primary_key())
                    .col(string("at"))
                    .col(string("actor"))
                    .col(string("action"))
                    .col(string("entity"))
                    .col(string("entity_id"))
                    .col(text_null("before"))
                    .col(text_null("after"))
                    .col(string("prev_hash"))
                    .col(string_uniq("hash"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_entity")
                    .table("audit_events")
                    .col("entity")
                    .col("entity_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(string("actor"))
                    .col(string("key"))
                    .col(string("request_hash"))
                    .col(integer("status"))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("actor").col("key"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(string("id").primary_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string("to_addr"))
                    .col(string("subject"))
                    .col(text("body_text"))
                    .col(text("body_html"))
                    .col(text("attachments"))
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(text_null("last_error"))
                    .col(string_null("related_entity"))
                    .col(string_null("related_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_pending")
                    .table("outbox")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "outbox",
            "idempotency_keys",
            "audit_events",
            "audit_head",
            "api_tokens",
            "sessions",
            "users",
            "municipalities",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The hash the first audit event points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
