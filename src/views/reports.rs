//! Insight: budgets, spend, statuses and outcomes per municipality and year; for WSD the same
//! across all municipalities, uptake against the contracts' caps and revenue against the
//! year's plan; and the cost-price calculator of pricing staff.
//!
//! What counts where (the same for the pages, the CSV downloads and the API):
//! - A year's figures come from the contracts whose period overlaps the year, the trajectories
//!   ordered under them, and invoice lines whose service month lies in the year.
//! - Budget ceiling: the sum of those contracts' ceilings (contracts without one add nothing);
//!   remaining: per contract with a ceiling, the ceiling minus what is committed on it.
//! - Committed: what open, running and finished order lines commit (rejected and cancelled
//!   lines release their commitment), in the month the trajectory was ordered; orders placed
//!   before or after the year count in January or December.
//! - Invoiced: net amounts on final (also sent and paid) invoices minus credit notes, by the
//!   service month of each line. Draft invoices do not count.
//! - Forecast: invoiced in the completed months ÷ completed months × 12.
//! - Spend by target group: a product aimed at several target groups counts fully for each,
//!   so the groups together add up to more than the total.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

use crate::domain::billing::{Unit, Variant};
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
use crate::domain::reports::{
    self as rules, budget_months, cost_scenarios_with_floor, months_active_in_year, months_elapsed,
    plan_cumulative, run_rate_forecast, share_percent, CostInputs, CostScenario,
};
// The report figures are domain data (the CSV export writes them too); served from here.
pub use crate::domain::reports::{
    BudgetMonthRow, BudgetReport, OutcomeRow, OutcomesReport, PlanMonth, PlanReport, ProductSpend,
    ProductsReport, ProviderSpend, ProvidersReport, Report, StatusCount, StatusReport,
    TargetGroupSpend, TargetGroupsReport, UptakeReport, UptakeRow,
};
use crate::domain::trajectory::{Outcome, Status};
use crate::entities::cost_scenario;
use crate::error::{AppError, AppResult};
use crate::store;
use crate::store::reports::{Scope, YearData};

/// WSD's yearly revenue plan for the plusdiensten: the seed's "plusdiensten nieuw" target of
/// € 1.500k (up from € 1.000k). Change it here when the plan changes.
pub const PLUSDIENSTEN_PLAN_CENTS: i64 = 150_000_000;

pub fn plusdiensten_plan() -> Money {
    Money::from_cents(PLUSDIENSTEN_PLAN_CENTS)
}

/// The reports there are, as named in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Budget,
    Products,
    TargetGroups,
    Status,
    Outcomes,
    Uptake,
    Plan,
    Providers,
}

impl ReportKind {
    pub const ALL: [ReportKind; 8] = [
        ReportKind::Budget,
        ReportKind::Products,
        ReportKind::TargetGroups,
        ReportKind::Status,
        ReportKind::Outcomes,
        ReportKind::Uptake,
        ReportKind::Plan,
        ReportKind::Providers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Budget => "budget",
            ReportKind::Products => "products",
            ReportKind::TargetGroups => "target_groups",
            ReportKind::Status => "status",
            ReportKind::Outcomes => "outcomes",
            ReportKind::Uptake => "uptake",
            ReportKind::Plan => "plan",
            ReportKind::Providers => "providers",
        }
    }

    pub fn parse(text: &str) -> AppResult<ReportKind> {
        ReportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim())
            .ok_or(AppError::NotFound)
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            ReportKind::Budget => "Budget per maand",
            ReportKind::Products => "Uitgaven per product",
            ReportKind::TargetGroups => "Uitgaven per doelgroep",
            ReportKind::Status => "Trajecten per status",
            ReportKind::Outcomes => "Resultaten per product",
            ReportKind::Uptake => "Afname tegen volumeplafonds",
            ReportKind::Plan => "Omzet plusdiensten tegen jaarplan",
            ReportKind::Providers => "Uitgaven per aanbieder en dienst",
        }
    }

    /// Reports only WSD reads (they are about WSD's business, not a municipality's).
    pub fn wsd_only(self) -> bool {
        matches!(self, ReportKind::Plan)
    }
}

/// What a reader asked for, checked: whose figures, which year, and the date "so far" means.
#[derive(Debug, Clone)]
pub struct Selection {
    pub scope: Scope,
    /// "Boxtel" or "Alle gemeenten".
    pub label: String,
    pub year: i32,
    pub today: NaiveDate,
}

