//! The arithmetic of the insight reports and the cost-price calculator. Pure: no I/O.
//!
//! Amounts are [`Money`]; volumes and shares are exact decimals. Intermediate values stay
//! unrounded and become money only through [`round_half_up`], once, at the end.

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use serde::Serialize;

use super::money::{round_half_up, Money};
use super::quantity::Quantity;

/// The seed's volume scenarios for the Cafetariamodel: 80%, 100% and 110% of the
/// expected yearly uptake.
pub const SCENARIO_PERCENTS: [u32; 3] = [80, 100, 110];

/// Dutch month abbreviations for chart labels, January first.
pub const MONTHS_SHORT_NL: [&str; 12] = [
    "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
];

/// How many whole months of `year` lie behind us on `today`: 12 for a past year, 0 for a
/// future year, and for the current year the months before today's month (a month counts once
/// it is over, as invoicing runs after the month).
pub fn months_elapsed(year: i32, today: NaiveDate) -> u32 {
    match today.year().cmp(&year) {
        std::cmp::Ordering::Greater => 12,
        std::cmp::Ordering::Less => 0,
        std::cmp::Ordering::Equal => today.month() - 1,
    }
}

/// Run-rate forecast to year end: invoiced so far ÷ months elapsed × 12, rounded half-up to
/// cents. No forecast before the first month is over. More than 12 months count as 12.
pub fn run_rate_forecast(invoiced_so_far: Money, months_elapsed: u32) -> Option<Money> {
    if months_elapsed == 0 {
        return None;
    }
    let months = Decimal::from(months_elapsed.min(12));
    // Multiplying first keeps the quotient exact wherever it can be.
    let yearly = invoiced_so_far.amount().checked_mul(Decimal::from(12))? / months;
    Some(round_half_up(yearly))
}

/// `percent` % of a volume, exact: 80% of 75 is 60, 110% of 75 is 82.5.
pub fn scenario_volume(expected: Decimal, percent: u32) -> Decimal {
    expected * Decimal::from(percent) / Decimal::ONE_HUNDRED
}

/// Cost price per unit: fixed costs ÷ volume + variable cost per unit, rounded half-up to
/// cents. None for a volume of zero or less (the fixed costs cannot be spread).
pub fn cost_price(fixed: Money, variable: Money, volume: Decimal) -> Option<Money> {
    if volume <= Decimal::ZERO {
        return None;
    }
    let per_unit = fixed.amount().checked_div(volume)?;
    Some(round_half_up(per_unit.checked_add(variable.amount())?))
}

/// The volume at which a price covers the costs: fixed ÷ (price − variable), rounded up to a
/// whole unit. None when the price does not exceed the variable cost (no volume breaks even).
pub fn break_even_volume(fixed: Money, variable: Money, price: Money) -> Option<Decimal> {
    let margin = price.amount() - variable.amount();
    if margin <= Decimal::ZERO {
        return None;
    }
    let volume = fixed.amount().checked_div(margin)?;
    Some(volume.round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity))
}

/// The inputs of the cost-price calculator for one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostInputs {
    /// Fixed costs per year.
    pub fixed: Money,
    /// Variable cost per unit.
    pub variable: Money,
    /// Expected volume per year, in the product's unit.
    pub expected_volume: Decimal,
}

/// The cost price at one volume scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostScenario {
    pub percent: u32,
    pub volume: Decimal,
    pub cost_price: Option<Money>,
    /// The scenario fell below the volume that volume guarantees pay for, and was raised
    /// to it: the uncertainty a Transitiearrangement removes.
    pub guaranteed: bool,
}

/// The cost price per unit at 80%, 100% and 110% of the expected volume.
pub fn cost_scenarios(inputs: &CostInputs) -> Vec<CostScenario> {
    cost_scenarios_with_floor(inputs, None)
}

/// The same, with no scenario below `floor`: the volume guaranteed by contracts.
pub fn cost_scenarios_with_floor(inputs: &CostInputs, floor: Option<Decimal>) -> Vec<CostScenario> {
    SCENARIO_PERCENTS
        .iter()
        .map(|&percent| {
            let planned = scenario_volume(inputs.expected_volume, percent);
            let volume = floor.map_or(planned, |f| planned.max(f));
            CostScenario {
                percent,
                volume: volume.normalize(),
                cost_price: cost_price(inputs.fixed, inputs.variable, volume),
                guaranteed: volume > planned,
            }
        })
        .collect()
}

