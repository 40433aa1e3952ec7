//! Insight pages: `/inzicht` (budget, spend, statuses and outcomes with charts and tables;
//! casemanagers see their own municipality, WSD chooses one or all), the CSV downloads
//! `/inzicht.csv`, and the cost-price calculator `/prijzen/kostprijs` for pricing staff.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::{ContentType, Header, Status};
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

use super::charts::{self, BarList, BarRow, ColumnChart, Mark, RefLine, Series};
use super::format::{euro, instant};
use super::{render, Errors, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::{InsightReader, Pricing, Principal};
use crate::domain::clock::Clock;
use crate::domain::money::Money;
use crate::domain::quantity::Quantity;
use crate::domain::reports::{CostInputs, MONTHS_SHORT_NL};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::cost_scenarios::{self, NewScenario};
use crate::views::reports::{self as service, Insight, ReportKind, Selection};

fn percent(d: Option<Decimal>) -> String {
    d.map(|d| format!("{}%", d.to_string().replace('.', ",")))
        .unwrap_or_else(|| "–".into())
}

fn money_or(m: Option<Money>, none: &str) -> String {
    m.map(euro).unwrap_or_else(|| none.to_string())
}

fn month_label(period: &str) -> String {
    super::format::month_text(period)
}

pub struct MonthRow {
    label: String,
    committed: String,
    invoiced: String,
    committed_cumulative: String,
    invoiced_cumulative: String,
}

pub struct SpendRow {
    code: String,
    name: String,
    extra: String,
    committed: String,
    invoiced: String,
}

pub struct ProviderRow {
    provider: String,
    service: String,
    municipality: String,
    lines: u64,
    committed: String,
    invoiced: String,
}

pub struct StatusRow {
    label: String,
    count: u64,
}

pub struct OutcomeRow {
    name: String,
    code: String,
    completed: u64,
    goal_reached: u64,
    share: String,
    regular_work: u64,
    stopped: u64,
}

pub struct UptakeRow {
    name: String,
    code: String,
    measure: String,
    ordered: String,
    contracts: u64,
    capped: u64,
    cap: String,
    used: String,
    share: String,
}

pub struct PlanRow {
    label: String,
    revenue: String,
    revenue_cumulative: String,
    plan_cumulative: String,
}

pub struct PlanView {
    svg: String,
    plan: String,
    revenue: String,
    share: String,
    plan_so_far: String,
    revenue_so_far: String,
    forecast: String,
    months_elapsed: u32,
    rows: Vec<PlanRow>,
}

#[derive(Template)]
#[template(path = "insight.html")]
struct InsightPage {
    layout: Layout,
    label: String,
    year: i32,
    years: Vec<i32>,
    choose_municipality: bool,
    municipalities: Vec<(String, String)>,
    selected: String,
    is_all: bool,
    ceiling: String,
    without_ceiling: usize,
    committed: String,
    invoiced: String,
    remaining: String,
    forecast: String,
    months_elapsed: u32,
    invoiced_so_far: String,
    budget_svg: String,
    months: Vec<MonthRow>,
    products_svg: String,
    products: Vec<SpendRow>,
    products_committed: String,
    products_invoiced: String,
    groups_svg: String,
    groups: Vec<SpendRow>,
    statuses: Vec<StatusRow>,
    status_total: u64,
    outcomes: Vec<OutcomeRow>,
    outcomes_total: OutcomeRow,
    uptake: Vec<UptakeRow>,
    plan: Option<PlanView>,
    providers: Vec<ProviderRow>,
    providers_committed: String,
    providers_invoiced: String,
}

fn budget_chart(selection: &Selection, i: &Insight) -> String {
    let b = &i.budget;
    let mut lines = Vec::new();
    if let Some(c) = b.ceiling {
        lines.push(RefLine {
            name: "Budgetplafond".into(),
            label: format!("Budgetplafond {}", euro(c)),
            value: c.amount(),
            colour: charts::INK,
            dashed: false,
        });
    }
    if let (Some(f), true) = (b.forecast, b.months_elapsed < 12) {
        lines.push(RefLine {
            name: "Prognose jaareinde".into(),
            label: format!("Prognose jaareinde {}", euro(f)),
            value: f.amount(),
            colour: charts::RED,
            dashed: true,
        });
    }
    let december = b.months.last();
    let desc = format!(
        "Staafdiagram per maand van {} in {}: het cumulatief vastgelegde bedrag (bestellingen) en het cumulatief gefactureerde bedrag{}{}. Eind december is {} vastgelegd en {} gefactureerd. De tabel onder de grafiek geeft alle bedragen per maand.",
        selection.label,
        selection.year,
        b.ceiling
            .map(|c| format!(", tegen het budgetplafond van {}", euro(c)))
            .unwrap_or_default(),
        match (b.forecast, b.months_elapsed < 12) {
            (Some(f), true) => format!(" en de prognose tot het jaareinde van {}", euro(f)),
            _ => String::new(),
        },
        euro(december.map(|m| m.committed_cumulative).unwrap_or_default()),
        euro(december.map(|m| m.invoiced_cumulative).unwrap_or_default()),
    );
    charts::column_chart(&ColumnChart {
        id: "grafiek-budget".into(),
        title: format!(
            "Budget {} {}: vastgelegd en gefactureerd, cumulatief",
            selection.label, selection.year
        ),
        desc,
        categories: MONTHS_SHORT_NL.iter().map(|m| m.to_string()).collect(),
        series: vec![
            Series {
                name: "Vastgelegd (cumulatief)".into(),
                colour: charts::TEAL,
                mark: Mark::Bars,
                values: b
                    .months
                    .iter()
                    .map(|m| m.committed_cumulative.amount())
                    .collect(),
            },
            Series {
                name: "Gefactureerd (cumulatief)".into(),
                colour: charts::ORANGE,
                mark: Mark::Bars,
                values: b
                    .months
                    .iter()
                    .map(|m| m.invoiced_cumulative.amount())
                    .collect(),
            },
        ],
        lines,
    })
}

fn spend_list(id: &str, title: String, desc_subject: &str, rows: &[(String, Money)]) -> String {
    let shown: Vec<&(String, Money)> = rows.iter().filter(|(_, m)| !m.is_zero()).collect();
    let desc = if shown.is_empty() {
        format!("Er is nog niets gefactureerd; er zijn geen {desc_subject} te tonen.")
    } else {
        let top: Vec<String> = shown
            .iter()
            .take(3)
            .map(|(name, m)| format!("{name} {}", euro(*m)))
            .collect();
        format!(
            "Liggend staafdiagram van het gefactureerde bedrag per {desc_subject}, van hoog naar laag. Het hoogst: {}. De tabel ernaast geeft alle bedragen.",
            top.join("; ")
        )
    };
    charts::bar_list(&BarList {
        id: id.into(),
        title,
        desc,
        colour: charts::TEAL,
        rows: shown
            .iter()
            .map(|(name, m)| BarRow {
                label: name.clone(),
                value: m.amount(),
                value_label: euro(*m),
            })
            .collect(),
    })
}

fn plan_view(selection: &Selection, p: &service::PlanReport) -> PlanView {
    let desc = format!(
        "Staafdiagram per maand van de cumulatieve omzet plusdiensten van alle gemeenten in {}, met een lijn voor het jaarplan van {} gelijk verdeeld over de maanden. Tot nu toe {} omzet, {} van het jaarplan.",
        selection.year,
        euro(p.plan),
        euro(p.revenue),
        percent(p.plan_share)
    );
    let svg = charts::column_chart(&ColumnChart {
        id: "grafiek-plan".into(),
        title: format!("Omzet plusdiensten {} tegen het jaarplan", selection.year),
        desc,
        categories: MONTHS_SHORT_NL.iter().map(|m| m.to_string()).collect(),
        series: vec![
            Series {
                name: "Omzet (cumulatief)".into(),
                colour: charts::TEAL,
                mark: Mark::Bars,
                values: p
                    .months
                    .iter()
                    .map(|m| m.revenue_cumulative.amount())
                    .collect(),
            },
            Series {
                name: "Jaarplan (cumulatief)".into(),
                colour: charts::INK,
                mark: Mark::Line,
                values: p
                    .months
                    .iter()
                    .map(|m| m.plan_cumulative.amount())
                    .collect(),
            },
        ],
        lines: Vec::new(),
    });
    PlanView {
        svg,
        plan: euro(p.plan),
        revenue: euro(p.revenue),
        share: percent(p.plan_share),
        plan_so_far: euro(p.plan_so_far),
        revenue_so_far: euro(p.revenue_so_far),
        forecast: money_or(p.forecast, "nog geen (na de eerste maand)"),
        months_elapsed: p.months_elapsed,
        rows: p
            .months
            .iter()
            .map(|m| PlanRow {
                label: month_label(&m.period),
                revenue: euro(m.revenue),
                revenue_cumulative: euro(m.revenue_cumulative),
                plan_cumulative: euro(m.plan_cumulative),
            })
            .collect(),
    }
}

async fn year_choices(
    db: &DatabaseConnection,
    clock: &Clock,
    who: &Principal,
    year: i32,
) -> AppResult<Vec<i32>> {
    let mut years = service::contract_years(db, who).await?;
    use chrono::Datelike;
    years.push(clock.today().year());
    years.push(year);
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    Ok(years)
}

#[rocket::get("/inzicht?<municipality>&<year>")]
async fn page(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    reader: InsightReader,
    csrf: CsrfToken,
    municipality: Option<String>,
    year: Option<i32>,
) -> AppResult<RawHtml<String>> {
    let db = db.inner();
    let who = &reader.0;
    let selection = service::select(db, who, municipality.as_deref(), year, clock.today()).await?;
    let i = service::insight(db, who, &selection).await?;
    let choose = service::chooses_municipality(who);
    let municipalities = service::municipality_choices(db, who).await?;
    let selected = selection.scope.municipality().unwrap_or("alle").to_string();
    let b = &i.budget;
    let products_rows: Vec<(String, Money)> = i
        .products
        .items
        .iter()
        .map(|p| (p.product_name.clone(), p.invoiced))
        .collect();
    let group_rows: Vec<(String, Money)> = i
        .target_groups
        .items
        .iter()
        .map(|g| (g.name.clone(), g.invoiced))
        .collect();
    let o = &i.outcomes;
    let page = InsightPage {
        layout: Layout::new(
            format!("Inzicht {} {}", selection.label, selection.year),
            Some(who),
            &csrf.0,
            "/inzicht",
        ),
        years: year_choices(db, clock, who, selection.year).await?,
        choose_municipality: choose,
        municipalities,
        selected,
        is_all: selection.scope.is_all(),
        ceiling: money_or(b.ceiling, "geen plafond afgesproken"),
        without_ceiling: b.contracts_without_ceiling,
        committed: euro(b.committed),
        invoiced: euro(b.invoiced),
        remaining: money_or(b.remaining, "–"),
        forecast: forecast_text(b),
        months_elapsed: b.months_elapsed,
        invoiced_so_far: euro(b.invoiced_so_far),
        budget_svg: budget_chart(&selection, &i),
        months: month_rows(b),
        products_svg: spend_list(
            "grafiek-producten",
            format!(
                "Gefactureerd per product, {} {}",
                selection.label, selection.year
            ),
            "product",
            &products_rows,
        ),
        products: product_rows(&i),
        products_committed: euro(i.products.committed),
        products_invoiced: euro(i.products.invoiced),
        providers: provider_rows(&i),
        providers_committed: euro(i.providers.committed),
        providers_invoiced: euro(i.providers.invoiced),
        groups_svg: spend_list(
            "grafiek-doelgroepen",
            format!(
                "Gefactureerd per doelgroep, {} {}",
                selection.label, selection.year
            ),
            "doelgroep",
            &group_rows,
        ),
        groups: target_group_rows(&i),
        statuses: i
            .status
            .items
            .iter()
            .map(|s| StatusRow {
                label: s.label.clone(),
                count: s.trajectories,
            })
            .collect(),
        status_total: i.status.total,
        outcomes: o.items.iter().map(outcome_row).collect(),
        outcomes_total: OutcomeRow {
            name: "Totaal".into(),
            code: String::new(),
            completed: o.completed,
            goal_reached: o.goal_reached,
            share: percent(o.goal_reached_share),
            regular_work: o.regular_work,
            stopped: o.stopped,
        },
        uptake: uptake_rows(&i),
        plan: i.plan.as_ref().map(|p| plan_view(&selection, p)),
        label: selection.label.clone(),
        year: selection.year,
    };
    Ok(render(&page))
}

fn forecast_text(b: &crate::domain::reports::BudgetReport) -> String {
    match b.forecast {
        Some(f) if b.months_elapsed == 12 => format!("{} (het jaar is voorbij)", euro(f)),
        Some(f) => euro(f),
        None => "nog geen (na de eerste maand)".into(),
    }
}

fn month_rows(b: &crate::domain::reports::BudgetReport) -> Vec<MonthRow> {
    b.months
        .iter()
        .map(|m| MonthRow {
            label: month_label(&m.period),
            committed: euro(m.committed),
            invoiced: euro(m.invoiced),
            committed_cumulative: euro(m.committed_cumulative),
            invoiced_cumulative: euro(m.invoiced_cumulative),
        })
        .collect()
}

fn product_rows(i: &Insight) -> Vec<SpendRow> {
    i.products
        .items
        .iter()
        .map(|p| SpendRow {
            code: p.product_code.clone(),
            name: p.product_name.clone(),
            extra: p.order_lines.to_string(),
            committed: euro(p.committed),
            invoiced: euro(p.invoiced),
        })
        .collect()
}

fn provider_rows(i: &Insight) -> Vec<ProviderRow> {
    i.providers
        .items
        .iter()
        .map(|p| ProviderRow {
            provider: p.provider_name.clone(),
            service: p.service_name.clone(),
            municipality: p.municipality_name.clone(),
            lines: p.order_lines,
            committed: euro(p.committed),
            invoiced: euro(p.invoiced),
        })
        .collect()
}

fn target_group_rows(i: &Insight) -> Vec<SpendRow> {
    i.target_groups
        .items
        .iter()
        .map(|g| SpendRow {
            code: g.target_group.clone(),
            name: g.name.clone(),
            extra: g.products.to_string(),
            committed: euro(g.committed),
            invoiced: euro(g.invoiced),
        })
        .collect()
}

fn outcome_row(r: &crate::domain::reports::OutcomeRow) -> OutcomeRow {
    OutcomeRow {
        name: r.product_name.clone(),
        code: r.product_code.clone(),
        completed: r.completed,
        goal_reached: r.goal_reached,
        share: percent(r.goal_reached_share),
        regular_work: r.regular_work,
        stopped: r.stopped,
    }
}

fn uptake_rows(i: &Insight) -> Vec<UptakeRow> {
    i.uptake
        .items
        .iter()
        .map(|u| UptakeRow {
            name: u.product_name.clone(),
            code: u.product_code.clone(),
            measure: u.measure.clone(),
            ordered: u.ordered.format_nl(),
            contracts: u.contracts,
            capped: u.capped_contracts,
            cap: u
                .cap
                .map(|c| c.format_nl())
                .unwrap_or_else(|| "geen".into()),
            used: u.used_under_cap.format_nl(),
            share: percent(u.cap_share),
        })
        .collect()
}

/// A CSV download.
pub struct CsvFile {
    filename: String,
    text: String,
}

impl<'r> rocket::response::Responder<'r, 'static> for CsvFile {
    fn respond_to(self, _: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build()
            .header(ContentType::new("text", "csv").with_params(("charset", "utf-8")))
            .header(Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.filename),
            ))
            .sized_body(self.text.len(), std::io::Cursor::new(self.text))
            .ok()
    }
}

