//! Settlement arrangements: how a contract is settled besides (or instead of) billing each
//! delivery at its product price. Three forms, from WSD's scenarios:
//!
//! - `product_price` (the Cafetariamodel): every delivery billed at its contract price.
//! - `volume_guarantee` (the Transitiearrangement): billed as product price; after the
//!   contract's last month a `true_up` makes what was billed up to the guaranteed amount:
//!   over the contract period, delivery billed + true-up = max(guarantee, delivery billed).
//!   Work billed later lowers the shortfall, and the next run credits the difference.
//! - `budget` (the Participatiebedrijf): the budget is invoiced in advances whatever was
//!   delivered; deliveries are only valued. With `refund_unused`, the run of the last month
//!   returns what the advances exceed the delivered value by (an overrun is never billed).
//!
//! (Not to be confused with `domain::commitment`, which is what one order line commits.)
//!
//! Every run recomputes the target of each settlement from what is billed and valued, and
//! bills or credits only the difference: the same recompute-and-diff as for deliveries
//! (`domain::billing`), so late work, credit notes and discarded drafts all converge.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::money::{round_half_up, Money};
use crate::domain::period::{format_date_nl, Period};

/// `contracts.settlement`, stored as these strings.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum SettlementForm {
    #[default]
    #[sea_orm(string_value = "product_price")]
    ProductPrice,
    #[sea_orm(string_value = "volume_guarantee")]
    VolumeGuarantee,
    #[sea_orm(string_value = "budget")]
    Budget,
}

impl SettlementForm {
    pub const ALL: [SettlementForm; 3] = [
        SettlementForm::ProductPrice,
        SettlementForm::VolumeGuarantee,
        SettlementForm::Budget,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SettlementForm::ProductPrice => "product_price",
            SettlementForm::VolumeGuarantee => "volume_guarantee",
            SettlementForm::Budget => "budget",
        }
    }

    pub fn parse(text: &str) -> Result<SettlementForm, String> {
        SettlementForm::ALL
            .into_iter()
            .find(|f| f.as_str() == text.trim())
            .ok_or_else(|| {
                format!(
                    "onbekende afrekenvorm {}: kies product_price, volume_guarantee of budget",
                    crate::domain::money::echo(text)
                )
            })
    }

    /// As screens name it.
    pub fn label_nl(self) -> &'static str {
        match self {
            SettlementForm::ProductPrice => "productprijs (cafetariamodel)",
            SettlementForm::VolumeGuarantee => "volumegarantie (transitiearrangement)",
            SettlementForm::Budget => "budget met voorschotten (participatiebedrijf)",
        }
    }

    /// One Dutch sentence on what the form means for the municipality.
    pub fn explain_nl(self) -> &'static str {
        match self {
            SettlementForm::ProductPrice => {
                "Elke levering wordt gefactureerd tegen de contractprijs van het product."
            }
            SettlementForm::VolumeGuarantee => {
                "Leveringen worden tegen contractprijs gefactureerd; blijft het totaal onder het gegarandeerde bedrag, dan volgt na de laatste maand een aanvulling tot dat bedrag."
            }
            SettlementForm::Budget => {
                "De gemeente betaalt het budget in voorschotten, los van wat geleverd wordt; leveringen worden alleen gewaardeerd en na de laatste maand verrekend."
            }
        }
    }
}

impl fmt::Display for SettlementForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `contracts.advance_schedule`: how often a budget is invoiced in advance.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum AdvanceSchedule {
    #[default]
    #[sea_orm(string_value = "monthly")]
    Monthly,
    #[sea_orm(string_value = "quarterly")]
    Quarterly,
}

impl AdvanceSchedule {
    pub fn as_str(self) -> &'static str {
        match self {
            AdvanceSchedule::Monthly => "monthly",
            AdvanceSchedule::Quarterly => "quarterly",
        }
    }

    pub fn parse(text: &str) -> Result<AdvanceSchedule, String> {
        match text.trim() {
            "monthly" => Ok(AdvanceSchedule::Monthly),
            "quarterly" => Ok(AdvanceSchedule::Quarterly),
            other => Err(format!(
                "onbekend voorschotritme {}: kies monthly of quarterly",
                crate::domain::money::echo(other)
            )),
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            AdvanceSchedule::Monthly => "per maand",
            AdvanceSchedule::Quarterly => "per kwartaal",
        }
    }
}

