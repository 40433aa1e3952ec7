//! Products, their target groups, milestones and price versions. The catalogue is the same
//! for every signed-in user; contract prices are scoped elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::now;
use crate::domain::billing::MilestoneShare;
use crate::domain::catalogue::{
    share_from_basis_points, share_to_basis_points, Known, PriceVersion, ProductSpec,
};
use crate::domain::ids::ProductCode;
use crate::domain::money::Money;
use crate::entities::{
    price_version, product, product_milestone, product_target_group, provider, service,
    target_group,
};
use crate::error::{AppError, AppResult};

/// A stored product: its specification and its ETag version.
#[derive(Debug, Clone)]
pub struct StoredProduct {
    pub spec: ProductSpec,
    pub version: i32,
}

fn corrupt(code: &str, what: &str) -> AppError {
    AppError::Internal(format!("product {code} in de database: {what}"))
}

fn assemble(
    row: product::Model,
    groups: Vec<String>,
    milestones: Vec<product_milestone::Model>,
    prices: Vec<price_version::Model>,
) -> AppResult<StoredProduct> {
    let code = row.code.clone();
    let spec = ProductSpec {
        code: ProductCode::parse(&row.code).map_err(|e| corrupt(&code, &e.to_string()))?,
        provider: row.provider_code,
        // A product made before service types existed has none yet; editing it asks for one.
        service: row.service_code.unwrap_or_default(),
        name: row.name,
        summary: row.summary,
        description: row.description,
        domain: row.domain,
        target_groups: groups,
        goal: row.goal,
        output: row.output,
        proof: row.proof,
        duration_weeks: u32::try_from(row.duration_weeks)
            .map_err(|_| corrupt(&code, "looptijd"))?,
        variant: row.variant,
        unit: row.unit,
        vat_category: row.vat_category,
        vat_exemption_reason: row.vat_exemption_reason,
        status: row.status,
        milestones: milestones
            .into_iter()
            .map(|m| MilestoneShare {
                name: m.name,
                share: share_from_basis_points(m.share_basis_points),
            })
            .collect(),
        prices: prices
            .into_iter()
            .map(|p| PriceVersion {
                valid_from: p.valid_from,
                amount: Money::from_cents(p.amount_cents),
            })
            .collect(),
    };
    Ok(StoredProduct {
        spec,
        version: row.version,
    })
}

/// Every product with its details, ordered by code.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<StoredProduct>> {
    let rows = product::Entity::find()
        .order_by_asc(product::Column::Code)
        .all(db)
        .await?;
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for g in product_target_group::Entity::find()
        .order_by_asc(product_target_group::Column::ProductCode)
        .order_by_asc(product_target_group::Column::Position)
        .all(db)
        .await?
    {
        groups
            .entry(g.product_code)
            .or_default()
            .push(g.target_group_code);
    }
    let mut milestones: BTreeMap<String, Vec<product_milestone::Model>> = BTreeMap::new();
    for m in product_milestone::Entity::find()
        .order_by_asc(product_milestone::Column::ProductCode)
        .order_by_asc(product_milestone::Column::Position)
        .all(db)
        .await?
    {
        milestones
            .entry(m.product_code.clone())
            .or_default()
            .push(m);
    }
    let mut prices: BTreeMap<String, Vec<price_version::Model>> = BTreeMap::new();
    for p in price_version::Entity::find()
        .order_by_asc(price_version::Column::ProductCode)
        .order_by_asc(price_version::Column::ValidFrom)
        .all(db)
        .await?
    {
        prices.entry(p.product_code.clone()).or_default().push(p);
    }
    rows.into_iter()
        .map(|row| {
            let code = row.code.clone();
            assemble(
                row,
                groups.remove(&code).unwrap_or_default(),
                milestones.remove(&code).unwrap_or_default(),
                prices.remove(&code).unwrap_or_default(),
            )
        })
        .collect()
}

pub async fn get<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<Option<StoredProduct>> {
    let Some(row) = product::Entity::find_by_id(code.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let groups = product_target_group::Entity::find()
        .filter(product_target_group::Column::ProductCode.eq(code))
        .order_by_asc(product_target_group::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.target_group_code)
        .collect();
    let milestones = product_milestone::Entity::find()
        .filter(product_milestone::Column::ProductCode.eq(code))
        .order_by_asc(product_milestone::Column::Position)
        .all(db)
        .await?;
    let prices = price_versions(db, code).await?;
    assemble(row, groups, milestones, prices).map(Some)
}

/// A product's name alone (for messages), in one query.
pub async fn name_of<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<Option<String>> {
    Ok(product::Entity::find_by_id(code.to_string())
        .one(db)
        .await?
        .map(|p| p.name))
}

/// The catalogue generation: a number that database triggers bump with every change to
/// what the product list shows (migration `m20261201_000003_catalogue_generation`).
pub async fn generation<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT value FROM catalogue_generation WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| AppError::Internal("catalogue_generation ontbreekt".into()))?;
    Ok(row.try_get("", "value")?)
}

