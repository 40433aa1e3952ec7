use sea_orm::entity::prelude::*;

/// An agreed price of a contract line from a date: the history of amendments.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_line_prices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contract_line_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub effective_from: Date,
    pub price_cents: i64,
    pub created_at: DateTimeUtc,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
