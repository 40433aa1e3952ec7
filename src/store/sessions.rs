//! Web sessions: a random token in a private cookie, its hash in the database.

use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::now;
use crate::crypto::secret::{random_token, token_hash};
use crate::entities::{session, user};
use crate::error::AppResult;

pub const SESSION_HOURS: i64 = 10;

/// Creates a session and returns the token for the cookie.
pub async fn create<C: ConnectionTrait>(db: &C, user_id: &str) -> AppResult<String> {
    let token = random_token();
    let model = session::Model {
        id: token_hash(&token),
        user_id: user_id.to_string(),
        created_at: now(),
        expires_at: now() + Duration::hours(SESSION_HOURS),
    };
    session::Entity::insert(session::ActiveModel::from(model))
        .exec_without_returning(db)
        .await?;
    Ok(token)
}

/// The user behind a session token, if the session is still valid.
pub async fn user_of<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<Option<user::Model>> {
    let Some(session) = session::Entity::find_by_id(token_hash(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if session.expires_at < now() {
        return Ok(None);
    }
    Ok(user::Entity::find_by_id(session.user_id).one(db).await?)
}

pub async fn delete<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<()> {
    session::Entity::delete_many()
        .filter(session::Column::Id.eq(token_hash(token)))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user, except the one of `keep` (a cookie token) when given.
/// Returns how many ended.
pub async fn delete_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    keep: Option<&str>,
) -> AppResult<u64> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(token) = keep {
        query = query.filter(session::Column::Id.ne(token_hash(token)));
    }
    Ok(query.exec(db).await?.rows_affected)
}
