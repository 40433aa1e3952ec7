//! WSD's trajectory staff: the intake inbox, and registering start, milestones, hours,
//! stop and completion per order line.

use askama::Template;
use chrono::Datelike;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::confirm::{self, Confirmation};
use super::format::{date, euro};
use super::{render, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::ProviderStaff;
use crate::config::Config;
use crate::domain::billing::Variant;
use crate::domain::clock::Clock;
use crate::domain::period::{parse_date, Period};
use crate::domain::quantity::Quantity;
use crate::domain::trajectory::{EventKind, Outcome, Status as LineStatus};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::{ordering, registration};
use crate::views::trajectories::{
    self as views, LineView as LineData, TrajectoryView as Trajectory,
};

pub struct Row {
    id: String,
    number: String,
    municipality: String,
    client: String,
    reference: String,
    created: String,
    status: String,
    first_start: String,
    products: Vec<String>,
}

fn row(t: &Trajectory) -> Row {
    Row {
        id: t.id.clone(),
        number: t.number.clone(),
        municipality: t.municipality_name.clone().unwrap_or_default(),
        client: t
            .client
            .as_ref()
            .map(|c| {
                format!(
                    "{} ({})",
                    c.masked_name,
                    crate::domain::bsn::mask_last4(&c.bsn_last4)
                )
            })
            .unwrap_or_default(),
        reference: t.buyer_reference.clone(),
        created: date(t.created_at.date_naive()),
        status: t.status.label_nl().to_string(),
        first_start: t
            .lines
            .iter()
            .map(|l| l.start_date)
            .min()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        products: t
            .lines
            .iter()
            .map(|l| {
                let name = l
                    .product
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| l.product_code.clone());
                format!("{name}, start {}", date(l.start_date))
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "wsd_intake.html")]
struct IntakePage {
    layout: Layout,
    rows: Vec<Row>,
    changed: Vec<Row>,
    errors: Vec<FieldError>,
}

async fn intake_page(
    db: &DatabaseConnection,
    staff: &ProviderStaff,
    csrf: &CsrfToken,
    errors: Vec<FieldError>,
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    let filter = views::Filter {
        status: Some(LineStatus::Requested),
        oldest_first: true,
        ..Default::default()
    };
    let rows = views::list(db, &staff.0, &filter, 200)
        .await?
        .items
        .iter()
        .map(row)
        .collect();
    let changed = views::changed(db, &staff.0)
        .await?
        .iter()
        .map(row)
        .collect();
    Ok(render(&IntakePage {
        layout: Layout::new("Intake-inbox", Some(&staff.0), &csrf.0, "/wsd/intake")
            .with_flash(flash),
        rows,
        changed,
        errors,
    }))
}

#[rocket::get("/wsd/intake?<gedaan>")]
async fn intake(
    db: &State<DatabaseConnection>,
    staff: ProviderStaff,
    csrf: CsrfToken,
    gedaan: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let flash = gedaan.map(|g| {
        if g == "afgewezen" {
            "Het traject is afgewezen.".to_string()
        } else {
            "Het traject is geaccepteerd.".to_string()
        }
    });
    intake_page(db.inner(), &staff, &csrf, Vec::new(), flash).await
}

#[derive(FromForm)]
pub struct AcceptForm {
    planned_start: String,
}

type PageResult = AppResult<Result<Redirect, (Status, RawHtml<String>)>>;

#[rocket::post("/wsd/trajecten/<id>/accepteren", data = "<form>")]
async fn accept(
    db: &State<DatabaseConnection>,
    config: &State<Config>,
    staff: ProviderStaff,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<AcceptForm>,
) -> PageResult {
    let planned = match form.0.planned_start.trim() {
        "" => Ok(None),
        text => parse_date(text)
            .map(Some)
            .map_err(|e| AppError::field("planned_start", e.to_string())),
    };
    let result = match planned {
        Ok(p) => ordering::accept(db.inner(), config.inner(), &staff.0, id, p)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    intake_outcome(db.inner(), &staff, &csrf, result, "geaccepteerd").await
}

#[derive(FromForm)]
pub struct RejectForm {
    reason: String,
}

#[rocket::post("/wsd/trajecten/<id>/afwijzen", data = "<form>")]
async fn reject(
    db: &State<DatabaseConnection>,
    config: &State<Config>,
    staff: ProviderStaff,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<RejectForm>,
) -> PageResult {
    let result = ordering::reject(db.inner(), config.inner(), &staff.0, id, &form.0.reason)
        .await
        .map(|_| ());
    intake_outcome(db.inner(), &staff, &csrf, result, "afgewezen").await
}

async fn intake_outcome(
    db: &DatabaseConnection,
    staff: &ProviderStaff,
    csrf: &CsrfToken,
    result: AppResult<()>,
    done: &str,
) -> PageResult {
    match result {
        Ok(()) => Ok(Ok(Redirect::to(format!("/wsd/intake?gedaan={done}")))),
        Err(AppError::Validation { errors, .. }) => Ok(Err((
            Status::UnprocessableEntity,
            intake_page(db, staff, csrf, errors, None).await?,
        ))),
        Err(AppError::Conflict(m)) => Ok(Err((
            Status::Conflict,
            intake_page(db, staff, csrf, vec![FieldError::new("status", m)], None).await?,
        ))),
        Err(other) => Err(other),
    }
}

#[rocket::post("/wsd/trajecten/<id>/gezien", data = "<_form>")]
async fn seen(
    db: &State<DatabaseConnection>,
    staff: ProviderStaff,
    id: &str,
    _form: CsrfForm<SeenForm>,
) -> AppResult<Redirect> {
    ordering::acknowledge_change(db.inner(), &staff.0, id).await?;
    Ok(Redirect::to("/wsd/intake"))
}

#[derive(FromForm)]
pub struct SeenForm {
    #[field(name = "csrf_token")]
    _token: String,
}

#[derive(Template)]
#[template(path = "wsd_list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    statuses: Vec<(&'static str, &'static str)>,
    filter_status: String,
    /// (code, name) of every municipality, to narrow the list to one.
    municipalities: Vec<(String, String)>,
    filter_municipality: String,
    filter_search: String,
    /// "12 trajecten": all the filter finds, also beyond the limit.
    count: String,
    total: u64,
    limit: u64,
}

const LIST_LIMIT: u64 = 200;

#[rocket::get("/wsd/trajecten?<status>&<gemeente>&<zoek>")]
async fn list(
    db: &State<DatabaseConnection>,
    staff: ProviderStaff,
    csrf: CsrfToken,
    status: Option<String>,
    gemeente: Option<String>,
    zoek: Option<String>,
) -> AppResult<RawHtml<String>> {
    let status = status.filter(|s| LineStatus::parse(s).is_ok());
    let municipalities = crate::views::municipalities::choices(db.inner()).await?;
    let gemeente = gemeente.filter(|g| municipalities.iter().any(|(code, _)| code == g));
    let search = zoek.unwrap_or_default();
    // The municipality narrows the staff's own provider's trajectories; the provider
    // scope itself is applied in store/.
    let filter = views::Filter {
        status: status.as_deref().and_then(|s| LineStatus::parse(s).ok()),
        municipality: gemeente.clone(),
        search: Some(search.trim().to_string()),
        ..Default::default()
    };
    let rows = views::list(db.inner(), &staff.0, &filter, LIST_LIMIT)
        .await?
        .items
        .iter()
        .map(row)
        .collect();
    let total = views::count(db.inner(), &staff.0, &filter).await?;
    Ok(render(&ListPage {
        layout: Layout::new("Trajecten", Some(&staff.0), &csrf.0, "/wsd/trajecten"),
        rows,
        statuses: LineStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label_nl()))
            .collect(),
        filter_status: status.unwrap_or_default(),
        municipalities,
        filter_municipality: gemeente.unwrap_or_default(),
        filter_search: search,
        count: super::trajectories::trajectory_count(total),
        total,
        limit: LIST_LIMIT,
    }))
}

