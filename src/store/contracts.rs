//! Contracts and their lines. Reads take the `Principal`: a casemanager sees only their
//! own municipality's contracts; another's answers as not found.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder};

use crate::domain::billing::Unit;
use crate::domain::catalogue::PriceVersion;
use crate::domain::commitment::LineOrders;
use crate::domain::contract::{resolve_price, ContractTerms, LineTerms, NotOrderable};
use crate::domain::money::Money;
use crate::domain::principal::Principal;
use crate::domain::role::Role;
use crate::domain::settlement::{Arrangement, ArrangementInput, SettlementForm};
use crate::entities::{contract, contract_line, contract_line_price, price_version, product};
use crate::error::{AppError, AppResult};
use crate::store::catalogue::StoredProduct;

/// The contracts the principal may see: their municipality's or their provider's.
fn scope(principal: &Principal) -> sea_orm::sea_query::Condition {
    super::scope::owned_by(
        principal,
        Some(contract::Column::MunicipalityCode),
        Some(contract::Column::ProviderCode),
    )
}

/// Who may read contracts at all.
fn may_read(principal: &Principal) -> AppResult<()> {
    match principal.role {
        Role::Pricing | Role::Finance | Role::Casemanager => Ok(()),
        Role::Admin | Role::ProviderStaff => Err(AppError::Forbidden(
            "contracten zijn voor prijsbeheer, financiën en casemanagers".into(),
        )),
    }
}

/// A contract visible to the principal, or not found.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<contract::Model> {
    may_read(principal)?;
    let mut query = contract::Entity::find_by_id(id.to_string());
    query = query.filter(scope(principal));
    query.one(db).await?.ok_or(AppError::NotFound)
}

/// Takes a contract's row for an order or a change to one (`lock_seq` + 1), so that
/// orders against one contract queue up and each sees every order committed before it,
/// and returns the contract as it now is: one statement. Visible to the principal, or
/// not found.
pub async fn lock<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<contract::Model> {
    may_read(principal)?;
    let mut update = Query::update();
    update
        .table(contract::Entity)
        .value(
            contract::Column::LockSeq,
            Expr::col(contract::Column::LockSeq).add(1),
        )
        .and_where(contract::Column::Id.eq(id))
        .returning_all();
    update.cond_where(scope(principal));
    contract::Entity::find()
        .from_raw_sql(db.get_database_backend().build(&update))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Contracts visible to the principal, filtered.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    municipality: Option<&str>,
    year: Option<i32>,
) -> AppResult<Vec<contract::Model>> {
    may_read(principal)?;
    let mut query = contract::Entity::find();
    query = query.filter(scope(principal));
    if let Some(m) = municipality.filter(|m| !m.is_empty()) {
        query = query.filter(contract::Column::MunicipalityCode.eq(m));
    }
    if let Some(year) = year {
        if let (Some(from), Some(to)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) {
            query = query
                .filter(contract::Column::ValidFrom.lte(to))
                .filter(contract::Column::ValidTo.gte(from));
        }
    }
    // Contracts with several providers can start on the same day: the one made first comes
    // first, on both back ends (PostgreSQL returns ties in no fixed order).
    Ok(query
        .order_by_asc(contract::Column::MunicipalityCode)
        .order_by_asc(contract::Column::ValidFrom)
        .order_by_asc(contract::Column::CreatedAt)
        .order_by_asc(contract::Column::Id)
        .all(db)
        .await?)
}

/// All contracts of one municipality (unscoped: callers have checked access).
pub async fn of_municipality<C: ConnectionTrait>(
    db: &C,
    municipality: &str,
) -> AppResult<Vec<contract::Model>> {
    Ok(contract::Entity::find()
        .filter(contract::Column::MunicipalityCode.eq(municipality))
        .order_by_asc(contract::Column::ValidFrom)
        .all(db)
        .await?)
}

