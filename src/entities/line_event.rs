use sea_orm::entity::prelude::*;

use crate::domain::trajectory::{EventKind, Outcome};

/// A registration on an order line: start, milestone, stop or complete. Append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "line_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub trajectory_line_id: String,
    pub kind: EventKind,
    pub date: Date,
    pub milestone: Option<String>,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    /// The earlier registration this one corrects.
    pub corrects_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
