//! API bearer tokens for integrations, stored hashed.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationDef,
};
use serde_json::json;

use super::{audit, new_id, now};
use crate::auth::secret::{random_token, token_hash};
use crate::auth::Principal;
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

/// The user and token label behind a bearer token: one indexed lookup of the token's
/// SHA-256 joined to its user, on every API request.
pub async fn user_of<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<Option<(user::Model, String)>> {
    let owner: RelationDef = api_token::Entity::belongs_to(user::Entity)
        .from(api_token::Column::UserId)
        .to(user::Column::Id)
        .into();
    let found = api_token::Entity::find()
        .join(JoinType::InnerJoin, owner)
        .filter(api_token::Column::TokenHash.eq(token_hash(token)))
        .filter(api_token::Column::Revoked.eq(false))
        .select_also(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(token, user)| user.map(|u| (u, token.label))))
}
