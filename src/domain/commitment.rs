//! What an order line commits: the amount counted against the contract's budget ceiling
//! and the units counted against a volume cap, from what was ordered; and what a contract
//! has used, committed, invoiced and left. The store sums the figures; this module says
//! what they mean, for the contract views, ordering and the reports alike.

use chrono::{Datelike, NaiveDate};

use super::billing::{Unit, Variant};
use super::invoice::InvoiceStatus;
use super::money::{round_half_up, Money};
use super::period::Period;
use super::pricing::prorate_month;
use super::quantity::Quantity;
use super::trajectory::{Frequency, Status};

/// An order line as the casemanager composed it.
#[derive(Debug, Clone)]
pub struct OrderedLine {
    pub unit: Unit,
    pub price: Money,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub quantity: Option<Quantity>,
    pub frequency: Option<Frequency>,
    pub budget: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    /// Total units for effort products (for caps and billing); None for output products.
    pub volume: Option<Quantity>,
    pub amount: Money,
}

/// What is missing or wrong in an ordered line, by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> LineProblem {
    LineProblem {
        field,
        message: message.into(),
    }
}

/// Inclusive number of days.
fn days(start: NaiveDate, end: NaiveDate) -> i64 {
    (end - start).num_days() + 1
}

/// Calendar months touched by [start, end].
fn months_touched(start: NaiveDate, end: NaiveDate) -> i64 {
    i64::from(end.year() - start.year()) * 12 + i64::from(end.month()) - i64::from(start.month())
        + 1
}

/// The commitment of a line. `open_end` is where an open-ended monthly line is assumed
/// to run to (the contract's last day).
pub fn commitment(line: &OrderedLine, open_end: NaiveDate) -> Result<Commitment, LineProblem> {
    if let Some(end) = line.end {
        if end < line.start {
            return Err(problem("end_date", "de einddatum ligt vóór de startdatum"));
        }
    }
    if line.budget.is_some_and(|b| b.is_negative()) {
        return Err(problem("budget", "een budget kan niet negatief zijn"));
    }
    let estimate = match line.unit.variant() {
        Variant::Output => {
            if line.quantity.is_some() || line.frequency.is_some() {
                return Err(problem(
                    "quantity",
                    format!(
                        "een product per {} heeft geen aantal of frequentie",
                        line.unit.as_str()
                    ),
                ));
            }
            match line.unit {
                Unit::Maand => {
                    let end = line.end.unwrap_or(open_end).max(line.start);
                    let mut total = Money::ZERO;
                    let mut period = Period::of(line.start);
                    let last = Period::of(end);
                    loop {
                        let from = line.start.max(period.first_day());
                        let to = end.min(period.last_day());
                        let active = u32::try_from(days(from, to)).unwrap_or(0);
                        total += prorate_month(line.price, active, period.days());
                        if period >= last {
                            break;
                        }
                        period = period.next();
                    }
                    total
                }
                _ => line.price,
            }
        }
        Variant::Inspanning => {
            let quantity = line.quantity.ok_or_else(|| {
                problem(
                    "quantity",
                    format!("geef het aantal {} op", line.unit.as_str()),
                )
            })?;
            if quantity.is_zero() {
                return Err(problem("quantity", "het aantal is groter dan nul"));
            }
            let frequency = line.frequency.ok_or_else(|| {
                problem("frequency", "geef de frequentie op: week, month of total")
            })?;
            let occurrences = match frequency {
                Frequency::Total => 1,
                Frequency::Week | Frequency::Month => {
                    let end = line.end.ok_or_else(|| {
                        problem(
                            "end_date",
                            "een aantal per week of maand heeft een einddatum nodig",
                        )
                    })?;
                    match frequency {
                        Frequency::Week => (days(line.start, end) + 6) / 7,
                        _ => months_touched(line.start, end),
                    }
                }
            };
            let total =
                Quantity::from_thousandths(quantity.to_thousandths().saturating_mul(occurrences));
            let amount = round_half_up(line.price.mul_quantity(total));
            return Ok(Commitment {
                volume: Some(total),
                amount: cap(amount, line.budget),
            });
        }
    };
    Ok(Commitment {
        volume: None,
        amount: cap(estimate, line.budget),
    })
}

fn cap(estimate: Money, budget: Option<Money>) -> Money {
    match budget {
        Some(b) if b < estimate => b,
        _ => estimate,
    }
}

// ---- what a contract has used, committed and left ----------------------------------------

/// Whether an order line in this status counts: it commits budget and uses volume until it
/// is rejected or cancelled.
pub fn counts(status: Status) -> bool {
    !status.releases_commitment()
}