pub struct LineView {
    id: String,
    product: String,
    summary: String,
    unit: String,
    milestones: Vec<String>,
    can_start: bool,
    is_running: bool,
    is_effort: bool,
    registrations: Vec<RegistrationRow>,
}

pub struct TrajectoryView {
    id: String,
    number: String,
    municipality: String,
    client: String,
    status: String,
    reference: String,
    planned_start: Option<String>,
    reject_reason: Option<String>,
    lines: Vec<LineView>,
}

#[derive(Template)]
#[template(path = "wsd_trajectory.html")]
struct TrajectoryPage {
    layout: Layout,
    t: TrajectoryView,
    outcomes: Vec<(&'static str, &'static str)>,
    last_month: String,
    errors: Vec<FieldError>,
    /// The form that was posted, as typed, after it was refused.
    typed: Typed,
}

/// One refused registration form of a line: which form, what was typed and each field's
/// error, so that the form comes back filled in with each message next to its field.
#[derive(Default)]
pub struct Typed {
    line: String,
    /// `start`, `milestone`, `complete`, `stop` (the event forms) or `delivery`.
    form: String,
    date: String,
    period: String,
    quantity: String,
    note: String,
    milestone: String,
    outcome: String,
    /// The registration a correction or withdrawal names (its form is shown again).
    corrects: String,
    errors: Vec<FieldError>,
}

