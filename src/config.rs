//! Typed configuration: Rocket.toml (profile `default`/`debug`/`release`), then `PLUSMARKT_*`
//! and `ROCKET_*` environment variables. Secrets that are not configured are generated once
//! into a key file beside the embedded SQLite database (mode 0600).

use std::path::{Path, PathBuf};

use base64::Engine;
use figment::providers::{Env, Serialized};
use figment::Figment;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::domain::clock::Clock;

/// The default database: an embedded SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://plusmarkt.sqlite?mode=rwc";

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
struct RawSettings {
    database_url: Option<String>,
    bsn_key: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_tls: Option<String>,
    smtp_user: Option<String>,
    smtp_password: Option<String>,
    mail_dir: Option<PathBuf>,
    mail_from: Option<String>,
    intake_email: Option<String>,
    catalogue_dir: Option<PathBuf>,
    demo: Option<bool>,
    demo_history: Option<bool>,
    public_url: Option<String>,
    seller_name: Option<String>,
    seller_street: Option<String>,
    seller_postcode: Option<String>,
    seller_city: Option<String>,
    seller_kvk: Option<String>,
    seller_vat_id: Option<String>,
    seller_iban: Option<String>,
    seller_email: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
}

/// WSD's legal details as configured (`PLUSMARKT_SELLER_*`). The seller on an invoice is
/// the invoice's provider row; these settings only seed WSD's row at start
/// (`services::sellers::apply_configured_seller`). A field that is not set (`None`) leaves
/// the row's value alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seller {
    pub name: Option<String>,
    pub street: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub kvk: Option<String>,
    pub vat_id: Option<String>,
    pub iban: Option<String>,
    pub email: Option<String>,
}

impl Seller {
    /// Whether no seller key is set at all.
    pub fn is_empty(&self) -> bool {
        *self == Seller::default()
    }
}

/// What the log shows (`PLUSMARKT_LOG`) and how (`PLUSMARKT_LOG_FORMAT`); see `telemetry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// An `EnvFilter` directive, e.g. `info` or `warn,plusmarkt=debug`.
    pub filter: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogSettings {
    pub const DEFAULT_FILTER: &'static str = "info";

    /// Checks both settings; an error names the setting and shows a valid example.
    pub fn parse(filter: Option<&str>, format: Option<&str>) -> Result<LogSettings, ConfigError> {
        let filter = match filter.map(str::trim) {
            None | Some("") => Self::DEFAULT_FILTER.to_string(),
            Some(filter) => filter.to_string(),
        };
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&filter) {
            return Err(ConfigError::Invalid(format!(
                "PLUSMARKT_LOG {filter:?} is geen geldig logfilter ({e}); \
                 bijvoorbeeld PLUSMARKT_LOG=info of PLUSMARKT_LOG=warn,plusmarkt=debug"
            )));
        }
        let format = match format.map(str::trim) {
            None | Some("") | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "PLUSMARKT_LOG_FORMAT moet text of json zijn, niet {other:?}"
                )))
            }
        };
        Ok(LogSettings { filter, format })
    }
}

impl Default for LogSettings {
    fn default() -> LogSettings {
        LogSettings {
            filter: Self::DEFAULT_FILTER.to_string(),
            format: LogFormat::Text,
        }
    }
}

