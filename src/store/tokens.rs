//! API bearer tokens for integrations, stored hashed.

use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, Statement};
use serde_json::json;

use super::db::placeholder;
use super::{audit, new_id, now};
use crate::crypto::secret::{random_token, token_hash};
use crate::domain::principal::Principal;
use crate::entities::{api_token, user};
use crate::error::AppResult;

/// Creates a token for a user and returns it; only its hash is kept.
pub async fn create<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    owner: &user::Model,
    label: &str,
) -> AppResult<String> {
    let token = format!("pmk_{}", random_token());
    let model = api_token::Model {
        id: new_id(),
        user_id: owner.id.clone(),
        label: label.to_string(),
        token_hash: token_hash(&token),
        created_at: now(),
        revoked: false,
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
        Some(json!({"user": owner.email, "label": label})),
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

/// The user and token label behind a bearer token, with the catalogue generation: one
/// indexed lookup of the token's SHA-256 joined to its user, on every API request.
pub async fn owner_of<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<Option<TokenOwner>> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "SELECT u.*, t.label AS token_label, \
                 (SELECT value FROM catalogue_generation WHERE id = 1) AS catalogue_generation \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked = $2",
            ),
            [token_hash(token).into(), false.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(TokenOwner {
        user: user::Model::from_query_result(&row, "")?,
        label: row.try_get("", "token_label")?,
        catalogue_generation: row.try_get("", "catalogue_generation")?,
    }))
}
