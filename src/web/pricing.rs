//! Pricing staff: the product list, a product with its price history, editing, planning
//! a price change, retiring.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::confirm::{self, Confirmation};
use super::format::{date, euro, instant};
use super::{render, Errors, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::Pricing;
use crate::domain::catalogue::{ProductSpec, DOMAINS};
use crate::domain::clock::Clock;
use crate::domain::money::Money;
use crate::domain::period::parse_date;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::catalogue as catalogue_service;
use crate::views::catalogue_cache::CatalogueCache;
use crate::views::products::{self as product_queries, ProductFilter};

pub struct ProductRow {
    code: String,
    name: String,
    service: String,
    domain: String,
    unit: String,
    price: String,
    status: String,
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    layout: Layout,
    today: String,
    domains: Vec<&'static str>,
    target_groups: Vec<(String, String)>,
    filter_q: String,
    filter_domain: String,
    filter_group: String,
    filter_status: String,
    rows: Vec<ProductRow>,
}

#[allow(clippy::too_many_arguments)]
#[rocket::get("/prijzen/producten?<q>&<domain>&<target_group>&<status>")]
async fn products(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    cache: &State<CatalogueCache>,
    pricing: Pricing,
    csrf: CsrfToken,
    q: Option<String>,
    domain: Option<String>,
    target_group: Option<String>,
    status: Option<String>,
) -> AppResult<RawHtml<String>> {
    let filter = ProductFilter {
        domain: domain.clone(),
        target_group: target_group.clone(),
        text: q.clone(),
        status: status.clone(),
        contracted_for: None,
        on: clock.today(),
    };
    let services = product_queries::services(db.inner()).await?;
    // The editor lists the pricing user's own provider's products (the public catalogue
    // shows everyone's).
    let rows = product_queries::search(db.inner(), cache.inner(), &pricing.0, &filter)
        .await?
        .into_iter()
        .filter(|(spec, _)| is_own(&pricing, spec))
        .map(|(spec, _)| ProductRow {
            service: service_name(&services, &spec.service),
            price: spec
                .price_on(clock.today())
                .map(euro)
                .unwrap_or_else(|| "nog geen tarief".into()),
            code: spec.code.as_str().to_string(),
            name: spec.name,
            domain: spec.domain,
            unit: spec.unit.as_str().to_string(),
            status: spec.status.label_nl().to_string(),
        })
        .collect();
    let target_groups = product_queries::target_groups(db.inner()).await?;
    Ok(render(&ProductsPage {
        layout: Layout::new(
            "Dienstenportfolio",
            Some(&pricing.0),
            &csrf.0,
            "/prijzen/producten",
        ),
        today: date(clock.today()),
        domains: DOMAINS.to_vec(),
        target_groups,
        filter_q: q.unwrap_or_default(),
        filter_domain: domain.unwrap_or_default(),
        filter_group: target_group.unwrap_or_default(),
        filter_status: status.unwrap_or_default(),
        rows,
    }))
}

pub struct ProductView {
    code: String,
    provider: String,
    service: String,
    name: String,
    summary: String,
    description: String,
    status: String,
    active: bool,
    domain: String,
    target_groups: String,
    variant: String,
    unit: String,
    iwmo: String,
    duration_weeks: u32,
    goal: String,
    output: String,
    proof: String,
    vat: String,
    milestones: String,
    version: i32,
}

pub struct PriceRow {
    valid_from: String,
    /// `YYYY-MM-DD`, for the withdraw link of a planned version.
    iso: String,
    amount: String,
    note: String,
    planned: bool,
}

pub struct AuditRow {
    at: String,
    actor: String,
    action: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    layout: Layout,
    p: ProductView,
    prices: Vec<PriceRow>,
    audit: Vec<AuditRow>,
    errors: Errors,
    form_valid_from: String,
    form_amount: String,
}

/// Whether the product belongs to the pricing user's provider.
fn is_own(pricing: &Pricing, spec: &ProductSpec) -> bool {
    pricing
        .0
        .provider_scope()
        .is_none_or(|own| own == spec.provider)
}

/// A service type's name, or its code when unknown ("geen" when the product has none).
fn service_name(services: &[(String, String, String)], code: &str) -> String {
    if code.is_empty() {
        return "geen".into();
    }
    services
        .iter()
        .find(|(c, _, _)| c == code)
        .map(|(_, name, _)| name.clone())
        .unwrap_or_else(|| code.to_string())
}

fn describe_vat(spec: &ProductSpec) -> String {
    match &spec.vat_exemption_reason {
        Some(reason) => format!("vrijgesteld ({reason})"),
        None => format!("{}%", spec.vat_category.rate()),
    }
}

/// A product for the page, with its target groups by name.
pub fn product_view(
    spec: &ProductSpec,
    version: i32,
    group_names: &[(String, String)],
    services: &[(String, String, String)],
) -> ProductView {
    let groups: Vec<String> = spec
        .target_groups
        .iter()
        .map(|g| {
            group_names
                .iter()
                .find(|(c, _)| c == g)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| g.clone())
        })
        .collect();
    ProductView {
        code: spec.code.as_str().to_string(),
        provider: spec.provider.clone(),
        service: service_name(services, &spec.service),
        name: spec.name.clone(),
        summary: spec.summary.clone(),
        description: spec.description.clone(),
        status: spec.status.label_nl().to_string(),
        active: spec.status == crate::domain::catalogue::ProductStatus::Active,
        domain: spec.domain.clone(),
        target_groups: groups.join(", "),
        variant: spec.variant.as_str().to_string(),
        unit: spec.unit.as_str().to_string(),
        iwmo: spec.unit.iwmo_code().to_string(),
        duration_weeks: spec.duration_weeks,
        goal: spec.goal.clone(),
        output: spec.output.clone(),
        proof: spec.proof.clone(),
        vat: describe_vat(spec),
        milestones: spec
            .milestones
            .iter()
            .map(|m| format!("{} {}%", m.name.replace('_', " "), m.share))
            .collect::<Vec<_>>()
            .join(", "),
        version,
    }
}

