//! The append-only, hash-chained audit log.
//!
//! Each event's hash covers its own fields and the previous event's hash, so editing,
//! inserting or deleting an event breaks the chain; the head row remembers the last
//! sequence number and hash, so cutting off the tail shows too.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::db::placeholder;
use crate::domain::principal::Principal;
use crate::entities::audit_event;
use crate::error::{AppError, AppResult};

/// Appends one event inside the caller's transaction.
pub async fn append<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    let backend = txn.get_database_backend();
    // Taking the head row first makes concurrent appenders queue up; RETURNING reads it
    // in the same statement.
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq, last_hash",
        ))
        .await?
        .ok_or_else(|| AppError::Internal("audit_head ontbreekt".into()))?;
    let seq: i64 = row.try_get("", "last_seq")?;
    let prev_hash: String = row.try_get("", "last_hash")?;
    let event = audit_event::Model {
        seq,
        at: super::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        actor: actor.actor(),
        action: action.to_string(),
        entity: entity.to_string(),
        entity_id: entity_id.to_string(),
        before: before.map(|v| v.to_string()),
        after: after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    let hash = event_hash(&event);
    let event = audit_event::Model {
        hash: hash.clone(),
        ..event
    };
    audit_event::Entity::insert(audit_event::ActiveModel::from(event))
        .exec_without_returning(txn)
        .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        placeholder(backend, "UPDATE audit_head SET last_hash = $1 WHERE id = 1"),
        [hash.into()],
    ))
    .await?;
    Ok(())
}

/// The hash of an event: SHA-256 over a JSON array of its fields and the previous hash.
pub fn event_hash(event: &audit_event::Model) -> String {
    let canonical = serde_json::json!([
        event.seq,
        event.at,
        event.actor,
        event.action,
        event.entity,
        event.entity_id,
        event.before,
        event.after,
        event.prev_hash,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// One thing `audit verify` found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub seq: Option<i64>,
    pub message: String,
}

/// Walks the whole chain. An empty list means the log is intact.
pub async fn verify<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Finding>> {
    let mut findings = Vec::new();
    let mut expected_prev = migration::GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut last_seen = 0i64;
    const PAGE: u64 = 1000;
    let mut after = 0i64;
    loop {
        let events = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gt(after))
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        if events.is_empty() {
            break;
        }
        for event in &events {
            if event.seq != expected_seq {
                findings.push(Finding {
                    seq: Some(event.seq),
                    message: format!(
                        "volgnummer {} verwacht, {} gevonden: er ontbreken gebeurtenissen",
                        expected_seq, event.seq
                    ),
                });
            }
            if event.prev_hash != expected_prev {
                findings.push(Finding {
                    seq: Some(event.seq),
                    message: "verwijst niet naar de hash van de vorige gebeurtenis".into(),
                });
            }
            if event_hash(event) != event.hash {
                findings.push(Finding {
                    seq: Some(event.seq),
                    message: "inhoud past niet bij de opgeslagen hash: gewijzigd".into(),
                });
            }
            expected_prev = event.hash.clone();
            expected_seq = event.seq + 1;
            last_seen = event.seq;
        }
        after = last_seen;
    }
    let backend = db.get_database_backend();
    if let Some(row) = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT last_seq, last_hash FROM audit_head WHERE id = 1",
        ))
        .await?
    {
        let head_seq: i64 = row.try_get("", "last_seq")?;
        let head_hash: String = row.try_get("", "last_hash")?;
        if head_seq != last_seen || head_hash != expected_prev {
            findings.push(Finding {
                seq: None,
                message: format!(
                    "de kop van de keten (volgnummer {head_seq}) past niet bij de laatste \
                     gebeurtenis ({last_seen}): gebeurtenissen verwijderd"
                ),
            });
        }
    } else {
        findings.push(Finding {
            seq: None,
            message: "de kop van de keten ontbreekt".into(),
        });
    }
    Ok(findings)
}

/// Events for the audit API, oldest first, after a sequence number.
///
/// Scoped: a provider's finance reads only what their own provider's users did (the
/// actor is a user's e-mail, or "e-mail (token label)"); the platform administrator reads
/// every event.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    entity: Option<&str>,
    since: Option<&str>,
    after_seq: i64,
    limit: u64,
) -> AppResult<Vec<audit_event::Model>> {
    let mut query = audit_event::Entity::find().filter(audit_event::Column::Seq.gt(after_seq));
    if let Some(own) = principal.provider_scope() {
        use crate::entities::user;
        use sea_orm::sea_query::{Expr, Query};
        // The actor is the e-mail, or "e-mail (token label)" for an API token.
        let by_own_user = Query::select()
            .expr(Expr::val(1))
            .from(user::Entity)
            .and_where(user::Column::ProviderCode.eq(own))
            .and_where(Expr::cust(
                "(audit_events.actor = users.email OR \
                 substr(audit_events.actor, 1, length(users.email) + 8) = users.email || ' (token ')",
            ))
            .to_owned();
        query = query.filter(Expr::exists(by_own_user));
    }
    if let Some(entity) = entity {
        query = query.filter(audit_event::Column::Entity.eq(entity));
    }
    if let Some(since) = since {
        query = query.filter(audit_event::Column::At.gte(since));
    }
    Ok(query
        .order_by_asc(audit_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// The events of one record, newest first.
pub async fn for_entity<C: ConnectionTrait>(
    db: &C,
    entity: &str,
    entity_id: &str,
    limit: u64,
) -> AppResult<Vec<audit_event::Model>> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Entity.eq(entity))
        .filter(audit_event::Column::EntityId.eq(entity_id))
        .order_by_desc(audit_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}