/// Checks the reader against the requested municipality (a casemanager asking for another
/// municipality gets not found) and the year.
pub async fn select(
    db: &DatabaseConnection,
    principal: &Principal,
    municipality: Option<&str>,
    year: Option<i32>,
    today: NaiveDate,
) -> AppResult<Selection> {
    let scope = store::reports::scope(db, principal, municipality).await?;
    let year = year.unwrap_or(today.year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field("year", "kies een jaar tussen 2000 en 2100"));
    }
    let label = match scope.municipality() {
        Some(code) => store::municipalities::get(db, code)
            .await?
            .map(|m| m.name)
            .unwrap_or_else(|| code.to_string()),
        None => "Alle gemeenten".to_string(),
    };
    Ok(Selection {
        scope,
        label,
        year,
        today,
    })
}

fn period_text(year: i32, month: u32) -> String {
    format!("{year:04}-{month:02}")
}

/// All reports of a selection, for the page.
#[derive(Debug, Clone)]
pub struct Insight {
    pub budget: BudgetReport,
    pub products: ProductsReport,
    pub target_groups: TargetGroupsReport,
    pub status: StatusReport,
    pub outcomes: OutcomesReport,
    pub uptake: UptakeReport,
    /// For WSD readers looking at all municipalities.
    pub plan: Option<PlanReport>,
    pub providers: ProvidersReport,
}

/// Product names, units and target groups, once per request.
struct Catalogue {
    products: HashMap<String, store::catalogue::StoredProduct>,
    groups: Vec<(String, String)>,
    market: store::reports::MarketNames,
}

impl Catalogue {
    async fn load(db: &DatabaseConnection) -> AppResult<Catalogue> {
        Ok(Catalogue {
            products: store::catalogue::all(db)
                .await?
                .into_iter()
                .map(|p| (p.spec.code.as_str().to_string(), p))
                .collect(),
            groups: store::catalogue::target_groups(db)
                .await?
                .into_iter()
                .map(|g| (g.code, g.name))
                .collect(),
            market: store::reports::market_names(db).await?,
        })
    }

    /// The product's name; a settlement line's code (true-up, advance, reconciliation) is
    /// named by its kind.
    fn name(&self, code: &str) -> String {
        use crate::domain::settlement::LineKind;
        if let Some(kind) = [
            LineKind::TrueUp,
            LineKind::Advance,
            LineKind::Reconciliation,
        ]
        .into_iter()
        .find(|k| k.document_code() == code)
        {
            return kind.document_name().to_string();
        }
        self.products
            .get(code)
            .map(|p| p.spec.name.clone())
            .unwrap_or_else(|| code.to_string())
    }

    fn unit(&self, code: &str) -> Option<Unit> {
        self.products.get(code).map(|p| p.spec.unit)
    }
}

/// Loaded once, computed into any report.
struct Source {
    selection: Selection,
    data: YearData,
    catalogue: Catalogue,
}

fn released(status: Status) -> bool {
    status.releases_commitment()
}

fn month_of_period(text: &str) -> Option<u32> {
    Period::parse(text).ok().map(|p| p.month())
}

impl Source {
    async fn load(
        db: &DatabaseConnection,
        principal: &Principal,
        selection: &Selection,
    ) -> AppResult<Source> {
        Ok(Source {
            data: store::reports::year_data(db, principal, &selection.scope, selection.year)
                .await?,
            catalogue: Catalogue::load(db).await?,
            selection: selection.clone(),
        })
    }

    fn municipality(&self) -> Option<String> {
        self.selection.scope.municipality().map(str::to_string)
    }

    fn year(&self) -> i32 {
        self.selection.year
    }

    /// Lines that count: not rejected or cancelled.
    fn live_lines(&self) -> impl Iterator<Item = &crate::entities::trajectory_line::Model> {
        self.data.lines.iter().filter(|l| !released(l.status))
    }

    /// Committed on one contract.
    fn committed_on(&self, contract_id: &str) -> Money {
        let on_contract: std::collections::HashSet<&str> = self
            .data
            .trajectories
            .iter()
            .filter(|t| t.contract_id == contract_id)
            .map(|t| t.id.as_str())
            .collect();
        self.live_lines()
            .filter(|l| on_contract.contains(l.trajectory_id.as_str()))
            .map(|l| Money::from_cents(l.committed_cents))
            .sum()
    }

