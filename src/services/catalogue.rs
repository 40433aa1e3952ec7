//! The catalogue as reviewed files and as the pricing staff's editor: validate, import
//! (atomic, idempotent, prices only ever added), export (canonical, byte for byte), and
//! the edits of products and their prices. Every change is audited.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::catalogue::{
    parse_product_toml, parse_service_code, product_to_toml, toml_string, validate, Finding, Known,
    ProductSpec, ProductStatus, RawProduct,
};
use crate::domain::money::Money;
use crate::domain::principal::Principal;
use crate::entities::{municipality, provider, service, target_group};
use crate::error::{AppError, AppResult, FieldError};
use crate::store;

const TARGET_GROUPS_FILE: &str = "target_groups.toml";
const MUNICIPALITIES_FILE: &str = "municipalities.toml";
const PRODUCTS_DIR: &str = "products";
const SERVICES_FILE: &str = "services.toml";
const PROVIDERS_FILE: &str = "providers.toml";
const SERVICES_HEADER: &str = "# Diensttypen: de gedeelde woordenlijst die aanbiedingen van verschillende aanbieders vergelijkbaar maakt.\n";
const PROVIDERS_HEADER: &str = "# Aanbieders: wie op de marktplaats verkoopt. KvK-, btw- en Peppol-nummers zijn demowaarden\n# (demo_identifiers = true), geen echte registraties; e-mailadressen gebruiken .example.\n";
const TARGET_GROUPS_HEADER: &str =
    "# Doelgroepen: de vaste woordenlijst waaruit producten kiezen.\n";
const MUNICIPALITIES_HEADER: &str = "# Gemeenten: de negen deelnemers van de GR WSD die plusdiensten afnemen.\n# OIN en KvK-nummer zijn demowaarden (demo_identifiers = true), geen echte registraties.\n";

/// A problem in a catalogue file: `file:line: field: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: PathBuf,
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.field,
            self.message
        )
    }
}

fn file_error(file: &Path, line: usize, field: &str, message: impl Into<String>) -> FileError {
    FileError {
        file: file.to_path_buf(),
        line,
        field: field.to_string(),
        message: message.into(),
    }
}

/// The catalogue shipped with this build: the `catalogue/` folder of the source tree, file
/// by file, so the binary runs from any working directory. The folder is the one source:
/// `build.rs` rebuilds the crate when a file in it is added, changed or removed.
static EMBEDDED: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/catalogue");

/// Where a catalogue is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueSource {
    /// A folder on disk: `PLUSMARKT_CATALOGUE_DIR`, or one named on the command line.
    Dir(PathBuf),
    /// The catalogue built into the binary (the default).
    Embedded,
}

impl CatalogueSource {
    /// The configured folder, or the embedded catalogue when none is configured.
    pub fn configured(dir: Option<&Path>) -> CatalogueSource {
        dir.map_or(CatalogueSource::Embedded, |d| {
            CatalogueSource::Dir(d.to_path_buf())
        })
    }

    /// How a file of this catalogue is named in messages: the path on disk, or the
    /// relative name (`products/JOBCOACH-UUR.toml`) inside the embedded catalogue.
    pub fn path(&self, relative: &str) -> PathBuf {
        match self {
            CatalogueSource::Dir(dir) => dir.join(relative),
            CatalogueSource::Embedded => PathBuf::from(relative),
        }
    }

    fn read(&self, relative: &str) -> Result<String, String> {
        match self {
            CatalogueSource::Dir(dir) => {
                std::fs::read_to_string(dir.join(relative)).map_err(|e| e.to_string())
            }
            CatalogueSource::Embedded => EMBEDDED
                .get_file(relative)
                .ok_or_else(|| "staat niet in de ingebouwde catalogus".to_string())?
                .contents_utf8()
                .map(str::to_string)
                .ok_or_else(|| "is geen UTF-8-tekst".to_string()),
        }
    }

    /// The product files (`products/*.toml`), relative and sorted.
    fn product_files(&self) -> Result<Vec<String>, String> {
        let mut names: Vec<String> = match self {
            CatalogueSource::Dir(dir) => std::fs::read_dir(dir.join(PRODUCTS_DIR))
                .map_err(|e| e.to_string())?
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect(),
            CatalogueSource::Embedded => EMBEDDED
                .get_dir(PRODUCTS_DIR)
                .ok_or_else(|| "staat niet in de ingebouwde catalogus".to_string())?
                .files()
                .filter_map(|f| f.path().file_name()?.to_str().map(str::to_string))
                .collect(),
        };
        names.retain(|n| n.ends_with(".toml"));
        names.sort();
        Ok(names
            .into_iter()
            .map(|n| format!("{PRODUCTS_DIR}/{n}"))
            .collect())
    }

    /// Every file of the embedded catalogue with its bytes, by relative name.
    pub fn embedded_files() -> Vec<(String, &'static [u8])> {
        fn walk(dir: &'static include_dir::Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
            for file in dir.files() {
                out.push((file.path().to_string_lossy().into_owned(), file.contents()));
            }
            for sub in dir.dirs() {
                walk(sub, out);
            }
        }
        let mut files = Vec::new();
        walk(&EMBEDDED, &mut files);
        files.sort();
        files
    }
}