pub async fn lines<C: ConnectionTrait>(
    db: &C,
    contract_id: &str,
) -> AppResult<Vec<contract_line::Model>> {
    Ok(contract_line::Entity::find()
        .filter(contract_line::Column::ContractId.eq(contract_id))
        .order_by_asc(contract_line::Column::ProductCode)
        .all(db)
        .await?)
}

pub async fn line_prices<C: ConnectionTrait>(
    db: &C,
    line_id: &str,
) -> AppResult<Vec<contract_line_price::Model>> {
    Ok(contract_line_price::Entity::find()
        .filter(contract_line_price::Column::ContractLineId.eq(line_id))
        .order_by_asc(contract_line_price::Column::EffectiveFrom)
        .all(db)
        .await?)
}

/// The stored settlement fields of a contract, as input.
pub fn arrangement_input(c: &contract::Model) -> crate::domain::settlement::ArrangementInput {
    crate::domain::settlement::ArrangementInput {
        form: c.settlement,
        guaranteed_amount: c.guaranteed_amount_cents.map(Money::from_cents),
        budget_amount: c.budget_amount_cents.map(Money::from_cents),
        advance_schedule: c.advance_schedule,
        refund_unused: Some(c.refund_unused),
    }
}

/// The input that gives back this arrangement.
pub fn arrangement_input_of(a: &Arrangement) -> ArrangementInput {
    let (guaranteed, budget, schedule, refund) = a.columns();
    crate::domain::settlement::ArrangementInput {
        form: a.form(),
        guaranteed_amount: guaranteed.map(Money::from_cents),
        budget_amount: budget.map(Money::from_cents),
        advance_schedule: schedule,
        refund_unused: (a.form() == SettlementForm::Budget).then_some(refund),
    }
}

/// The contract's arrangement as stored (validated when it was set).
pub fn arrangement_of(c: &contract::Model) -> AppResult<crate::domain::settlement::Arrangement> {
    crate::domain::settlement::Arrangement::new(&arrangement_input(c), c.valid_from, c.valid_to)
        .map_err(|errors| {
            AppError::validation(
                "de afrekenvorm van het contract is niet geldig",
                errors
                    .into_iter()
                    .map(|(field, message)| crate::error::FieldError::new(field, message))
                    .collect(),
            )
        })
}

pub fn terms_of(c: &contract::Model) -> AppResult<ContractTerms> {
    Ok(ContractTerms {
        status: c.status,
        valid_from: c.valid_from,
        valid_to: c.valid_to,
    })
}

pub async fn line_terms<C: ConnectionTrait>(
    db: &C,
    line: &contract_line::Model,
) -> AppResult<LineTerms> {
    Ok(LineTerms {
        valid_from: line.valid_from,
        valid_to: line.valid_to,
        prices: line_prices(db, &line.id)
            .await?
            .into_iter()
            .map(|p| (p.effective_from, Money::from_cents(p.price_cents)))
            .collect(),
    })
}

/// The contract line a price was resolved from.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub contract: contract::Model,
    pub line: contract_line::Model,
    pub price: Money,
    /// The product as read for the decision (callers need not read it again).
    pub product: StoredProduct,
}

