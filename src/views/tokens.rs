//! API tokens as their owner (the account page, `GET /api/v1/tokens`) or an administrator
//! (every user's, or one user's on the user page) sees them: never the token or its hash.

use sea_orm::DatabaseConnection;

use crate::domain::principal::Principal;
use crate::error::{AppError, AppResult};
use crate::store;

pub use crate::store::tokens::TokenInfo as TokenRow;

/// The tokens in the principal's scope that are not revoked, newest first (two queries);
/// `user_id` narrows to one user.
pub async fn list(
    db: &DatabaseConnection,
    who: &Principal,
    user_id: Option<&str>,
) -> AppResult<Vec<TokenRow>> {
    store::tokens::list(db, who, user_id).await
}

/// One token in the principal's scope, or 404.
pub async fn get(db: &DatabaseConnection, who: &Principal, id: &str) -> AppResult<TokenRow> {
    store::tokens::find(db, who, id)
        .await?
        .ok_or(AppError::NotFound)
}