/// The order line statuses that do not count, for the store's sums.
pub fn released_statuses() -> Vec<&'static str> {
    Status::ALL
        .into_iter()
        .filter(|s| !counts(*s))
        .map(Status::as_str)
        .collect()
}

/// Whether an invoice in this status counts as invoiced against its contract: once it is
/// final (numbered), whatever happened to it after. A credit note counts negatively.
pub fn invoiced(status: InvoiceStatus) -> bool {
    status.is_final()
}

/// The invoice statuses that count as invoiced, for the store's sums.
pub fn invoiced_statuses() -> Vec<&'static str> {
    [
        InvoiceStatus::Draft,
        InvoiceStatus::Final,
        InvoiceStatus::Sent,
        InvoiceStatus::Paid,
    ]
    .into_iter()
    .filter(|s| invoiced(*s))
    .map(InvoiceStatus::as_str)
    .collect()
}

/// The counting order lines on one contract line, as the store sums them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineOrders {
    /// How many order lines.
    pub lines: i64,
    /// The units they order, in thousandths (effort products).
    pub volume_thousandths: i64,
}

impl LineOrders {
    /// What these orders use of the line's volume cap: a trajectory per order line for an
    /// output product, the ordered units for an effort product.
    pub fn used(self, variant: Variant) -> Quantity {
        Quantity::from_thousandths(match variant {
            Variant::Output => self.lines.saturating_mul(1000),
            Variant::Inspanning => self.volume_thousandths,
        })
    }
}

/// What one order line uses of its contract line's cap.
pub fn line_usage(variant: Variant, volume: Option<Quantity>) -> Quantity {
    LineOrders {
        lines: 1,
        volume_thousandths: volume.map(|v| v.to_thousandths()).unwrap_or(0),
    }
    .used(variant)
}

/// A contract's budget: its ceiling, what its counting order lines commit, and what its
/// final invoices net (minus credit notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub ceiling: Option<Money>,
    pub committed: Money,
    pub invoiced: Money,
}

impl Budget {
    /// The ceiling minus what is committed (negative when a lowered ceiling is exceeded);
    /// none without a ceiling.
    pub fn remaining(&self) -> Option<Money> {
        self.ceiling.map(|c| c - self.committed)
    }
}

// ---- the cap and ceiling decision ----------------------------------------------------------

/// Who asks for room on a contract: a new order, or an extension of an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asking {
    Order,
    Extension,
}

/// What one order line asks of its contract line's volume cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraw {
    /// The order line's position in the order (named in an order's refusal).
    pub position: usize,
    pub product_code: String,
    /// The contract line's id: order lines on one contract line draw on one cap together.
    pub contract_line: String,
    /// The product's unit: an output product's cap counts trajectories, an effort
    /// product's its units.
    pub unit: Unit,
    pub cap: Option<Quantity>,
    /// What the counting order lines already use.
    pub used: Quantity,
    /// What the order line asks on top.
    pub extra: Quantity,
}

/// What an order or an extension asks of a contract: units of its lines' caps and an
/// amount of its budget ceiling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    pub asking: Asking,
    pub lines: Vec<LineDraw>,
    pub ceiling: Option<Money>,
    /// What the counting order lines already commit.
    pub committed: Money,
    /// What is asked on top.
    pub extra: Money,
}

/// Why a draw does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    VolumeCap {
        position: usize,
        product_code: String,
        unit: Unit,
        cap: Quantity,
        used: Quantity,
    },
    BudgetCeiling {
        ceiling: Money,
        committed: Money,
        extra: Money,
    },
}

/// A refused draw: every reason for an order, the first for an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub asking: Asking,
    pub refusals: Vec<Refusal>,
}

/// Whether a draw fits its contract. A volume cap refuses more units than it has left; the
/// budget ceiling refuses an amount that takes what is committed over it, unless the draw
/// lowers what is committed (an extension that ends up cheaper). An order is told every
/// reason; an extension its first (the cap before the ceiling).
pub fn check_room(draw: &Draw) -> Result<(), Refused> {
    // Per contract line, in order of first appearance: its first order line and the
    // units all its order lines ask.
    let mut per_contract_line: Vec<(&LineDraw, i64)> = Vec::new();
    for line in &draw.lines {
        match per_contract_line
            .iter_mut()
            .find(|(first, _)| first.contract_line == line.contract_line)
        {
            Some((_, extra)) => *extra += line.extra.to_thousandths(),
            None => per_contract_line.push((line, line.extra.to_thousandths())),
        }
    }
    let mut refusals = Vec::new();
    for (line, extra) in per_contract_line {
        let Some(cap) = line.cap else {
            continue;
        };
        if extra > 0 && line.used.to_thousandths() + extra > cap.to_thousandths() {
            refusals.push(Refusal::VolumeCap {
                position: line.position,
                product_code: line.product_code.clone(),
                unit: line.unit,
                cap,
                used: line.used,
            });
        }
    }
    if let Some(ceiling) = draw.ceiling {
        if !draw.extra.is_negative() && draw.committed + draw.extra > ceiling {
            refusals.push(Refusal::BudgetCeiling {
                ceiling,
                committed: draw.committed,
                extra: draw.extra,
            });
        }
    }
    if draw.asking == Asking::Extension {
        refusals.truncate(1);
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(Refused {
            asking: draw.asking,
            refusals,
        })
    }
}

