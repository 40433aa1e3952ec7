use sea_orm::entity::prelude::*;

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
    pub variant: String,
    pub unit: String,
    pub vat_category: String,
    pub vat_exemption_reason: Option<String>,
    pub status: String,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