#[allow(clippy::too_many_arguments)]
async fn product_page(
    db: &DatabaseConnection,
    clock: &Clock,
    pricing: &Pricing,
    csrf: &CsrfToken,
    code: &str,
    errors: Vec<FieldError>,
    form: (String, String),
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    let stored = product_queries::product(db, code)
        .await?
        .filter(|stored| is_own(pricing, &stored.spec))
        .ok_or(AppError::NotFound)?;
    let group_names: Vec<(String, String)> = product_queries::target_groups(db).await?;
    let services = product_queries::services(db).await?;
    let current = stored
        .spec
        .prices
        .iter()
        .rev()
        .find(|p| p.valid_from <= clock.today())
        .map(|p| p.valid_from);
    let prices = stored
        .spec
        .prices
        .iter()
        .rev()
        .map(|p| PriceRow {
            valid_from: date(p.valid_from),
            iso: p.valid_from.to_string(),
            planned: p.valid_from > clock.today(),
            amount: euro(p.amount),
            note: if Some(p.valid_from) == current {
                "huidig tarief".into()
            } else if p.valid_from > clock.today() {
                "gepland".into()
            } else {
                "vervallen".into()
            },
        })
        .collect();
    let audit = crate::views::audit::for_entity(db, "product", code, 50)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            at: instant(&e.at),
            actor: e.actor,
            summary: audit_summary(&e.action, e.after.as_deref()),
            action: crate::views::audit::action_label(&e.action).to_string(),
        })
        .collect();
    Ok(render(&ProductPage {
        layout: Layout::new(
            stored.spec.name.clone(),
            Some(&pricing.0),
            &csrf.0,
            "/prijzen/producten",
        )
        .with_flash(flash),
        p: product_view(&stored.spec, stored.version, &group_names, &services),
        prices,
        audit,
        errors: Errors(errors),
        form_valid_from: form.0,
        form_amount: form.1,
    }))
}