impl Typed {
    /// Whether this is the form `form` of line `line`.
    fn is(&self, line: &str, form: &str) -> bool {
        self.line == line && self.form == form && self.corrects.is_empty()
    }

    /// The message of `field` when it belongs to the form `form` of line `line`.
    fn err(&self, line: &str, form: &str, field: &str) -> Option<String> {
        if !self.is(line, form) {
            return None;
        }
        let messages: Vec<&str> = self
            .errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }

    /// The typed value of `field` for the form `form` of line `line`; empty for other forms.
    fn value(&self, line: &str, form: &str, field: &str) -> &str {
        if !self.is(line, form) {
            return "";
        }
        match field {
            "date" => &self.date,
            "period" => &self.period,
            "quantity" => &self.quantity,
            "note" => &self.note,
            "milestone" => &self.milestone,
            "outcome" => &self.outcome,
            _ => "",
        }
    }

    /// The HTML id of a field of the posted form (as the template writes them).
    fn anchor(&self, field: &str) -> String {
        if !self.corrects.is_empty() {
            return match field {
                "status" | "kind" | "corrects_id" => format!("k-{}", self.corrects),
                _ => format!("k{field}-{}", self.corrects),
            };
        }
        let prefix = match (self.form.as_str(), field) {
            (_, "status" | "kind") => return "fouten".to_string(),
            ("delivery", "period") => "p",
            ("delivery", "quantity") => "q",
            ("delivery", _) => "qn",
            ("start", _) => "s",
            ("milestone", "milestone") => "m",
            ("milestone", "note") => "mn",
            ("milestone", _) => "md",
            ("complete", "outcome") => "o",
            ("complete", _) => "c",
            ("stop", "note") => "sr",
            ("stop", _) => "st",
            _ => return "fouten".to_string(),
        };
        format!("{prefix}-{}", self.line)
    }
}

/// One registration as the page lists it, with what became of it and, while it counts,
/// its two actions (correct, withdraw).
pub struct RegistrationRow {
    id: String,
    /// `delivery`, or the event's kind.
    form: String,
    when: String,
    what: String,
    note: String,
    /// Replaced or withdrawn: shown struck through with `fate`.
    struck: bool,
    /// "vervangen op 3 november 2026 door a@b.nl" / "ingetrokken op … door …: reden".
    fate: String,
    /// Where it is billed, and what a correction does to that.
    billed: String,
    /// Whether "Corrigeren" and "Intrekken" are offered.
    live: bool,
    /// The correction form is open (asked for, or refused and shown again).
    correcting: bool,
    /// The withdraw form was refused and is shown again.
    withdrawing: bool,
    /// Values of the correction form: typed, or the registration's own.
    date: String,
    period: String,
    quantity: String,
    milestone: String,
    outcome: String,
    form_note: String,
    reason: String,
    errors: Vec<FieldError>,
}

impl RegistrationRow {
    /// The message of `field` when this row's form was refused.
    fn err(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }
}

fn who_when(at: chrono::DateTime<chrono::Utc>, by: &str) -> String {
    format!("op {} door {by}", date(at.date_naive()))
}

fn billed_text(number: Option<&Option<String>>) -> String {
    match number {
        None => String::new(),
        Some(Some(n)) => format!("gefactureerd op factuur {n}"),
        Some(None) => {
            "staat op een conceptfactuur; een correctie komt in de volgende factuurrun".to_string()
        }
    }
}

