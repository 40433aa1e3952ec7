//! Contracts with their lines, prices, products, volume used and budget figures, for the
//! API and the pages. A page of contracts takes one query per table, whatever its length:
//! the contracts, their lines, the lines' prices, the products with their list prices, the
//! volume used per line, and the budget committed and invoiced per contract.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use crate::domain::billing::Variant;
use crate::domain::catalogue::ProductStatus;
use crate::domain::commitment::Budget;
use crate::domain::contract::ContractStatus;
use crate::domain::money::Money;
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
use crate::domain::settlement::{months_elapsed, Arrangement, LedgerKind, LineKind, Progress};
use crate::entities::{contract, contract_line};
use crate::error::{AppError, AppResult};
use crate::store;

/// One line of a contract.
#[derive(Debug, Clone)]
pub struct ContractLine {
    pub product_code: String,
    /// Empty when the product is unknown.
    pub product_name: String,
    /// The product's unit (`traject`, `uur`, …); empty when the product is unknown.
    pub unit: String,
    /// The agreed price on the reference day: today, or the contract's first or last day
    /// when today lies outside the contract.
    pub price: Option<Money>,
    /// The product's list price on the reference day.
    pub list_price: Option<Money>,
    /// Trajectories or units per contract period.
    pub volume_cap: Option<Quantity>,
    pub volume_used: Quantity,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// Every agreed price with its effective date, ascending: the amendments.
    pub price_history: Vec<(NaiveDate, Money)>,
}

/// A contract with its lines and budget figures.
#[derive(Debug, Clone)]
pub struct Contract {
    pub id: String,
    /// The municipality's code.
    pub municipality: String,
    /// The provider's code: the contract is between the municipality and this provider.
    pub provider: String,
    /// The provider's name (its code when unknown).
    pub provider_name: String,
    pub name: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub status: ContractStatus,
    /// The ETag version.
    pub version: i32,
    pub budget: Budget,
    pub lines: Vec<ContractLine>,
    /// How the contract settles, and where it stands (not for product price).
    pub arrangement: Arrangement,
    pub progress: Option<Progress>,
}

/// Contracts visible to the principal, filtered by municipality and year.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    municipality: Option<&str>,
    year: Option<i32>,
    today: NaiveDate,
) -> AppResult<Vec<Contract>> {
    let rows = store::contracts::list(db, principal, municipality, year).await?;
    assemble(db, rows, today).await
}

/// One contract visible to the principal, or not found.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
    today: NaiveDate,
) -> AppResult<Contract> {
    let row = store::contracts::get(db, principal, id).await?;
    assemble(db, vec![row], today)
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// The principal-scoped contract of a municipality covering a date, with its figures as
/// of `today`.
pub async fn covering<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    municipality: &str,
    on: NaiveDate,
    today: NaiveDate,
) -> AppResult<Option<Contract>> {
    let found = store::contracts::list(db, principal, Some(municipality), None)
        .await?
        .into_iter()
        .find(|c| c.valid_from <= on && on <= c.valid_to);
    match found {
        Some(row) => Ok(assemble(db, vec![row], today).await?.pop()),
        None => Ok(None),
    }
}

/// The principal-scoped contract covering today for a municipality (casemanager pages).
pub async fn current<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    municipality: &str,
    today: NaiveDate,
) -> AppResult<Option<Contract>> {
    covering(db, principal, municipality, today, today).await
}