fn audit_summary(action: &str, after: Option<&str>) -> String {
    let value: serde_json::Value = after
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default();
    match action {
        "price.add" => {
            let amount = value["amount"]
                .as_str()
                .and_then(|a| Money::parse(a).ok())
                .map(euro)
                .unwrap_or_default();
            let from = value["valid_from"]
                .as_str()
                .and_then(|d| parse_date(d).ok())
                .map(date)
                .unwrap_or_default();
            format!("tarief {amount} vanaf {from}")
        }
        "price.correct" | "price.withdraw" => {
            let from = value["valid_from"]
                .as_str()
                .and_then(|d| parse_date(d).ok())
                .map(date)
                .unwrap_or_default();
            match value["amount"].as_str().and_then(|a| Money::parse(a).ok()) {
                Some(amount) => format!(
                    "gepland tarief vanaf {from} gecorrigeerd naar {}",
                    euro(amount)
                ),
                None => format!("gepland tarief vanaf {from} ingetrokken"),
            }
        }
        "product.create" => "product aangemaakt".into(),
        "product.update" => value["status"]
            .as_str()
            .and_then(|s| crate::domain::catalogue::ProductStatus::parse(s).ok())
            .map(|s| format!("status {}", s.label_nl()))
            .unwrap_or_default(),
        other => crate::views::audit::action_label(other).to_string(),
    }
}

#[rocket::get("/prijzen/producten/<code>?<gewijzigd>")]
async fn product(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    code: &str,
    gewijzigd: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let flash = gewijzigd.map(|what| match what {
        "tarief" => "Het tarief is opgeslagen.".to_string(),
        "ingetrokken" => "Het geplande tarief is ingetrokken.".to_string(),
        "vervallen" => "Het product is vervallen.".to_string(),
        _ => "Het product is opgeslagen.".to_string(),
    });
    product_page(
        db.inner(),
        clock,
        &pricing,
        &csrf,
        code,
        Vec::new(),
        (String::new(), String::new()),
        flash,
    )
    .await
}

#[derive(FromForm)]
pub struct PriceForm {
    valid_from: String,
    amount: String,
}

type PageResult = AppResult<Result<Redirect, (Status, RawHtml<String>)>>;

#[rocket::post("/prijzen/producten/<code>/tarieven", data = "<form>")]
async fn add_price(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    code: &str,
    form: CsrfForm<PriceForm>,
) -> PageResult {
    let form = form.0;
    let mut errors = Vec::new();
    let valid_from = parse_date(form.valid_from.trim())
        .map_err(|e| errors.push(FieldError::new("valid_from", e.to_string())))
        .ok();
    let amount = Money::parse_non_negative(&form.amount)
        .map_err(|e| errors.push(FieldError::new("amount", e.to_string())))
        .ok();
    let result = match (valid_from, amount) {
        (Some(valid_from), Some(amount)) => {
            catalogue_service::add_price(
                db.inner(),
                &pricing.0,
                code,
                valid_from,
                amount,
                clock.today(),
            )
            .await
        }
        _ => Err(AppError::validation("tarief ongeldig", errors)),
    };
    match result {
        Ok(()) => Ok(Ok(Redirect::to(format!(
            "/prijzen/producten/{code}?gewijzigd=tarief#tarieven"
        )))),
        Err(AppError::Validation { errors, .. }) => {
            let page = product_page(
                db.inner(),
                clock,
                &pricing,
                &csrf,
                code,
                errors,
                (form.valid_from, form.amount),
                None,
            )
            .await?;
            Ok(Err((Status::UnprocessableEntity, page)))
        }
        Err(other) => Err(other),
    }
}

#[derive(FromForm)]
pub struct VersionForm {
    version: i32,
    /// `ja` from the confirmation page.
    bevestigd: Option<String>,
}

/// The pricing user's own product, or 404.
async fn own_product(
    db: &DatabaseConnection,
    pricing: &Pricing,
    code: &str,
) -> AppResult<(ProductSpec, i32)> {
    product_queries::product(db, code)
        .await?
        .filter(|stored| is_own(pricing, &stored.spec))
        .map(|stored| (stored.spec, stored.version))
        .ok_or(AppError::NotFound)
}