fn registrations(
    l: &LineData,
    unit: &str,
    billed: &std::collections::HashMap<String, Option<String>>,
    typed: &Typed,
) -> Vec<RegistrationRow> {
    let mut rows = Vec::new();
    let replaced_by = |id: &str| {
        l.events
            .iter()
            .find(|c| c.corrects_id.as_deref() == Some(id))
    };
    let milestones_billed = l
        .product
        .as_ref()
        .map(|p| p.milestones.clone())
        .unwrap_or_default();
    for e in l.events.iter().filter(|e| e.kind != EventKind::Withdraw) {
        let what = match e.kind {
            EventKind::Milestone => format!(
                "mijlpaal {}",
                e.milestone.clone().unwrap_or_default().replace('_', " ")
            ),
            EventKind::Start => "start".into(),
            EventKind::Stop => "gestopt".into(),
            EventKind::Complete => format!(
                "afgerond: {}",
                e.outcome.map(|o| o.label_nl()).unwrap_or("")
            ),
            EventKind::Withdraw => "ingetrokken".into(),
        };
        let what = if e.corrects_id.is_some() {
            format!("{what} (correctie)")
        } else {
            what
        };
        let fate = match replaced_by(&e.id) {
            Some(c) if c.kind == EventKind::Withdraw => format!(
                "ingetrokken {}: {}",
                who_when(c.created_at, &c.created_by),
                c.note.clone().unwrap_or_default()
            ),
            Some(c) => format!("vervangen {}", who_when(c.created_at, &c.created_by)),
            None => String::new(),
        };
        let milestone_key = match e.kind {
            EventKind::Milestone => e.milestone.clone(),
            EventKind::Start => Some("start".to_string()),
            EventKind::Complete => Some("afronding".to_string()),
            _ => None,
        }
        .filter(|m| milestones_billed.contains(m));
        let billed = if fate.is_empty() {
            billed_text(milestone_key.and_then(|m| billed.get(&format!("{}:ms:{m}", l.id))))
        } else {
            String::new()
        };
        let open = typed.corrects == e.id;
        let mine = open && typed.form != "open";
        let live = fate.is_empty();
        rows.push(RegistrationRow {
            id: e.id.clone(),
            form: e.kind.as_str().to_string(),
            when: date(e.date),
            what,
            note: e.note.clone().unwrap_or_default(),
            struck: !live,
            fate,
            billed,
            live,
            correcting: live && open && typed.form != "withdraw",
            withdrawing: live && mine && typed.form == "withdraw",
            date: if mine && typed.form != "withdraw" {
                typed.date.clone()
            } else {
                e.date.to_string()
            },
            period: String::new(),
            quantity: String::new(),
            milestone: if mine {
                typed.milestone.clone()
            } else {
                e.milestone.clone().unwrap_or_default()
            },
            outcome: if mine {
                typed.outcome.clone()
            } else {
                e.outcome
                    .map(|o| o.as_str().to_string())
                    .unwrap_or_default()
            },
            form_note: if mine && typed.form != "withdraw" {
                typed.note.clone()
            } else {
                e.note.clone().unwrap_or_default()
            },
            reason: if mine && typed.form == "withdraw" {
                typed.note.clone()
            } else {
                String::new()
            },
            errors: if mine {
                typed.errors.clone()
            } else {
                Vec::new()
            },
        });
    }
    for d in &l.deliveries {
        let replacement = l
            .deliveries
            .iter()
            .find(|c| c.corrects_id.as_deref() == Some(d.id.as_str()));
        let withdrawal = d.quantity.is_zero() && d.corrects_id.is_some();
        let what = format!(
            "{} {unit}{}",
            d.quantity.format_nl(),
            if withdrawal {
                " (ingetrokken)"
            } else if d.corrects_id.is_some() {
                " (correctie)"
            } else {
                ""
            }
        );
        let fate = match replacement {
            Some(c) if c.quantity.is_zero() => format!(
                "ingetrokken {}: {}",
                who_when(c.created_at, &c.created_by),
                c.note.clone().unwrap_or_default()
            ),
            Some(c) => format!("vervangen {}", who_when(c.created_at, &c.created_by)),
            None => String::new(),
        };
        let live = fate.is_empty() && !withdrawal;
        let billed = if fate.is_empty() {
            billed_text(billed.get(&format!("{}:dl:{}", l.id, d.id)))
        } else {
            String::new()
        };
        let open = typed.corrects == d.id;
        let mine = open && typed.form != "open";
        rows.push(RegistrationRow {
            id: d.id.clone(),
            form: "delivery".to_string(),
            when: super::format::month_text(&d.period),
            what,
            note: d.note.clone().unwrap_or_default(),
            struck: !fate.is_empty(),
            fate,
            billed,
            live,
            correcting: live && open && typed.form != "withdraw",
            withdrawing: live && mine && typed.form == "withdraw",
            date: String::new(),
            period: d.period.clone(),
            quantity: if mine && typed.form != "withdraw" {
                typed.quantity.clone()
            } else {
                d.quantity.to_string()
            },
            milestone: String::new(),
            outcome: String::new(),
            form_note: if mine && typed.form != "withdraw" {
                typed.note.clone()
            } else {
                d.note.clone().unwrap_or_default()
            },
            reason: if mine && typed.form == "withdraw" {
                typed.note.clone()
            } else {
                String::new()
            },
            errors: if mine {
                typed.errors.clone()
            } else {
                Vec::new()
            },
        });
    }
    rows
}