/// The principal-scoped contracts of the same municipality whose period overlaps the
/// given contract's (with other providers), as (id, "name (provider)"), by start date.
pub async fn alongside<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    contract: &Contract,
) -> AppResult<Vec<(String, String)>> {
    let others: Vec<contract::Model> =
        store::contracts::list(db, principal, Some(&contract.municipality), None)
            .await?
            .into_iter()
            .filter(|c| {
                c.id != contract.id
                    && crate::domain::contract::periods_overlap(
                        (c.valid_from, c.valid_to),
                        (contract.valid_from, contract.valid_to),
                    )
            })
            .collect();
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let names: HashMap<String, String> = store::providers::list(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    Ok(others
        .into_iter()
        .map(|c| {
            let provider = names.get(&c.provider_code).unwrap_or(&c.provider_code);
            (c.id, format!("{} ({provider})", c.name))
        })
        .collect())
}

/// Every municipality as (code, name), for the new-contract form.
pub async fn municipality_choices<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(String, String)>> {
    Ok(store::municipalities::list(db)
        .await?
        .into_iter()
        .map(|m| (m.code, m.name))
        .collect())
}

/// A municipality's name, when it is known.
pub async fn municipality_name<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<Option<String>> {
    Ok(store::municipalities::get(db, code).await?.map(|m| m.name))
}

/// The active products of one provider as (code, name), for the line form of a contract
/// with that provider.
pub async fn product_choices<C: ConnectionTrait>(
    db: &C,
    provider: &str,
) -> AppResult<Vec<(String, String)>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let own: std::collections::HashSet<String> = crate::entities::product::Entity::find()
        .select_only()
        .column(crate::entities::product::Column::Code)
        .filter(crate::entities::product::Column::ProviderCode.eq(provider))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(store::catalogue::all(db)
        .await?
        .into_iter()
        .filter(|p| p.spec.status == ProductStatus::Active && own.contains(p.spec.code.as_str()))
        .map(|p| (p.spec.code.as_str().to_string(), p.spec.name))
        .collect())
}

