//! API bearer tokens for integrations, stored hashed: made with a label and an optional
//! expiry, listed and revoked within the principal's scope (one's own tokens; an
//! administrator everyone's), and looked up on every API request.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Statement,
};
use serde_json::json;

use super::db::placeholder;
use super::{audit, new_id, now};
use crate::crypto::secret::{random_token, token_hash};
use crate::domain::principal::Principal;
use crate::domain::role::Role;
use crate::entities::{api_token, user};
use crate::error::{AppError, AppResult};

/// How stale `last_used_at` may be: the lookup writes it only when it is older than this,
/// so a busy integration costs one UPDATE a minute, not one per request.
pub const LAST_USED_RESOLUTION_SECS: i64 = 60;

/// Creates a token for a user and returns it; only its hash is kept. With
/// `expires_in_days`, it is refused from that many days after now.
pub async fn create<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    owner: &user::Model,
    label: &str,
    expires_in_days: Option<u32>,
) -> AppResult<String> {
    let token = format!("pmk_{}", random_token());
    let created_at = now();
    let model = api_token::Model {
        id: new_id(),
        user_id: owner.id.clone(),
        label: label.to_string(),
        token_hash: token_hash(&token),
        created_at,
        revoked: false,
        expires_at: expires_in_days.map(|days| created_at + Duration::days(i64::from(days))),
        last_used_at: None,
        revoked_at: None,
    };
    api_token::Entity::insert(api_token::ActiveModel::from(model.clone()))
        .exec_without_returning(txn)
        .await?;
    audit::append(
        txn,
        actor,
        "api_token.create",
        "api_token",
        &model.id,
        None,
        Some(json!({"user": owner.email, "label": label, "expires_at": model.expires_at})),
    )
    .await?;
    Ok(token)
}

/// Who a bearer token belongs to, and the catalogue generation read in the same statement.
pub struct TokenOwner {
    pub user: user::Model,
    pub label: String,
    /// The catalogue generation when the token was looked up. Answers cached per generation
    /// (the product list) use it instead of a second round trip; it is read before any of
    /// the request's data, so data read later is never older than it.
    pub catalogue_generation: i64,
}

/// The user and token label behind a bearer token that is neither revoked nor expired at
/// `now`, with the catalogue generation: one indexed lookup of the token's SHA-256 joined to
/// its user, on every API request. A revoked or expired token finds nothing (401), on every
/// server at once, as the row is read on each request.
///
/// The same statement reads `last_used_at`; only when it is empty or older than
/// [`LAST_USED_RESOLUTION_SECS`] does a second statement record `now`, so `last_used_at` is
/// exact to the minute without adding a write to every request.
pub async fn owner_of<C: ConnectionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<TokenOwner>> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "SELECT u.*, t.id AS token_id, t.label AS token_label, \
                 t.last_used_at AS token_last_used_at, \
                 (SELECT value FROM catalogue_generation WHERE id = 1) AS catalogue_generation \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked = $2 \
                 AND (t.expires_at IS NULL OR t.expires_at > $3)",
            ),
            [token_hash(token).into(), false.into(), now.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let last_used: Option<DateTime<Utc>> = row.try_get("", "token_last_used_at")?;
    let stale_before = now - Duration::seconds(LAST_USED_RESOLUTION_SECS);
    if last_used.is_none_or(|at| at < stale_before) {
        let token_id: String = row.try_get("", "token_id")?;
        // Conditional, so two servers seeing the same stale value write it once.
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
                 AND (last_used_at IS NULL OR last_used_at < $3)",
            ),
            [now.into(), token_id.into(), stale_before.into()],
        ))
        .await?;
    }
    Ok(Some(TokenOwner {
        user: user::Model::from_query_result(&row, "")?,
        label: row.try_get("", "token_label")?,
        catalogue_generation: row.try_get("", "catalogue_generation")?,
    }))
}

/// A token as its owner or an administrator sees it: never the token or its hash.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: String,
    pub user_id: String,
    pub user_email: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Whether `who` may see and revoke the tokens of `user_id`: their own, or any for an
/// administrator.
fn in_scope(who: &Principal, user_id: &str) -> bool {
    who.role == Role::Admin || who.user_id == user_id
}

async fn with_emails<C: ConnectionTrait>(
    db: &C,
    tokens: Vec<api_token::Model>,
) -> AppResult<Vec<TokenInfo>> {
    let mut ids: Vec<&str> = tokens.iter().map(|t| t.user_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let users = if ids.is_empty() {
        Vec::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .all(db)
            .await?
    };
    Ok(tokens
        .into_iter()
        .map(|t| TokenInfo {
            user_email: users
                .iter()
                .find(|u| u.id == t.user_id)
                .map(|u| u.email.clone())
                .unwrap_or_default(),
            id: t.id,
            user_id: t.user_id,
            label: t.label,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        })
        .collect())
}

/// The tokens that are not revoked (expired ones included, so they can be seen and
/// cleaned up), newest first: the principal's own, or for an administrator everyone's;
/// `user_id` narrows to one user (inside that scope). Two queries.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    who: &Principal,
    user_id: Option<&str>,
) -> AppResult<Vec<TokenInfo>> {
    let mut query = api_token::Entity::find().filter(api_token::Column::Revoked.eq(false));
    if who.role != Role::Admin {
        query = query.filter(api_token::Column::UserId.eq(who.user_id.as_str()));
    }
    if let Some(user_id) = user_id {
        query = query.filter(api_token::Column::UserId.eq(user_id));
    }
    let tokens = query
        .order_by_desc(api_token::Column::CreatedAt)
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?;
    with_emails(db, tokens).await
}

/// One token in the principal's scope, revoked or not; someone else's is `None` for a
/// non-administrator, as an unknown one.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    who: &Principal,
    id: &str,
) -> AppResult<Option<TokenInfo>> {
    let Some(token) = api_token::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !in_scope(who, &token.user_id) {
        return Ok(None);
    }
    Ok(with_emails(db, vec![token]).await?.pop())
}

/// Revokes a token in the principal's scope (404 otherwise): from this write on, its
/// lookup finds nothing. Revoking a revoked token changes nothing. Audited as
/// `api_token.revoke`.
pub async fn revoke<C: ConnectionTrait>(
    txn: &C,
    who: &Principal,
    id: &str,
    now: DateTime<Utc>,
) -> AppResult<TokenInfo> {
    let token = find(txn, who, id).await?.ok_or(AppError::NotFound)?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let updated = api_token::Entity::update_many()
        .col_expr(api_token::Column::Revoked, Expr::value(true))
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::Revoked.eq(false))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        // Revoked by someone else in the meantime.
        return Ok(token);
    }
    audit::append(
        txn,
        who,
        "api_token.revoke",
        "api_token",
        &token.id,
        Some(json!({"user": token.user_email, "label": token.label, "revoked": false})),
        Some(json!({"user": token.user_email, "label": token.label, "revoked": true, "revoked_at": now})),
    )
    .await?;
    Ok(TokenInfo {
        revoked_at: Some(now),
        ..token
    })
}