/// How outgoing mail leaves the building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransportConfig {
    /// No SMTP host configured: messages become .eml files in this folder.
    Files(PathBuf),
    Smtp {
        host: String,
        port: u16,
        tls: SmtpTls,
        user: Option<String>,
        password: Option<String>,
    },
    /// Tests: messages are kept in memory.
    Memory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// 32 bytes: encrypts BSNs at rest and keys their lookup hash.
    pub bsn_key: [u8; 32],
    /// Rocket's secret key (base64, 64 bytes) for private cookies.
    pub secret_key: String,
    pub mail: MailTransportConfig,
    pub mail_from: String,
    pub intake_email: String,
    pub catalogue_dir: PathBuf,
    pub demo: bool,
    /// With the demo data, also a history of orders and registrations in the months of
    /// this year before the current one, so that the offer indicators show on first start
    /// (`PLUSMARKT_DEMO_HISTORY`, default on; off in tests).
    pub demo_history: bool,
    /// Base of links in e-mails.
    pub public_url: String,
    pub seller: Seller,
    pub log: LogSettings,
    /// Rocket's figment (address, port, limits, profile) to launch with.
    pub rocket_figment: Figment,
    /// Where "now" and "today" come from: the system clock, or a fixed one in tests.
    pub clock: Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuratie ongeldig: {0}")]
    Invalid(String),
    #[error("{0} is verplicht bij PostgreSQL (zie README, Configuratie)")]
    MissingSecret(&'static str),
    #[error("sleutelbestand {path}: {message}")]
    KeyFile { path: String, message: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyFile {
    secret_key: String,
    bsn_key: String,
}

impl Config {
    /// Reads Rocket.toml and the environment.
    pub fn load() -> Result<Config, ConfigError> {
        let figment = rocket::Config::figment().merge(Env::prefixed("PLUSMARKT_").global());
        Self::from_figment(figment)
    }

    pub fn from_figment(figment: Figment) -> Result<Config, ConfigError> {
        let raw: RawSettings = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let database_url = raw
            .database_url
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        let sqlite_file = sqlite_file_of(&database_url);
        let is_postgres = database_url.starts_with("postgres");
        let beside_db = sqlite_file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));

        // Rocket's own default secret key is a placeholder array, so only a string counts.
        let configured_secret = figment.extract_inner::<String>("secret_key").ok();
        let (secret_key, bsn_key_text) = match (&configured_secret, &raw.bsn_key) {
            (Some(s), Some(b)) => (s.clone(), b.clone()),
            _ if is_postgres => {
                if raw.bsn_key.is_none() {
                    return Err(ConfigError::MissingSecret("PLUSMARKT_BSN_KEY"));
                }
                return Err(ConfigError::MissingSecret("ROCKET_SECRET_KEY"));
            }
            _ => {
                let keys = load_or_create_key_file(&beside_db.join("plusmarkt.keys"))?;
                (
                    configured_secret.unwrap_or(keys.secret_key),
                    raw.bsn_key.clone().unwrap_or(keys.bsn_key),
                )
            }
        };
        let bsn_key = parse_bsn_key(&bsn_key_text)?;
        let log = LogSettings::parse(raw.log.as_deref(), raw.log_format.as_deref())?;

        let mail = match &raw.smtp_host {
            Some(host) if !host.trim().is_empty() => {
                let tls = match raw.smtp_tls.as_deref().unwrap_or("starttls") {
                    "none" => SmtpTls::None,
                    "starttls" => SmtpTls::StartTls,
                    "tls" => SmtpTls::Tls,
                    other => {
                        return Err(ConfigError::Invalid(format!(
                            "smtp_tls moet none, starttls of tls zijn, niet {other:?}"
                        )))
                    }
                };
                MailTransportConfig::Smtp {
                    host: host.clone(),
                    port: raw.smtp_port.unwrap_or(match tls {
                        SmtpTls::Tls => 465,
                        SmtpTls::StartTls => 587,
                        SmtpTls::None => 25,
                    }),
                    tls,
                    user: raw.smtp_user.clone(),
                    password: raw.smtp_password.clone(),
                }
            }
            _ => MailTransportConfig::Files(
                raw.mail_dir
                    .clone()
                    .unwrap_or_else(|| beside_db.join("mail")),
            ),
        };

        let mut rocket_figment = figment
            .clone()
            .merge(Serialized::default("secret_key", &secret_key));
        // Rocket's request log prints query strings, which could carry a BSN: it stays off
        // unless ROCKET_LOG_LEVEL asks for it. plusmarkt's own access log leaves queries out.
        if std::env::var("ROCKET_LOG_LEVEL").is_err() {
            rocket_figment = rocket_figment.merge(Serialized::global("log_level", "critical"));
        }
        let port: u16 = figment.extract_inner("port").unwrap_or(8000);
        let address: String = figment
            .extract_inner("address")
            .unwrap_or_else(|_| "127.0.0.1".to_string());
        Ok(Config {
            demo: raw.demo.unwrap_or(!is_postgres),
            demo_history: raw.demo_history.unwrap_or(true),
            public_url: raw
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{address}:{port}")),
            database_url,
            bsn_key,
            secret_key,
            mail,
            mail_from: raw
                .mail_from
                .clone()
                .unwrap_or_else(|| "plusmarkt@wsd.example".to_string()),
            intake_email: raw
                .intake_email
                .clone()
                .unwrap_or_else(|| "intake@wsd.example".to_string()),
            catalogue_dir: raw
                .catalogue_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("catalogue")),
            seller: {
                // An empty value counts as not set.
                let set = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
                Seller {
                    name: set(&raw.seller_name),
                    street: set(&raw.seller_street),
                    postcode: set(&raw.seller_postcode),
                    city: set(&raw.seller_city),
                    kvk: set(&raw.seller_kvk),
                    vat_id: set(&raw.seller_vat_id),
                    iban: set(&raw.seller_iban),
                    email: set(&raw.seller_email),
                }
            },
            log,
            rocket_figment,
            clock: Clock::system(),
        })
    }

    /// A configuration for tests: the given database, fixed keys, mail kept in memory.
    pub fn for_tests(database_url: &str) -> Config {
        let secret = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        // Rocket's defaults without Rocket.toml, so the tests do not depend on it.
        let figment = Figment::from(rocket::Config::debug_default())
            .merge(Serialized::global("secret_key", &secret))
            .merge(Serialized::global("log_level", "off"));
        Config {
            database_url: database_url.to_string(),
            bsn_key: [42u8; 32],
            secret_key: secret,
            mail: MailTransportConfig::Memory,
            mail_from: "plusmarkt@wsd.example".into(),
            intake_email: "intake@wsd.example".into(),
            catalogue_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalogue"),
            demo: false,
            demo_history: false,
            public_url: "http://localhost:8000".into(),
            seller: Seller::default(),
            log: LogSettings::default(),
            rocket_figment: figment,
            clock: Clock::system(),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite")
    }

    /// The embedded database file, when there is one.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        sqlite_file_of(&self.database_url)
    }
}

