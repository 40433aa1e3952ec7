//! Offers side by side: the products contracted for a municipality now, from every
//! provider, at its contract price, with how each has gone so far (API.md, "Providers").

use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use super::ApiJson;
use crate::auth::CurrentUser;
use crate::domain::clock::Clock;
use crate::domain::offers::Sort;
use crate::error::{AppError, AppResult};
use crate::views::catalogue_cache::CatalogueCache;
use crate::views::offers::{self as offer_views, Offer as OfferView, OfferFilter};

#[derive(Serialize, utoipa::ToSchema)]
pub struct OfferProvider {
    pub code: String,
    pub name: String,
}

/// Measured from plusmarkt's own registrations over the last 12 months, across all
/// municipalities; each figure null when it rests on fewer than 5 trajectories.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OfferIndicators {
    pub started: Option<u32>,
    pub completed: Option<u32>,
    /// 0 to 1, two decimals, as a string ("0.67").
    pub goal_reached_share: Option<String>,
    /// Days from order to start, as a string ("12" or "12.5").
    pub median_days_to_start: Option<String>,
    /// Weeks from start to completion, at most one decimal, as a string ("8", "8.5").
    pub median_weeks: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Offer {
    pub product_code: String,
    pub product_name: String,
    pub provider: OfferProvider,
    /// The service type code; null while the product is not classified.
    pub service: Option<String>,
    pub unit: String,
    /// The municipality's contract price today, decimal string with two places.
    pub contract_price: String,
    pub list_price: Option<String>,
    pub duration_weeks: u32,
    pub target_groups: Vec<String>,
    pub indicators: OfferIndicators,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OfferList {
    pub municipality: String,
    /// YYYY-MM-DD: the date of the contract prices.
    pub on: String,
    /// `neutral`, `price`, `waiting` or `outcome`.
    pub sort: String,
    /// The neutral order favours no provider and changes from day to day: it is not a ranking.
    pub note: String,
    pub items: Vec<Offer>,
}

impl From<OfferView> for Offer {
    fn from(o: OfferView) -> Self {
        let i = o.indicators;
        Offer {
            product_code: o.product_code,
            product_name: o.product_name,
            provider: OfferProvider {
                code: o.provider_code,
                name: o.provider_name,
            },
            service: o.service,
            unit: o.unit.as_str().to_string(),
            contract_price: o.contract_price.to_string(),
            list_price: o.list_price.map(|p| p.to_string()),
            duration_weeks: o.duration_weeks,
            target_groups: o.target_groups,
            indicators: OfferIndicators {
                started: i.started,
                completed: i.completed,
                goal_reached_share: i.goal_reached_share.map(|d| d.to_string()),
                median_days_to_start: i.median_days_to_start.map(|d| d.normalize().to_string()),
                median_weeks: i.median_weeks.map(|d| d.normalize().to_string()),
            },
        }
    }
}

/// The offers contracted for a municipality today, from every provider, side by side. A
/// casemanager sees their own municipality's; other users name one with `municipality`.
#[utoipa::path(get, path = "/api/v1/offers", tag = "offers",
    params(("municipality" = Option<String>, Query, description = "municipality code; required except for a casemanager"),
           ("service" = Option<String>, Query, description = "service type code"), ("target_group" = Option<String>, Query),
           ("q" = Option<String>, Query, description = "text in code, name, summary, goal or provider"),
           ("sort" = Option<String>, Query, description = "neutral (default), price, waiting or outcome")),
    responses((status = 200, body = OfferList), (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "the municipality does not exist or is not the casemanager's own", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[allow(clippy::too_many_arguments)]
#[rocket::get("/api/v1/offers?<municipality>&<service>&<target_group>&<q>&<sort>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    cache: &State<CatalogueCache>,
    user: CurrentUser,
    municipality: Option<&str>,
    service: Option<&str>,
    target_group: Option<&str>,
    q: Option<&str>,
    sort: Option<&str>,
) -> AppResult<ApiJson<OfferList>> {
    let sort = Sort::parse(sort.unwrap_or_default()).map_err(|e| AppError::field("sort", e))?;
    let filter = OfferFilter {
        service: service.map(str::to_string),
        target_group: target_group.map(str::to_string),
        domain: None,
        text: q.map(str::to_string),
        sort,
    };
    let offers = offer_views::offers(
        db.inner(),
        cache.inner(),
        &user.0,
        municipality,
        &filter,
        clock.today(),
    )
    .await?;
    Ok(super::ok(OfferList {
        municipality: offers.municipality,
        on: offers.on.to_string(),
        sort: offers.sort.as_str().to_string(),
        note:
            "De volgorde is willekeurig en wisselt per dag; plusmarkt rangschikt aanbieders niet."
                .to_string(),
        items: offers.items.into_iter().map(Offer::from).collect(),
    }))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list]
}