/// A report as CSV, with the same figures as the page and the API.
#[rocket::get("/inzicht.csv?<report>&<municipality>&<year>")]
async fn csv(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    reader: InsightReader,
    report: &str,
    municipality: Option<String>,
    year: Option<i32>,
) -> AppResult<CsvFile> {
    let kind = ReportKind::parse(report)?;
    let selection = service::select(
        db.inner(),
        &reader.0,
        municipality.as_deref(),
        year,
        clock.today(),
    )
    .await?;
    let figures = service::report(db.inner(), &reader.0, &selection, kind).await?;
    let text =
        crate::export::reports::render(&figures).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(CsvFile {
        filename: format!(
            "inzicht-{}-{}-{}.csv",
            kind.as_str(),
            selection.scope.municipality().unwrap_or("alle"),
            selection.year
        ),
        text,
    })
}

// ---------------------------------------------------------------------------------------
// The cost-price calculator.

pub struct ScenarioRow {
    percent: u32,
    volume: String,
    cost_price: String,
    /// Raised to the volume that volume guarantees pay for.
    guaranteed: bool,
}

pub struct PriceRow {
    label: String,
    price: String,
    margin: String,
    margin_negative: bool,
    break_even: String,
}

pub struct SavedRow {
    id: String,
    name: String,
    fixed: String,
    variable: String,
    volume: String,
    cost_price: String,
    by: String,
    at: String,
    note: String,
}