    /// Committed per month of ordering (clamped into the year).
    fn committed_by_month(&self) -> [Money; 12] {
        let ordered: HashMap<&str, NaiveDate> = self
            .data
            .trajectories
            .iter()
            .map(|t| {
                (
                    t.id.as_str(),
                    t.created_at.with_timezone(&chrono::Local).date_naive(),
                )
            })
            .collect();
        let mut months = [Money::ZERO; 12];
        for l in self.live_lines() {
            let Some(date) = ordered.get(l.trajectory_id.as_str()) else {
                continue;
            };
            let index = match date.year().cmp(&self.year()) {
                std::cmp::Ordering::Less => 0,
                std::cmp::Ordering::Greater => 11,
                std::cmp::Ordering::Equal => date.month0() as usize,
            };
            months[index] += Money::from_cents(l.committed_cents);
        }
        months
    }

    fn invoiced_by_month(&self) -> [Money; 12] {
        let mut months = [Money::ZERO; 12];
        for row in &self.data.invoiced {
            if let Some(m) = month_of_period(&row.service_period) {
                months[(m - 1) as usize] += Money::from_cents(row.net_cents);
            }
        }
        months
    }

    fn budget(&self) -> BudgetReport {
        let committed = self.committed_by_month();
        let invoiced = self.invoiced_by_month();
        let months = budget_months(&committed, &invoiced);
        let ceilings: Vec<Money> = self
            .data
            .contracts
            .iter()
            .filter_map(|c| c.budget_ceiling_cents.map(Money::from_cents))
            .collect();
        let ceiling = (!ceilings.is_empty()).then(|| ceilings.iter().sum::<Money>());
        let total_committed: Money = committed.iter().sum();
        // What is left: per contract with a ceiling, its ceiling minus what is committed on it
        // (contracts without a ceiling neither add room nor use it).
        let remaining = (!ceilings.is_empty()).then(|| {
            self.data
                .contracts
                .iter()
                .filter_map(|c| {
                    let ceiling = Money::from_cents(c.budget_ceiling_cents?);
                    Some(ceiling - self.committed_on(&c.id))
                })
                .sum::<Money>()
        });
        let total_invoiced: Money = invoiced.iter().sum();
        let elapsed = months_elapsed(self.year(), self.selection.today);
        let so_far: Money = invoiced.iter().take(elapsed as usize).sum();
        BudgetReport {
            municipality: self.municipality(),
            year: self.year(),
            ceiling,
            contracts_without_ceiling: self.data.contracts.len() - ceilings.len(),
            committed: total_committed,
            invoiced: total_invoiced,
            remaining,
            months_elapsed: elapsed,
            invoiced_so_far: so_far,
            forecast: run_rate_forecast(so_far, elapsed),
            months: months
                .into_iter()
                .map(|m| BudgetMonthRow {
                    period: period_text(self.year(), m.month),
                    committed: m.committed,
                    invoiced: m.invoiced,
                    committed_cumulative: m.committed_cumulative,
                    invoiced_cumulative: m.invoiced_cumulative,
                })
                .collect(),
        }
    }

    /// (order lines, committed, invoiced) per product code.
    fn per_product(&self) -> BTreeMap<String, (u64, Money, Money)> {
        let mut map: BTreeMap<String, (u64, Money, Money)> = BTreeMap::new();
        for l in self.live_lines() {
            let e = map.entry(l.product_code.clone()).or_default();
            e.0 += 1;
            e.1 += Money::from_cents(l.committed_cents);
        }
        for row in &self.data.invoiced {
            map.entry(row.product_code.clone()).or_default().2 += Money::from_cents(row.net_cents);
        }
        map
    }

