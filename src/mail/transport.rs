//! Turning an outbox message into a MIME message (lettre) and handing it over: to an SMTP
//! server, as an .eml file in a folder, or into memory for tests.
//!
//! Every message carries `Message-ID: <outbox-id@plusmarkt>`, the same on every attempt, so a
//! message sent again after a crash mid-send can be recognised as the same message.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::outbox::{Attachment, OutgoingMessage};
use crate::config::{Config, MailTransportConfig, SmtpTls};

/// How long one SMTP command may take before the attempt is given up (and retried later).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The domain part of every Message-ID.
pub const MESSAGE_ID_DOMAIN: &str = "plusmarkt";

/// The Message-ID of the message an outbox row holds: stable across attempts.
pub fn message_id(outbox_id: &str) -> String {
    format!("<{outbox_id}@{MESSAGE_ID_DOMAIN}>")
}

/// Why one attempt to hand a message over failed. The text goes into the outbox row's
/// `last_error`; [`SendError::summary`] is what may go into a log line.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("bericht opbouwen mislukt: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("bestand schrijven mislukt: {0}")]
    File(#[from] std::io::Error),
    #[error("geen antwoord binnen {0} seconden")]
    Timeout(u64),
}

impl SendError {
    /// A description without addresses or server text, for log lines.
    pub fn summary(&self) -> String {
        match self {
            SendError::Build(_) => "message could not be built".into(),
            SendError::Smtp(e) => {
                let kind = if e.is_permanent() {
                    "permanent"
                } else if e.is_transient() {
                    "transient"
                } else if e.is_timeout() {
                    "timeout"
                } else {
                    "connection or protocol"
                };
                match e.status() {
                    Some(code) => format!("SMTP {kind} error ({code})"),
                    None => format!("SMTP {kind} error"),
                }
            }
            SendError::File(e) => format!("file write error ({:?})", e.kind()),
            SendError::Timeout(secs) => format!("no answer within {secs} s"),
        }
    }
}

/// A message as the memory transport kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
    pub message_id: String,
    /// The whole message as it would have gone over the wire.
    pub raw: Vec<u8>,
}

/// The messages the memory transport "sent", oldest first. Managed in Rocket's state when
/// the configuration says `Memory`, so tests can read it.
#[derive(Debug, Clone, Default)]
pub struct MemoryMailbox(Arc<Mutex<Vec<SentMail>>>);

impl MemoryMailbox {
    pub fn messages(&self) -> Vec<SentMail> {
        self.lock().clone()
    }

    /// Returns the messages and empties the mailbox.
    pub fn take(&self) -> Vec<SentMail> {
        std::mem::take(&mut *self.lock())
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&self, mail: SentMail) {
        self.lock().push(mail);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SentMail>> {
        // A panic while holding the lock leaves a list that is still a valid list.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Clone)]
enum Transport {
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    Files(PathBuf),
    Memory(MemoryMailbox),
}

/// The sender and the way out. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Files(_) => "files",
            Transport::Memory(_) => "memory",
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &kind)
            .finish()
    }
}

impl Mailer {
    /// The mailer the configuration describes.
    pub fn from_config(config: &Config) -> Result<Mailer, String> {
        Mailer::new(&config.mail_from, &config.mail)
    }

    /// A mailer sending as `from` through `transport`. Fails on an invalid sender address or
    /// SMTP settings that cannot work.
    pub fn new(from: &str, transport: &MailTransportConfig) -> Result<Mailer, String> {
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| format!("mail_from {from:?} is geen geldig e-mailadres: {e}"))?;
        let transport = match transport {
            MailTransportConfig::Files(dir) => Transport::Files(dir.clone()),
            MailTransportConfig::Memory => Transport::Memory(MemoryMailbox::default()),
            MailTransportConfig::Smtp {
                host,
                port,
                tls,
                user,
                password,
            } => {
                let builder = match tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                        .map_err(|e| format!("SMTP-server {host}: {e}"))?,
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                        .map_err(|e| format!("SMTP-server {host}: {e}"))?,
                };
                let mut builder = builder.port(*port).timeout(Some(SMTP_TIMEOUT));
                if let Some(user) = user.as_deref().filter(|u| !u.is_empty()) {
                    builder = builder.credentials(Credentials::new(
                        user.to_string(),
                        password.clone().unwrap_or_default(),
                    ));
                }
                Transport::Smtp(Box::new(builder.build()))
            }
        };
        Ok(Mailer { from, transport })
    }

    /// The in-memory mailbox, when this mailer keeps messages in memory.
    pub fn memory_mailbox(&self) -> Option<&MemoryMailbox> {
        match &self.transport {
            Transport::Memory(mailbox) => Some(mailbox),
            _ => None,
        }
    }

    pub fn from_address(&self) -> &Mailbox {
        &self.from
    }

    /// Hands one outbox message over. Success means the SMTP server accepted it, the file
    /// is in place, or the memory mailbox holds it.
    pub async fn send(&self, outbox_id: &str, msg: &OutgoingMessage) -> Result<(), SendError> {
        let message = build_message(&self.from, outbox_id, msg)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::Files(dir) => {
                write_eml(dir, outbox_id, &message.formatted()).await?;
            }
            Transport::Memory(mailbox) => mailbox.push(SentMail {
                to: msg.to.clone(),
                subject: msg.subject.clone(),
                text: msg.text.clone(),
                html: msg.html.clone(),
                attachments: msg.attachments.clone(),
                message_id: message_id(outbox_id),
                raw: message.formatted(),
            }),
        }
        Ok(())
    }
}