fn line_view(
    l: &LineData,
    billed: &std::collections::HashMap<String, Option<String>>,
    typed: &Typed,
) -> AppResult<LineView> {
    let product = l.product.as_ref().ok_or(AppError::NotFound)?;
    let status = l.status;
    let quantity = match (l.quantity, l.frequency) {
        (Some(q), Some(f)) => format!(
            ", {} {} {}",
            q.format_nl(),
            product.unit.as_str(),
            f.label_nl()
        ),
        _ => String::new(),
    };
    Ok(LineView {
        id: l.id.clone(),
        summary: format!(
            "{} · prijs {} · vanaf {}{}{} · status {}",
            l.product_code,
            euro(l.unit_price),
            date(l.start_date),
            l.end_date
                .map(|e| format!(" tot en met {}", date(e)))
                .unwrap_or_default(),
            quantity,
            status.label_nl()
        ),
        product: product.name.clone(),
        unit: product.unit.as_str().to_string(),
        milestones: product
            .milestones
            .iter()
            .filter(|m| m.as_str() != "start")
            .cloned()
            .collect(),
        can_start: status == LineStatus::Accepted,
        is_running: status == LineStatus::Started,
        is_effort: product.unit.variant() == Variant::Inspanning,
        registrations: registrations(l, product.unit.as_str(), billed, typed),
    })
}

async fn trajectory_page(
    db: &DatabaseConnection,
    clock: &Clock,
    staff: &ProviderStaff,
    csrf: &CsrfToken,
    id: &str,
    flash: Option<String>,
    typed: Typed,
) -> AppResult<RawHtml<String>> {
    let errors = typed.errors.clone();
    let t = views::detail(db, &staff.0, id).await?;
    let billed = views::billed_items(db, &t).await?;
    let r = row(&t);
    let lines = t
        .lines
        .iter()
        .map(|l| line_view(l, &billed, &typed))
        .collect::<AppResult<Vec<_>>>()?;
    let previous = Period::of(clock.today()).prev();
    Ok(render(&TrajectoryPage {
        layout: Layout::new(
            format!("Traject {}", t.number),
            Some(&staff.0),
            &csrf.0,
            "/wsd/trajecten",
        )
        .with_flash(flash),
        t: TrajectoryView {
            id: t.id.clone(),
            number: t.number.clone(),
            municipality: r.municipality,
            client: r.client,
            status: r.status,
            reference: t.buyer_reference.clone(),
            planned_start: t.planned_start.map(date),
            reject_reason: t.reject_reason.clone(),
            lines,
        },
        outcomes: Outcome::ALL
            .iter()
            .map(|o| (o.as_str(), o.label_nl()))
            .collect(),
        last_month: format!(
            "{:04}-{:02}",
            previous.first_day().year(),
            previous.first_day().month()
        ),
        errors,
        typed,
    }))
}

#[rocket::get("/wsd/trajecten/<id>?<gedaan>&<corrigeer>")]
async fn show(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    staff: ProviderStaff,
    csrf: CsrfToken,
    id: &str,
    gedaan: Option<&str>,
    corrigeer: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let flash = gedaan.map(|g| match g {
        "ingetrokken" => "De registratie is ingetrokken.".to_string(),
        "gecorrigeerd" => "De correctie is opgeslagen.".to_string(),
        _ => "De registratie is opgeslagen.".to_string(),
    });
    trajectory_page(
        db.inner(),
        clock,
        &staff,
        &csrf,
        id,
        flash,
        Typed {
            form: "open".to_string(),
            corrects: corrigeer.unwrap_or_default().to_string(),
            ..Default::default()
        },
    )
    .await
}