    fn products(&self) -> ProductsReport {
        let mut items: Vec<ProductSpend> = self
            .per_product()
            .into_iter()
            .map(|(code, (lines, committed, invoiced))| ProductSpend {
                product_name: self.catalogue.name(&code),
                unit: self
                    .catalogue
                    .unit(&code)
                    .map(|u| u.as_str().to_string())
                    .unwrap_or_default(),
                product_code: code,
                order_lines: lines,
                committed,
                invoiced,
            })
            .collect();
        items.sort_by(|a, b| {
            b.invoiced
                .cmp(&a.invoiced)
                .then(b.committed.cmp(&a.committed))
                .then(a.product_code.cmp(&b.product_code))
        });
        ProductsReport {
            municipality: self.municipality(),
            year: self.year(),
            committed: items.iter().map(|i| i.committed).sum(),
            invoiced: items.iter().map(|i| i.invoiced).sum(),
            items,
        }
    }

    /// Spend per provider, service type and municipality: committed on live order lines
    /// (by the trajectory's provider and municipality), invoiced by the invoice's seller.
    fn providers(&self) -> ProvidersReport {
        type Key = (String, Option<String>, String);
        let market = &self.catalogue.market;
        let service_of = |product: &str| market.product_service.get(product).cloned().flatten();
        let owner: HashMap<&str, (&str, &str)> = self
            .data
            .trajectories
            .iter()
            .map(|t| {
                (
                    t.id.as_str(),
                    (t.provider_code.as_str(), t.municipality_code.as_str()),
                )
            })
            .collect();
        let mut map: BTreeMap<Key, (u64, Money, Money)> = BTreeMap::new();
        for l in self.live_lines() {
            let Some((provider, municipality)) = owner.get(l.trajectory_id.as_str()) else {
                continue;
            };
            let key = (
                provider.to_string(),
                service_of(&l.product_code),
                municipality.to_string(),
            );
            let e = map.entry(key).or_default();
            e.0 += 1;
            e.1 += Money::from_cents(l.committed_cents);
        }
        for row in &self.data.invoiced {
            let key = (
                row.provider.clone(),
                service_of(&row.product_code),
                row.municipality.clone(),
            );
            map.entry(key).or_default().2 += Money::from_cents(row.net_cents);
        }
        let name = |names: &HashMap<String, String>, code: &str| {
            names.get(code).cloned().unwrap_or_else(|| code.to_string())
        };
        let items: Vec<ProviderSpend> = map
            .into_iter()
            .map(
                |((provider, service, municipality), (lines, committed, invoiced))| ProviderSpend {
                    provider_name: name(&market.providers, &provider),
                    service_name: match &service {
                        Some(code) => name(&market.services, code),
                        None => "(geen dienst)".to_string(),
                    },
                    municipality_name: name(&market.municipalities, &municipality),
                    provider,
                    service,
                    municipality,
                    order_lines: lines,
                    committed,
                    invoiced,
                },
            )
            .collect();
        ProvidersReport {
            municipality: self.municipality(),
            year: self.year(),
            committed: items.iter().map(|i| i.committed).sum(),
            invoiced: items.iter().map(|i| i.invoiced).sum(),
            items,
        }
    }

    fn target_groups(&self) -> TargetGroupsReport {
        let per_product = self.per_product();
        let mut items: Vec<TargetGroupSpend> = self
            .catalogue
            .groups
            .iter()
            .map(|(code, name)| {
                let mut row = TargetGroupSpend {
                    target_group: code.clone(),
                    name: name.clone(),
                    products: 0,
                    committed: Money::ZERO,
                    invoiced: Money::ZERO,
                };
                for (product, (_, committed, invoiced)) in &per_product {
                    let aimed = self
                        .catalogue
                        .products
                        .get(product)
                        .is_some_and(|p| p.spec.target_groups.iter().any(|g| g == code));
                    if aimed {
                        row.products += 1;
                        row.committed += *committed;
                        row.invoiced += *invoiced;
                    }
                }
                row
            })
            .collect();
        items.sort_by(|a, b| {
            b.invoiced
                .cmp(&a.invoiced)
                .then(b.committed.cmp(&a.committed))
                .then(a.target_group.cmp(&b.target_group))
        });
        TargetGroupsReport {
            municipality: self.municipality(),
            year: self.year(),
            overlapping: true,
            items,
        }
    }

    fn status(&self) -> StatusReport {
        let items: Vec<StatusCount> = Status::ALL
            .into_iter()
            .map(|s| StatusCount {
                status: s.as_str().to_string(),
                label: s.label_nl().to_string(),
                trajectories: self
                    .data
                    .trajectories
                    .iter()
                    .filter(|t| t.status == s)
                    .count() as u64,
            })
            .collect();
        StatusReport {
            municipality: self.municipality(),
            year: self.year(),
            total: self.data.trajectories.len() as u64,
            items,
        }
    }

