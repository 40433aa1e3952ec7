//! Sending what the outbox holds: `send_due` claims each due message, hands it over and
//! records the outcome; `MailWorker` runs it every few seconds while Rocket runs.
//!
//! Several servers may share one PostgreSQL database: a message is claimed by a conditional
//! UPDATE before it is sent, so only one of them sends it. A claim is a lease: a worker that
//! dies mid-send leaves the row `sending`, and once the lease has ended it is due again (the
//! stable Message-ID lets the recipient's mail system recognise a repeat). A failed attempt
//! is retried after an exponential backoff, without end: messages are never dropped.
//!
//! Log events name outbox ids and error kinds only: never addresses, subjects or bodies.

use std::sync::Mutex;
use std::time::Duration;

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::futures::FutureExt;
use rocket::{Build, Orbit, Rocket, Shutdown};
use sea_orm::DatabaseConnection;

use super::outbox::{self, later, now_micros};
use super::transport::{send_within, Mailer, SendError};
use crate::config::Config;
use crate::error::AppResult;
use crate::store;

/// How the worker paces itself. `Default` is what the server uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Time between two runs of `send_due` in the background.
    pub interval: Duration,
    /// How long a claimed message belongs to the worker that claimed it.
    pub lease: Duration,
    /// The longest one hand-over may take; well below `lease`.
    pub send_timeout: Duration,
    /// The wait after the first failed attempt; it doubles with every further failure...
    pub backoff_base: Duration,
    /// ...up to this.
    pub backoff_max: Duration,
    /// The most messages one run handles; the rest wait for the next run.
    pub batch_size: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            interval: Duration::from_secs(2),
            lease: Duration::from_secs(5 * 60),
            send_timeout: Duration::from_secs(90),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(15 * 60),
            batch_size: 50,
        }
    }
}

impl WorkerConfig {
    /// The wait after the `attempts`-th failed attempt: base, 2×base, 4×base … capped.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = attempts.saturating_sub(1).clamp(0, 31) as u32;
        self.backoff_base
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.backoff_max)
            .min(self.backoff_max)
    }
}

/// What one run of `send_due` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    /// Messages handed over.
    pub sent: usize,
    /// Messages whose attempt failed; they are pending again, due after the backoff.
    pub failed: usize,
}

/// Sends the messages that are due now, claiming them one at a time. Messages claimed by
/// another worker meanwhile are left to it. A database error ends the run; what was claimed
/// and not recorded is due again when its lease ends.
pub async fn send_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    config: &WorkerConfig,
) -> AppResult<SendReport> {
    send_due_while(db, mailer, config, || true).await
}

