use sea_orm::entity::prelude::*;

/// One of a user's ten single-use recovery codes for the second factor. `code_hash` is the
/// SHA-256 of the code (80 random bits, so a plain hash suffices, as for tokens).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub code_hash: String,
    pub created_at: DateTimeUtc,
    /// When it was used to sign in; a used code never works again.
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
