//! The data behind the insight reports and the cost-price calculator, scoped here by the
//! `Principal`: a casemanager reads only their own municipality (another answers as not
//! found); finance, pricing and the administrator read any municipality or all of them;
//! WSD's trajectory staff have no reports.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement,
};

use super::db::placeholder;
use crate::domain::invoice::InvoiceKind;
use crate::domain::principal::Principal;
use crate::domain::role::Role;
use crate::entities::{contract, contract_line, cost_scenario, trajectory, trajectory_line};
use crate::error::{AppError, AppResult};

/// Whose figures a report covers. Only [`scope`] makes one, after checking the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(Option<String>);

impl Scope {
    /// The municipality code, or `None` for all municipalities together.
    pub fn municipality(&self) -> Option<&str> {
        self.0.as_deref()
    }

    pub fn is_all(&self) -> bool {
        self.0.is_none()
    }
}

/// Who may read reports at all.
pub fn may_read(principal: &Principal) -> AppResult<()> {
    match principal.role {
        Role::Casemanager | Role::Finance | Role::Pricing | Role::Admin => Ok(()),
        Role::ProviderStaff => Err(AppError::Forbidden(
            "de rapportages zijn voor gemeenten, financiën, prijsbeheer en beheer".into(),
        )),
    }
}

/// Whether the reader sees WSD's figures (all municipalities, plan, cost prices).
pub fn is_wsd_reader(principal: &Principal) -> bool {
    matches!(principal.role, Role::Finance | Role::Pricing | Role::Admin)
}

/// The scope a reader asks for: a municipality code, or nothing / `alle` for all. A
/// casemanager always gets their own municipality; asking for another is not found.
pub async fn scope<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    requested: Option<&str>,
) -> AppResult<Scope> {
    may_read(principal)?;
    let requested = requested
        .map(str::trim)
        .filter(|r| !r.is_empty() && !r.eq_ignore_ascii_case("alle"));
    if let Some(own) = principal.municipality_scope() {
        return match requested {
            None => Ok(Scope(Some(own.to_string()))),
            Some(code) if code == own => Ok(Scope(Some(own.to_string()))),
            Some(_) => Err(AppError::NotFound),
        };
    }
    match requested {
        None => Ok(Scope(None)),
        Some(code) => match super::municipalities::get(db, code).await? {
            Some(m) => Ok(Scope(Some(m.code))),
            None => Err(AppError::NotFound),
        },
    }
}

/// Checks again, where the data is read, that the scope fits the reader.
fn check(principal: &Principal, scope: &Scope) -> AppResult<()> {
    may_read(principal)?;
    match principal.municipality_scope() {
        Some(own) if scope.municipality() != Some(own) => Err(AppError::NotFound),
        _ => Ok(()),
    }
}

/// Net invoiced per municipality, service month and product: final invoices minus credit notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicedRow {
    pub municipality: String,
    /// The seller.
    pub provider: String,
    /// `YYYY-MM`.
    pub service_period: String,
    pub product_code: String,
    pub net_cents: i64,
}

/// Everything the reports of one year need, within a scope.
#[derive(Debug, Clone, Default)]
pub struct YearData {
    /// Contracts whose period overlaps the year.
    pub contracts: Vec<contract::Model>,
    pub contract_lines: Vec<contract_line::Model>,
    /// Trajectories ordered under those contracts.
    pub trajectories: Vec<trajectory::Model>,
    /// Their lines (all statuses).
    pub lines: Vec<trajectory_line::Model>,
    /// Invoiced with a service month in the year.
    pub invoiced: Vec<InvoicedRow>,
}

fn year_bounds(year: i32) -> AppResult<(NaiveDate, NaiveDate)> {
    match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(AppError::field("year", "geen geldig jaar")),
    }
}

/// Lists with more ids than this are queried in parts.
const CHUNK: usize = 500;

/// The data of one year in a scope.
pub async fn year_data<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    scope: &Scope,
    year: i32,
) -> AppResult<YearData> {
    check(principal, scope)?;
    let (first, last) = year_bounds(year)?;
    let mut query = contract::Entity::find()
        .filter(contract::Column::ValidFrom.lte(last))
        .filter(contract::Column::ValidTo.gte(first));
    if let Some(m) = scope.municipality() {
        query = query.filter(contract::Column::MunicipalityCode.eq(m));
    }
    let contracts = query
        .filter(super::scope::owned_by(
            principal,
            Some(contract::Column::MunicipalityCode),
            Some(contract::Column::ProviderCode),
        ))
        .order_by_asc(contract::Column::MunicipalityCode)
        .order_by_asc(contract::Column::ValidFrom)
        .all(db)
        .await?;
    let contract_ids: Vec<String> = contracts.iter().map(|c| c.id.clone()).collect();
    let mut contract_lines = Vec::new();
    let mut trajectories = Vec::new();
    for ids in contract_ids.chunks(CHUNK) {
        contract_lines.extend(
            contract_line::Entity::find()
                .filter(contract_line::Column::ContractId.is_in(ids.to_vec()))
                .order_by_asc(contract_line::Column::ProductCode)
                .all(db)
                .await?,
        );
        trajectories.extend(
            trajectory::Entity::find()
                .filter(trajectory::Column::ContractId.is_in(ids.to_vec()))
                .order_by_asc(trajectory::Column::CreatedAt)
                .all(db)
                .await?,
        );
    }
    let line_ids: Vec<String> = contract_lines.iter().map(|l| l.id.clone()).collect();
    let mut lines = Vec::new();
    for ids in line_ids.chunks(CHUNK) {
        lines.extend(
            trajectory_line::Entity::find()
                .filter(trajectory_line::Column::ContractLineId.is_in(ids.to_vec()))
                .order_by_asc(trajectory_line::Column::TrajectoryId)
                .order_by_asc(trajectory_line::Column::Position)
                .all(db)
                .await?,
        );
    }
    let invoiced = invoiced(db, principal, scope, year).await?;
    Ok(YearData {
        contracts,
        contract_lines,
        trajectories,
        lines,
        invoiced,
    })
}

