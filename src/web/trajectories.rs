//! The casemanager's trajectories: the list with a status filter, one trajectory with its
//! lines, registrations and deliveries, and cancelling before the start.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::cafetaria::per_unit;
use super::confirm::{self, Confirmation};
use super::format::{date, euro};
use super::{render, Errors, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::Casemanager;
use crate::domain::billing::Unit;
use crate::domain::quantity::Quantity;
use crate::domain::trajectory::{EventKind, Frequency, Outcome, Status as TrajectoryStatus};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::ordering;
use crate::views::trajectories::{
    self as views, DeliveryView, EventView, LineView as LineData, TrajectoryView,
};

fn created_on(t: &TrajectoryView) -> String {
    date(t.created_at.with_timezone(&chrono::Local).date_naive())
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

impl From<&TrajectoryView> for TrajectoryRow {
    /// Client name, products, status in Dutch.
    fn from(t: &TrajectoryView) -> Self {
        TrajectoryRow {
            id: t.id.clone(),
            number: t.number.clone(),
            client: t
                .client
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            products: t
                .lines
                .iter()
                .map(|l| {
                    l.product
                        .as_ref()
                        .map(|p| p.name.clone())
                        .unwrap_or_else(|| l.product_code.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
            status: t.status.label_nl().to_string(),
            created: created_on(t),
        }
    }
}

#[derive(Template)]
#[template(path = "trajectories.html")]
struct ListPage {
    layout: Layout,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    /// The search as typed: part of a trajectory number or a client's name.
    search: String,
    rows: Vec<TrajectoryRow>,
    /// "12 trajecten": all the filter finds, also beyond the limit.
    count: String,
    total: u64,
    limit: u64,
    errors: Errors,
}

/// "1 traject", "12 trajecten".
pub fn trajectory_count(n: u64) -> String {
    if n == 1 {
        "1 traject".to_string()
    } else {
        format!("{n} trajecten")
    }
}

const LIST_LIMIT: u64 = 500;

#[rocket::get("/trajecten?<status>&<zoek>")]
async fn list(
    db: &State<DatabaseConnection>,
    cm: Casemanager,
    csrf: CsrfToken,
    status: Option<String>,
    zoek: Option<String>,
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
    let search = zoek.unwrap_or_default();
    // Tenancy stays in store/: a casemanager's list is their municipality's, whatever is asked.
    let filter = views::Filter {
        status: wanted,
        search: Some(search.trim().to_string()),
        ..Default::default()
    };
    let found = views::list(db.inner(), &cm.0, &filter, LIST_LIMIT).await?;
    let total = views::count(db.inner(), &cm.0, &filter).await?;
    let page = ListPage {
        layout: Layout::new("Trajecten", Some(&cm.0), &csrf.0, "/trajecten"),
        statuses: TrajectoryStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label_nl()))
            .collect(),
        status,
        search,
        rows: found.items.iter().map(TrajectoryRow::from).collect(),
        count: trajectory_count(total),
        total,
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
    /// "vervangen door een correctie" / "ingetrokken: reden".
    fate: String,
}

/// One delivery registration: each with its own note; replaced or withdrawn ones are
/// struck through.
pub struct DeliveryRow {
    month: String,
    quantity: String,
    note: String,
    superseded: bool,
    fate: String,
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

pub struct TrajectoryPageView {
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
    t: TrajectoryPageView,
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
        EventKind::Withdraw => "Ingetrokken".to_string(),
    }
}

/// "40 uur in totaal", "4 dagdelen per week"
fn ordered_text(
    unit: Option<Unit>,
    quantity: Option<Quantity>,
    frequency: Option<Frequency>,
) -> String {
    let Some(q) = quantity else {
        return String::new();
    };
    let word = unit.map(|u| u.label_nl(q)).unwrap_or("");
    let frequency = frequency.map(|f| f.label_nl()).unwrap_or("");
    format!("{} {word} {frequency}", q.format_nl())
        .trim()
        .to_string()
}

fn view_of(t: TrajectoryView) -> AppResult<TrajectoryPageView> {
    let client = t.client.clone().ok_or(AppError::NotFound)?;
    let mut lines = Vec::new();
    let mut any_started = false;
    for l in &t.lines {
        let status = l.status;
        any_started |= matches!(
            status,
            TrajectoryStatus::Started | TrajectoryStatus::Completed | TrajectoryStatus::Stopped
        );
        lines.push(line_view(l, status));
    }
    let status = t.status;
    Ok(TrajectoryPageView {
        created: created_on(&t),
        id: t.id,
        number: t.number,
        status: status.label_nl().to_string(),
        client: format!(
            "{} (BSN {})",
            client.masked_name,
            crate::domain::bsn::mask_last4(&client.bsn_last4)
        ),
        client_id: client.id,
        buyer_reference: t.buyer_reference,
        planned_start: t
            .planned_start
            .map(date)
            .unwrap_or_else(|| "nog niet bekend".into()),
        reject_reason: t.reject_reason,
        contract_id: t.contract_id,
        cancellable: !any_started
            && matches!(
                status,
                TrajectoryStatus::Requested | TrajectoryStatus::Accepted
            ),
        lines,
    })
}

fn line_view(l: &LineData, status: TrajectoryStatus) -> LineView {
    let (name, unit) = l
        .product
        .as_ref()
        .map(|p| (p.name.clone(), Some(p.unit)))
        .unwrap_or_else(|| (l.product_code.clone(), None));
    LineView {
        code: l.product_code.clone(),
        name,
        price: match unit {
            Some(u) => format!("{} {}", euro(l.unit_price), per_unit(u)),
            None => euro(l.unit_price),
        },
        dates: match l.end_date {
            Some(end) => format!("{} t/m {}", date(l.start_date), date(end)),
            None => format!("vanaf {} (geen einddatum)", date(l.start_date)),
        },
        ordered: ordered_text(unit, l.quantity, l.frequency),
        budget: l.budget.map(euro).unwrap_or_default(),
        committed: euro(l.committed),
        status: status.label_nl().to_string(),
        started_on: l.started_on.map(date).unwrap_or_default(),
        ended_on: l.ended_on.map(date).unwrap_or_default(),
        outcome: l
            .outcome
            .map(|o| o.label_nl().to_string())
            .unwrap_or_default(),
        end_reason: l.end_reason.clone().unwrap_or_default(),
        effort: unit.is_some_and(|u| u.variant() == crate::domain::billing::Variant::Inspanning),
        unit_plural: match unit {
            Some(Unit::Uur) => "uren",
            Some(Unit::Dagdeel) => "dagdelen",
            Some(Unit::Stuk) => "stuks",
            _ => "eenheden",
        },
        events: event_rows(&l.events),
        deliveries: delivery_rows(&l.deliveries, unit),
    }
}

fn event_rows(events: &[EventView]) -> Vec<EventRow> {
    events
        .iter()
        .filter(|e| e.kind != EventKind::Withdraw)
        .map(|e| {
            let by = events
                .iter()
                .find(|c| c.corrects_id.as_deref() == Some(e.id.as_str()));
            EventRow {
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
                superseded: by.is_some(),
                fate: match by {
                    Some(c) if c.kind == EventKind::Withdraw => format!(
                        "ingetrokken op {}: {}",
                        date(c.created_at.date_naive()),
                        c.note.clone().unwrap_or_default()
                    ),
                    Some(c) => format!(
                        "vervangen door een correctie op {}",
                        date(c.created_at.date_naive())
                    ),
                    None => String::new(),
                },
            }
        })
        .collect()
}

/// Every delivery registration in its own row, by month: a correction replaces the one it
/// names, which stays visible struck through.
fn delivery_rows(deliveries: &[DeliveryView], unit: Option<Unit>) -> Vec<DeliveryRow> {
    deliveries
        .iter()
        .map(|d| {
            let by = deliveries
                .iter()
                .find(|c| c.corrects_id.as_deref() == Some(d.id.as_str()));
            let quantity = d.quantity;
            let withdrawal = d.corrects_id.is_some() && quantity.is_zero();
            DeliveryRow {
                month: super::format::month_text(&d.period),
                quantity: format!(
                    "{} {}{}",
                    quantity.format_nl(),
                    unit.map(|u| u.label_nl(quantity)).unwrap_or(""),
                    if withdrawal {
                        " (ingetrokken)"
                    } else if d.corrects_id.is_some() {
                        " (correctie)"
                    } else {
                        ""
                    }
                )
                .trim()
                .to_string(),
                note: d.note.clone().unwrap_or_default(),
                superseded: by.is_some(),
                fate: match by {
                    Some(c) if c.quantity.is_zero() => format!(
                        "ingetrokken op {}: {}",
                        date(c.created_at.date_naive()),
                        c.note.clone().unwrap_or_default()
                    ),
                    Some(c) => format!(
                        "vervangen door een correctie op {}",
                        date(c.created_at.date_naive())
                    ),
                    None => String::new(),
                },
            }
        })
        .collect()
}

async fn trajectory_page(
    db: &DatabaseConnection,
    cm: &Casemanager,
    csrf: &CsrfToken,
    id: &str,
    errors: Vec<FieldError>,
) -> AppResult<RawHtml<String>> {
    let t = views::detail(db, &cm.0, id).await?;
    page_of(cm, csrf, t, errors, None)
}

fn page_of(
    cm: &Casemanager,
    csrf: &CsrfToken,
    t: TrajectoryView,
    errors: Vec<FieldError>,
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    let view = view_of(t)?;
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
    let t = views::detail(db.inner(), &cm.0, id).await?;
    let flash = if besteld.is_some() {
        Some(format!("Traject {} is besteld. WSD beoordeelt de aanvraag; u krijgt bericht zodra die is geaccepteerd of afgewezen.", t.number))
    } else if geannuleerd.is_some() {
        Some(format!("Traject {} is geannuleerd.", t.number))
    } else {
        None
    };
    page_of(&cm, &csrf, t, Vec::new(), flash)
}

/// Cancelling carries the CSRF token and, from the confirmation page, `bevestigd=ja`.
#[derive(FromForm)]
pub struct CancelForm {
    bevestigd: Option<String>,
}

type PageResult = AppResult<Result<Redirect, (Status, RawHtml<String>)>>;

/// What cancelling does: the provider does not start it, nothing is billed, and the
/// committed amount returns to the contract's budget.
fn cancel_confirmation(t: &TrajectoryView) -> Confirmation {
    let committed: crate::domain::money::Money = t
        .lines
        .iter()
        .filter(|l| !l.status.is_final())
        .map(|l| l.committed)
        .sum();
    Confirmation {
        title: format!("Traject {} annuleren?", t.number),
        sentences: vec![
            format!(
                "Het traject wordt geannuleerd: de aanbieder start het niet en er wordt niets voor gefactureerd. Het vastgelegde bedrag van {} komt weer vrij in het budget van het contract.",
                euro(committed)
            ),
            "Annuleren kan niet ongedaan worden gemaakt; wilt u het traject later toch, dan bestelt u het opnieuw.".into(),
        ],
        action: format!("/trajecten/{}/annuleren", t.id),
        fields: Vec::new(),
        yes: "Ja, annuleer het traject".into(),
        back: format!("/trajecten/{}", t.id),
    }
}

#[rocket::get("/trajecten/<id>/annuleren")]
async fn confirm_cancel(
    db: &State<DatabaseConnection>,
    cm: Casemanager,
    csrf: CsrfToken,
    id: &str,
) -> AppResult<RawHtml<String>> {
    let t = views::detail(db.inner(), &cm.0, id).await?;
    Ok(confirm::page(
        cancel_confirmation(&t),
        &cm.0,
        &csrf.0,
        "/trajecten",
    ))
}

#[rocket::post("/trajecten/<id>/annuleren", data = "<form>")]
async fn cancel(
    db: &State<DatabaseConnection>,
    cm: Casemanager,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<CancelForm>,
) -> PageResult {
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let t = views::detail(db.inner(), &cm.0, id).await?;
        let page = confirm::page(cancel_confirmation(&t), &cm.0, &csrf.0, "/trajecten");
        return Ok(Err((Status::Ok, page)));
    }
    match ordering::cancel(db.inner(), &cm.0, id).await {
        Ok(()) => Ok(Ok(Redirect::to(format!("/trajecten/{id}?geannuleerd=ja")))),
        Err(AppError::Conflict(message)) => {
            let errors = vec![FieldError::new("cancel", message)];
            let page = trajectory_page(db.inner(), &cm, &csrf, id, errors).await?;
            Ok(Err((Status::Conflict, page)))
        }
        Err(other) => Err(other),
    }
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list, show, confirm_cancel, cancel]
}