/// What retiring does: no new orders, while running trajectories and contracts go on
/// and are billed as before.
fn retire_confirmation(spec: &ProductSpec, version: i32) -> Confirmation {
    let code = spec.code.as_str();
    Confirmation {
        title: format!("{} laten vervallen?", spec.name),
        sentences: vec![
            format!("{} ({code}) kan daarna niet meer besteld worden: casemanagers zien het niet meer als nieuw aanbod.", spec.name),
            "Lopende trajecten en contracten met dit product lopen gewoon door en worden gefactureerd zoals afgesproken.".into(),
        ],
        action: format!("/prijzen/producten/{code}/vervallen"),
        fields: vec![("version".into(), version.to_string())],
        yes: "Ja, laat het product vervallen".into(),
        back: format!("/prijzen/producten/{code}"),
    }
}

/// `version` is the product as the page showed it: retiring refuses a product changed since.
#[rocket::get("/prijzen/producten/<code>/vervallen?<version>")]
async fn confirm_retire(
    db: &State<DatabaseConnection>,
    pricing: Pricing,
    csrf: CsrfToken,
    code: &str,
    version: Option<i32>,
) -> AppResult<RawHtml<String>> {
    let (spec, stored) = own_product(db.inner(), &pricing, code).await?;
    Ok(confirm::page(
        retire_confirmation(&spec, version.unwrap_or(stored)),
        &pricing.0,
        &csrf.0,
        "/prijzen/producten",
    ))
}

#[rocket::post("/prijzen/producten/<code>/vervallen", data = "<form>")]
async fn retire(
    db: &State<DatabaseConnection>,
    pricing: Pricing,
    csrf: CsrfToken,
    code: &str,
    form: CsrfForm<VersionForm>,
) -> AppResult<Result<Redirect, RawHtml<String>>> {
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let (spec, _) = own_product(db.inner(), &pricing, code).await?;
        return Ok(Err(confirm::page(
            retire_confirmation(&spec, form.0.version),
            &pricing.0,
            &csrf.0,
            "/prijzen/producten",
        )));
    }
    catalogue_service::retire(db.inner(), &pricing.0, code, Some(form.0.version)).await?;
    Ok(Ok(Redirect::to(format!(
        "/prijzen/producten/{code}?gewijzigd=vervallen"
    ))))
}

/// What withdrawing a planned price does: the version goes, and the price before it
/// goes on applying from its date.
fn withdraw_confirmation(
    spec: &ProductSpec,
    valid_from: chrono::NaiveDate,
) -> AppResult<Confirmation> {
    let code = spec.code.as_str();
    let planned = spec
        .prices
        .iter()
        .find(|p| p.valid_from == valid_from)
        .ok_or(AppError::NotFound)?;
    let before = spec
        .prices
        .iter()
        .rfind(|p| p.valid_from < valid_from)
        .map(|p| p.amount);
    let from = date(valid_from);
    let then = match before {
        Some(amount) => format!(
            "Vanaf {from} blijft dan {} gelden, het tarief dat ervoor gold.",
            euro(amount)
        ),
        None => format!("Vanaf {from} geldt dan het volgende geplande tarief."),
    };
    Ok(Confirmation {
        title: format!("Gepland tarief vanaf {from} intrekken?"),
        sentences: vec![
            format!(
                "Het geplande tarief van {} vanaf {from} verdwijnt uit de tariefhistorie van {}.",
                euro(planned.amount),
                spec.name
            ),
            then,
        ],
        action: format!("/prijzen/producten/{code}/tarieven/{valid_from}/intrekken"),
        fields: Vec::new(),
        yes: "Ja, trek het tarief in".into(),
        back: format!("/prijzen/producten/{code}#tarieven"),
    })
}

#[rocket::get("/prijzen/producten/<code>/tarieven/<valid_from>/intrekken")]
async fn confirm_withdraw_price(
    db: &State<DatabaseConnection>,
    pricing: Pricing,
    csrf: CsrfToken,
    code: &str,
    valid_from: &str,
) -> AppResult<RawHtml<String>> {
    let valid_from = parse_date(valid_from).map_err(|_| AppError::NotFound)?;
    let (spec, _) = own_product(db.inner(), &pricing, code).await?;
    Ok(confirm::page(
        withdraw_confirmation(&spec, valid_from)?,
        &pricing.0,
        &csrf.0,
        "/prijzen/producten",
    ))
}