/// Net invoiced per municipality, service month and product in the year.
async fn invoiced<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    scope: &Scope,
    year: i32,
) -> AppResult<Vec<InvoicedRow>> {
    let backend = db.get_database_backend();
    // PostgreSQL sums BIGINT as NUMERIC: cast back so both back ends answer an integer.
    let mut sql = format!(
        "SELECT i.municipality_code AS municipality, i.provider_code AS provider, \
         l.service_period AS service_period, \
         l.product_code AS product_code, \
         CAST(COALESCE(SUM(CASE WHEN i.kind = '{credit_note}' THEN -l.net_cents ELSE l.net_cents END), 0) AS BIGINT) AS net \
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
         WHERE i.status IN {finals} AND l.service_period >= $1 AND l.service_period <= $2",
        credit_note = InvoiceKind::CreditNote.as_str(),
        finals = super::db::final_invoice_statuses(),
    );
    let mut values: Vec<sea_orm::Value> = vec![
        format!("{year:04}-01").into(),
        format!("{year:04}-12").into(),
    ];
    if let Some(m) = scope.municipality() {
        values.push(m.into());
        sql.push_str(&format!(" AND i.municipality_code = ${}", values.len()));
    }
    if let Some(p) = principal.provider_scope() {
        values.push(p.into());
        sql.push_str(&format!(" AND i.provider_code = ${}", values.len()));
    }
    sql.push_str(
        " GROUP BY i.municipality_code, i.provider_code, l.service_period, l.product_code \
         ORDER BY i.municipality_code, i.provider_code, l.service_period, l.product_code",
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholder(backend, &sql),
            values,
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(InvoicedRow {
                municipality: row.try_get("", "municipality")?,
                provider: row.try_get("", "provider")?,
                service_period: row.try_get("", "service_period")?,
                product_code: row.try_get("", "product_code")?,
                net_cents: row.try_get("", "net")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(AppError::from)
}

/// Years in which any contract runs, for the year picker.
pub async fn contract_years<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
) -> AppResult<Vec<i32>> {
    use chrono::Datelike;
    may_read(principal)?;
    let query = contract::Entity::find().filter(super::scope::owned_by(
        principal,
        Some(contract::Column::MunicipalityCode),
        Some(contract::Column::ProviderCode),
    ));
    let mut years = std::collections::BTreeSet::new();
    for c in query.all(db).await? {
        for y in c.valid_from.year()..=c.valid_to.year() {
            years.insert(y);
        }
    }
    Ok(years.into_iter().collect())
}

fn may_price(principal: &Principal) -> AppResult<()> {
    if principal.role == Role::Pricing {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "de kostprijscalculator is voor prijsbeheer".into(),
        ))
    }
}

/// Saved cost-price scenarios of a product, newest first (pricing staff only).
pub async fn cost_scenarios<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    product_code: &str,
) -> AppResult<Vec<cost_scenario::Model>> {
    may_price(principal)?;
    Ok(cost_scenario::Entity::find()
        .filter(cost_scenario::Column::ProductCode.eq(product_code))
        .order_by_desc(cost_scenario::Column::UpdatedAt)
        .order_by_asc(cost_scenario::Column::Name)
        .all(db)
        .await?)
}

/// One saved scenario (pricing staff only).
pub async fn cost_scenario<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<cost_scenario::Model> {
    may_price(principal)?;
    cost_scenario::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The scenario of a product with this name, if saved before (inside the saving transaction).
pub async fn cost_scenario_named<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    product_code: &str,
    name: &str,
) -> AppResult<Option<cost_scenario::Model>> {
    may_price(principal)?;
    Ok(cost_scenario::Entity::find()
        .filter(cost_scenario::Column::ProductCode.eq(product_code))
        .filter(cost_scenario::Column::Name.eq(name))
        .one(db)
        .await?)
}

/// Inserts or replaces a scenario (inside the caller's transaction).
pub async fn put_cost_scenario<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    model: cost_scenario::Model,
    replace: bool,
) -> AppResult<()> {
    may_price(principal)?;
    let active = cost_scenario::ActiveModel::from(model);
    if replace {
        // Every column marked set: the update writes them all.
        active.reset_all().update(db).await?;
    } else {
        cost_scenario::Entity::insert(active)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The names a report of the marketplace needs: each product's service type, and the
/// names of service types, providers and municipalities. One query per table.
#[derive(Debug, Clone, Default)]
pub struct MarketNames {
    pub product_service: std::collections::HashMap<String, Option<String>>,
    pub services: std::collections::HashMap<String, String>,
    pub providers: std::collections::HashMap<String, String>,
    pub municipalities: std::collections::HashMap<String, String>,
}

pub async fn market_names<C: ConnectionTrait>(db: &C) -> AppResult<MarketNames> {
    use crate::entities::{municipality, product, provider, service};
    use sea_orm::QuerySelect;
    let product_service = product::Entity::find()
        .select_only()
        .column(product::Column::Code)
        .column(product::Column::ServiceCode)
        .into_tuple::<(String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let services = service::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect();
    let providers = provider::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let municipalities = municipality::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code, m.name))
        .collect();
    Ok(MarketNames {
        product_service,
        services,
        providers,
        municipalities,
    })
}