/// What municipality M pays for product P on date D, or why it cannot be ordered.
/// Ordering and invoicing use only this.
pub async fn resolve<C: ConnectionTrait>(
    db: &C,
    municipality: &str,
    product_code: &str,
    date: NaiveDate,
) -> AppResult<Result<Resolved, NotOrderable>> {
    let Some(product) = crate::store::catalogue::get(db, product_code).await? else {
        return Ok(Err(NotOrderable::NotContracted));
    };
    let product_active = product.spec.status == crate::domain::catalogue::ProductStatus::Active;
    let covering = covering_contract(db, municipality, product_code, date).await?;
    let terms = covering.as_ref().map(terms_of).transpose()?;
    let line = match &covering {
        Some(c) => {
            contract_line::Entity::find()
                .filter(contract_line::Column::ContractId.eq(c.id.clone()))
                .filter(contract_line::Column::ProductCode.eq(product_code))
                .one(db)
                .await?
        }
        None => None,
    };
    let line_terms = match &line {
        Some(l) => Some(line_terms(db, l).await?),
        None => None,
    };
    match (
        resolve_price(product_active, terms.as_ref(), line_terms.as_ref(), date),
        covering,
        line,
    ) {
        (Ok(price), Some(contract), Some(line)) => Ok(Ok(Resolved {
            contract,
            line,
            price,
            product,
        })),
        (Ok(_), _, _) => Err(AppError::Internal(
            "prijs gevonden zonder contractregel".into(),
        )),
        (Err(reason), _, _) => Ok(Err(reason)),
    }
}

/// The municipality's contract with the product's provider that covers the date (the
/// contracts of one municipality with one provider do not overlap): one statement, the
/// product's provider read in a subquery.
async fn covering_contract<C: ConnectionTrait>(
    db: &C,
    municipality: &str,
    product_code: &str,
    date: NaiveDate,
) -> AppResult<Option<contract::Model>> {
    let provider_of_product = Query::select()
        .column(product::Column::ProviderCode)
        .from(product::Entity)
        .and_where(product::Column::Code.eq(product_code))
        .to_owned();
    Ok(contract::Entity::find()
        .filter(contract::Column::MunicipalityCode.eq(municipality))
        .filter(contract::Column::ProviderCode.in_subquery(provider_of_product))
        .filter(contract::Column::ValidFrom.lte(date))
        .filter(contract::Column::ValidTo.gte(date))
        .one(db)
        .await?)
}

/// Who sells a contracted product and in which service type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductOwner {
    pub provider: String,
    pub service: Option<String>,
}

/// A municipality's contract terms on one date for every product at once, across all its
/// contracts (one per provider): what [`resolve`] reads for one product, read in four
/// queries for the whole catalogue. The price of a product comes from the contract of the
/// product's own provider.
#[derive(Debug, Clone)]
pub struct ContractedTerms {
    date: NaiveDate,
    /// The covering contracts' terms by provider code.
    contracts: BTreeMap<String, ContractTerms>,
    /// The covering contracts' lines by (provider code, product code).
    lines: BTreeMap<(String, String), LineTerms>,
    /// The products the lines name, with their provider and service type.
    products: BTreeMap<String, ProductOwner>,
}

impl ContractedTerms {
    /// The agreed price of a product on the date, as `contract_price` gives it, or none
    /// when it cannot be ordered then.
    pub fn price(&self, product_code: &str, product_active: bool) -> Option<Money> {
        let owner = self.products.get(product_code)?;
        resolve_price(
            product_active,
            self.contracts.get(&owner.provider),
            self.lines
                .get(&(owner.provider.clone(), product_code.to_string())),
            self.date,
        )
        .ok()
    }

    /// The provider and service type of a product named by one of the contracts.
    pub fn owner(&self, product_code: &str) -> Option<&ProductOwner> {
        self.products.get(product_code)
    }

    /// The providers the municipality has a contract with that covers the date.
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        self.contracts.keys().map(String::as_str)
    }
}

/// Not found for a principal scoped to another municipality than `municipality`.
pub fn check_scope(principal: &Principal, municipality: &str) -> AppResult<()> {
    match principal.municipality_scope() {
        Some(own) if own != municipality => Err(AppError::NotFound),
        _ => Ok(()),
    }
}

