//! `Idempotency-Key`: the key's check and request hash for every front door, and, for writes
//! outside a use case's own transaction (the finance API), the earlier answer and recording
//! a new one. Ordering stores its answer inside its own transaction.

use sea_orm::DatabaseConnection;

use crate::error::AppResult;
use crate::store;
pub use crate::store::idempotency::{check_key, request_hash, StoredResponse};

/// An `Idempotency-Key` with the hash of the request it came with.
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

impl Idempotency {
    /// A key with the hash of the request it came with (`method_and_path` and its body).
    pub fn for_request(key: &str, method_and_path: &str, body: &str) -> Idempotency {
        Idempotency {
            key: key.to_string(),
            request_hash: request_hash(method_and_path, body),
        }
    }

    /// Whether a key is usable: 1 to 255 characters.
    pub fn is_valid_key(key: &str) -> bool {
        check_key(key).is_ok()
    }
}

/// The earlier answer for this key, or an error when the key was used for another request.
pub async fn replay(
    db: &DatabaseConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
) -> AppResult<Option<StoredResponse>> {
    store::idempotency::lookup(db, user_id, key, request_hash).await
}

/// Stores the answer under the key.
pub async fn remember(
    db: &DatabaseConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
    response: &StoredResponse,
) -> AppResult<()> {
    store::idempotency::record(db, user_id, key, request_hash, response).await
}
