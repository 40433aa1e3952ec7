use sea_orm::entity::prelude::*;

use crate::domain::billing::{Disposition, Unit};
use crate::domain::settlement::LineKind;
use crate::domain::vat::VatCategory;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub invoice_id: String,
    pub position: i32,
    /// The billable item this line bills; `None` on credit-note lines.
    pub billable_key: Option<String>,
    pub trajectory_line_id: Option<String>,
    pub trajectory_id: String,
    pub trajectory_number: String,
    pub contract_id: String,
    pub product_code: String,
    pub product_name: String,
    pub description: String,
    /// The client as shown on the invoice: initials only.
    pub client_ref: String,
    pub buyer_reference: String,
    pub service_period: String,
    pub service_start: Date,
    pub service_end: Date,
    pub quantity_thousandths: i64,
    pub unit: Unit,
    pub unit_price_cents: i64,
    pub net_cents: i64,
    pub vat_category: VatCategory,
    pub vat_rate: i32,
    pub vat_exemption_reason: Option<String>,
    /// On a credit-note line: the invoice line it reverses.
    pub credits_line_id: Option<String>,
    /// What the line bills: a delivery, or a settlement line (true-up, advance,
    /// reconciliation) that bills no product.
    pub kind: LineKind,
    /// On a settlement line: the contract's settlement terms it was computed under (JSON).
    pub settlement_terms: Option<String>,
    /// On a credit-note line reversing a delivery: what happens to the work behind it.
    pub disposition: Option<Disposition>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
