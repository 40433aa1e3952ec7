//! Providers (aanbieders): listed for every user, admitted and edited by the administrator.

use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use super::pagination::Page;
use super::{created, ok, ApiJson, JsonBody};
use crate::auth::{Admin, CurrentUser};
use crate::domain::provider::ProviderStatus;
use crate::error::AppResult;
use crate::services::providers::{self as service, ProviderInput};
use crate::views::providers as views;

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeppolId {
    /// ICD scheme, 4 digits: 0106 for a KvK number.
    pub scheme: String,
    pub id: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Provider {
    pub code: String,
    pub name: String,
    pub kvk: String,
    pub vat_number: String,
    pub peppol_id: PeppolId,
    pub iban: String,
    /// Where new trajectories are announced.
    pub intake_email: String,
    /// The contact address on its invoices.
    pub invoice_email: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub status: ProviderStatus,
}

impl From<views::Provider> for Provider {
    fn from(p: views::Provider) -> Self {
        Provider {
            code: p.code,
            name: p.name,
            kvk: p.kvk,
            vat_number: p.vat_number,
            peppol_id: PeppolId {
                scheme: p.peppol_scheme,
                id: p.peppol_id,
            },
            iban: p.iban,
            intake_email: p.intake_email,
            invoice_email: p.invoice_email,
            street: p.street,
            postcode: p.postcode,
            city: p.city,
            status: p.status,
        }
    }
}

/// A provider to admit (POST: code, name, kvk, vat_number, iban and intake_email are
/// required; peppol_id defaults to the KvK number with scheme 0106) or the fields to
/// change (PATCH: any but code).
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProviderRequest {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kvk: Option<String>,
    pub vat_number: Option<String>,
    pub peppol_id: Option<PeppolId>,
    pub iban: Option<String>,
    pub intake_email: Option<String>,
    pub invoice_email: Option<String>,
    pub street: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    /// `active` or `suspended` (PATCH only).
    pub status: Option<String>,
}

impl From<ProviderRequest> for ProviderInput {
    fn from(r: ProviderRequest) -> Self {
        let (peppol_scheme, peppol_id) = match r.peppol_id {
            Some(p) => (Some(p.scheme), Some(p.id)),
            None => (None, None),
        };
        ProviderInput {
            code: r.code,
            name: r.name,
            kvk: r.kvk,
            vat_number: r.vat_number,
            peppol_scheme,
            peppol_id,
            iban: r.iban,
            intake_email: r.intake_email,
            invoice_email: r.invoice_email,
            street: r.street,
            postcode: r.postcode,
            city: r.city,
            status: r.status,
        }
    }
}

/// Every provider of the marketplace.
#[utoipa::path(get, path = "/api/v1/providers", tag = "providers",
    responses((status = 200, body = Page<Provider>)),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/providers")]
pub async fn list(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
) -> AppResult<ApiJson<Page<Provider>>> {
    let items = views::list(db.inner())
        .await?
        .into_iter()
        .map(Provider::from)
        .collect();
    Ok(ok(Page {
        items,
        next_cursor: None,
    }))
}

/// One provider.
#[utoipa::path(get, path = "/api/v1/providers/{code}", tag = "providers", params(("code" = String, Path)),
    responses((status = 200, body = Provider), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/providers/<code>")]
pub async fn get(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    code: &str,
) -> AppResult<ApiJson<Provider>> {
    Ok(ok(views::get(db.inner(), code).await?.into()))
}

/// Admits a provider (audited); 422 names every wrong field, a code or KvK number in use
/// included.
#[utoipa::path(post, path = "/api/v1/providers", tag = "providers", request_body = ProviderRequest,
    responses((status = 201, body = Provider), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/providers", data = "<body>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    admin: Admin,
    body: JsonBody<ProviderRequest>,
) -> AppResult<ApiJson<Provider>> {
    let model = service::admit(db.inner(), &admin.0, body.0.into()).await?;
    Ok(created(views::Provider::from(model).into()))
}

/// Edits a provider (audited): any field but its code; `status` suspends or reactivates.
#[utoipa::path(patch, path = "/api/v1/providers/{code}", tag = "providers", request_body = ProviderRequest,
    params(("code" = String, Path)),
    responses((status = 200, body = Provider), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::patch("/api/v1/providers/<code>", data = "<body>")]
pub async fn patch(
    db: &State<DatabaseConnection>,
    admin: Admin,
    code: &str,
    body: JsonBody<ProviderRequest>,
) -> AppResult<ApiJson<Provider>> {
    let model = service::update(db.inner(), &admin.0, code, body.0.into()).await?;
    Ok(ok(views::Provider::from(model).into()))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list, get, create, patch]
}