/// `invoice_lines.kind`: what an invoice line bills.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Delivered work at its contract price (every wave-1 line).
    #[default]
    #[sea_orm(string_value = "delivery")]
    Delivery,
    /// The shortfall of a volume guarantee.
    #[sea_orm(string_value = "true_up")]
    TrueUp,
    /// An instalment of a budget.
    #[sea_orm(string_value = "advance")]
    Advance,
    /// The settlement of a budget against what was delivered.
    #[sea_orm(string_value = "reconciliation")]
    Reconciliation,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Delivery => "delivery",
            LineKind::TrueUp => "true_up",
            LineKind::Advance => "advance",
            LineKind::Reconciliation => "reconciliation",
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            LineKind::Delivery => "levering",
            LineKind::TrueUp => "aanvulling volumegarantie",
            LineKind::Advance => "voorschot",
            LineKind::Reconciliation => "verrekening budget",
        }
    }

    /// The name shown on documents where a delivery shows its product.
    pub fn document_name(self) -> &'static str {
        match self {
            LineKind::Delivery => "",
            LineKind::TrueUp => "Aanvulling volumegarantie",
            LineKind::Advance => "Voorschot",
            LineKind::Reconciliation => "Verrekening budget",
        }
    }

    /// The product code shown on documents for a line that bills no product.
    pub fn document_code(self) -> &'static str {
        match self {
            LineKind::Delivery => "",
            LineKind::TrueUp => "VOLUMEGARANTIE",
            LineKind::Advance => "VOORSCHOT",
            LineKind::Reconciliation => "VERREKENING",
        }
    }
}

/// `budget_ledger.kind`: the entries whose sum is a budget's balance (what the municipality
/// paid in advance and has not yet used).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    /// An advance invoiced (+), or credited (−).
    #[sea_orm(string_value = "advance")]
    Advance,
    /// The value of deliveries at contract prices (−), or a later correction of it.
    #[sea_orm(string_value = "delivery_valued")]
    DeliveryValued,
    /// Unused budget returned (−), or a return reduced by later work (+).
    #[sea_orm(string_value = "settlement")]
    Settlement,
    /// An entry by hand, with its reason.
    #[sea_orm(string_value = "manual")]
    Manual,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Advance => "advance",
            LedgerKind::DeliveryValued => "delivery_valued",
            LedgerKind::Settlement => "settlement",
            LedgerKind::Manual => "manual",
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            LedgerKind::Advance => "voorschot gefactureerd",
            LedgerKind::DeliveryValued => "levering gewaardeerd",
            LedgerKind::Settlement => "verrekening",
            LedgerKind::Manual => "handmatige boeking",
        }
    }
}

/// The settlement terms of a contract, valid together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrangement {
    ProductPrice,
    VolumeGuarantee {
        guaranteed: Money,
    },
    Budget {
        budget: Money,
        schedule: AdvanceSchedule,
        refund_unused: bool,
    },
}

/// The settlement fields as given (API body, form, stored row), before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArrangementInput {
    pub form: SettlementForm,
    pub guaranteed_amount: Option<Money>,
    pub budget_amount: Option<Money>,
    pub advance_schedule: Option<AdvanceSchedule>,
    pub refund_unused: Option<bool>,
}

