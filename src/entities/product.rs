use sea_orm::entity::prelude::*;

use crate::domain::billing::{Unit, Variant};
use crate::domain::catalogue::ProductStatus;
use crate::domain::vat::VatCategory;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub domain: String,
    pub goal: String,
    pub output: String,
    pub proof: String,
    pub duration_weeks: i32,
    pub variant: Variant,
    pub unit: Unit,
    pub vat_category: VatCategory,
    pub vat_exemption_reason: Option<String>,
    pub status: ProductStatus,
    pub version: i32,
    pub updated_at: DateTimeUtc,
    pub provider_code: String,
    /// The shared service type (`services.code`); set by the catalogue.
    pub service_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