/// `part` as a percentage of `whole` with one decimal, half away from zero: 2 of 3 is 66.7.
/// None when `whole` is zero.
pub fn share_percent(part: u64, whole: u64) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let share = Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole);
    Some(one_decimal(share))
}

/// A percentage rounded half away from zero to exactly one decimal: 75 → 75.0, 66.666… → 66.7.
pub fn one_decimal(value: Decimal) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(1);
    rounded
}

/// A percentage of two amounts with one decimal (for revenue against plan, invoiced against
/// ceiling). None when the base is zero or less.
pub fn money_share_percent(part: Money, whole: Money) -> Option<Decimal> {
    if whole.amount() <= Decimal::ZERO {
        return None;
    }
    let share = part.amount().checked_mul(Decimal::ONE_HUNDRED)? / whole.amount();
    Some(one_decimal(share))
}

/// One month of the budget report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetMonth {
    /// 1 to 12.
    pub month: u32,
    pub committed: Money,
    pub invoiced: Money,
    pub committed_cumulative: Money,
    pub invoiced_cumulative: Money,
}

/// Month-by-month figures with running totals, from the amounts per month (index 0 is January).
pub fn budget_months(committed: &[Money; 12], invoiced: &[Money; 12]) -> Vec<BudgetMonth> {
    let mut c_total = Money::ZERO;
    let mut i_total = Money::ZERO;
    (0..12)
        .map(|i| {
            c_total += committed[i];
            i_total += invoiced[i];
            BudgetMonth {
                month: i as u32 + 1,
                committed: committed[i],
                invoiced: invoiced[i],
                committed_cumulative: c_total,
                invoiced_cumulative: i_total,
            }
        })
        .collect()
}

/// A yearly plan spread evenly over the months, as running totals: the cumulative plan at the
/// end of each month. Each running total is rounded half-up, so December is the plan exactly.
pub fn plan_cumulative(plan: Money) -> [Money; 12] {
    let mut out = [Money::ZERO; 12];
    for (i, slot) in out.iter_mut().enumerate() {
        let months = Decimal::from(i as u32 + 1);
        *slot = round_half_up(plan.amount() * months / Decimal::from(12));
    }
    out
}

/// Calendar months of `year` in which a line is active from `start` to `end` (inclusive; an
/// open end runs to the year's end). Used as the default volume of monthly products.
pub fn months_active_in_year(start: NaiveDate, end: Option<NaiveDate>, year: i32) -> u32 {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return 0;
    };
    let from = start.max(first);
    let to = end.unwrap_or(last).min(last);
    if to < from {
        return 0;
    }
    to.month() - from.month() + 1
}

// ---------------------------------------------------------------------------------------
// The reports as figures: what the read model computes, the API serves and the CSV export
// writes. Plain data, so that the export layer needs nothing above the domain.

/// One month of the budget report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BudgetMonthRow {
    /// `YYYY-MM`.
    pub period: String,
    #[schema(value_type = String)]
    pub committed: Money,
    #[schema(value_type = String)]
    pub invoiced: Money,
    #[schema(value_type = String)]
    pub committed_cumulative: Money,
    #[schema(value_type = String)]
    pub invoiced_cumulative: Money,
}

/// Budget ceiling against committed and invoiced, month by month, with the forecast.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BudgetReport {
    /// Municipality code; null for all municipalities together.
    pub municipality: Option<String>,
    pub year: i32,
    /// Sum of the ceilings of the year's contracts; null when none has one.
    #[schema(value_type = Option<String>)]
    pub ceiling: Option<Money>,
    /// Contracts of the year without a budget ceiling (they add nothing to `ceiling`).
    pub contracts_without_ceiling: usize,
    #[schema(value_type = String)]
    pub committed: Money,
    #[schema(value_type = String)]
    pub invoiced: Money,
    /// Per contract with a ceiling: its ceiling minus what is committed on it, summed.
    #[schema(value_type = Option<String>)]
    pub remaining: Option<Money>,
    /// Completed months of the year on the day of the report.
    pub months_elapsed: u32,
    /// Invoiced for the completed months.
    #[schema(value_type = String)]
    pub invoiced_so_far: Money,
    /// Run-rate forecast to year end: invoiced so far ÷ months elapsed × 12.
    #[schema(value_type = Option<String>)]
    pub forecast: Option<Money>,
    pub months: Vec<BudgetMonthRow>,
}

