//! Deterministic bench data: municipalities, one active contract each for `year` (every
//! active product at its list price), clients, trajectories with started lines and their
//! registrations (~10 per trajectory: start, milestone and completion events, and for
//! effort lines 2 or 3 deliveries a month). Written with multi-row INSERTs in a few large
//! transactions, shaped like what the services write (ids as UUID strings, cents,
//! thousandths, statuses as strings).
//!
//! What is generated stays within the rules the billing applies (inside line dates, under
//! volume, no budget, no corrections), so nothing is held and every computed item is billed.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use plusmarkt::domain::contract::ContractStatus;
use plusmarkt::domain::trajectory::{aggregate, EventKind, Frequency, Outcome, Status};
use plusmarkt::entities::{
    client, contract, contract_line, contract_line_price, delivery, line_event, municipality,
    trajectory, trajectory_line,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Statement, TransactionTrait,
};

/// Trajectories a municipality orders in a year (WSD: 2,866 for nine in 2023).
pub const TRAJECTORIES_PER_MUNICIPALITY: usize = 330;

#[derive(Debug, Clone)]
pub struct ProductRow {
    pub code: String,
    pub unit: String,
    pub duration_weeks: i64,
    pub price_cents: i64,
    /// Milestone names in product order.
    pub milestones: Vec<String>,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Counts {
    pub municipalities: usize,
    pub clients: usize,
    pub trajectories: usize,
    pub lines: usize,
    pub events: usize,
    pub deliveries: usize,
}

/// A UUID v7 as the services make them (`store::new_id`), with its time on `day` (a
/// random moment of it) and its random bits from `rng`, so the data is deterministic and
/// its ids are ordered by when the record would have been made.
fn id(rng: &mut StdRng, day: NaiveDate) -> String {
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_millis();
    let millis = u64::try_from(midnight).expect("after 1970") + rng.gen_range(0..86_400_000);
    uuid::Builder::from_unix_timestamp_millis(millis, &rng.gen())
        .into_uuid()
        .to_string()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// The active products with their list price on 1 January of `year` and their milestones.
pub async fn products(db: &DatabaseConnection, year: i32) -> Vec<ProductRow> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT code, unit, duration_weeks FROM products WHERE status = 'active' ORDER BY code"
                .to_string(),
        ))
        .await
        .expect("products");
    let jan1 = date(year, 1, 1);
    let mut out = Vec::new();
    for r in rows {
        let code: String = r.try_get("", "code").unwrap();
        let unit: String = r.try_get("", "unit").unwrap();
        let duration_weeks: i32 = r.try_get("", "duration_weeks").unwrap();
        let prices = plusmarkt::entities::price_version::Entity::find()
            .all(db)
            .await
            .expect("prices");
        let price = prices
            .iter()
            .filter(|p| p.product_code == code && p.valid_from <= jan1)
            .max_by_key(|p| p.valid_from)
            .map(|p| p.amount_cents);
        let Some(price_cents) = price else { continue };
        let ms = plusmarkt::entities::product_milestone::Entity::find()
            .all(db)
            .await
            .expect("milestones");
        let mut ms: Vec<_> = ms.into_iter().filter(|m| m.product_code == code).collect();
        ms.sort_by_key(|m| m.position);
        out.push(ProductRow {
            code,
            unit,
            duration_weeks: i64::from(duration_weeks.max(1)),
            price_cents,
            milestones: ms.into_iter().map(|m| m.name).collect(),
        });
    }
    out
}

/// Rows of one table collected for a multi-row INSERT.
struct Batch<A: ActiveModelTrait> {
    rows: Vec<A>,
    per_statement: usize,
}

impl<A> Batch<A>
where
    A: ActiveModelTrait + Send,
    <A as ActiveModelTrait>::Entity: EntityTrait,
{
    fn new(columns: usize) -> Self {
        // SQLite allows 32766 bound values per statement, PostgreSQL 65535.
        Batch {
            rows: Vec::new(),
            per_statement: 30_000 / columns,
        }
    }
    async fn flush<C: ConnectionTrait>(&mut self, db: &C) {
        while !self.rows.is_empty() {
            let n = self.rows.len().min(self.per_statement);
            let chunk: Vec<A> = self.rows.drain(..n).collect();
            <A::Entity as EntityTrait>::insert_many(chunk)
                .exec_without_returning(db)
                .await
                .expect("bulk insert");
        }
    }
}

