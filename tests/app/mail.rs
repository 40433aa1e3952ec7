//! The e-mail outbox: written in the caller's transaction, sent by the worker through SMTP
//! (a real server on loopback, tests/app/smtp_server.rs), .eml files or memory; retried
//! until taken, and never sent twice by two workers.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use mail_parser::{MessageParser, MimeHeaders};
use plusmarkt::auth::Principal;
use plusmarkt::config::{MailTransportConfig, SmtpTls};
use plusmarkt::domain::outbox::OutboxStatus;
use plusmarkt::entities::{audit_event, outbox};
use plusmarkt::mail::{
    enqueue, send_due, Attachment, Mailer, MemoryMailbox, OutgoingMessage, SendReport, WorkerConfig,
};
use plusmarkt::store::db::begin_write;
use plusmarkt::Config;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};

use crate::harness::*;
use crate::smtp_server::SmtpServer;

const FROM: &str = "plusmarkt@wsd.example";

/// A fresh, migrated database without Rocket (so no background worker competes for rows).
async fn outbox_db() -> DatabaseConnection {
    let url = fresh_database_url().await;
    let (db, _) = plusmarkt::prepare_database(&Config::for_tests(&url))
        .await
        .expect("prepare database");
    db
}

fn smtp_mailer(port: u16) -> Mailer {
    Mailer::new(
        FROM,
        &MailTransportConfig::Smtp {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            user: None,
            password: None,
        },
    )
    .expect("SMTP mailer")
}

fn pdf_bytes() -> Vec<u8> {
    // Every byte value, several times over: survives only a faithful encoding.
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(5000));
    bytes
}

fn invoice_mail(number: usize) -> OutgoingMessage {
    OutgoingMessage {
        to: "Gemeente Boxtel <financien@boxtel.example>".into(),
        subject: format!("Factuur 2026-{number:06} – één bijlage, € 1.234,56"),
        text: format!(
            "Beste collega,\n\nIn de bijlage vindt u factuur 2026-{number:06} over € 1.234,56.\n\
             .Deze regel begint met een punt.\n\nMet vriendelijke groet,\nWSD"
        ),
        html: format!(
            "<p>Beste collega,</p>\n<p>In de bijlage vindt u factuur \
             <strong>2026-{number:06}</strong> over € 1.234,56.</p>"
        ),
        attachments: vec![
            Attachment {
                filename: format!("factuur-2026-{number:06}.pdf"),
                content_type: "application/pdf".into(),
                bytes: pdf_bytes(),
            },
            Attachment {
                filename: "specificatie.csv".into(),
                content_type: "text/csv".into(),
                bytes: b"product;aantal\r\nREI-WERKFIT;1\r\n".to_vec(),
            },
        ],
        related_entity: Some("invoice".into()),
        related_id: Some(format!("inv-{number}")),
    }
}

async fn enqueue_committed(db: &DatabaseConnection, message: OutgoingMessage) -> String {
    let txn = begin_write(db).await.unwrap();
    let id = enqueue(&txn, message).await.unwrap();
    txn.commit().await.unwrap();
    id
}

async fn row(db: &DatabaseConnection, id: &str) -> outbox::Model {
    outbox::Entity::find_by_id(id.to_string())
        .one(db)
        .await
        .unwrap()
        .expect("outbox row")
}

/// Makes every pending message due now, as if its backoff had passed.
async fn let_backoff_pass(db: &DatabaseConnection) {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(outbox::Column::Status.eq("pending"))
        .exec(db)
        .await
        .unwrap();
}

fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// How often each Message-ID arrived at the server.
fn arrivals(server: &SmtpServer) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for received in server.received() {
        let parsed = MessageParser::default()
            .parse(&received.data)
            .expect("a parseable message");
        let id = parsed.message_id().expect("a Message-ID").to_string();
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

fn expected_message_id(outbox_id: &str) -> String {
    // mail-parser gives the Message-ID without its angle brackets.
    format!("{outbox_id}@plusmarkt")
}

/// Checks a parsed message against what was enqueued: headers, both bodies, attachments.
fn assert_same_message(raw: &[u8], outbox_id: &str, sent: &OutgoingMessage) {
    let parsed = MessageParser::default()
        .parse(raw)
        .expect("a parseable message");
    assert_eq!(parsed.subject(), Some(sent.subject.as_str()));
    assert_eq!(
        parsed.message_id(),
        Some(expected_message_id(outbox_id).as_str())
    );
    assert_eq!(
        parsed
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some(FROM)
    );
    let to = parsed.to().and_then(|a| a.first()).expect("a To header");
    assert_eq!(to.address(), Some("financien@boxtel.example"));
    assert_eq!(to.name(), Some("Gemeente Boxtel"));

    let root = parsed.root_part().content_type().expect("a content type");
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("mixed")));
    assert_eq!(parsed.text_body_count(), 1);
    assert_eq!(parsed.html_body_count(), 1);
    let text_part = parsed.text_part(0).expect("a text part");
    assert!(!text_part.is_text_html(), "the text part is text/plain");
    assert_eq!(
        normalise(text_part.text_contents().unwrap()),
        normalise(&sent.text)
    );
    let html_part = parsed.html_part(0).expect("an HTML part");
    assert!(html_part.is_text_html());
    assert_eq!(
        normalise(html_part.text_contents().unwrap()),
        normalise(&sent.html)
    );

    assert_eq!(parsed.attachment_count(), sent.attachments.len());
    for (part, expected) in parsed.attachments().zip(&sent.attachments) {
        assert_eq!(part.attachment_name(), Some(expected.filename.as_str()));
        let content_type = part.content_type().expect("attachment content type");
        assert_eq!(
            format!(
                "{}/{}",
                content_type.ctype(),
                content_type.subtype().unwrap_or("")
            ),
            expected.content_type
        );
        assert_eq!(
            part.contents(),
            &expected.bytes[..],
            "attachment {} decodes to the bytes enqueued",
            expected.filename
        );
    }
}

#[rocket::async_test]
async fn enqueued_mail_arrives_at_the_smtp_server_with_both_parts_and_attachments_intact() {
    let db = outbox_db().await;
    let server = SmtpServer::start().await;
    let mailer = smtp_mailer(server.port());
    let message = invoice_mail(1);
    let id = enqueue_committed(&db, message.clone()).await;

    let stored = row(&db, &id).await;
    assert_eq!(stored.status, OutboxStatus::Pending);
    assert_eq!(stored.attempts, 0);
    assert_eq!(stored.related_entity.as_deref(), Some("invoice"));
    assert!(stored.attachments.contains("\"base64\""));

    let report = send_due(&db, &mailer, &WorkerConfig::default())
        .await
        .unwrap();
    assert_eq!(report, SendReport { sent: 1, failed: 0 });

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].mail_from, FROM);
    assert_eq!(received[0].rcpt_to, ["financien@boxtel.example"]);
    assert_same_message(&received[0].data, &id, &message);

    let sent = row(&db, &id).await;
    assert_eq!(sent.status, OutboxStatus::Sent);
    assert_eq!(sent.attempts, 1);
    assert!(sent.sent_at.is_some());
    assert_eq!(sent.last_error, None);

    // Sent is sent: another run hands nothing over.
    let report = send_due(&db, &mailer, &WorkerConfig::default())
        .await
        .unwrap();
    assert_eq!(report, SendReport::default());
    assert_eq!(server.received().len(), 1);
}