#[derive(Template)]
#[template(path = "cost_price.html")]
struct CostPage {
    layout: Layout,
    products: Vec<(String, String)>,
    product: String,
    product_name: String,
    unit: String,
    fixed_costs: String,
    variable_cost: String,
    expected_volume: String,
    default_volume: String,
    year: i32,
    name: String,
    note: String,
    computed: bool,
    chart: String,
    scenarios: Vec<ScenarioRow>,
    /// "Volumegarantie Oirschot: € 60.000,00, goed voor 120 uur": the floor of the scenarios.
    guarantees: Vec<String>,
    guaranteed_volume: String,
    prices: Vec<PriceRow>,
    saved: Vec<SavedRow>,
    errors: Errors,
}

/// Parses an amount typed in a form: `100000`, `100000.00`, `100.000,00` or `€ 1.725,50`.
fn parse_amount(field: &str, text: &str) -> Result<Money, FieldError> {
    Money::parse_non_negative(text).map_err(|e| FieldError::new(field, e.to_string()))
}

fn parse_volume(text: &str) -> Result<Decimal, FieldError> {
    match Quantity::parse_typed(text) {
        Ok(q) if !q.is_zero() => Ok(q.amount().normalize()),
        Ok(_) => Err(FieldError::new(
            "expected_volume",
            "het verwachte volume moet groter dan nul zijn",
        )),
        Err(e) => Err(FieldError::new("expected_volume", e.to_string())),
    }
}