/// Spend on one product.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductSpend {
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    /// Order lines (not rejected or cancelled).
    pub order_lines: u64,
    #[schema(value_type = String)]
    pub committed: Money,
    #[schema(value_type = String)]
    pub invoiced: Money,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductsReport {
    pub municipality: Option<String>,
    pub year: i32,
    pub items: Vec<ProductSpend>,
    #[schema(value_type = String)]
    pub committed: Money,
    #[schema(value_type = String)]
    pub invoiced: Money,
}

/// Spend on the products aimed at one target group.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetGroupSpend {
    pub target_group: String,
    pub name: String,
    /// Products for this group with orders or invoices in the year.
    pub products: u64,
    #[schema(value_type = String)]
    pub committed: Money,
    #[schema(value_type = String)]
    pub invoiced: Money,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetGroupsReport {
    pub municipality: Option<String>,
    pub year: i32,
    /// A product for several target groups counts fully for each of them.
    pub overlapping: bool,
    pub items: Vec<TargetGroupSpend>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub label: String,
    pub trajectories: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusReport {
    pub municipality: Option<String>,
    pub year: i32,
    pub items: Vec<StatusCount>,
    pub total: u64,
}

/// Results of the finished lines of one product.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutcomeRow {
    pub product_code: String,
    pub product_name: String,
    /// Lines completed.
    pub completed: u64,
    /// Completed with the goal reached (including placement in regular work).
    pub goal_reached: u64,
    /// goal_reached ÷ completed in percent, one decimal; null without completed lines.
    #[schema(value_type = Option<String>)]
    pub goal_reached_share: Option<Decimal>,
    /// Completed with a placement in regular work.
    pub regular_work: u64,
    /// Lines stopped early.
    pub stopped: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutcomesReport {
    pub municipality: Option<String>,
    pub year: i32,
    pub items: Vec<OutcomeRow>,
    pub completed: u64,
    pub goal_reached: u64,
    #[schema(value_type = Option<String>)]
    pub goal_reached_share: Option<Decimal>,
    pub regular_work: u64,
    pub stopped: u64,
}

/// Uptake of one product against the caps of the contracts that have one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UptakeRow {
    pub product_code: String,
    pub product_name: String,
    /// What the caps count: `traject` (trajectories, for output products) or the unit.
    pub measure: String,
    /// Ordered under all contracts (trajectories or units).
    #[schema(value_type = String)]
    pub ordered: Quantity,
    /// Contracts that contain the product.
    pub contracts: u64,
    /// Of which with a volume cap.
    pub capped_contracts: u64,
    /// Sum of those caps; null when none has one.
    #[schema(value_type = Option<String>)]
    pub cap: Option<Quantity>,
    /// Ordered under the capped contracts.
    #[schema(value_type = String)]
    pub used_under_cap: Quantity,
    /// used_under_cap ÷ cap in percent, one decimal.
    #[schema(value_type = Option<String>)]
    pub cap_share: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UptakeReport {
    pub municipality: Option<String>,
    pub year: i32,
    pub items: Vec<UptakeRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanMonth {
    pub period: String,
    #[schema(value_type = String)]
    pub revenue: Money,
    #[schema(value_type = String)]
    pub revenue_cumulative: Money,
    /// The plan spread evenly over the year, cumulative.
    #[schema(value_type = String)]
    pub plan_cumulative: Money,
}

/// WSD's revenue of plusdiensten (all municipalities) against the yearly plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanReport {
    pub year: i32,
    #[schema(value_type = String)]
    pub plan: Money,
    /// Net invoiced in the year (final invoices minus credit notes).
    #[schema(value_type = String)]
    pub revenue: Money,
    /// revenue ÷ plan in percent, one decimal.
    #[schema(value_type = Option<String>)]
    pub plan_share: Option<Decimal>,
    pub months_elapsed: u32,
    /// The plan up to the completed months.
    #[schema(value_type = String)]
    pub plan_so_far: Money,
    #[schema(value_type = String)]
    pub revenue_so_far: Money,
    #[schema(value_type = Option<String>)]
    pub forecast: Option<Money>,
    pub months: Vec<PlanMonth>,
}

/// Spend with one provider on one service type in one municipality: the marketplace seen
/// from the buyer's side (who delivers what, and for how much).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderSpend {
    pub provider: String,
    pub provider_name: String,
    /// The service type code; `null` for a product not (yet) classified.
    pub service: Option<String>,
    pub service_name: String,
    pub municipality: String,
    pub municipality_name: String,
    /// Order lines (not rejected or cancelled).
    pub order_lines: u64,
    #[schema(value_type = String)]
    pub committed: Money,
    #[schema(value_type = String)]
    pub invoiced: Money,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProvidersReport {
    pub municipality: Option<String>,
    pub year: i32,
    /// By provider, service and municipality.
    pub items: Vec<ProviderSpend>,
    #[schema(value_type = String)]
    pub committed: Money,
    #[schema(value_type = String)]
    pub invoiced: Money,
}

/// Any one report, as the API answers it. `report` names it, so that a client (and the
/// schema's `oneOf`) can tell reports of the same shape apart.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "report", rename_all = "snake_case")]
pub enum Report {
    Budget(BudgetReport),
    Products(ProductsReport),
    TargetGroups(TargetGroupsReport),
    Status(StatusReport),
    Outcomes(OutcomesReport),
    Uptake(UptakeReport),
    Plan(PlanReport),
    Providers(ProvidersReport),
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn d(y: i32, mo: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, mo, day).unwrap()
    }

    #[test]
    fn months_elapsed_counts_completed_months() {
        assert_eq!(months_elapsed(2026, d(2026, 1, 31)), 0);
        assert_eq!(months_elapsed(2026, d(2026, 4, 15)), 3);
        assert_eq!(months_elapsed(2026, d(2026, 12, 31)), 11);
        assert_eq!(months_elapsed(2025, d(2026, 1, 1)), 12);
        assert_eq!(months_elapsed(2027, d(2026, 6, 1)), 0);
    }

    #[test]
    fn run_rate_forecast_extrapolates_to_twelve_months() {
        // 10000.00 in 3 months → 40000.00.
        assert_eq!(run_rate_forecast(m("10000.00"), 3), Some(m("40000.00")));
        // 1000.00 in 7 months: 12000 / 7 = 1714.2857… → 1714.29.
        assert_eq!(run_rate_forecast(m("1000.00"), 7), Some(m("1714.29")));
        // 0.01 in 8 months: 0.12 / 8 = 0.015 → half-up 0.02.
        assert_eq!(run_rate_forecast(m("0.01"), 8), Some(m("0.02")));
        assert_eq!(run_rate_forecast(m("5000.00"), 12), Some(m("5000.00")));
        assert_eq!(run_rate_forecast(m("5000.00"), 13), Some(m("5000.00")));
        assert_eq!(run_rate_forecast(m("5000.00"), 0), None);
    }

    #[test]
    fn the_worked_cost_price_example() {
        // Fixed 100000.00, variable 250.00, expected 80 units.
        let inputs = CostInputs {
            fixed: m("100000.00"),
            variable: m("250.00"),
            expected_volume: dec!(80),
        };
        let s = cost_scenarios(&inputs);
        assert_eq!(s.len(), 3);
        // 80% = 64 units: 100000 / 64 = 1562.5 + 250 = 1812.50.
        assert_eq!((s[0].percent, s[0].volume), (80, dec!(64)));
        assert_eq!(s[0].cost_price, Some(m("1812.50")));
        // 100% = 80 units: 1250 + 250 = 1500.00.
        assert_eq!((s[1].percent, s[1].volume), (100, dec!(80)));
        assert_eq!(s[1].cost_price, Some(m("1500.00")));
        // 110% = 88 units: 1136.3636… + 250 = 1386.3636… → 1386.36.
        assert_eq!((s[2].percent, s[2].volume), (110, dec!(88)));
        assert_eq!(s[2].cost_price, Some(m("1386.36")));
        // Against 1725.00: 100000 / 1475 = 67.79… → 68 units.
        assert_eq!(
            break_even_volume(inputs.fixed, inputs.variable, m("1725.00")),
            Some(dec!(68))
        );
    }

    #[test]
    fn cost_price_rounds_once_half_up() {
        // 100 / 8 = 12.5 exactly, + 0.005 would need a sub-cent variable; use thirds instead:
        // 1.00 / 3 = 0.3333… + 0.00 → 0.33; 2.00 / 3 = 0.6666… → 0.67.
        assert_eq!(cost_price(m("1.00"), Money::ZERO, dec!(3)), Some(m("0.33")));
        assert_eq!(cost_price(m("2.00"), Money::ZERO, dec!(3)), Some(m("0.67")));
        // 0.01 / 2 = 0.005 → 0.01 (half away from zero).
        assert_eq!(cost_price(m("0.01"), Money::ZERO, dec!(2)), Some(m("0.01")));
        // Fractional volumes: 82.5 units of 1000.00 fixed → 12.1212… → 12.12 + 1.00.
        assert_eq!(
            cost_price(m("1000.00"), m("1.00"), dec!(82.5)),
            Some(m("13.12"))
        );
        assert_eq!(cost_price(m("1000.00"), m("1.00"), Decimal::ZERO), None);
        assert_eq!(cost_price(m("1000.00"), m("1.00"), dec!(-1)), None);
    }

    #[test]
    fn break_even_needs_a_price_above_the_variable_cost() {
        assert_eq!(
            break_even_volume(m("1000.00"), m("50.00"), m("50.00")),
            None
        );
        assert_eq!(
            break_even_volume(m("1000.00"), m("50.00"), m("40.00")),
            None
        );
        // Exactly divisible: 1000 / 50 = 20, not rounded up further.
        assert_eq!(
            break_even_volume(m("1000.00"), m("50.00"), m("100.00")),
            Some(dec!(20))
        );
        // 1000 / 49.99 = 20.004… → 21.
        assert_eq!(
            break_even_volume(m("1000.00"), m("50.01"), m("100.00")),
            Some(dec!(21))
        );
        assert_eq!(
            break_even_volume(Money::ZERO, m("50.00"), m("100.00")),
            Some(dec!(0))
        );
    }

    #[test]
    fn scenario_volumes_stay_exact() {
        assert_eq!(scenario_volume(dec!(75), 80), dec!(60));
        assert_eq!(scenario_volume(dec!(75), 110), dec!(82.5));
        assert_eq!(scenario_volume(dec!(12.5), 110), dec!(13.75));
    }

    #[test]
    fn shares_have_one_decimal() {
        assert_eq!(share_percent(2, 3), Some(dec!(66.7)));
        assert_eq!(share_percent(1, 3), Some(dec!(33.3)));
        assert_eq!(share_percent(1, 8), Some(dec!(12.5)));
        // 1/16 = 6.25 → 6.3 (half away from zero).
        assert_eq!(share_percent(1, 16), Some(dec!(6.3)));
        assert_eq!(share_percent(0, 0), None);
        assert_eq!(share_percent(3, 4).unwrap().to_string(), "75.0");
        assert_eq!(share_percent(0, 4).unwrap().to_string(), "0.0");
        assert_eq!(
            money_share_percent(m("375000.00"), m("1500000.00")),
            Some(dec!(25.0))
        );
        assert_eq!(money_share_percent(m("1.00"), Money::ZERO), None);
    }

    #[test]
    fn budget_months_accumulate() {
        let mut c = [Money::ZERO; 12];
        let mut i = [Money::ZERO; 12];
        c[0] = m("100.00");
        c[2] = m("50.00");
        i[1] = m("30.00");
        i[2] = m("20.00");
        let months = budget_months(&c, &i);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].committed_cumulative, m("100.00"));
        assert_eq!(months[1].invoiced_cumulative, m("30.00"));
        assert_eq!(months[2].committed_cumulative, m("150.00"));
        assert_eq!(months[11].invoiced_cumulative, m("50.00"));
        assert_eq!(months[11].month, 12);
    }

    #[test]
    fn the_plan_spreads_evenly_and_ends_exactly() {
        let plan = plan_cumulative(m("1500000.00"));
        assert_eq!(plan[0], m("125000.00"));
        assert_eq!(plan[5], m("750000.00"));
        assert_eq!(plan[11], m("1500000.00"));
        // 1000.00 / 12 = 83.333… → 83.33; 2 months 166.67; December exactly 1000.00.
        let plan = plan_cumulative(m("1000.00"));
        assert_eq!(plan[0], m("83.33"));
        assert_eq!(plan[1], m("166.67"));
        assert_eq!(plan[11], m("1000.00"));
    }

    #[test]
    fn months_active_are_clamped_to_the_year() {
        assert_eq!(
            months_active_in_year(d(2026, 1, 17), Some(d(2026, 3, 9)), 2026),
            3
        );
        assert_eq!(months_active_in_year(d(2025, 11, 1), None, 2026), 12);
        assert_eq!(
            months_active_in_year(d(2026, 6, 1), Some(d(2027, 2, 1)), 2026),
            7
        );
        assert_eq!(months_active_in_year(d(2027, 1, 1), None, 2026), 0);
        assert_eq!(
            months_active_in_year(d(2026, 5, 1), Some(d(2026, 4, 1)), 2026),
            0
        );
    }
}
