//! Offers compared side by side: the indicators of how a product has gone so far, and the
//! orders an offer list may be shown in. Pure arithmetic; the loading is in
//! `views/offers.rs`.
//!
//! What each indicator counts, over the 12 months up to today, across all municipalities,
//! per product (one order line is one trajectory's use of the product):
//! - `started`: lines started (start registered) in the window;
//! - `completed`: lines completed in the window;
//! - `goal_reached_share`: of the lines ended in the window (completed or stopped), the
//!   share whose outcome counts as the goal reached (`Outcome::goal_reached`);
//! - `median_days_to_start`: over the lines started in the window, the median of start
//!   date − order date, in days;
//! - `median_weeks`: over the lines completed in the window, the median of end date − start
//!   date, in weeks (one decimal).
//!
//! Each figure is none when it rests on fewer than [`MIN_TRAJECTORIES`] lines: too few to
//! mean anything, and too few to keep clients unrecognisable.

use std::cmp::Ordering;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

use crate::domain::money::Money;
use crate::domain::trajectory::{Outcome, Status};

/// Below this many trajectories a figure is not shown.
pub const MIN_TRAJECTORIES: usize = 5;

/// One order line as the indicators read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRecord {
    /// The day the trajectory was ordered.
    pub ordered_on: NaiveDate,
    pub status: Status,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub outcome: Option<Outcome>,
}

/// How a product has gone so far; each figure none below [`MIN_TRAJECTORIES`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Indicators {
    pub started: Option<u32>,
    pub completed: Option<u32>,
    /// 0 to 1, two decimals.
    pub goal_reached_share: Option<Decimal>,
    /// Days, at most one decimal (x.5 for an even count).
    pub median_days_to_start: Option<Decimal>,
    /// Weeks, one decimal.
    pub median_weeks: Option<Decimal>,
}

/// The first day of the 12 months that end today.
pub fn window_start(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN)
        .succ_opt()
        .unwrap_or(today)
}

/// A count, or none when it is below the minimum.
fn shown(count: usize) -> Option<u32> {
    (count >= MIN_TRAJECTORIES).then(|| u32::try_from(count).unwrap_or(u32::MAX))
}

/// The median of the values (the mean of the middle two for an even count), or none below
/// the minimum.
pub fn median(mut values: Vec<i64>) -> Option<Decimal> {
    if values.len() < MIN_TRAJECTORIES {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        Decimal::from(values[mid])
    } else {
        (Decimal::from(values[mid - 1]) + Decimal::from(values[mid])) / Decimal::TWO
    })
}

/// `part / whole` rounded half-up to two decimals, or none when `whole` is below the
/// minimum.
pub fn share(part: usize, whole: usize) -> Option<Decimal> {
    if whole < MIN_TRAJECTORIES {
        return None;
    }
    let ratio = Decimal::from(part as u64) / Decimal::from(whole as u64);
    Some(ratio.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

/// The indicators of one product from its order lines, on `today`.
pub fn indicators(records: &[LineRecord], today: NaiveDate) -> Indicators {
    let from = window_start(today);
    let in_window = |d: Option<NaiveDate>| d.filter(|d| *d >= from && *d <= today);
    let started: Vec<&LineRecord> = records
        .iter()
        .filter(|r| in_window(r.started_on).is_some())
        .collect();
    let ended: Vec<&LineRecord> = records
        .iter()
        .filter(|r| matches!(r.status, Status::Completed | Status::Stopped))
        .filter(|r| in_window(r.ended_on).is_some())
        .collect();
    let completed: Vec<&LineRecord> = ended
        .iter()
        .copied()
        .filter(|r| r.status == Status::Completed)
        .collect();
    let reached = ended
        .iter()
        .filter(|r| r.outcome.is_some_and(Outcome::goal_reached))
        .count();
    let days_to_start = started
        .iter()
        .filter_map(|r| Some((r.started_on? - r.ordered_on).num_days().max(0)))
        .collect();
    let days_running: Vec<i64> = completed
        .iter()
        .filter_map(|r| Some((r.ended_on? - r.started_on?).num_days().max(0)))
        .collect();
    Indicators {
        started: shown(started.len()),
        completed: shown(completed.len()),
        goal_reached_share: share(reached, ended.len()),
        median_days_to_start: median(days_to_start),
        median_weeks: median(days_running).map(|days| {
            (days / Decimal::from(7))
                .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        }),
    }
}

/// The orders an offer list may be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Favours no provider: a shuffle that is fixed for a day and changes the next.
    #[default]
    Neutral,
    /// Lowest contract price first.
    Price,
    /// Shortest median waiting time to start first.
    Waiting,
    /// Highest share of goals reached first.
    Outcome,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Neutral, Sort::Price, Sort::Waiting, Sort::Outcome];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Neutral => "neutral",
            Sort::Price => "price",
            Sort::Waiting => "waiting",
            Sort::Outcome => "outcome",
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            Sort::Neutral => "willekeurig (wisselt per dag)",
            Sort::Price => "prijs, laagste eerst",
            Sort::Waiting => "wachttijd tot start, kortste eerst",
            Sort::Outcome => "doel bereikt, hoogste aandeel eerst",
        }
    }

    /// Absent or empty is neutral.
    pub fn parse(text: &str) -> Result<Sort, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Sort::Neutral);
        }
        Sort::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                format!("onbekende sortering {text:?} (neutral, price, waiting of outcome)")
            })
    }
}