/// The contract terms of `municipality` on `date`, over all its contracts covering the
/// date. A principal scoped to another municipality gets not found.
pub async fn contracted_terms<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    municipality: &str,
    date: NaiveDate,
) -> AppResult<ContractedTerms> {
    check_scope(principal, municipality)?;
    let mut terms = ContractedTerms {
        date,
        contracts: BTreeMap::new(),
        lines: BTreeMap::new(),
        products: BTreeMap::new(),
    };
    let covering = contract::Entity::find()
        .filter(contract::Column::MunicipalityCode.eq(municipality))
        .filter(contract::Column::ValidFrom.lte(date))
        .filter(contract::Column::ValidTo.gte(date))
        .order_by_asc(contract::Column::ProviderCode)
        .order_by_asc(contract::Column::ValidFrom)
        .all(db)
        .await?;
    if covering.is_empty() {
        return Ok(terms);
    }
    // A provider's first covering contract counts (they do not overlap).
    let mut provider_of_contract: HashMap<String, String> = HashMap::new();
    for c in &covering {
        if !terms.contracts.contains_key(&c.provider_code) {
            terms
                .contracts
                .insert(c.provider_code.clone(), terms_of(c)?);
            provider_of_contract.insert(c.id.clone(), c.provider_code.clone());
        }
    }
    let contract_ids: Vec<String> = provider_of_contract.keys().cloned().collect();
    let lines = lines_of(db, &contract_ids).await?;
    let line_ids: Vec<String> = lines.iter().map(|l| l.id.clone()).collect();
    let mut prices = prices_of(db, &line_ids).await?;
    let mut codes: Vec<String> = lines.iter().map(|l| l.product_code.clone()).collect();
    codes.sort();
    codes.dedup();
    for chunk in codes.chunks(CHUNK) {
        for p in product::Entity::find()
            .filter(product::Column::Code.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            terms.products.insert(
                p.code,
                ProductOwner {
                    provider: p.provider_code,
                    service: p.service_code,
                },
            );
        }
    }
    for line in lines {
        let Some(provider) = provider_of_contract.get(&line.contract_id) else {
            continue;
        };
        let line_terms = LineTerms {
            valid_from: line.valid_from,
            valid_to: line.valid_to,
            prices: prices.remove(&line.id).unwrap_or_default(),
        };
        terms
            .lines
            .insert((provider.clone(), line.product_code), line_terms);
    }
    Ok(terms)
}

/// The agreed price, when the product can be ordered on that date.
pub async fn contract_price<C: ConnectionTrait>(
    db: &C,
    municipality: &str,
    product_code: &str,
    date: NaiveDate,
) -> AppResult<Option<Money>> {
    Ok(resolve(db, municipality, product_code, date)
        .await?
        .ok()
        .map(|r| r.price))
}

/// Whether any contract of the municipality ever named the product: one statement.
pub async fn ever_contracted<C: ConnectionTrait>(
    db: &C,
    municipality: &str,
    product_code: &str,
) -> AppResult<bool> {
    let of_municipality = Query::select()
        .column(contract::Column::Id)
        .from(contract::Entity)
        .and_where(contract::Column::MunicipalityCode.eq(municipality))
        .to_owned();
    Ok(contract_line::Entity::find()
        .filter(contract_line::Column::ProductCode.eq(product_code))
        .filter(contract_line::Column::ContractId.in_subquery(of_municipality))
        .one(db)
        .await?
        .is_some())
}

/// Lists with more ids than this are queried in parts.
const CHUNK: usize = 500;

/// `$from, $from+1, …` for `n` values.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs one grouped sum per chunk of ids: `sql` has `{ids}` where the id placeholders go
/// and answers `key` and the integer columns named in `columns`.
async fn sums_by<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    ids: &[String],
    columns: &[&str],
) -> AppResult<Vec<(String, Vec<i64>)>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let text = sql.replace("{ids}", &placeholders(1, chunk.len()));
        let rows = db
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                super::db::placeholder(backend, &text),
                chunk.iter().map(|id| sea_orm::Value::from(id.clone())),
            ))
            .await?;
        for row in rows {
            let key: String = row.try_get("", "key")?;
            let values = columns
                .iter()
                .map(|c| row.try_get::<i64>("", c))
                .collect::<Result<Vec<_>, _>>()?;
            out.push((key, values));
        }
    }
    Ok(out)
}