    fn outcomes(&self) -> OutcomesReport {
        let mut map: BTreeMap<String, OutcomeRow> = BTreeMap::new();
        for l in &self.data.lines {
            let status = l.status;
            if !matches!(status, Status::Completed | Status::Stopped) {
                continue;
            }
            let row = map
                .entry(l.product_code.clone())
                .or_insert_with(|| OutcomeRow {
                    product_code: l.product_code.clone(),
                    product_name: self.catalogue.name(&l.product_code),
                    completed: 0,
                    goal_reached: 0,
                    goal_reached_share: None,
                    regular_work: 0,
                    stopped: 0,
                });
            if status == Status::Stopped {
                row.stopped += 1;
                continue;
            }
            row.completed += 1;
            let outcome = l.outcome;
            if outcome.is_some_and(Outcome::goal_reached) {
                row.goal_reached += 1;
            }
            if outcome == Some(Outcome::RegularWork) {
                row.regular_work += 1;
            }
        }
        let mut items: Vec<OutcomeRow> = map.into_values().collect();
        for row in &mut items {
            row.goal_reached_share = share_percent(row.goal_reached, row.completed);
        }
        let completed = items.iter().map(|r| r.completed).sum();
        let goal_reached = items.iter().map(|r| r.goal_reached).sum();
        OutcomesReport {
            municipality: self.municipality(),
            year: self.year(),
            goal_reached_share: share_percent(goal_reached, completed),
            regular_work: items.iter().map(|r| r.regular_work).sum(),
            stopped: items.iter().map(|r| r.stopped).sum(),
            completed,
            goal_reached,
            items,
        }
    }

    fn uptake(&self) -> UptakeReport {
        // What one line uses of a cap, as the contract views and ordering count it.
        let usage = |l: &crate::entities::trajectory_line::Model| -> Quantity {
            crate::domain::commitment::line_usage(
                self.catalogue
                    .unit(&l.product_code)
                    .map_or(Variant::Output, |u| u.variant()),
                l.volume_thousandths.map(Quantity::from_thousandths),
            )
        };
        let mut used_per_line: HashMap<&str, Quantity> = HashMap::new();
        for l in self.live_lines() {
            *used_per_line
                .entry(l.contract_line_id.as_str())
                .or_default() += usage(l);
        }
        let mut map: BTreeMap<String, UptakeRow> = BTreeMap::new();
        for cl in &self.data.contract_lines {
            let unit = self.catalogue.unit(&cl.product_code);
            let row = map
                .entry(cl.product_code.clone())
                .or_insert_with(|| UptakeRow {
                    product_code: cl.product_code.clone(),
                    product_name: self.catalogue.name(&cl.product_code),
                    measure: match unit {
                        Some(u) if u.variant() == Variant::Inspanning => u.as_str().to_string(),
                        _ => "traject".to_string(),
                    },
                    ordered: Quantity::ZERO,
                    contracts: 0,
                    capped_contracts: 0,
                    cap: None,
                    used_under_cap: Quantity::ZERO,
                    cap_share: None,
                });
            let used = used_per_line
                .get(cl.id.as_str())
                .copied()
                .unwrap_or_default();
            row.contracts += 1;
            row.ordered += used;
            if let Some(cap) = cl.volume_cap_thousandths {
                row.capped_contracts += 1;
                row.cap = Some(row.cap.unwrap_or_default() + Quantity::from_thousandths(cap));
                row.used_under_cap += used;
            }
        }
        let mut items: Vec<UptakeRow> = map.into_values().collect();
        for row in &mut items {
            row.cap_share = row.cap.and_then(|cap| {
                (!cap.is_zero()).then(|| {
                    rules::one_decimal(
                        row.used_under_cap.amount() * Decimal::ONE_HUNDRED / cap.amount(),
                    )
                })
            });
        }
        items.sort_by(|a, b| {
            b.capped_contracts
                .cmp(&a.capped_contracts)
                .then(b.ordered.cmp(&a.ordered))
                .then(a.product_code.cmp(&b.product_code))
        });
        UptakeReport {
            municipality: self.municipality(),
            year: self.year(),
            items,
        }
    }

