use sea_orm::entity::prelude::*;

use crate::domain::trajectory::Status;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trajectories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub number: String,
    pub municipality_code: String,
    pub client_id: String,
    pub contract_id: String,
    pub buyer_reference: String,
    pub status: Status,
    /// User id of the ordering casemanager.
    pub ordered_by: String,
    pub created_at: DateTimeUtc,
    pub planned_start: Option<Date>,
    pub reject_reason: Option<String>,
    /// Set when the casemanager extended a line; cleared when WSD has seen the change.
    pub changed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// The provider that delivers every line (its contract's provider).
    pub provider_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