#[derive(FromForm)]
pub struct ConfirmForm {
    bevestigd: Option<String>,
}

#[allow(clippy::too_many_arguments)]
#[rocket::post(
    "/prijzen/producten/<code>/tarieven/<valid_from>/intrekken",
    data = "<form>"
)]
async fn withdraw_price(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    code: &str,
    valid_from: &str,
    form: CsrfForm<ConfirmForm>,
) -> PageResult {
    let valid_from = parse_date(valid_from).map_err(|_| AppError::NotFound)?;
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let (spec, _) = own_product(db.inner(), &pricing, code).await?;
        return Ok(Err((
            Status::Ok,
            confirm::page(
                withdraw_confirmation(&spec, valid_from)?,
                &pricing.0,
                &csrf.0,
                "/prijzen/producten",
            ),
        )));
    }
    match catalogue_service::withdraw_price(db.inner(), &pricing.0, code, valid_from, clock.today())
        .await
    {
        Ok(()) => Ok(Ok(Redirect::to(format!(
            "/prijzen/producten/{code}?gewijzigd=ingetrokken#tarieven"
        )))),
        Err(AppError::Conflict(message)) => {
            let page = product_page(
                db.inner(),
                clock,
                &pricing,
                &csrf,
                code,
                vec![FieldError::new("withdraw", message)],
                (String::new(), String::new()),
                None,
            )
            .await?;
            Ok(Err((Status::Conflict, page)))
        }
        Err(other) => Err(other),
    }
}

#[derive(FromForm, Default)]
pub struct EditForm {
    version: i32,
    /// Absent on a form of before service types: the product keeps its service.
    service: Option<String>,
    name: String,
    summary: String,
    description: String,
    domain: String,
    target_groups: Vec<String>,
    goal: String,
    output: String,
    proof: String,
    duration_weeks: String,
    vat_category: String,
    vat_exemption_reason: String,
    milestone_names: Vec<String>,
    milestone_shares: Vec<String>,
}

#[derive(Template)]
#[template(path = "product_edit.html")]
struct EditPage {
    layout: Layout,
    code: String,
    version: i32,
    f: EditForm,
    domains: Vec<&'static str>,
    services: Vec<(String, String)>,
    groups: Vec<(String, String, bool)>,
    is_traject: bool,
    milestones: Vec<(usize, String, String)>,
    errors: Vec<FieldError>,
}

async fn edit_page(
    db: &DatabaseConnection,
    pricing: &Pricing,
    csrf: &CsrfToken,
    code: &str,
    form: Option<EditForm>,
    errors: Vec<FieldError>,
) -> AppResult<RawHtml<String>> {
    let stored = product_queries::product(db, code)
        .await?
        .filter(|stored| is_own(pricing, &stored.spec))
        .ok_or(AppError::NotFound)?;
    let spec = &stored.spec;
    let services = product_queries::services(db)
        .await?
        .into_iter()
        .map(|(code, name, _)| (code, name))
        .collect();
    let f = form.unwrap_or_else(|| EditForm {
        version: stored.version,
        service: Some(spec.service.clone()),
        name: spec.name.clone(),
        summary: spec.summary.clone(),
        description: spec.description.clone(),
        domain: spec.domain.clone(),
        target_groups: spec.target_groups.clone(),
        goal: spec.goal.clone(),
        output: spec.output.clone(),
        proof: spec.proof.clone(),
        duration_weeks: spec.duration_weeks.to_string(),
        vat_category: spec.vat_category.as_str().to_string(),
        vat_exemption_reason: spec.vat_exemption_reason.clone().unwrap_or_default(),
        milestone_names: spec.milestones.iter().map(|m| m.name.clone()).collect(),
        milestone_shares: spec
            .milestones
            .iter()
            .map(|m| m.share.to_string())
            .collect(),
    });
    let groups = product_queries::target_groups(db)
        .await?
        .into_iter()
        .map(|(code, name)| {
            let checked = f.target_groups.contains(&code);
            (code, name, checked)
        })
        .collect();
    let mut milestones: Vec<(usize, String, String)> = f
        .milestone_names
        .iter()
        .zip(
            f.milestone_shares
                .iter()
                .chain(std::iter::repeat(&String::new())),
        )
        .enumerate()
        .map(|(i, (n, s))| (i, n.clone(), s.clone()))
        .collect();
    for i in milestones.len()..milestones.len().max(4) {
        milestones.push((i, String::new(), String::new()));
    }
    Ok(render(&EditPage {
        layout: Layout::new(
            format!("{code} bewerken"),
            Some(&pricing.0),
            &csrf.0,
            "/prijzen/producten",
        ),
        code: code.to_string(),
        version: f.version,
        is_traject: spec.unit == crate::domain::billing::Unit::Traject,
        f,
        domains: DOMAINS.to_vec(),
        services,
        groups,
        milestones,
        errors,
    }))
}

