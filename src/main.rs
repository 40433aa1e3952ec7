//! The command line: serve (the default), migrate, user add, user reset-2fa, token add,
//! catalogue, invoice, audit verify, check, backup.

use std::io::Read;
use std::path::PathBuf;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use plusmarkt::auth::Principal;
use plusmarkt::{services, store, Config};

#[derive(Parser)]
#[command(
    name = "plusmarkt",
    version,
    about = "Marktplaats en contractmotor voor de plusdiensten van WSD"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, load demo data into an empty database, and serve (the default).
    Serve,
    /// Apply pending database migrations and stop.
    Migrate,
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens for integrations.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The dienstenportfolio as TOML files.
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Invoice runs: a preview writes nothing, a run saves draft invoices.
    Invoice {
        #[command(subcommand)]
        command: InvoiceCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Check the integrity of the database: double billing, gapless invoice numbers, totals,
    /// final invoices unchanged, outbox, audit chain. Exits non-zero on any finding.
    Check,
    /// Write a consistent copy of the (live) SQLite database to FILE, which must not exist.
    /// For PostgreSQL use pg_dump -Fc.
    Backup {
        /// the new file, e.g. plusmarkt-2026-11-30.sqlite
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        /// casemanager, provider_staff (or wsd_staff), pricing, finance or admin
        #[arg(long)]
        role: String,
        /// CBS code (GMxxxx), for casemanagers
        #[arg(long)]
        municipality: Option<String>,
        /// provider code, for pricing, finance and provider_staff (WSD when left out)
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a user's second factor (a lost phone): the authenticator secret and the
    /// recovery codes go and the user's sessions end; the next login sets it up anew.
    #[command(name = "reset-2fa")]
    Reset2fa {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make an API token for a user; prints it alone on the last line (shown once).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "api")]
        label: String,
        /// The token stops working this many days from now (1 to 3650); never when left out.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List the tokens of a user that are not revoked (id, label, made, last used, expires).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token by its id (see `token list`): it gets 401 at once (audited).
    Revoke {
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Check the files; every error names file, line and field.
    Validate {
        /// defaults to PLUSMARKT_CATALOGUE_DIR, or else the catalogue built into the binary
        dir: Option<PathBuf>,
    },
    /// Import the files into the database, all or nothing; prices are only ever added.
    Import {
        /// defaults to PLUSMARKT_CATALOGUE_DIR, or else the catalogue built into the binary
        dir: Option<PathBuf>,
    },
    /// Write the database's catalogue to the folder, in the canonical format.
    Export {
        /// defaults to PLUSMARKT_CATALOGUE_DIR, or else the folder catalogue/ here
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum InvoiceCommand {
    /// Show what a run would bill per municipality, and what is held and why.
    Preview {
        /// YYYY-MM
        #[arg(long)]
        period: String,
        /// The provider whose books are run (its code; WSD when left out).
        #[arg(long)]
        provider: Option<String>,
    },
    /// Save one draft invoice per municipality for the period, for one provider.
    Run {
        /// YYYY-MM
        #[arg(long)]
        period: String,
        /// The provider whose books are run (its code; WSD when left out).
        #[arg(long)]
        provider: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exits non-zero when an event was changed or removed.
    Verify,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = Config::load()
        .map_err(|e| e.to_string())
        .and_then(|config| plusmarkt::telemetry::init(&config.log).map(|()| config))
        // Rocket's own runtime, sized from its configuration.
        .and_then(|config| rocket::execute(run(config, cli.command.unwrap_or(Command::Serve))));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fout: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn token(config: Config, command: TokenCommand) -> Result<(), String> {
    let (db, _) = plusmarkt::prepare_database(&config).await?;
    let cli = Principal::system("cli");
    match command {
        TokenCommand::Add {
            email,
            label,
            expires_in_days,
        } => {
            let token = services::users::add_token(&db, &cli, &email, &label, expires_in_days)
                .await
                .map_err(describe)?;
            println!("API-token voor {email} (wordt maar één keer getoond):");
            println!("{token}");
        }
        TokenCommand::List { email } => {
            let user = store::users::find_by_email(&db, &email)
                .await
                .map_err(describe)?
                .ok_or_else(|| format!("geen gebruiker met e-mailadres {email}"))?;
            let tokens = plusmarkt::views::tokens::list(&db, &cli, Some(&user.id))
                .await
                .map_err(describe)?;
            if tokens.is_empty() {
                println!("{email} heeft geen API-tokens");
            }
            let moment = |at: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
                at.map_or(none.to_string(), |at| {
                    at.format("%Y-%m-%d %H:%M UTC").to_string()
                })
            };
            for t in tokens {
                println!(
                    "{}\t{}\tgemaakt {}\tlaatst gebruikt {}\tverloopt {}",
                    t.id,
                    t.label,
                    moment(Some(t.created_at), ""),
                    moment(t.last_used_at, "nooit"),
                    moment(t.expires_at, "nooit"),
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let t = services::users::revoke_token(&db, &cli, &config.clock, &id)
                .await
                .map_err(|e| match e {
                    plusmarkt::error::AppError::NotFound => format!("geen API-token met id {id}"),
                    other => describe(other),
                })?;
            println!(
                "API-token „{}” van {} is ingetrokken; het werkt niet meer",
                t.label, t.user_email
            );
        }
    }
    Ok(())
}

async fn run(config: Config, command: Command) -> Result<(), String> {
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let db = store::db::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store::db::migrate(&db).await?;
            println!("migraties toegepast");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    role,
                    municipality,
                    provider,
                    name,
                },
        } => {
            let (db, _) = plusmarkt::prepare_database(&config).await?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| format!("wachtwoord lezen: {e}"))?;
            let password = password.trim_end_matches(['\n', '\r']);
            let name = name.unwrap_or_else(|| email.clone());
            // Provider roles work for WSD unless another provider is named.
            let provider = provider.or_else(|| {
                plusmarkt::domain::role::Role::parse(&role)
                    .is_ok_and(|r| r.needs_provider())
                    .then(|| plusmarkt::domain::provider::WSD.to_string())
            });
            let user = services::users::add_user(
                &db,
                &Principal::system("cli"),
                &email,
                &name,
                &role,
                municipality,
                provider,
                password,
            )
            .await
            .map_err(describe)?;
            println!("gebruiker {} aangemaakt ({})", user.email, user.role);
            Ok(())
        }
        Command::User {
            command: UserCommand::Reset2fa { email },
        } => {
            let (db, _) = plusmarkt::prepare_database(&config).await?;
            let report = services::second_factor::reset(&db, &Principal::system("cli"), &email)
                .await
                .map_err(|e| match e {
                    plusmarkt::error::AppError::NotFound => {
                        format!("geen gebruiker met e-mailadres {email}")
                    }
                    other => describe(other),
                })?;
            if report.had_second_factor {
                println!(
                    "tweestapsverificatie van {} verwijderd: authenticator-sleutel en {} herstelcode(s) weg, {} sessie(s) beëindigd; bij de volgende keer inloggen stelt {} haar opnieuw in",
                    report.email,
                    report.recovery_codes_removed,
                    report.sessions_ended,
                    report.email
                );
            } else {
                println!(
                    "{} had geen tweestapsverificatie; {} sessie(s) beëindigd",
                    report.email, report.sessions_ended
                );
            }
            Ok(())
        }
        Command::Token { command } => token(config, command).await,
        Command::Check => {
            let db = existing_database(&config).await?;
            let findings = services::integrity::check(&db).await.map_err(|e| match e {
                plusmarkt::error::AppError::Database(e) => format!("databasefout: {e}"),
                other => describe(other),
            })?;
            if findings.is_empty() {
                println!(
                    "database in orde: facturering, nummering, totalen, definitieve facturen, \
                     uitgaande post en auditlog gecontroleerd"
                );
                Ok(())
            } else {
                for f in &findings {
                    println!("{f}");
                }
                Err(format!(
                    "database niet in orde: {} bevinding(en)",
                    findings.len()
                ))
            }
        }
        Command::Backup { file } => {
            let db = existing_database(&config).await?;
            let bytes = store::backup::backup(&db, &file)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "reservekopie geschreven naar {} ({bytes} bytes)",
                file.display()
            );
            Ok(())
        }
        Command::Catalogue { command } => catalogue(config, command).await,
        Command::Invoice { command } => invoice(config, command).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = store::db::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let findings = store::audit::verify(&db).await.map_err(describe)?;
            if findings.is_empty() {
                println!("auditlog intact");
                Ok(())
            } else {
                for f in &findings {
                    match f.seq {
                        Some(seq) => println!("gebeurtenis {seq}: {}", f.message),
                        None => println!("{}", f.message),
                    }
                }
                Err(format!(
                    "auditlog aangetast: {} bevinding(en)",
                    findings.len()
                ))
            }
        }
    }
}