/// What the counting order lines commit, per contract (absent: nothing). The order lines
/// of a contract are those on its contract lines.
pub async fn committed_by_contract<C: ConnectionTrait>(
    db: &C,
    contract_ids: &[String],
) -> AppResult<HashMap<String, Money>> {
    // PostgreSQL sums BIGINT as NUMERIC: cast back so both back ends answer an integer.
    let sql = format!(
        "SELECT cl.contract_id AS key, CAST(COALESCE(SUM(l.committed_cents), 0) AS BIGINT) AS total \
         FROM trajectory_lines l JOIN contract_lines cl ON cl.id = l.contract_line_id \
         WHERE cl.contract_id IN ({{ids}}) AND l.status NOT IN {} GROUP BY cl.contract_id",
        super::db::released_line_statuses()
    );
    Ok(sums_by(db, &sql, contract_ids, &["total"])
        .await?
        .into_iter()
        .map(|(id, v)| (id, Money::from_cents(v[0])))
        .collect())
}

/// The counting order lines per contract line, of the lines matching `filter` (on `cl`,
/// the contract line, with `{ids}` for the ids).
async fn orders_where<C: ConnectionTrait>(
    db: &C,
    filter: &str,
    ids: &[String],
) -> AppResult<HashMap<String, LineOrders>> {
    // PostgreSQL sums BIGINT as NUMERIC: cast back so both back ends answer an integer.
    let sql = format!(
        "SELECT l.contract_line_id AS key, CAST(COUNT(*) AS BIGINT) AS lines, \
         CAST(COALESCE(SUM(l.volume_thousandths), 0) AS BIGINT) AS volume \
         FROM trajectory_lines l JOIN contract_lines cl ON cl.id = l.contract_line_id \
         WHERE {filter} AND l.status NOT IN {} GROUP BY l.contract_line_id",
        super::db::released_line_statuses()
    );
    Ok(sums_by(db, &sql, ids, &["lines", "volume"])
        .await?
        .into_iter()
        .map(|(id, v)| {
            (
                id,
                LineOrders {
                    lines: v[0],
                    volume_thousandths: v[1],
                },
            )
        })
        .collect())
}

/// The counting order lines per contract line of the contracts (absent: none).
pub async fn orders_by_line<C: ConnectionTrait>(
    db: &C,
    contract_ids: &[String],
) -> AppResult<HashMap<String, LineOrders>> {
    orders_where(db, "cl.contract_id IN ({ids})", contract_ids).await
}

/// The counting order lines per contract line, of these contract lines (absent: none).
pub async fn orders_on_lines<C: ConnectionTrait>(
    db: &C,
    line_ids: &[String],
) -> AppResult<HashMap<String, LineOrders>> {
    orders_where(db, "cl.id IN ({ids})", line_ids).await
}

/// Invoiced per contract: the net of its final delivery lines minus final credit notes
/// (absent: nothing); true-ups, advances and reconciliations are not orders.
pub async fn invoiced_by_contract<C: ConnectionTrait>(
    db: &C,
    contract_ids: &[String],
) -> AppResult<HashMap<String, Money>> {
    let sql = format!(
        "SELECT l.contract_id AS key, \
         CAST(COALESCE(SUM(CASE WHEN i.kind = '{credit_note}' THEN -l.net_cents ELSE l.net_cents END), 0) AS BIGINT) AS total \
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
         WHERE l.contract_id IN ({{ids}}) AND l.kind = 'delivery' AND i.status IN {finals} \
         GROUP BY l.contract_id",
        credit_note = crate::domain::invoice::InvoiceKind::CreditNote.as_str(),
        finals = super::db::final_invoice_statuses(),
    );
    Ok(sums_by(db, &sql, contract_ids, &["total"])
        .await?
        .into_iter()
        .map(|(id, v)| (id, Money::from_cents(v[0])))
        .collect())
}

