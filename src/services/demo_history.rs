//! A demo history: orders placed, accepted, started, delivered and completed in the
//! [`HISTORY_MONTHS`] months before the current one, so that the offer indicators (started,
//! completed, share that reached the goal, waiting time, duration) show on first start; a
//! few orders of this month still waiting, starting later or stopped early; a corrected
//! registration; and the invoices of those months, final, sent, paid and one credited.
//!
//! Everything goes through the real services, as the users would: the casemanagers of
//! Boxtel and Vught register clients and order, the consulents of WSD and Werkpad accept,
//! register the start, the monthly hours and the completion. Each step runs on a clock
//! fixed at its own date, so the trajectories carry their historical order dates. The
//! history is a pure function of today: no randomness, no system time.

use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::config::Config;
use crate::crypto::bsn_vault::BsnVault;
use crate::domain::bsn::Bsn;
use crate::domain::catalogue::ProductStatus;
use crate::domain::clock::Clock;
use crate::domain::period::Period;
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
use crate::domain::trajectory::{Frequency, Outcome};
use crate::entities::trajectory;
use crate::error::{AppError, AppResult};
use crate::services::ordering::{self, ClientInput, OrderInput, OrderLineInput};
use crate::services::registration::{self, DeliveryInput, EventInput, EventKind};
use crate::store;

/// The casemanagers who order in the demo history (Boxtel, Vught).
const ORDERERS: [&str; 2] = ["casemanager@boxtel.example", "casemanager@vught.example"];

/// How many trajectories each product gets.
const PER_PRODUCT: usize = 7;

/// How many months before the current one the history covers.
pub const HISTORY_MONTHS: u32 = 9;

/// The first day of the history on `today`: the first of the month [`HISTORY_MONTHS`]
/// months before the current one. The demo's contracts start in this day's year.
pub fn history_start(today: NaiveDate) -> NaiveDate {
    let month_start = today.with_day(1).unwrap_or(today);
    month_start
        .checked_sub_months(chrono::Months::new(HISTORY_MONTHS))
        .unwrap_or(month_start)
}

/// The last day of the year of `date`: no demo order line runs past its contract's year.
fn year_end_of(date: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(date.year(), 12, 31).unwrap_or(date)
}

/// How the history of one trajectory ends when it does not run its course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The provider rejects the order.
    Rejected,
    /// The casemanager cancels the order before it is accepted.
    Cancelled,
}

/// The history of one product: per trajectory the days from order to start and from start
/// to end, and the outcome; hours per month for hour products; the last trajectory may be
/// refused.
struct ProductHistory {
    code: &'static str,
    /// The provider's staff who accept and register.
    staff: &'static str,
    hours_per_month: Option<i64>,
    wait_days: [i64; PER_PRODUCT],
    run_days: [i64; PER_PRODUCT],
    outcomes: [Outcome; PER_PRODUCT],
    refusal: Option<Refusal>,
}

const WSD_STAFF: &str = "consulent@wsd.example";
const WERKPAD_STAFF: &str = "consulent@werkpad.example";

use Outcome::{GoalNotReached as NOT, GoalReached as GOAL, Other as OTHER, RegularWork as WORK};