async fn send_due_while(
    db: &DatabaseConnection,
    mailer: &Mailer,
    config: &WorkerConfig,
    keep_going: impl Fn() -> bool,
) -> AppResult<SendReport> {
    let mut report = SendReport::default();
    for id in outbox::due_ids(db, now_micros(), config.batch_size).await? {
        if !keep_going() {
            break;
        }
        let now = now_micros();
        // Each write takes its turn in the queue of writers (on SQLite): a bare UPDATE would
        // take the file's write lock past the queue, and the request that met it slept in
        // SQLite's busy handler (measured: ~1.3 ms per order placed).
        let txn = store::db::begin_write(db).await?;
        let claimed = outbox::claim(&txn, &id, now, later(now, config.lease)).await?;
        txn.commit().await?;
        let Some(row) = claimed else {
            continue;
        };
        let result = match outbox::message_of(&row) {
            Ok(message) => send_within(mailer, config.send_timeout, &row.id, &message).await,
            Err(e) => Err(SendError::Build(e)),
        };
        match result {
            Ok(()) => {
                let txn = store::db::begin_write(db).await?;
                let marked = outbox::mark_sent(&txn, &row.id, row.attempts, now_micros()).await?;
                txn.commit().await?;
                if !marked {
                    tracing::warn!(
                        outbox_id = %row.id,
                        "e-mail sent, but the lease had ended and another worker claimed it; \
                         it may be sent twice (same Message-ID)"
                    );
                }
                tracing::info!(outbox_id = %row.id, attempt = row.attempts, "e-mail sent");
                report.sent += 1;
            }
            Err(error) => {
                let wait = config.backoff(row.attempts);
                let txn = store::db::begin_write(db).await?;
                outbox::mark_failed(
                    &txn,
                    &row.id,
                    row.attempts,
                    &error.to_string(),
                    later(now_micros(), wait),
                )
                .await?;
                txn.commit().await?;
                tracing::warn!(
                    outbox_id = %row.id,
                    attempt = row.attempts,
                    error = %error.summary(),
                    retry_in_secs = wait.as_secs(),
                    "e-mail attempt failed"
                );
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The Rocket fairing that sets up e-mail: on ignite it builds the [`Mailer`] from the
/// managed [`Config`] (unless one is managed already) and manages it, with its
/// [`MemoryMailbox`](super::MemoryMailbox) when mail stays in memory; on liftoff it starts
/// the background loop; on shutdown it lets the current message finish.
pub struct MailWorker {
    config: WorkerConfig,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl MailWorker {
    pub fn new(config: WorkerConfig) -> MailWorker {
        MailWorker {
            config,
            task: Mutex::new(None),
        }
    }
}

impl Default for MailWorker {
    fn default() -> Self {
        MailWorker::new(WorkerConfig::default())
    }
}

#[rocket::async_trait]
impl Fairing for MailWorker {
    fn info(&self) -> Info {
        Info {
            name: "e-mail outbox worker",
            kind: Kind::Ignite | Kind::Liftoff | Kind::Shutdown,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        if rocket.state::<Mailer>().is_some() {
            return Ok(rocket);
        }
        let Some(config) = rocket.state::<Config>() else {
            tracing::error!("e-mail cannot be set up: no configuration in Rocket's state");
            return Err(rocket);
        };
        match Mailer::from_config(config) {
            Ok(mailer) => {
                let rocket = match mailer.memory_mailbox() {
                    Some(mailbox) => rocket.manage(mailbox.clone()),
                    None => rocket,
                };
                Ok(rocket.manage(mailer))
            }
            Err(message) => {
                tracing::error!(error = %message, "e-mail cannot be set up");
                Err(rocket)
            }
        }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let (Some(db), Some(mailer)) = (
            rocket.state::<DatabaseConnection>(),
            rocket.state::<Mailer>(),
        ) else {
            tracing::warn!("no database or mailer in Rocket's state; the outbox is not sent");
            return;
        };
        let task = tokio::spawn(run(
            db.clone(),
            mailer.clone(),
            self.config.clone(),
            rocket.shutdown(),
        ));
        if let Ok(mut slot) = self.task.lock() {
            *slot = Some(task);
        }
    }

    async fn on_shutdown(&self, _rocket: &Rocket<Orbit>) {
        let task = self.task.lock().ok().and_then(|mut slot| slot.take());
        if let Some(task) = task {
            let grace = self.config.send_timeout + Duration::from_secs(5);
            if tokio::time::timeout(grace, task).await.is_err() {
                tracing::warn!(
                    "the e-mail worker did not stop in time; an unfinished message is sent again later"
                );
            }
        }
    }
}

/// Runs `send_due` every `interval` (the first time at once) until Rocket shuts down; a run
/// in progress stops after its current message.
async fn run(db: DatabaseConnection, mailer: Mailer, config: WorkerConfig, shutdown: Shutdown) {
    let mut ticker = tokio::time::interval(config.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopped = shutdown.clone();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = ticker.tick() => {
                let keep_going = || shutdown.clone().now_or_never().is_none();
                if let Err(e) = send_due_while(&db, &mailer, &config, keep_going).await {
                    let cause = match &e {
                        crate::error::AppError::Database(db_error) => db_error.to_string(),
                        other => other.to_string(),
                    };
                    tracing::warn!(error = %cause, "outbox run failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_up_to_fifteen_minutes() {
        let config = WorkerConfig::default();
        let waits: Vec<u64> = (1..=10).map(|n| config.backoff(n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
        assert_eq!(config.backoff(0).as_secs(), 5);
        assert_eq!(config.backoff(i32::MAX).as_secs(), 900);
    }
}
