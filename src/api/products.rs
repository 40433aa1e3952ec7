//! The dienstenportfolio: products and their list prices.

use chrono::NaiveDate;
use rocket::http::{Header, Status};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use super::etag::{etag, IfMatch};
use super::pagination::{decode_cursor, limit, page_of, Page};
use super::{ApiJson, JsonBody, PreparedJson};
use crate::auth::{CurrentUser, Pricing, ProductCreator, SeenGeneration};
use crate::domain::catalogue::{At, ProductSpec, RawProduct};
use crate::domain::clock::Clock;
use crate::domain::money::Money;
use crate::domain::period::parse_date;
use crate::error::{AppError, AppResult};
use crate::services::catalogue as catalogue_service;
use crate::views::catalogue_cache::{self, CatalogueCache, KeptAnswer};
use crate::views::products::{self as product_queries, ProductFilter};

#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone)]
pub struct MilestoneView {
    pub name: String,
    /// Percentage of the price, e.g. "50".
    pub share: String,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone)]
pub struct PriceView {
    /// YYYY-MM-DD
    pub valid_from: String,
    /// Decimal string with two places.
    pub amount: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Product {
    pub code: String,
    /// The provider (aanbieder) that sells it, by code.
    pub provider: String,
    /// The service type (`GET /api/v1/services`) that makes it comparable.
    pub service: String,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub domain: String,
    pub target_groups: Vec<String>,
    pub goal: String,
    pub output: String,
    pub proof: String,
    pub duration_weeks: u32,
    pub variant: String,
    pub unit: String,
    /// iWmo WJ756 unit code.
    pub iwmo_unit: String,
    pub milestones: Vec<MilestoneView>,
    pub vat_category: String,
    pub vat_rate: String,
    pub vat_exemption_reason: Option<String>,
    pub status: String,
    /// The list price on the requested date (`on`, default today).
    pub list_price: Option<String>,
    /// For a casemanager: their contract's price on that date.
    pub contract_price: Option<String>,
    pub prices: Vec<PriceView>,
}

pub fn view(spec: &ProductSpec, on: NaiveDate, contract_price: Option<Money>) -> Product {
    Product {
        code: spec.code.as_str().to_string(),
        provider: spec.provider.clone(),
        service: spec.service.clone(),
        name: spec.name.clone(),
        summary: spec.summary.clone(),
        description: spec.description.clone(),
        domain: spec.domain.clone(),
        target_groups: spec.target_groups.clone(),
        goal: spec.goal.clone(),
        output: spec.output.clone(),
        proof: spec.proof.clone(),
        duration_weeks: spec.duration_weeks,
        variant: spec.variant.as_str().to_string(),
        unit: spec.unit.as_str().to_string(),
        iwmo_unit: spec.unit.iwmo_code().to_string(),
        milestones: spec
            .milestones
            .iter()
            .map(|m| MilestoneView {
                name: m.name.clone(),
                share: m.share.to_string(),
            })
            .collect(),
        vat_category: spec.vat_category.as_str().to_string(),
        vat_rate: spec.vat_category.rate().to_string(),
        vat_exemption_reason: spec.vat_exemption_reason.clone(),
        status: spec.status.as_str().to_string(),
        list_price: spec.price_on(on).map(|m| m.to_string()),
        contract_price: contract_price.map(|m| m.to_string()),
        prices: spec
            .prices
            .iter()
            .map(|p| PriceView {
                valid_from: p.valid_from.to_string(),
                amount: p.amount.to_string(),
            })
            .collect(),
    }
}

fn parse_on(on: Option<&str>, today: NaiveDate) -> AppResult<NaiveDate> {
    match on {
        Some(text) => parse_date(text).map_err(|e| AppError::field("on", e.to_string())),
        None => Ok(today),
    }
}

/// The portfolio, filtered. A casemanager sees only their contract's products, with the
/// contract price.
#[utoipa::path(get, path = "/api/v1/products", tag = "products",
    params(("domain" = Option<String>, Query), ("target_group" = Option<String>, Query), ("q" = Option<String>, Query, description = "text in code, name, summary, goal"),
           ("status" = Option<String>, Query, description = "active or retired"), ("on" = Option<String>, Query, description = "date for the prices, default today"),
           ("contracted_for" = Option<String>, Query, description = "municipality code: only its contracted products, with contract_price"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<Product>), (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "contracted_for names a municipality that does not exist or is not the casemanager's own", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[allow(clippy::too_many_arguments)]
#[rocket::get(
    "/api/v1/products?<domain>&<target_group>&<q>&<status>&<on>&<contracted_for>&<limit>&<cursor>"
)]
pub async fn list(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    cache: &State<CatalogueCache>,
    user: CurrentUser,
    seen: SeenGeneration,
    domain: Option<&str>,
    target_group: Option<&str>,
    q: Option<&str>,
    status: Option<&str>,
    on: Option<&str>,
    contracted_for: Option<&str>,
    limit: Vec<&str>,
    cursor: Option<&str>,
) -> AppResult<PreparedJson> {
    let limit = super::pagination::limit(&limit)?;
    let _ = self::limit;
    let on = parse_on(on, clock.today())?;
    let after = decode_cursor(cursor)?;
    let filter = ProductFilter {
        domain: domain.map(str::to_string),
        target_group: target_group.map(str::to_string),
        text: q.map(str::to_string),
        status: status.map(str::to_string),
        contracted_for: contracted_for.map(str::to_string),
        on,
    };
    // The same request at the same catalogue generation gets the same answer: it is
    // serialised once. The key holds the caller's scope (checked here on every request)
    // and every parameter the answer depends on.
    let scope = product_queries::contract_scope(&user.0, filter.contracted_for.as_deref())?;
    let generation = match seen.0 {
        Some(generation) => generation,
        None => catalogue_cache::generation(db.inner()).await?,
    };
    // The whole filter (its Debug form), so a filter field added later is in the key too.
    let key = format!("products {scope:?} {filter:?} {limit} {after:?}");
    if let Some(body) = cache.rendered(generation, &key) {
        return Ok(PreparedJson(body));
    }
    let rows: Vec<Product> =
        product_queries::search_at(db.inner(), cache.inner(), &user.0, &filter, generation)
            .await?
            .into_iter()
            .filter(|(spec, _)| after.as_deref().is_none_or(|a| spec.code.as_str() > a))
            .take(limit as usize + 1)
            .map(|(spec, price)| view(&spec, on, price))
            .collect();
    let body = std::sync::Arc::new(KeptAnswer::new(
        serde_json::to_string(&page_of(rows, limit, |p| p.code.clone()))
            .map_err(|e| AppError::Internal(e.to_string()))?,
    ));
    cache.keep_rendered(generation, key, body.clone());
    Ok(PreparedJson(body))
}

/// A product with its price history; the ETag is its version.
#[utoipa::path(get, path = "/api/v1/products/{code}", tag = "products",
    params(("code" = String, Path), ("on" = Option<String>, Query)),
    responses((status = 200, body = Product, headers(("ETag" = String))), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/products/<code>?<on>")]
pub async fn get(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    user: CurrentUser,
    code: &str,
    on: Option<&str>,
) -> AppResult<WithEtag<Product>> {
    let on = parse_on(on, clock.today())?;
    let (stored, price) = product_queries::get(db.inner(), &user.0, code, on).await?;
    Ok(WithEtag(
        stored.version,
        super::ok(view(&stored.spec, on, price)),
    ))
}

/// A JSON answer with an ETag header.
pub struct WithEtag<T>(pub i32, pub ApiJson<T>);

impl<'r, T: Serialize> rocket::response::Responder<'r, 'static> for WithEtag<T> {
    fn respond_to(self, request: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        let mut response = self.1.respond_to(request)?;
        response.set_header(Header::new("ETag", etag(self.0)));
        Ok(response)
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub code: String,
    /// The provider, by code: taken from a provider's pricing user; the administrator
    /// names it.
    pub provider: Option<String>,
    /// A service type code (`GET /api/v1/services`).
    pub service: Option<String>,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub domain: String,
    pub target_groups: Vec<String>,
    pub goal: String,
    pub output: String,
    pub proof: String,
    pub duration_weeks: i64,
    pub variant: String,
    pub unit: String,
    pub vat_category: String,
    pub vat_exemption_reason: Option<String>,
    pub status: Option<String>,
    #[serde(default)]
    pub milestones: Vec<MilestoneView>,
    pub prices: Vec<PriceInput>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    pub valid_from: String,
    pub amount: String,
}

/// Creates a product with its price versions, for the caller's provider (a pricing
/// user's own; the administrator names `provider`). Product codes are unique across the
/// marketplace: a code another provider uses answers 422 on `code`.
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = ProductInput,
    responses((status = 201, body = Product), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/products", data = "<body>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: ProductCreator,
    body: JsonBody<ProductInput>,
) -> AppResult<WithEtag<Product>> {
    let input = body.0;
    let mut prices = Vec::new();
    for (i, p) in input.prices.iter().enumerate() {
        let date = parse_date(&p.valid_from)
            .map_err(|e| AppError::field(&format!("prices[{i}].valid_from"), e.to_string()))?;
        prices.push((At::new(date), At::new(p.amount.clone())));
    }
    let raw = RawProduct {
        code: At::new(input.code),
        provider: At::new(input.provider.unwrap_or_default()),
        service: At::new(input.service.unwrap_or_default()),
        name: At::new(input.name),
        summary: At::new(input.summary),
        description: At::new(input.description),
        domain: At::new(input.domain),
        target_groups: At::new(input.target_groups),
        goal: At::new(input.goal),
        output: At::new(input.output),
        proof: At::new(input.proof),
        duration_weeks: At::new(input.duration_weeks),
        variant: At::new(input.variant),
        unit: At::new(input.unit),
        vat_category: At::new(input.vat_category),
        vat_exemption_reason: input.vat_exemption_reason.map(At::new),
        status: At::new(input.status.unwrap_or_else(|| "active".into())),
        milestones: input
            .milestones
            .into_iter()
            .map(|m| (At::new(m.name), At::new(m.share)))
            .collect(),
        prices,
    };
    let spec = catalogue_service::create_product(db.inner(), &pricing.0, &raw).await?;
    let on = clock.today();
    Ok(WithEtag(1, ApiJson(Status::Created, view(&spec, on, None))))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    pub service: Option<String>,
    pub name: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub domain: Option<String>,
    pub target_groups: Option<Vec<String>>,
    pub goal: Option<String>,
    pub output: Option<String>,
    pub proof: Option<String>,
    pub duration_weeks: Option<i64>,
    pub variant: Option<String>,
    pub unit: Option<String>,
    pub vat_category: Option<String>,
    /// null or "" removes the reason (absent: unchanged).
    #[serde(default, deserialize_with = "super::nullable::present")]
    pub vat_exemption_reason: Option<Option<String>>,
    pub status: Option<String>,
    pub milestones: Option<Vec<MilestoneView>>,
}

/// Applies a patch to editable product input.
pub fn apply_patch(raw: &mut RawProduct, patch: ProductPatch) {
    let set = |field: &mut At<String>, value: Option<String>| {
        if let Some(v) = value {
            field.value = v;
        }
    };
    set(&mut raw.service, patch.service);
    set(&mut raw.name, patch.name);
    set(&mut raw.summary, patch.summary);
    set(&mut raw.description, patch.description);
    set(&mut raw.domain, patch.domain);
    set(&mut raw.goal, patch.goal);
    set(&mut raw.output, patch.output);
    set(&mut raw.proof, patch.proof);
    set(&mut raw.variant, patch.variant);
    set(&mut raw.unit, patch.unit);
    set(&mut raw.vat_category, patch.vat_category);
    set(&mut raw.status, patch.status);
    if let Some(groups) = patch.target_groups {
        raw.target_groups.value = groups;
    }
    if let Some(weeks) = patch.duration_weeks {
        raw.duration_weeks.value = weeks;
    }
    if let Some(reason) = patch.vat_exemption_reason {
        raw.vat_exemption_reason = reason.map(At::new).filter(|r| !r.value.trim().is_empty());
    }
    if let Some(milestones) = patch.milestones {
        raw.milestones = milestones
            .into_iter()
            .map(|m| (At::new(m.name), At::new(m.share)))
            .collect();
    }
}

/// Edits a product (not its code or prices). Send `If-Match` with the ETag you read:
/// a stale one answers 412 and changes nothing.
#[utoipa::path(patch, path = "/api/v1/products/{code}", tag = "products", request_body = ProductPatch,
    params(("code" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Product), (status = 412, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::patch("/api/v1/products/<code>", data = "<body>")]
pub async fn patch(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    code: &str,
    if_match: IfMatch,
    body: JsonBody<ProductPatch>,
) -> AppResult<WithEtag<Product>> {
    let (spec, version) = catalogue_service::update_product(
        db.inner(),
        &pricing.0,
        code,
        |raw| apply_patch(raw, body.0),
        if_match.0,
    )
    .await?;
    Ok(WithEtag(
        version,
        super::ok(view(&spec, clock.today(), None)),
    ))
}

/// Adds a list-price version from a date, or corrects the amount of a planned version
/// (re-entering its date before it takes effect). An effective price is never edited.
#[utoipa::path(post, path = "/api/v1/products/{code}/prices", tag = "products", request_body = PriceInput,
    params(("code" = String, Path)),
    responses((status = 201, body = Product), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/products/<code>/prices", data = "<body>")]
pub async fn add_price(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    code: &str,
    body: JsonBody<PriceInput>,
) -> AppResult<WithEtag<Product>> {
    let input = body.0;
    let valid_from =
        parse_date(&input.valid_from).map_err(|e| AppError::field("valid_from", e.to_string()))?;
    let amount = Money::parse_non_negative(&input.amount)
        .map_err(|e| AppError::field("amount", e.to_string()))?;
    catalogue_service::add_price(
        db.inner(),
        &pricing.0,
        code,
        valid_from,
        amount,
        clock.today(),
    )
    .await?;
    let (stored, _) = product_queries::get(db.inner(), &pricing.0, code, valid_from).await?;
    Ok(WithEtag(
        stored.version,
        ApiJson(Status::Created, view(&stored.spec, valid_from, None)),
    ))
}

/// Withdraws a planned price version (its date not yet come); 409 once it has taken
/// effect, 404 for an unknown version.
#[utoipa::path(delete, path = "/api/v1/products/{code}/prices/{valid_from}", tag = "products",
    params(("code" = String, Path), ("valid_from" = String, Path, description = "the version's date, YYYY-MM-DD")),
    responses((status = 204), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::delete("/api/v1/products/<code>/prices/<valid_from>")]
pub async fn withdraw_price(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    code: &str,
    valid_from: &str,
) -> AppResult<Status> {
    let valid_from = parse_date(valid_from).map_err(|_| AppError::NotFound)?;
    catalogue_service::withdraw_price(db.inner(), &pricing.0, code, valid_from, clock.today())
        .await?;
    Ok(Status::NoContent)
}

/// Deletes a product nothing refers to; one in use answers 409 (retire it instead).
#[utoipa::path(delete, path = "/api/v1/products/{code}", tag = "products", params(("code" = String, Path)),
    responses((status = 204), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::delete("/api/v1/products/<code>")]
pub async fn delete(
    db: &State<DatabaseConnection>,
    pricing: Pricing,
    code: &str,
) -> AppResult<Status> {
    catalogue_service::delete(db.inner(), &pricing.0, code).await?;
    Ok(Status::NoContent)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Service {
    pub code: String,
    pub name: String,
    pub description: String,
}

/// The shared list of service types that make offers of different providers comparable,
/// in the catalogue's order.
#[utoipa::path(get, path = "/api/v1/services", tag = "products",
    responses((status = 200, body = Vec<Service>), (status = 401, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/services")]
pub async fn services(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
) -> AppResult<ApiJson<Vec<Service>>> {
    let services = product_queries::services(db.inner())
        .await?
        .into_iter()
        .map(|(code, name, description)| Service {
            code,
            name,
            description,
        })
        .collect();
    Ok(super::ok(services))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        list,
        get,
        create,
        patch,
        add_price,
        withdraw_price,
        delete,
        services
    ]
}