async fn catalogue(config: Config, command: CatalogueCommand) -> Result<(), String> {
    use services::catalogue::CatalogueSource;
    // A folder on the command line, else the configured one, else the embedded catalogue.
    let source = |dir: Option<PathBuf>| {
        CatalogueSource::configured(dir.or(config.catalogue_dir.clone()).as_deref())
    };
    match command {
        CatalogueCommand::Validate { dir } => {
            let source = source(dir);
            match services::catalogue::read_catalogue_from(&source) {
                Ok(c) => {
                    println!(
                        "{source}: geldig ({} producten, {} doelgroepen, {} gemeenten)",
                        c.products.len(),
                        c.target_groups.len(),
                        c.municipalities.len()
                    );
                    Ok(())
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{e}");
                    }
                    Err(format!("{} fout(en) in {source}", errors.len()))
                }
            }
        }
        CatalogueCommand::Import { dir } => {
            let source = source(dir);
            let db = store::db::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store::db::migrate(&db).await?;
            let report = services::catalogue::import_from(&db, &Principal::system("cli"), &source)
                .await
                .map_err(describe)?;
            println!("{source}: {report}");
            Ok(())
        }
        CatalogueCommand::Export { dir } => {
            let dir = dir
                .or(config.catalogue_dir)
                .unwrap_or_else(|| PathBuf::from("catalogue"));
            let db = store::db::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let count = services::catalogue::export(&db, &dir)
                .await
                .map_err(describe)?;
            println!("{count} producten geschreven naar {}", dir.display());
            Ok(())
        }
    }
}