impl Arrangement {
    /// Validates the fields for a contract period: each form takes its own amounts and no
    /// others. Every error names its field.
    pub fn new(
        input: &ArrangementInput,
        valid_from: NaiveDate,
        valid_to: NaiveDate,
    ) -> Result<Arrangement, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let positive = |field: &'static str, amount: Option<Money>, errors: &mut Vec<_>| {
            match amount {
                None => errors.push((field, "vul het bedrag in (bijvoorbeeld 250000,00)".into())),
                Some(a) if a.is_negative() || a.is_zero() => {
                    errors.push((field, "het bedrag moet groter dan nul zijn".into()))
                }
                Some(_) => {}
            }
            amount.unwrap_or(Money::ZERO)
        };
        let not_for = |field: &'static str, present: bool, errors: &mut Vec<_>| {
            if present {
                errors.push((
                    field,
                    format!("hoort niet bij afrekenvorm {}", input.form.label_nl()),
                ));
            }
        };
        let arrangement = match input.form {
            SettlementForm::ProductPrice => {
                not_for(
                    "guaranteed_amount",
                    input.guaranteed_amount.is_some(),
                    &mut errors,
                );
                not_for("budget_amount", input.budget_amount.is_some(), &mut errors);
                not_for(
                    "advance_schedule",
                    input.advance_schedule.is_some(),
                    &mut errors,
                );
                not_for(
                    "refund_unused",
                    input.refund_unused == Some(true),
                    &mut errors,
                );
                Arrangement::ProductPrice
            }
            SettlementForm::VolumeGuarantee => {
                let guaranteed =
                    positive("guaranteed_amount", input.guaranteed_amount, &mut errors);
                not_for("budget_amount", input.budget_amount.is_some(), &mut errors);
                not_for(
                    "advance_schedule",
                    input.advance_schedule.is_some(),
                    &mut errors,
                );
                not_for(
                    "refund_unused",
                    input.refund_unused == Some(true),
                    &mut errors,
                );
                Arrangement::VolumeGuarantee { guaranteed }
            }
            SettlementForm::Budget => {
                let budget = positive("budget_amount", input.budget_amount, &mut errors);
                not_for(
                    "guaranteed_amount",
                    input.guaranteed_amount.is_some(),
                    &mut errors,
                );
                let schedule = input.advance_schedule.unwrap_or_default();
                if errors.is_empty() {
                    if let Err(e) = instalments(budget, schedule, valid_from, valid_to) {
                        errors.push(("budget_amount", e));
                    }
                }
                Arrangement::Budget {
                    budget,
                    schedule,
                    refund_unused: input.refund_unused.unwrap_or(false),
                }
            }
        };
        if errors.is_empty() {
            Ok(arrangement)
        } else {
            Err(errors)
        }
    }

    pub fn form(&self) -> SettlementForm {
        match self {
            Arrangement::ProductPrice => SettlementForm::ProductPrice,
            Arrangement::VolumeGuarantee { .. } => SettlementForm::VolumeGuarantee,
            Arrangement::Budget { .. } => SettlementForm::Budget,
        }
    }

    /// The stored columns: (guaranteed cents, budget cents, schedule, refund_unused).
    pub fn columns(&self) -> (Option<i64>, Option<i64>, Option<AdvanceSchedule>, bool) {
        match *self {
            Arrangement::ProductPrice => (None, None, None, false),
            Arrangement::VolumeGuarantee { guaranteed } => {
                (Some(guaranteed.to_cents()), None, None, false)
            }
            Arrangement::Budget {
                budget,
                schedule,
                refund_unused,
            } => (None, Some(budget.to_cents()), Some(schedule), refund_unused),
        }
    }

    /// The same arrangement with its amount indexed, for next year's copy (rounded to cents
    /// by the one rounding rule, as prices are).
    pub fn indexed(&self, percent: Decimal) -> Arrangement {
        let index = |m: Money| crate::domain::pricing::index_price(m, percent);
        match *self {
            Arrangement::ProductPrice => Arrangement::ProductPrice,
            Arrangement::VolumeGuarantee { guaranteed } => Arrangement::VolumeGuarantee {
                guaranteed: index(guaranteed),
            },
            Arrangement::Budget {
                budget,
                schedule,
                refund_unused,
            } => Arrangement::Budget {
                budget: index(budget),
                schedule,
                refund_unused,
            },
        }
    }

    /// The terms as copied onto the invoice lines computed under them, so that a later
    /// change to the contract never changes a past document.
    pub fn terms_json(&self, contract_id: &str, from: NaiveDate, to: NaiveDate) -> Value {
        let (guaranteed, budget, schedule, refund) = self.columns();
        json!({
            "contract": contract_id,
            "settlement": self.form(),
            "valid_from": from,
            "valid_to": to,
            "guaranteed_amount": guaranteed.map(|c| Money::from_cents(c).to_string()),
            "budget_amount": budget.map(|c| Money::from_cents(c).to_string()),
            "advance_schedule": schedule,
            "refund_unused": refund,
        })
    }
}

/// One advance of a budget: billed in the run of `period` (the first month it covers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instalment {
    /// 1-based.
    pub number: u32,
    pub count: u32,
    pub period: Period,
    /// The first and last day the instalment pays for (within the contract).
    pub covers_from: NaiveDate,
    pub covers_to: NaiveDate,
    pub amount: Money,
}

