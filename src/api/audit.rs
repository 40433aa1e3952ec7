//! The audit log, for administrators and finance.

use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use super::pagination::{decode_cursor, limit, page_of, Page};
use super::{ok, ApiJson};
use crate::auth::AuditReader;
use crate::error::{AppError, AppResult};
use crate::views;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash-chained audit log, oldest first.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit",
    params(("entity" = Option<String>, Query, description = "e.g. user, product, contract"),
           ("since" = Option<String>, Query, description = "RFC 3339 instant"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<AuditEvent>), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/audit-events?<entity>&<since>&<limit>&<cursor>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    reader: AuditReader,
    entity: Option<&str>,
    since: Option<&str>,
    limit: Vec<&str>,
    cursor: Option<&str>,
) -> AppResult<ApiJson<Page<AuditEvent>>> {
    let limit = self::limit(&limit)?;
    let after = match decode_cursor(cursor)? {
        Some(c) => c
            .parse::<i64>()
            .map_err(|_| AppError::field("cursor", "onbekende cursor"))?,
        None => 0,
    };
    let since = match since {
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|_| {
                    AppError::field(
                        "since",
                        "verwacht een RFC 3339-tijdstip, bijvoorbeeld 2026-11-30T12:00:00Z",
                    )
                })?
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ),
        None => None,
    };
    let rows = views::audit::list(
        db.inner(),
        &reader.0,
        entity,
        since.as_deref(),
        after,
        limit + 1,
    )
    .await?;
    let page = page_of(rows, limit, |e| e.seq.to_string());
    Ok(ok(Page {
        next_cursor: page.next_cursor,
        items: page
            .items
            .into_iter()
            .map(|e| AuditEvent {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                entity: e.entity,
                entity_id: e.entity_id,
                before: e.before.and_then(|b| serde_json::from_str(&b).ok()),
                after: e.after.and_then(|a| serde_json::from_str(&a).ok()),
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect(),
    }))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list]
}