/// The MIME message for an outbox row: text and HTML as multipart/alternative (text only when
/// there is no HTML), inside multipart/mixed with the attachments when there are any.
pub fn build_message(
    from: &Mailbox,
    outbox_id: &str,
    msg: &OutgoingMessage,
) -> Result<Message, SendError> {
    let to: Mailbox = msg
        .to
        .trim()
        .parse()
        .map_err(|e| SendError::Build(format!("ongeldige ontvanger: {e}")))?;
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(msg.subject.clone())
        .message_id(Some(message_id(outbox_id)));
    let body = if msg.html.is_empty() {
        Body::Single(SinglePart::plain(msg.text.clone()))
    } else {
        Body::Multi(MultiPart::alternative_plain_html(
            msg.text.clone(),
            msg.html.clone(),
        ))
    };
    let message = if msg.attachments.is_empty() {
        match body {
            Body::Single(part) => builder.singlepart(part),
            Body::Multi(part) => builder.multipart(part),
        }
    } else {
        let mut mixed = match body {
            Body::Single(part) => MultiPart::mixed().singlepart(part),
            Body::Multi(part) => MultiPart::mixed().multipart(part),
        };
        for attachment in &msg.attachments {
            let content_type = ContentType::parse(&attachment.content_type).map_err(|e| {
                SendError::Build(format!(
                    "bijlage {}: ongeldig MIME-type: {e}",
                    attachment.filename
                ))
            })?;
            mixed = mixed.singlepart(
                lettre::message::Attachment::new(attachment.filename.clone())
                    .body(attachment.bytes.clone(), content_type),
            );
        }
        builder.multipart(mixed)
    };
    message.map_err(|e| SendError::Build(e.to_string()))
}

enum Body {
    Single(SinglePart),
    Multi(MultiPart),
}

/// Writes `<id>.eml` into `dir` (made when missing) through a temporary file and a rename,
/// so a reader never sees half a message and a second attempt replaces the first.
async fn write_eml(dir: &Path, outbox_id: &str, bytes: &[u8]) -> Result<(), SendError> {
    if outbox_id.is_empty()
        || !outbox_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(SendError::Build(format!(
            "outbox-id {outbox_id:?} is geen geldige bestandsnaam"
        )));
    }
    tokio::fs::create_dir_all(dir).await?;
    let target = dir.join(format!("{outbox_id}.eml"));
    let temporary = dir.join(format!(".{outbox_id}.eml.tmp"));
    let result = async {
        let mut file = tokio::fs::File::create(&temporary).await?;
        tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&temporary, &target).await?;
        // The rename itself must reach the disk before the row is marked sent.
        #[cfg(unix)]
        tokio::fs::File::open(dir).await?.sync_all().await?;
        Ok::<(), std::io::Error>(())
    }
    .await;
    if result.is_err() {
        tokio::fs::remove_file(&temporary).await.ok();
    }
    Ok(result?)
}

/// Sends with a time limit over the whole hand-over, so one attempt never outlives its lease.
pub(crate) async fn send_within(
    mailer: &Mailer,
    limit: Duration,
    outbox_id: &str,
    msg: &OutgoingMessage,
) -> Result<(), SendError> {
    match tokio::time::timeout(limit, mailer.send(outbox_id, msg)).await {
        Ok(result) => result,
        Err(_) => Err(SendError::Timeout(limit.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        "plusmarkt@wsd.example".parse().unwrap()
    }

    #[test]
    fn message_id_is_derived_from_the_outbox_id() {
        let message = build_message(
            &from(),
            "0b4c-42",
            &OutgoingMessage {
                to: "a@b.example".into(),
                subject: "Onderwerp".into(),
                text: "tekst".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <0b4c-42@plusmarkt>"), "{raw}");
        assert!(raw.contains("Content-Type: text/plain"), "{raw}");
        assert!(!raw.contains("multipart"), "{raw}");
    }

    #[test]
    fn html_and_attachments_make_multipart_messages() {
        let message = build_message(
            &from(),
            "id-1",
            &OutgoingMessage {
                to: "Gemeente Boxtel <financien@boxtel.example>".into(),
                subject: "Factuur".into(),
                text: "tekst".into(),
                html: "<p>tekst</p>".into(),
                attachments: vec![Attachment {
                    filename: "factuur.pdf".into(),
                    content_type: "application/pdf".into(),
                    bytes: vec![0, 1, 2],
                }],
                ..Default::default()
            },
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        assert!(raw.contains("filename=\"factuur.pdf\""), "{raw}");
        assert!(raw.contains("From: plusmarkt@wsd.example"), "{raw}");
    }

    #[test]
    fn an_invalid_sender_is_refused_at_start() {
        assert!(Mailer::new("geen adres", &MailTransportConfig::Memory).is_err());
        let mailer = Mailer::new("plusmarkt@wsd.example", &MailTransportConfig::Memory).unwrap();
        assert!(mailer.memory_mailbox().is_some());
    }

    #[test]
    fn summaries_hold_no_addresses() {
        let error = SendError::Build("ongeldige ontvanger: j.devries@example.org".into());
        assert!(!error.summary().contains('@'));
    }
}