#[rocket::async_test]
async fn while_the_smtp_server_is_down_mail_stays_pending_and_arrives_once_when_it_is_back() {
    let db = outbox_db().await;
    let mut server = SmtpServer::start().await;
    let mailer = smtp_mailer(server.port());
    server.stop().await;
    let config = WorkerConfig::default();

    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(enqueue_committed(&db, invoice_mail(n)).await);
    }
    let before = Utc::now();
    let report = send_due(&db, &mailer, &config).await.unwrap();
    assert_eq!(report, SendReport { sent: 0, failed: 3 });
    for id in &ids {
        let pending = row(&db, id).await;
        assert_eq!(pending.status, OutboxStatus::Pending);
        assert_eq!(pending.attempts, 1);
        let error = pending.last_error.expect("the failure is recorded");
        assert!(error.starts_with("SMTP"), "{error}");
        // The first backoff is 5 seconds.
        assert!(pending.next_attempt_at >= before + chrono::Duration::seconds(4));
        assert!(pending.next_attempt_at <= Utc::now() + chrono::Duration::seconds(6));
    }
    assert_eq!(outbox::Entity::find().count(&db).await.unwrap(), 3);

    // During the backoff nothing is tried, even with the server back.
    server.restart().await;
    let report = send_due(&db, &mailer, &config).await.unwrap();
    assert_eq!(report, SendReport::default());
    assert!(server.received().is_empty());

    // A second failure doubles the wait.
    server.stop().await;
    let_backoff_pass(&db).await;
    let report = send_due(&db, &mailer, &config).await.unwrap();
    assert_eq!(report, SendReport { sent: 0, failed: 3 });
    for id in &ids {
        let pending = row(&db, id).await;
        assert_eq!(pending.attempts, 2);
        assert!(pending.next_attempt_at >= Utc::now() + chrono::Duration::seconds(8));
    }

    server.restart().await;
    let_backoff_pass(&db).await;
    let mut sent = 0;
    for _ in 0..4 {
        let report = send_due(&db, &mailer, &config).await.unwrap();
        assert_eq!(report.failed, 0);
        sent += report.sent;
    }
    assert_eq!(sent, 3);
    let counts = arrivals(&server);
    assert_eq!(counts.len(), 3, "{counts:?}");
    for id in &ids {
        assert_eq!(counts.get(&expected_message_id(id)), Some(&1), "{counts:?}");
        let done = row(&db, id).await;
        assert_eq!(done.status, OutboxStatus::Sent);
        assert_eq!(done.attempts, 3);
        assert!(done.sent_at.is_some());
    }
}

#[rocket::async_test]
async fn a_message_the_server_refuses_for_now_is_retried_and_arrives_once() {
    let db = outbox_db().await;
    let server = SmtpServer::start().await;
    let mailer = smtp_mailer(server.port());
    let id = enqueue_committed(&db, invoice_mail(7)).await;
    server.refuse_next(1);

    let report = send_due(&db, &mailer, &WorkerConfig::default())
        .await
        .unwrap();
    assert_eq!(report, SendReport { sent: 0, failed: 1 });
    let pending = row(&db, &id).await;
    assert_eq!(pending.status, OutboxStatus::Pending);
    let error = pending.last_error.unwrap();
    assert!(error.contains("451"), "{error}");

    let_backoff_pass(&db).await;
    for _ in 0..3 {
        send_due(&db, &mailer, &WorkerConfig::default())
            .await
            .unwrap();
    }
    assert_eq!(
        arrivals(&server),
        BTreeMap::from([(expected_message_id(&id), 1)])
    );
    assert_eq!(row(&db, &id).await.status, OutboxStatus::Sent);
}

#[rocket::async_test]
async fn two_workers_at_once_send_each_message_once() {
    let db = outbox_db().await;
    let server = SmtpServer::start().await;
    let mut ids = Vec::new();
    for n in 1..=12 {
        ids.push(enqueue_committed(&db, invoice_mail(n)).await);
    }
    // Two servers sharing the database: two mailers, two connections' worth of work at once.
    let (first, second) = (smtp_mailer(server.port()), smtp_mailer(server.port()));
    let config = WorkerConfig::default();
    let other_db = db.clone();
    let (a, b) = tokio::join!(
        send_due(&db, &first, &config),
        send_due(&other_db, &second, &config)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.failed + b.failed, 0);
    assert_eq!(a.sent + b.sent, 12, "{a:?} {b:?}");

    let counts = arrivals(&server);
    assert_eq!(counts.len(), 12);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    for id in &ids {
        let done = row(&db, id).await;
        assert_eq!((done.status.as_str(), done.attempts), ("sent", 1));
    }
    // And a third run finds nothing left.
    let report = send_due(&db, &first, &config).await.unwrap();
    assert_eq!(report, SendReport::default());
}