/// Three services where both providers offer: WSD starts sooner, Werkpad's trajectories
/// are shorter, and their outcomes differ.
const HISTORY: &[ProductHistory] = &[
    ProductHistory {
        code: "DIAG-BREEDINTAKE",
        staff: WSD_STAFF,
        hours_per_month: None,
        wait_days: [3, 5, 4, 8, 6, 5, 7],
        run_days: [21, 28, 25, 30, 24, 27, 26],
        outcomes: [GOAL, GOAL, OTHER, GOAL, NOT, GOAL, WORK],
        refusal: None,
    },
    ProductHistory {
        code: "WP-DIAGNOSE",
        staff: WERKPAD_STAFF,
        hours_per_month: None,
        wait_days: [12, 15, 10, 18, 14, 16, 13],
        run_days: [35, 42, 38, 45, 40, 36, 44],
        outcomes: [GOAL, NOT, GOAL, OTHER, GOAL, NOT, GOAL],
        refusal: None,
    },
    ProductHistory {
        code: "REI-WERKFIT",
        staff: WSD_STAFF,
        hours_per_month: None,
        wait_days: [9, 12, 7, 14, 10, 11, 8],
        run_days: [140, 126, 154, 133, 147, 138, 130],
        outcomes: [WORK, GOAL, NOT, GOAL, OTHER, WORK, GOAL],
        refusal: Some(Refusal::Rejected),
    },
    ProductHistory {
        code: "WP-WERKFIT",
        staff: WERKPAD_STAFF,
        hours_per_month: None,
        wait_days: [16, 20, 14, 21, 18, 17, 19],
        run_days: [105, 112, 98, 119, 101, 110, 115],
        outcomes: [WORK, WORK, GOAL, NOT, WORK, GOAL, NOT],
        refusal: Some(Refusal::Cancelled),
    },
    ProductHistory {
        code: "JOBCOACH-UUR",
        staff: WSD_STAFF,
        hours_per_month: Some(8),
        wait_days: [6, 4, 9, 5, 7, 8, 3],
        run_days: [84, 98, 91, 112, 77, 105, 70],
        outcomes: [GOAL, GOAL, WORK, NOT, GOAL, GOAL, OTHER],
        refusal: None,
    },
    ProductHistory {
        code: "WP-JOBCOACH-UUR",
        staff: WERKPAD_STAFF,
        hours_per_month: Some(6),
        wait_days: [10, 13, 8, 15, 11, 12, 9],
        run_days: [63, 70, 56, 77, 66, 60, 72],
        outcomes: [GOAL, WORK, GOAL, GOAL, NOT, OTHER, GOAL],
        refusal: None,
    },
];

const FIRST_NAMES: &[&str] = &[
    "Anouk", "Bram", "Celine", "Dirk", "Esra", "Freek", "Gijs", "Hanneke", "Ilse", "Jeroen",
    "Karima", "Luuk", "Mila", "Noah", "Olga", "Pim", "Roos", "Sander", "Tamara", "Yusuf",
];

const LAST_NAMES: &[&str] = &[
    "de Vries",
    "van Dijk",
    "Bakker",
    "Jansen",
    "Visser",
    "Smits",
    "Mulder",
    "van den Heuvel",
    "Hendriks",
    "Verhoeven",
    "Kuijpers",
    "van Gerwen",
    "Aksoy",
];

/// One trajectory of the history, as planned from today.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Planned {
    product: usize,
    /// Index into [`ORDERERS`].
    orderer: usize,
    ordered_on: NaiveDate,
    start: NaiveDate,
    /// The day it ends (completion) if it has ended by yesterday.
    end: Option<NaiveDate>,
    /// Whether its start is registered (it started by yesterday).
    started: bool,
    outcome: Outcome,
    refusal: Option<Refusal>,
    /// Not answered by the provider yet.
    pending: bool,
    /// Stopped early instead of completed (an hour product's fourth trajectory).
    stopped: bool,
    /// Its second month of hours is registered wrong first and then corrected (an hour
    /// product's first trajectory).
    corrected: bool,
    /// The ordered end of an hour product's line.
    line_end: Option<NaiveDate>,
}