/// "32 trajecten", "12,5 uur".
fn units(unit: crate::domain::billing::Unit, d: Decimal) -> String {
    match Quantity::try_from_decimal(d) {
        Ok(q) => unit.describe_quantity(q),
        Err(_) => format!("{} {}", volume_text(d), unit.as_str()),
    }
}

fn volume_text(d: Decimal) -> String {
    Quantity::try_from_decimal(d)
        .map(|q| q.format_nl())
        .unwrap_or_else(|_| d.normalize().to_string().replace('.', ","))
}

/// The inputs as typed back into the form: `100000,00`.
fn amount_input(m: Money) -> String {
    m.format_csv()
}

/// A volume as typed back into the form, without thousands dots ("1200", "82,5"), so that it
/// reads back as the same number ("1.200" alone would be ambiguous).
fn volume_input(d: Decimal) -> String {
    d.normalize().to_string().replace('.', ",")
}

#[derive(Default)]
struct CostQuery {
    product: Option<String>,
    fixed_costs: Option<String>,
    variable_cost: Option<String>,
    expected_volume: Option<String>,
    name: Option<String>,
    note: Option<String>,
    scenario: Option<String>,
}

async fn cost_page(
    db: &DatabaseConnection,
    clock: &Clock,
    pricing: &Pricing,
    csrf: &CsrfToken,
    mut q: CostQuery,
    mut errors: Vec<FieldError>,
    flash: Option<String>,
) -> AppResult<(Status, RawHtml<String>)> {
    use chrono::Datelike;
    let who = &pricing.0;
    let all = service::calculator_products(db).await?;
    let products: Vec<(String, String)> = all
        .iter()
        .filter(|p| p.active)
        .map(|p| (p.code.clone(), p.name.clone()))
        .collect();
    if let Some(id) = q.scenario.clone().filter(|s| !s.is_empty()) {
        fill_from_scenario(&mut q, service::scenario(db, who, &id).await?);
    }
    let product = match q.product.clone().filter(|p| !p.is_empty()) {
        Some(p) => p,
        None => products.first().map(|p| p.0.clone()).unwrap_or_default(),
    };
    let spec = all
        .iter()
        .find(|p| p.code == product)
        .ok_or(AppError::NotFound)?;
    let year = clock.today().year();
    let default_volume = service::expected_volume(db, who, &product, year).await?;
    let expected_text = q
        .expected_volume
        .clone()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| volume_input(default_volume));
    let mut page = CostPage {
        layout: Layout::new(
            "Kostprijscalculator",
            Some(who),
            &csrf.0,
            "/prijzen/kostprijs",
        )
        .with_flash(flash),
        products,
        product: product.clone(),
        product_name: spec.name.clone(),
        unit: spec.unit.as_str().to_string(),
        fixed_costs: q.fixed_costs.clone().unwrap_or_default(),
        variable_cost: q.variable_cost.clone().unwrap_or_default(),
        expected_volume: expected_text.clone(),
        default_volume: units(spec.unit, default_volume),
        year,
        name: q
            .name
            .clone()
            .unwrap_or_else(|| format!("Begroting {}", year + 1)),
        note: q.note.clone().unwrap_or_default(),
        computed: false,
        guarantees: Vec::new(),
        guaranteed_volume: String::new(),
        chart: String::new(),
        scenarios: Vec::new(),
        prices: Vec::new(),
        saved: saved_rows(service::scenarios(db, who, &product).await?),
        errors: Errors(Vec::new()),
    };
    let typed = |v: &Option<String>| v.as_deref().is_some_and(|t| !t.trim().is_empty());
    // After a refused save the errors are known; show them with the input, no figures.
    if errors.is_empty() && (typed(&q.fixed_costs) || typed(&q.variable_cost)) {
        let fixed = parse_amount("fixed_costs", q.fixed_costs.as_deref().unwrap_or(""))
            .map_err(|e| errors.push(e))
            .ok();
        let variable = parse_amount("variable_cost", q.variable_cost.as_deref().unwrap_or(""))
            .map_err(|e| errors.push(e))
            .ok();
        let volume = parse_volume(&expected_text)
            .map_err(|e| errors.push(e))
            .ok();
        if let (Some(fixed), Some(variable), Some(expected_volume)) = (fixed, variable, volume) {
            let inputs = CostInputs {
                fixed,
                variable,
                expected_volume,
            };
            let view = service::cost_price(db, who, &product, inputs, clock.today()).await?;
            show_figures(&mut page, &view);
        }
    }
    let status = if errors.is_empty() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    page.errors = Errors(errors);
    Ok((status, render(&page)))
}

