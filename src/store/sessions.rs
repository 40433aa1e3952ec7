//! Web sessions: a random token in a private cookie, its hash in the database. A session
//! ends after [`IDLE_MINUTES`] without a request and [`ABSOLUTE_HOURS`] after it was opened,
//! whichever comes first, measured against the clock's now that the caller passes.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::crypto::secret::{random_token, token_hash};
use crate::entities::{session, user};
use crate::error::AppResult;

/// A session left alone this long ends.
pub const IDLE_MINUTES: i64 = 30;
/// A session ends this long after it was opened, however busy.
pub const ABSOLUTE_HOURS: i64 = 12;
/// `last_seen_at` is written at most this often per session (seconds), so that reading a
/// page is not a write every time; the idle timeout is exact to within this.
const TOUCH_EVERY_SECS: i64 = 60;

/// Creates a session and returns the token for the cookie.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let token = random_token();
    let model = session::Model {
        id: token_hash(&token),
        user_id: user_id.to_string(),
        created_at: now,
        expires_at: now + Duration::hours(ABSOLUTE_HOURS),
        last_seen_at: None,
    };
    session::Entity::insert(session::ActiveModel::from(model))
        .exec_without_returning(db)
        .await?;
    Ok(token)
}

/// Whether a session is over at `now`: past its absolute end or idle too long.
pub fn is_over(session: &session::Model, now: DateTime<Utc>) -> bool {
    let last_seen = session.last_seen_at.unwrap_or(session.created_at);
    now >= session.expires_at || now - last_seen >= Duration::minutes(IDLE_MINUTES)
}

/// The user behind a session token, if the session is still valid at `now`. A valid session
/// is marked seen (at most once a minute).
pub async fn user_of<C: ConnectionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<user::Model>> {
    let Some(found) = session::Entity::find_by_id(token_hash(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if is_over(&found, now) {
        // Left in place (a read does not delete); the user's next sign-in clears it.
        return Ok(None);
    }
    let last_seen = found.last_seen_at.unwrap_or(found.created_at);
    if now - last_seen >= Duration::seconds(TOUCH_EVERY_SECS) {
        session::Entity::update_many()
            .col_expr(
                session::Column::LastSeenAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(session::Column::Id.eq(found.id.clone()))
            .exec(db)
            .await?;
    }
    Ok(user::Entity::find_by_id(found.user_id).one(db).await?)
}

/// Ends the session of this cookie token. Returns the user it belonged to, if any.
pub async fn delete<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<Option<String>> {
    let id = token_hash(token);
    let Some(found) = session::Entity::find_by_id(id.clone()).one(db).await? else {
        return Ok(None);
    };
    session::Entity::delete_by_id(id).exec(db).await?;
    Ok(Some(found.user_id))
}

/// Removes a user's sessions that are over at `now` (housekeeping at each sign-in).
pub async fn delete_ended_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let idle_since = now - Duration::minutes(IDLE_MINUTES);
    let ended = sea_orm::Condition::any()
        .add(session::Column::ExpiresAt.lte(now))
        .add(session::Column::LastSeenAt.lte(idle_since))
        .add(
            sea_orm::Condition::all()
                .add(session::Column::LastSeenAt.is_null())
                .add(session::Column::CreatedAt.lte(idle_since)),
        );
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(ended)
        .exec(db)
        .await?
        .rows_affected)
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
