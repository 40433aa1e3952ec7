//! The audit log as read by administrators, finance and the product history.

use sea_orm::DatabaseConnection;

use crate::entities::audit_event;
use crate::error::AppResult;
use crate::store;

/// One event of the hash-chained log; before and after as the JSON text stored.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<audit_event::Model> for AuditEntry {
    fn from(e: audit_event::Model) -> Self {
        AuditEntry {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            before: e.before,
            after: e.after,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Events oldest first after a sequence number, optionally of one kind of entity and from
/// an instant (RFC 3339 text) on; one query.
pub async fn list(
    db: &DatabaseConnection,
    principal: &crate::domain::principal::Principal,
    entity: Option<&str>,
    since: Option<&str>,
    after_seq: i64,
    limit: u64,
) -> AppResult<Vec<AuditEntry>> {
    Ok(
        store::audit::list(db, principal, entity, since, after_seq, limit)
            .await?
            .into_iter()
            .map(AuditEntry::from)
            .collect(),
    )
}

/// The events of one record, newest first.
pub async fn for_entity(
    db: &DatabaseConnection,
    entity: &str,
    entity_id: &str,
    limit: u64,
) -> AppResult<Vec<AuditEntry>> {
    Ok(store::audit::for_entity(db, entity, entity_id, limit)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect())
}