/// Fills a migrated database with the catalogue imported. Municipalities: the nine of
/// the catalogue first, then synthetic ones (GM9000…) up to 9 × `scale`.
pub async fn generate(db: &DatabaseConnection, scale: usize, year: i32, seed: u64) -> Counts {
    let mut rng = StdRng::seed_from_u64(seed);
    let products = products(db, year).await;
    assert!(
        !products.is_empty(),
        "no active products with a price in {year}"
    );
    let created = Utc.with_ymd_and_hms(year, 1, 1, 8, 0, 0).unwrap();
    let from = date(year, 1, 1);
    let to = date(year, 12, 31);
    let mut existing: Vec<String> = municipality::Entity::find()
        .all(db)
        .await
        .expect("municipalities")
        .into_iter()
        .map(|m| m.code)
        .collect();
    existing.sort();
    let wanted = 9 * scale;
    let mut counts = Counts::default();
    let mut sequence = 0usize;
    let per_txn = 25; // municipalities per transaction
    let mut codes: Vec<String> = existing.iter().take(wanted).cloned().collect();
    let mut synthetic = Vec::new();
    for i in codes.len()..wanted {
        let code = format!("GM{:04}", 9000 + i);
        synthetic.push(municipality::ActiveModel::from(municipality::Model {
            code: code.clone(),
            name: format!("Benchgemeente {i}"),
            cooperation_model: "cafetaria".into(),
            oin: None,
            kvk: None,
            demo_identifiers: true,
            street: "Markt 1".into(),
            postcode: "5281 AA".into(),
            city: format!("Benchstad {i}"),
            finance_email: format!("financien@{}.example", code.to_lowercase()),
            payment_term_days: 30,
            buyer_reference: None,
        }));
        codes.push(code);
    }
    let txn = db.begin().await.expect("begin");
    let mut b = Batch::new(12);
    b.rows = synthetic;
    b.flush(&txn).await;
    txn.commit().await.expect("commit");
    counts.municipalities = codes.len();

    const NAMES: [&str; 8] = [
        "Jan Jansen",
        "Fatima el Amrani",
        "Piet de Vries",
        "Anna van den Berg",
        "Mohammed Yilmaz",
        "Sanne Bakker",
        "Kees Visser",
        "Lotte Smit",
    ];
    for group in codes.chunks(per_txn) {
        let txn = db.begin().await.expect("begin");
        let mut contracts = Batch::new(11);
        let mut clines = Batch::new(7);
        let mut cprices = Batch::new(5);
        let mut clients = Batch::new(8);
        let mut trajs = Batch::new(13);
        let mut lines = Batch::new(19);
        let mut events = Batch::new(10);
        let mut dels = Batch::new(8);
        for code in group {
            let contract_id = id(&mut rng, from);
            contracts
                .rows
                .push(contract::ActiveModel::from(contract::Model {
                    id: contract_id.clone(),
                    municipality_code: code.clone(),
                    name: format!("Contractspecificatie {year}"),
                    valid_from: from,
                    valid_to: to,
                    status: ContractStatus::Active,
                    budget_ceiling_cents: None,
                    version: 1,
                    lock_seq: 0,
                    created_at: created,
                    activated_at: Some(created),
                    provider_code: plusmarkt::domain::provider::WSD.to_string(),
                    settlement: plusmarkt::domain::settlement::SettlementForm::ProductPrice,
                    guaranteed_amount_cents: None,
                    budget_amount_cents: None,
                    advance_schedule: None,
                    refund_unused: false,
                }));
            let mut line_of_product: HashMap<&str, String> = HashMap::new();
            for p in &products {
                let line_id = id(&mut rng, from);
                clines
                    .rows
                    .push(contract_line::ActiveModel::from(contract_line::Model {
                        id: line_id.clone(),
                        contract_id: contract_id.clone(),
                        product_code: p.code.clone(),
                        volume_cap_thousandths: None,
                        valid_from: from,
                        valid_to: to,
                        created_at: created,
                    }));
                cprices.rows.push(contract_line_price::ActiveModel::from(
                    contract_line_price::Model {
                        contract_line_id: line_id.clone(),
                        effective_from: from,
                        price_cents: p.price_cents,
                        created_at: created,
                        created_by: "bench".into(),
                    },
                ));
                line_of_product.insert(p.code.as_str(), line_id);
            }
            for n in 0..TRAJECTORIES_PER_MUNICIPALITY {
                let client_id = id(&mut rng, from);
                clients.rows.push(client::ActiveModel::from(client::Model {
                    id: client_id.clone(),
                    municipality_code: code.clone(),
                    bsn_hash: format!("bench-{code}-{n:06}"),
                    bsn_encrypted: "bench-placeholder".into(),
                    bsn_last4: format!("{:04}", n % 10_000),
                    name: NAMES[rng.gen_range(0..NAMES.len())].into(),
                    birth_date: Some(date(
                        rng.gen_range(1960..2005),
                        rng.gen_range(1..=12),
                        rng.gen_range(1..=28),
                    )),
                    created_at: created,
                }));
                sequence += 1;
                let n_lines = match rng.gen_range(0..100) {
                    0..=69 => 1,
                    70..=94 => 2,
                    _ => 3,
                };
                let start = from + chrono::Duration::days(rng.gen_range(0..334));
                let traj_id = id(&mut rng, start);
                let mut chosen: Vec<&ProductRow> = Vec::new();
                while chosen.len() < n_lines {
                    let p = &products[rng.gen_range(0..products.len())];
                    if !chosen.iter().any(|c| c.code == p.code) {
                        chosen.push(p);
                    }
                }
                let mut line_statuses = Vec::new();
                for (pos, p) in chosen.iter().enumerate() {
                    let line_id = id(&mut rng, start);
                    let mut status = Status::Started;
                    let mut ended_on = None;
                    let mut outcome = None;
                    let mut end_reason = None;
                    let (end_date, quantity, frequency, volume, committed);
                    let ev = |kind: EventKind,
                              d: NaiveDate,
                              milestone: Option<String>,
                              outcome: Option<Outcome>,
                              note: Option<String>,
                              rng: &mut StdRng| {
                        line_event::ActiveModel::from(line_event::Model {
                            id: id(rng, d),
                            trajectory_line_id: line_id.clone(),
                            kind,
                            date: d,
                            milestone,
                            outcome,
                            note,
                            corrects_id: None,
                            created_at: created,
                            created_by: "bench".into(),
                        })
                    };
                    events
                        .rows
                        .push(ev(EventKind::Start, start, None, None, None, &mut rng));
                    match p.unit.as_str() {
                        "traject" => {
                            let days = p.duration_weeks * 7;
                            let end = start + chrono::Duration::days(days - 1);
                            end_date = Some(end);
                            quantity = None;
                            frequency = None;
                            volume = None;
                            committed = p.price_cents;
                            let k = p.milestones.len().max(1) as i64;
                            for (i, name) in p.milestones.iter().enumerate().skip(1) {
                                let d =
                                    start + chrono::Duration::days(days * (i as i64 + 1) / k - 1);
                                if d > to || rng.gen_range(0..100) >= 85 {
                                    break;
                                }
                                let last = i + 1 == p.milestones.len();
                                if name != "afronding" {
                                    events.rows.push(ev(
                                        EventKind::Milestone,
                                        d,
                                        Some(name.clone()),
                                        None,
                                        None,
                                        &mut rng,
                                    ));
                                }
                                if last {
                                    events.rows.push(ev(
                                        EventKind::Complete,
                                        d,
                                        None,
                                        Some(Outcome::GoalReached),
                                        None,
                                        &mut rng,
                                    ));
                                    status = Status::Completed;
                                    ended_on = Some(d);
                                    outcome = Some(Outcome::GoalReached);
                                }
                            }
                        }
                        "maand" => {
                            let months = rng.gen_range(3..=12);
                            let end = start + chrono::Duration::days(30 * months);
                            end_date = Some(end);
                            quantity = None;
                            frequency = None;
                            volume = None;
                            committed = p.price_cents * months;
                            if rng.gen_range(0..100) < 20 {
                                let last = end.min(to);
                                let span = (last - start).num_days().max(1);
                                let d = start + chrono::Duration::days(rng.gen_range(0..span));
                                events.rows.push(ev(
                                    EventKind::Stop,
                                    d,
                                    None,
                                    Some(Outcome::Other),
                                    Some("verhuisd".into()),
                                    &mut rng,
                                ));
                                status = Status::Stopped;
                                ended_on = Some(d);
                                outcome = Some(Outcome::Other);
                                end_reason = Some("verhuisd".to_string());
                            }
                        }
                        _ => {
                            let months = rng.gen_range(3..=12i64);
                            let end = start + chrono::Duration::days(30 * months);
                            end_date = Some(end);
                            // Per month, in whole quarter units.
                            let q = 250 * rng.gen_range(8..=80i64);
                            quantity = Some(q);
                            frequency = Some(Frequency::Month);
                            // start + 30 × months days touches at most months + 2 calendar months.
                            let vol = q * (months + 2);
                            volume = Some(vol);
                            committed = (p.price_cents * vol + 500) / 1000;
                            let last = end.min(to);
                            let mut m = date(start.year(), start.month(), 1);
                            while m <= last {
                                // A month's quantity (at most q, at least 4 quarter units) is
                                // registered in 2 or 3 parts, as weekly registrations would be:
                                // ~10 registrations per trajectory overall, as issue 10 names.
                                let quarters = rng.gen_range(q / 500..=q / 250);
                                let parts = rng.gen_range(2..=3i64);
                                for part in 0..parts {
                                    let share =
                                        quarters / parts + i64::from(part < quarters % parts);
                                    dels.rows.push(delivery::ActiveModel::from(delivery::Model {
                                        id: id(&mut rng, m),
                                        trajectory_line_id: line_id.clone(),
                                        period: format!("{:04}-{:02}", m.year(), m.month()),
                                        quantity_thousandths: 250 * share,
                                        note: None,
                                        corrects_id: None,
                                        created_at: created,
                                        created_by: "bench".into(),
                                    }));
                                    counts.deliveries += 1;
                                }
                                m = if m.month() == 12 {
                                    date(m.year() + 1, 1, 1)
                                } else {
                                    date(m.year(), m.month() + 1, 1)
                                };
                            }
                            if end <= to {
                                events.rows.push(ev(
                                    EventKind::Complete,
                                    end,
                                    None,
                                    Some(Outcome::GoalReached),
                                    None,
                                    &mut rng,
                                ));
                                status = Status::Completed;
                                ended_on = Some(end);
                                outcome = Some(Outcome::GoalReached);
                            }
                        }
                    }
                    line_statuses.push(status);
                    lines
                        .rows
                        .push(trajectory_line::ActiveModel::from(trajectory_line::Model {
                            id: line_id.clone(),
                            trajectory_id: traj_id.clone(),
                            position: pos as i32 + 1,
                            product_code: p.code.clone(),
                            contract_line_id: line_of_product[p.code.as_str()].clone(),
                            start_date: start,
                            end_date,
                            quantity_thousandths: quantity,
                            frequency,
                            volume_thousandths: volume,
                            budget_cents: None,
                            unit_price_cents: p.price_cents,
                            committed_cents: committed,
                            status,
                            started_on: Some(start),
                            ended_on,
                            outcome,
                            end_reason,
                        }));
                }
                counts.lines += chosen.len();
                trajs
                    .rows
                    .push(trajectory::ActiveModel::from(trajectory::Model {
                        id: traj_id,
                        number: format!("T{year}-{sequence:06}"),
                        municipality_code: code.clone(),
                        client_id,
                        contract_id: contract_id.clone(),
                        buyer_reference: format!("BENCH-{sequence}"),
                        status: aggregate(&line_statuses),
                        ordered_by: "bench".into(),
                        created_at: created,
                        planned_start: Some(start),
                        reject_reason: None,
                        changed_at: None,
                        updated_at: created,
                        provider_code: plusmarkt::domain::provider::WSD.to_string(),
                    }));
            }
            counts.clients += TRAJECTORIES_PER_MUNICIPALITY;
            counts.trajectories += TRAJECTORIES_PER_MUNICIPALITY;
        }
        counts.events += events.rows.len();
        contracts.flush(&txn).await;
        clines.flush(&txn).await;
        cprices.flush(&txn).await;
        clients.flush(&txn).await;
        trajs.flush(&txn).await;
        lines.flush(&txn).await;
        events.flush(&txn).await;
        dels.flush(&txn).await;
        txn.commit().await.expect("commit");
    }
    // Later orders of that year continue the numbering.
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        format!("INSERT INTO counters (name, value) VALUES ('trajectory-{year}', {sequence})"),
    ))
    .await
    .expect("counter");
    counts
}
