//! Outgoing e-mail. A use case writes its message into the outbox table inside its own
//! transaction ([`enqueue`]), so the state change, its audit record and its e-mail commit
//! together or not at all; the worker ([`send_due`], run by the [`MailWorker`] fairing) sends
//! what is due through the configured transport (SMTP, .eml files, or memory in tests),
//! retrying until the message is taken.

pub mod messages;
pub mod outbox;
pub mod transport;
pub mod worker;

pub use outbox::{enqueue, Attachment, OutgoingMessage};
pub use transport::{message_id, Mailer, MemoryMailbox, SendError, SentMail};
pub use worker::{send_due, MailWorker, SendReport, WorkerConfig};
