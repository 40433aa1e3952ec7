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
use crate::domain::second_factor::MfaPolicy;

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
    oidc_issuer: Option<String>,
    oidc_client_id: Option<String>,
    oidc_client_secret: Option<String>,
    password_login: Option<bool>,
    mfa: Option<String>,
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
            return Err(setting_error(
                "PLUSMARKT_LOG",
                format!("{filter:?} is geen geldig logfilter ({e})"),
                "bijvoorbeeld PLUSMARKT_LOG=info of PLUSMARKT_LOG=warn,plusmarkt=debug",
            ));
        }
        let format = match format.map(str::trim) {
            None | Some("") | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(setting_error(
                    "PLUSMARKT_LOG_FORMAT",
                    format!("moet text of json zijn, niet {other:?}"),
                    "bijvoorbeeld PLUSMARKT_LOG_FORMAT=json",
                ))
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

/// Sign-on with an OpenID provider (`PLUSMARKT_OIDC_*`): all three settings, or none.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// The issuer, e.g. `https://login.microsoftonline.com/<tenant-id>/v2.0`; its discovery
    /// document is at `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Never logged or shown (see the `Debug` below).
    pub client_secret: String,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// Microsoft Entra's multi-tenant issuers: templates that no ID token carries as its `iss`.
const ENTRA_TEMPLATES: &[&str] = &["common", "organizations", "consumers"];
const OIDC_ISSUER_EXAMPLE: &str =
    "het adres van de uitgever van uw eigen organisatie, bij Microsoft Entra ID met uw tenant-id: \
     bijvoorbeeld PLUSMARKT_OIDC_ISSUER=https://login.microsoftonline.com/<tenant-id>/v2.0";

impl OidcSettings {
    /// The three settings, checked: all or none, the issuer an http(s) address that is not
    /// one of Entra's shared templates.
    fn from_raw(raw: &RawSettings) -> Result<Option<OidcSettings>, ConfigError> {
        let set = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let (issuer, client_id, client_secret) = (
            set(&raw.oidc_issuer),
            set(&raw.oidc_client_id),
            set(&raw.oidc_client_secret),
        );
        let named = [
            ("PLUSMARKT_OIDC_ISSUER", issuer.is_some()),
            ("PLUSMARKT_OIDC_CLIENT_ID", client_id.is_some()),
            ("PLUSMARKT_OIDC_CLIENT_SECRET", client_secret.is_some()),
        ];
        let (Some(issuer), Some(client_id), Some(client_secret)) =
            (issuer, client_id, client_secret)
        else {
            let missing: Vec<&str> = named.iter().filter(|n| !n.1).map(|n| n.0).collect();
            if missing.len() == named.len() {
                return Ok(None);
            }
            return Err(setting_error(
                missing.join(" en "),
                format!(
                    "{}: inloggen via uw organisatie (OpenID Connect) heeft alle drie nodig, \
                     PLUSMARKT_OIDC_ISSUER, PLUSMARKT_OIDC_CLIENT_ID en \
                     PLUSMARKT_OIDC_CLIENT_SECRET (of geen van drieën)",
                    if missing.len() == 1 {
                        "ontbreekt"
                    } else {
                        "ontbreken"
                    }
                ),
                "zie README, \"Sign-on with Microsoft Entra ID or any OpenID provider\"",
            ));
        };
        let issuer = issuer.trim_end_matches('/').to_string();
        let rest = issuer
            .strip_prefix("https://")
            .or_else(|| issuer.strip_prefix("http://"));
        let Some(rest) = rest.filter(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(' '))
        else {
            return Err(invalid(
                "oidc_issuer",
                format!("{issuer:?} is geen adres dat begint met https:// of http://"),
            ));
        };
        let mut parts = rest.split('/');
        let host = parts.next().unwrap_or_default().to_lowercase();
        let tenant = parts.next().unwrap_or_default().to_lowercase();
        if host == "login.microsoftonline.com"
            && (ENTRA_TEMPLATES.contains(&tenant.as_str()) || tenant.contains('{'))
        {
            return Err(invalid(
                "oidc_issuer",
                format!(
                    "{issuer:?} is het gedeelde sjabloon {tenant:?} van Microsoft Entra ID, \
                     geen uitgever: ID-tokens noemen altijd de tenant van de organisatie"
                ),
            ));
        }
        Ok(Some(OidcSettings {
            issuer,
            client_id,
            client_secret,
        }))
    }

    /// Where the provider sends the browser back: the public address + `/login/oidc/callback`.
    pub fn redirect_uri(public_url: &str) -> String {
        format!("{}/login/oidc/callback", public_url.trim_end_matches('/'))
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
    /// The catalogue imported on first start (`PLUSMARKT_CATALOGUE_DIR`); `None`: the one
    /// embedded in the binary.
    pub catalogue_dir: Option<PathBuf>,
    pub demo: bool,
    /// With the demo data, also a history of orders and registrations in the months of
    /// this year before the current one, so that the offer indicators show on first start
    /// (`PLUSMARKT_DEMO_HISTORY`, default on; off in tests).
    pub demo_history: bool,
    /// Base of links in e-mails.
    pub public_url: String,
    pub seller: Seller,
    pub log: LogSettings,
    /// Sign-on with an OpenID provider, when configured.
    pub oidc: Option<OidcSettings>,
    /// Whether the login page takes e-mail address and password (`PLUSMARKT_PASSWORD_LOGIN`,
    /// default on; off only with `oidc`).
    pub password_login: bool,
    /// Rocket's figment (address, port, limits, profile) to launch with.
    pub rocket_figment: Figment,
    /// Where "now" and "today" come from: the system clock, or a fixed one in tests.
    pub clock: Clock,
    /// Whether a password login needs the second factor (`PLUSMARKT_MFA`): required,
    /// except with the demo data, where it is optional.
    pub mfa: MfaPolicy,
}

/// A configuration that cannot work. Each names the setting (its environment variable),
/// says what is wrong and shows a good value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuratie ongeldig: {setting} {problem}; {example}")]
    Setting {
        /// The environment variable, e.g. `ROCKET_SECRET_KEY`.
        setting: String,
        /// What is wrong, e.g. `is 4 tekens lang`.
        problem: String,
        /// A good value or how to make one.
        example: String,
    },
    #[error("sleutelbestand {path}: {message}")]
    KeyFile { path: String, message: String },
}

fn setting_error(
    setting: impl Into<String>,
    problem: impl Into<String>,
    example: impl Into<String>,
) -> ConfigError {
    ConfigError::Setting {
        setting: setting.into(),
        problem: problem.into(),
        example: example.into(),
    }
}

/// Every setting that can go wrong: its key (in Rocket.toml and figment), its environment
/// variable, whether its value is secret (never echoed), and a good value.
const SETTINGS: &[(&str, &str, bool, &str)] = &[
    ("database_url", "PLUSMARKT_DATABASE_URL", true, DATABASE_URL_EXAMPLE),
    ("bsn_key", "PLUSMARKT_BSN_KEY", true, BSN_KEY_EXAMPLE),
    ("smtp_host", "PLUSMARKT_SMTP_HOST", false, "bijvoorbeeld PLUSMARKT_SMTP_HOST=smtp.example.org (zonder smtp://)"),
    ("smtp_port", "PLUSMARKT_SMTP_PORT", false, "een poortnummer van 1 tot en met 65535, bijvoorbeeld PLUSMARKT_SMTP_PORT=587"),
    ("smtp_tls", "PLUSMARKT_SMTP_TLS", false, "none, starttls of tls, bijvoorbeeld PLUSMARKT_SMTP_TLS=starttls"),
    ("smtp_user", "PLUSMARKT_SMTP_USER", false, "tekst, bijvoorbeeld PLUSMARKT_SMTP_USER=plusmarkt"),
    ("smtp_password", "PLUSMARKT_SMTP_PASSWORD", true, "tekst, bijvoorbeeld PLUSMARKT_SMTP_PASSWORD=geheim"),
    ("mail_dir", "PLUSMARKT_MAIL_DIR", false, "een map, bijvoorbeeld PLUSMARKT_MAIL_DIR=/var/lib/plusmarkt/mail"),
    ("mail_from", "PLUSMARKT_MAIL_FROM", false, "bijvoorbeeld PLUSMARKT_MAIL_FROM=plusmarkt@wsd.example of PLUSMARKT_MAIL_FROM='WSD Plusmarkt <plusmarkt@wsd.example>'"),
    ("intake_email", "PLUSMARKT_INTAKE_EMAIL", false, "bijvoorbeeld PLUSMARKT_INTAKE_EMAIL=intake@wsd.example"),
    ("catalogue_dir", "PLUSMARKT_CATALOGUE_DIR", false, "een map met products/, services.toml, providers.toml, municipalities.toml en target_groups.toml, bijvoorbeeld PLUSMARKT_CATALOGUE_DIR=/etc/plusmarkt/catalogue; zonder deze instelling gebruikt plusmarkt de ingebouwde catalogus"),
    ("demo", "PLUSMARKT_DEMO", false, "true of false, bijvoorbeeld PLUSMARKT_DEMO=false"),
    ("demo_history", "PLUSMARKT_DEMO_HISTORY", false, "true of false, bijvoorbeeld PLUSMARKT_DEMO_HISTORY=false"),
    ("public_url", "PLUSMARKT_PUBLIC_URL", false, "bijvoorbeeld PLUSMARKT_PUBLIC_URL=https://plusmarkt.wsd.example"),
    ("seller_name", "PLUSMARKT_SELLER_NAME", false, "bijvoorbeeld PLUSMARKT_SELLER_NAME='WSD Boxtel'"),
    ("seller_street", "PLUSMARKT_SELLER_STREET", false, "bijvoorbeeld PLUSMARKT_SELLER_STREET='Hambaken 5'"),
    ("seller_postcode", "PLUSMARKT_SELLER_POSTCODE", false, "bijvoorbeeld PLUSMARKT_SELLER_POSTCODE='5281 RN'"),
    ("seller_city", "PLUSMARKT_SELLER_CITY", false, "bijvoorbeeld PLUSMARKT_SELLER_CITY=Boxtel"),
    ("seller_kvk", "PLUSMARKT_SELLER_KVK", false, "8 cijfers, bijvoorbeeld PLUSMARKT_SELLER_KVK=12345678"),
    ("seller_vat_id", "PLUSMARKT_SELLER_VAT_ID", false, "bijvoorbeeld PLUSMARKT_SELLER_VAT_ID=NL123456789B01"),
    ("seller_iban", "PLUSMARKT_SELLER_IBAN", false, "bijvoorbeeld PLUSMARKT_SELLER_IBAN=NL91ABNA0417164300"),
    ("seller_email", "PLUSMARKT_SELLER_EMAIL", false, "bijvoorbeeld PLUSMARKT_SELLER_EMAIL=facturen@wsd.example"),
    ("log", "PLUSMARKT_LOG", false, "bijvoorbeeld PLUSMARKT_LOG=info of PLUSMARKT_LOG=warn,plusmarkt=debug"),
    ("log_format", "PLUSMARKT_LOG_FORMAT", false, "text of json, bijvoorbeeld PLUSMARKT_LOG_FORMAT=json"),
    ("oidc_issuer", "PLUSMARKT_OIDC_ISSUER", false, OIDC_ISSUER_EXAMPLE),
    ("oidc_client_id", "PLUSMARKT_OIDC_CLIENT_ID", false, "de client-id (applicatie-id) die de inlogdienst aan plusmarkt gaf, bijvoorbeeld PLUSMARKT_OIDC_CLIENT_ID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
    ("oidc_client_secret", "PLUSMARKT_OIDC_CLIENT_SECRET", true, "het clientgeheim dat de inlogdienst aan plusmarkt gaf, bijvoorbeeld PLUSMARKT_OIDC_CLIENT_SECRET=geheim"),
    ("password_login", "PLUSMARKT_PASSWORD_LOGIN", false, "true of false, bijvoorbeeld PLUSMARKT_PASSWORD_LOGIN=false (alleen samen met PLUSMARKT_OIDC_ISSUER, PLUSMARKT_OIDC_CLIENT_ID en PLUSMARKT_OIDC_CLIENT_SECRET)"),
    ("mfa", "PLUSMARKT_MFA", false, "required of optional, bijvoorbeeld PLUSMARKT_MFA=required (standaard; optional is de standaard bij de demodatabase)"),
    // Rocket's own keys that plusmarkt relies on.
    ("secret_key", "ROCKET_SECRET_KEY", true, SECRET_KEY_EXAMPLE),
    ("port", "ROCKET_PORT", false, "een poortnummer van 0 tot en met 65535, bijvoorbeeld ROCKET_PORT=8000"),
    ("address", "ROCKET_ADDRESS", false, "een IP-adres, bijvoorbeeld ROCKET_ADDRESS=127.0.0.1 of ROCKET_ADDRESS=0.0.0.0"),
    ("profile", "ROCKET_PROFILE", false, "bijvoorbeeld ROCKET_PROFILE=release"),
    ("workers", "ROCKET_WORKERS", false, "een aantal threads, bijvoorbeeld ROCKET_WORKERS=8"),
    ("max_blocking", "ROCKET_MAX_BLOCKING", false, "een aantal threads, bijvoorbeeld ROCKET_MAX_BLOCKING=512"),
    ("log_level", "ROCKET_LOG_LEVEL", false, "off, critical, normal of debug, bijvoorbeeld ROCKET_LOG_LEVEL=critical"),
    ("limits", "ROCKET_LIMITS", false, "groottes per soort body, bijvoorbeeld ROCKET_LIMITS='{json=\"1 MiB\",form=\"64 KiB\"}'"),
    ("keep_alive", "ROCKET_KEEP_ALIVE", false, "seconden, bijvoorbeeld ROCKET_KEEP_ALIVE=5"),
    ("ident", "ROCKET_IDENT", false, "tekst of false, bijvoorbeeld ROCKET_IDENT=plusmarkt"),
    ("ip_header", "ROCKET_IP_HEADER", false, "een kopregel of false, bijvoorbeeld ROCKET_IP_HEADER=X-Real-IP"),
    ("temp_dir", "ROCKET_TEMP_DIR", false, "een map, bijvoorbeeld ROCKET_TEMP_DIR=/tmp"),
    ("cli_colors", "ROCKET_CLI_COLORS", false, "true of false, bijvoorbeeld ROCKET_CLI_COLORS=false"),
    ("shutdown", "ROCKET_SHUTDOWN", false, "bijvoorbeeld ROCKET_SHUTDOWN='{grace=2,mercy=3}'"),
];

const DATABASE_URL_EXAMPLE: &str = "bijvoorbeeld PLUSMARKT_DATABASE_URL=sqlite://plusmarkt.sqlite \
     of PLUSMARKT_DATABASE_URL=postgres://plusmarkt:geheim@localhost:5432/plusmarkt";
const BSN_KEY_EXAMPLE: &str =
    "64 hexadecimale tekens (32 bytes); maak er een met: openssl rand -hex 32";
const SECRET_KEY_EXAMPLE: &str =
    "44 of 88 tekens base64 of 64 hexadecimale tekens; maak er een met: openssl rand -base64 32";

/// The environment variable of a key, and its row in `SETTINGS` when it has one.
fn setting_of(
    key: &str,
) -> (
    String,
    Option<&'static (&'static str, &'static str, bool, &'static str)>,
) {
    match SETTINGS.iter().find(|(k, ..)| *k == key) {
        Some(row) => (row.1.to_string(), Some(row)),
        None => (format!("ROCKET_{}", key.to_uppercase()), None),
    }
}

/// A figment error (a value of the wrong type or shape) as a message that names the
/// setting and shows a good value. Secret values are not repeated.
fn figment_error(figment: &Figment, error: figment::Error) -> ConfigError {
    let key = error.path.first().cloned().unwrap_or_default();
    let (setting, row) = setting_of(&key);
    let secret = row.is_some_and(|r| r.2);
    let path = error.path.join(".");
    let value = (!secret && !path.is_empty())
        .then(|| figment.find_value(&path).ok())
        .flatten()
        .and_then(|v| serde_json::to_string(&v).ok());
    let mut problem = match value {
        Some(value) => format!("heeft een ongeldige waarde: {value}"),
        None => "heeft een ongeldige waarde".to_string(),
    };
    if error.path.len() > 1 {
        problem.push_str(&format!(" (bij {path})"));
    }
    if let Some(file) = error
        .metadata
        .as_ref()
        .and_then(|m| m.source.as_ref())
        .and_then(|s| s.file_path())
    {
        problem.push_str(&format!(" (in {})", file.display()));
    }
    let example = row.map_or_else(
        || format!("zie README, Configuratie, en de documentatie van Rocket voor {setting}"),
        |r| r.3.to_string(),
    );
    setting_error(setting, problem, example)
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
        let raw: RawSettings = figment.extract().map_err(|e| figment_error(&figment, e))?;
        let database_url = match &raw.database_url {
            Some(url) => database_url_with_mode(url)?,
            None => DEFAULT_DATABASE_URL.to_string(),
        };
        let sqlite_file = sqlite_file_of(&database_url);
        let is_postgres = database_url.starts_with("postgres");
        let beside_db = sqlite_file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));

        let log = LogSettings::parse(raw.log.as_deref(), raw.log_format.as_deref())?;

        let mail = match &raw.smtp_host {
            Some(host) if !host.trim().is_empty() => {
                let host = host.trim();
                if host.contains("://") || host.contains(char::is_whitespace) || host.contains('/')
                {
                    return Err(invalid("smtp_host", format!("{host:?} is geen hostnaam")));
                }
                let tls = match raw.smtp_tls.as_deref().map(str::trim).unwrap_or("starttls") {
                    "none" => SmtpTls::None,
                    "starttls" => SmtpTls::StartTls,
                    "tls" => SmtpTls::Tls,
                    other => {
                        return Err(invalid(
                            "smtp_tls",
                            format!("moet none, starttls of tls zijn, niet {other:?}"),
                        ))
                    }
                };
                if raw.smtp_port == Some(0) {
                    return Err(invalid("smtp_port", "mag niet 0 zijn"));
                }
                MailTransportConfig::Smtp {
                    host: host.to_string(),
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
        let mail_from = raw
            .mail_from
            .clone()
            .unwrap_or_else(|| "plusmarkt@wsd.example".to_string());
        if let Err(e) = mail_from.trim().parse::<lettre::message::Mailbox>() {
            return Err(invalid(
                "mail_from",
                format!("{mail_from:?} is geen geldig e-mailadres ({e})"),
            ));
        }
        let intake_email = raw
            .intake_email
            .clone()
            .unwrap_or_else(|| "intake@wsd.example".to_string());
        if let Err(e) = crate::domain::email::Email::parse(&intake_email) {
            return Err(invalid("intake_email", e));
        }
        if let Some(dir) = &raw.catalogue_dir {
            if !dir.is_dir() {
                return Err(invalid(
                    "catalogue_dir",
                    format!("{:?} is geen map", dir.display().to_string()),
                ));
            }
        }
        if let Some(url) = &raw.public_url {
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if host.is_none_or(|h| h.is_empty() || h.starts_with('/') || h.contains(' ')) {
                return Err(invalid(
                    "public_url",
                    format!("{url:?} is geen adres dat begint met https:// of http://"),
                ));
            }
        }
        let seller = seller_of(&raw)?;
        let oidc = OidcSettings::from_raw(&raw)?;
        let password_login = raw.password_login.unwrap_or(true);
        if !password_login && oidc.is_none() {
            return Err(invalid(
                "password_login",
                "is false, maar inloggen via uw organisatie is niet ingesteld: dan kan niemand \
                 meer inloggen; stel eerst PLUSMARKT_OIDC_ISSUER, PLUSMARKT_OIDC_CLIENT_ID en \
                 PLUSMARKT_OIDC_CLIENT_SECRET in",
            ));
        }
        let demo = raw.demo.unwrap_or(!is_postgres);
        let mfa = match raw.mfa.as_deref().map(str::trim) {
            None | Some("") if demo => MfaPolicy::Optional,
            None | Some("") => MfaPolicy::Required,
            Some(text) => MfaPolicy::parse(text).ok_or_else(|| {
                invalid(
                    "mfa",
                    format!("moet required of optional zijn, niet {text:?}"),
                )
            })?,
        };

        // Rocket's own default secret key is a placeholder array, so only a string counts.
        let configured_secret = figment.extract_inner::<String>("secret_key").ok();
        if let Some(secret) = &configured_secret {
            check_secret_key(secret, "ROCKET_SECRET_KEY")?;
        }
        if let Some(key) = &raw.bsn_key {
            parse_bsn_key(key, "PLUSMARKT_BSN_KEY")?;
        }

        let mut rocket_figment = figment.clone();
        // Rocket's request log prints query strings, which could carry a BSN: it stays off
        // unless ROCKET_LOG_LEVEL asks for it. plusmarkt's own access log leaves queries out.
        if std::env::var("ROCKET_LOG_LEVEL").is_err() {
            rocket_figment = rocket_figment.merge(Serialized::global("log_level", "critical"));
        }
        // Rocket's own settings, checked now as Rocket will read them (and before a key file
        // is made), so that a wrong one is named here rather than as "failed to extract
        // configuration" at launch.
        let rocket_config = rocket::Config::try_from(&rocket_figment)
            .map_err(|e| figment_error(&rocket_figment, e))?;
        let (address, port) = (rocket_config.address, rocket_config.port);
        let (secret_key, bsn_key_text) = match (&configured_secret, &raw.bsn_key) {
            (Some(s), Some(b)) => (s.clone(), b.clone()),
            _ if is_postgres => {
                let (setting, example) = if raw.bsn_key.is_none() {
                    ("PLUSMARKT_BSN_KEY", BSN_KEY_EXAMPLE)
                } else {
                    ("ROCKET_SECRET_KEY", SECRET_KEY_EXAMPLE)
                };
                return Err(setting_error(
                    setting,
                    "is verplicht bij PostgreSQL (zie README, Configuratie)",
                    example,
                ));
            }
            _ => {
                let key_path = beside_db.join("plusmarkt.keys");
                let keys = load_or_create_key_file(&key_path)?;
                let in_file = |key: &str| format!("{key} in {}", key_path.display());
                if configured_secret.is_none() {
                    check_secret_key(&keys.secret_key, &in_file("secret_key"))?;
                }
                if raw.bsn_key.is_none() {
                    parse_bsn_key(&keys.bsn_key, &in_file("bsn_key"))?;
                }
                (
                    configured_secret.unwrap_or(keys.secret_key),
                    raw.bsn_key.clone().unwrap_or(keys.bsn_key),
                )
            }
        };
        let bsn_key = parse_bsn_key(&bsn_key_text, "PLUSMARKT_BSN_KEY")?;

        let rocket_figment = rocket_figment.merge(Serialized::default("secret_key", &secret_key));
        Ok(Config {
            demo,
            mfa,
            demo_history: raw.demo_history.unwrap_or(true),
            public_url: raw
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{address}:{port}")),
            database_url,
            bsn_key,
            secret_key,
            mail,
            mail_from,
            intake_email,
            catalogue_dir: raw.catalogue_dir.clone(),
            seller,
            log,
            oidc,
            password_login,
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
            catalogue_dir: None,
            demo: false,
            demo_history: false,
            public_url: "http://localhost:8000".into(),
            seller: Seller::default(),
            log: LogSettings::default(),
            oidc: None,
            password_login: true,
            rocket_figment: figment,
            clock: Clock::system(),
            // The login-form tests sign in with a password alone; the tests of the second
            // factor ask for `Required` themselves.
            mfa: MfaPolicy::Optional,
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

/// An error about a setting from `SETTINGS`, with its example.
fn invalid(key: &str, problem: impl Into<String>) -> ConfigError {
    let (setting, row) = setting_of(key);
    setting_error(setting, problem, row.map_or("", |r| r.3))
}

/// A database URL as people write it, made to work: a SQLite file is created when it does
/// not exist (`mode=rwc` is added when the URL names no mode; other parameters are kept).
/// An in-memory database and a URL with a mode are left as they are. Anything but SQLite
/// or PostgreSQL is refused with an example.
pub fn database_url_with_mode(url: &str) -> Result<String, ConfigError> {
    let url = url.trim();
    let Some(rest) = url.strip_prefix("sqlite:") else {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(url.to_string());
        }
        return Err(setting_error(
            "PLUSMARKT_DATABASE_URL",
            "moet met sqlite: of postgres:// beginnen",
            DATABASE_URL_EXAMPLE,
        ));
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let file = path.trim_start_matches("//");
    if file.is_empty() {
        return Err(setting_error(
            "PLUSMARKT_DATABASE_URL",
            "noemt geen databasebestand",
            DATABASE_URL_EXAMPLE,
        ));
    }
    let has_mode = query
        .split('&')
        .any(|p| p.split('=').next() == Some("mode"));
    if has_mode || file.contains(":memory:") {
        return Ok(url.to_string());
    }
    Ok(match query {
        "" => format!("sqlite:{path}?mode=rwc"),
        _ => format!("sqlite:{path}?{query}&mode=rwc"),
    })
}

/// Rocket's secret key as Rocket reads it (44 or 88 characters of base64, or 64 of hex;
/// at least 32 bytes, not all zero); an error says what is wrong without repeating the key.
fn check_secret_key(text: &str, setting: &str) -> Result<(), ConfigError> {
    use serde::de::value::{Error, StrDeserializer};
    let parsed = rocket::config::SecretKey::deserialize(StrDeserializer::<Error>::new(text));
    let problem = match parsed {
        Ok(key) if key.is_zero() => "bestaat alleen uit nullen".to_string(),
        Ok(_) => return Ok(()),
        Err(_) => match text.len() {
            44 | 88 => "is geen geldige base64".to_string(),
            64 => "is geen geldige hexadecimale tekst".to_string(),
            n => format!("is {n} tekens lang"),
        },
    };
    Err(setting_error(setting, problem, SECRET_KEY_EXAMPLE))
}

fn parse_bsn_key(text: &str, setting: &str) -> Result<[u8; 32], ConfigError> {
    let problem = match hex::decode(text.trim()) {
        Err(_) => "is geen hexadecimale tekst".to_string(),
        Ok(bytes) => match <[u8; 32]>::try_from(bytes) {
            Ok(key) => return Ok(key),
            Err(bytes) => format!("is {} bytes lang, niet 32", bytes.len()),
        },
    };
    Err(setting_error(setting, problem, BSN_KEY_EXAMPLE))
}

/// The seller settings, each that is set checked with the provider rules.
fn seller_of(raw: &RawSettings) -> Result<Seller, ConfigError> {
    use crate::domain::provider::{
        parse_email, parse_iban, parse_kvk, parse_postcode, parse_text, parse_vat_number,
        FieldError,
    };
    // An empty value counts as not set.
    let set = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let check = |key: &str,
                 value: &Option<String>,
                 parse: &dyn Fn(&str) -> Result<String, FieldError>|
     -> Result<Option<String>, ConfigError> {
        match set(value) {
            Some(v) => match parse(&v) {
                Ok(_) => Ok(Some(v)),
                Err(e) => Err(invalid(key, e.message)),
            },
            None => Ok(None),
        }
    };
    Ok(Seller {
        name: check("seller_name", &raw.seller_name, &|v| parse_text("name", v))?,
        street: check("seller_street", &raw.seller_street, &|v| {
            parse_text("street", v)
        })?,
        postcode: check("seller_postcode", &raw.seller_postcode, &parse_postcode)?,
        city: check("seller_city", &raw.seller_city, &|v| parse_text("city", v))?,
        kvk: check("seller_kvk", &raw.seller_kvk, &parse_kvk)?,
        vat_id: check("seller_vat_id", &raw.seller_vat_id, &parse_vat_number)?,
        iban: check("seller_iban", &raw.seller_iban, &parse_iban)?,
        email: check("seller_email", &raw.seller_email, &|v| {
            parse_email("invoice_email", v)
        })?,
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

    /// Rocket's defaults, an in-memory database and both keys: a configuration that works.
    fn base() -> Figment {
        Figment::from(rocket::Config::debug_default())
            .merge(Serialized::global("database_url", "sqlite::memory:"))
            .merge(Serialized::global(
                "secret_key",
                base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
            ))
            .merge(Serialized::global("bsn_key", "ab".repeat(32)))
    }

    /// The error of a configuration with one setting changed.
    fn error_with(key: &str, value: impl Serialize) -> String {
        Config::from_figment(base().merge(Serialized::global(key, value)))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_second_factor_is_required_except_for_the_demo() {
        let with = |pairs: &[(&str, &str)]| {
            let mut figment = base();
            for (key, value) in pairs {
                figment = figment.merge(Serialized::global(key, *value));
            }
            figment
        };
        // SQLite means the demo unless told otherwise.
        let demo = Config::from_figment(with(&[])).unwrap();
        assert!(demo.demo);
        assert_eq!(demo.mfa, MfaPolicy::Optional);
        let mut figment = base().merge(Serialized::global("demo", false));
        assert_eq!(
            Config::from_figment(figment.clone()).unwrap().mfa,
            MfaPolicy::Required
        );
        figment = figment.merge(Serialized::global("mfa", "optional"));
        assert_eq!(
            Config::from_figment(figment).unwrap().mfa,
            MfaPolicy::Optional
        );
        assert_eq!(
            Config::from_figment(with(&[("mfa", "required")]))
                .unwrap()
                .mfa,
            MfaPolicy::Required
        );
        let wrong = error_with("mfa", "altijd");
        assert!(
            wrong.contains("PLUSMARKT_MFA")
                && wrong.contains("\"altijd\"")
                && wrong.contains("PLUSMARKT_MFA=required"),
            "{wrong}"
        );
    }

    #[test]
    fn seller_keys_that_are_not_set_stay_none() {
        let base = base();
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
        assert!(parse_bsn_key(&"ab".repeat(32), "PLUSMARKT_BSN_KEY").is_ok());
        let short = parse_bsn_key("abcd", "PLUSMARKT_BSN_KEY")
            .unwrap_err()
            .to_string();
        assert!(
            short.contains("PLUSMARKT_BSN_KEY is 2 bytes lang")
                && short.contains("openssl rand -hex 32"),
            "{short}"
        );
        assert!(parse_bsn_key("zz", "PLUSMARKT_BSN_KEY").is_err());
    }

    #[test]
    fn a_sqlite_url_without_a_mode_creates_the_file() {
        let url = |u: &str| database_url_with_mode(u).unwrap();
        assert_eq!(
            url("sqlite://plusmarkt.sqlite"),
            "sqlite://plusmarkt.sqlite?mode=rwc"
        );
        assert_eq!(
            url("sqlite:plusmarkt.sqlite"),
            "sqlite:plusmarkt.sqlite?mode=rwc"
        );
        assert_eq!(
            url("sqlite:///var/lib/plusmarkt/db.sqlite"),
            "sqlite:///var/lib/plusmarkt/db.sqlite?mode=rwc"
        );
        // Other parameters are kept; a mode that is named is left alone.
        assert_eq!(
            url("sqlite://p.sqlite?cache=shared"),
            "sqlite://p.sqlite?cache=shared&mode=rwc"
        );
        for unchanged in [
            "sqlite://plusmarkt.sqlite?mode=rwc",
            "sqlite://plusmarkt.sqlite?mode=ro",
            "sqlite://p.sqlite?cache=shared&mode=rw",
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://db?mode=memory&cache=shared",
            "postgres://plusmarkt@localhost/plusmarkt",
            "postgresql://plusmarkt@localhost/plusmarkt",
        ] {
            assert_eq!(url(unchanged), unchanged);
        }
        let wrong = database_url_with_mode("mysql://x/y")
            .unwrap_err()
            .to_string();
        assert!(
            wrong.contains("PLUSMARKT_DATABASE_URL") && wrong.contains("sqlite://plusmarkt.sqlite"),
            "{wrong}"
        );
    }

    #[test]
    fn the_configured_database_url_gets_its_mode() {
        let config = Config::from_figment(
            base().merge(Serialized::global("database_url", "sqlite://x.sqlite")),
        );
        // The key file beside it is made in the working directory only without keys;
        // both keys are set here.
        assert_eq!(config.unwrap().database_url, "sqlite://x.sqlite?mode=rwc");
    }

    #[test]
    fn a_bad_secret_key_names_rocket_secret_key_and_how_to_make_one() {
        let short = error_with("secret_key", "kort");
        assert!(
            short.contains("ROCKET_SECRET_KEY is 4 tekens lang")
                && short.contains("openssl rand -base64 32"),
            "{short}"
        );
        // The key itself is never repeated.
        let not_base64 = error_with("secret_key", "!".repeat(44));
        assert!(
            not_base64.contains("ROCKET_SECRET_KEY is geen geldige base64")
                && !not_base64.contains("!!!!"),
            "{not_base64}"
        );
        let not_hex = error_with("secret_key", "g".repeat(64));
        assert!(
            not_hex.contains("geen geldige hexadecimale tekst"),
            "{not_hex}"
        );
        let zero = error_with("secret_key", "0".repeat(64));
        assert!(zero.contains("nullen"), "{zero}");
        for good in [
            base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
            base64::engine::general_purpose::STANDARD.encode([9u8; 64]),
            "ab".repeat(32),
        ] {
            assert!(
                check_secret_key(&good, "ROCKET_SECRET_KEY").is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn every_bad_setting_is_named_with_an_example() {
        let cases: Vec<(String, &str, &str)> = vec![
            (
                error_with("port", "achtduizend"),
                "ROCKET_PORT",
                "ROCKET_PORT=8000",
            ),
            (error_with("port", 70000), "ROCKET_PORT", "ROCKET_PORT=8000"),
            (
                error_with("address", "ergens"),
                "ROCKET_ADDRESS",
                "ROCKET_ADDRESS=127.0.0.1",
            ),
            (
                error_with("workers", "veel"),
                "ROCKET_WORKERS",
                "ROCKET_WORKERS=8",
            ),
            (
                error_with("keep_alive", "lang"),
                "ROCKET_KEEP_ALIVE",
                "ROCKET_KEEP_ALIVE=5",
            ),
            (error_with("limits", 5), "ROCKET_LIMITS", "ROCKET_LIMITS="),
            (
                error_with("smtp_port", "vijf"),
                "PLUSMARKT_SMTP_PORT",
                "PLUSMARKT_SMTP_PORT=587",
            ),
            (
                error_with("demo", "misschien"),
                "PLUSMARKT_DEMO",
                "PLUSMARKT_DEMO=false",
            ),
            (
                error_with("database_url", "mysql://db"),
                "PLUSMARKT_DATABASE_URL",
                "sqlite://plusmarkt.sqlite",
            ),
            (
                error_with("bsn_key", "abc"),
                "PLUSMARKT_BSN_KEY",
                "openssl rand -hex 32",
            ),
            (
                error_with("mail_from", "geen adres"),
                "PLUSMARKT_MAIL_FROM",
                "PLUSMARKT_MAIL_FROM=plusmarkt@wsd.example",
            ),
            (
                error_with("intake_email", "intake"),
                "PLUSMARKT_INTAKE_EMAIL",
                "PLUSMARKT_INTAKE_EMAIL=intake@wsd.example",
            ),
            (
                error_with("catalogue_dir", "/bestaat/niet"),
                "PLUSMARKT_CATALOGUE_DIR",
                "PLUSMARKT_CATALOGUE_DIR=/etc/plusmarkt/catalogue",
            ),
            (
                error_with("public_url", "plusmarkt.wsd.example"),
                "PLUSMARKT_PUBLIC_URL",
                "PLUSMARKT_PUBLIC_URL=https://",
            ),
            (
                error_with("seller_iban", "NL00BANK0123456789"),
                "PLUSMARKT_SELLER_IBAN",
                "PLUSMARKT_SELLER_IBAN=NL91ABNA0417164300",
            ),
            (
                error_with("seller_kvk", "123"),
                "PLUSMARKT_SELLER_KVK",
                "PLUSMARKT_SELLER_KVK=12345678",
            ),
            (
                error_with("log_format", "xml"),
                "PLUSMARKT_LOG_FORMAT",
                "PLUSMARKT_LOG_FORMAT=json",
            ),
            (
                Config::from_figment(
                    base()
                        .merge(Serialized::global("smtp_host", "smtp://mail.example.org"))
                        .merge(Serialized::global("smtp_tls", "ssl")),
                )
                .unwrap_err()
                .to_string(),
                "PLUSMARKT_SMTP_HOST",
                "PLUSMARKT_SMTP_HOST=smtp.example.org",
            ),
            (
                Config::from_figment(
                    base()
                        .merge(Serialized::global("smtp_host", "mail.example.org"))
                        .merge(Serialized::global("smtp_tls", "ssl")),
                )
                .unwrap_err()
                .to_string(),
                "PLUSMARKT_SMTP_TLS",
                "PLUSMARKT_SMTP_TLS=starttls",
            ),
        ];
        for (error, setting, example) in cases {
            assert!(
                error.contains(setting) && error.contains(example),
                "{setting}: {error}"
            );
        }
        // A value is shown, unless it is secret.
        assert!(error_with("port", "achtduizend").contains("\"achtduizend\""));
        let database = error_with("database_url", "mysql://root:Xq7vR2@db");
        assert!(!database.contains("Xq7vR2"), "{database}");
    }

    #[test]
    fn oidc_needs_all_three_settings_and_a_tenant_issuer() {
        let with = |pairs: &[(&str, &str)]| {
            let mut figment = base();
            for (key, value) in pairs {
                // As from the environment: "false" is a boolean.
                figment = match value.parse::<bool>() {
                    Ok(flag) => figment.merge(Serialized::global(key, flag)),
                    Err(_) => figment.merge(Serialized::global(key, *value)),
                };
            }
            Config::from_figment(figment)
        };
        let none = with(&[]).unwrap();
        assert!(none.oidc.is_none() && none.password_login);
        let issuer = (
            "oidc_issuer",
            "https://login.microsoftonline.com/0f1e2d3c/v2.0/",
        );
        let id = ("oidc_client_id", "plusmarkt");
        let secret = ("oidc_client_secret", "Zk8vQ2mX");
        let all = with(&[issuer, id, secret, ("password_login", "false")]).unwrap();
        let oidc = all.oidc.clone().unwrap();
        assert_eq!(
            oidc.issuer,
            "https://login.microsoftonline.com/0f1e2d3c/v2.0"
        );
        assert!(!all.password_login);
        // The secret is never shown.
        assert!(!format!("{oidc:?}").contains("Zk8vQ2mX"));
        let missing = with(&[issuer]).unwrap_err().to_string();
        assert!(
            missing.contains("PLUSMARKT_OIDC_CLIENT_ID en PLUSMARKT_OIDC_CLIENT_SECRET ontbreken"),
            "{missing}"
        );
        let missing = with(&[issuer, id]).unwrap_err().to_string();
        assert!(
            missing.contains("PLUSMARKT_OIDC_CLIENT_SECRET ontbreekt"),
            "{missing}"
        );
        let missing = with(&[id, secret]).unwrap_err().to_string();
        assert!(
            missing.contains("PLUSMARKT_OIDC_ISSUER ontbreekt") && !missing.contains("Zk8vQ2mX"),
            "{missing}"
        );
        for template in ["common", "organizations", "consumers", "{tenantid}"] {
            let url = format!("https://login.microsoftonline.com/{template}/v2.0");
            let wrong = with(&[("oidc_issuer", &url), id, secret])
                .unwrap_err()
                .to_string();
            assert!(
                wrong.contains("PLUSMARKT_OIDC_ISSUER")
                    && wrong.contains("sjabloon")
                    && wrong.contains("https://login.microsoftonline.com/<tenant-id>/v2.0"),
                "{wrong}"
            );
        }
        let wrong = with(&[("oidc_issuer", "login.example.org"), id, secret])
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("https://"), "{wrong}");
        // Without sign-on nobody could log in.
        let wrong = with(&[("password_login", "false")])
            .unwrap_err()
            .to_string();
        assert!(
            wrong.contains("PLUSMARKT_PASSWORD_LOGIN") && wrong.contains("PLUSMARKT_OIDC_ISSUER"),
            "{wrong}"
        );
        assert_eq!(
            OidcSettings::redirect_uri("https://plusmarkt.wsd.example/"),
            "https://plusmarkt.wsd.example/login/oidc/callback"
        );
    }

    #[test]
    fn postgres_requires_both_keys_with_an_example() {
        let without = Figment::from(rocket::Config::debug_default()).merge(Serialized::global(
            "database_url",
            "postgres://x@localhost/y",
        ));
        let missing = Config::from_figment(without.clone())
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("PLUSMARKT_BSN_KEY is verplicht bij PostgreSQL")
                && missing.contains("openssl rand -hex 32"),
            "{missing}"
        );
        let missing =
            Config::from_figment(without.merge(Serialized::global("bsn_key", "ab".repeat(32))))
                .unwrap_err()
                .to_string();
        assert!(
            missing.contains("ROCKET_SECRET_KEY is verplicht bij PostgreSQL")
                && missing.contains("openssl rand -base64 32"),
            "{missing}"
        );
    }
}