/// A saved scenario's inputs, typed back into the form.
fn fill_from_scenario(q: &mut CostQuery, s: service::SavedScenario) {
    let inputs = s.inputs;
    q.product = Some(s.product_code);
    q.fixed_costs = Some(amount_input(inputs.fixed));
    q.variable_cost = Some(amount_input(inputs.variable));
    q.expected_volume = Some(volume_text(inputs.expected_volume));
    q.name = Some(s.name);
    q.note = s.note;
}

/// The table of saved scenarios, each with its cost price at the expected volume.
fn saved_rows(saved: Vec<service::SavedScenario>) -> Vec<SavedRow> {
    saved
        .into_iter()
        .map(|s| {
            let inputs = s.inputs;
            let at_full = crate::domain::reports::cost_price(
                inputs.fixed,
                inputs.variable,
                inputs.expected_volume,
            );
            SavedRow {
                id: s.id,
                name: s.name,
                fixed: euro(inputs.fixed),
                variable: euro(inputs.variable),
                volume: volume_text(inputs.expected_volume),
                cost_price: money_or(at_full, "–"),
                by: s.updated_by,
                at: instant(&s.updated_at.to_rfc3339()),
                note: s.note.unwrap_or_default(),
            }
        })
        .collect()
}

/// The computed figures: chart, the three volumes and the prices compared.
fn show_figures(page: &mut CostPage, view: &service::CostPriceView) {
    page.computed = true;
    page.chart = cost_chart(view);
    page.scenarios = view
        .scenarios
        .iter()
        .map(|s| ScenarioRow {
            percent: s.percent,
            volume: volume_text(s.volume),
            cost_price: money_or(s.cost_price, "–"),
            guaranteed: s.guaranteed,
        })
        .collect();
    page.guarantees = view
        .guarantees
        .iter()
        .map(|(municipality, amount, volume)| {
            format!(
                "Volumegarantie {municipality}: {}, goed voor {}",
                euro(*amount),
                units(view.unit, *volume)
            )
        })
        .collect();
    page.guaranteed_volume = view
        .guaranteed_volume
        .map(|v| units(view.unit, v))
        .unwrap_or_default();
    page.prices = view
        .prices
        .iter()
        .map(|p| PriceRow {
            label: p.label.clone(),
            price: euro(p.price),
            margin: money_or(p.margin, "–"),
            margin_negative: p.margin.is_some_and(|m| m.is_negative()),
            break_even: match p.break_even {
                Some(v) => units(view.unit, v),
                None => "nooit: de prijs dekt de variabele kosten niet".into(),
            },
        })
        .collect();
}

