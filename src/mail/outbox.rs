//! The outbox table: messages are written in the caller's transaction, so a state change,
//! its audit record and its e-mail commit together or not at all (design rule 8), and the
//! worker sends them later.
//!
//! A row's life: `pending` (due at `next_attempt_at`) → `sending` (claimed by one worker;
//! `next_attempt_at` is then the end of its lease) → `sent`, or back to `pending` with
//! `last_error` and a later `next_attempt_at` when the attempt failed. A `sending` row whose
//! lease has ended belongs to a worker that stopped mid-send and is due again.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::ExprTrait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::domain::outbox::OutboxStatus;
use crate::entities::outbox;
use crate::error::{AppError, AppResult};
use crate::store::new_id;

/// The longest `last_error` kept, in characters.
const MAX_ERROR_CHARS: usize = 2000;

/// A file sent along with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// A MIME type such as `application/pdf`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An e-mail to send: one recipient, a plain-text and an HTML body, attachments, and the
/// record it is about (for finding it back, never shown to the recipient).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutgoingMessage {
    /// One address, optionally with a display name: `Gemeente Boxtel <financien@boxtel.example>`.
    pub to: String,
    pub subject: String,
    pub text: String,
    /// May be empty: the message is then plain text only.
    pub html: String,
    pub attachments: Vec<Attachment>,
    pub related_entity: Option<String>,
    pub related_id: Option<String>,
}

/// How an attachment is kept in the `attachments` JSON column.
#[derive(Debug, Serialize, Deserialize)]
struct StoredAttachment {
    filename: String,
    content_type: String,
    base64: String,
}

/// Writes one outbox row, due now, inside the caller's transaction, and returns its id.
/// A message that could never be sent (no valid address, a broken content type) is refused
/// here with a 422, so that the change it belongs to is refused with it.
pub async fn enqueue<C: ConnectionTrait>(txn: &C, msg: OutgoingMessage) -> AppResult<String> {
    validate(&msg)?;
    let id = new_id();
    let now = now_micros();
    let row = outbox::Model {
        id: id.clone(),
        created_at: now,
        to_addr: msg.to.trim().to_string(),
        subject: msg.subject,
        body_text: msg.text,
        body_html: msg.html,
        attachments: encode_attachments(&msg.attachments)?,
        status: OutboxStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        sent_at: None,
        last_error: None,
        related_entity: msg.related_entity,
        related_id: msg.related_id,
    };
    outbox::Entity::insert(outbox::ActiveModel::from(row))
        .exec_without_returning(txn)
        .await?;
    Ok(id)
}

fn validate(msg: &OutgoingMessage) -> AppResult<()> {
    if msg.to.trim().parse::<lettre::message::Mailbox>().is_err() {
        return Err(AppError::field("to", "is geen geldig e-mailadres"));
    }
    if msg.subject.trim().is_empty() {
        return Err(AppError::field("subject", "ontbreekt"));
    }
    if msg.subject.chars().any(char::is_control) {
        return Err(AppError::field(
            "subject",
            "mag geen regeleinden of stuurtekens bevatten",
        ));
    }
    for attachment in &msg.attachments {
        if attachment.filename.trim().is_empty()
            || attachment.filename.chars().any(char::is_control)
        {
            return Err(AppError::field(
                "attachments",
                "elke bijlage heeft een bestandsnaam zonder stuurtekens",
            ));
        }
        if lettre::message::header::ContentType::parse(&attachment.content_type).is_err() {
            return Err(AppError::field(
                "attachments",
                format!(
                    "{:?} is geen geldig MIME-type (bijlage {})",
                    attachment.content_type, attachment.filename
                ),
            ));
        }
    }
    Ok(())
}

fn encode_attachments(attachments: &[Attachment]) -> AppResult<String> {
    let stored: Vec<StoredAttachment> = attachments
        .iter()
        .map(|a| StoredAttachment {
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            base64: base64::engine::general_purpose::STANDARD.encode(&a.bytes),
        })
        .collect();
    serde_json::to_string(&stored).map_err(|e| AppError::Internal(format!("bijlagen opslaan: {e}")))
}

fn decode_attachments(json: &str) -> Result<Vec<Attachment>, String> {
    let stored: Vec<StoredAttachment> =
        serde_json::from_str(json).map_err(|e| format!("bijlagen onleesbaar: {e}"))?;
    stored
        .into_iter()
        .map(|s| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.base64.as_bytes())
                .map_err(|e| format!("bijlage {} onleesbaar: {e}", s.filename))?;
            Ok(Attachment {
                filename: s.filename,
                content_type: s.content_type,
                bytes,
            })
        })
        .collect()
}