pub async fn price_versions<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<Vec<price_version::Model>> {
    Ok(price_version::Entity::find()
        .filter(price_version::Column::ProductCode.eq(code))
        .order_by_asc(price_version::Column::ValidFrom)
        .all(db)
        .await?)
}

pub async fn target_groups<C: ConnectionTrait>(db: &C) -> AppResult<Vec<target_group::Model>> {
    Ok(target_group::Entity::find()
        .order_by_asc(target_group::Column::Position)
        .all(db)
        .await?)
}

pub async fn target_group_codes<C: ConnectionTrait>(db: &C) -> AppResult<BTreeSet<String>> {
    Ok(target_groups(db)
        .await?
        .into_iter()
        .map(|g| g.code)
        .collect())
}

/// The service types, in the catalogue's order.
pub async fn services<C: ConnectionTrait>(db: &C) -> AppResult<Vec<service::Model>> {
    Ok(service::Entity::find()
        .order_by_asc(service::Column::Position)
        .order_by_asc(service::Column::Code)
        .all(db)
        .await?)
}

/// The vocabularies a product is validated against: target groups, providers, services.
pub async fn known<C: ConnectionTrait>(db: &C) -> AppResult<Known> {
    Ok(Known {
        target_groups: target_group_codes(db).await?,
        providers: provider::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.code)
            .collect(),
        services: services(db).await?.into_iter().map(|s| s.code).collect(),
    })
}