/// Bars for the cost price per unit at the three volumes, against the list price and the
/// lowest agreed price.
fn cost_chart(view: &service::CostPriceView) -> String {
    let unit = view.unit.as_str();
    let mut lines = Vec::new();
    let list = view.prices.iter().find(|p| p.municipality.is_none());
    if let Some(l) = list {
        lines.push(RefLine {
            name: "Lijstprijs".into(),
            label: format!("Lijstprijs {}", euro(l.price)),
            value: l.price.amount(),
            colour: charts::INK,
            dashed: false,
        });
    }
    let lowest = view
        .prices
        .iter()
        .filter(|p| p.municipality.is_some())
        .min_by_key(|p| p.price);
    if let Some(low) = lowest.filter(|low| list.is_none_or(|l| low.price != l.price)) {
        lines.push(RefLine {
            name: "Laagste contractprijs".into(),
            label: format!("Laagste contractprijs {} ({})", euro(low.price), low.label),
            value: low.price.amount(),
            colour: charts::RED,
            dashed: true,
        });
    }
    let described: Vec<String> = view
        .scenarios
        .iter()
        .map(|s| {
            format!(
                "bij {} ({}%) {}",
                units(view.unit, s.volume),
                s.percent,
                money_or(s.cost_price, "geen")
            )
        })
        .collect();
    charts::column_chart(&ColumnChart {
        id: "grafiek-kostprijs".into(),
        title: format!("Kostprijs per {unit} van {} bij drie volumes", view.product_name),
        desc: format!(
            "Staafdiagram van de kostprijs per {unit}: {}.{} De tabellen hieronder geven dezelfde bedragen en het break-evenvolume per prijs.",
            described.join(", "),
            list.map(|l| format!(" De lijstprijs is {}.", euro(l.price)))
                .unwrap_or_default()
        ),
        categories: view
            .scenarios
            .iter()
            .map(|s| format!("{} ({}%)", volume_text(s.volume), s.percent))
            .collect(),
        series: vec![Series {
            name: format!("Kostprijs per {unit}"),
            colour: charts::TEAL,
            mark: Mark::Bars,
            values: view
                .scenarios
                .iter()
                .map(|s| s.cost_price.map(|c| c.amount()).unwrap_or_default())
                .collect(),
        }],
        lines,
    })
}

