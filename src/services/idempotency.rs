//! `Idempotency-Key` for writes outside a use case's own transaction (the finance API): the
//! key's check and request hash, the earlier answer and recording a new one.

use sea_orm::DatabaseConnection;

use crate::error::AppResult;
use crate::store;
pub use crate::store::idempotency::{check_key, request_hash, StoredResponse};

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
