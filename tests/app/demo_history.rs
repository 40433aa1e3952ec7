//! The demo history: with `demo_history` on, a first start places orders in the nine months
//! before the current one and registers their starts, hours and completions, so that the
//! offers show indicators for both demo providers; it runs, sends, pays and credits the
//! invoices of those months, and agrees next year's contracts, so that the demo lives on
//! any day of the year. A second start adds nothing.

use chrono::{Datelike, NaiveDate};
use rocket::http::Status;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

use crate::harness::*;
use plusmarkt::entities::trajectory;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The app on 6 December 2026 with the demo history.
async fn app_with_history() -> TestApp {
    TestApp::with_config(|c| {
        c.demo_history = true;
        c.clock = plusmarkt::domain::clock::Clock::on_date(d(2026, 12, 6));
    })
    .await
}

fn offer<'a>(offers: &'a [Value], code: &str) -> &'a Value {
    offers
        .iter()
        .find(|o| o["product_code"] == code)
        .unwrap_or_else(|| panic!("{code} offered"))
}

#[rocket::async_test]
async fn a_first_start_with_history_shows_indicators_of_both_providers() {
    let app = app_with_history().await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;

    for (service, wsd, werkpad) in [
        ("jobcoaching", "JOBCOACH-UUR", "WP-JOBCOACH-UUR"),
        ("werkfit", "REI-WERKFIT", "WP-WERKFIT"),
        ("diagnose", "DIAG-BREEDINTAKE", "WP-DIAGNOSE"),
    ] {
        let reply = app
            .get(&cm, &format!("/api/v1/offers?service={service}"))
            .await;
        assert_eq!(reply.status, Status::Ok, "{}", reply.body);
        let offers = reply.json()["items"].as_array().unwrap().clone();
        let (w, p) = (offer(&offers, wsd), offer(&offers, werkpad));
        assert_eq!(w["provider"]["code"], "WSD");
        assert_eq!(p["provider"]["code"], "WERKPAD");
        for o in [w, p] {
            let i = &o["indicators"];
            for figure in [
                "started",
                "completed",
                "goal_reached_share",
                "median_days_to_start",
                "median_weeks",
            ] {
                assert!(
                    !i[figure].is_null(),
                    "{figure} of {}: {i}",
                    o["product_code"]
                );
            }
            assert!(i["started"].as_u64().unwrap() >= 5, "{i}");
        }
        // The providers differ visibly: WSD starts sooner than Werkpad in every service.
        let days = |o: &Value| -> f64 {
            o["indicators"]["median_days_to_start"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(days(w) < days(p), "{service}: {} vs {}", days(w), days(p));
    }

    // Boxtel's trajectories: several, in several states, ordered in the past months.
    let list = app.all_items(&cm, "/api/v1/trajectories").await;
    assert!(list.len() >= 15, "{}", list.len());
    assert!(list.iter().all(|t| t["municipality"] == "GM0757"));
    let statuses: std::collections::BTreeSet<String> = list
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect();
    for status in ["completed", "started"] {
        assert!(statuses.contains(status), "{statuses:?}");
    }
    assert!(statuses.len() >= 3, "{statuses:?}");
    let created: Vec<chrono::DateTime<chrono::FixedOffset>> = list
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t["created_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(created.iter().all(|c| c.date_naive() < d(2026, 12, 6)));
    let earliest = created.iter().min().unwrap().date_naive();
    assert!(earliest < d(2026, 4, 1), "{earliest}");
    // The earliest order's planned start follows its order date, as ordered.
    let first = list
        .iter()
        .find(|t| {
            chrono::DateTime::parse_from_rfc3339(t["created_at"].as_str().unwrap())
                .unwrap()
                .date_naive()
                == earliest
        })
        .unwrap();
    if let Some(planned) = first["planned_start"].as_str() {
        assert!(planned.parse::<NaiveDate>().unwrap() > earliest, "{first}");
    }

    // Vught sees its own, not Boxtel's.
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    let theirs = app.all_items(&vught, "/api/v1/trajectories").await;
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|t| t["municipality"] == "GM0865"));

    // A second start adds nothing.
    let before = trajectory::Entity::find().count(&app.db).await.unwrap();
    let mut config = plusmarkt::Config::for_tests(&app.database_url);
    config.demo = true;
    config.demo_history = true;
    config.clock = plusmarkt::domain::clock::Clock::on_date(d(2026, 12, 7));
    let again = plusmarkt::services::demo_history::ensure_demo_history(&app.db, &config)
        .await
        .unwrap();
    assert!(!again);
    assert_eq!(
        trajectory::Entity::find().count(&app.db).await.unwrap(),
        before
    );
}

#[rocket::async_test]
async fn a_second_start_on_the_same_database_adds_no_history() {
    let path = std::env::temp_dir().join(format!(
        "plusmarkt-test-{}.sqlite",
        uuid::Uuid::new_v4().simple()
    ));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut config = plusmarkt::Config::for_tests(&url);
    config.demo = true;
    config.demo_history = true;
    config.clock = plusmarkt::domain::clock::Clock::on_date(d(2026, 6, 10));
    let (db, _) = plusmarkt::prepare_database(&config).await.unwrap();
    let first = trajectory::Entity::find().count(&db).await.unwrap();
    assert!(first > 0);
    db.close().await.ok();
    let (db, _) = plusmarkt::prepare_database(&config).await.unwrap();
    assert_eq!(trajectory::Entity::find().count(&db).await.unwrap(), first);
    db.close().await.ok();
    std::fs::remove_file(&path).ok();
}

#[rocket::async_test]
async fn without_the_setting_the_demo_has_no_trajectories() {
    let app = TestApp::on_date(d(2026, 12, 6)).await;
    assert_eq!(trajectory::Entity::find().count(&app.db).await.unwrap(), 0);
}

/// On any day, a first start with history leaves every role something to see: contracts
/// for this year and the next, trajectories in every status, a corrected registration,
/// invoices final, sent, paid and credited, and last month left for finance to run.
#[rocket::async_test]
async fn the_demo_lives_on_any_day_of_the_year() {
    use plusmarkt::domain::contract::ContractStatus;
    use plusmarkt::domain::invoice::{InvoiceKind, InvoiceStatus};
    use plusmarkt::domain::period::Period;
    use plusmarkt::domain::trajectory::Status as TStatus;
    use plusmarkt::entities::{contract, delivery, invoice};

    for today in [
        d(2026, 12, 6),
        d(2027, 1, 4),
        d(2027, 2, 27),
        d(2026, 7, 15),
    ] {
        let path = std::env::temp_dir().join(format!(
            "plusmarkt-test-{}.sqlite",
            uuid::Uuid::new_v4().simple()
        ));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut config = plusmarkt::Config::for_tests(&url);
        config.demo = true;
        config.demo_history = true;
        config.clock = plusmarkt::domain::clock::Clock::on_date(today);
        let (db, _) = plusmarkt::prepare_database(&config)
            .await
            .unwrap_or_else(|e| panic!("{today}: {e}"));

        let contracts = contract::Entity::find().all(&db).await.unwrap();
        for year in [today.year(), today.year() + 1] {
            for provider in ["WSD", "WERKPAD"] {
                assert!(
                    contracts.iter().any(|c| c.valid_from.year() == year
                        && c.provider_code == provider
                        && c.status == ContractStatus::Active),
                    "{today}: an active {provider} contract for {year}"
                );
            }
        }

        let statuses: std::collections::HashSet<TStatus> = trajectory::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .iter()
            .map(|t| t.status)
            .collect();
        assert_eq!(
            statuses,
            TStatus::ALL
                .into_iter()
                .collect::<std::collections::HashSet<_>>(),
            "{today}: every status"
        );
        let deliveries = delivery::Entity::find().all(&db).await.unwrap();
        assert!(
            deliveries.iter().any(|d| d.corrects_id.is_some()),
            "{today}: a corrected registration"
        );

        let invoices = invoice::Entity::find().all(&db).await.unwrap();
        let last_month = Period::of(today).prev().to_string();
        assert!(invoices.iter().all(|i| i.status != InvoiceStatus::Draft));
        assert!(
            invoices.iter().all(|i| i.period != last_month),
            "{today}: last month is left to run"
        );
        for status in [InvoiceStatus::Sent, InvoiceStatus::Paid] {
            assert!(
                invoices
                    .iter()
                    .any(|i| i.kind == InvoiceKind::Invoice && i.status == status),
                "{today}: an invoice {status:?}"
            );
        }
        for provider in ["WSD", "WERKPAD"] {
            assert!(
                invoices.iter().any(|i| i.provider_code == provider),
                "{today}: {provider} invoiced"
            );
        }
        assert!(
            invoices
                .iter()
                .any(|i| i.kind == InvoiceKind::CreditNote && i.reason.is_some()),
            "{today}: a credit note"
        );
        db.close().await.ok();
        std::fs::remove_file(&path).ok();
    }
}