impl fmt::Display for CatalogueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogueSource::Dir(dir) => write!(f, "{}", dir.display()),
            CatalogueSource::Embedded => f.write_str("de ingebouwde catalogus"),
        }
    }
}

/// A whole catalogue folder, validated.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub target_groups: Vec<target_group::Model>,
    pub municipalities: Vec<municipality::Model>,
    pub services: Vec<service::Model>,
    pub providers: Vec<CatalogueProvider>,
    pub products: Vec<ProductSpec>,
}

/// A provider's identity as the catalogue holds it (its status is the administrator's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueProvider {
    pub code: String,
    pub name: String,
    pub kvk: String,
    pub vat_number: String,
    pub peppol_scheme: String,
    pub peppol_id: String,
    pub iban: String,
    pub intake_email: String,
    pub invoice_email: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub demo_identifiers: bool,
}

impl CatalogueProvider {
    fn of(p: &provider::Model) -> CatalogueProvider {
        CatalogueProvider {
            code: p.code.clone(),
            name: p.name.clone(),
            kvk: p.kvk.clone(),
            vat_number: p.vat_number.clone(),
            peppol_scheme: p.peppol_scheme.clone(),
            peppol_id: p.peppol_id.clone(),
            iban: p.iban.clone(),
            intake_email: p.intake_email.clone(),
            invoice_email: p.invoice_email.clone(),
            street: p.street.clone(),
            postcode: p.postcode.clone(),
            city: p.city.clone(),
            demo_identifiers: p.demo_identifiers,
        }
    }