/// Every provider as (code, name), for an administrator naming a contract's provider.
pub async fn provider_choices<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(String, String)>> {
    Ok(store::providers::list(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect())
}

/// The contracts' views, in the order given, with one query per table.
async fn assemble<C: ConnectionTrait>(
    db: &C,
    rows: Vec<contract::Model>,
    today: NaiveDate,
) -> AppResult<Vec<Contract>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
    let lines = store::contracts::lines_of(db, &ids).await?;
    let line_ids: Vec<String> = lines.iter().map(|l| l.id.clone()).collect();
    let mut codes: Vec<String> = lines.iter().map(|l| l.product_code.clone()).collect();
    codes.sort();
    codes.dedup();
    let (mut prices, products, orders) = if lines.is_empty() {
        Default::default()
    } else {
        (
            store::contracts::prices_of(db, &line_ids).await?,
            store::contracts::line_products(db, &codes).await?,
            store::contracts::orders_by_line(db, &ids).await?,
        )
    };
    let committed = store::contracts::committed_by_contract(db, &ids).await?;
    let invoiced = store::contracts::invoiced_by_contract(db, &ids).await?;
    let provider_names: HashMap<String, String> = store::providers::list(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let settling: Vec<String> = rows
        .iter()
        .filter(|c| c.settlement != crate::domain::settlement::SettlementForm::ProductPrice)
        .map(|c| c.id.clone())
        .collect();
    let billed = store::settlement::billed_by_kind(db, &settling, false).await?;
    let ledger = store::settlement::ledger_sums(db, &settling).await?;

    let mut lines_by_contract: HashMap<String, Vec<ContractLine>> = HashMap::new();
    let reference_of: HashMap<&str, NaiveDate> = rows
        .iter()
        .map(|c| (c.id.as_str(), today.clamp(c.valid_from, c.valid_to)))
        .collect();
    for line in lines {
        let reference = reference_of
            .get(line.contract_id.as_str())
            .copied()
            .unwrap_or(today);
        let history = prices.remove(&line.id).unwrap_or_default();
        let product = products.get(&line.product_code);
        let used = orders
            .get(&line.id)
            .copied()
            .unwrap_or_default()
            .used(product.map(|p| p.unit.variant()).unwrap_or(Variant::Output));
        let view = line_view(&line, reference, history, product, used);
        lines_by_contract
            .entry(line.contract_id.clone())
            .or_default()
            .push(view);
    }
    rows.into_iter()
        .map(|c| {
            let arrangement = store::contracts::arrangement_of(&c)?;
            let months = months_elapsed(c.valid_from, c.valid_to, today);
            let billed_of = |k: LineKind| {
                billed
                    .get(&(c.id.clone(), k))
                    .copied()
                    .unwrap_or(Money::ZERO)
            };
            let ledger_of = |k: LedgerKind| {
                ledger
                    .get(&(c.id.clone(), k))
                    .copied()
                    .unwrap_or(Money::ZERO)
            };
            let progress = match arrangement {
                Arrangement::ProductPrice => None,
                Arrangement::VolumeGuarantee { guaranteed } => Some(Progress::volume_guarantee(
                    guaranteed,
                    billed_of(LineKind::Delivery),
                    billed_of(LineKind::TrueUp),
                    months,
                )),
                Arrangement::Budget { budget, .. } => Some(Progress::budget(
                    budget,
                    ledger_of(LedgerKind::Advance),
                    ledger_of(LedgerKind::DeliveryValued),
                    ledger_of(LedgerKind::Settlement),
                    ledger_of(LedgerKind::Manual),
                    months,
                )),
            };
            Ok(Contract {
                arrangement,
                progress,
                status: c.status,
                budget: Budget {
                    ceiling: c.budget_ceiling_cents.map(Money::from_cents),
                    committed: committed.get(&c.id).copied().unwrap_or(Money::ZERO),
                    invoiced: invoiced.get(&c.id).copied().unwrap_or(Money::ZERO),
                },
                lines: lines_by_contract.remove(&c.id).unwrap_or_default(),
                id: c.id,
                municipality: c.municipality_code,
                provider_name: provider_names
                    .get(&c.provider_code)
                    .cloned()
                    .unwrap_or_else(|| c.provider_code.clone()),
                provider: c.provider_code,
                name: c.name,
                valid_from: c.valid_from,
                valid_to: c.valid_to,
                version: c.version,
            })
        })
        .collect()
}

/// One line's view: its agreed price and the product's list price on the reference day.
fn line_view(
    line: &contract_line::Model,
    reference: NaiveDate,
    history: Vec<(NaiveDate, Money)>,
    product: Option<&store::contracts::LineProduct>,
    used: Quantity,
) -> ContractLine {
    let terms = crate::domain::contract::LineTerms {
        valid_from: line.valid_from,
        valid_to: line.valid_to,
        prices: history,
    };
    ContractLine {
        product_code: line.product_code.clone(),
        product_name: product.map(|p| p.name.clone()).unwrap_or_default(),
        unit: product
            .map(|p| p.unit.as_str().to_string())
            .unwrap_or_default(),
        price: terms.price_on(reference.clamp(line.valid_from, line.valid_to)),
        list_price: product.and_then(|p| p.price_on(reference)),
        volume_cap: line.volume_cap_thousandths.map(Quantity::from_thousandths),
        volume_used: used,
        valid_from: line.valid_from,
        valid_to: line.valid_to,
        price_history: terms.prices,
    }
}

/// One entry of a budget's ledger, as shown.
#[derive(Debug, Clone)]
pub struct LedgerEntry {
    pub id: String,
    pub kind: crate::domain::settlement::LedgerKind,
    pub amount: Money,
    pub period: String,
    pub invoice_line_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created_by: String,
}

impl From<crate::entities::budget_ledger::Model> for LedgerEntry {
    fn from(e: crate::entities::budget_ledger::Model) -> LedgerEntry {
        LedgerEntry {
            id: e.id,
            kind: e.kind,
            amount: Money::from_cents(e.amount_cents),
            period: e.period,
            invoice_line_id: e.invoice_line_id,
            reason: e.reason,
            created_at: e.created_at,
            created_by: e.created_by,
        }
    }
}

/// A budget contract's ledger, oldest first, with its balance (the sum of the entries).
pub async fn ledger<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<(Vec<LedgerEntry>, Money)> {
    let c = store::contracts::get(db, principal, id).await?;
    let entries: Vec<LedgerEntry> = store::settlement::ledger(db, &c.id)
        .await?
        .into_iter()
        .map(LedgerEntry::from)
        .collect();
    let balance = entries.iter().map(|e| e.amount).sum();
    Ok((entries, balance))
}
