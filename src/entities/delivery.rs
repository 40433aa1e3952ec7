use sea_orm::entity::prelude::*;

/// Hours, day-parts or pieces delivered in a month. Append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub trajectory_line_id: String,
    pub period: String,
    pub quantity_thousandths: i64,
    pub note: Option<String>,
    /// The earlier registration this one corrects.
    pub corrects_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
