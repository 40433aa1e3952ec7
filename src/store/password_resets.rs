//! One-time password reset links: a random token in the link, its SHA-256 here, an expiry,
//! and the moment it was used.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::crypto::secret::{random_token, token_hash};
use crate::entities::password_reset;
use crate::error::AppResult;

/// How long a reset link works.
pub const RESET_HOURS: i64 = 24;

/// Makes a reset link's token for a user; earlier unused links of the user stop working.
/// Returns the token (only its hash is kept) and its expiry.
pub async fn create<C: ConnectionTrait>(
    txn: &C,
    user_id: &str,
    requested_by: &str,
    now: DateTime<Utc>,
) -> AppResult<(String, DateTime<Utc>)> {
    password_reset::Entity::update_many()
        .col_expr(
            password_reset::Column::UsedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    let token = random_token();
    let expires_at = now + Duration::hours(RESET_HOURS);
    password_reset::Entity::insert(password_reset::ActiveModel::from(password_reset::Model {
        id: token_hash(&token),
        user_id: user_id.to_string(),
        requested_by: requested_by.to_string(),
        created_at: now,
        expires_at,
        used_at: None,
    }))
    .exec_without_returning(txn)
    .await?;
    Ok((token, expires_at))
}

/// The reset link behind a token, used or not.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<Option<password_reset::Model>> {
    Ok(password_reset::Entity::find_by_id(token_hash(token))
        .one(db)
        .await?)
}

/// Marks a link used, only if it still was unused: false when another request was first.
pub async fn spend<C: ConnectionTrait>(
    txn: &C,
    reset: &password_reset::Model,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let result = password_reset::Entity::update_many()
        .set(password_reset::ActiveModel {
            used_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(password_reset::Column::Id.eq(reset.id.clone()))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}
