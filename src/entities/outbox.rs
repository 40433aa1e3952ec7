use sea_orm::entity::prelude::*;

use crate::domain::outbox::OutboxStatus;

/// An e-mail waiting to be sent, written in the same transaction as the change it reports.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub created_at: DateTimeUtc,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// JSON list of attachments: `[{filename, content_type, base64}]`.
    pub attachments: String,
    /// Claimed by a worker until `next_attempt_at` while `sending`.
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub related_entity: Option<String>,
    pub related_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
