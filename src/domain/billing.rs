//! What is billed is computed, not appended (DESIGN.md, rules 3 and 4).
//!
//! [`billable_items`] computes, from one order line as it stands, every item that should have
//! been billed up to and including a period, plus every item that is held back (outside the
//! line's dates, above its volume or budget) with its reason. [`settle`] compares that with what
//! finalised invoices already contain and says what to bill now, what changed (to be credited
//! and re-billed) and what was billed but is no longer expected.
//!
//! Each item has a stable key, so recomputing never bills the same thing twice; the database
//! enforces one billed line per key (unless credited).

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

use crate::domain::money::{echo, round_half_up, Money};
use crate::domain::period::{format_date_nl, Period};
use crate::domain::pricing::{prorate_month, split_over_milestones};
use crate::domain::quantity::Quantity;

/// The unit a product is sold in (`products.unit`, `invoice_lines.unit`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    EnumIter,
    DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    #[sea_orm(string_value = "traject")]
    Traject,
    #[sea_orm(string_value = "maand")]
    Maand,
    #[sea_orm(string_value = "uur")]
    Uur,
    #[sea_orm(string_value = "dagdeel")]
    Dagdeel,
    #[sea_orm(string_value = "stuk")]
    Stuk,
}

/// Output: billed on results (milestones, active months). Inspanning: billed on effort
/// (registered hours, day-parts, pieces). `products.variant`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    EnumIter,
    DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    #[sea_orm(string_value = "inspanning")]
    Inspanning,
    #[sea_orm(string_value = "output")]
    Output,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("onbekende eenheid: {0} (kies traject, maand, uur, dagdeel of stuk)")]
    UnknownUnit(String),
    #[error("onbekende uitvoeringsvariant: {0} (kies inspanning of output)")]
    UnknownVariant(String),
}

impl Unit {
    pub const ALL: [Unit; 5] = [
        Unit::Traject,
        Unit::Maand,
        Unit::Uur,
        Unit::Dagdeel,
        Unit::Stuk,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Unit::Traject => "traject",
            Unit::Maand => "maand",
            Unit::Uur => "uur",
            Unit::Dagdeel => "dagdeel",
            Unit::Stuk => "stuk",
        }
    }

    /// Parses "traject", "maand", "uur", "dagdeel", "stuk" (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<Unit, UnitError> {
        let s = input.trim();
        Unit::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| UnitError::UnknownUnit(echo(s)))
    }

    /// iWMO/iJW unit code (berichtstandaard "eenheid").
    pub fn iwmo_code(&self) -> &'static str {
        match self {
            Unit::Traject => "82",
            Unit::Maand => "83",
            Unit::Uur => "04",
            Unit::Dagdeel => "16",
            Unit::Stuk => "84",
        }
    }

    pub fn variant(&self) -> Variant {
        variant(*self)
    }

    /// Dutch unit word for a quantity: "1 dagdeel", "3 dagdelen", "12,5 uur", "5 stuks".
    pub fn label_nl(&self, quantity: Quantity) -> &'static str {
        let one = quantity == Quantity::ONE;
        match self {
            Unit::Traject if one => "traject",
            Unit::Traject => "trajecten",
            Unit::Maand if one => "maand",
            Unit::Maand => "maanden",
            Unit::Uur => "uur",
            Unit::Dagdeel if one => "dagdeel",
            Unit::Dagdeel => "dagdelen",
            Unit::Stuk if one => "stuk",
            Unit::Stuk => "stuks",
        }
    }

    /// "12,5 uur".
    pub fn describe_quantity(&self, quantity: Quantity) -> String {
        format!("{} {}", quantity.format_nl(), self.label_nl(quantity))
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Unit {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Unit::parse(s)
    }
}

/// Traject and maand are output; uur, dagdeel and stuk are inspanning.
pub fn variant(unit: Unit) -> Variant {
    match unit {
        Unit::Traject | Unit::Maand => Variant::Output,
        Unit::Uur | Unit::Dagdeel | Unit::Stuk => Variant::Inspanning,
    }
}

impl Variant {
    pub const ALL: [Variant; 2] = [Variant::Inspanning, Variant::Output];

    /// As screens show it: the stored word, which is Dutch already.
    pub fn label_nl(&self) -> &'static str {
        self.as_str()
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Variant::Inspanning => "inspanning",
            Variant::Output => "output",
        }
    }

    pub fn parse(input: &str) -> Result<Variant, UnitError> {
        match input.trim() {
            "inspanning" => Ok(Variant::Inspanning),
            "output" => Ok(Variant::Output),
            other => Err(UnitError::UnknownVariant(echo(other))),
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One billing milestone of a product: its name and its share of the price, in percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneShare {
    pub name: String,
    pub share: Decimal,
}

/// A milestone registered on a trajectory line, with the date it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneReached {
    pub name: String,
    pub date: NaiveDate,
}

/// A registered quantity for a period (inspanning lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// Unique per line (the stored record's id); part of the billing key.
    pub id: String,
    pub period: Period,
    pub quantity: Quantity,
    /// Replaced by a later correction: ignored.
    pub superseded: bool,
}

/// Everything billing needs to know about one order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineForBilling {
    pub line_id: String,
    pub unit: Unit,
    /// The price locked on the line when it was ordered.
    pub unit_price: Money,
    /// Ordered start.
    pub start_date: NaiveDate,
    /// Registered start event (maand lines bill from here; without it nothing is billed).
    pub actual_start: Option<NaiveDate>,
    /// Ordered end, inclusive; `None` is open-ended.
    pub end_date: Option<NaiveDate>,
    /// Registered stop / completion date, inclusive.
    pub stop_date: Option<NaiveDate>,
    /// Ordered total volume for inspanning lines; `None` is no limit.
    pub volume: Option<Quantity>,
    pub budget: Option<Money>,
    /// The product's billing milestones in product order (traject lines).
    pub milestones: Vec<MilestoneShare>,
    pub milestones_reached: Vec<MilestoneReached>,
    pub deliveries: Vec<DeliveryRecord>,
}

/// Something that should be billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillableItem {
    /// Stable and unique per billable thing: "{line}:ms:{milestone}", "{line}:mo:{YYYY-MM}",
    /// "{line}:dl:{delivery}".
    pub key: String,
    pub line_id: String,
    pub service_period: Period,
    /// Inclusive, within `service_period`.
    pub service_start: NaiveDate,
    pub service_end: NaiveDate,
    /// Dutch: "Mijlpaal start", "December 2026 (15/31 dagen)", "12,5 uur".
    pub description: String,
    /// Milestone and month: 1; inspanning: the registered (billable part of the) quantity.
    pub quantity: Quantity,
    /// Milestone: its part of the price; month: the (pro rata) month amount; inspanning: the
    /// locked unit price.
    pub unit_price: Money,
    pub amount: Money,
}

/// Why an item is held back instead of billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HoldReason {
    OutsideLineDates {
        date: NaiveDate,
    },
    AboveVolume {
        unit: Unit,
        volume: Quantity,
        requested: Quantity,
    },
    AboveBudget {
        budget: Money,
        remaining: Money,
    },
    UnknownMilestone {
        name: String,
    },
    /// The product's milestone shares are unusable (not positive, not adding up to 100, or a
    /// name twice), so no part can be computed.
    InvalidMilestoneShares,
    /// Credited with the disposition `waive`: never billed again.
    Waived {
        /// The credit note's number.
        credit_note: String,
        reason: String,
    },
}