/// The whole history on `today`: orders in the [`HISTORY_MONTHS`] months before the
/// current one.
fn plan(today: NaiveDate) -> Vec<Planned> {
    let first = history_start(today);
    let month_start = today.with_day(1).unwrap_or(today);
    let last_order = month_start - Duration::days(1);
    let yesterday = today - Duration::days(1);
    let mut out = Vec::new();
    for (p, h) in HISTORY.iter().enumerate() {
        let offset = i64::try_from(p).unwrap_or(0);
        let longest = (0..PER_PRODUCT)
            .map(|i| h.wait_days[i] + h.run_days[i])
            .max()
            .unwrap_or(0);
        // The first five are ordered early enough to have run their course by yesterday.
        let from = first + Duration::days(2 + offset);
        let finished_until = last_order.min(yesterday - Duration::days(longest + 1));
        let span = (finished_until - from).num_days().max(0);
        for i in 0..PER_PRODUCT {
            let step = i64::try_from(i).unwrap_or(0);
            let ordered_on = match i {
                0..=4 => from + Duration::days(span * step / 4),
                // One ordered a few weeks before the current month: still running.
                5 => last_order - Duration::days(20 - offset),
                // One in between: refused, or as its dates fall.
                _ => from + Duration::days(((last_order - from).num_days() * 2) / 3),
            }
            .clamp(first, last_order);
            let start = ordered_on + Duration::days(h.wait_days[i]);
            let refusal = if i == PER_PRODUCT - 1 {
                h.refusal
            } else {
                None
            };
            let mut finish = start + Duration::days(h.run_days[i]);
            if h.hours_per_month.is_some() {
                // Hours are ordered within one contract year.
                finish = finish.min(year_end_of(start));
            }
            let line_end = h
                .hours_per_month
                .map(|_| (finish + Duration::days(14)).min(year_end_of(start)));
            let started = refusal.is_none() && start <= yesterday;
            let end = (started && finish <= yesterday).then_some(finish);
            out.push(Planned {
                product: p,
                orderer: (i + p) % ORDERERS.len(),
                ordered_on,
                start,
                end,
                started,
                outcome: h.outcomes[i],
                refusal,
                pending: false,
                stopped: h.hours_per_month.is_some() && i == 3,
                corrected: h.hours_per_month.is_some() && i == 0,
                line_end,
            });
        }
    }
    out.extend(recent(today));
    out.sort_by_key(|t| (t.ordered_on, t.product));
    out
}

/// Orders of the last days: two the providers have not answered yet and one accepted
/// that starts next week, so that the work lists of casemanagers and consulents show
/// something to do.
fn recent(today: NaiveDate) -> Vec<Planned> {
    // (product, orderer, days ago, days until the start, answered)
    const RECENT: [(usize, usize, i64, i64, bool); 3] = [
        (0, 0, 2, 14, false),
        (1, 1, 3, 21, false),
        (2, 0, 6, 7, true),
    ];
    RECENT
        .iter()
        .filter_map(|&(product, orderer, ago, until, answered)| {
            let h = HISTORY.get(product)?;
            Some(Planned {
                product,
                orderer,
                ordered_on: today - Duration::days(ago),
                start: today + Duration::days(until),
                end: None,
                started: false,
                outcome: h.outcomes[0],
                refusal: None,
                pending: !answered,
                stopped: false,
                corrected: false,
                line_end: None,
            })
        })
        .collect()
}

/// BSNs from the test range (999990000 up) that pass the elfproef, in order.
fn test_bsns(count: usize) -> Vec<String> {
    (999_990_000u32..999_999_999)
        .map(|n| n.to_string())
        .filter(|s| Bsn::parse(s).is_ok())
        .take(count)
        .collect()
}

/// A made-up client name and birth date for the `n`th client.
fn client_of(n: usize) -> (String, Option<NaiveDate>) {
    let first = FIRST_NAMES[n % FIRST_NAMES.len()];
    let last = LAST_NAMES[(n * 7 + n / FIRST_NAMES.len()) % LAST_NAMES.len()];
    let k = u32::try_from(n).unwrap_or(0);
    let birth = NaiveDate::from_ymd_opt(
        1962 + i32::try_from((k * 7) % 41).unwrap_or(0),
        (k * 5) % 12 + 1,
        (k * 3) % 28 + 1,
    );
    (format!("{first} {last}"), birth)
}

/// The principal of a demo user, or none when the user is missing or inactive.
async fn principal(db: &DatabaseConnection, email: &str) -> AppResult<Option<Principal>> {
    Ok(store::users::find_by_email(db, email)
        .await?
        .and_then(|u| store::users::principal_of(&u, None)))
}

/// The configuration with its clock on `date`.
fn on(config: &Config, date: NaiveDate) -> Config {
    Config {
        clock: Clock::on_date(date),
        ..config.clone()
    }
}