    fn to_toml(&self) -> String {
        let mut out = String::from("\n[[provider]]\n");
        for (key, value) in [
            ("code", &self.code),
            ("name", &self.name),
            ("kvk", &self.kvk),
            ("vat_number", &self.vat_number),
            ("peppol_scheme", &self.peppol_scheme),
            ("peppol_id", &self.peppol_id),
            ("iban", &self.iban),
            ("intake_email", &self.intake_email),
            ("invoice_email", &self.invoice_email),
            ("street", &self.street),
            ("postcode", &self.postcode),
            ("city", &self.city),
        ] {
            out.push_str(&format!("{key} = {}\n", toml_string(value)));
        }
        out.push_str(&format!("demo_identifiers = {}\n", self.demo_identifiers));
        out
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesFile {
    service: Vec<ServiceEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceEntry {
    code: toml::Spanned<String>,
    name: toml::Spanned<String>,
    description: toml::Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    provider: Vec<ProviderEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderEntry {
    code: toml::Spanned<String>,
    name: toml::Spanned<String>,
    kvk: toml::Spanned<String>,
    vat_number: toml::Spanned<String>,
    peppol_scheme: toml::Spanned<String>,
    peppol_id: toml::Spanned<String>,
    iban: toml::Spanned<String>,
    intake_email: toml::Spanned<String>,
    invoice_email: toml::Spanned<String>,
    street: toml::Spanned<String>,
    postcode: toml::Spanned<String>,
    city: toml::Spanned<String>,
    demo_identifiers: bool,
}

/// Reads `services.toml`: valid codes, each once, with a name and a description.
fn read_services(source: &CatalogueSource, errors: &mut Vec<FileError>) -> Vec<service::Model> {
    let path = &source.path(SERVICES_FILE);
    let mut services: Vec<service::Model> = Vec::new();
    let Some((file, text)) = read_toml::<ServicesFile>(source, SERVICES_FILE, errors) else {
        return services;
    };
    let line = |offset: usize| crate::domain::catalogue::line_of(&text, offset);
    for (position, s) in file.service.into_iter().enumerate() {
        let code_line = line(s.code.span().start);
        match parse_service_code(s.code.get_ref()) {
            Err(message) => errors.push(file_error(path, code_line, "code", message)),
            Ok(code) if services.iter().any(|known| known.code == code) => errors.push(file_error(
                path,
                code_line,
                "code",
                format!("diensttype {code} komt twee keer voor"),
            )),
            Ok(_) => {}
        }
        for (field, value, max) in [
            ("name", &s.name, 120),
            ("description", &s.description, 1000),
        ] {
            let text = value.get_ref().trim();
            if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
                errors.push(file_error(
                    path,
                    line(value.span().start),
                    field,
                    format!("is verplicht: één regel tekst van hoogstens {max} tekens"),
                ));
            }
        }
        services.push(service::Model {
            code: s.code.into_inner(),
            name: s.name.into_inner().trim().to_string(),
            description: s.description.into_inner().trim().to_string(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
        });
    }
    services
}

/// Reads `providers.toml`, every field checked with the provider's own validators.
fn read_providers(source: &CatalogueSource, errors: &mut Vec<FileError>) -> Vec<CatalogueProvider> {
    use crate::domain::provider as p;
    let path = &source.path(PROVIDERS_FILE);
    let mut providers: Vec<CatalogueProvider> = Vec::new();
    let Some((file, text)) = read_toml::<ProvidersFile>(source, PROVIDERS_FILE, errors) else {
        return providers;
    };
    let line = |offset: usize| crate::domain::catalogue::line_of(&text, offset);
    for e in file.provider {
        let mut check =
            |value: &toml::Spanned<String>, result: Result<String, p::FieldError>| -> String {
                match result {
                    Ok(v) => v,
                    Err(err) => {
                        errors.push(file_error(
                            path,
                            line(value.span().start),
                            err.field,
                            err.message,
                        ));
                        value.get_ref().clone()
                    }
                }
            };
        let code = check(&e.code, p::parse_code(e.code.get_ref()));
        let name = check(&e.name, p::parse_text("name", e.name.get_ref()));
        let kvk = check(&e.kvk, p::parse_kvk(e.kvk.get_ref()));
        let vat_number = check(&e.vat_number, p::parse_vat_number(e.vat_number.get_ref()));
        let peppol = p::parse_peppol(e.peppol_scheme.get_ref(), e.peppol_id.get_ref());
        let peppol_scheme = check(
            &e.peppol_scheme,
            match &peppol {
                Err(err) if err.field == "peppol_id.scheme" => Err(p::FieldError {
                    field: "peppol_scheme",
                    message: err.message.clone(),
                }),
                _ => Ok(e.peppol_scheme.get_ref().trim().to_string()),
            },
        );
        let peppol_id = check(
            &e.peppol_id,
            match &peppol {
                Err(err) if err.field == "peppol_id.id" => Err(p::FieldError {
                    field: "peppol_id",
                    message: err.message.clone(),
                }),
                _ => Ok(e.peppol_id.get_ref().trim().to_string()),
            },
        );
        let iban = check(&e.iban, p::parse_iban(e.iban.get_ref()));
        let intake_email = check(
            &e.intake_email,
            p::parse_email("intake_email", e.intake_email.get_ref()),
        );
        let invoice_email = check(
            &e.invoice_email,
            p::parse_email("invoice_email", e.invoice_email.get_ref()),
        );
        let street = check(&e.street, p::parse_text("street", e.street.get_ref()));
        let postcode = check(&e.postcode, p::parse_postcode(e.postcode.get_ref()));
        let city = check(&e.city, p::parse_text("city", e.city.get_ref()));
        if providers.iter().any(|known| known.code == code) {
            errors.push(file_error(
                path,
                line(e.code.span().start),
                "code",
                format!("aanbieder {code} komt twee keer voor"),
            ));
        }
        if let Some(other) = providers.iter().find(|known| known.kvk == kvk) {
            errors.push(file_error(
                path,
                line(e.kvk.span().start),
                "kvk",
                format!("KvK-nummer {kvk} is al van aanbieder {}", other.code),
            ));
        }
        providers.push(CatalogueProvider {
            code,
            name,
            kvk,
            vat_number,
            peppol_scheme,
            peppol_id,
            iban,
            intake_email,
            invoice_email,
            street,
            postcode,
            city,
            demo_identifiers: e.demo_identifiers,
        });
    }
    providers
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetGroupsFile {
    target_group: Vec<TargetGroupEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetGroupEntry {
    code: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MunicipalitiesFile {
    municipality: Vec<MunicipalityEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MunicipalityEntry {
    code: toml::Spanned<String>,
    name: String,
    cooperation_model: String,
    oin: Option<String>,
    kvk: Option<String>,
    demo_identifiers: bool,
    street: String,
    postcode: String,
    city: String,
    finance_email: toml::Spanned<String>,
    payment_term_days: toml::Spanned<i32>,
}

fn read_toml<T: serde::de::DeserializeOwned>(
    source: &CatalogueSource,
    relative: &str,
    errors: &mut Vec<FileError>,
) -> Option<(T, String)> {
    let path = &source.path(relative);
    let text = match source.read(relative) {
        Ok(text) => text,
        Err(e) => {
            errors.push(file_error(
                path,
                0,
                "bestand",
                format!("kan niet gelezen worden: {e}"),
            ));
            return None;
        }
    };
    match toml::from_str(&text) {
        Ok(value) => Some((value, text)),
        Err(e) => {
            let line = e
                .span()
                .map(|s| crate::domain::catalogue::line_of(&text, s.start))
                .unwrap_or(1);
            errors.push(file_error(path, line, "toml", e.message()));
            None
        }
    }
}

/// Reads and validates a catalogue folder; every problem is reported with file and line.
pub fn read_catalogue(dir: &Path) -> Result<Catalogue, Vec<FileError>> {
    read_catalogue_from(&CatalogueSource::Dir(dir.to_path_buf()))
}

/// Reads and validates a catalogue, from a folder or the embedded copy; every problem is
/// reported with file and line.
pub fn read_catalogue_from(source: &CatalogueSource) -> Result<Catalogue, Vec<FileError>> {
    let mut errors = Vec::new();
    let mut target_groups = Vec::new();
    if let Some((file, _)) = read_toml::<TargetGroupsFile>(source, TARGET_GROUPS_FILE, &mut errors)
    {
        for (position, g) in file.target_group.into_iter().enumerate() {
            target_groups.push(target_group::Model {
                code: g.code,
                name: g.name,
                position: i32::try_from(position).unwrap_or(i32::MAX),
            });
        }
    }
    let services = read_services(source, &mut errors);
    let providers = read_providers(source, &mut errors);
    let known = Known {
        target_groups: target_groups.iter().map(|g| g.code.clone()).collect(),
        providers: providers.iter().map(|p| p.code.clone()).collect(),
        services: services.iter().map(|s| s.code.clone()).collect(),
    };

    let municipalities_path = source.path(MUNICIPALITIES_FILE);
    let mut municipalities = Vec::new();
    if let Some((file, text)) =
        read_toml::<MunicipalitiesFile>(source, MUNICIPALITIES_FILE, &mut errors)
    {
        let line = |offset: usize| crate::domain::catalogue::line_of(&text, offset);
        for m in file.municipality {
            if crate::domain::ids::MunicipalityCode::parse(m.code.get_ref()).is_err() {
                errors.push(file_error(
                    &municipalities_path,
                    line(m.code.span().start),
                    "code",
                    format!("{:?} is geen CBS-code als GM0757", m.code.get_ref()),
                ));
            }
            if crate::domain::email::Email::parse(m.finance_email.get_ref()).is_err() {
                errors.push(file_error(
                    &municipalities_path,
                    line(m.finance_email.span().start),
                    "finance_email",
                    "geen geldig e-mailadres",
                ));
            }
            if !(0..=365).contains(m.payment_term_days.get_ref()) {
                errors.push(file_error(
                    &municipalities_path,
                    line(m.payment_term_days.span().start),
                    "payment_term_days",
                    "betaaltermijn moet 0 tot 365 dagen zijn",
                ));
            }
            municipalities.push(municipality::Model {
                code: m.code.into_inner(),
                name: m.name,
                cooperation_model: m.cooperation_model,
                oin: m.oin,
                kvk: m.kvk,
                demo_identifiers: m.demo_identifiers,
                street: m.street,
                postcode: m.postcode,
                city: m.city,
                finance_email: m.finance_email.into_inner(),
                payment_term_days: m.payment_term_days.into_inner(),
                buyer_reference: None,
            });
        }
    }

    let names = match source.product_files() {
        Ok(names) => names,
        Err(e) => {
            errors.push(file_error(
                &source.path(PRODUCTS_DIR),
                0,
                "map",
                format!("kan niet gelezen worden: {e}"),
            ));
            Vec::new()
        }
    };
    let mut products: Vec<ProductSpec> = Vec::new();
    for name in names {
        let path = source.path(&name);
        let text = match source.read(&name) {
            Ok(text) => text,
            Err(e) => {
                errors.push(file_error(&path, 0, "bestand", e));
                continue;
            }
        };
        let result = parse_product_toml(&text).and_then(|raw| validate(&raw, &known));
        match result {
            Ok(spec) => {
                let expected = format!("{}.toml", spec.code.as_str());
                if path.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
                    errors.push(file_error(
                        &path,
                        1,
                        "code",
                        format!("het bestand van {} heet {expected}", spec.code.as_str()),
                    ));
                }
                if products.iter().any(|p| p.code == spec.code) {
                    errors.push(file_error(
                        &path,
                        1,
                        "code",
                        format!("productcode {} komt twee keer voor", spec.code.as_str()),
                    ));
                }
                products.push(spec);
            }
            Err(findings) => errors.extend(
                findings
                    .into_iter()
                    .map(|f| file_error(&path, f.line, &f.field, f.message)),
            ),
        }
    }
    if errors.is_empty() {
        Ok(Catalogue {
            target_groups,
            municipalities,
            services,
            providers,
            products,
        })
    } else {
        Err(errors)
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub products_added: usize,
    pub products_updated: usize,
    pub products_unchanged: usize,
    pub prices_added: usize,
    pub prices_changed: usize,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} producten nieuw, {} gewijzigd, {} ongewijzigd; {} tarieven toegevoegd, {} gecorrigeerd",
            self.products_added, self.products_updated, self.products_unchanged, self.prices_added, self.prices_changed
        )
    }
}

/// The audit view of a product.
pub fn spec_json(spec: &ProductSpec) -> Value {
    json!({
        "code": spec.code.as_str(),
        "provider": spec.provider,
        "service": spec.service,
        "name": spec.name,
        "summary": spec.summary,
        "description": spec.description,
        "domain": spec.domain,
        "target_groups": spec.target_groups,
        "goal": spec.goal,
        "output": spec.output,
        "proof": spec.proof,
        "duration_weeks": spec.duration_weeks,
        "variant": spec.variant.as_str(),
        "unit": spec.unit.as_str(),
        "vat_category": spec.vat_category.as_str(),
        "vat_exemption_reason": spec.vat_exemption_reason,
        "status": spec.status.as_str(),
        "milestones": spec.milestones.iter().map(|m| json!({"name": m.name, "share": m.share.to_string()})).collect::<Vec<_>>(),
    })
}

/// Imports a catalogue folder in one transaction: all or nothing. Products are added or
/// updated; a price version is added when the file has a new one; a changed amount of an
/// existing version is corrected only while no order depends on it; versions are never
/// deleted.
pub async fn import(
    db: &DatabaseConnection,
    actor: &Principal,
    dir: &Path,
) -> AppResult<ImportReport> {
    import_from(db, actor, &CatalogueSource::Dir(dir.to_path_buf())).await
}

/// `import` from a folder or the embedded catalogue.
pub async fn import_from(
    db: &DatabaseConnection,
    actor: &Principal,
    source: &CatalogueSource,
) -> AppResult<ImportReport> {
    let catalogue = read_catalogue_from(source).map_err(|errors| {
        AppError::validation(
            match source {
                CatalogueSource::Dir(dir) => {
                    format!("de catalogus in {} is niet geldig", dir.display())
                }
                CatalogueSource::Embedded => "de ingebouwde catalogus is niet geldig".to_string(),
            },
            errors
                .iter()
                .map(|e| {
                    FieldError::new(
                        format!("{}:{}", e.file.display(), e.line),
                        format!("{}: {}", e.field, e.message),
                    )
                })
                .collect(),
        )
    })?;
    let txn = store::db::begin_write(db).await?;
    let report = import_into(&txn, actor, &catalogue).await?;
    txn.commit().await?;
    Ok(report)
}

async fn import_into<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    catalogue: &Catalogue,
) -> AppResult<ImportReport> {
    for group in &catalogue.target_groups {
        store::catalogue::upsert_target_group(txn, group.clone()).await?;
    }
    for s in &catalogue.services {
        store::catalogue::upsert_service(txn, s.clone()).await?;
    }
    for p in &catalogue.providers {
        let before = store::providers::get(txn, &p.code).await?;
        if before.as_ref().map(CatalogueProvider::of).as_ref() == Some(p) {
            continue;
        }
        let now = store::now();
        store::catalogue::upsert_provider_identity(
            txn,
            provider::Model {
                code: p.code.clone(),
                name: p.name.clone(),
                kvk: p.kvk.clone(),
                vat_number: p.vat_number.clone(),
                peppol_scheme: p.peppol_scheme.clone(),
                peppol_id: p.peppol_id.clone(),
                iban: p.iban.clone(),
                intake_email: p.intake_email.clone(),
                invoice_email: p.invoice_email.clone(),
                street: p.street.clone(),
                postcode: p.postcode.clone(),
                city: p.city.clone(),
                status: crate::domain::provider::ProviderStatus::Active,
                demo_identifiers: p.demo_identifiers,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        store::audit::append(
            txn,
            actor,
            "provider.import",
            "provider",
            &p.code,
            before.map(|b| json!({"name": b.name, "kvk": b.kvk, "iban": b.iban})),
            Some(json!({"name": p.name, "kvk": p.kvk, "iban": p.iban})),
        )
        .await?;
    }
    for m in &catalogue.municipalities {
        let before = store::municipalities::get(txn, &m.code).await?;
        let unchanged = before.as_ref().is_some_and(|b| {
            municipality::Model {
                buyer_reference: None,
                ..b.clone()
            } == *m
        });
        if !unchanged {
            store::municipalities::upsert(txn, m.clone()).await?;
            store::audit::append(
                txn,
                actor,
                "municipality.import",
                "municipality",
                &m.code,
                before.map(|b| json!({"name": b.name, "finance_email": b.finance_email})),
                Some(json!({"name": m.name, "finance_email": m.finance_email})),
            )
            .await?;
        }
    }
    let mut report = ImportReport::default();
    for spec in &catalogue.products {
        let code = spec.code.as_str();
        let existing = store::catalogue::get(txn, code).await?;
        match &existing {
            None => {
                store::catalogue::save_product(txn, spec, None).await?;
                store::audit::append(
                    txn,
                    actor,
                    "product.create",
                    "product",
                    code,
                    None,
                    Some(spec_json(spec)),
                )
                .await?;
                report.products_added += 1;
            }
            Some(stored) => {
                let mut same = stored.spec.clone();
                same.prices = spec.prices.clone();
                if same == *spec {
                    report.products_unchanged += 1;
                } else {
                    store::catalogue::save_product(txn, spec, None).await?;
                    store::audit::append(
                        txn,
                        actor,
                        "product.update",
                        "product",
                        code,
                        Some(spec_json(&stored.spec)),
                        Some(spec_json(spec)),
                    )
                    .await?;
                    report.products_updated += 1;
                }
            }
        }
        let current = existing.map(|e| e.spec.prices).unwrap_or_default();
        let latest_order = store::catalogue::latest_order_start(txn, code).await?;
        for price in &spec.prices {
            match current.iter().find(|p| p.valid_from == price.valid_from) {
                Some(p) if p.amount == price.amount => {}
                Some(p) => {
                    if latest_order.is_some_and(|d| d >= price.valid_from) {
                        return Err(AppError::field(
                            "price",
                            format!("{code}: het tarief vanaf {} is al gebruikt door een bestelling en kan niet meer wijzigen; voeg een nieuw tarief toe", price.valid_from),
                        ));
                    }
                    store::catalogue::update_price(txn, code, price.valid_from, price.amount)
                        .await?;
                    store::audit::append(txn, actor, "price.correct", "product", code, Some(json!({"valid_from": p.valid_from, "amount": p.amount.to_string()})), Some(json!({"valid_from": price.valid_from, "amount": price.amount.to_string()}))).await?;
                    report.prices_changed += 1;
                }
                None => {
                    if let Some(latest) = latest_order.filter(|d| *d >= price.valid_from) {
                        return Err(AppError::field(
                            "price",
                            format!("{code}: een tarief vanaf {} valt vóór een bestelling die al op {latest} begint", price.valid_from),
                        ));
                    }
                    store::catalogue::insert_price(
                        txn,
                        code,
                        price.valid_from,
                        price.amount,
                        &actor.actor(),
                    )
                    .await?;
                    store::audit::append(txn, actor, "price.add", "product", code, None, Some(json!({"valid_from": price.valid_from, "amount": price.amount.to_string()}))).await?;
                    report.prices_added += 1;
                }
            }
        }
        if !spec.prices.is_empty() {
            store::catalogue::touch(txn, code).await.ok();
        }
    }
    Ok(report)
}

/// Writes the database's catalogue to a folder in the canonical format.
pub async fn export<C: ConnectionTrait>(db: &C, dir: &Path) -> AppResult<usize> {
    let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir.join(PRODUCTS_DIR)).map_err(io)?;
    let mut groups = String::from(TARGET_GROUPS_HEADER);
    for g in store::catalogue::target_groups(db).await? {
        groups.push_str(&format!(
            "\n[[target_group]]\ncode = {}\nname = {}\n",
            toml_string(&g.code),
            toml_string(&g.name)
        ));
    }
    std::fs::write(dir.join(TARGET_GROUPS_FILE), groups).map_err(io)?;
    let mut services = String::from(SERVICES_HEADER);
    for s in store::catalogue::services(db).await? {
        services.push_str(&format!(
            "\n[[service]]\ncode = {}\nname = {}\ndescription = {}\n",
            toml_string(&s.code),
            toml_string(&s.name),
            toml_string(&s.description)
        ));
    }
    std::fs::write(dir.join(SERVICES_FILE), services).map_err(io)?;
    let mut providers = String::from(PROVIDERS_HEADER);
    // In the order of the file: by code.
    for p in store::providers::list(db).await? {
        providers.push_str(&CatalogueProvider::of(&p).to_toml());
    }
    std::fs::write(dir.join(PROVIDERS_FILE), providers).map_err(io)?;
    let mut towns = String::from(MUNICIPALITIES_HEADER);
    // In the order of the file: by name.
    for m in store::municipalities::list(db).await? {
        towns.push_str("\n[[municipality]]\n");
        towns.push_str(&format!(
            "code = {}\nname = {}\ncooperation_model = {}\n",
            toml_string(&m.code),
            toml_string(&m.name),
            toml_string(&m.cooperation_model)
        ));
        if let Some(oin) = &m.oin {
            towns.push_str(&format!("oin = {}\n", toml_string(oin)));
        }
        if let Some(kvk) = &m.kvk {
            towns.push_str(&format!("kvk = {}\n", toml_string(kvk)));
        }
        towns.push_str(&format!(
            "demo_identifiers = {}\nstreet = {}\npostcode = {}\ncity = {}\nfinance_email = {}\npayment_term_days = {}\n",
            m.demo_identifiers,
            toml_string(&m.street),
            toml_string(&m.postcode),
            toml_string(&m.city),
            toml_string(&m.finance_email),
            m.payment_term_days
        ));
    }
    std::fs::write(dir.join(MUNICIPALITIES_FILE), towns).map_err(io)?;
    let products = store::catalogue::all(db).await?;
    for p in &products {
        std::fs::write(
            dir.join(PRODUCTS_DIR)
                .join(format!("{}.toml", p.spec.code.as_str())),
            product_to_toml(&p.spec),
        )
        .map_err(io)?;
    }
    Ok(products.len())
}

fn findings_to_error(findings: Vec<Finding>) -> AppError {
    AppError::validation(
        findings
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        findings
            .into_iter()
            .map(|f| FieldError::new(f.field, f.message))
            .collect(),
    )
}

/// The provider a new product is for: a provider's pricing staff create their own
/// provider's products (naming another is refused); the administrator names one.
fn provider_of_new_product(actor: &Principal, given: &str) -> AppResult<String> {
    let given = given.trim();
    match actor.provider_scope() {
        Some(own) if given.is_empty() || given == own => Ok(own.to_string()),
        Some(own) => Err(AppError::field(
            "provider",
            format!("u maakt alleen producten van uw eigen aanbieder {own}"),
        )),
        None if given.is_empty() => Err(AppError::field(
            "provider",
            "noem de aanbieder van het product (bijvoorbeeld WSD)",
        )),
        None => Ok(given.to_string()),
    }
}

/// A stored product the actor may change: one of their own provider's (the catalogue is
/// readable by everyone, but another provider's product does not exist for a write).
async fn own_product<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    code: &str,
) -> AppResult<store::catalogue::StoredProduct> {
    let stored = store::catalogue::get(txn, code)
        .await?
        .ok_or(AppError::NotFound)?;
    match actor.provider_scope() {
        Some(own) if own != stored.spec.provider => Err(AppError::NotFound),
        _ => Ok(stored),
    }
}

/// Creates a product (with its first price) from typed input. Product codes are unique
/// across the marketplace.
pub async fn create_product(
    db: &DatabaseConnection,
    actor: &Principal,
    raw: &RawProduct,
) -> AppResult<ProductSpec> {
    let mut raw = raw.clone();
    raw.provider.value = provider_of_new_product(actor, &raw.provider.value)?;
    let txn = store::db::begin_write(db).await?;
    let known = store::catalogue::known(&txn).await?;
    let spec = validate(&raw, &known).map_err(findings_to_error)?;
    if let Some(existing) = store::catalogue::get(&txn, spec.code.as_str()).await? {
        let message = if existing.spec.provider == spec.provider {
            format!("er is al een product met code {}", spec.code.as_str())
        } else {
            let owner = store::providers::get(&txn, &existing.spec.provider)
                .await?
                .map(|p| p.name)
                .unwrap_or_else(|| existing.spec.provider.clone());
            format!(
                "code {} is al in gebruik bij aanbieder {owner} ({}); productcodes zijn uniek op de marktplaats",
                spec.code.as_str(),
                existing.spec.provider
            )
        };
        return Err(AppError::field("code", message));
    }
    store::catalogue::save_product(&txn, &spec, None).await?;
    for price in &spec.prices {
        store::catalogue::insert_price(
            &txn,
            spec.code.as_str(),
            price.valid_from,
            price.amount,
            &actor.actor(),
        )
        .await?;
    }
    store::audit::append(
        &txn,
        actor,
        "product.create",
        "product",
        spec.code.as_str(),
        None,
        Some(spec_json(&spec)),
    )
    .await?;
    txn.commit().await?;
    Ok(spec)
}

/// Edits a product's own fields (not its code, not its prices). `if_match` is the version
/// the editor saw; a stale one answers 412 and changes nothing.
pub async fn update_product(
    db: &DatabaseConnection,
    actor: &Principal,
    code: &str,
    edit: impl FnOnce(&mut RawProduct),
    if_match: Option<i32>,
) -> AppResult<(ProductSpec, i32)> {
    let txn = store::db::begin_write(db).await?;
    let stored = own_product(&txn, actor, code).await?;
    if if_match.is_some_and(|v| v != stored.version) {
        return Err(AppError::PreconditionFailed);
    }
    let mut raw = raw_of(&stored.spec);
    edit(&mut raw);
    raw.code.value = code.to_string();
    // A product stays with its provider.
    raw.provider.value = stored.spec.provider.clone();
    raw.prices = stored
        .spec
        .prices
        .iter()
        .map(|p| {
            (
                crate::domain::catalogue::At::new(p.valid_from),
                crate::domain::catalogue::At::new(p.amount.to_string()),
            )
        })
        .collect();
    let known = store::catalogue::known(&txn).await?;
    let spec = validate(&raw, &known).map_err(findings_to_error)?;
    let version = store::catalogue::save_product(&txn, &spec, Some(stored.version)).await?;
    store::audit::append(
        &txn,
        actor,
        "product.update",
        "product",
        code,
        Some(spec_json(&stored.spec)),
        Some(spec_json(&spec)),
    )
    .await?;
    txn.commit().await?;
    Ok((spec, version))
}

/// Adds a list-price version from a date, or corrects a planned one: re-entering the date
/// of a version that has not taken effect (after `today`) replaces its amount. A version
/// whose date has come is never changed; only a new version follows it.
pub async fn add_price(
    db: &DatabaseConnection,
    actor: &Principal,
    code: &str,
    valid_from: NaiveDate,
    amount: Money,
    today: NaiveDate,
) -> AppResult<()> {
    if amount.is_negative() {
        return Err(AppError::field(
            "amount",
            "een tarief kan niet negatief zijn",
        ));
    }
    let txn = store::db::begin_write(db).await?;
    let stored = own_product(&txn, actor, code).await?;
    let existing = stored
        .spec
        .prices
        .iter()
        .find(|p| p.valid_from == valid_from)
        .map(|p| p.amount);
    if existing.is_some() && valid_from <= today {
        return Err(AppError::field("valid_from", format!("het tarief vanaf {} geldt al en wordt niet meer gewijzigd; kies een latere ingangsdatum voor een nieuw tarief", crate::domain::period::format_date_nl(valid_from))));
    }
    check_no_order_from(&txn, code, valid_from, |latest| {
        AppError::field(
            "valid_from",
            format!(
                "er is al een bestelling die op {} begint; een nieuw tarief moet later ingaan",
                crate::domain::period::format_date_nl(latest)
            ),
        )
    })
    .await?;
    let (action, before) = match existing {
        Some(planned) => {
            store::catalogue::update_price(&txn, code, valid_from, amount).await?;
            (
                "price.correct",
                json!({"valid_from": valid_from, "amount": planned.to_string()}),
            )
        }
        None => {
            store::catalogue::insert_price(&txn, code, valid_from, amount, &actor.actor()).await?;
            (
                "price.add",
                json!({"price_on_that_date": stored.spec.price_on(valid_from).map(|m| m.to_string())}),
            )
        }
    };
    store::catalogue::touch(&txn, code).await?;
    store::audit::append(
        &txn,
        actor,
        action,
        "product",
        code,
        Some(before),
        Some(json!({"valid_from": valid_from, "amount": amount.to_string()})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Refuses a price change dated on or before the start of an existing order line of the
/// product: it would change what that order was placed under.
async fn check_no_order_from<C: ConnectionTrait>(
    txn: &C,
    code: &str,
    valid_from: NaiveDate,
    refuse: impl FnOnce(NaiveDate) -> AppError,
) -> AppResult<()> {
    match store::catalogue::latest_order_start(txn, code).await? {
        Some(latest) if valid_from <= latest => Err(refuse(latest)),
        _ => Ok(()),
    }
}

/// Withdraws a planned price version (its date after `today`); once its date has come it
/// stays, and only a new version can follow it.
pub async fn withdraw_price(
    db: &DatabaseConnection,
    actor: &Principal,
    code: &str,
    valid_from: NaiveDate,
    today: NaiveDate,
) -> AppResult<()> {
    let txn = store::db::begin_write(db).await?;
    let stored = own_product(&txn, actor, code).await?;
    let planned = stored
        .spec
        .prices
        .iter()
        .find(|p| p.valid_from == valid_from)
        .map(|p| p.amount)
        .ok_or(AppError::NotFound)?;
    let date_nl = crate::domain::period::format_date_nl(valid_from);
    if valid_from <= today {
        return Err(AppError::Conflict(format!(
            "het tarief vanaf {date_nl} geldt al en kan niet meer worden ingetrokken; plan een nieuw tarief"
        )));
    }
    if stored.spec.prices.len() <= 1 {
        return Err(AppError::Conflict(format!(
            "het tarief vanaf {date_nl} is het enige tarief van dit product en kan niet worden ingetrokken; corrigeer het bedrag"
        )));
    }
    check_no_order_from(&txn, code, valid_from, |latest| {
        AppError::Conflict(format!(
            "er is al een bestelling die op {} begint onder het tarief vanaf {date_nl}; het kan niet meer worden ingetrokken",
            crate::domain::period::format_date_nl(latest)
        ))
    })
    .await?;
    store::catalogue::delete_price(&txn, code, valid_from).await?;
    store::catalogue::touch(&txn, code).await?;
    store::audit::append(
        &txn,
        actor,
        "price.withdraw",
        "product",
        code,
        Some(json!({"valid_from": valid_from, "amount": planned.to_string()})),
        Some(json!({"valid_from": valid_from, "withdrawn": true})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Retires a product: it stays in history and contracts, but can no longer be ordered.
pub async fn retire(
    db: &DatabaseConnection,
    actor: &Principal,
    code: &str,
    if_match: Option<i32>,
) -> AppResult<(ProductSpec, i32)> {
    update_product(
        db,
        actor,
        code,
        |raw| raw.status.value = ProductStatus::Retired.as_str().into(),
        if_match,
    )
    .await
}

/// Deletes a product that no contract or order refers to.
pub async fn delete(db: &DatabaseConnection, actor: &Principal, code: &str) -> AppResult<()> {
    let txn = store::db::begin_write(db).await?;
    let stored = own_product(&txn, actor, code).await?;
    if store::catalogue::in_use(&txn, code).await? {
        return Err(AppError::Conflict(format!("{code} wordt gebruikt in contracten of bestellingen en kan alleen vervallen, niet verwijderd worden")));
    }
    store::catalogue::delete_product(&txn, code).await?;
    store::audit::append(
        &txn,
        actor,
        "product.delete",
        "product",
        code,
        Some(spec_json(&stored.spec)),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A stored product as editable input.
pub fn raw_of(spec: &ProductSpec) -> RawProduct {
    use crate::domain::catalogue::At;
    RawProduct {
        code: At::new(spec.code.as_str().to_string()),
        provider: At::new(spec.provider.clone()),
        service: At::new(spec.service.clone()),
        name: At::new(spec.name.clone()),
        summary: At::new(spec.summary.clone()),
        description: At::new(spec.description.clone()),
        domain: At::new(spec.domain.clone()),
        target_groups: At::new(spec.target_groups.clone()),
        goal: At::new(spec.goal.clone()),
        output: At::new(spec.output.clone()),
        proof: At::new(spec.proof.clone()),
        duration_weeks: At::new(i64::from(spec.duration_weeks)),
        variant: At::new(spec.variant.as_str().to_string()),
        unit: At::new(spec.unit.as_str().to_string()),
        vat_category: At::new(spec.vat_category.as_str().to_string()),
        vat_exemption_reason: spec.vat_exemption_reason.clone().map(At::new),
        status: At::new(spec.status.as_str().to_string()),
        milestones: spec
            .milestones
            .iter()
            .map(|m| (At::new(m.name.clone()), At::new(m.share.to_string())))
            .collect(),
        prices: spec
            .prices
            .iter()
            .map(|p| (At::new(p.valid_from), At::new(p.amount.to_string())))
            .collect(),
    }
}

/// Imports the catalogue on a database without products (first start).
pub async fn ensure_imported(
    db: &DatabaseConnection,
    source: &CatalogueSource,
) -> AppResult<Option<ImportReport>> {
    if !store::catalogue::all(db).await?.is_empty() {
        return Ok(None);
    }
    import_from(db, &Principal::system("start"), source)
        .await
        .map(Some)
}