/// The message a row holds.
pub fn message_of(row: &outbox::Model) -> Result<OutgoingMessage, String> {
    Ok(OutgoingMessage {
        to: row.to_addr.clone(),
        subject: row.subject.clone(),
        text: row.body_text.clone(),
        html: row.body_html.clone(),
        attachments: decode_attachments(&row.attachments)?,
        related_entity: row.related_entity.clone(),
        related_id: row.related_id.clone(),
    })
}

/// Now, to the microsecond: what PostgreSQL keeps, so both back ends hold the same instant.
pub(crate) fn now_micros() -> DateTime<Utc> {
    let now = crate::domain::clock::Clock::system().now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Adds a std duration to an instant, saturating instead of overflowing.
pub(crate) fn later(at: DateTime<Utc>, by: std::time::Duration) -> DateTime<Utc> {
    Duration::from_std(by)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Ids of the rows due at `now` (pending, or sending with an ended lease), oldest due first.
pub async fn due_ids<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<String>> {
    Ok(outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Sending]))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .order_by_asc(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// Claims one due row for this worker until `lease_until`, counting the attempt. Returns the
/// claimed row, or `None` when another worker was first or the row is no longer due. The
/// conditional UPDATE decides: on PostgreSQL a concurrent claimer waits for the row lock and
/// then finds the condition false; on SQLite writers are serialised.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    id: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> AppResult<Option<outbox::Model>> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Sending))
        .col_expr(
            outbox::Column::Attempts,
            Expr::col(outbox::Column::Attempts).add(1),
        )
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(lease_until))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Sending]))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    Ok(outbox::Entity::find_by_id(id.to_string()).one(db).await?)
}

/// Marks a claimed row sent. `attempts` is the value the claim produced: when it no longer
/// matches, the lease ran out and another worker claimed the row, and this returns false.
pub async fn mark_sent<C: ConnectionTrait>(
    db: &C,
    id: &str,
    attempts: i32,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Sent))
        .col_expr(outbox::Column::SentAt, Expr::value(Some(at)))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Sending))
        .filter(outbox::Column::Attempts.eq(attempts))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Puts a claimed row back as pending, due again at `retry_at`, with the reason it failed.
pub async fn mark_failed<C: ConnectionTrait>(
    db: &C,
    id: &str,
    attempts: i32,
    error: &str,
    retry_at: DateTime<Utc>,
) -> AppResult<bool> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Pending))
        .col_expr(outbox::Column::LastError, Expr::value(Some(error)))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(retry_at))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Sending))
        .filter(outbox::Column::Attempts.eq(attempts))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> OutgoingMessage {
        OutgoingMessage {
            to: "financien@boxtel.example".into(),
            subject: "Factuur".into(),
            text: "tekst".into(),
            html: "<p>tekst</p>".into(),
            ..Default::default()
        }
    }

    #[test]
    fn attachments_survive_the_json_column() {
        let attachments = vec![
            Attachment {
                filename: "factuur.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: (0..=255u8).collect(),
            },
            Attachment {
                filename: "leeg.txt".into(),
                content_type: "text/plain".into(),
                bytes: vec![],
            },
        ];
        let json = encode_attachments(&attachments).unwrap();
        assert!(json.contains("\"base64\""), "{json}");
        assert_eq!(decode_attachments(&json).unwrap(), attachments);
    }

    #[test]
    fn messages_that_could_never_be_sent_are_refused() {
        assert!(validate(&message()).is_ok());
        assert!(validate(&OutgoingMessage {
            to: "Gemeente Boxtel <financien@boxtel.example>".into(),
            ..message()
        })
        .is_ok());
        for to in ["", "geen adres", "a@b@c"] {
            assert!(
                validate(&OutgoingMessage {
                    to: to.into(),
                    ..message()
                })
                .is_err(),
                "{to}"
            );
        }
        assert!(validate(&OutgoingMessage {
            subject: "Factuur\r\nBcc: iedereen@example.org".into(),
            ..message()
        })
        .is_err());
        assert!(validate(&OutgoingMessage {
            attachments: vec![Attachment {
                filename: "x.pdf".into(),
                content_type: "geen type".into(),
                bytes: vec![1],
            }],
            ..message()
        })
        .is_err());
    }
}