impl HoldReason {
    /// Dutch explanation for finance.
    pub fn message(&self) -> String {
        match self {
            HoldReason::OutsideLineDates { date } => {
                format!("buiten de looptijd van de regel ({})", format_date_nl(*date))
            }
            HoldReason::AboveVolume { unit, volume, requested } => format!(
                "boven het bestelde volume ({}, gevraagd {})",
                unit.describe_quantity(*volume),
                requested.format_nl()
            ),
            HoldReason::AboveBudget { budget, remaining } => format!(
                "boven het budget van de regel ({}, resterend {})",
                budget.format_nl(),
                remaining.format_nl()
            ),
            HoldReason::UnknownMilestone { name } => {
                format!("onbekende mijlpaal voor dit product: {name}")
            }
            HoldReason::InvalidMilestoneShares => "de mijlpaalverdeling van het product is ongeldig \
                 (aandelen moeten positief zijn, samen 100% zijn en elke mijlpaal één keer voorkomen)"
                .to_string(),
            HoldReason::Waived {
                credit_note,
                reason,
            } => format!(
                "gecrediteerd op CN {credit_note}, niet opnieuw te factureren ({})",
                echo(reason)
            ),
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Something that would be billed but is held back, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldItem {
    pub key: String,
    pub line_id: String,
    pub service_period: Period,
    /// What the item is, as a billed item would describe it.
    pub description: String,
    pub reason: HoldReason,
    /// What it would have cost (zero when it cannot be known, e.g. an unknown milestone).
    pub amount: Money,
    pub quantity: Quantity,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineBilling {
    /// Sorted by (service_start, key).
    pub items: Vec<BillableItem>,
    /// Sorted by (service_period, key).
    pub held: Vec<HeldItem>,
}

/// Every item of `line` that should be billed up to and including `up_to`, and every item held
/// back. Pure: the same line and period always give the same answer, and the items up to an
/// earlier period are exactly the earlier items of a later period's answer (for an unchanged
/// line), so billing period by period adds up to billing all at once.
pub fn billable_items(line: &LineForBilling, up_to: Period) -> LineBilling {
    let mut out = LineBilling::default();
    match line.unit {
        Unit::Traject => milestone_items(line, up_to, &mut out),
        Unit::Maand => month_items(line, up_to, &mut out),
        Unit::Uur | Unit::Dagdeel | Unit::Stuk => delivery_items(line, up_to, &mut out),
    }
    out.items
        .sort_by(|a, b| (a.service_start, &a.key).cmp(&(b.service_start, &b.key)));
    apply_budget(line, &mut out);
    out.held
        .sort_by(|a, b| (a.service_period, &a.key).cmp(&(b.service_period, &b.key)));
    out
}

/// The last active day of the line from its dates: the earlier of ordered end and stop.
fn line_end(line: &LineForBilling) -> Option<NaiveDate> {
    match (line.end_date, line.stop_date) {
        (Some(end), Some(stop)) => Some(end.min(stop)),
        (end, stop) => end.or(stop),
    }
}

fn held(
    line: &LineForBilling,
    key: String,
    service_period: Period,
    description: String,
    reason: HoldReason,
    amount: Money,
    quantity: Quantity,
) -> HeldItem {
    HeldItem {
        key,
        line_id: line.line_id.clone(),
        service_period,
        description,
        reason,
        amount,
        quantity,
    }
}

/// Traject: each reached milestone is billed in the month of its date, for its part of the price.
fn milestone_items(line: &LineForBilling, up_to: Period, out: &mut LineBilling) {
    let names: Vec<&str> = line.milestones.iter().map(|m| m.name.as_str()).collect();
    let unique_names = names.iter().collect::<HashSet<_>>().len() == names.len();
    let shares: Vec<Decimal> = line.milestones.iter().map(|m| m.share).collect();
    // With duplicate names one part could never be reached, so the parts would not add up.
    let parts = if unique_names {
        split_over_milestones(line.unit_price, &shares).ok()
    } else {
        None
    };

    // A milestone registered twice counts once, at its earliest date (ties: first registered).
    let mut first_reached: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    for reached in &line.milestones_reached {
        first_reached
            .entry(reached.name.as_str())
            .and_modify(|date| *date = (*date).min(reached.date))
            .or_insert(reached.date);
    }

    let end = line_end(line);
    for (name, date) in first_reached {
        if date > up_to.last_day() {
            continue;
        }
        let key = format!("{}:ms:{}", line.line_id, name);
        let period = Period::of(date);
        let description = format!("Mijlpaal {name}");
        let Some(position) = names.iter().position(|n| *n == name) else {
            let reason = HoldReason::UnknownMilestone {
                name: name.to_string(),
            };
            out.held.push(held(
                line,
                key,
                period,
                description,
                reason,
                Money::ZERO,
                Quantity::ONE,
            ));
            continue;
        };
        let Some(part) = parts.as_ref().and_then(|p| p.get(position)).copied() else {
            let reason = HoldReason::InvalidMilestoneShares;
            out.held.push(held(
                line,
                key,
                period,
                description,
                reason,
                Money::ZERO,
                Quantity::ONE,
            ));
            continue;
        };
        if date < line.start_date || end.is_some_and(|e| date > e) {
            let reason = HoldReason::OutsideLineDates { date };
            out.held.push(held(
                line,
                key,
                period,
                description,
                reason,
                part,
                Quantity::ONE,
            ));
            continue;
        }
        out.items.push(BillableItem {
            key,
            line_id: line.line_id.clone(),
            service_period: period,
            service_start: date,
            service_end: date,
            description,
            quantity: Quantity::ONE,
            unit_price: part,
            amount: part,
        });
    }
}

/// Maand: one item per calendar month in which the line is active, pro rata by calendar days.
fn month_items(line: &LineForBilling, up_to: Period, out: &mut LineBilling) {
    let Some(start) = line.actual_start else {
        return; // not started: nothing is owed yet
    };
    let end = match line_end(line) {
        Some(e) => e.min(up_to.last_day()),
        None => up_to.last_day(),
    };
    if start > end {
        return;
    }
    for month in Period::of(start).iter_to(Period::of(end)) {
        let first = start.max(month.first_day());
        let last = end.min(month.last_day());
        if first > last {
            continue;
        }
        // Within one month, so 1..=31; the fallback is unreachable.
        let active_days = u32::try_from((last - first).num_days() + 1).unwrap_or(0);
        let days = month.days();
        let (amount, description) = if active_days >= days {
            (line.unit_price, month.label_nl())
        } else {
            (
                prorate_month(line.unit_price, active_days, days),
                format!("{} ({active_days}/{days} dagen)", month.label_nl()),
            )
        };
        out.items.push(BillableItem {
            key: format!("{}:mo:{}", line.line_id, month),
            line_id: line.line_id.clone(),
            service_period: month,
            service_start: first,
            service_end: last,
            description,
            quantity: Quantity::ONE,
            unit_price: amount,
            amount,
        });
    }
}

/// Inspanning: one item per registered quantity, within the line's dates and volume.
fn delivery_items(line: &LineForBilling, up_to: Period, out: &mut LineBilling) {
    let mut deliveries: Vec<&DeliveryRecord> = line
        .deliveries
        .iter()
        .filter(|d| !d.superseded && d.period <= up_to)
        .collect();
    // The volume is used up in this order, so which part is held does not depend on input order.
    deliveries.sort_by(|a, b| (a.period, &a.id).cmp(&(b.period, &b.id)));

    let end = line_end(line);
    let amount_for = |q: Quantity| round_half_up(line.unit_price.mul_quantity(q));
    let mut requested_total = Quantity::ZERO;
    for delivery in deliveries {
        let key = format!("{}:dl:{}", line.line_id, delivery.id);
        let first = delivery.period.first_day();
        let last = delivery.period.last_day();
        let q = delivery.quantity;
        let outside = if last < line.start_date {
            Some(last)
        } else {
            end.filter(|e| first > *e).map(|_| first)
        };
        if let Some(date) = outside {
            let reason = HoldReason::OutsideLineDates { date };
            let description = line.unit.describe_quantity(q);
            out.held.push(held(
                line,
                key,
                delivery.period,
                description,
                reason,
                amount_for(q),
                q,
            ));
            continue;
        }

        let requested_before = requested_total;
        requested_total += q;
        // (part that fits, Some((part over the volume, volume)) when the volume is exceeded).
        let (billed_q, over) = match line.volume {
            Some(volume) if requested_total > volume => {
                let fits = volume.saturating_sub(requested_before).min(q);
                (fits, Some((q - fits, volume)))
            }
            _ => (q, None),
        };

        // A delivery entirely over the volume gives only the held part.
        if !billed_q.is_zero() || over.is_none() {
            out.items.push(BillableItem {
                key: key.clone(),
                line_id: line.line_id.clone(),
                service_period: delivery.period,
                service_start: first.max(line.start_date),
                service_end: end.map_or(last, |e| e.min(last)),
                description: line.unit.describe_quantity(billed_q),
                quantity: billed_q,
                unit_price: line.unit_price,
                amount: amount_for(billed_q),
            });
        }
        if let Some((over_q, volume)) = over {
            let reason = HoldReason::AboveVolume {
                unit: line.unit,
                volume,
                requested: requested_total,
            };
            out.held.push(held(
                line,
                format!("{key}:over"),
                delivery.period,
                line.unit.describe_quantity(over_q),
                reason,
                amount_for(over_q),
                over_q,
            ));
        }
    }
}

/// Budget: in (service_start, key) order the cumulative amount may not exceed the budget; the
/// first item that would exceed it, and every item after it, is held whole.
fn apply_budget(line: &LineForBilling, out: &mut LineBilling) {
    let Some(budget) = line.budget else {
        return;
    };
    let mut spent = Money::ZERO;
    let mut exceeded = false;
    let mut kept = Vec::with_capacity(out.items.len());
    for item in std::mem::take(&mut out.items) {
        if !exceeded && spent + item.amount <= budget {
            spent += item.amount;
            kept.push(item);
        } else {
            exceeded = true;
            let reason = HoldReason::AboveBudget {
                budget,
                remaining: budget - spent,
            };
            out.held.push(HeldItem {
                key: item.key,
                line_id: item.line_id,
                service_period: item.service_period,
                description: item.description,
                reason,
                amount: item.amount,
                quantity: item.quantity,
            });
        }
    }
    out.items = kept;
}

/// What earlier finalised invoices contain for a key, net of credit notes. A fully credited item
/// has amount 0 and counts as not billed. Several records with the same key are added up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BilledRecord {
    pub key: String,
    pub amount: Money,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// Expected and not billed yet (or fully credited): bill these now.
    pub to_bill: Vec<BillableItem>,
    /// Billed before with a different amount: (expected now, billed before). Finance credits
    /// the old line; after that the item is billed again through `to_bill`.
    pub changed: Vec<(BillableItem, Money)>,
    /// Billed (net non-zero) but not expected any more, sorted by key.
    pub no_longer_expected: Vec<BilledRecord>,
}

impl Settlement {
    /// Nothing to bill and nothing for finance to look at.
    pub fn is_empty(&self) -> bool {
        self.to_bill.is_empty() && self.changed.is_empty() && self.no_longer_expected.is_empty()
    }
}

/// Compares what should have been billed with what was billed.
///
/// Items whose amount is zero are never put in `to_bill` (there is nothing to charge, and a
/// zero line would count as "not billed" on every later run). If `expected` holds a key twice,
/// only its first occurrence counts.
pub fn settle(expected: Vec<BillableItem>, billed: &[BilledRecord]) -> Settlement {
    let mut net: BTreeMap<&str, Money> = BTreeMap::new();
    for record in billed {
        *net.entry(record.key.as_str()).or_insert(Money::ZERO) += record.amount;
    }

    let mut seen: HashSet<String> = HashSet::new();
    let mut settlement = Settlement::default();
    for item in expected {
        if !seen.insert(item.key.clone()) {
            continue;
        }
        match net.get(item.key.as_str()).copied().filter(|a| !a.is_zero()) {
            None if item.amount.is_zero() => {}
            None => settlement.to_bill.push(item),
            Some(before) if before != item.amount => settlement.changed.push((item, before)),
            Some(_) => {}
        }
    }
    settlement.no_longer_expected = net
        .into_iter()
        .filter(|(key, amount)| !amount.is_zero() && !seen.contains(*key))
        .map(|(key, amount)| BilledRecord {
            key: key.to_string(),
            amount,
        })
        .collect();
    settlement
}

/// What happens to the work behind a credited delivery line (`invoice_lines.disposition`,
/// on the credit-note line that reverses it).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    EnumIter,
    DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "lowercase")]
pub enum Disposition {
    /// The next run bills the item again as it is registered then.
    #[default]
    #[sea_orm(string_value = "rebill")]
    Rebill,
    /// Credited and never billed again (goodwill, write-off): held with the credit's reason.
    #[sea_orm(string_value = "waive")]
    Waive,
    /// The registrations behind the line were corrected to nothing: nothing left to bill.
    #[sea_orm(string_value = "withdraw")]
    Withdraw,
}

impl Disposition {
    pub const ALL: [Disposition; 3] = [
        Disposition::Rebill,
        Disposition::Waive,
        Disposition::Withdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Rebill => "rebill",
            Disposition::Waive => "waive",
            Disposition::Withdraw => "withdraw",
        }
    }