impl Refused {
    /// The refusals as (field, message), in Dutch.
    pub fn problems(&self) -> Vec<(String, String)> {
        self.refusals
            .iter()
            .map(|r| match (self.asking, r) {
                (
                    Asking::Order,
                    Refusal::VolumeCap {
                        position,
                        product_code,
                        unit,
                        cap,
                        used,
                    },
                ) => {
                    let what = match unit.variant() {
                        Variant::Output => "trajecten",
                        Variant::Inspanning => unit.as_str(),
                    };
                    (
                        format!("lines[{position}].product_code"),
                        format!(
                            "volumeplafond van {product_code} bereikt: het contract staat {} {what} toe, er is nog {} beschikbaar",
                            cap.format_nl(),
                            left(*cap, *used).format_nl()
                        ),
                    )
                }
                (Asking::Extension, Refusal::VolumeCap { cap, used, .. }) => (
                    "quantity".to_string(),
                    format!(
                        "volumeplafond bereikt: er is nog {} beschikbaar",
                        left(*cap, *used).format_nl()
                    ),
                ),
                (
                    Asking::Order,
                    Refusal::BudgetCeiling {
                        ceiling,
                        committed,
                        extra,
                    },
                ) => {
                    let left = *ceiling - *committed;
                    (
                        "lines".to_string(),
                        format!(
                            "budgetplafond van het contract overschreden: plafond {}, al vastgelegd {}, nog beschikbaar {}, deze bestelling {}",
                            ceiling.format_nl(),
                            committed.format_nl(),
                            if left.is_negative() { Money::ZERO } else { left }.format_nl(),
                            extra.format_nl()
                        ),
                    )
                }
                (
                    Asking::Extension,
                    Refusal::BudgetCeiling {
                        ceiling,
                        committed,
                        extra,
                    },
                ) => (
                    "budget".to_string(),
                    format!(
                        "budgetplafond overschreden: nog beschikbaar {}, deze verlenging {}",
                        (*ceiling - *committed).format_nl(),
                        extra.format_nl()
                    ),
                ),
            })
            .collect()
    }

