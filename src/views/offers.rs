//! Offers side by side: every product contracted for a municipality on a date, from every
//! provider, at the municipality's contract price, with how it has gone so far. One query
//! per table for the whole page (the catalogue and the contract terms come from the
//! catalogue cache), never one per offer. The arithmetic is in `domain::offers`.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use crate::domain::billing::Unit;
use crate::domain::catalogue::ProductStatus;
use crate::domain::money::Money;
use crate::domain::offers::{indicators, sort_offers, window_start, Indicators, Sort, SortFacts};
use crate::domain::principal::Principal;
use crate::domain::provider::ProviderStatus;
use crate::error::{AppError, AppResult};
use crate::store;
use crate::views::catalogue_cache::{self, CatalogueCache};

#[derive(Debug, Clone, Default)]
pub struct OfferFilter {
    /// A service type code; only its products.
    pub service: Option<String>,
    pub target_group: Option<String>,
    /// A catalogue domain (the web page's older filter).
    pub domain: Option<String>,
    /// Text in the product's code, name, summary, goal or description, or the provider's name.
    pub text: Option<String>,
    pub sort: Sort,
}

/// One product as offered to the municipality.
#[derive(Debug, Clone)]
pub struct Offer {
    pub product_code: String,
    pub product_name: String,
    pub summary: String,
    pub goal: String,
    pub output: String,
    pub domain: String,
    pub provider_code: String,
    pub provider_name: String,
    pub service: Option<String>,
    pub unit: Unit,
    pub contract_price: Money,
    pub list_price: Option<Money>,
    pub duration_weeks: u32,
    pub target_groups: Vec<String>,
    pub indicators: Indicators,
}

/// The offers for one municipality on one date, in the order asked for.
#[derive(Debug, Clone)]
pub struct Offers {
    pub municipality: String,
    pub on: NaiveDate,
    pub sort: Sort,
    pub items: Vec<Offer>,
}

/// Whose offers: a casemanager's own municipality (another is not found), for other roles
/// the one they name (required).
pub fn municipality_of(principal: &Principal, requested: Option<&str>) -> AppResult<String> {
    let requested = requested.map(str::trim).filter(|r| !r.is_empty());
    match (principal.municipality_scope(), requested) {
        (Some(own), Some(other)) if own != other => Err(AppError::NotFound),
        (Some(own), _) => Ok(own.to_string()),
        (None, Some(requested)) => Ok(requested.to_string()),
        (None, None) => Err(AppError::field(
            "municipality",
            "noem de gemeente waarvan u het aanbod wilt zien (municipality=GM…)",
        )),
    }
}

fn wanted(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The offers contracted for `municipality` (see [`municipality_of`]) on `on`, filtered and
/// sorted. Offers of a suspended provider are left out (it takes no new orders); a
/// principal bound to a provider sees only that provider's offers.
pub async fn offers<C: ConnectionTrait>(
    db: &C,
    cache: &CatalogueCache,
    principal: &Principal,
    municipality: Option<&str>,
    filter: &OfferFilter,
    on: NaiveDate,
) -> AppResult<Offers> {
    let municipality = municipality_of(principal, municipality)?;
    if store::municipalities::get(db, &municipality)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    // Read before the data: what is loaded after it is at least this new.
    let generation = catalogue_cache::generation(db).await?;
    let terms = cache
        .terms(db, principal, &municipality, on, generation)
        .await?;
    let products = cache.products(db, generation).await?;
    let providers: std::collections::HashMap<String, crate::entities::provider::Model> =
        store::providers::list(db)
            .await?
            .into_iter()
            .map(|p| (p.code.clone(), p))
            .collect();
    let text = wanted(&filter.text).map(str::to_lowercase);
    let mut items: Vec<Offer> = Vec::new();
    for stored in products.iter() {
        let spec = &stored.spec;
        let code = spec.code.as_str();
        let Some(owner) = terms.owner(code) else {
            continue;
        };
        let Some(price) = terms.price(code, spec.status == ProductStatus::Active) else {
            continue;
        };
        let Some(provider) = providers
            .get(&owner.provider)
            .filter(|p| p.status == ProviderStatus::Active)
        else {
            continue;
        };
        if principal
            .provider_scope()
            .is_some_and(|own| own != provider.code)
        {
            continue;
        }
        if wanted(&filter.service).is_some_and(|s| owner.service.as_deref() != Some(s)) {
            continue;
        }
        if wanted(&filter.domain).is_some_and(|d| spec.domain != d) {
            continue;
        }
        if wanted(&filter.target_group).is_some_and(|g| !spec.target_groups.iter().any(|t| t == g))
        {
            continue;
        }
        if let Some(text) = &text {
            let found = [
                code,
                &spec.name,
                &spec.summary,
                &spec.goal,
                &spec.description,
                &provider.name,
            ]
            .iter()
            .any(|field| field.to_lowercase().contains(text.as_str()));
            if !found {
                continue;
            }
        }
        items.push(Offer {
            product_code: code.to_string(),
            product_name: spec.name.clone(),
            summary: spec.summary.clone(),
            goal: spec.goal.clone(),
            output: spec.output.clone(),
            domain: spec.domain.clone(),
            provider_code: provider.code.clone(),
            provider_name: provider.name.clone(),
            service: owner.service.clone(),
            unit: spec.unit,
            contract_price: price,
            list_price: spec.price_on(on),
            duration_weeks: spec.duration_weeks,
            target_groups: spec.target_groups.clone(),
            indicators: Indicators::default(),
        });
    }
    let codes: Vec<String> = items.iter().map(|o| o.product_code.clone()).collect();
    let mut records = store::offers::line_records(db, &codes, window_start(on)).await?;
    for offer in &mut items {
        let lines = records.remove(&offer.product_code).unwrap_or_default();
        offer.indicators = indicators(&lines, on);
    }
    sort_offers(&mut items, filter.sort, on, |o| SortFacts {
        product_code: &o.product_code,
        price: o.contract_price,
        median_days_to_start: o.indicators.median_days_to_start,
        goal_reached_share: o.indicators.goal_reached_share,
    });
    Ok(Offers {
        municipality,
        on,
        sort: filter.sort,
        items,
    })
}

/// The service types as (code, name), for a filter.
pub async fn services<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(String, String)>> {
    store::offers::service_names(db).await
}
