use sea_orm::entity::prelude::*;

use crate::domain::trajectory::{Frequency, Outcome, Status};

/// One product in a trajectory, with the contract price locked when it was ordered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trajectory_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub trajectory_id: String,
    pub position: i32,
    pub product_code: String,
    pub contract_line_id: String,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub quantity_thousandths: Option<i64>,
    pub frequency: Option<Frequency>,
    /// Total units ordered (quantity × occurrences), in thousandths.
    pub volume_thousandths: Option<i64>,
    pub budget_cents: Option<i64>,
    pub unit_price_cents: i64,
    pub committed_cents: i64,
    pub status: Status,
    pub started_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub outcome: Option<Outcome>,
    pub end_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