    fn plan(&self) -> PlanReport {
        let plan = plusdiensten_plan();
        let revenue = self.invoiced_by_month();
        let plan_months = plan_cumulative(plan);
        let mut total = Money::ZERO;
        let months: Vec<PlanMonth> = (0..12)
            .map(|i| {
                total += revenue[i];
                PlanMonth {
                    period: period_text(self.year(), i as u32 + 1),
                    revenue: revenue[i],
                    revenue_cumulative: total,
                    plan_cumulative: plan_months[i],
                }
            })
            .collect();
        let elapsed = months_elapsed(self.year(), self.selection.today);
        let so_far: Money = revenue.iter().take(elapsed as usize).sum();
        PlanReport {
            year: self.year(),
            plan,
            revenue: total,
            plan_share: rules::money_share_percent(total, plan),
            months_elapsed: elapsed,
            plan_so_far: elapsed
                .checked_sub(1)
                .map(|i| plan_months[i as usize])
                .unwrap_or(Money::ZERO),
            revenue_so_far: so_far,
            forecast: run_rate_forecast(so_far, elapsed),
            months,
        }
    }
}

/// Whether the reader may see a report in this selection.
fn allowed(principal: &Principal, selection: &Selection, kind: ReportKind) -> AppResult<()> {
    if kind.wsd_only() {
        if !store::reports::is_wsd_reader(principal) {
            return Err(AppError::Forbidden(
                "dit overzicht is voor WSD (financiën, prijsbeheer, beheer)".into(),
            ));
        }
        if !selection.scope.is_all() {
            return Err(AppError::field(
                "municipality",
                "het jaarplan geldt voor alle gemeenten samen; kies geen gemeente",
            ));
        }
    }
    Ok(())
}

/// One report.
pub async fn report(
    db: &DatabaseConnection,
    principal: &Principal,
    selection: &Selection,
    kind: ReportKind,
) -> AppResult<Report> {
    allowed(principal, selection, kind)?;
    let source = Source::load(db, principal, selection).await?;
    Ok(match kind {
        ReportKind::Budget => Report::Budget(source.budget()),
        ReportKind::Products => Report::Products(source.products()),
        ReportKind::TargetGroups => Report::TargetGroups(source.target_groups()),
        ReportKind::Status => Report::Status(source.status()),
        ReportKind::Outcomes => Report::Outcomes(source.outcomes()),
        ReportKind::Uptake => Report::Uptake(source.uptake()),
        ReportKind::Plan => Report::Plan(source.plan()),
        ReportKind::Providers => Report::Providers(source.providers()),
    })
}

/// Every report of a selection (the plan only for WSD readers looking at all municipalities).
pub async fn insight(
    db: &DatabaseConnection,
    principal: &Principal,
    selection: &Selection,
) -> AppResult<Insight> {
    let source = Source::load(db, principal, selection).await?;
    let plan = (allowed(principal, selection, ReportKind::Plan).is_ok()).then(|| source.plan());
    Ok(Insight {
        budget: source.budget(),
        products: source.products(),
        target_groups: source.target_groups(),
        status: source.status(),
        outcomes: source.outcomes(),
        uptake: source.uptake(),
        plan,
        providers: source.providers(),
    })
}

// ---------------------------------------------------------------------------------------
// The cost-price calculator (pricing staff).

/// A price to compare the cost price with.
#[derive(Debug, Clone)]
pub struct PriceComparison {
    /// "Lijstprijs" or the municipality's name.
    pub label: String,
    pub municipality: Option<String>,
    pub price: Money,
    /// Price minus the cost price at 100% of the expected volume.
    pub margin: Option<Money>,
    /// Volume at which this price covers the costs; None when it never does.
    pub break_even: Option<Decimal>,
}

/// The calculator's answer for one product and inputs.
#[derive(Debug, Clone)]
pub struct CostPriceView {
    pub product_code: String,
    pub product_name: String,
    pub unit: Unit,
    pub inputs: CostInputs,
    pub scenarios: Vec<CostScenario>,
    pub prices: Vec<PriceComparison>,
    /// The volume of this product that the provider's volume guarantees pay for today
    /// (the scenarios' floor), and per guarantee (municipality, guaranteed amount, volume).
    pub guaranteed_volume: Option<Decimal>,
    pub guarantees: Vec<(String, Money, Decimal)>,
}