/// The neutral position of a product on a date: a hash (FNV-1a, 64 bits) of the date and
/// the product code. The same for a date, different across days, blind to provider and
/// price.
pub fn neutral_key(date: NaiveDate, product_code: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in date
        .to_string()
        .bytes()
        .chain(std::iter::once(b'|'))
        .chain(product_code.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Mix the last bytes into the high bits too (FNV's low bits follow the input closely).
    hash ^= hash >> 29;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^ (hash >> 32)
}

/// What an offer is sorted by.
#[derive(Debug, Clone, Copy)]
pub struct SortFacts<'a> {
    pub product_code: &'a str,
    pub price: Money,
    pub median_days_to_start: Option<Decimal>,
    pub goal_reached_share: Option<Decimal>,
}

/// Known values before unknown ones, smaller first.
fn known_first<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Sorts offers in the order asked for on `today`; ties (and unknown figures) keep the
/// neutral order, so that no provider is favoured among equals.
pub fn sort_offers<T>(
    offers: &mut [T],
    sort: Sort,
    today: NaiveDate,
    facts: impl Fn(&T) -> SortFacts<'_>,
) {
    offers.sort_by(|a, b| {
        let (a, b) = (facts(a), facts(b));
        let neutral = || {
            neutral_key(today, a.product_code)
                .cmp(&neutral_key(today, b.product_code))
                .then_with(|| a.product_code.cmp(b.product_code))
        };
        let first = match sort {
            Sort::Neutral => Ordering::Equal,
            Sort::Price => a.price.cmp(&b.price),
            Sort::Waiting => known_first(a.median_days_to_start, b.median_days_to_start),
            Sort::Outcome => known_first(
                a.goal_reached_share.map(std::cmp::Reverse),
                b.goal_reached_share.map(std::cmp::Reverse),
            ),
        };
        first.then_with(neutral)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn completed(ordered: NaiveDate, wait: i64, days: i64, outcome: Outcome) -> LineRecord {
        let start = ordered + chrono::Duration::days(wait);
        LineRecord {
            ordered_on: ordered,
            status: Status::Completed,
            started_on: Some(start),
            ended_on: Some(start + chrono::Duration::days(days)),
            outcome: Some(outcome),
        }
    }

    #[test]
    fn median_of_odd_and_even_counts_and_none_below_five() {
        assert_eq!(median(vec![4, 1, 3, 2]), None);
        assert_eq!(median(vec![5, 1, 3, 2, 4]), Some(Decimal::from(3)));
        assert_eq!(
            median(vec![6, 1, 3, 2, 4, 5]),
            Some(Decimal::new(35, 1)),
            "mean of the middle two"
        );
    }

    #[test]
    fn share_rounds_half_up_and_needs_five() {
        assert_eq!(share(3, 4), None);
        assert_eq!(share(2, 3 * 2), Some(Decimal::new(33, 2)));
        assert_eq!(share(5, 8), Some(Decimal::new(63, 2)), "0.625 rounds up");
        assert_eq!(share(0, 5), Some(Decimal::ZERO));
    }

    #[test]
    fn four_trajectories_show_nothing_five_show_every_figure() {
        let today = d(2026, 12, 1);
        let four: Vec<LineRecord> = (0..4)
            .map(|i| completed(d(2026, 3, 1), 7 + i, 56, Outcome::GoalReached))
            .collect();
        assert_eq!(indicators(&four, today), Indicators::default());
        let mut five = four.clone();
        five.push(completed(d(2026, 3, 1), 20, 70, Outcome::GoalNotReached));
        let shown = indicators(&five, today);
        assert_eq!(shown.started, Some(5));
        assert_eq!(shown.completed, Some(5));
        assert_eq!(shown.goal_reached_share, Some(Decimal::new(80, 2)));
        // waits 7, 8, 9, 10, 20 → 9 days; durations 56×4, 70 → 56 days = 8 weeks
        assert_eq!(shown.median_days_to_start, Some(Decimal::from(9)));
        assert_eq!(shown.median_weeks, Some(Decimal::from(8)));
    }

    #[test]
    fn only_the_last_twelve_months_count() {
        let today = d(2026, 12, 1);
        let old: Vec<LineRecord> = (0..5)
            .map(|_| completed(d(2025, 1, 1), 10, 30, Outcome::GoalReached))
            .collect();
        assert_eq!(indicators(&old, today), Indicators::default());
        assert_eq!(window_start(today), d(2025, 12, 2));
    }

    #[test]
    fn started_lines_count_without_completion_and_stopped_lines_count_as_ended() {
        let today = d(2026, 12, 1);
        let mut records: Vec<LineRecord> = (0..5)
            .map(|i| LineRecord {
                ordered_on: d(2026, 6, 1),
                status: Status::Started,
                started_on: Some(d(2026, 6, 1 + i)),
                ended_on: None,
                outcome: None,
            })
            .collect();
        let figures = indicators(&records, today);
        assert_eq!(figures.started, Some(5));
        assert_eq!(figures.median_days_to_start, Some(Decimal::from(2)));
        assert_eq!(figures.completed, None);
        assert_eq!(figures.goal_reached_share, None);
        for r in &mut records {
            r.status = Status::Stopped;
            r.ended_on = Some(d(2026, 7, 1));
            r.outcome = Some(Outcome::Other);
        }
        let figures = indicators(&records, today);
        assert_eq!(figures.completed, None, "stopped is not completed");
        assert_eq!(figures.goal_reached_share, Some(Decimal::ZERO));
    }

    #[test]
    fn sort_parses_and_refuses_unknown() {
        assert_eq!(Sort::parse(""), Ok(Sort::Neutral));
        assert_eq!(Sort::parse("price"), Ok(Sort::Price));
        assert!(Sort::parse("best").is_err());
    }

    struct O {
        code: String,
        provider: &'static str,
        price: Money,
        wait: Option<Decimal>,
        reached: Option<Decimal>,
    }

    fn catalogue() -> Vec<O> {
        (0..40)
            .map(|i| O {
                code: format!("P{i:03}"),
                provider: if i % 2 == 0 { "AAA" } else { "ZZZ" },
                price: Money::from_cents(1000 + i * 100),
                wait: (i % 3 != 0).then(|| Decimal::from(i % 7)),
                reached: (i % 4 != 0).then(|| Decimal::new(i % 10, 1)),
            })
            .collect()
    }

    fn facts(o: &O) -> SortFacts<'_> {
        SortFacts {
            product_code: &o.code,
            price: o.price,
            median_days_to_start: o.wait,
            goal_reached_share: o.reached,
        }
    }

    fn order(sort: Sort, today: NaiveDate) -> Vec<String> {
        let mut offers = catalogue();
        sort_offers(&mut offers, sort, today, facts);
        offers.into_iter().map(|o| o.code).collect()
    }

    #[test]
    fn neutral_order_is_fixed_for_a_day_and_changes_across_days() {
        let day = d(2026, 12, 7);
        assert_eq!(order(Sort::Neutral, day), order(Sort::Neutral, day));
        let mut orders: Vec<Vec<String>> = (0..10)
            .map(|i| order(Sort::Neutral, day + chrono::Duration::days(i)))
            .collect();
        orders.dedup();
        assert_eq!(orders.len(), 10, "each of ten days has its own order");
    }

    #[test]
    fn neutral_order_follows_neither_provider_nor_price_nor_code() {
        let mut provider_grouped = 0;
        let mut price_ordered = 0;
        let mut first_provider_aaa = 0;
        let days = 60;
        for i in 0..days {
            let day = d(2026, 1, 1) + chrono::Duration::days(i);
            let mut offers = catalogue();
            sort_offers(&mut offers, Sort::Neutral, day, facts);
            let providers: Vec<&str> = offers.iter().map(|o| o.provider).collect();
            let mut grouped = providers.clone();
            grouped.dedup();
            if grouped.len() <= 2 {
                provider_grouped += 1;
            }
            if offers.windows(2).all(|w| w[0].price <= w[1].price)
                || offers.windows(2).all(|w| w[0].price >= w[1].price)
            {
                price_ordered += 1;
            }
            if providers[0] == "AAA" {
                first_provider_aaa += 1;
            }
        }
        assert_eq!(provider_grouped, 0, "never one provider's block first");
        assert_eq!(price_ordered, 0, "never in price order");
        // Each provider comes first on some days and not on others.
        assert!(
            (10..=50).contains(&first_provider_aaa),
            "AAA first on {first_provider_aaa} of {days} days"
        );
    }

    #[test]
    fn price_waiting_and_outcome_orders() {
        let day = d(2026, 12, 7);
        let mut offers = catalogue();
        sort_offers(&mut offers, Sort::Price, day, facts);
        assert!(offers.windows(2).all(|w| w[0].price <= w[1].price));

        sort_offers(&mut offers, Sort::Waiting, day, facts);
        let waits: Vec<Option<Decimal>> = offers.iter().map(|o| o.wait).collect();
        let known = waits.iter().take_while(|w| w.is_some()).count();
        assert!(waits[known..].iter().all(Option::is_none), "unknown last");
        assert!(waits[..known].windows(2).all(|w| w[0] <= w[1]));

        sort_offers(&mut offers, Sort::Outcome, day, facts);
        let shares: Vec<Option<Decimal>> = offers.iter().map(|o| o.reached).collect();
        let known = shares.iter().take_while(|s| s.is_some()).count();
        assert!(shares[known..].iter().all(Option::is_none), "unknown last");
        assert!(shares[..known].windows(2).all(|w| w[0] >= w[1]));
    }
}
