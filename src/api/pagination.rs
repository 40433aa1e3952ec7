//! Cursor pagination: `{"items": [...], "next_cursor": "..."|null}`, `?limit=` (default 50,
//! max 500), `?cursor=` (opaque).

use base64::Engine;
use serde::Serialize;

use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The `limit` query parameter, all its values as given (see `super::query_value`).
pub fn limit(raw: &[&str]) -> AppResult<u64> {
    let expected = format!("een geheel getal van 1 tot en met {MAX_LIMIT}");
    match super::query_value::<i64>("limit", raw, &expected)? {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => Ok(n as u64),
        Some(n) => Err(AppError::field(
            "limit",
            format!("limit moet tussen 1 en {MAX_LIMIT} liggen, niet {n}"),
        )),
    }
}

pub fn encode_cursor(position: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position.as_bytes())
}

pub fn decode_cursor(cursor: Option<&str>) -> AppResult<Option<String>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(Some)
        .ok_or_else(|| {
            AppError::field(
                "cursor",
                "onbekende cursor; gebruik next_cursor van een eerdere pagina",
            )
        })
}

/// Builds a page from `limit + 1` fetched rows: the extra row only signals a next page.
pub fn page_of<T, F: Fn(&T) -> String>(mut rows: Vec<T>, limit: u64, position: F) -> Page<T> {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|last| encode_cursor(&position(last)))
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}

/// A cursor of a list ordered by an instant and an id: `"<RFC 3339>|<id>"`, encoded.
pub fn encode_time_cursor(at: &chrono::DateTime<chrono::Utc>, id: &str) -> String {
    encode_cursor(&format!(
        "{}|{id}",
        at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
    ))
}

/// The instant and id of a cursor made by `encode_time_cursor`.
pub fn decode_time_cursor(
    cursor: Option<&str>,
) -> AppResult<Option<(chrono::DateTime<chrono::Utc>, String)>> {
    let Some(text) = decode_cursor(cursor)? else {
        return Ok(None);
    };
    let unknown = || AppError::field("cursor", "onbekende cursor");
    let (at, id) = text.split_once('|').ok_or_else(unknown)?;
    let at = chrono::DateTime::parse_from_rfc3339(at)
        .map_err(|_| unknown())?
        .with_timezone(&chrono::Utc);
    Ok(Some((at, id.to_string())))
}