/// This year's uptake of a product across all municipalities, in the product's price unit:
/// trajectories for products per trajectory, active months for monthly products (within the
/// year), ordered units for hours, day-parts and pieces. Rejected and cancelled lines do not
/// count.
pub async fn expected_volume(
    db: &DatabaseConnection,
    principal: &Principal,
    product_code: &str,
    year: i32,
) -> AppResult<Decimal> {
    let product = store::catalogue::get(db, product_code)
        .await?
        .ok_or(AppError::NotFound)?;
    if principal.role != crate::domain::role::Role::Pricing {
        return Err(AppError::Forbidden(
            "de kostprijscalculator is voor prijsbeheer".into(),
        ));
    }
    let scope = store::reports::scope(db, principal, None).await?;
    let data = store::reports::year_data(db, principal, &scope, year).await?;
    let mut total = Decimal::ZERO;
    for l in data
        .lines
        .iter()
        .filter(|l| l.product_code == product_code && !released(l.status))
    {
        total += match product.spec.unit {
            Unit::Traject => Decimal::ONE,
            Unit::Maand => Decimal::from(months_active_in_year(
                l.started_on.unwrap_or(l.start_date),
                l.ended_on.or(l.end_date),
                year,
            )),
            Unit::Uur | Unit::Dagdeel | Unit::Stuk => {
                Quantity::from_thousandths(l.volume_thousandths.unwrap_or(0)).amount()
            }
        };
    }
    Ok(total.normalize())
}

/// Cost prices at 80/100/110% of the expected volume, beside the list price and each
/// municipality's agreed price on `today`, with the break-even volume of each price.
pub async fn cost_price(
    db: &DatabaseConnection,
    principal: &Principal,
    product_code: &str,
    inputs: CostInputs,
    today: NaiveDate,
) -> AppResult<CostPriceView> {
    if principal.role != crate::domain::role::Role::Pricing {
        return Err(AppError::Forbidden(
            "de kostprijscalculator is voor prijsbeheer".into(),
        ));
    }
    let product = store::catalogue::get(db, product_code)
        .await?
        .ok_or(AppError::NotFound)?;
    let guarantees = guarantees_for(db, principal, product_code, today).await?;
    let guaranteed_volume = (!guarantees.is_empty())
        .then(|| guarantees.iter().map(|g| g.2).sum::<Decimal>().normalize());
    let scenarios = cost_scenarios_with_floor(&inputs, guaranteed_volume);
    let at_full = scenarios
        .iter()
        .find(|s| s.percent == 100)
        .and_then(|s| s.cost_price);
    let compare = |label: String, municipality: Option<String>, price: Money| PriceComparison {
        label,
        municipality,
        price,
        margin: at_full.map(|c| price - c),
        break_even: rules::break_even_volume(inputs.fixed, inputs.variable, price),
    };
    let mut prices = Vec::new();
    if let Some(list) = product.spec.price_on(today) {
        prices.push(compare("Lijstprijs".into(), None, list));
    }
    for m in store::municipalities::list(db).await? {
        if let Some(price) =
            store::contracts::contract_price(db, &m.code, product_code, today).await?
        {
            prices.push(compare(m.name.clone(), Some(m.code.clone()), price));
        }
    }
    Ok(CostPriceView {
        product_code: product_code.to_string(),
        product_name: product.spec.name.clone(),
        unit: product.spec.unit,
        inputs,
        scenarios,
        prices,
        guaranteed_volume,
        guarantees,
    })
}

