use sea_orm::entity::prelude::*;

use crate::domain::contract::ContractStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub municipality_code: String,
    pub name: String,
    pub valid_from: Date,
    pub valid_to: Date,
    pub status: ContractStatus,
    pub budget_ceiling_cents: Option<i64>,
    pub version: i32,
    /// Bumped by every order against the contract, so orders queue up.
    pub lock_seq: i64,
    pub created_at: DateTimeUtc,
    pub activated_at: Option<DateTimeUtc>,
    /// The one provider whose products this contract buys.
    pub provider_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
