use sea_orm::entity::prelude::*;

/// A bearer token for integrations, stored as the SHA-256 of the token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub label: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub revoked: bool,
    /// After this instant the token is refused (401), as a revoked one; `None`: never.
    pub expires_at: Option<DateTimeUtc>,
    /// When the token was last used, to the minute (see `store::tokens::owner_of`).
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
