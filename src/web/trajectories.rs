//! The casemanager's trajectories: the list with a status filter, one trajectory with its
//! lines, registrations and deliveries, and cancelling before the start.

use std::collections::{BTreeMap, HashMap, HashSet};

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::cafetaria::per_unit;
use super::format::{date, euro};
use super::{render, Errors, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::{Casemanager, Principal};
use crate::domain::billing::Unit;
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::quantity::Quantity;
use crate::domain::trajectory::{EventKind, Frequency, Outcome, Status as TrajectoryStatus};
use crate::entities::trajectory;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::ordering;
use crate::store;

fn created_on(t: &trajectory::Model) -> String {
    date(t.created_at.with_timezone(&chrono::Local).date_naive())
}

/// The names of all products, by code.
async fn product_names(db: &DatabaseConnection) -> AppResult<HashMap<String, (String, Unit)>> {
    Ok(store::catalogue::all(db)
        .await?
        .into_iter()
        .map(|p| (p.spec.code.as_str().to_string(), (p.spec.name, p.spec.unit)))
        .collect())
}

/// One trajectory in a list.
pub struct TrajectoryRow {
    pub id: String,
    pub number: String,
    pub client: String,
    pub products: String,
    pub status: String,
    pub created: String,
}

/// Rows for a list of trajectories: client name, products, status in Dutch.
pub async fn summaries(
    db: &DatabaseConnection,
    who: &Principal,
    trajectories: &[trajectory::Model],
) -> AppResult<Vec<TrajectoryRow>> {
    let names = product_names(db).await?;
    let clients: HashMap<String, String> = store::clients::list(db, who)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut rows = Vec::new();
    for t in trajectories {
        let products = store::trajectories::lines(db, &t.id)
            .await?
            .iter()
            .map(|l| {
                names
                    .get(&l.product_code)
                    .map(|(n, _)| n.clone())
                    .unwrap_or_else(|| l.product_code.clone())
            })
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(TrajectoryRow {
            id: t.id.clone(),
            number: t.number.clone(),
            client: clients.get(&t.client_id).cloned().unwrap_or_default(),
            products,
            status: t.status.label_nl().to_string(),
            created: created_on(t),
        });
    }
    Ok(rows)
}

#[derive(Template)]
#[template(path = "trajectories.html")]
struct ListPage {
    layout: Layout,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    rows: Vec<TrajectoryRow>,
    limit: u64,
    errors: Errors,
}

const LIST_LIMIT: u64 = 500;

#[rocket::get("/trajecten?<status>")]
async fn list(
    db: &State<DatabaseConnection>,
    cm: Casemanager,
    csrf: CsrfToken,
    status: Option<String>,
) -> AppResult<(Status, RawHtml<String>)> {
    let mut errors = Vec::new();
    let status = status.unwrap_or_default();
    let wanted = match status.as_str() {
        "" => None,
        s => match TrajectoryStatus::parse(s) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(FieldError::new("status", e));
                None
            }
        },
    };
    let filter = store::trajectories::Filter {
        status: wanted,
        ..Default::default()
    };
    let found = store::trajectories::list(db.inner(), &cm.0, &filter, LIST_LIMIT).await?;
    let page = ListPage {
        layout: Layout::new("Trajecten", Some(&cm.0), &csrf.0, "/trajecten"),
        statuses: TrajectoryStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label_nl()))
            .collect(),
        status,
        rows: summaries(db.inner(), &cm.0, &found).await?,
        limit: LIST_LIMIT,
        errors: Errors(errors),
    };
    let code = if page.errors.is_empty() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    Ok((code, render(&page)))
}

pub struct EventRow {
    date: String,
    what: String,
    note: String,
    superseded: bool,
}

pub struct DeliveryRow {
    month: String,
    quantity: String,
    note: String,
}

pub struct LineView {
    code: String,
    name: String,
    price: String,
    dates: String,
    ordered: String,
    budget: String,
    committed: String,
    status: String,
    started_on: String,
    ended_on: String,
    outcome: String,
    end_reason: String,
    effort: bool,
    unit_plural: &'static str,
    events: Vec<EventRow>,
    deliveries: Vec<DeliveryRow>,
}

pub struct TrajectoryView {
    id: String,
    number: String,
    status: String,
    client_id: String,
    client: String,
    buyer_reference: String,
    created: String,
    planned_start: String,
    reject_reason: Option<String>,
    contract_id: String,
    cancellable: bool,
    lines: Vec<LineView>,
}