/// Places the demo history on a database without trajectories. Returns whether it did:
/// not when there are trajectories already (a restart adds nothing), in January (no
/// earlier months), or when the demo users are missing. Products missing from the
/// catalogue are left out.
pub async fn ensure_demo_history(db: &DatabaseConnection, config: &Config) -> AppResult<bool> {
    if trajectory::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let today = config.clock.today();
    let planned = plan(today);
    if planned.is_empty() {
        return Ok(false);
    }
    let mut orderers = Vec::new();
    for email in ORDERERS {
        match principal(db, email).await? {
            Some(p) => orderers.push(p),
            None => return Ok(false),
        }
    }
    let mut staff = std::collections::HashMap::new();
    for email in [WSD_STAFF, WERKPAD_STAFF] {
        match principal(db, email).await? {
            Some(p) => staff.insert(email, p),
            None => return Ok(false),
        };
    }
    let mut available = Vec::new();
    for h in HISTORY {
        let active = store::catalogue::get(db, h.code)
            .await?
            .is_some_and(|p| p.spec.status == ProductStatus::Active);
        available.push(active);
    }
    let vault = BsnVault::new(&config.bsn_key);
    let bsns = test_bsns(planned.len());
    let mut placed_any = false;
    for (n, t) in planned.iter().enumerate() {
        if !available.get(t.product).copied().unwrap_or(false) {
            continue;
        }
        let (Some(h), Some(bsn), Some(casemanager)) =
            (HISTORY.get(t.product), bsns.get(n), orderers.get(t.orderer))
        else {
            continue;
        };
        let provider = staff
            .get(h.staff)
            .ok_or_else(|| AppError::Internal(format!("{} ontbreekt", h.staff)))?;
        let at_order = on(config, t.ordered_on);
        let (name, birth_date) = client_of(n);
        let (client, _) = ordering::register_client(
            db,
            &at_order.clock,
            &vault,
            casemanager,
            ClientInput {
                bsn: bsn.clone(),
                name,
                birth_date,
            },
        )
        .await?;
        let order = ordering::place_order(
            db,
            &at_order,
            casemanager,
            OrderInput {
                client_id: client.id,
                buyer_reference: format!("Beschikking {}-{:03}", today.year(), n + 1),
                lines: vec![OrderLineInput {
                    product_code: h.code.to_string(),
                    start_date: t.start,
                    end_date: t.line_end,
                    quantity: h
                        .hours_per_month
                        .map(|q| Quantity::from_thousandths(q * 1000)),
                    frequency: h.hours_per_month.map(|_| Frequency::Month),
                    budget: None,
                }],
            },
            None,
        )
        .await?
        .into_order();
        placed_any = true;
        let answered = (t.ordered_on + Duration::days(1)).min(today);
        match t.refusal {
            Some(Refusal::Rejected) => {
                ordering::reject(
                    db,
                    &on(config, answered),
                    provider,
                    &order.id,
                    "Geen plek beschikbaar in de gevraagde periode.",
                )
                .await?;
                continue;
            }
            Some(Refusal::Cancelled) => {
                ordering::cancel(db, casemanager, &order.id).await?;
                continue;
            }
            None if t.pending => continue,
            None => {}
        }
        ordering::accept(
            db,
            &on(config, answered),
            provider,
            &order.id,
            Some(t.start),
        )
        .await?;
        if !t.started {
            continue;
        }
        let Some(line) = order.lines.first() else {
            continue;
        };
        let event = |kind, date, outcome| EventInput {
            kind,
            date,
            milestone: None,
            outcome,
            note: None,
            corrects_id: None,
        };
        registration::register_event(
            db,
            &on(config, t.start),
            provider,
            &line.id,
            event(EventKind::Start, t.start, None),
            None,
        )
        .await?;
        if let Some(hours) = h.hours_per_month {
            deliver(db, provider, &line.id, t, hours, today).await?;
        }
        if let Some(end) = t.end {
            let ending = if t.stopped {
                EventInput {
                    note: Some(STOP_REASON.to_string()),
                    ..event(EventKind::Stop, end, None)
                }
            } else {
                event(EventKind::Complete, end, Some(t.outcome))
            };
            registration::register_event(db, &on(config, end), provider, &line.id, ending, None)
                .await?;
        }
    }
    if placed_any {
        invoice_history(db, today).await?;
    }
    Ok(placed_any)
}