#[allow(clippy::too_many_arguments)]
#[rocket::get("/prijzen/kostprijs?<product>&<fixed_costs>&<variable_cost>&<expected_volume>&<scenario>&<opgeslagen>")]
async fn calculator(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    product: Option<String>,
    fixed_costs: Option<String>,
    variable_cost: Option<String>,
    expected_volume: Option<String>,
    scenario: Option<String>,
    opgeslagen: Option<u8>,
) -> AppResult<(Status, RawHtml<String>)> {
    let flash = opgeslagen.map(|_| "Het scenario is opgeslagen.".to_string());
    cost_page(
        db.inner(),
        clock,
        &pricing,
        &csrf,
        CostQuery {
            product,
            fixed_costs,
            variable_cost,
            expected_volume,
            scenario,
            ..Default::default()
        },
        Vec::new(),
        flash,
    )
    .await
}

#[derive(FromForm)]
pub struct ScenarioForm {
    product: String,
    fixed_costs: String,
    variable_cost: String,
    expected_volume: String,
    name: String,
    note: Option<String>,
}

#[rocket::post("/prijzen/kostprijs", data = "<form>")]
async fn save(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    form: CsrfForm<ScenarioForm>,
) -> AppResult<Result<Redirect, (Status, RawHtml<String>)>> {
    let f = form.0;
    let mut errors = Vec::new();
    let fixed = parse_amount("fixed_costs", &f.fixed_costs)
        .map_err(|e| errors.push(e))
        .ok();
    let variable = parse_amount("variable_cost", &f.variable_cost)
        .map_err(|e| errors.push(e))
        .ok();
    let volume = parse_volume(&f.expected_volume)
        .map_err(|e| errors.push(e))
        .ok();
    let query = CostQuery {
        product: Some(f.product.clone()),
        fixed_costs: Some(f.fixed_costs.clone()),
        variable_cost: Some(f.variable_cost.clone()),
        expected_volume: Some(f.expected_volume.clone()),
        name: Some(f.name.clone()),
        note: f.note.clone(),
        scenario: None,
    };
    let result = match (fixed, variable, volume) {
        (Some(fixed), Some(variable), Some(expected_volume)) if errors.is_empty() => {
            cost_scenarios::save_scenario(
                db.inner(),
                &pricing.0,
                NewScenario {
                    product_code: f.product.clone(),
                    name: f.name.clone(),
                    inputs: CostInputs {
                        fixed,
                        variable,
                        expected_volume,
                    },
                    note: f.note.clone(),
                },
            )
            .await
        }
        _ => Err(AppError::validation("scenario niet opgeslagen", errors)),
    };
    match result {
        Ok(id) => Ok(Ok(Redirect::to(format!(
            "/prijzen/kostprijs?scenario={id}&opgeslagen=1"
        )))),
        Err(AppError::Validation { errors, .. }) => {
            let (_, html) =
                cost_page(db.inner(), clock, &pricing, &csrf, query, errors, None).await?;
            Ok(Err((Status::UnprocessableEntity, html)))
        }
        Err(other) => Err(other),
    }
}

pub fn routes() -> Vec<Route> {
    rocket::routes![page, csv, calculator, save]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_numbers_in_dutch_or_api_notation() {
        assert_eq!(
            parse_amount("x", "€ 1.725,50").unwrap(),
            Money::from_cents(172_550)
        );
        assert_eq!(
            parse_amount("x", " 250 ").unwrap(),
            Money::from_cents(25_000)
        );
        assert_eq!(
            parse_amount("x", "100.000,00").unwrap(),
            Money::from_cents(10_000_000)
        );
        assert!(parse_amount("x", "-5").is_err());
        assert_eq!(parse_volume("82,5").unwrap(), Decimal::new(825, 1));
        for volume in [
            Decimal::new(825, 1),
            Decimal::from(1200),
            Decimal::new(1_250_125, 3),
        ] {
            assert_eq!(parse_volume(&volume_input(volume)).unwrap(), volume);
        }
        assert!(parse_volume("0").is_err());
    }
}
