use sea_orm::entity::prelude::*;

use crate::domain::contract::ContractStatus;
use crate::domain::settlement::{AdvanceSchedule, SettlementForm};

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
    /// How the contract settles (`domain::settlement`); fixed once active.
    pub settlement: SettlementForm,
    /// `volume_guarantee`: the guaranteed net amount over the contract period.
    pub guaranteed_amount_cents: Option<i64>,
    /// `budget`: the budget paid in advances over the contract period.
    pub budget_amount_cents: Option<i64>,
    pub advance_schedule: Option<AdvanceSchedule>,
    /// `budget`: return what the advances exceed the delivered value by.
    pub refund_unused: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