impl Instalment {
    /// "Voorschot maart 2026" or "Voorschot 2e kwartaal 2026".
    pub fn description(&self, schedule: AdvanceSchedule) -> String {
        match schedule {
            AdvanceSchedule::Monthly => format!(
                "Voorschot {} {}",
                self.period.month_name_nl(),
                self.period.year()
            ),
            AdvanceSchedule::Quarterly => format!(
                "Voorschot {}e kwartaal {}",
                (self.period.month() - 1) / 3 + 1,
                self.period.year()
            ),
        }
    }
}

/// The advances of a budget over a contract period: one per calendar month (monthly) or
/// per calendar quarter (quarterly) the period touches, equal and rounded by the one
/// rounding rule, the last taking the difference so that they add up to the budget exactly.
/// A full calendar year gives 12 or 4. Refused when the budget is too small for the last
/// instalment to stay at or above zero.
pub fn instalments(
    budget: Money,
    schedule: AdvanceSchedule,
    valid_from: NaiveDate,
    valid_to: NaiveDate,
) -> Result<Vec<Instalment>, String> {
    if valid_to < valid_from {
        return Err("de einddatum ligt vóór de begindatum".into());
    }
    let mut groups: Vec<(Period, NaiveDate, NaiveDate)> = Vec::new();
    for month in Period::of(valid_from).iter_to(Period::of(valid_to)) {
        let from = Ord::max(month.first_day(), valid_from);
        let to = Ord::min(month.last_day(), valid_to);
        let quarter = |p: Period| (p.year(), (p.month() - 1) / 3);
        match groups.last_mut() {
            Some(last)
                if schedule == AdvanceSchedule::Quarterly && quarter(last.0) == quarter(month) =>
            {
                last.2 = to
            }
            _ => groups.push((month, from, to)),
        }
    }
    let count = u32::try_from(groups.len()).map_err(|_| "te veel termijnen".to_string())?;
    if count == 0 {
        return Err("de contractperiode heeft geen maanden".into());
    }
    let each = round_half_up(budget.amount() / Decimal::from(count));
    let last = budget - Money::from_cents(each.to_cents() * i64::from(count - 1));
    if last.is_negative() {
        return Err(format!(
            "het budget {} is te klein om in {count} termijnen te verdelen",
            budget.format_nl()
        ));
    }
    Ok(groups
        .into_iter()
        .enumerate()
        .map(|(i, (period, covers_from, covers_to))| {
            let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
            Instalment {
                number,
                count,
                period,
                covers_from,
                covers_to,
                amount: if number == count { last } else { each },
            }
        })
        .collect())
}

/// The true-up a volume guarantee asks for in total: the guarantee less the net delivery
/// billed under the contract, never below zero.
pub fn true_up_target(guaranteed: Money, delivery_billed: Money) -> Money {
    Ord::max(guaranteed - delivery_billed, Money::ZERO)
}

/// What a budget returns in total when unused budget is refunded: the balance before
/// settlement (advances − delivered value ± manual entries) when positive; an overrun is
/// never billed. As a ledger amount (returning is negative).
pub fn settlement_target(balance_before_settlement: Money) -> Money {
    -Ord::max(balance_before_settlement, Money::ZERO)
}

/// Whether the run of `period` settles a contract that ends on `valid_to`: the run of its
/// last month and every run after it.
pub fn settles(period: Period, valid_to: NaiveDate) -> bool {
    period >= Period::of(valid_to)
}

/// A straight-line projection to the end of the contract: the amount so far divided by the
/// months elapsed, times the months of the contract. `None` before the first month ends.
pub fn projection(so_far: Money, months_elapsed: u32, months_total: u32) -> Option<Money> {
    if months_elapsed == 0 {
        return None;
    }
    let elapsed = months_elapsed.min(months_total);
    Some(round_half_up(
        so_far.amount() * Decimal::from(months_total) / Decimal::from(elapsed),
    ))
}

/// Where a settling contract stands during its period, for the contract page and API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub form: SettlementForm,
    /// Volume guarantee: net delivery billed; budget: advances invoiced (drafts included).
    pub billed: Money,
    /// The guaranteed amount or the budget.
    pub target: Money,
    /// Volume guarantee: the delivery billed; budget: deliveries valued at contract prices.
    pub delivered_value: Money,
    /// Volume guarantee: what the true-up would be now; budget: advances not yet used.
    pub shortfall_or_unused: Money,
    /// Volume guarantee: the true-up billed so far (net of credits).
    pub true_up_billed: Money,
    /// Budget: unused budget returned so far (positive), and the manual entries.
    pub returned: Money,
    pub manual: Money,
    /// Budget: the ledger's balance (advances − delivered − returned ± manual).
    pub balance: Money,
    /// Straight-line projection of the delivery to the end of the contract.
    pub projected_delivery: Option<Money>,
    pub months_elapsed: u32,
    pub months_total: u32,
}

