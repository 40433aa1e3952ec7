use sea_orm::entity::prelude::*;

/// A resident. The BSN is stored encrypted; `bsn_hash` finds it, `bsn_last4` masks it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub municipality_code: String,
    pub bsn_hash: String,
    pub bsn_encrypted: String,
    pub bsn_last4: String,
    pub name: String,
    pub birth_date: Option<Date>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