/// What one contract's counting order lines commit against its budget ceiling.
pub async fn budget_committed<C: ConnectionTrait>(db: &C, contract_id: &str) -> AppResult<Money> {
    Ok(committed_by_contract(db, &[contract_id.to_string()])
        .await?
        .remove(contract_id)
        .unwrap_or(Money::ZERO))
}

/// Invoiced against one contract.
pub async fn budget_invoiced<C: ConnectionTrait>(db: &C, contract_id: &str) -> AppResult<Money> {
    Ok(invoiced_by_contract(db, &[contract_id.to_string()])
        .await?
        .remove(contract_id)
        .unwrap_or(Money::ZERO))
}

/// The lines of the contracts, by contract and product code.
pub async fn lines_of<C: ConnectionTrait>(
    db: &C,
    contract_ids: &[String],
) -> AppResult<Vec<contract_line::Model>> {
    let mut out = Vec::new();
    for chunk in contract_ids.chunks(CHUNK) {
        out.extend(
            contract_line::Entity::find()
                .filter(contract_line::Column::ContractId.is_in(chunk.to_vec()))
                .order_by_asc(contract_line::Column::ContractId)
                .order_by_asc(contract_line::Column::ProductCode)
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The agreed prices of the lines, ascending by effective date, per line id.
pub async fn prices_of<C: ConnectionTrait>(
    db: &C,
    line_ids: &[String],
) -> AppResult<HashMap<String, Vec<(NaiveDate, Money)>>> {
    let mut out: HashMap<String, Vec<(NaiveDate, Money)>> = HashMap::new();
    for chunk in line_ids.chunks(CHUNK) {
        for p in contract_line_price::Entity::find()
            .filter(contract_line_price::Column::ContractLineId.is_in(chunk.to_vec()))
            .order_by_asc(contract_line_price::Column::ContractLineId)
            .order_by_asc(contract_line_price::Column::EffectiveFrom)
            .all(db)
            .await?
        {
            out.entry(p.contract_line_id)
                .or_default()
                .push((p.effective_from, Money::from_cents(p.price_cents)));
        }
    }
    Ok(out)
}

/// What a contract line shows of its product.
#[derive(Debug, Clone)]
pub struct LineProduct {
    pub name: String,
    pub unit: Unit,
    /// The list prices, ascending.
    pub prices: Vec<PriceVersion>,
}

impl LineProduct {
    /// The list price on a date, as [`ProductSpec::price_on`](crate::domain::catalogue::ProductSpec::price_on) gives it.
    pub fn price_on(&self, date: NaiveDate) -> Option<Money> {
        self.prices
            .iter()
            .rev()
            .find(|p| p.valid_from <= date)
            .map(|p| p.amount)
    }
}

/// The products of contract lines by code, with their list prices: two queries.
pub async fn line_products<C: ConnectionTrait>(
    db: &C,
    codes: &[String],
) -> AppResult<HashMap<String, LineProduct>> {
    let mut out = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let mut prices: HashMap<String, Vec<PriceVersion>> = HashMap::new();
        for p in price_version::Entity::find()
            .filter(price_version::Column::ProductCode.is_in(chunk.to_vec()))
            .order_by_asc(price_version::Column::ProductCode)
            .order_by_asc(price_version::Column::ValidFrom)
            .all(db)
            .await?
        {
            prices
                .entry(p.product_code)
                .or_default()
                .push(PriceVersion {
                    valid_from: p.valid_from,
                    amount: Money::from_cents(p.amount_cents),
                });
        }
        for p in product::Entity::find()
            .filter(product::Column::Code.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let unit = p.unit;
            let line_product = LineProduct {
                name: p.name,
                unit,
                prices: prices.remove(&p.code).unwrap_or_default(),
            };
            out.insert(p.code, line_product);
        }
    }
    Ok(out)
}