pub async fn upsert_service<C: ConnectionTrait>(db: &C, model: service::Model) -> AppResult<()> {
    use sea_orm::sea_query::OnConflict;
    service::Entity::insert(service::ActiveModel::from(model))
        .on_conflict(
            OnConflict::column(service::Column::Code)
                .update_columns([
                    service::Column::Name,
                    service::Column::Description,
                    service::Column::Position,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Writes a provider's identity from the catalogue: a new provider is admitted active;
/// an existing one keeps its status and creation time.
pub async fn upsert_provider_identity<C: ConnectionTrait>(
    db: &C,
    model: provider::Model,
) -> AppResult<()> {
    use sea_orm::sea_query::OnConflict;
    provider::Entity::insert(provider::ActiveModel::from(model))
        .on_conflict(
            OnConflict::column(provider::Column::Code)
                .update_columns([
                    provider::Column::Name,
                    provider::Column::Kvk,
                    provider::Column::VatNumber,
                    provider::Column::PeppolScheme,
                    provider::Column::PeppolId,
                    provider::Column::Iban,
                    provider::Column::IntakeEmail,
                    provider::Column::InvoiceEmail,
                    provider::Column::Street,
                    provider::Column::Postcode,
                    provider::Column::City,
                    provider::Column::DemoIdentifiers,
                    provider::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn upsert_target_group<C: ConnectionTrait>(
    db: &C,
    model: target_group::Model,
) -> AppResult<()> {
    use sea_orm::sea_query::OnConflict;
    target_group::Entity::insert(target_group::ActiveModel::from(model))
        .on_conflict(
            OnConflict::column(target_group::Column::Code)
                .update_columns([target_group::Column::Name, target_group::Column::Position])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Writes a product's own fields, target groups and milestones (not its prices), and
/// bumps its version. `expected_version` makes the write conditional (If-Match).
pub async fn save_product<C: ConnectionTrait>(
    db: &C,
    spec: &ProductSpec,
    expected_version: Option<i32>,
) -> AppResult<i32> {
    let code = spec.code.as_str().to_string();
    let existing = product::Entity::find_by_id(code.clone()).one(db).await?;
    let version = match &existing {
        Some(row) => row.version + 1,
        None => 1,
    };
    let row = product::Model {
        code: code.clone(),
        name: spec.name.clone(),
        summary: spec.summary.clone(),
        description: spec.description.clone(),
        domain: spec.domain.clone(),
        goal: spec.goal.clone(),
        output: spec.output.clone(),
        proof: spec.proof.clone(),
        duration_weeks: i32::try_from(spec.duration_weeks).unwrap_or(i32::MAX),
        variant: spec.variant,
        unit: spec.unit,
        vat_category: spec.vat_category,
        vat_exemption_reason: spec.vat_exemption_reason.clone(),
        status: spec.status,
        version,
        updated_at: now(),
        provider_code: spec.provider.clone(),
        service_code: Some(spec.service.clone()).filter(|s| !s.is_empty()),
    };
    if let Some(existing) = existing {
        // Conditional on the version read: a concurrent writer makes this match nothing.
        let guard = expected_version.unwrap_or(existing.version);
        let result = product::Entity::update_many()
            // `reset_all` marks every field as set; a plain conversion would set nothing.
            .set(product::ActiveModel::from(row).reset_all())
            .filter(product::Column::Code.eq(code.clone()))
            .filter(product::Column::Version.eq(guard))
            .exec(db)
            .await?;
        if result.rows_affected != 1 {
            return Err(AppError::PreconditionFailed);
        }
    } else {
        product::Entity::insert(product::ActiveModel::from(row))
            .exec_without_returning(db)
            .await?;
    }
    product_target_group::Entity::delete_many()
        .filter(product_target_group::Column::ProductCode.eq(code.clone()))
        .exec(db)
        .await?;
    for (position, group) in spec.target_groups.iter().enumerate() {
        product_target_group::Entity::insert(product_target_group::ActiveModel::from(
            product_target_group::Model {
                product_code: code.clone(),
                target_group_code: group.clone(),
                position: i32::try_from(position).unwrap_or(i32::MAX),
            },
        ))
        .exec_without_returning(db)
        .await?;
    }
    product_milestone::Entity::delete_many()
        .filter(product_milestone::Column::ProductCode.eq(code.clone()))
        .exec(db)
        .await?;
    for (position, m) in spec.milestones.iter().enumerate() {
        product_milestone::Entity::insert(product_milestone::ActiveModel::from(
            product_milestone::Model {
                product_code: code.clone(),
                position: i32::try_from(position).unwrap_or(i32::MAX),
                name: m.name.clone(),
                share_basis_points: share_to_basis_points(m.share),
            },
        ))
        .exec_without_returning(db)
        .await?;
    }
    Ok(version)
}

/// Bumps a product's version (a price was added), so a stale If-Match fails.
pub async fn touch<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<()> {
    product::Entity::update_many()
        .col_expr(
            product::Column::Version,
            Expr::col(product::Column::Version).add(1),
        )
        .col_expr(product::Column::UpdatedAt, Expr::value(now()))
        .filter(product::Column::Code.eq(code))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn insert_price<C: ConnectionTrait>(
    db: &C,
    code: &str,
    valid_from: NaiveDate,
    amount: Money,
    created_by: &str,
) -> AppResult<()> {
    price_version::Entity::insert(price_version::ActiveModel::from(price_version::Model {
        product_code: code.to_string(),
        valid_from,
        amount_cents: amount.to_cents(),
        created_at: now(),
        created_by: created_by.to_string(),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn update_price<C: ConnectionTrait>(
    db: &C,
    code: &str,
    valid_from: NaiveDate,
    amount: Money,
) -> AppResult<()> {
    price_version::Entity::update_many()
        .col_expr(
            price_version::Column::AmountCents,
            Expr::value(amount.to_cents()),
        )
        .filter(price_version::Column::ProductCode.eq(code))
        .filter(price_version::Column::ValidFrom.eq(valid_from))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_price<C: ConnectionTrait>(
    db: &C,
    code: &str,
    valid_from: NaiveDate,
) -> AppResult<()> {
    price_version::Entity::delete_many()
        .filter(price_version::Column::ProductCode.eq(code))
        .filter(price_version::Column::ValidFrom.eq(valid_from))
        .exec(db)
        .await?;
    Ok(())
}

/// The latest start date of any order line for a product: list prices dated on or before
/// it would change what an existing order was placed under.
pub async fn latest_order_start<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<Option<NaiveDate>> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            super::db::placeholder(
                backend,
                "SELECT MAX(start_date) AS latest FROM trajectory_lines WHERE product_code = $1",
            ),
            [code.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<Option<NaiveDate>>("", "latest")?,
        None => None,
    })
}

/// Whether contracts or orders refer to a product (then it can be retired, not deleted).
pub async fn in_use<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            super::db::placeholder(
                backend,
                "SELECT CAST((SELECT COUNT(*) FROM contract_lines WHERE product_code = $1) + \
                 (SELECT COUNT(*) FROM trajectory_lines WHERE product_code = $2) AS BIGINT) AS uses",
            ),
            [code.into(), code.into()],
        ))
        .await?;
    let uses: i64 = match row {
        Some(row) => row.try_get("", "uses")?,
        None => 0,
    };
    Ok(uses > 0)
}

/// Removes a product that nothing refers to.
pub async fn delete_product<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<()> {
    price_version::Entity::delete_many()
        .filter(price_version::Column::ProductCode.eq(code))
        .exec(db)
        .await?;
    product_target_group::Entity::delete_many()
        .filter(product_target_group::Column::ProductCode.eq(code))
        .exec(db)
        .await?;
    product_milestone::Entity::delete_many()
        .filter(product_milestone::Column::ProductCode.eq(code))
        .exec(db)
        .await?;
    product::Entity::delete_by_id(code.to_string())
        .exec(db)
        .await?;
    Ok(())
}
