use sea_orm::entity::prelude::*;

/// A web login. `id` is the SHA-256 of the random token held in the private cookie.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub created_at: DateTimeUtc,
    /// The session's absolute end (12 hours after it was opened).
    pub expires_at: DateTimeUtc,
    /// The last request seen (at most a minute old); `None`: none since `created_at`.
    pub last_seen_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
