//! Users as the administrator lists them.

use sea_orm::DatabaseConnection;

use crate::domain::role::Role;
use crate::entities::user;
use crate::error::AppResult;
use crate::store;

/// A user without secrets.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// CBS code, for casemanagers.
    pub municipality: Option<String>,
    /// Provider code, for pricing, finance and provider_staff.
    pub provider: Option<String>,
    pub active: bool,
}

impl From<user::Model> for UserRow {
    fn from(u: user::Model) -> Self {
        UserRow {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            municipality: u.municipality_code,
            provider: u.provider_code,
            active: u.active,
        }
    }
}

/// All users, by e-mail address (one query).
pub async fn list(db: &DatabaseConnection) -> AppResult<Vec<UserRow>> {
    Ok(store::users::list(db)
        .await?
        .into_iter()
        .map(UserRow::from)
        .collect())
}

/// One user, or 404.
pub async fn get(db: &DatabaseConnection, id: &str) -> AppResult<UserRow> {
    store::users::find_by_id(db, id)
        .await?
        .map(UserRow::from)
        .ok_or(crate::error::AppError::NotFound)
}
