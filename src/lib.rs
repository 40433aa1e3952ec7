//! plusmarkt: the marketplace and contract engine for WSD's plusdiensten.
//!
//! `build(config)` connects and migrates the database, loads demo data on an empty one,
//! and assembles Rocket with its state, routes and catchers.

pub mod api;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod entities;
pub mod error;
pub mod export;
pub mod mail;
pub mod security;
pub mod services;
pub mod store;
pub mod telemetry;
pub mod views;
pub mod web;

use rocket::{Build, Rocket};
use sea_orm::DatabaseConnection;

pub use config::Config;

/// mimalloc instead of the C library's malloc for every binary built on this crate (the
/// server, its tests, the benchmarks). The invoice run and the API allocate many small,
/// short-lived values per row and request (decoded columns, ids, JSON); `perf` put a
/// fifth of the run's samples in glibc's malloc and free. Figures in benches/ANALYSIS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What `build` found and did on start-up, for the command line to report.
#[derive(Debug, Default)]
pub struct StartReport {
    pub demo_users_created: bool,
    pub catalogue_imported: Option<services::catalogue::ImportReport>,
}

/// An error with its field errors, for the terminal.
pub fn describe_error(context: &str, error: &error::AppError) -> String {
    let mut text = format!("{context}: {error}");
    for field in error.field_errors() {
        text.push_str(&format!("\n  {}: {}", field.field, field.message));
    }
    text
}

/// Connects, migrates, seeds and returns the database.
pub async fn prepare_database(
    config: &Config,
) -> Result<(DatabaseConnection, StartReport), String> {
    let db = store::db::connect(&config.database_url)
        .await
        .map_err(|e| format!("database {}: {e}", redact_url(&config.database_url)))?;
    store::db::migrate(&db).await?;
    let catalogue =
        services::catalogue::CatalogueSource::configured(config.catalogue_dir.as_deref());
    let catalogue_imported = services::catalogue::ensure_imported(&db, &catalogue)
        .await
        .map_err(|e| {
            describe_error(&format!("catalogus importeren uit {catalogue} mislukt"), &e)
        })?;
    views::municipalities::remember_names(&db)
        .await
        .map_err(|e| describe_error("gemeenten lezen mislukt", &e))?;
    // The seller on invoices is the provider row; configured seller keys seed WSD's,
    // after the catalogue (whose providers file names WSD too), so that configuration wins.
    store::providers::apply_seller_settings(&db, &config.seller)
        .await
        .map_err(|e| {
            describe_error(
                "verkopergegevens (PLUSMARKT_SELLER_*) toepassen mislukt",
                &e,
            )
        })?;
    let demo_users_created = if config.demo {
        services::demo::ensure_demo_contracts(&db, &config.clock, config.demo_history)
            .await
            .map_err(|e| describe_error("democontracten aanmaken mislukt", &e))?;
        let created = services::demo::ensure_demo_users(&db)
            .await
            .map_err(|e| format!("demo-accounts aanmaken mislukt: {e}"))?;
        if config.demo_history {
            services::demo_history::ensure_demo_history(&db, config)
                .await
                .map_err(|e| describe_error("demogeschiedenis aanmaken mislukt", &e))?;
        }
        created
    } else {
        false
    };
    Ok((
        db,
        StartReport {
            demo_users_created,
            catalogue_imported,
        },
    ))
}

/// Assembles Rocket on a prepared database.
pub fn rocket_with(config: Config, db: DatabaseConnection) -> Rocket<Build> {
    rocket::custom(config.rocket_figment.clone())
        .manage(db)
        .manage(auth::ratelimit::LoginLimiter::default())
        .manage(views::catalogue_cache::CatalogueCache::default())
        .manage(crypto::bsn_vault::BsnVault::new(&config.bsn_key))
        .manage(config.clock)
        .manage(services::sign_on::SignOn::new(
            config.oidc.as_ref(),
            &config.public_url,
        ))
        .manage(config)
        .attach(security::SecurityHeaders)
        .attach(security::AccessLog)
        // Builds and manages the mailer (and, in tests, its memory mailbox) on ignite and
        // sends the outbox in the background from liftoff to shutdown.
        .attach(mail::MailWorker::new(mail::WorkerConfig::default()))
        .mount("/", api::routes())
        .mount("/", web::routes())
        .register("/", web::catchers())
}

/// Everything `serve` needs: database, migrations, demo data, Rocket.
pub async fn build(config: Config) -> Result<(Rocket<Build>, StartReport), String> {
    let (db, report) = prepare_database(&config).await?;
    Ok((rocket_with(config, db), report))
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}