#[rocket::get("/prijzen/producten/<code>/bewerken")]
async fn edit(
    db: &State<DatabaseConnection>,
    pricing: Pricing,
    csrf: CsrfToken,
    code: &str,
) -> AppResult<RawHtml<String>> {
    edit_page(db.inner(), &pricing, &csrf, code, None, Vec::new()).await
}

#[rocket::post("/prijzen/producten/<code>/bewerken", data = "<form>")]
async fn save(
    db: &State<DatabaseConnection>,
    pricing: Pricing,
    csrf: CsrfToken,
    code: &str,
    form: CsrfForm<EditForm>,
) -> PageResult {
    let form = form.0;
    let weeks = form.duration_weeks.trim().parse::<i64>().unwrap_or(-1);
    let milestones: Vec<(String, String)> = form
        .milestone_names
        .iter()
        .zip(form.milestone_shares.iter())
        .filter(|(n, s)| !n.trim().is_empty() || !s.trim().is_empty())
        .map(|(n, s)| (n.clone(), s.clone()))
        .collect();
    let result = catalogue_service::update_product(
        db.inner(),
        &pricing.0,
        code,
        |raw| {
            if let Some(service) = &form.service {
                raw.service.value = service.clone();
            }
            raw.name.value = form.name.clone();
            raw.summary.value = form.summary.clone();
            raw.description.value = form.description.clone();
            raw.domain.value = form.domain.clone();
            raw.target_groups.value = form.target_groups.clone();
            raw.goal.value = form.goal.clone();
            raw.output.value = form.output.clone();
            raw.proof.value = form.proof.clone();
            raw.duration_weeks.value = weeks;
            raw.vat_category.value = form.vat_category.clone();
            raw.vat_exemption_reason = Some(form.vat_exemption_reason.clone())
                .filter(|r| !r.trim().is_empty())
                .map(crate::domain::catalogue::At::new);
            if raw.unit.value == "traject" {
                raw.milestones = milestones
                    .iter()
                    .map(|(n, s)| {
                        (
                            crate::domain::catalogue::At::new(n.clone()),
                            crate::domain::catalogue::At::new(s.clone()),
                        )
                    })
                    .collect();
            }
        },
        Some(form.version),
    )
    .await;
    match result {
        Ok(_) => Ok(Ok(Redirect::to(format!(
            "/prijzen/producten/{code}?gewijzigd=product"
        )))),
        Err(AppError::Validation { errors, .. }) => Ok(Err((
            Status::UnprocessableEntity,
            edit_page(db.inner(), &pricing, &csrf, code, Some(form), errors).await?,
        ))),
        Err(AppError::PreconditionFailed) => {
            let errors = vec![FieldError::new(
                "version",
                "iemand anders heeft dit product intussen gewijzigd. Hieronder staat de nieuwe versie; voer uw wijziging opnieuw in.",
            )];
            Ok(Err((
                Status::PreconditionFailed,
                edit_page(db.inner(), &pricing, &csrf, code, None, errors).await?,
            )))
        }
        Err(other) => Err(other),
    }
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        products,
        product,
        add_price,
        confirm_retire,
        retire,
        confirm_withdraw_price,
        withdraw_price,
        edit,
        save
    ]
}