#[derive(FromForm)]
pub struct EventForm {
    kind: String,
    date: String,
    milestone: Option<String>,
    outcome: Option<String>,
    note: Option<String>,
    /// `ja` from the confirmation page; stopping and completing need it.
    bevestigd: Option<String>,
    /// The registration this one corrects (the "Corrigeren" form of a row).
    corrects_id: Option<String>,
}

/// What stopping or completing a line does to its billing and who hears of it.
async fn end_confirmation(
    db: &DatabaseConnection,
    staff: &ProviderStaff,
    line_id: &str,
    form: &EventForm,
    input: &registration::EventInput,
) -> AppResult<Confirmation> {
    let trajectory_id = views::trajectory_id_of_line(db, &staff.0, line_id).await?;
    let t = views::detail(db, &staff.0, &trajectory_id).await?;
    let product = t
        .lines
        .iter()
        .find(|l| l.id == line_id)
        .map(|l| {
            l.product
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or(l.product_code.clone())
        })
        .ok_or(AppError::NotFound)?;
    let on = date(input.date);
    let billing = format!("Wat tot en met {on} is geleverd of bereikt, wordt nog gefactureerd; daarna niets meer, en op dit product kan dan niets meer worden geregistreerd.");
    let stop = input.kind == registration::EventKind::Stop;
    let (title, first, yes) = if stop {
        (
            format!("{product} stoppen?"),
            format!(
                "{product} van traject {} stopt op {on}. De casemanager krijgt hier geen e-mail over, maar ziet de stop en de reden op de trajectpagina.",
                t.number
            ),
            "Ja, stop dit product".to_string(),
        )
    } else {
        let outcome = input
            .outcome
            .map(|o| format!(" met uitkomst „{}”", o.label_nl()))
            .unwrap_or_default();
        (
            format!("{product} afronden?"),
            format!(
                "{product} van traject {} wordt afgerond op {on}{outcome}. De casemanager die het traject bestelde krijgt daarover een e-mail.",
                t.number
            ),
            "Ja, rond dit product af".to_string(),
        )
    };
    let fields = [
        ("kind", Some(form.kind.clone())),
        ("date", Some(form.date.clone())),
        ("milestone", form.milestone.clone()),
        ("outcome", form.outcome.clone()),
        ("note", form.note.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
    .collect();
    Ok(Confirmation {
        title,
        sentences: vec![first, billing],
        action: format!("/wsd/regels/{line_id}/registraties"),
        fields,
        yes,
        back: format!("/wsd/trajecten/{trajectory_id}"),
    })
}

async fn registration_outcome(
    db: &DatabaseConnection,
    clock: &Clock,
    staff: &ProviderStaff,
    csrf: &CsrfToken,
    line_id: &str,
    result: AppResult<()>,
    typed: Typed,
) -> PageResult {
    let trajectory_id = views::trajectory_id_of_line(db, &staff.0, line_id).await?;
    let (status, errors) = match result {
        Ok(()) => {
            let done = match (typed.corrects.is_empty(), typed.form.as_str()) {
                (true, _) => "1",
                (false, "withdraw") => "ingetrokken",
                (false, _) => "gecorrigeerd",
            };
            return Ok(Ok(Redirect::to(format!(
                "/wsd/trajecten/{trajectory_id}?gedaan={done}"
            ))));
        }
        Err(AppError::Validation { errors, .. }) => (Status::UnprocessableEntity, errors),
        Err(AppError::Conflict(m)) => (Status::Conflict, vec![FieldError::new("status", m)]),
        Err(other) => return Err(other),
    };
    let typed = Typed { errors, ..typed };
    let page = trajectory_page(db, clock, staff, csrf, &trajectory_id, None, typed);
    Ok(Err((status, page.await?)))
}

#[rocket::post("/wsd/regels/<line>/registraties", data = "<form>")]
async fn register_event(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    config: &State<Config>,
    staff: ProviderStaff,
    csrf: CsrfToken,
    line: &str,
    form: CsrfForm<EventForm>,
) -> PageResult {
    let f = form.0;
    let mut errors = Vec::new();
    let kind = registration::EventKind::parse(&f.kind)
        .map_err(|e| errors.push(FieldError::new("kind", e)))
        .ok();
    let date = parse_date(f.date.trim())
        .map_err(|e| errors.push(FieldError::new("date", e.to_string())))
        .ok();
    let outcome = match f.outcome.as_deref().filter(|o| !o.is_empty()) {
        None => None,
        Some(o) => Outcome::parse(o)
            .map_err(|e| errors.push(FieldError::new("outcome", e)))
            .ok(),
    };
    let corrects_id = f.corrects_id.clone().filter(|c| !c.trim().is_empty());
    if kind == Some(registration::EventKind::Withdraw) {
        errors.push(FieldError::new(
            "kind",
            "trek een registratie in met „Intrekken”",
        ));
    }
    let input = match (kind, date) {
        (Some(kind), Some(date)) if errors.is_empty() => Some(registration::EventInput {
            kind,
            date,
            milestone: f.milestone.clone(),
            outcome,
            note: f.note.clone(),
            corrects_id: corrects_id.clone(),
        }),
        _ => None,
    };
    // Stopping or completing a line cannot be undone: the form comes back as a confirmation.
    if let Some(input) = &input {
        let ends = matches!(
            input.kind,
            registration::EventKind::Stop | registration::EventKind::Complete
        );
        if ends && input.corrects_id.is_none() && !confirm::confirmed(f.bevestigd.as_deref()) {
            let c = end_confirmation(db.inner(), &staff, line, &f, input).await?;
            return Ok(Err((
                Status::Ok,
                confirm::page(c, &staff.0, &csrf.0, "/wsd/trajecten"),
            )));
        }
    }
    let result = match input {
        Some(input) => {
            registration::register_event(db.inner(), config.inner(), &staff.0, line, input, None)
                .await
                .map(|_| ())
        }
        None => Err(AppError::validation("registratie ongeldig", errors)),
    };
    let typed = Typed {
        line: line.to_string(),
        form: f.kind.clone(),
        date: f.date,
        note: f.note.unwrap_or_default(),
        milestone: f.milestone.unwrap_or_default(),
        outcome: f.outcome.unwrap_or_default(),
        corrects: corrects_id.unwrap_or_default(),
        ..Default::default()
    };
    registration_outcome(db.inner(), clock, &staff, &csrf, line, result, typed).await
}

#[derive(FromForm)]
pub struct DeliveryForm {
    period: String,
    quantity: String,
    note: Option<String>,
    /// The registration this one replaces (a row's "Corrigeren", or "Vergissing").
    corrects_id: Option<String>,
    /// The answer to "aanvulling of vergissing?": `aanvulling`, `vergissing` or `terug`.
    keuze: Option<String>,
}

#[derive(Template)]
#[template(path = "wsd_twice.html")]
struct TwicePage {
    layout: Layout,
    action: String,
    back: String,
    month: String,
    period: String,
    quantity: String,
    note: String,
    unit: String,
    /// The registrations that count for the month: (id, "12 uur", note).
    existing: Vec<(String, String, String)>,
}

/// The registrations of the month that count now (not replaced, not withdrawn).
fn counting_in_month(l: &LineData, period: &str) -> Vec<(String, Quantity, String)> {
    l.deliveries
        .iter()
        .filter(|d| d.period == period && !d.quantity.is_zero())
        .filter(|d| {
            !l.deliveries
                .iter()
                .any(|c| c.corrects_id.as_deref() == Some(d.id.as_str()))
        })
        .map(|d| (d.id.clone(), d.quantity, d.note.clone().unwrap_or_default()))
        .collect()
}

#[rocket::post("/wsd/regels/<line>/leveringen", data = "<form>")]
async fn register_delivery(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    staff: ProviderStaff,
    csrf: CsrfToken,
    line: &str,
    form: CsrfForm<DeliveryForm>,
) -> PageResult {
    let f = form.0;
    let corrects_id = f.corrects_id.clone().filter(|c| !c.trim().is_empty());
    let keuze = f.keuze.clone().unwrap_or_default();
    let typed = Typed {
        line: line.to_string(),
        form: "delivery".to_string(),
        period: f.period.clone(),
        quantity: f.quantity.clone(),
        note: f.note.clone().unwrap_or_default(),
        corrects: corrects_id.clone().unwrap_or_default(),
        ..Default::default()
    };
    let mut errors = Vec::new();
    let period = Period::parse(f.period.trim())
        .map_err(|e| errors.push(FieldError::new("period", e.to_string())))
        .ok();
    let quantity = Quantity::parse_typed(&f.quantity)
        .map_err(|e| errors.push(FieldError::new("quantity", e.to_string())))
        .ok();
    if keuze == "terug" {
        // Cancelled at the question: the form comes back as it was typed, nothing saved.
        let trajectory_id = views::trajectory_id_of_line(db.inner(), &staff.0, line).await?;
        let page = trajectory_page(
            db.inner(),
            clock,
            &staff,
            &csrf,
            &trajectory_id,
            None,
            typed,
        );
        return Ok(Err((Status::Ok, page.await?)));
    }
    // A second registration for a month that has one: an addition or a mistake?
    if let (Some(p), Some(_), None, "") = (&period, &quantity, &corrects_id, keuze.as_str()) {
        let t = views::of_line(db.inner(), &staff.0, line).await?;
        let l = t
            .lines
            .iter()
            .find(|l| l.id == line)
            .ok_or(AppError::NotFound)?;
        let existing = counting_in_month(l, &p.to_string());
        if !existing.is_empty() {
            let unit = l
                .product
                .as_ref()
                .map(|p| p.unit.as_str().to_string())
                .unwrap_or_default();
            let page = TwicePage {
                layout: Layout::new(
                    "Aanvulling of vergissing?",
                    Some(&staff.0),
                    &csrf.0,
                    "/wsd/trajecten",
                ),
                action: format!("/wsd/regels/{line}/leveringen"),
                back: format!("/wsd/trajecten/{}", t.id),
                month: super::format::month_text(&p.to_string()),
                period: f.period.clone(),
                quantity: f.quantity.trim().to_string(),
                note: f.note.clone().unwrap_or_default(),
                existing: existing
                    .into_iter()
                    .map(|(id, q, note)| (id, format!("{} {unit}", q.format_nl()), note))
                    .collect(),
                unit,
            };
            return Ok(Err((Status::Ok, render(&page))));
        }
    }
    let result = match (period, quantity) {
        (Some(period), Some(quantity)) => {
            let input = registration::DeliveryInput {
                period,
                quantity,
                note: f.note.clone(),
                corrects_id,
            };
            registration::register_delivery(db.inner(), clock, &staff.0, line, input, None)
                .await
                .map(|_| ())
        }
        _ => Err(AppError::validation("levering ongeldig", errors)),
    };
    registration_outcome(db.inner(), clock, &staff, &csrf, line, result, typed).await
}

#[derive(FromForm)]
pub struct WithdrawForm {
    /// The registration's id.
    registratie: String,
    /// Why it is withdrawn (required).
    reason: Option<String>,
}

/// "Intrekken" on a registration row: an hour registration is corrected to nothing with
/// the reason as its note; an event gets a `withdraw` registration with the reason.
#[rocket::post("/wsd/regels/<line>/intrekken", data = "<form>")]
async fn withdraw(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    config: &State<Config>,
    staff: ProviderStaff,
    csrf: CsrfToken,
    line: &str,
    form: CsrfForm<WithdrawForm>,
) -> PageResult {
    let f = form.0;
    let reason = f.reason.clone().unwrap_or_default();
    let typed = Typed {
        line: line.to_string(),
        form: "withdraw".to_string(),
        note: reason.clone(),
        corrects: f.registratie.clone(),
        ..Default::default()
    };
    let t = views::of_line(db.inner(), &staff.0, line).await?;
    let l = t
        .lines
        .iter()
        .find(|l| l.id == line)
        .ok_or(AppError::NotFound)?;
    let result = if reason.trim().is_empty() {
        Err(AppError::field(
            "reason",
            "geef de reden waarom u de registratie intrekt",
        ))
    } else if let Some(d) = l.deliveries.iter().find(|d| d.id == f.registratie) {
        match Period::parse(&d.period) {
            Ok(period) => {
                let input = registration::DeliveryInput {
                    period,
                    quantity: Quantity::from_thousandths(0),
                    note: Some(reason.clone()),
                    corrects_id: Some(d.id.clone()),
                };
                registration::register_delivery(db.inner(), clock, &staff.0, line, input, None)
                    .await
                    .map(|_| ())
            }
            Err(e) => Err(AppError::field("corrects_id", e.to_string())),
        }
    } else {
        let input = registration::EventInput {
            kind: registration::EventKind::Withdraw,
            date: clock.today(),
            milestone: None,
            outcome: None,
            note: Some(reason.clone()),
            corrects_id: Some(f.registratie.clone()),
        };
        registration::register_event(db.inner(), config.inner(), &staff.0, line, input, None)
            .await
            .map(|_| ())
    };
    registration_outcome(db.inner(), clock, &staff, &csrf, line, result, typed).await
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        intake,
        accept,
        reject,
        seen,
        list,
        show,
        register_event,
        register_delivery,
        withdraw
    ]
}