#[rocket::async_test]
async fn a_message_left_sending_by_a_crashed_worker_is_sent_again_after_its_lease() {
    let db = outbox_db().await;
    let server = SmtpServer::start().await;
    let mailer = smtp_mailer(server.port());
    let crashed = enqueue_committed(&db, invoice_mail(1)).await;
    let busy = enqueue_committed(&db, invoice_mail(2)).await;
    // One worker died mid-send (its lease has ended); another is still busy (lease running).
    for (id, lease_end) in [
        (&crashed, Utc::now() - chrono::Duration::seconds(1)),
        (&busy, Utc::now() + chrono::Duration::minutes(5)),
    ] {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value("sending"))
            .col_expr(outbox::Column::Attempts, Expr::value(1))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(lease_end))
            .filter(outbox::Column::Id.eq(id.as_str()))
            .exec(&db)
            .await
            .unwrap();
    }
    let report = send_due(&db, &mailer, &WorkerConfig::default())
        .await
        .unwrap();
    assert_eq!(report, SendReport { sent: 1, failed: 0 });
    assert_eq!(
        arrivals(&server),
        BTreeMap::from([(expected_message_id(&crashed), 1)])
    );
    let resent = row(&db, &crashed).await;
    assert_eq!((resent.status.as_str(), resent.attempts), ("sent", 2));
    let untouched = row(&db, &busy).await;
    assert_eq!(
        (untouched.status.as_str(), untouched.attempts),
        ("sending", 1)
    );
}

#[rocket::async_test]
async fn a_rolled_back_transaction_leaves_no_outbox_row_and_no_audit_event() {
    let app = TestApp::new().await;
    let actor = Principal::system("test");
    let audit_events = || {
        audit_event::Entity::find()
            .filter(audit_event::Column::Entity.eq("invoice"))
            .count(&app.db)
    };

    // The change fails after the mail was enqueued: the transaction is dropped uncommitted.
    {
        let txn = begin_write(&app.db).await.unwrap();
        plusmarkt::store::audit::append(&txn, &actor, "send", "invoice", "inv-1", None, None)
            .await
            .unwrap();
        let id = enqueue(&txn, invoice_mail(1)).await.unwrap();
        assert!(!id.is_empty());
        drop(txn);
    }
    assert_eq!(outbox::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(audit_events().await.unwrap(), 0);
    assert!(app.emails().await.is_empty());

    // An explicit rollback, too.
    let txn = begin_write(&app.db).await.unwrap();
    enqueue(&txn, invoice_mail(2)).await.unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(outbox::Entity::find().count(&app.db).await.unwrap(), 0);

    // Committed, the state change's audit event and its e-mail are there together.
    let txn = begin_write(&app.db).await.unwrap();
    plusmarkt::store::audit::append(&txn, &actor, "send", "invoice", "inv-3", None, None)
        .await
        .unwrap();
    let id = enqueue(&txn, invoice_mail(3)).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(audit_events().await.unwrap(), 1);
    let emails = app.emails().await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].message_id, format!("<{id}@plusmarkt>"));
    assert_eq!(emails[0].subject, invoice_mail(3).subject);
    assert_eq!(emails[0].attachments, invoice_mail(3).attachments);
    assert_same_message(&emails[0].raw, &id, &invoice_mail(3));
}