/// Whole months of the contract that have ended before `today`, and its months in all.
pub fn months_elapsed(valid_from: NaiveDate, valid_to: NaiveDate, today: NaiveDate) -> (u32, u32) {
    let months = |a: Period, b: Period| {
        u32::try_from((b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32 + 1)
            .unwrap_or(0)
    };
    let (first, last) = (Period::of(valid_from), Period::of(valid_to));
    let total = months(first, last);
    let current = Period::of(today);
    let elapsed = if current <= first {
        0
    } else if current > last {
        total
    } else {
        months(first, current.prev())
    };
    (elapsed, total)
}

impl Progress {
    /// Volume guarantee: `delivery` billed and `true_up` billed so far.
    pub fn volume_guarantee(
        guaranteed: Money,
        delivery: Money,
        true_up: Money,
        (elapsed, total): (u32, u32),
    ) -> Progress {
        Progress {
            form: SettlementForm::VolumeGuarantee,
            billed: delivery,
            target: guaranteed,
            delivered_value: delivery,
            shortfall_or_unused: true_up_target(guaranteed, delivery),
            true_up_billed: true_up,
            returned: Money::ZERO,
            manual: Money::ZERO,
            balance: Money::ZERO,
            projected_delivery: projection(delivery, elapsed, total),
            months_elapsed: elapsed,
            months_total: total,
        }
    }

    /// Budget: the sums of its ledger per kind (as stored: advances +, delivered −,
    /// returns −).
    pub fn budget(
        budget: Money,
        advances: Money,
        delivered_entries: Money,
        settlement_entries: Money,
        manual: Money,
        (elapsed, total): (u32, u32),
    ) -> Progress {
        let delivered = -delivered_entries;
        Progress {
            form: SettlementForm::Budget,
            billed: advances,
            target: budget,
            delivered_value: delivered,
            shortfall_or_unused: Ord::max(advances - delivered + manual, Money::ZERO),
            true_up_billed: Money::ZERO,
            returned: -settlement_entries,
            manual,
            balance: advances + delivered_entries + settlement_entries + manual,
            projected_delivery: projection(delivered, elapsed, total),
            months_elapsed: elapsed,
            months_total: total,
        }
    }
}

/// The volume of one product that a volume guarantee pays for: the guarantee's part for the
/// product (`share`, 0 to 1: the product's part of what the contract delivered so far, or an
/// equal part per product before anything was delivered) divided by the product's contract
/// price. `None` for a price of zero.
pub fn guaranteed_volume(guaranteed: Money, share: Decimal, price: Money) -> Option<Decimal> {
    if price.is_zero() || price.is_negative() {
        return None;
    }
    Some((guaranteed.amount() * share / price.amount()).round_dp(3))
}

/// The label of a contract period on documents: "2026" for a calendar year, otherwise
/// "01-04-2026 t/m 31-03-2027".
pub fn period_label(from: NaiveDate, to: NaiveDate) -> String {
    use chrono::Datelike;
    if from.year() == to.year()
        && (from.month(), from.day()) == (1, 1)
        && (to.month(), to.day()) == (12, 31)
    {
        from.year().to_string()
    } else {
        format!("{} t/m {}", format_date_nl(from), format_date_nl(to))
    }
}

/// "Aanvulling volumegarantie 2026".
pub fn true_up_description(from: NaiveDate, to: NaiveDate) -> String {
    format!("Aanvulling volumegarantie {}", period_label(from, to))
}

/// "Verrekening budget 2026".
pub fn reconciliation_description(from: NaiveDate, to: NaiveDate) -> String {
    format!("Verrekening budget {}", period_label(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn m(v: Decimal) -> Money {
        Money::try_from_decimal(v).unwrap()
    }

    #[test]
    fn a_calendar_year_gives_twelve_or_four_advances_adding_up_to_the_budget() {
        let monthly = instalments(
            m(dec!(100000.00)),
            AdvanceSchedule::Monthly,
            d("2026-01-01"),
            d("2026-12-31"),
        )
        .unwrap();
        assert_eq!(monthly.len(), 12);
        assert_eq!(monthly[0].amount, m(dec!(8333.33)));
        assert_eq!(monthly[11].amount, m(dec!(8333.37)));
        assert_eq!(
            monthly[2].description(AdvanceSchedule::Monthly),
            "Voorschot maart 2026"
        );
        assert_eq!(
            monthly.iter().map(|i| i.amount).sum::<Money>(),
            m(dec!(100000.00))
        );
        let quarterly = instalments(
            m(dec!(100000.00)),
            AdvanceSchedule::Quarterly,
            d("2026-01-01"),
            d("2026-12-31"),
        )
        .unwrap();
        assert_eq!(quarterly.len(), 4);
        assert_eq!(
            quarterly
                .iter()
                .map(|i| i.period.month())
                .collect::<Vec<_>>(),
            vec![1, 4, 7, 10]
        );
        assert_eq!(quarterly[1].covers_to, d("2026-06-30"));
        assert_eq!(
            quarterly[1].description(AdvanceSchedule::Quarterly),
            "Voorschot 2e kwartaal 2026"
        );
        assert_eq!(
            quarterly.iter().map(|i| i.amount).sum::<Money>(),
            m(dec!(100000.00))
        );
    }

    #[test]
    fn a_part_year_has_an_advance_per_month_or_quarter_it_touches() {
        let q = instalments(
            m(dec!(1000.00)),
            AdvanceSchedule::Quarterly,
            d("2026-02-15"),
            d("2026-07-10"),
        )
        .unwrap();
        assert_eq!(q.len(), 3);
        assert_eq!(
            (q[0].period, q[0].covers_from, q[0].covers_to),
            (
                Period::new(2026, 2).unwrap(),
                d("2026-02-15"),
                d("2026-03-31")
            )
        );
        assert_eq!(q[2].covers_to, d("2026-07-10"));
        assert_eq!(q.iter().map(|i| i.amount).sum::<Money>(), m(dec!(1000.00)));
    }

    #[test]
    fn a_budget_too_small_to_split_is_refused() {
        assert!(instalments(
            m(dec!(0.18)),
            AdvanceSchedule::Monthly,
            d("2026-01-01"),
            d("2026-12-31")
        )
        .is_err());
        assert!(instalments(
            m(dec!(0.12)),
            AdvanceSchedule::Monthly,
            d("2026-01-01"),
            d("2026-12-31")
        )
        .is_ok());
    }

    #[test]
    fn each_form_takes_its_own_amounts_and_names_the_field() {
        let (from, to) = (d("2026-01-01"), d("2026-12-31"));
        let vg = ArrangementInput {
            form: SettlementForm::VolumeGuarantee,
            guaranteed_amount: Some(m(dec!(250000.00))),
            ..Default::default()
        };
        assert_eq!(
            Arrangement::new(&vg, from, to),
            Ok(Arrangement::VolumeGuarantee {
                guaranteed: m(dec!(250000.00))
            })
        );
        let missing = ArrangementInput {
            form: SettlementForm::Budget,
            ..Default::default()
        };
        let errors = Arrangement::new(&missing, from, to).unwrap_err();
        assert_eq!(errors[0].0, "budget_amount");
        let mixed = ArrangementInput {
            form: SettlementForm::ProductPrice,
            guaranteed_amount: Some(m(dec!(1.00))),
            ..Default::default()
        };
        assert_eq!(
            Arrangement::new(&mixed, from, to).unwrap_err()[0].0,
            "guaranteed_amount"
        );
        let zero = ArrangementInput {
            form: SettlementForm::VolumeGuarantee,
            guaranteed_amount: Some(Money::ZERO),
            ..Default::default()
        };
        assert!(Arrangement::new(&zero, from, to).unwrap_err()[0]
            .1
            .contains("groter dan nul"));
        assert_eq!(SettlementForm::parse("budget"), Ok(SettlementForm::Budget));
        assert!(SettlementForm::parse("cafetaria").is_err());
    }

    #[test]
    fn indexation_keeps_the_form_and_indexes_the_amount() {
        let b = Arrangement::Budget {
            budget: m(dec!(120000.00)),
            schedule: AdvanceSchedule::Quarterly,
            refund_unused: true,
        };
        assert_eq!(
            b.indexed(dec!(2.5)),
            Arrangement::Budget {
                budget: m(dec!(123000.00)),
                schedule: AdvanceSchedule::Quarterly,
                refund_unused: true
            }
        );
    }

    #[test]
    fn true_up_and_settlement_never_bill_an_overrun() {
        assert_eq!(
            true_up_target(m(dec!(100.00)), m(dec!(30.00))),
            m(dec!(70.00))
        );
        assert_eq!(
            true_up_target(m(dec!(100.00)), m(dec!(130.00))),
            Money::ZERO
        );
        assert_eq!(settlement_target(m(dec!(25.00))), m(dec!(-25.00)));
        assert_eq!(settlement_target(m(dec!(-25.00))), Money::ZERO);
        assert_eq!(projection(m(dec!(300.00)), 3, 12), Some(m(dec!(1200.00))));
        assert_eq!(projection(m(dec!(300.00)), 0, 12), None);
        assert_eq!(
            guaranteed_volume(m(dec!(12000.00)), dec!(0.5), m(dec!(87.50))),
            Some(dec!(68.571))
        );
        assert_eq!(
            guaranteed_volume(m(dec!(12000.00)), dec!(0.5), Money::ZERO),
            None
        );
        assert_eq!(
            true_up_description(d("2026-01-01"), d("2026-12-31")),
            "Aanvulling volumegarantie 2026"
        );
        assert_eq!(
            reconciliation_description(d("2026-04-01"), d("2027-03-31")),
            "Verrekening budget 01-04-2026 t/m 31-03-2027"
        );
    }

    /// A model of a volume guarantee's invoices: each step bills or credits deliveries
    /// (including work billed after the contract ended), credits true-up lines by hand, and
    /// runs; every run after the last month bills or credits the difference to the target.
    #[derive(Debug, Clone)]
    enum Step {
        Deliver(i64),
        CreditDelivery(usize),
        CreditTrueUp,
        Run,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (1i64..500_000).prop_map(Step::Deliver),
            (0usize..20).prop_map(Step::CreditDelivery),
            Just(Step::CreditTrueUp),
            Just(Step::Run),
        ]
    }

    proptest! {
        #[test]
        fn billed_delivery_plus_true_up_is_the_larger_of_guarantee_and_delivery(
            guarantee in 1i64..5_000_000,
            steps in proptest::collection::vec(step(), 0..40),
        ) {
            let g = Money::from_cents(guarantee);
            let mut deliveries: Vec<Option<i64>> = Vec::new();
            let mut true_up_lines: Vec<i64> = Vec::new(); // + invoiced, − credited
            for s in steps {
                match s {
                    Step::Deliver(c) => deliveries.push(Some(c)),
                    Step::CreditDelivery(i) => {
                        if let Some(d) = deliveries.get_mut(i) { *d = None; }
                    }
                    Step::CreditTrueUp => {
                        let net: i64 = true_up_lines.iter().sum();
                        if net > 0 { true_up_lines.push(-net); }
                    }
                    Step::Run => {
                        let billed = Money::from_cents(deliveries.iter().flatten().sum());
                        let current = Money::from_cents(true_up_lines.iter().sum());
                        let delta = true_up_target(g, billed) - current;
                        if !delta.is_zero() { true_up_lines.push(delta.to_cents()); }
                        let after = Money::from_cents(true_up_lines.iter().sum());
                        prop_assert_eq!(billed + after, Ord::max(g, billed));
                        prop_assert!(!after.is_negative());
                    }
                }
            }
        }

        #[test]
        fn advances_add_up_to_the_budget_and_settlement_to_the_smaller_of_budget_and_delivery(
            budget in 1_200i64..1_000_000_000,
            quarterly in any::<bool>(),
            start_month in 1u32..=12,
            months in 1u32..=24,
            delivered in 0i64..2_000_000_000,
        ) {
            let schedule = if quarterly { AdvanceSchedule::Quarterly } else { AdvanceSchedule::Monthly };
            let from = Period::new(2026, start_month).unwrap();
            let mut to = from;
            for _ in 1..months { to = to.next(); }
            let list = instalments(Money::from_cents(budget), schedule, from.first_day(), to.last_day()).unwrap();
            let advances: Money = list.iter().map(|i| i.amount).sum();
            prop_assert_eq!(advances, Money::from_cents(budget));
            prop_assert!(list.iter().all(|i| !i.amount.is_negative()));
            let d = Money::from_cents(delivered);
            let reconciliation = settlement_target(advances - d);
            prop_assert_eq!(advances + reconciliation, Ord::min(Money::from_cents(budget), d));
        }
    }
}