    /// Parses the stored or submitted value; the error names the allowed ones in Dutch.
    pub fn parse(input: &str) -> Result<Disposition, String> {
        Disposition::ALL
            .into_iter()
            .find(|d| d.as_str() == input.trim())
            .ok_or_else(|| {
                format!(
                    "onbekende keuze {}: kies rebill (opnieuw factureren), waive (niet opnieuw \
                     factureren) of withdraw (registratie intrekken)",
                    echo(input)
                )
            })
    }

    /// The choice on the credit form.
    pub fn label_nl(self) -> &'static str {
        match self {
            Disposition::Rebill => "Opnieuw factureren",
            Disposition::Waive => "Niet opnieuw factureren",
            Disposition::Withdraw => "Registratie intrekken",
        }
    }

    /// One sentence on what the choice does.
    pub fn explanation_nl(self) -> &'static str {
        match self {
            Disposition::Rebill => "De volgende factuurrun factureert het werk opnieuw, zoals het dan geregistreerd staat (bijvoorbeeld na een correctie).",
            Disposition::Waive => "Het werk blijft geregistreerd maar wordt nooit meer gefactureerd (coulance of afboeking); de run toont het als tegengehouden met deze reden.",
            Disposition::Withdraw => "De registraties achter de regel worden nu gecorrigeerd naar nul (met deze reden in de audit), zodat er niets meer te factureren is.",
        }
    }

    /// What it means for the credited line afterwards, after "gecrediteerd op CN …, ".
    pub fn outcome_nl(self) -> &'static str {
        match self {
            Disposition::Rebill => "wordt opnieuw gefactureerd",
            Disposition::Waive => "niet opnieuw te factureren",
            Disposition::Withdraw => "registratie ingetrokken, niets meer te factureren",
        }
    }
}

/// An item credited with [`Disposition::Waive`]: its key, the credit note and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    pub key: String,
    pub credit_note: String,
    pub reason: String,
}

/// The credit rule on top of [`settle`]: a credited item is billed again only when it was
/// credited to be rebilled. A waived item is taken out of `to_bill` (and out of `changed`)
/// and held with the credit's reason; a withdrawn item needs nothing here, its registration
/// is zero so nothing is expected. The double-billing constraint is untouched: only items
/// without a live claim reach `to_bill`.
pub fn hold_waived(mut settlement: Settlement, waived: &[Waived]) -> (Settlement, Vec<HeldItem>) {
    if waived.is_empty() {
        return (settlement, Vec::new());
    }
    let by_key: BTreeMap<&str, &Waived> = waived.iter().map(|w| (w.key.as_str(), w)).collect();
    let mut held = Vec::new();
    let hold = |item: &BillableItem, w: &Waived| HeldItem {
        key: item.key.clone(),
        line_id: item.line_id.clone(),
        service_period: item.service_period,
        description: item.description.clone(),
        reason: HoldReason::Waived {
            credit_note: w.credit_note.clone(),
            reason: w.reason.clone(),
        },
        amount: item.amount,
        quantity: item.quantity,
    };
    settlement
        .to_bill
        .retain(|item| match by_key.get(item.key.as_str()) {
            Some(w) => {
                held.push(hold(item, w));
                false
            }
            None => true,
        });
    settlement
        .changed
        .retain(|(item, _)| match by_key.get(item.key.as_str()) {
            Some(w) => {
                held.push(hold(item, w));
                false
            }
            None => true,
        });
    (settlement, held)
}