#[derive(Template)]
#[template(path = "trajectory.html")]
struct TrajectoryPage {
    layout: Layout,
    t: TrajectoryView,
    errors: Errors,
}

fn event_label(kind: EventKind, milestone: Option<&str>, outcome: Option<Outcome>) -> String {
    let outcome = outcome
        .map(|o| format!(" ({})", o.label_nl()))
        .unwrap_or_default();
    match kind {
        EventKind::Start => "Gestart".to_string(),
        EventKind::Milestone => format!(
            "Mijlpaal bereikt: {}",
            milestone.unwrap_or("").replace('_', " ")
        ),
        EventKind::Stop => format!("Gestopt{outcome}"),
        EventKind::Complete => format!("Afgerond{outcome}"),
    }
}

/// "40 uur in totaal", "4 dagdelen per week"
fn ordered_text(unit: Option<Unit>, quantity: Option<i64>, frequency: Option<Frequency>) -> String {
    let Some(q) = quantity.map(Quantity::from_thousandths) else {
        return String::new();
    };
    let word = unit.map(|u| u.label_nl(q)).unwrap_or("");
    let frequency = frequency.map(|f| f.label_nl()).unwrap_or("");
    format!("{} {word} {frequency}", q.format_nl())
        .trim()
        .to_string()
}

async fn view_of(
    db: &DatabaseConnection,
    who: &Principal,
    t: &trajectory::Model,
) -> AppResult<TrajectoryView> {
    let names = product_names(db).await?;
    let client = store::clients::get(db, who, &t.client_id).await?;
    let mut lines = Vec::new();
    let mut any_started = false;
    for l in store::trajectories::lines(db, &t.id).await? {
        let status = l.status;
        any_started |= matches!(
            status,
            TrajectoryStatus::Started | TrajectoryStatus::Completed | TrajectoryStatus::Stopped
        );
        let (name, unit) = names
            .get(&l.product_code)
            .map(|(n, u)| (n.clone(), Some(*u)))
            .unwrap_or_else(|| (l.product_code.clone(), None));
        let events = store::trajectories::events(db, &l.id).await?;
        let corrected: HashSet<String> = events
            .iter()
            .filter_map(|e| e.corrects_id.clone())
            .collect();
        let event_rows = events
            .iter()
            .map(|e| EventRow {
                date: date(e.date),
                what: format!(
                    "{}{}",
                    event_label(e.kind, e.milestone.as_deref(), e.outcome),
                    if e.corrects_id.is_some() {
                        " (correctie)"
                    } else {
                        ""
                    }
                ),
                note: e.note.clone().unwrap_or_default(),
                superseded: corrected.contains(&e.id),
            })
            .collect();
        // Per month, what counts: a correction replaces the registration it names.
        let deliveries = store::trajectories::deliveries(db, &l.id).await?;
        let replaced: HashSet<String> = deliveries
            .iter()
            .filter_map(|d| d.corrects_id.clone())
            .collect();
        let mut per_month: BTreeMap<String, (i64, Vec<String>)> = BTreeMap::new();
        for d in deliveries.iter().filter(|d| !replaced.contains(&d.id)) {
            let entry = per_month.entry(d.period.clone()).or_default();
            entry.0 += d.quantity_thousandths;
            entry.1.extend(d.note.clone().filter(|n| !n.is_empty()));
        }
        let delivery_rows = per_month
            .into_iter()
            .map(|(period, (q, notes))| {
                let quantity = Quantity::from_thousandths(q);
                DeliveryRow {
                    month: Period::parse(&period)
                        .map(|p| p.label_nl())
                        .unwrap_or(period),
                    quantity: format!(
                        "{} {}",
                        quantity.format_nl(),
                        unit.map(|u| u.label_nl(quantity)).unwrap_or("")
                    )
                    .trim()
                    .to_string(),
                    note: notes.join("; "),
                }
            })
            .collect();
        let price = Money::from_cents(l.unit_price_cents);
        lines.push(LineView {
            code: l.product_code.clone(),
            name,
            price: match unit {
                Some(u) => format!("{} {}", euro(price), per_unit(u)),
                None => euro(price),
            },
            dates: match l.end_date {
                Some(end) => format!("{} t/m {}", date(l.start_date), date(end)),
                None => format!("vanaf {} (geen einddatum)", date(l.start_date)),
            },
            ordered: ordered_text(unit, l.quantity_thousandths, l.frequency),
            budget: l
                .budget_cents
                .map(|b| euro(Money::from_cents(b)))
                .unwrap_or_default(),
            committed: euro(Money::from_cents(l.committed_cents)),
            status: status.label_nl().to_string(),
            started_on: l.started_on.map(date).unwrap_or_default(),
            ended_on: l.ended_on.map(date).unwrap_or_default(),
            outcome: l
                .outcome
                .map(|o| o.label_nl().to_string())
                .unwrap_or_default(),
            end_reason: l.end_reason.clone().unwrap_or_default(),
            effort: unit
                .is_some_and(|u| u.variant() == crate::domain::billing::Variant::Inspanning),
            unit_plural: match unit {
                Some(Unit::Uur) => "uren",
                Some(Unit::Dagdeel) => "dagdelen",
                Some(Unit::Stuk) => "stuks",
                _ => "eenheden",
            },
            events: event_rows,
            deliveries: delivery_rows,
        });
    }
    let status = t.status;
    Ok(TrajectoryView {
        id: t.id.clone(),
        number: t.number.clone(),
        status: status.label_nl().to_string(),
        client_id: client.id.clone(),
        client: format!(
            "{} (BSN {})",
            store::clients::masked_name(&client.name),
            crate::domain::bsn::mask_last4(&client.bsn_last4)
        ),
        buyer_reference: t.buyer_reference.clone(),
        created: created_on(t),
        planned_start: t
            .planned_start
            .map(date)
            .unwrap_or_else(|| "nog niet bekend".into()),
        reject_reason: t.reject_reason.clone(),
        contract_id: t.contract_id.clone(),
        cancellable: !any_started
            && matches!(
                status,
                TrajectoryStatus::Requested | TrajectoryStatus::Accepted
            ),
        lines,
    })
}

