//! Reading the portfolio as each user may see it: a casemanager sees only the products of
//! their municipality's contract, with the contract price.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::domain::catalogue::{ProductSpec, ProductStatus};
use crate::domain::money::Money;
use crate::domain::principal::Principal;
use crate::error::{AppError, AppResult};
use crate::store;
use crate::store::catalogue::StoredProduct;
use crate::views::catalogue_cache::{self, CatalogueCache};

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub domain: Option<String>,
    pub target_group: Option<String>,
    pub text: Option<String>,
    pub status: Option<String>,
    pub contracted_for: Option<String>,
    pub on: NaiveDate,
}

fn matches(spec: &ProductSpec, filter: &ProductFilter) -> bool {
    let text_ok = filter
        .text
        .as_ref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .is_none_or(|t| {
            [
                spec.code.as_str(),
                &spec.name,
                &spec.summary,
                &spec.goal,
                &spec.description,
            ]
            .iter()
            .any(|field| field.to_lowercase().contains(&t))
        });
    text_ok
        && filter
            .domain
            .as_ref()
            .filter(|d| !d.is_empty())
            .is_none_or(|d| &spec.domain == d)
        && filter
            .target_group
            .as_ref()
            .filter(|g| !g.is_empty())
            .is_none_or(|g| spec.target_groups.contains(g))
        && filter
            .status
            .as_ref()
            .filter(|s| !s.is_empty())
            .is_none_or(|s| spec.status.as_str() == s)
}

/// The municipality whose contract restricts what this principal sees, if any.
pub fn contract_scope(principal: &Principal, requested: Option<&str>) -> AppResult<Option<String>> {
    match (
        principal.municipality_scope(),
        requested.filter(|r| !r.is_empty()),
    ) {
        (Some(own), Some(other)) if own != other => Err(AppError::NotFound),
        (Some(own), _) => Ok(Some(own.to_string())),
        (None, requested) => Ok(requested.map(str::to_string)),
    }
}

/// Products matching the filter, ordered by code, with the contract price where a
/// contract scopes the view. The catalogue and the contract's terms come from `cache`
/// (checked against the database's catalogue generation), not once per product.
pub async fn search<C: ConnectionTrait>(
    db: &C,
    cache: &CatalogueCache,
    principal: &Principal,
    filter: &ProductFilter,
) -> AppResult<Vec<(ProductSpec, Option<Money>)>> {
    // Read before the data: what is loaded after it is at least this new.
    let generation = catalogue_cache::generation(db).await?;
    search_at(db, cache, principal, filter, generation).await
}

/// [`search`] at a catalogue generation the caller has just read.
pub async fn search_at<C: ConnectionTrait>(
    db: &C,
    cache: &CatalogueCache,
    principal: &Principal,
    filter: &ProductFilter,
    generation: i64,
) -> AppResult<Vec<(ProductSpec, Option<Money>)>> {
    let scope = contract_scope(principal, filter.contracted_for.as_deref())?;
    let terms = match &scope {
        Some(municipality) => Some(
            cache
                .terms(db, principal, municipality, filter.on, generation)
                .await?,
        ),
        None => None,
    };
    let products = cache.products(db, generation).await?;
    let matching = products
        .iter()
        .filter(|stored| matches(&stored.spec, filter));
    Ok(match &terms {
        None => matching.map(|stored| (stored.spec.clone(), None)).collect(),
        Some(terms) => matching
            .filter_map(|stored| {
                let active = stored.spec.status == ProductStatus::Active;
                let price = terms.price(stored.spec.code.as_str(), active)?;
                Some((stored.spec.clone(), Some(price)))
            })
            .collect(),
    })
}

/// One product; for a casemanager only when their contract contains it.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    code: &str,
    on: NaiveDate,
) -> AppResult<(StoredProduct, Option<Money>)> {
    let stored = store::catalogue::get(db, code)
        .await?
        .ok_or(AppError::NotFound)?;
    match principal.municipality_scope() {
        None => Ok((stored, None)),
        Some(municipality) => {
            let price = store::contracts::contract_price(db, municipality, code, on).await?;
            match price {
                Some(price) => Ok((stored, Some(price))),
                None if store::contracts::ever_contracted(db, municipality, code).await? => {
                    Ok((stored, None))
                }
                None => Err(AppError::NotFound),
            }
        }
    }
}

/// One product as pricing staff see it: any status, no contract scope.
pub async fn product(db: &DatabaseConnection, code: &str) -> AppResult<Option<StoredProduct>> {
    store::catalogue::get(db, code).await
}

/// The target groups as (code, name), in the catalogue's order.
pub async fn target_groups(db: &DatabaseConnection) -> AppResult<Vec<(String, String)>> {
    Ok(store::catalogue::target_groups(db)
        .await?
        .into_iter()
        .map(|g| (g.code, g.name))
        .collect())
}

/// The service types as (code, name, description), in the catalogue's order.
pub async fn services(db: &DatabaseConnection) -> AppResult<Vec<(String, String, String)>> {
    Ok(store::catalogue::services(db)
        .await?
        .into_iter()
        .map(|s| (s.code, s.name, s.description))
        .collect())
}