/// The delivery registration behind a billed item, which `withdraw` corrects to nothing:
/// `Some(delivery id)` for an inspanning item ("{line}:dl:{delivery}"), `None` for a
/// milestone or month (nothing registered to withdraw as a quantity).
pub fn withdrawable_delivery(key: &str) -> Option<&str> {
    let (_, rest) = key.split_once(":dl:")?;
    if rest.is_empty() || rest.contains(':') {
        return None;
    }
    Some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units_and_variants_round_trip_their_stored_strings() {
        use sea_orm::{ActiveEnum, Iterable};
        for u in Unit::iter() {
            assert!(Unit::ALL.contains(&u));
            assert_eq!(Unit::parse(u.as_str()), Ok(u));
            assert_eq!(u.to_value(), u.as_str());
            assert_eq!(Unit::try_from_value(&u.as_str().into()).ok(), Some(u));
            assert_eq!(serde_json::to_value(u).unwrap(), u.as_str());
            assert!(!u.label_nl(Quantity::ONE).is_empty());
        }
        assert_eq!(Unit::iter().count(), Unit::ALL.len());
        for v in Variant::iter() {
            assert!(Variant::ALL.contains(&v));
            assert_eq!(Variant::parse(v.as_str()), Ok(v));
            assert_eq!(v.to_value(), v.as_str());
            assert_eq!(Variant::try_from_value(&v.as_str().into()).ok(), Some(v));
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
            assert!(!v.label_nl().is_empty());
        }
        assert_eq!(Variant::iter().count(), Variant::ALL.len());
        assert!(Unit::try_from_value(&"uren".to_string()).is_err());
    }
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        crate::domain::period::parse_date(s).unwrap()
    }
    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }
    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }
    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    fn line(unit: Unit, price: &str, start: &str) -> LineForBilling {
        LineForBilling {
            line_id: "L1".into(),
            unit,
            unit_price: m(price),
            start_date: d(start),
            actual_start: None,
            end_date: None,
            stop_date: None,
            volume: None,
            budget: None,
            milestones: vec![],
            milestones_reached: vec![],
            deliveries: vec![],
        }
    }

    fn start_afronding(price: &str) -> LineForBilling {
        let mut l = line(Unit::Traject, price, "2026-01-05");
        l.end_date = Some(d("2026-12-31"));
        l.milestones = vec![
            MilestoneShare {
                name: "start".into(),
                share: dec!(50),
            },
            MilestoneShare {
                name: "afronding".into(),
                share: dec!(50),
            },
        ];
        l
    }

    fn reached(name: &str, date: &str) -> MilestoneReached {
        MilestoneReached {
            name: name.into(),
            date: d(date),
        }
    }

    fn delivery(id: &str, period: &str, quantity: &str) -> DeliveryRecord {
        DeliveryRecord {
            id: id.into(),
            period: p(period),
            quantity: q(quantity),
            superseded: false,
        }
    }

    fn total(items: &[BillableItem]) -> Money {
        items.iter().map(|i| i.amount).sum()
    }

    fn records(items: &[BillableItem]) -> Vec<BilledRecord> {
        items
            .iter()
            .map(|i| BilledRecord {
                key: i.key.clone(),
                amount: i.amount,
            })
            .collect()
    }

    #[test]
    fn units_and_variants() {
        for unit in Unit::ALL {
            assert_eq!(Unit::parse(unit.as_str()), Ok(unit));
            assert_eq!(
                serde_json::to_string(&unit).unwrap(),
                format!("\"{}\"", unit.as_str())
            );
        }
        assert!(Unit::parse("uren").is_err());
        assert_eq!(Unit::Traject.iwmo_code(), "82");
        assert_eq!(Unit::Maand.iwmo_code(), "83");
        assert_eq!(Unit::Uur.iwmo_code(), "04");
        assert_eq!(Unit::Dagdeel.iwmo_code(), "16");
        assert_eq!(Unit::Stuk.iwmo_code(), "84");
        assert_eq!(variant(Unit::Traject), Variant::Output);
        assert_eq!(variant(Unit::Maand), Variant::Output);
        assert_eq!(Unit::Uur.variant(), Variant::Inspanning);
        assert_eq!(Unit::Dagdeel.variant(), Variant::Inspanning);
        assert_eq!(Unit::Stuk.variant(), Variant::Inspanning);
        assert_eq!(Variant::parse("output"), Ok(Variant::Output));
        assert_eq!(Variant::Inspanning.to_string(), "inspanning");
        assert_eq!(Unit::Uur.describe_quantity(q("12.5")), "12,5 uur");
        assert_eq!(Unit::Dagdeel.describe_quantity(q("1")), "1 dagdeel");
        assert_eq!(Unit::Dagdeel.describe_quantity(q("3")), "3 dagdelen");
        assert_eq!(Unit::Stuk.describe_quantity(q("5")), "5 stuks");
    }

    #[test]
    fn hold_messages_in_dutch() {
        assert_eq!(
            HoldReason::OutsideLineDates {
                date: d("2027-01-12")
            }
            .message(),
            "buiten de looptijd van de regel (12-01-2027)"
        );
        assert_eq!(
            HoldReason::AboveVolume {
                unit: Unit::Uur,
                volume: q("40"),
                requested: q("42.5")
            }
            .message(),
            "boven het bestelde volume (40 uur, gevraagd 42,5)"
        );
        assert_eq!(
            HoldReason::AboveBudget {
                budget: m("3600"),
                remaining: m("100")
            }
            .to_string(),
            "boven het budget van de regel (€ 3.600,00, resterend € 100,00)"
        );
        assert_eq!(
            HoldReason::UnknownMilestone {
                name: "plaatsing".into()
            }
            .message(),
            "onbekende mijlpaal voor dit product: plaatsing"
        );
        let json = serde_json::to_value(HoldReason::AboveBudget {
            budget: m("3600"),
            remaining: m("100"),
        })
        .unwrap();
        assert_eq!(json["kind"], "above_budget");
        assert_eq!(json["remaining"], "100.00");
    }

    // Worked example: 50/50 start/afronding of 2450.00 → 1225.00 + 1225.00 in their periods.
    #[test]
    fn traject_fifty_fifty() {
        let mut l = start_afronding("2450.00");
        l.milestones_reached = vec![
            reached("start", "2026-01-10"),
            reached("afronding", "2026-06-20"),
        ];

        let early = billable_items(&l, p("2026-03"));
        assert_eq!(early.items.len(), 1);
        assert!(early.held.is_empty());

        let all = billable_items(&l, p("2026-06"));
        assert!(all.held.is_empty());
        let [start, afronding] = all.items.as_slice() else {
            panic!("two items expected")
        };
        assert_eq!(start.key, "L1:ms:start");
        assert_eq!(start.service_period, p("2026-01"));
        assert_eq!(
            (start.service_start, start.service_end),
            (d("2026-01-10"), d("2026-01-10"))
        );
        assert_eq!(start.description, "Mijlpaal start");
        assert_eq!(start.quantity, Quantity::ONE);
        assert_eq!(start.amount, m("1225.00"));
        assert_eq!(start.unit_price, m("1225.00"));
        assert_eq!(afronding.key, "L1:ms:afronding");
        assert_eq!(afronding.service_period, p("2026-06"));
        assert_eq!(afronding.amount, m("1225.00"));
        assert_eq!(early.items[0], *start);
    }

    #[test]
    fn traject_last_milestone_takes_the_remainder() {
        let mut l = start_afronding("1000.01");
        l.milestones_reached = vec![
            reached("afronding", "2026-05-01"),
            reached("start", "2026-02-01"),
        ];
        let items = billable_items(&l, p("2026-12")).items;
        assert_eq!(items[0].amount, m("500.01")); // start: 500.005 → 500.01
        assert_eq!(items[1].amount, m("500.00")); // afronding: the remainder
        assert_eq!(total(&items), m("1000.01"));
    }

    // Worked example: a milestone reached after the line's end is held with the reason.
    #[test]
    fn milestone_outside_dates_is_held() {
        let mut l = start_afronding("2450.00");
        l.milestones_reached = vec![
            reached("start", "2026-01-05"),
            reached("afronding", "2027-01-12"),
        ];
        let result = billable_items(&l, p("2027-01"));
        assert_eq!(result.items.len(), 1);
        let [h] = result.held.as_slice() else {
            panic!("one held item expected")
        };
        assert_eq!(h.key, "L1:ms:afronding");
        assert_eq!(h.service_period, p("2027-01"));
        assert_eq!(h.amount, m("1225.00"));
        assert_eq!(
            h.reason,
            HoldReason::OutsideLineDates {
                date: d("2027-01-12")
            }
        );
        assert_eq!(
            h.reason.message(),
            "buiten de looptijd van de regel (12-01-2027)"
        );

        // Before the start, and after a registered stop, are outside too.
        let mut l = start_afronding("2450.00");
        l.stop_date = Some(d("2026-04-30"));
        l.milestones_reached = vec![
            reached("start", "2026-01-04"),
            reached("afronding", "2026-05-01"),
        ];
        let result = billable_items(&l, p("2026-12"));
        assert!(result.items.is_empty());
        assert_eq!(result.held.len(), 2);
        assert!(result
            .held
            .iter()
            .all(|h| matches!(h.reason, HoldReason::OutsideLineDates { .. })));
    }

    #[test]
    fn unknown_duplicate_and_invalid_milestones() {
        let mut l = start_afronding("2450.00");
        l.milestones_reached = vec![
            reached("start", "2026-03-01"),
            reached("start", "2026-02-01"), // earlier: this one counts
            reached("plaatsing", "2026-02-15"),
        ];
        let result = billable_items(&l, p("2026-12"));
        let [start] = result.items.as_slice() else {
            panic!("one item expected")
        };
        assert_eq!(start.service_start, d("2026-02-01"));
        let [unknown] = result.held.as_slice() else {
            panic!("one held item expected")
        };
        assert_eq!(unknown.key, "L1:ms:plaatsing");
        assert_eq!(
            unknown.reason,
            HoldReason::UnknownMilestone {
                name: "plaatsing".into()
            }
        );
        assert_eq!(unknown.amount, Money::ZERO);

        let mut bad = start_afronding("2450.00");
        bad.milestones[1].share = dec!(40);
        bad.milestones_reached = vec![reached("start", "2026-03-01")];
        let result = billable_items(&bad, p("2026-12"));
        assert!(result.items.is_empty());
        assert_eq!(result.held[0].reason, HoldReason::InvalidMilestoneShares);

        let mut twice = start_afronding("2450.00");
        twice.milestones[1].name = "start".into();
        twice.milestones_reached = vec![reached("start", "2026-03-01")];
        assert_eq!(
            billable_items(&twice, p("2026-12")).held[0].reason,
            HoldReason::InvalidMilestoneShares
        );
    }

    // Worked example: 1200.00 a month, 17 Jan to 9 Mar 2026.
    #[test]
    fn month_pro_rata() {
        let mut l = line(Unit::Maand, "1200.00", "2026-01-15");
        l.actual_start = Some(d("2026-01-17"));
        l.stop_date = Some(d("2026-03-09"));
        let items = billable_items(&l, p("2026-06")).items;
        let summary: Vec<(&str, &str, String, String)> = items
            .iter()
            .map(|i| {
                (
                    i.key.as_str(),
                    i.description.as_str(),
                    i.amount.to_string(),
                    i.service_start.to_string(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "L1:mo:2026-01",
                    "Januari 2026 (15/31 dagen)",
                    "580.65".into(),
                    "2026-01-17".into()
                ),
                (
                    "L1:mo:2026-02",
                    "Februari 2026",
                    "1200.00".into(),
                    "2026-02-01".into()
                ),
                (
                    "L1:mo:2026-03",
                    "Maart 2026 (9/31 dagen)",
                    "348.39".into(),
                    "2026-03-01".into()
                ),
            ]
        );
        assert_eq!(items[2].service_end, d("2026-03-09"));
        assert_eq!(items[0].unit_price, items[0].amount);
        assert_eq!(items[0].quantity, Quantity::ONE);
        assert_eq!(total(&items), m("2129.04"));
        // Up to February only January and February.
        assert_eq!(billable_items(&l, p("2026-02")).items, items[..2].to_vec());
    }

    #[test]
    fn month_edges() {
        let mut l = line(Unit::Maand, "1200.00", "2026-01-01");
        assert!(
            billable_items(&l, p("2026-12")).items.is_empty(),
            "not started: nothing"
        );

        // Open-ended: billed through the run's period, whole months.
        l.actual_start = Some(d("2026-01-01"));
        let items = billable_items(&l, p("2026-03")).items;
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|i| i.amount == m("1200.00")));

        // Ordered end mid-month in a leap February; stop later than the end does not extend it.
        l.end_date = Some(d("2028-02-14"));
        l.stop_date = Some(d("2028-03-31"));
        l.actual_start = Some(d("2028-02-01"));
        let items = billable_items(&l, p("2028-12")).items;
        let [feb] = items.as_slice() else {
            panic!("one month expected")
        };
        assert_eq!(feb.description, "Februari 2028 (14/29 dagen)");
        assert_eq!(feb.amount, prorate_month(m("1200.00"), 14, 29));
        assert_eq!(feb.amount, m("579.31")); // 1200 × 14/29 = 579.310…

        // A single day; and a start after the end gives nothing.
        l.end_date = Some(d("2028-02-01"));
        assert_eq!(
            billable_items(&l, p("2028-12")).items[0].description,
            "Februari 2028 (1/29 dagen)"
        );
        l.actual_start = Some(d("2028-02-02"));
        assert!(billable_items(&l, p("2028-12")).items.is_empty());

        // The run's period is before the start: nothing yet.
        l.actual_start = Some(d("2028-02-01"));
        assert!(billable_items(&l, p("2028-01")).items.is_empty());
    }

    // Worked example: 12.5 hours at 87.50 = 1093.75.
    #[test]
    fn hours() {
        let mut l = line(Unit::Uur, "87.50", "2026-11-15");
        l.deliveries = vec![delivery("d1", "2026-12", "12.5")];
        let items = billable_items(&l, p("2026-12")).items;
        let [item] = items.as_slice() else {
            panic!("one item expected")
        };
        assert_eq!(item.key, "L1:dl:d1");
        assert_eq!(item.description, "12,5 uur");
        assert_eq!(item.quantity, q("12.5"));
        assert_eq!(item.unit_price, m("87.50"));
        assert_eq!(item.amount, m("1093.75"));
        assert_eq!(
            (item.service_start, item.service_end),
            (d("2026-12-01"), d("2026-12-31"))
        );
        assert!(
            billable_items(&l, p("2026-11")).items.is_empty(),
            "later period not yet"
        );
    }

    #[test]
    fn deliveries_superseded_clamped_and_outside() {
        let mut l = line(Unit::Dagdeel, "100.00", "2026-01-15");
        l.end_date = Some(d("2026-03-10"));
        l.deliveries = vec![
            delivery("a", "2025-12", "1"),
            delivery("b", "2026-01", "2"),
            DeliveryRecord {
                superseded: true,
                ..delivery("c", "2026-02", "9")
            },
            delivery("d", "2026-02", "3"),
            delivery("e", "2026-03", "0.5"),
            delivery("f", "2026-04", "1"),
        ];
        let result = billable_items(&l, p("2026-12"));
        let keys: Vec<&str> = result.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["L1:dl:b", "L1:dl:d", "L1:dl:e"]);
        assert_eq!(result.items[0].service_start, d("2026-01-15"));
        assert_eq!(result.items[2].service_end, d("2026-03-10"));
        assert_eq!(result.items[1].description, "3 dagdelen");
        let held: Vec<(&str, &HoldReason)> = result
            .held
            .iter()
            .map(|h| (h.key.as_str(), &h.reason))
            .collect();
        assert_eq!(
            held,
            vec![
                (
                    "L1:dl:a",
                    &HoldReason::OutsideLineDates {
                        date: d("2025-12-31")
                    }
                ),
                (
                    "L1:dl:f",
                    &HoldReason::OutsideLineDates {
                        date: d("2026-04-01")
                    }
                ),
            ]
        );
        assert_eq!(result.held[0].amount, m("100.00"));
    }

    // Worked example: 40 hours ordered, deliveries 30 and 12.5 → 30 and 10 billed, 2.5 held.
    #[test]
    fn volume_split() {
        let mut l = line(Unit::Uur, "87.50", "2026-01-01");
        l.volume = Some(q("40"));
        // Given out of order: the volume is used in (period, id) order.
        l.deliveries = vec![
            delivery("d2", "2026-02", "12.5"),
            delivery("d1", "2026-01", "30"),
        ];
        let result = billable_items(&l, p("2026-12"));
        let billed: Vec<(&str, String, Money)> = result
            .items
            .iter()
            .map(|i| (i.key.as_str(), i.quantity.to_string(), i.amount))
            .collect();
        assert_eq!(
            billed,
            vec![
                ("L1:dl:d1", "30".into(), m("2625.00")),
                ("L1:dl:d2", "10".into(), m("875.00"))
            ]
        );
        let [over] = result.held.as_slice() else {
            panic!("one held item expected")
        };
        assert_eq!(over.key, "L1:dl:d2:over");
        assert_eq!(over.quantity, q("2.5"));
        assert_eq!(over.amount, m("218.75"));
        assert_eq!(over.description, "2,5 uur");
        assert_eq!(
            over.reason.message(),
            "boven het bestelde volume (40 uur, gevraagd 42,5)"
        );

        // A later delivery is held whole.
        l.deliveries.push(delivery("d3", "2026-03", "1"));
        let result = billable_items(&l, p("2026-12"));
        assert_eq!(result.items.len(), 2);
        assert_eq!(result.held.len(), 2);
        assert_eq!(result.held[1].key, "L1:dl:d3:over");
        assert_eq!(
            result.held[1].reason,
            HoldReason::AboveVolume {
                unit: Unit::Uur,
                volume: q("40"),
                requested: q("43.5")
            }
        );
    }

    // Worked example: budget 3600.00; the item that would exceed it and all later ones are held.
    #[test]
    fn budget_hold() {
        let mut l = line(Unit::Uur, "100.00", "2026-01-01");
        l.budget = Some(m("3600.00"));
        l.deliveries = vec![
            delivery("a", "2026-01", "20"),  // 2000.00
            delivery("b", "2026-02", "15"),  // 1500.00 → 3500.00
            delivery("c", "2026-03", "2"),   //  200.00 → would be 3700.00: held
            delivery("d", "2026-04", "0.5"), //   50.00 would fit, but is after c: held
        ];
        let result = billable_items(&l, p("2026-12"));
        assert_eq!(total(&result.items), m("3500.00"));
        let held: Vec<(&str, Money)> = result
            .held
            .iter()
            .map(|h| (h.key.as_str(), h.amount))
            .collect();
        assert_eq!(
            held,
            vec![("L1:dl:c", m("200.00")), ("L1:dl:d", m("50.00"))]
        );
        let reason = HoldReason::AboveBudget {
            budget: m("3600.00"),
            remaining: m("100.00"),
        };
        assert!(result.held.iter().all(|h| h.reason == reason));
        assert_eq!(
            result.held[0].reason.message(),
            "boven het budget van de regel (€ 3.600,00, resterend € 100,00)"
        );

        // Exactly reaching the budget is fine.
        l.deliveries.truncate(2);
        l.deliveries.push(delivery("c", "2026-03", "1"));
        assert_eq!(total(&billable_items(&l, p("2026-12")).items), m("3600.00"));
    }

    #[test]
    fn budget_applies_to_output_lines_too() {
        let mut l = line(Unit::Maand, "1000.00", "2026-01-01");
        l.actual_start = Some(d("2026-01-01"));
        l.budget = Some(m("2500.00"));
        let result = billable_items(&l, p("2026-04"));
        assert_eq!(result.items.len(), 2);
        assert_eq!(result.held.len(), 2);
        assert_eq!(result.held[0].key, "L1:mo:2026-03");
    }

    #[test]
    fn settle_basics() {
        let mut l = line(Unit::Uur, "10.00", "2026-01-01");
        l.deliveries = vec![delivery("a", "2026-01", "1"), delivery("b", "2026-02", "2")];
        let expected = billable_items(&l, p("2026-02")).items;

        let first = settle(expected.clone(), &[]);
        assert_eq!(first.to_bill, expected);
        assert!(first.changed.is_empty() && first.no_longer_expected.is_empty());

        let billed = records(&expected);
        assert!(settle(expected.clone(), &billed).is_empty());

        // b was corrected to 3 hours: changed, and stays changed until credited.
        l.deliveries[1] = delivery("b2", "2026-02", "3");
        let corrected = billable_items(&l, p("2026-02")).items;
        let s = settle(corrected.clone(), &billed);
        assert!(s.to_bill.iter().any(|i| i.key == "L1:dl:b2"));
        assert_eq!(
            s.no_longer_expected,
            vec![BilledRecord {
                key: "L1:dl:b".into(),
                amount: m("20.00")
            }]
        );

        // Same key with a new amount.
        let mut bigger = expected.clone();
        bigger[1].amount = m("30.00");
        let s = settle(bigger.clone(), &billed);
        assert!(s.to_bill.is_empty());
        assert_eq!(s.changed, vec![(bigger[1].clone(), m("20.00"))]);

        // After a credit note (a separate record netting to zero) it is billed again.
        let mut with_credit = billed.clone();
        with_credit.push(BilledRecord {
            key: "L1:dl:b".into(),
            amount: m("-20.00"),
        });
        let s = settle(bigger.clone(), &with_credit);
        assert_eq!(s.to_bill, vec![bigger[1].clone()]);
        assert!(s.changed.is_empty());
    }

    #[test]
    fn settle_ignores_zero_items_and_duplicate_keys() {
        let mut l = line(Unit::Stuk, "0.00", "2026-01-01");
        l.deliveries = vec![delivery("a", "2026-01", "1")];
        let expected = billable_items(&l, p("2026-01")).items;
        assert_eq!(expected.len(), 1);
        assert!(settle(expected, &[]).is_empty());

        l.unit_price = m("5.00");
        let item = billable_items(&l, p("2026-01")).items.remove(0);
        let s = settle(vec![item.clone(), item.clone()], &[]);
        assert_eq!(s.to_bill, vec![item.clone()]);
        // Zero-net billed records are not "no longer expected".
        let s = settle(
            vec![],
            &[BilledRecord {
                key: "x".into(),
                amount: Money::ZERO,
            }],
        );
        assert!(s.is_empty());
    }

    // ---- property tests ----

    fn shares_strategy() -> impl Strategy<Value = Vec<Decimal>> {
        proptest::collection::btree_set(1u32..10_000, 0..5).prop_map(|cuts| {
            let mut bounds = vec![0u32];
            bounds.extend(cuts);
            bounds.push(10_000);
            bounds
                .windows(2)
                .map(|w| Decimal::new(i64::from(w[1] - w[0]), 2))
                .collect()
        })
    }

    fn base() -> NaiveDate {
        d("2026-01-01")
    }

    fn plus_days(days: i64) -> NaiveDate {
        base() + chrono::Duration::days(days)
    }

    fn plus_months(months: u32) -> Period {
        (0..months).fold(Period::of(base()), |p, _| p.next())
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("m{i}")).collect()
    }

    /// Any line: every unit, dates, optional volume and budget, milestones (some unknown,
    /// some outside the dates, some twice), deliveries (some superseded, some outside).
    fn arb_line() -> impl Strategy<Value = LineForBilling> {
        let dates = (
            0i64..200,
            proptest::option::of(0i64..700),
            proptest::option::of(0i64..700),
            proptest::option::of(-20i64..400),
        );
        let limits = (
            proptest::option::of(0i64..80_000),
            proptest::option::weighted(0.3, 0i64..20_000_000),
            0i64..400_000,
            0usize..Unit::ALL.len(),
        );
        let events = (
            shares_strategy(),
            proptest::collection::vec((0usize..7, -30i64..800), 0..8),
            proptest::collection::vec(
                (0u32..30, 0i64..30_000, proptest::bool::weighted(0.15)),
                0..12,
            ),
        );
        (dates, limits, events).prop_map(
            |(
                (start, end, stop, actual),
                (volume, budget, price, unit),
                (shares, reached, deliveries),
            )| {
                let names = names(shares.len());
                LineForBilling {
                    line_id: "L".into(),
                    unit: Unit::ALL[unit],
                    unit_price: Money::from_cents(price),
                    start_date: plus_days(start),
                    actual_start: actual.map(|a| plus_days(start + a)),
                    end_date: end.map(|e| plus_days(start + e)),
                    stop_date: stop.map(|s| plus_days(start + s)),
                    volume: volume.map(Quantity::from_thousandths),
                    budget: budget.map(Money::from_cents),
                    milestones: names
                        .iter()
                        .zip(&shares)
                        .map(|(name, share)| MilestoneShare {
                            name: name.clone(),
                            share: *share,
                        })
                        .collect(),
                    milestones_reached: reached
                        .into_iter()
                        .map(|(i, day)| MilestoneReached {
                            name: format!("m{i}"),
                            date: plus_days(start + day),
                        })
                        .collect(),
                    deliveries: deliveries
                        .into_iter()
                        .enumerate()
                        .map(|(i, (month, thousandths, superseded))| DeliveryRecord {
                            id: format!("d{i:02}"),
                            period: plus_months(month),
                            quantity: Quantity::from_thousandths(thousandths),
                            superseded,
                        })
                        .collect(),
                }
            },
        )
    }

    fn last_period() -> Period {
        plus_months(40)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        // (1) A completed trajectory bills exactly its price over all periods.
        #[test]
        fn completed_traject_sums_to_price(
            cents in 0i64..1_000_000_000,
            shares in shares_strategy(),
            length in 0i64..400,
            offsets in proptest::collection::vec(0i64..=1000, 5),
        ) {
            let names = names(shares.len());
            let mut l = line(Unit::Traject, "0", "2026-03-01");
            l.unit_price = Money::from_cents(cents);
            l.end_date = Some(l.start_date + chrono::Duration::days(length));
            l.milestones = names.iter().zip(&shares).map(|(n, s)| MilestoneShare { name: n.clone(), share: *s }).collect();
            l.milestones_reached = names
                .iter()
                .zip(&offsets)
                .map(|(n, o)| MilestoneReached { name: n.clone(), date: l.start_date + chrono::Duration::days(o * length / 1000) })
                .collect();
            let end_period = Period::of(l.end_date.unwrap());
            let result = billable_items(&l, end_period);
            prop_assert!(result.held.is_empty());
            prop_assert_eq!(result.items.len(), shares.len());
            prop_assert_eq!(total(&result.items), l.unit_price);
            // Summed per period, over every period, it is the same.
            let per_period: Money = Period::of(l.start_date)
                .iter_to(end_period)
                .flat_map(|period| billable_items(&l, period).items.into_iter().filter(move |i| i.service_period == period))
                .map(|i| i.amount)
                .sum();
            prop_assert_eq!(per_period, l.unit_price);
            for item in &result.items {
                prop_assert!(item.service_period.contains(item.service_start));
            }
        }

        // (2) Billing period by period equals billing at once; settling again bills nothing.
        #[test]
        fn period_by_period_equals_all_at_once(l in arb_line()) {
            let mut billed: Vec<BilledRecord> = Vec::new();
            for period in Period::of(base()).iter_to(last_period()) {
                let s = settle(billable_items(&l, period).items, &billed);
                prop_assert!(s.changed.is_empty(), "changed in {}: {:?}", period, s.changed);
                prop_assert!(s.no_longer_expected.is_empty());
                billed.extend(records(&s.to_bill));
            }
            let at_once = billable_items(&l, last_period()).items;
            prop_assert_eq!(billed.iter().map(|r| r.amount).sum::<Money>(), total(&at_once));
            let again = settle(at_once.clone(), &billed);
            prop_assert!(again.is_empty(), "{:?}", again);

            let first = settle(at_once.clone(), &[]);
            let recorded = records(&first.to_bill);
            prop_assert!(settle(at_once, &recorded).to_bill.is_empty());
        }

        // (3) Crediting an item and re-running bills that item again, with the same amount.
        #[test]
        fn credit_and_rebill(l in arb_line(), pick in any::<prop::sample::Index>(), as_record in any::<bool>()) {
            let expected = billable_items(&l, last_period()).items;
            let mut billed = records(&settle(expected.clone(), &[]).to_bill);
            if billed.is_empty() {
                return Ok(()); // nothing billed, nothing to credit
            }
            let k = pick.index(billed.len());
            let credited = billed[k].clone();
            if as_record {
                billed.push(BilledRecord { key: credited.key.clone(), amount: -credited.amount });
            } else {
                billed[k].amount = Money::ZERO;
            }
            let s = settle(expected, &billed);
            prop_assert!(s.changed.is_empty() && s.no_longer_expected.is_empty());
            prop_assert_eq!(s.to_bill.len(), 1);
            prop_assert_eq!(&s.to_bill[0].key, &credited.key);
            prop_assert_eq!(s.to_bill[0].amount, credited.amount);
            // Credit + re-bill nets to zero: the net billed total is back where it was.
            let before: Money = billed.iter().map(|r| r.amount).sum::<Money>() + credited.amount;
            let after: Money = billed.iter().map(|r| r.amount).sum::<Money>() + s.to_bill[0].amount;
            prop_assert_eq!(before, after);
        }

        // Nothing is dropped silently; nothing is billed outside dates, volume or budget.
        #[test]
        fn nothing_dropped_and_limits_respected(l in arb_line()) {
            let up_to = last_period();
            let result = billable_items(&l, up_to);
            let keys: Vec<&str> = result.items.iter().map(|i| i.key.as_str())
                .chain(result.held.iter().map(|h| h.key.as_str())).collect();
            let unique: HashSet<&str> = keys.iter().copied().collect();
            prop_assert_eq!(unique.len(), keys.len(), "keys are unique");
            prop_assert!(result.items.windows(2).all(|w| (w[0].service_start, &w[0].key) <= (w[1].service_start, &w[1].key)));
            for item in &result.items {
                prop_assert!(item.service_start <= item.service_end);
                prop_assert!(item.service_period.contains(item.service_start));
                prop_assert!(item.service_period.contains(item.service_end));
                prop_assert!(item.service_period <= up_to);
            }
            if let Some(budget) = l.budget {
                prop_assert!(total(&result.items) <= budget);
            }
            match l.unit {
                Unit::Traject => {
                    let reached: HashSet<&str> = l.milestones_reached.iter()
                        .filter(|r| r.date <= up_to.last_day())
                        .map(|r| r.name.as_str()).collect();
                    prop_assert_eq!(keys.len(), reached.len());
                }
                Unit::Maand => {
                    for item in &result.items {
                        prop_assert!(Some(item.service_start) >= l.actual_start);
                        prop_assert!(l.end_date.is_none_or(|e| item.service_end <= e));
                        prop_assert!(l.stop_date.is_none_or(|s| item.service_end <= s));
                    }
                }
                Unit::Uur | Unit::Dagdeel | Unit::Stuk => {
                    let eligible: Vec<&DeliveryRecord> = l.deliveries.iter().filter(|d| !d.superseded && d.period <= up_to).collect();
                    let registered: Quantity = eligible.iter().map(|d| d.quantity).sum();
                    let accounted: Quantity = result.items.iter().map(|i| i.quantity)
                        .chain(result.held.iter().map(|h| h.quantity)).sum();
                    prop_assert_eq!(registered, accounted);
                    for delivery in eligible {
                        let key = format!("L:dl:{}", delivery.id);
                        let over = format!("L:dl:{}:over", delivery.id);
                        prop_assert!(unique.contains(key.as_str()) || unique.contains(over.as_str()));
                    }
                    if let Some(volume) = l.volume {
                        prop_assert!(result.items.iter().map(|i| i.quantity).sum::<Quantity>() <= volume);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod disposition_tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn dispositions_round_trip_and_explain_themselves() {
        use sea_orm::ActiveEnum;
        for d in Disposition::ALL {
            assert_eq!(Disposition::parse(d.as_str()), Ok(d));
            assert_eq!(d.to_value(), d.as_str());
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
            assert!(d.explanation_nl().ends_with('.'));
        }
        let err = Disposition::parse("vergeten").unwrap_err();
        assert!(err.contains("rebill") && err.contains("waive") && err.contains("withdraw"));
        assert_eq!(Disposition::default(), Disposition::Rebill);
    }

    #[test]
    fn withdrawable_only_for_deliveries() {
        assert_eq!(withdrawable_delivery("L1:dl:d7"), Some("d7"));
        assert_eq!(withdrawable_delivery("L1:dl:d7:over"), None);
        assert_eq!(withdrawable_delivery("L1:ms:start"), None);
        assert_eq!(withdrawable_delivery("L1:mo:2026-03"), None);
    }

    #[test]
    fn a_waived_item_is_held_with_its_reason_not_billed() {
        let item = |key: &str| BillableItem {
            key: key.into(),
            line_id: "L1".into(),
            service_period: Period::parse("2026-11").unwrap(),
            service_start: Period::parse("2026-11").unwrap().first_day(),
            service_end: Period::parse("2026-11").unwrap().last_day(),
            description: "21 uur".into(),
            quantity: Quantity::parse("21").unwrap(),
            unit_price: Money::parse("72,50").unwrap(),
            amount: Money::parse("1522,50").unwrap(),
        };
        let s = settle(vec![item("L1:dl:a"), item("L1:dl:b")], &[]);
        let waived = [Waived {
            key: "L1:dl:a".into(),
            credit_note: "2026-000004".into(),
            reason: "dubbel geregistreerd".into(),
        }];
        let (s, held) = hold_waived(s, &waived);
        assert_eq!(s.to_bill.len(), 1);
        assert_eq!(s.to_bill[0].key, "L1:dl:b");
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].key, "L1:dl:a");
        assert_eq!(
            held[0].reason.message(),
            "gecrediteerd op CN 2026-000004, niet opnieuw te factureren (dubbel geregistreerd)"
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Register {
            month: u32,
            hours: i64,
        },
        Correct {
            pick: usize,
            hours: i64,
        },
        Run,
        Credit {
            pick: usize,
            disposition: Disposition,
        },
    }

    fn arb_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1u32..=4, 1i64..=30).prop_map(|(month, hours)| Op::Register { month, hours }),
            (0usize..50, 0i64..=30).prop_map(|(pick, hours)| Op::Correct { pick, hours }),
            Just(Op::Run),
            Just(Op::Run),
            (
                0usize..50,
                prop_oneof![
                    Just(Disposition::Rebill),
                    Just(Disposition::Waive),
                    Just(Disposition::Withdraw)
                ]
            )
                .prop_map(|(pick, disposition)| Op::Credit { pick, disposition }),
        ]
    }

    /// The pure model of runs and credits: live claims (one per key, the database's
    /// primary key), the waived items, and the deliveries as registered.
    struct Books {
        line: LineForBilling,
        claims: BTreeMap<String, Money>,
        waived: Vec<Waived>,
        next_id: usize,
        rebilled: Vec<String>,
        withdrawn: Vec<String>,
    }

    impl Books {
        fn live_deliveries(&self) -> Vec<usize> {
            (0..self.line.deliveries.len())
                .filter(|&i| !self.line.deliveries[i].superseded)
                .collect()
        }

        fn register(&mut self, period: Period, hours: i64) -> String {
            let id = format!("d{}", self.next_id);
            self.next_id += 1;
            self.line.deliveries.push(DeliveryRecord {
                id: id.clone(),
                period,
                quantity: Quantity::from_thousandths(hours * 1000),
                superseded: false,
            });
            id
        }

        fn correct(&mut self, index: usize, hours: i64) -> String {
            self.line.deliveries[index].superseded = true;
            let period = self.line.deliveries[index].period;
            self.register(period, hours)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        // Random registrations, corrections, runs and credits with a disposition: no item
        // is ever billed while it has a live claim, a waived item is never billed again,
        // and after a rebill the next run bills exactly what is registered then.
        #[test]
        fn credits_with_a_disposition_never_bill_twice_or_waived(
            ops in proptest::collection::vec(arb_op(), 1..40),
            volume in proptest::option::of(10i64..=60),
        ) {
            let mut line = LineForBilling {
                line_id: "L1".into(),
                unit: Unit::Uur,
                unit_price: Money::parse("72,50").unwrap(),
                start_date: crate::domain::period::parse_date("2026-01-01").unwrap(),
                actual_start: None,
                end_date: None,
                stop_date: None,
                volume: None,
                budget: None,
                milestones: vec![],
                milestones_reached: vec![],
                deliveries: vec![],
            };
            line.volume = volume.map(|v| Quantity::from_thousandths(v * 1000));
            let up_to = Period::parse("2026-06").unwrap();
            let mut books = Books { line, claims: BTreeMap::new(), waived: vec![], next_id: 0, rebilled: vec![], withdrawn: vec![] };
            for op in ops {
                match op {
                    Op::Register { month, hours } => {
                        let period = Period::parse(&format!("2026-{month:02}")).unwrap();
                        books.register(period, hours);
                    }
                    Op::Correct { pick, hours } => {
                        let live = books.live_deliveries();
                        if !live.is_empty() {
                            books.correct(live[pick % live.len()], hours);
                        }
                    }
                    Op::Credit { pick, disposition } => {
                        let keys: Vec<String> = books.claims.keys().cloned().collect();
                        if keys.is_empty() {
                            continue;
                        }
                        let key = keys[pick % keys.len()].clone();
                        books.claims.remove(&key);
                        match disposition {
                            Disposition::Rebill => books.rebilled.push(key),
                            Disposition::Waive => books.waived.push(Waived {
                                key,
                                credit_note: "CN".into(),
                                reason: "coulance".into(),
                            }),
                            Disposition::Withdraw => {
                                let id = withdrawable_delivery(&key).map(str::to_string);
                                let index = id.and_then(|id| {
                                    books.line.deliveries.iter().position(|d| d.id == id && !d.superseded)
                                });
                                if let Some(index) = index {
                                    let zero = books.correct(index, 0);
                                    books.withdrawn.push(format!("L1:dl:{zero}"));
                                }
                                books.withdrawn.push(key);
                            }
                        }
                    }
                    Op::Run => {
                        let expected = billable_items(&books.line, up_to).items;
                        let billed: Vec<BilledRecord> = books
                            .claims
                            .iter()
                            .map(|(key, amount)| BilledRecord { key: key.clone(), amount: *amount })
                            .collect();
                        let (settlement, held) = hold_waived(settle(expected.clone(), &billed), &books.waived);
                        for item in settlement.to_bill {
                            prop_assert!(!books.claims.contains_key(&item.key), "billed twice: {}", item.key);
                            prop_assert!(!books.waived.iter().any(|w| w.key == item.key), "waived item billed: {}", item.key);
                            prop_assert!(!item.amount.is_zero());
                            books.claims.insert(item.key, item.amount);
                        }
                        for h in &held {
                            prop_assert!(books.waived.iter().any(|w| w.key == h.key));
                            prop_assert!(!books.claims.contains_key(&h.key));
                        }
                        let expected_now: BTreeMap<&str, Money> = expected
                            .iter()
                            .map(|i| (i.key.as_str(), i.amount))
                            .collect();
                        // A rebilled item is billed exactly as registered now (or not at all
                        // when nothing is due for it any more).
                        for key in std::mem::take(&mut books.rebilled) {
                            match expected_now.get(key.as_str()).filter(|a| !a.is_zero()) {
                                Some(amount) => prop_assert_eq!(books.claims.get(&key), Some(amount)),
                                None => prop_assert!(!books.claims.contains_key(&key)),
                            }
                        }
                        // Withdrawn work has nothing left to bill.
                        for key in &books.withdrawn {
                            prop_assert!(!books.claims.contains_key(key), "withdrawn work billed: {}", key);
                        }
                        // Everything registered, not waived and due is billed (with a live
                        // claim, possibly of an earlier amount for finance to review).
                        for (key, amount) in &expected_now {
                            if !amount.is_zero() && !books.waived.iter().any(|w| w.key == *key) {
                                prop_assert!(books.claims.contains_key(*key), "registered but not billed: {}", key);
                            }
                        }
                    }
                }
            }
        }
    }
}