/// The volume of a product the provider's volume guarantees pay for on `today`, per
/// contract that buys it: the guarantee split over the contract's products by what each
/// delivered so far (equally before anything was delivered), divided by the agreed price.
async fn guarantees_for(
    db: &DatabaseConnection,
    principal: &Principal,
    product_code: &str,
    today: NaiveDate,
) -> AppResult<Vec<(String, Money, Decimal)>> {
    use crate::domain::settlement::{guaranteed_volume, Arrangement};
    let Some(provider) = principal.provider.as_deref() else {
        return Ok(Vec::new());
    };
    let names: std::collections::HashMap<String, String> = store::municipalities::list(db)
        .await?
        .into_iter()
        .map(|m| (m.code, m.name))
        .collect();
    let mut out = Vec::new();
    for c in store::settlement::guarantees_on(db, provider, today).await? {
        let Arrangement::VolumeGuarantee { guaranteed } = store::contracts::arrangement_of(&c)?
        else {
            continue;
        };
        let lines = store::contracts::lines(db, &c.id).await?;
        if !lines.iter().any(|l| l.product_code == product_code) {
            continue;
        }
        let Some(price) =
            store::contracts::contract_price(db, &c.municipality_code, product_code, today).await?
        else {
            continue;
        };
        let delivered = store::settlement::delivery_by_product(db, &c.id).await?;
        let total: Money = delivered.values().copied().sum();
        let share = if total.is_zero() || total.is_negative() {
            Decimal::ONE / Decimal::from(lines.len().max(1))
        } else {
            delivered
                .get(product_code)
                .copied()
                .unwrap_or(Money::ZERO)
                .amount()
                / total.amount()
        };
        if let Some(volume) = guaranteed_volume(guaranteed, share, price) {
            let name = names
                .get(&c.municipality_code)
                .cloned()
                .unwrap_or_else(|| c.municipality_code.clone());
            out.push((name, guaranteed, volume));
        }
    }
    Ok(out)
}

/// The inputs stored in a scenario.
fn inputs_of(s: &cost_scenario::Model) -> CostInputs {
    CostInputs {
        fixed: Money::from_cents(s.fixed_costs_cents),
        variable: Money::from_cents(s.variable_cost_cents),
        expected_volume: Quantity::from_thousandths(s.expected_volume_thousandths)
            .amount()
            .normalize(),
    }
}

/// A saved cost-price scenario.
#[derive(Debug, Clone)]
pub struct SavedScenario {
    pub id: String,
    pub product_code: String,
    pub name: String,
    pub inputs: CostInputs,
    pub note: Option<String>,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn saved(s: cost_scenario::Model) -> SavedScenario {
    SavedScenario {
        inputs: inputs_of(&s),
        id: s.id,
        product_code: s.product_code,
        name: s.name,
        note: s.note,
        updated_by: s.updated_by,
        updated_at: s.updated_at,
    }
}

/// One saved scenario (pricing staff).
pub async fn scenario(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<SavedScenario> {
    Ok(saved(
        store::reports::cost_scenario(db, principal, id).await?,
    ))
}

/// The saved scenarios of a product, last changed first (pricing staff).
pub async fn scenarios(
    db: &DatabaseConnection,
    principal: &Principal,
    product_code: &str,
) -> AppResult<Vec<SavedScenario>> {
    Ok(store::reports::cost_scenarios(db, principal, product_code)
        .await?
        .into_iter()
        .map(saved)
        .collect())
}

/// A product the calculator can be opened on.
#[derive(Debug, Clone)]
pub struct CalculatorProduct {
    pub code: String,
    pub name: String,
    pub unit: Unit,
    /// Only active products are offered in the list; a saved scenario may name another.
    pub active: bool,
}

/// Every product of the catalogue, for the calculator.
pub async fn calculator_products(db: &DatabaseConnection) -> AppResult<Vec<CalculatorProduct>> {
    Ok(store::catalogue::all(db)
        .await?
        .into_iter()
        .map(|p| CalculatorProduct {
            code: p.spec.code.as_str().to_string(),
            name: p.spec.name.clone(),
            unit: p.spec.unit,
            active: p.spec.status == crate::domain::catalogue::ProductStatus::Active,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// What the insight page offers to choose.

/// The years with contracts the reader may see.
pub async fn contract_years(db: &DatabaseConnection, principal: &Principal) -> AppResult<Vec<i32>> {
    store::reports::contract_years(db, principal).await
}

/// Whether the reader chooses a municipality (WSD) or always sees their own (casemanagers).
pub fn chooses_municipality(principal: &Principal) -> bool {
    store::reports::is_wsd_reader(principal)
}

/// The municipalities to choose from, as (code, name), for readers who choose.
pub async fn municipality_choices(
    db: &DatabaseConnection,
    principal: &Principal,
) -> AppResult<Vec<(String, String)>> {
    if !chooses_municipality(principal) {
        return Ok(Vec::new());
    }
    Ok(store::municipalities::list(db)
        .await?
        .into_iter()
        .map(|m| (m.code, m.name))
        .collect())
}
