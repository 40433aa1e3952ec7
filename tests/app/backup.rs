//! `plusmarkt backup FILE`: a consistent copy of a live SQLite database taken while it is
//! written to, restorable and intact; PostgreSQL and existing files are refused.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use plusmarkt::store::backup::{backup, BackupError};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::harness::*;
use crate::ordering::register;

/// A valid BSN (elfproef) for each `i`; distinct for distinct `i`.
pub fn bsn(i: u32) -> String {
    let mut n = 10_000_000 + i * 8;
    loop {
        let digits = format!("{n:08}");
        let sum: u32 = digits
            .bytes()
            .zip((2..=9).rev())
            .map(|(b, w)| w * u32::from(b - b'0'))
            .sum();
        if sum % 11 < 10 && sum >= 11 {
            return format!("{digits}{}", sum % 11);
        }
        n += 1;
    }
}

async fn count(db: &sea_orm::DatabaseConnection, query: &str) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        query.to_string(),
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap()
}

fn temp_file(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "plusmarkt-{name}-{}.sqlite",
        uuid::Uuid::new_v4().simple()
    ))
}

#[rocket::async_test]
async fn a_backup_taken_while_clients_are_registered_is_consistent() {
    let app = TestApp::on_sqlite_file().await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let target = temp_file("backup");
    let acknowledged = AtomicUsize::new(0);
    let backed_up = AtomicBool::new(false);
    // Registers clients (each a client row and its audit event, in one transaction) until
    // a while after the backup.
    let writer = async {
        let mut after_backup = 0;
        for i in 0..2000 {
            register(&app, &cm, &bsn(i), &format!("Klant {i}")).await;
            acknowledged.fetch_add(1, Ordering::SeqCst);
            if backed_up.load(Ordering::SeqCst) {
                after_backup += 1;
                if after_backup == 10 {
                    break;
                }
            }
        }
    };
    let copy = async {
        while acknowledged.load(Ordering::SeqCst) < 25 {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let before = acknowledged.load(Ordering::SeqCst);
        let bytes = backup(&app.db, &target).await.expect("backup");
        let after = acknowledged.load(Ordering::SeqCst);
        backed_up.store(true, Ordering::SeqCst);
        (before, after, bytes)
    };
    let ((), (before, after, bytes)) = futures::future::join(writer, copy).await;
    assert!(bytes > 0);
    eprintln!(
        "backup: {bytes} bytes, taken after {before} and before {} acknowledged registrations",
        after + 1
    );

    let restored = plusmarkt::store::db::connect(&format!("sqlite://{}", target.display()))
        .await
        .expect("the backup opens");
    let findings = plusmarkt::store::audit::verify(&restored).await.unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    let integrity = plusmarkt::services::integrity::check(&restored)
        .await
        .unwrap();
    assert!(integrity.is_empty(), "{integrity:?}");
    let clients = count(
        &restored,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM clients",
    )
    .await;
    let created = count(
        &restored,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = 'client.create'",
    )
    .await;
    assert_eq!(clients, created, "every client with its audit event");
    // Everything acknowledged before the backup began is in it; nothing begun after it
    // ended (one registration may have been in flight).
    assert!(clients as usize >= before, "{clients} < {before}");
    assert!(clients as usize <= after + 1, "{clients} > {after} + 1");
    let live = count(&app.db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM clients").await;
    assert!(live > clients, "writing went on after the backup");
    let users = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users";
    assert_eq!(count(&restored, users).await, count(&app.db, users).await);
    assert_eq!(
        count(&restored, users).await as usize,
        plusmarkt::services::demo::DEMO_USERS.len(),
        "every demo user"
    );
    restored.close().await.ok();
    std::fs::remove_file(&target).ok();
}

#[rocket::async_test]
async fn a_backup_refuses_an_existing_file_and_postgresql() {
    let app = TestApp::new().await;
    let target = temp_file("exists");
    std::fs::write(&target, b"niet overschrijven").unwrap();
    let error = backup(&app.db, &target).await.unwrap_err();
    if app.db.get_database_backend() == DbBackend::Postgres {
        assert!(matches!(error, BackupError::NotSqlite), "{error}");
        assert!(error.to_string().contains("pg_dump"), "{error}");
    } else {
        assert!(matches!(error, BackupError::Exists(_)), "{error}");
        assert!(error.to_string().contains("bestaat al"), "{error}");
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"niet overschrijven");
    std::fs::remove_file(&target).ok();
}
