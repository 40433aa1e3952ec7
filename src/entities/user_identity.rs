use sea_orm::entity::prelude::*;

/// A user's identity at an OpenID provider: the provider's `iss` and `sub`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_identities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    /// The provider's `iss`, e.g. `https://login.microsoftonline.com/<tenant-id>/v2.0`.
    pub issuer: String,
    /// The provider's `sub`: stable for the user at that provider.
    pub subject: String,
    pub created_at: DateTimeUtc,
    pub last_sign_in_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