fn sqlite_file_of(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

fn parse_bsn_key(text: &str) -> Result<[u8; 32], ConfigError> {
    let bytes = hex::decode(text.trim()).map_err(|_| {
        ConfigError::Invalid("bsn_key moet 64 hexadecimale tekens zijn (32 bytes)".into())
    })?;
    bytes.try_into().map_err(|_| {
        ConfigError::Invalid("bsn_key moet precies 32 bytes (64 hex-tekens) zijn".into())
    })
}

fn load_or_create_key_file(path: &Path) -> Result<KeyFile, ConfigError> {
    let err = |message: String| ConfigError::KeyFile {
        path: path.display().to_string(),
        message,
    };
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        return toml::from_str(&text).map_err(|e| err(e.to_string()));
    }
    let mut secret = [0u8; 64];
    let mut bsn = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    rand::thread_rng().fill_bytes(&mut bsn);
    let keys = KeyFile {
        secret_key: base64::engine::general_purpose::STANDARD.encode(secret),
        bsn_key: hex::encode(bsn),
    };
    let text = format!(
        "# Gegenereerd bij de eerste start. Bewaar dit bestand veilig: zonder de bsn_key zijn\n\
         # de versleutelde BSN's onleesbaar.\n{}",
        toml::to_string(&keys).map_err(|e| err(e.to_string()))?
    );
    write_private_file(path, &text).map_err(|e| err(e.to_string()))?;
    Ok(keys)
}

fn write_private_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_file_is_found_in_urls() {
        assert_eq!(
            sqlite_file_of("sqlite://plusmarkt.sqlite?mode=rwc"),
            Some(PathBuf::from("plusmarkt.sqlite"))
        );
        assert_eq!(sqlite_file_of("sqlite::memory:"), None);
        assert_eq!(sqlite_file_of("postgres://x/y"), None);
    }

    #[test]
    fn seller_keys_that_are_not_set_stay_none() {
        let base = Figment::new()
            .merge(Serialized::global("database_url", "sqlite::memory:"))
            .merge(Serialized::global("secret_key", "x".repeat(44)))
            .merge(Serialized::global("bsn_key", "ab".repeat(32)));
        let unset = Config::from_figment(base.clone()).unwrap();
        assert!(unset.seller.is_empty());
        let set = Config::from_figment(
            base.merge(Serialized::global("seller_name", "WSD Boxtel"))
                .merge(Serialized::global("seller_kvk", "  ")),
        )
        .unwrap();
        assert_eq!(set.seller.name.as_deref(), Some("WSD Boxtel"));
        // An empty value counts as not set.
        assert_eq!(set.seller.kvk, None);
        assert!(!set.seller.is_empty());
    }

    #[test]
    fn log_settings_name_the_setting_when_wrong() {
        let default = LogSettings::parse(None, None).unwrap();
        assert_eq!(default, LogSettings::default());
        assert_eq!(default.filter, "info");
        let custom = LogSettings::parse(Some("warn,plusmarkt=debug"), Some("json")).unwrap();
        assert_eq!(custom.filter, "warn,plusmarkt=debug");
        assert_eq!(custom.format, LogFormat::Json);
        let wrong = LogSettings::parse(Some("plusmarkt=luid"), None)
            .unwrap_err()
            .to_string();
        assert!(
            wrong.contains("PLUSMARKT_LOG") && wrong.contains("PLUSMARKT_LOG=info"),
            "{wrong}"
        );
        let wrong = LogSettings::parse(None, Some("xml"))
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("PLUSMARKT_LOG_FORMAT"), "{wrong}");
    }

    #[test]
    fn bsn_key_must_be_32_bytes_of_hex() {
        assert!(parse_bsn_key(&"ab".repeat(32)).is_ok());
        assert!(parse_bsn_key("abcd").is_err());
        assert!(parse_bsn_key("zz").is_err());
    }
}
