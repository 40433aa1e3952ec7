use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "municipalities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub cooperation_model: String,
    pub oin: Option<String>,
    pub kvk: Option<String>,
    pub demo_identifiers: bool,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub finance_email: String,
    pub payment_term_days: i32,
    pub buyer_reference: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
