//! What WSD registers on an order line: start, milestones, stop and completion, and the
//! hours, day-parts or pieces delivered per month. Registrations are append-only; a
//! correction is a new registration naming the one it replaces, so what was invoiced
//! stays as it was and invoicing can credit and re-bill.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use crate::config::Config;
use crate::domain::billing::{Unit, Variant};
use crate::domain::clock::Clock;
use crate::domain::period::{format_date_nl, Period};
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
/// Re-exported: its home is the domain (`line_events.kind`).
pub use crate::domain::trajectory::EventKind;
use crate::domain::trajectory::{Frequency, Outcome, Status, Transition};
use crate::entities::{delivery, line_event, trajectory, trajectory_line};
use crate::error::{AppError, AppResult};
use crate::mail::messages::TrajectoryNews;
use crate::services::ordering::{move_line, notify, orderer_email, Idempotency};
use crate::store::catalogue::StoredProduct;
use crate::store::idempotency::StoredResponse;
use crate::store::{self, new_id, now};

/// A registration as made now, or the id of the one an earlier request with the same
/// `Idempotency-Key` made.
pub enum Registered<T> {
    New(T),
    Replayed(String),
}

async fn replay(
    txn: &DatabaseTransaction,
    principal: &Principal,
    idempotency: Option<&Idempotency>,
) -> AppResult<Option<String>> {
    match idempotency {
        Some(idem) => {
            Ok(
                store::idempotency::lookup(txn, &principal.user_id, &idem.key, &idem.request_hash)
                    .await?
                    .map(|r| r.body),
            )
        }
        None => Ok(None),
    }
}

