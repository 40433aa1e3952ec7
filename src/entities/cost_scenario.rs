use sea_orm::entity::prelude::*;

/// A saved scenario of the cost-price calculator (pricing staff). One per product and name.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_scenarios")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub product_code: String,
    pub name: String,
    /// Fixed costs per year.
    pub fixed_costs_cents: i64,
    /// Variable cost per unit of the product.
    pub variable_cost_cents: i64,
    /// Expected volume per year in the product's unit, in thousandths.
    pub expected_volume_thousandths: i64,
    pub note: Option<String>,
    /// Who saved it last (e-mail).
    pub updated_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
