//! Whether the service can reach its database.

use sea_orm::DatabaseConnection;

/// True when the database answers.
pub async fn database_reachable(db: &DatabaseConnection) -> bool {
    crate::store::db::ping(db).await
}