async fn trajectory_page(
    db: &DatabaseConnection,
    cm: &Casemanager,
    csrf: &CsrfToken,
    id: &str,
    errors: Vec<FieldError>,
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    let t = store::trajectories::get(db, &cm.0, id).await?;
    let view = view_of(db, &cm.0, &t).await?;
    Ok(render(&TrajectoryPage {
        layout: Layout::new(
            format!("Traject {}", view.number),
            Some(&cm.0),
            &csrf.0,
            "/trajecten",
        )
        .with_flash(flash),
        t: view,
        errors: Errors(errors),
    }))
}

#[rocket::get("/trajecten/<id>?<besteld>&<geannuleerd>")]
async fn show(
    db: &State<DatabaseConnection>,
    cm: Casemanager,
    csrf: CsrfToken,
    id: &str,
    besteld: Option<&str>,
    geannuleerd: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let number = if besteld.is_some() || geannuleerd.is_some() {
        Some(
            store::trajectories::get(db.inner(), &cm.0, id)
                .await?
                .number,
        )
    } else {
        None
    };
    let flash = number.map(|n| {
        if besteld.is_some() {
            format!("Traject {n} is besteld. WSD beoordeelt de aanvraag; u krijgt bericht zodra die is geaccepteerd of afgewezen.")
        } else {
            format!("Traject {n} is geannuleerd.")
        }
    });
    trajectory_page(db.inner(), &cm, &csrf, id, Vec::new(), flash).await
}

/// Cancelling carries nothing but the CSRF token.
#[derive(FromForm)]
pub struct CancelForm {
    #[field(name = "csrf_token")]
    _token: String,
}

type PageResult = AppResult<Result<Redirect, (Status, RawHtml<String>)>>;

#[rocket::post("/trajecten/<id>/annuleren", data = "<_form>")]
async fn cancel(
    db: &State<DatabaseConnection>,
    cm: Casemanager,
    csrf: CsrfToken,
    id: &str,
    _form: CsrfForm<CancelForm>,
) -> PageResult {
    match ordering::cancel(db.inner(), &cm.0, id).await {
        Ok(t) => Ok(Ok(Redirect::to(format!(
            "/trajecten/{}?geannuleerd=ja",
            t.id
        )))),
        Err(AppError::Conflict(message)) => {
            let errors = vec![FieldError::new("cancel", message)];
            let page = trajectory_page(db.inner(), &cm, &csrf, id, errors, None).await?;
            Ok(Err((Status::Conflict, page)))
        }
        Err(other) => Err(other),
    }
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list, show, cancel]
}