/// The finance staff who run the demo's invoices, one per provider.
const FINANCE: [&str; 2] = ["financien@wsd.example", "financien@werkpad.example"];

/// The reason of the demo's one credit note.
const CREDIT_REASON: &str = "Uren dubbel geregistreerd.";

/// The invoices of the history's months but the last one (that run is left to finance on
/// first start): each provider's run a few days after the month, every invoice finalised
/// and sent, those older than two months paid, and one line of WSD's first invoice to
/// Boxtel credited.
async fn invoice_history(db: &DatabaseConnection, today: NaiveDate) -> AppResult<()> {
    use crate::domain::invoice::{InvoiceKind, InvoiceMove};
    use crate::services::invoicing;

    let last_run = Period::of(today).prev().prev();
    let first = Period::of(history_start(today));
    if last_run < first {
        return Ok(());
    }
    let mut credited = false;
    for period in first.iter_to(last_run) {
        let run_day = (period.last_day() + Duration::days(3)).min(today);
        let clock = Clock::on_date(run_day);
        let paid = period.next().next() <= last_run;
        for email in FINANCE {
            let Some(finance) = principal(db, email).await? else {
                continue;
            };
            let outcome = invoicing::run(db, &finance, None, period).await?;
            // Invoices before the credit notes that cite them.
            let mut drafts = outcome.invoices;
            drafts.sort_by_key(|d| d.kind != InvoiceKind::Invoice);
            for draft in drafts {
                let inv = invoicing::finalise(db, &clock, &finance, &draft.id).await?;
                // Sent as finance sends: the e-mail with PDF and UBL into the outbox.
                crate::services::invoice_documents::send(db, &finance, &inv.id).await?;
                if paid {
                    invoicing::mark(db, &finance, &inv.id, InvoiceMove::Pay).await?;
                }
                let boxtel_at_wsd = finance.provider.as_deref()
                    == Some(crate::domain::provider::WSD)
                    && draft.municipality_code == "GM0757"
                    && draft.kind == InvoiceKind::Invoice;
                if !credited && boxtel_at_wsd {
                    // An hour registration billed twice: credited, and the registration
                    // withdrawn, so that no later run bills it again.
                    let lines = store::invoices::lines(db, &inv.id).await?;
                    let hours = lines.iter().filter(|l| {
                        l.billable_key.as_deref().is_some_and(|k| {
                            crate::domain::billing::withdrawable_delivery(k).is_some()
                        })
                    });
                    if let Some(line) = hours.max_by_key(|l| l.net_cents) {
                        invoicing::credit(
                            db,
                            &clock,
                            &finance,
                            &inv.id,
                            Some(vec![line.id.clone()]),
                            CREDIT_REASON,
                            crate::domain::billing::Disposition::Withdraw,
                        )
                        .await?;
                        credited = true;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Why the stopped trajectories stopped.
const STOP_REASON: &str = "De klant is verhuisd naar een andere gemeente.";

/// Why a corrected registration was corrected.
const CORRECTION_NOTE: &str = "Aantal uren verbeterd na controle van de presentielijst.";

/// Registers the hours of every month the line ran, up to its end or yesterday: the
/// ordered hours, a little less in some months. A corrected line's second month is first
/// registered with too many hours and then corrected, as a consulent would.
async fn deliver(
    db: &DatabaseConnection,
    provider: &Principal,
    line_id: &str,
    t: &Planned,
    hours: i64,
    today: NaiveDate,
) -> AppResult<()> {
    let yesterday = today - Duration::days(1);
    let last = t.end.unwrap_or(yesterday).min(yesterday);
    let mut period = Period::of(t.start);
    let mut k: i64 = 0;
    while period <= Period::of(last) {
        let quantity = (hours - (k + i64::from(t.start.day())) % 3).max(1);
        let registered_on = period.last_day().min(today);
        let clock = Clock::on_date(registered_on);
        let wrong = t.corrected && k == 1;
        // The mistake: the ordered hours instead of those worked (or two too few when the
        // whole order was worked), within what the order allows either way.
        let registered = match (wrong, quantity < hours) {
            (false, _) => quantity,
            (true, true) => hours,
            (true, false) => (hours - 2).max(1),
        };
        let first = registration::register_delivery(
            db,
            &clock,
            provider,
            line_id,
            DeliveryInput {
                period,
                quantity: Quantity::from_thousandths(registered * 1000),
                note: None,
                corrects_id: None,
            },
            None,
        )
        .await?;
        if let (true, registration::Registered::New(first)) = (wrong, first) {
            registration::register_delivery(
                db,
                &clock,
                provider,
                line_id,
                DeliveryInput {
                    period,
                    quantity: Quantity::from_thousandths(quantity * 1000),
                    note: Some(CORRECTION_NOTE.to_string()),
                    corrects_id: Some(first.id),
                },
                None,
            )
            .await?;
        }
        period = period.next();
        k += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_plan_orders_in_the_months_before_this_one_and_is_the_same_each_time() {
        let today = d(2026, 12, 6);
        let planned = plan(today);
        assert_eq!(planned, plan(today));
        assert_eq!(planned.len(), HISTORY.len() * PER_PRODUCT + 3);
        let (past, recent): (Vec<_>, Vec<_>) =
            planned.iter().partition(|t| t.ordered_on < d(2026, 12, 1));
        assert!(past
            .iter()
            .all(|t| t.ordered_on >= d(2026, 3, 1) && t.ordered_on <= d(2026, 11, 30)));
        assert!(recent
            .iter()
            .all(|t| t.ordered_on < today && t.start > today));
        assert_eq!(recent.iter().filter(|t| t.pending).count(), 2);
        assert!(planned.iter().all(|t| t.start > t.ordered_on));
        assert!(planned
            .iter()
            .all(|t| t.end.is_none_or(|e| e < today && e > t.start)));
        // Spread over the months, most ended, some running, two refused, some stopped.
        let months: std::collections::BTreeSet<u32> =
            past.iter().map(|t| t.ordered_on.month()).collect();
        assert!(months.len() >= 7, "{months:?}");
        for (p, h) in HISTORY.iter().enumerate() {
            let ended = planned
                .iter()
                .filter(|t| t.product == p && t.end.is_some())
                .count();
            assert!(ended >= 5, "{}: {ended}", h.code);
        }
        assert!(planned.iter().any(|t| t.started && t.end.is_none()));
        assert_eq!(planned.iter().filter(|t| t.refusal.is_some()).count(), 2);
        assert!(planned.iter().any(|t| t.stopped && t.end.is_some()));
        assert!(planned.iter().any(|t| t.corrected));
    }

    #[test]
    fn the_history_reaches_back_nine_months_across_the_new_year() {
        assert_eq!(history_start(d(2026, 12, 6)), d(2026, 3, 1));
        assert_eq!(history_start(d(2027, 1, 20)), d(2026, 4, 1));
        let planned = plan(d(2027, 1, 20));
        assert!(planned.iter().any(|t| t.ordered_on.year() == 2026));
        assert!(planned.iter().all(|t| t.ordered_on >= d(2026, 4, 1)));
        // Hours never run past the contract year they started in.
        assert!(planned
            .iter()
            .all(|t| t.line_end.is_none_or(|e| e.year() == t.start.year())));
    }

    #[test]
    fn the_bsns_pass_the_elfproef_and_differ() {
        let bsns = test_bsns(50);
        assert_eq!(bsns.len(), 50);
        assert!(bsns.iter().all(|b| Bsn::parse(b).is_ok()));
        let unique: std::collections::BTreeSet<_> = bsns.iter().collect();
        assert_eq!(unique.len(), 50);
    }
}
