//! `Idempotency-Key`: the first answer to a write is stored with a hash of its request,
//! in the same transaction as the write, and a retry gets that answer back.

use sea_orm::{ConnectionTrait, EntityTrait};
use sha2::{Digest, Sha256};

use super::now;
use crate::entities::idempotency_key;
use crate::error::{AppError, AppResult};

pub const MAX_KEY_LENGTH: usize = 255;

/// A stored answer.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

pub fn request_hash(method_and_path: &str, body: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{method_and_path}\n{body}").as_bytes(),
    ))
}

pub fn check_key(key: &str) -> AppResult<()> {
    if key.is_empty() || key.len() > MAX_KEY_LENGTH {
        return Err(AppError::BadRequest(format!(
            "Idempotency-Key moet 1 tot {MAX_KEY_LENGTH} tekens lang zijn"
        )));
    }
    Ok(())
}

/// The earlier answer for this key, or an error when the key was used for another request.
pub async fn lookup<C: ConnectionTrait>(
    db: &C,
    actor: &str,
    key: &str,
    hash: &str,
) -> AppResult<Option<StoredResponse>> {
    let found = idempotency_key::Entity::find_by_id((actor.to_string(), key.to_string()))
        .one(db)
        .await?;
    match found {
        None => Ok(None),
        Some(row) if row.request_hash == hash => Ok(Some(StoredResponse {
            status: u16::try_from(row.status).unwrap_or(200),
            body: row.body,
        })),
        Some(_) => Err(AppError::field(
            "Idempotency-Key",
            "deze sleutel is al gebruikt voor een andere aanvraag",
        )),
    }
}

/// Records the answer inside the write's transaction; a concurrent duplicate fails on
/// the primary key and its transaction rolls back.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    actor: &str,
    key: &str,
    hash: &str,
    response: &StoredResponse,
) -> AppResult<()> {
    let model = idempotency_key::Model {
        actor: actor.to_string(),
        key: key.to_string(),
        request_hash: hash.to_string(),
        status: i32::from(response.status),
        body: response.body.clone(),
        created_at: now(),
    };
    idempotency_key::Entity::insert(idempotency_key::ActiveModel::from(model))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}