#[rocket::async_test]
async fn a_message_that_could_never_be_sent_is_refused_in_the_transaction() {
    let db = outbox_db().await;
    let txn = db.begin().await.unwrap();
    let error = enqueue(
        &txn,
        OutgoingMessage {
            to: "geen e-mailadres".into(),
            ..invoice_mail(1)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(error.status().code, 422);
    assert!(error.to_string().contains("to"), "{error}");
    txn.rollback().await.unwrap();
    assert_eq!(outbox::Entity::find().count(&db).await.unwrap(), 0);
}

#[rocket::async_test]
async fn the_files_transport_writes_readable_eml_files() {
    let db = outbox_db().await;
    let base = std::env::temp_dir().join(format!("plusmarkt-mail-{}", uuid::Uuid::new_v4()));
    let dir = base.join("mail");
    let mailer = Mailer::new(FROM, &MailTransportConfig::Files(dir.clone())).unwrap();
    let message = invoice_mail(5);
    let id = enqueue_committed(&db, message.clone()).await;
    let plain = enqueue_committed(
        &db,
        OutgoingMessage {
            to: "intake@wsd.example".into(),
            subject: "Nieuw traject".into(),
            text: "Er is een nieuw traject aangevraagd.".into(),
            ..Default::default()
        },
    )
    .await;

    let report = send_due(&db, &mailer, &WorkerConfig::default())
        .await
        .unwrap();
    assert_eq!(report, SendReport { sent: 2, failed: 0 });

    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected = vec![format!("{id}.eml"), format!("{plain}.eml")];
    expected.sort();
    assert_eq!(names, expected, "one .eml per message, no temporary files");

    let raw = std::fs::read(dir.join(format!("{id}.eml"))).unwrap();
    assert_same_message(&raw, &id, &message);

    let raw = std::fs::read(dir.join(format!("{plain}.eml"))).unwrap();
    let parsed = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.subject(), Some("Nieuw traject"));
    // A single-part body ends with the line break that closes its last line.
    assert_eq!(
        parsed.body_text(0).as_deref().map(str::trim_end),
        Some("Er is een nieuw traject aangevraagd.")
    );
    assert_eq!(parsed.attachment_count(), 0);
    assert_eq!(row(&db, &plain).await.status, OutboxStatus::Sent);

    std::fs::remove_dir_all(&base).ok();
}

#[rocket::async_test]
async fn the_background_worker_sends_the_outbox_while_rocket_runs() {
    let app = TestApp::new().await;
    let mailbox = app
        .client
        .rocket()
        .state::<MemoryMailbox>()
        .expect("tests keep mail in memory")
        .clone();
    let id = enqueue_committed(&app.db, invoice_mail(9)).await;
    // No send_due here: the fairing's loop (every 2 seconds) must pick it up.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while mailbox.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = mailbox.messages();
    assert_eq!(sent.len(), 1, "the worker sent the message");
    assert_eq!(sent[0].to, invoice_mail(9).to);
    assert_eq!(sent[0].message_id, format!("<{id}@plusmarkt>"));
    // The row is marked right after the hand-over.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while row(&app.db, &id).await.status != OutboxStatus::Sent
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(row(&app.db, &id).await.status, OutboxStatus::Sent);
}

#[rocket::async_test]
async fn the_background_worker_stops_when_rocket_shuts_down() {
    let TestApp { client, db, .. } = TestApp::new().await;
    let rocket = client.terminate().await;
    let mailer = rocket
        .state::<Mailer>()
        .expect("the mailer is managed")
        .clone();
    let id = enqueue_committed(&db, invoice_mail(4)).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mailbox = mailer.memory_mailbox().unwrap();
    assert!(mailbox.is_empty(), "no worker runs after shutdown");
    assert_eq!(row(&db, &id).await.status, OutboxStatus::Pending);
    // Nothing was lost: the next worker sends it.
    let report = send_due(&db, &mailer, &WorkerConfig::default())
        .await
        .unwrap();
    assert_eq!(report, SendReport { sent: 1, failed: 0 });
    assert_eq!(mailbox.len(), 1);
}