    /// The refusal in one line: an order's messages joined, an extension's field and message.
    pub fn detail(&self) -> String {
        let problems = self.problems();
        match self.asking {
            Asking::Order => problems
                .iter()
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            Asking::Extension => problems
                .iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

/// What is left under a cap, never below zero.
fn left(cap: Quantity, used: Quantity) -> Quantity {
    Quantity::from_thousandths(Ord::max(cap.to_thousandths() - used.to_thousandths(), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn line(unit: Unit, price: i64) -> OrderedLine {
        OrderedLine {
            unit,
            price: Money::from_cents(price),
            start: d(2026, 1, 17),
            end: None,
            quantity: None,
            frequency: None,
            budget: None,
        }
    }

    #[test]
    fn a_trajectory_commits_its_price() {
        assert_eq!(
            commitment(&line(Unit::Traject, 345_000), d(2026, 12, 31))
                .unwrap()
                .amount,
            Money::from_cents(345_000)
        );
    }

    #[test]
    fn a_monthly_line_commits_its_prorated_months() {
        let l = OrderedLine {
            end: Some(d(2026, 3, 9)),
            ..line(Unit::Maand, 120_000)
        };
        // 580.65 + 1200.00 + 348.39
        assert_eq!(
            commitment(&l, d(2026, 12, 31)).unwrap().amount,
            Money::from_cents(212_904)
        );
    }

    #[test]
    fn effort_lines_commit_quantity_times_occurrences_capped_by_budget() {
        let l = OrderedLine {
            quantity: Some(Quantity::from_thousandths(40_000)),
            frequency: Some(Frequency::Total),
            ..line(Unit::Uur, 8_750)
        };
        let c = commitment(&l, d(2026, 12, 31)).unwrap();
        assert_eq!(c.volume, Some(Quantity::from_thousandths(40_000)));
        assert_eq!(c.amount, Money::from_cents(350_000));
        let weekly = OrderedLine {
            quantity: Some(Quantity::from_thousandths(2_000)),
            frequency: Some(Frequency::Week),
            end: Some(d(2026, 2, 13)),
            ..l.clone()
        };
        // 17 Jan .. 13 Feb = 28 days = 4 weeks × 2 hours
        assert_eq!(
            commitment(&weekly, d(2026, 12, 31)).unwrap().volume,
            Some(Quantity::from_thousandths(8_000))
        );
        let budgeted = OrderedLine {
            budget: Some(Money::from_cents(100_000)),
            ..l
        };
        assert_eq!(
            commitment(&budgeted, d(2026, 12, 31)).unwrap().amount,
            Money::from_cents(100_000)
        );
    }

    #[test]
    fn missing_or_misplaced_fields_are_named() {
        assert_eq!(
            commitment(&line(Unit::Uur, 100), d(2026, 12, 31))
                .unwrap_err()
                .field,
            "quantity"
        );
        let no_freq = OrderedLine {
            quantity: Some(Quantity::from_thousandths(1000)),
            ..line(Unit::Uur, 100)
        };
        assert_eq!(
            commitment(&no_freq, d(2026, 12, 31)).unwrap_err().field,
            "frequency"
        );
        let weekly_open = OrderedLine {
            frequency: Some(Frequency::Week),
            ..no_freq
        };
        assert_eq!(
            commitment(&weekly_open, d(2026, 12, 31)).unwrap_err().field,
            "end_date"
        );
        let traject_qty = OrderedLine {
            quantity: Some(Quantity::from_thousandths(1000)),
            ..line(Unit::Traject, 100)
        };
        assert_eq!(
            commitment(&traject_qty, d(2026, 12, 31)).unwrap_err().field,
            "quantity"
        );
        let backwards = OrderedLine {
            end: Some(d(2026, 1, 1)),
            ..line(Unit::Traject, 100)
        };
        assert_eq!(
            commitment(&backwards, d(2026, 12, 31)).unwrap_err().field,
            "end_date"
        );
    }

    fn draw(asking: Asking, extra_units: &[i64], extra: i64) -> Draw {
        Draw {
            asking,
            lines: extra_units
                .iter()
                .enumerate()
                .map(|(i, u)| LineDraw {
                    position: i,
                    product_code: "JOBCOACH-UUR".into(),
                    contract_line: "cl-1".into(),
                    unit: Unit::Uur,
                    cap: Some(Quantity::from_thousandths(10_000)),
                    used: Quantity::from_thousandths(6_000),
                    extra: Quantity::from_thousandths(*u),
                })
                .collect(),
            ceiling: Some(Money::from_cents(100_000)),
            committed: Money::from_cents(90_000),
            extra: Money::from_cents(extra),
        }
    }

    #[test]
    fn order_lines_on_one_contract_line_share_its_cap_and_every_reason_is_named() {
        assert_eq!(
            check_room(&draw(Asking::Order, &[2_000, 2_000], 10_000)),
            Ok(())
        );
        let refused = check_room(&draw(Asking::Order, &[2_000, 2_500], 10_001)).unwrap_err();
        let problems = refused.problems();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].0, "lines[0].product_code");
        assert_eq!(
            problems[0].1,
            "volumeplafond van JOBCOACH-UUR bereikt: het contract staat 10 uur toe, er is nog 4 beschikbaar"
        );
        assert_eq!(problems[1].0, "lines");
        assert!(refused
            .detail()
            .contains("; budgetplafond van het contract overschreden"));
    }

    #[test]
    fn an_extension_is_told_its_first_reason_and_never_refused_for_taking_less() {
        let refused = check_room(&draw(Asking::Extension, &[4_001], 10_001)).unwrap_err();
        assert_eq!(refused.problems().len(), 1);
        assert_eq!(refused.problems()[0].0, "quantity");
        assert!(refused
            .detail()
            .starts_with("quantity: volumeplafond bereikt"));
        assert_eq!(check_room(&draw(Asking::Extension, &[0], -1)), Ok(()));
        let over = Draw {
            committed: Money::from_cents(120_000),
            ..draw(Asking::Extension, &[0], 0)
        };
        assert_eq!(
            check_room(&over).unwrap_err().problems()[0].0,
            "budget",
            "an extension that adds nothing to an exceeded ceiling is refused"
        );
    }

    #[test]
    fn released_order_lines_and_draft_invoices_do_not_count() {
        assert_eq!(released_statuses(), vec!["rejected", "cancelled"]);
        assert_eq!(invoiced_statuses(), vec!["final", "sent", "paid"]);
        let orders = LineOrders {
            lines: 3,
            volume_thousandths: 7_500,
        };
        assert_eq!(
            orders.used(Variant::Output),
            Quantity::from_thousandths(3_000)
        );
        assert_eq!(
            orders.used(Variant::Inspanning),
            Quantity::from_thousandths(7_500)
        );
    }
}