async fn invoice(config: Config, command: InvoiceCommand) -> Result<(), String> {
    use plusmarkt::domain::period::Period;
    use plusmarkt::services::invoicing;
    let (db, _) = plusmarkt::prepare_database(&config).await?;
    let (period, provider, preview) = match &command {
        InvoiceCommand::Preview { period, provider } => (period, provider, true),
        InvoiceCommand::Run { period, provider } => (period, provider, false),
    };
    let provider = provider
        .as_deref()
        .unwrap_or(plusmarkt::domain::provider::WSD);
    let period = Period::parse(period).map_err(|e| e.to_string())?;
    let principal = Principal::system("cli");
    let (bills, invoices) = if preview {
        (
            invoicing::compute(&db, &principal, Some(provider), period)
                .await
                .map_err(describe)?,
            Vec::new(),
        )
    } else {
        let outcome = invoicing::run(&db, &principal, Some(provider), period)
            .await
            .map_err(describe)?;
        (outcome.bills, outcome.invoices)
    };
    println!(
        "{} {period} {provider}",
        if preview {
            "Voorbeeld factuurrun"
        } else {
            "Factuurrun"
        }
    );
    for bill in &bills {
        let (_, t) = bill.totals();
        println!(
            "  {:<8} {:<22} {:>4} regels  netto {:>14}  btw {:>12}  totaal {:>14}",
            bill.municipality.code,
            bill.municipality.name,
            bill.lines,
            t.net.format_nl(),
            t.vat.format_nl(),
            t.total.format_nl()
        );
        for (ctx, held) in &bill.held {
            println!(
                "      aangehouden: {} {} {}: {} ({})",
                ctx.trajectory.number,
                ctx.product.code.as_str(),
                held.service_period,
                held.reason.message(),
                held.amount.format_nl()
            );
        }
        for (key, reason) in &bill.to_review {
            println!("      te beoordelen: {key}: {reason}");
        }
        for l in &bill.settlement.lines {
            let on = match l.side {
                plusmarkt::services::settlement::Side::Invoice => "factuur",
                plusmarkt::services::settlement::Side::CreditNote { .. } => "creditnota",
            };
            println!("      {on}: {} {}", l.description, l.amount.format_nl());
        }
    }
    if !preview {
        println!("{} conceptfactu(u)r(en) bijgewerkt", invoices.len());
    }
    Ok(())
}

async fn serve(config: Config) -> Result<(), String> {
    let (rocket, report) = plusmarkt::build(config).await?;
    if report.demo_users_created {
        println!("{}", services::demo::demo_logins_text());
    }
    if let Some(report) = &report.catalogue_imported {
        println!("catalogus geïmporteerd: {report}");
    }
    let rocket = rocket.ignite().await.map_err(|e| e.to_string())?;
    let config = rocket.config();
    let scheme = if config.tls_enabled() {
        "https"
    } else {
        "http"
    };
    println!(
        "plusmarkt draait op {scheme}://{}:{} (stoppen met Ctrl-C)",
        config.address, config.port
    );
    rocket.launch().await.map(|_| ()).map_err(|e| e.to_string())
}

/// Opens the configured database without creating it: checking or copying a SQLite file
/// that is not there is a mistake in the configuration, not an empty database.
async fn existing_database(config: &Config) -> Result<sea_orm::DatabaseConnection, String> {
    if let Some(file) = config.sqlite_file() {
        if !file.exists() {
            return Err(format!("database {} bestaat niet", file.display()));
        }
    }
    store::db::connect(&config.database_url).await.map_err(|e| {
        format!(
            "database {}: {e}",
            plusmarkt::redact_url(&config.database_url)
        )
    })
}

/// An error with its field errors, for the terminal.
fn describe(error: plusmarkt::error::AppError) -> String {
    let mut text = error.to_string();
    for field in error.field_errors() {
        text.push_str(&format!("\n  {}: {}", field.field, field.message));
    }
    text
}
