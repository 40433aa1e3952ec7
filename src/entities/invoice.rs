use sea_orm::entity::prelude::*;

use crate::domain::invoice::{InvoiceKind, InvoiceStatus};

/// An invoice or credit note of one municipality and period. Numbered when finalised;
/// never changed after that (`content_hash` shows it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub kind: InvoiceKind,
    pub number: Option<String>,
    pub municipality_code: String,
    pub period: String,
    pub status: InvoiceStatus,
    pub issue_date: Option<Date>,
    pub due_date: Option<Date>,
    pub net_cents: i64,
    pub vat_cents: i64,
    pub total_cents: i64,
    pub credits_invoice_id: Option<String>,
    pub reason: Option<String>,
    pub content_hash: Option<String>,
    pub run_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finalised_at: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub paid_at: Option<DateTimeUtc>,
    /// The seller: one invoice per provider, municipality and period.
    pub provider_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