/// Stores the new registration's id under the key, in the registration's transaction.
async fn remember(
    txn: &DatabaseTransaction,
    principal: &Principal,
    idempotency: Option<&Idempotency>,
    id: &str,
) -> AppResult<()> {
    if let Some(idem) = idempotency {
        let response = StoredResponse {
            status: 201,
            body: id.to_string(),
        };
        store::idempotency::record(
            txn,
            &principal.user_id,
            &idem.key,
            &idem.request_hash,
            &response,
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct EventInput {
    pub kind: EventKind,
    pub date: NaiveDate,
    pub milestone: Option<String>,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    /// Corrects an earlier milestone registration of the same line.
    pub corrects_id: Option<String>,
}

/// The last day a line may have registrations: its ordered end, or its stop/completion.
fn last_day(line: &trajectory_line::Model) -> Option<NaiveDate> {
    match (line.end_date, line.ended_on) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn within_line(line: &trajectory_line::Model, date: NaiveDate, today: NaiveDate) -> AppResult<()> {
    if date > today {
        return Err(AppError::field(
            "date",
            format!(
                "{} ligt in de toekomst; registreer wat gebeurd is",
                format_date_nl(date)
            ),
        ));
    }
    if date < line.start_date {
        return Err(AppError::field(
            "date",
            format!(
                "{} ligt vóór de start van de regel ({})",
                format_date_nl(date),
                format_date_nl(line.start_date)
            ),
        ));
    }
    if let Some(end) = line.end_date {
        if date > end {
            return Err(AppError::field(
                "date",
                format!(
                    "{} ligt na het einde van de regel ({})",
                    format_date_nl(date),
                    format_date_nl(end)
                ),
            ));
        }
    }
    Ok(())
}

async fn load(
    txn: &DatabaseTransaction,
    principal: &Principal,
    line_id: &str,
) -> AppResult<(trajectory::Model, trajectory_line::Model)> {
    store::trajectories::line(txn, principal, line_id).await
}

/// Registers an event on a line; start, stop and complete move its state (409 when not
/// allowed), a milestone must be one of the product's and not yet reached.
pub async fn register_event(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    line_id: &str,
    input: EventInput,
    idempotency: Option<&Idempotency>,
) -> AppResult<Registered<line_event::Model>> {
    if input.kind == EventKind::Withdraw {
        return withdraw_event(db, config, principal, line_id, input, idempotency).await;
    }
    let txn = store::db::begin_write(db).await?;
    if let Some(stored) = replay(&txn, principal, idempotency).await? {
        return Ok(Registered::Replayed(stored));
    }
    let (t, line) = load(&txn, principal, line_id).await?;
    let product = store::catalogue::get(&txn, &line.product_code)
        .await?
        .ok_or(AppError::NotFound)?;
    let status = line.status;
    within_line(&line, input.date, config.clock.today())?;
    let events = store::trajectories::events(&txn, line_id).await?;
    let live = live_events(&events);
    let corrected = corrected_event(&live, &input)?;
    let news = match input.kind {
        EventKind::Start => start(&txn, &t, &line, corrected).await?,
        EventKind::Milestone => {
            check_milestone(&input, &product, status, line.started_on, &live, corrected)?;
            None
        }
        EventKind::Stop | EventKind::Complete => end(&txn, &t, &line, &input, corrected).await?,
        EventKind::Withdraw => None,
    };
    line_changes(&line, &input).exec(&txn).await?;
    let model = insert_event(&txn, principal, &line, &input).await?;
    store::audit::append(
        &txn,
        principal,
        if corrected.is_some() { "registration.correct" } else { "registration.event" },
        "trajectory_line",
        &line.id,
        corrected.map(|c| json!({"kind": c.kind, "date": c.date, "milestone": c.milestone})),
        Some(json!({"kind": model.kind, "date": model.date, "milestone": model.milestone, "outcome": model.outcome, "note": model.note})),
    )
    .await?;
    if let Some(news) = news {
        tell_orderer(&txn, config, &t, &line, &product, news, &input).await?;
    }
    remember(&txn, principal, idempotency, &model.id).await?;
    txn.commit().await?;
    Ok(Registered::New(model))
}

/// Withdraws a start, milestone, stop or completion (`corrects_id`, with the reason in
/// `note`): a `withdraw` registration naming it, so it stays in the history but no longer
/// counts. A withdrawn stop or completion makes the line run again (its end date, outcome
/// and stop reason are cleared); a withdrawn start puts it back to accepted, which is only
/// allowed while nothing else counts on the line. A milestone withdrawn is no longer billed.
async fn withdraw_event(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    line_id: &str,
    input: EventInput,
    idempotency: Option<&Idempotency>,
) -> AppResult<Registered<line_event::Model>> {
    let reason = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let txn = store::db::begin_write(db).await?;
    if let Some(stored) = replay(&txn, principal, idempotency).await? {
        return Ok(Registered::Replayed(stored));
    }
    let (t, line) = load(&txn, principal, line_id).await?;
    let events = store::trajectories::events(&txn, line_id).await?;
    let live = live_events(&events);
    let id = input
        .corrects_id
        .as_deref()
        .ok_or_else(|| AppError::field("corrects_id", "welke registratie trekt u in?"))?;
    let target = live
        .iter()
        .find(|e| e.id == id && e.kind != EventKind::Withdraw)
        .copied()
        .ok_or_else(|| {
            AppError::field(
                "corrects_id",
                "onbekende, al gecorrigeerde of al ingetrokken registratie van deze regel",
            )
        })?;
    let Some(reason) = reason else {
        return Err(AppError::field(
            "reason",
            "geef de reden waarom u de registratie intrekt",
        ));
    };
    let clear = trajectory_line::Entity::update_many()
        .filter(trajectory_line::Column::Id.eq(line.id.clone()));
    match target.kind {
        EventKind::Start => {
            let deliveries = store::trajectories::deliveries(&txn, line_id).await?;
            let delivered = deliveries.iter().any(|d| {
                d.quantity_thousandths != 0
                    && !deliveries
                        .iter()
                        .any(|c| c.corrects_id.as_deref() == Some(d.id.as_str()))
            });
            let others = live
                .iter()
                .any(|e| !matches!(e.kind, EventKind::Start | EventKind::Withdraw));
            if delivered || others {
                return Err(AppError::Conflict(
                    "trek eerst de registraties na de start in (mijlpalen, geleverde uren, afronding of stop)".into(),
                ));
            }
            if line.status == Status::Started {
                move_line(&txn, &t, &line, Transition::Unstart).await?;
            }
            clear
                .col_expr(
                    trajectory_line::Column::StartedOn,
                    Expr::value(Option::<NaiveDate>::None),
                )
                .exec(&txn)
                .await?;
        }
        EventKind::Milestone | EventKind::Withdraw => {}
        EventKind::Stop | EventKind::Complete => {
            if matches!(line.status, Status::Completed | Status::Stopped) {
                move_line(&txn, &t, &line, Transition::Reopen).await?;
            }
            clear
                .col_expr(
                    trajectory_line::Column::EndedOn,
                    Expr::value(Option::<NaiveDate>::None),
                )
                .col_expr(
                    trajectory_line::Column::Outcome,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    trajectory_line::Column::EndReason,
                    Expr::value(Option::<String>::None),
                )
                .exec(&txn)
                .await?;
        }
    }
    let model = line_event::Model {
        id: new_id(),
        trajectory_line_id: line.id.clone(),
        kind: EventKind::Withdraw,
        date: config.clock.today(),
        milestone: None,
        outcome: None,
        note: Some(reason.clone()),
        corrects_id: Some(target.id.clone()),
        created_at: now(),
        created_by: principal.actor(),
    };
    line_event::Entity::insert(line_event::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    store::audit::append(
        &txn,
        principal,
        "registration.withdraw",
        "trajectory_line",
        &line.id,
        Some(json!({"id": target.id, "kind": target.kind, "date": target.date, "milestone": target.milestone, "outcome": target.outcome})),
        Some(json!({"withdrawn": target.id, "reason": reason})),
    )
    .await?;
    remember(&txn, principal, idempotency, &model.id).await?;
    txn.commit().await?;
    Ok(Registered::New(model))
}

/// The registrations no correction replaced.
fn live_events(events: &[line_event::Model]) -> Vec<&line_event::Model> {
    events
        .iter()
        .filter(|e| {
            !events
                .iter()
                .any(|c| c.corrects_id.as_deref() == Some(e.id.as_str()))
        })
        .collect()
}

/// The live registration of the same kind that the input corrects, if it corrects one.
fn corrected_event<'a>(
    live: &[&'a line_event::Model],
    input: &EventInput,
) -> AppResult<Option<&'a line_event::Model>> {
    let Some(id) = &input.corrects_id else {
        return Ok(None);
    };
    let target = live.iter().find(|e| &e.id == id).copied().ok_or_else(|| {
        AppError::field(
            "corrects_id",
            "onbekende of al gecorrigeerde registratie van deze regel",
        )
    })?;
    if target.kind != input.kind {
        return Err(AppError::field(
            "corrects_id",
            "een correctie is van dezelfde soort als de registratie die ze vervangt",
        ));
    }
    Ok(Some(target))
}

/// A start moves the line (a corrected start only changes its date).
async fn start(
    txn: &DatabaseTransaction,
    t: &trajectory::Model,
    line: &trajectory_line::Model,
    corrected: Option<&line_event::Model>,
) -> AppResult<Option<TrajectoryNews>> {
    if corrected.is_some() {
        return Ok(None);
    }
    move_line(txn, t, line, Transition::Start).await?;
    Ok(Some(TrajectoryNews::Started))
}

/// A milestone is one of the product's, reached after the start and not yet registered.
fn check_milestone(
    input: &EventInput,
    product: &StoredProduct,
    status: Status,
    started_on: Option<NaiveDate>,
    live: &[&line_event::Model],
    corrected: Option<&line_event::Model>,
) -> AppResult<()> {
    let name = input
        .milestone
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| AppError::field("milestone", "welke mijlpaal is bereikt?"))?;
    if product.spec.unit != Unit::Traject {
        return Err(AppError::field(
            "milestone",
            format!("{} rekent niet af op mijlpalen", product.spec.code.as_str()),
        ));
    }
    if !product.spec.milestones.iter().any(|m| m.name == name) {
        let names: Vec<&str> = product
            .spec
            .milestones
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        return Err(AppError::field(
            "milestone",
            format!(
                "{name:?} is geen mijlpaal van dit product ({})",
                names.join(", ")
            ),
        ));
    }
    if !matches!(
        status,
        Status::Started | Status::Completed | Status::Stopped
    ) {
        return Err(AppError::Conflict(
            "registreer eerst de start van de regel".into(),
        ));
    }
    if started_on.is_some_and(|s| input.date < s) {
        return Err(AppError::field(
            "date",
            "een mijlpaal ligt niet vóór de start",
        ));
    }
    let already = live.iter().any(|e| {
        e.kind == EventKind::Milestone
            && e.milestone.as_deref() == Some(name)
            && Some(e.id.as_str()) != input.corrects_id.as_deref()
    });
    let implied =
        (name == "start" && corrected.is_none() && live.iter().any(|e| e.kind == EventKind::Start))
            || (name == "afronding" && live.iter().any(|e| e.kind == EventKind::Complete));
    if already || implied {
        return Err(AppError::field("milestone", format!("mijlpaal {name} is al geregistreerd; corrigeer die registratie als de datum niet klopt")));
    }
    Ok(())
}

/// A stop (with its reason) or a completion (with its outcome) ends the line, not before
/// its start (a corrected one only changes what it recorded).
async fn end(
    txn: &DatabaseTransaction,
    t: &trajectory::Model,
    line: &trajectory_line::Model,
    input: &EventInput,
    corrected: Option<&line_event::Model>,
) -> AppResult<Option<TrajectoryNews>> {
    if line.started_on.is_some_and(|s| input.date < s) {
        return Err(AppError::field(
            "date",
            "een regel eindigt niet vóór zijn start",
        ));
    }
    if input.kind == EventKind::Complete && input.outcome.is_none() && corrected.is_none() {
        return Err(AppError::field(
            "outcome",
            "geef de uitkomst: goal_reached, goal_not_reached, regular_work of other",
        ));
    }
    if input.kind == EventKind::Stop
        && input
            .note
            .as_deref()
            .map(str::trim)
            .unwrap_or("")
            .is_empty()
    {
        return Err(AppError::field("note", "geef de reden van de stop"));
    }
    if corrected.is_some() {
        return Ok(None);
    }
    if input.kind == EventKind::Stop {
        move_line(txn, t, line, Transition::Stop).await?;
        Ok(None)
    } else {
        move_line(txn, t, line, Transition::Complete).await?;
        Ok(Some(TrajectoryNews::Completed))
    }
}

/// What the registration records on the line itself: its start, or its end with the
/// outcome and the reason of a stop.
fn line_changes(
    line: &trajectory_line::Model,
    input: &EventInput,
) -> sea_orm::UpdateMany<trajectory_line::Entity> {
    let mut update = trajectory_line::Entity::update_many()
        .filter(trajectory_line::Column::Id.eq(line.id.clone()));
    match input.kind {
        EventKind::Start => {
            update = update.col_expr(trajectory_line::Column::StartedOn, Expr::value(input.date));
        }
        EventKind::Milestone | EventKind::Withdraw => {}
        EventKind::Stop | EventKind::Complete => {
            update = update.col_expr(trajectory_line::Column::EndedOn, Expr::value(input.date));
            if let Some(outcome) = input.outcome {
                update = update.col_expr(
                    trajectory_line::Column::Outcome,
                    Expr::value(outcome.as_str()),
                );
            }
            if input.kind == EventKind::Stop {
                update = update.col_expr(
                    trajectory_line::Column::EndReason,
                    Expr::value(input.note.clone()),
                );
            }
        }
    }
    update
}

/// Appends the registration.
async fn insert_event(
    txn: &DatabaseTransaction,
    principal: &Principal,
    line: &trajectory_line::Model,
    input: &EventInput,
) -> AppResult<line_event::Model> {
    let model = line_event::Model {
        id: new_id(),
        trajectory_line_id: line.id.clone(),
        kind: input.kind,
        date: input.date,
        milestone: input
            .milestone
            .clone()
            .filter(|_| input.kind == EventKind::Milestone),
        outcome: input.outcome,
        note: input
            .note
            .clone()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        corrects_id: input.corrects_id.clone(),
        created_at: now(),
        created_by: principal.actor(),
    };
    line_event::Entity::insert(line_event::ActiveModel::from(model.clone()))
        .exec_without_returning(txn)
        .await?;
    Ok(model)
}

/// Mails whoever ordered the trajectory that its line started or completed.
async fn tell_orderer(
    txn: &DatabaseTransaction,
    config: &Config,
    t: &trajectory::Model,
    line: &trajectory_line::Model,
    product: &StoredProduct,
    news: TrajectoryNews,
    input: &EventInput,
) -> AppResult<()> {
    let Some(to) = orderer_email(txn, t).await? else {
        return Ok(());
    };
    let detail = match (news, input.outcome) {
        (TrajectoryNews::Completed, Some(o)) => format!(
            "{}: {} op {}.",
            product.spec.name,
            o.label_nl(),
            format_date_nl(input.date)
        ),
        _ => format!(
            "{}: {} op {}.",
            product.spec.name,
            input.kind.label_nl(),
            format_date_nl(input.date)
        ),
    };
    notify(
        txn,
        config,
        news,
        &to,
        t,
        std::slice::from_ref(line),
        Some(&detail),
        "/trajecten",
        None,
    )
    .await
}

#[derive(Debug, Clone)]
pub struct DeliveryInput {
    pub period: Period,
    pub quantity: Quantity,
    pub note: Option<String>,
    pub corrects_id: Option<String>,
}

/// The most that may be registered for a period: the ordered quantity per month, per
/// week × the weeks of the month within the line, or the ordered total.
fn allowed_in_period(line: &trajectory_line::Model, period: Period) -> Option<Quantity> {
    let quantity = line.quantity_thousandths?;
    let frequency = line.frequency?;
    match frequency {
        Frequency::Total => line.volume_thousandths.map(Quantity::from_thousandths),
        Frequency::Month => Some(Quantity::from_thousandths(quantity)),
        Frequency::Week => {
            let from = period.first_day().max(line.start_date);
            let to = last_day(line)
                .map(|e| e.min(period.last_day()))
                .unwrap_or(period.last_day());
            let days = (to - from).num_days() + 1;
            let weeks = (days.max(0) + 6) / 7;
            Some(Quantity::from_thousandths(quantity.saturating_mul(weeks)))
        }
    }
}

/// Registers delivered hours, day-parts or pieces for a month.
pub async fn register_delivery(
    db: &DatabaseConnection,
    clock: &Clock,
    principal: &Principal,
    line_id: &str,
    input: DeliveryInput,
    idempotency: Option<&Idempotency>,
) -> AppResult<Registered<delivery::Model>> {
    let txn = store::db::begin_write(db).await?;
    if let Some(stored) = replay(&txn, principal, idempotency).await? {
        return Ok(Registered::Replayed(stored));
    }
    let (_, line) = load(&txn, principal, line_id).await?;
    let product = store::catalogue::get(&txn, &line.product_code)
        .await?
        .ok_or(AppError::NotFound)?;
    if product.spec.unit.variant() != Variant::Inspanning {
        return Err(AppError::field(
            "quantity",
            format!(
                "{} rekent af per {}, niet op geleverde aantallen",
                product.spec.name,
                product.spec.unit.as_str()
            ),
        ));
    }
    let status = line.status;
    if !matches!(
        status,
        Status::Started | Status::Completed | Status::Stopped
    ) {
        return Err(AppError::Conflict(
            "registreer eerst de start van de regel".into(),
        ));
    }
    if input.period > Period::of(clock.today()) {
        return Err(AppError::field(
            "period",
            format!("{} ligt in de toekomst", input.period),
        ));
    }
    if input.period.last_day() < line.start_date {
        return Err(AppError::field(
            "period",
            format!(
                "{} ligt vóór de start van de regel ({})",
                input.period,
                format_date_nl(line.start_date)
            ),
        ));
    }
    if let Some(end) = last_day(&line) {
        if input.period.first_day() > end {
            return Err(AppError::field(
                "period",
                format!(
                    "{} ligt na het einde van de regel ({})",
                    input.period,
                    format_date_nl(end)
                ),
            ));
        }
    }
    if input.quantity.is_zero() && input.corrects_id.is_none() {
        return Err(AppError::field("quantity", "het aantal is groter dan nul"));
    }
    let existing = store::trajectories::deliveries(&txn, line_id).await?;
    let live: Vec<&delivery::Model> = existing
        .iter()
        .filter(|d| {
            !existing
                .iter()
                .any(|c| c.corrects_id.as_deref() == Some(d.id.as_str()))
        })
        .collect();
    if let Some(id) = &input.corrects_id {
        let target = live.iter().find(|d| &d.id == id).ok_or_else(|| {
            AppError::field(
                "corrects_id",
                "onbekende of al gecorrigeerde registratie van deze regel",
            )
        })?;
        if target.period != input.period.to_string() {
            return Err(AppError::field(
                "corrects_id",
                "een correctie geldt voor dezelfde maand als de registratie die ze vervangt",
            ));
        }
    }
    let counted = |d: &&&delivery::Model| Some(d.id.as_str()) != input.corrects_id.as_deref();
    let in_period: i64 = live
        .iter()
        .filter(counted)
        .filter(|d| d.period == input.period.to_string())
        .map(|d| d.quantity_thousandths)
        .sum();
    let in_total: i64 = live
        .iter()
        .filter(counted)
        .map(|d| d.quantity_thousandths)
        .sum();
    if let Some(allowed) = allowed_in_period(&line, input.period) {
        let frequency_total = line.frequency == Some(Frequency::Total);
        let already = if frequency_total { in_total } else { in_period };
        if already + input.quantity.to_thousandths() > allowed.to_thousandths() {
            let left = Quantity::from_thousandths((allowed.to_thousandths() - already).max(0));
            return Err(AppError::field(
                "quantity",
                format!(
                    "meer dan besteld: {} {} {}, al geregistreerd {}, nog {} mogelijk",
                    allowed.format_nl(),
                    product.spec.unit.as_str(),
                    if frequency_total {
                        "in totaal".to_string()
                    } else {
                        format!("in {}", input.period)
                    },
                    Quantity::from_thousandths(already).format_nl(),
                    left.format_nl()
                ),
            ));
        }
    }
    let model = delivery::Model {
        id: new_id(),
        trajectory_line_id: line.id.clone(),
        period: input.period.to_string(),
        quantity_thousandths: input.quantity.to_thousandths(),
        note: input
            .note
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        corrects_id: input.corrects_id.clone(),
        created_at: now(),
        created_by: principal.actor(),
    };
    delivery::Entity::insert(delivery::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    let before = input.corrects_id.as_ref().and_then(|id| live.iter().find(|d| &d.id == id)).map(|d| json!({"period": d.period, "quantity": Quantity::from_thousandths(d.quantity_thousandths).to_string()}));
    store::audit::append(
        &txn,
        principal,
        if before.is_some() { "registration.correct" } else { "registration.delivery" },
        "trajectory_line",
        &line.id,
        before,
        Some(json!({"period": model.period, "quantity": input.quantity.to_string(), "note": model.note})),
    )
    .await?;
    remember(&txn, principal, idempotency, &model.id).await?;
    txn.commit().await?;
    Ok(Registered::New(model))
}

/// Withdraws a delivery registration as part of a credit with the disposition `withdraw`:
/// a correction to zero (`corrects_id`, quantity 0) in the credit's transaction, audited
/// with the credit's reason. A registration that was already corrected has nothing left to
/// withdraw (its correction is what is billed now), so it is left as it is.
pub(crate) async fn withdraw_delivery_in(
    txn: &DatabaseTransaction,
    principal: &Principal,
    line_id: &str,
    delivery_id: &str,
    reason: &str,
) -> AppResult<Option<delivery::Model>> {
    let existing = store::trajectories::deliveries(txn, line_id).await?;
    let Some(target) = existing.iter().find(|d| d.id == delivery_id) else {
        return Err(AppError::field(
            "disposition",
            "de registratie achter deze regel bestaat niet meer; kies rebill of waive",
        ));
    };
    if existing
        .iter()
        .any(|c| c.corrects_id.as_deref() == Some(delivery_id))
    {
        return Ok(None);
    }
    let model = delivery::Model {
        id: new_id(),
        trajectory_line_id: target.trajectory_line_id.clone(),
        period: target.period.clone(),
        quantity_thousandths: 0,
        note: Some(reason.to_string()),
        corrects_id: Some(target.id.clone()),
        created_at: now(),
        created_by: principal.actor(),
    };
    delivery::Entity::insert(delivery::ActiveModel::from(model.clone()))
        .exec_without_returning(txn)
        .await?;
    store::audit::append(
        txn,
        principal,
        "registration.withdraw",
        "trajectory_line",
        line_id,
        Some(json!({"id": target.id, "period": target.period, "quantity": Quantity::from_thousandths(target.quantity_thousandths).to_string()})),
        Some(json!({"id": model.id, "period": model.period, "quantity": "0", "reason": reason})),
    )
    .await?;
    Ok(Some(model))
}
