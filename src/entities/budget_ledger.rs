use sea_orm::entity::prelude::*;

use crate::domain::settlement::LedgerKind;

/// One entry of a budget contract's ledger; the balance is the sum of the entries.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_ledger")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub contract_id: String,
    pub kind: LedgerKind,
    /// Positive: paid in advance (or a return billed back); negative: used or returned.
    pub amount_cents: i64,
    /// The run period (`YYYY-MM`) the entry belongs to.
    pub period: String,
    /// The invoice or credit-note line that carries the entry (advance, settlement).
    pub invoice_line_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
