//! Contract pages: pricing staff create, amend, activate and copy; a casemanager reads
//! their own municipality's contract with its budget.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::confirm::{self, Confirmation};
use super::format::{date, euro};
use super::{render, Errors, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::{Casemanager, Pricing, Principal};
use crate::domain::clock::Clock;
use crate::domain::contract::ContractStatus;
use crate::domain::input::{parse_percent, Notation};
use crate::domain::money::Money;
use crate::domain::period::parse_date;
use crate::domain::quantity::Quantity;
use crate::domain::settlement::{
    AdvanceSchedule, Arrangement, ArrangementInput, Progress, SettlementForm,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::contracts::{self as service, ContractPatch, LineInput, NewContract};
use crate::views::contracts::{self as views, Contract};

pub struct Row {
    id: String,
    municipality: String,
    provider: String,
    name: String,
    period: String,
    status: String,
    budget: String,
    lines: usize,
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    municipalities: Vec<(String, String)>,
    errors: Errors,
    /// The new-contract form as typed (empty on a first visit).
    form: NewEcho,
}

/// What was typed in the new-contract form, shown back exactly as typed after an error.
#[derive(Default)]
pub struct NewEcho {
    municipality: String,
    valid_from: String,
    valid_to: String,
    budget_ceiling: String,
    settlement: String,
    guaranteed_amount: String,
    budget_amount: String,
    advance_schedule: String,
    refund_unused: bool,
}

impl NewEcho {
    fn of(f: &NewForm) -> NewEcho {
        NewEcho {
            municipality: f.municipality.clone(),
            valid_from: f.valid_from.clone(),
            valid_to: f.valid_to.clone(),
            budget_ceiling: f.budget_ceiling.clone(),
            settlement: f.settlement.clone().unwrap_or_default(),
            guaranteed_amount: f.guaranteed_amount.clone().unwrap_or_default(),
            budget_amount: f.budget_amount.clone().unwrap_or_default(),
            advance_schedule: f.advance_schedule.clone().unwrap_or_default(),
            refund_unused: f.refund_unused,
        }
    }

    /// The chosen settlement form; product price when none was chosen.
    fn settles(&self, value: &str) -> bool {
        match self.settlement.trim() {
            "" => value == "product_price",
            chosen => chosen == value,
        }
    }
}

fn money_text(money: Option<Money>) -> String {
    money.map(euro).unwrap_or_else(|| "geen".into())
}

/// A quantity as the pages show it: "12,5".
fn quantity_text(q: Quantity) -> String {
    q.to_string().replace('.', ",")
}

async fn list_page(
    db: &DatabaseConnection,
    clock: &Clock,
    pricing: &Pricing,
    csrf: &CsrfToken,
    errors: Vec<FieldError>,
    form: NewEcho,
) -> AppResult<RawHtml<String>> {
    let municipalities = views::municipality_choices(db).await?;
    let name_of = |code: &str| {
        municipalities
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_string(), |(_, name)| name.clone())
    };
    let rows = views::list(db, &pricing.0, None, None, clock.today())
        .await?
        .into_iter()
        .map(|c| Row {
            lines: c.lines.len(),
            period: format!("{} t/m {}", date(c.valid_from), date(c.valid_to)),
            status: c.status.label_nl().to_string(),
            budget: money_text(c.budget.ceiling),
            id: c.id,
            municipality: name_of(&c.municipality),
            provider: c.provider_name,
            name: c.name,
        })
        .collect();
    Ok(render(&ListPage {
        layout: Layout::new(
            "Contractspecificaties",
            Some(&pricing.0),
            &csrf.0,
            "/prijzen/contracten",
        ),
        rows,
        municipalities,
        errors: Errors(errors),
        form,
    }))
}

#[rocket::get("/prijzen/contracten")]
async fn list(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
) -> AppResult<RawHtml<String>> {
    list_page(
        db.inner(),
        clock,
        &pricing,
        &csrf,
        Vec::new(),
        NewEcho::default(),
    )
    .await
}

#[derive(FromForm)]
pub struct NewForm {
    municipality: String,
    valid_from: String,
    valid_to: String,
    budget_ceiling: String,
    /// `product_price` (when absent), `volume_guarantee` or `budget`.
    settlement: Option<String>,
    guaranteed_amount: Option<String>,
    budget_amount: Option<String>,
    advance_schedule: Option<String>,
    refund_unused: bool,
}

/// The settlement fields of the new-contract form; an amount left empty is no amount, and
/// only the chosen form's amounts count (the others may still hold what was typed before
/// the choice changed).
fn settlement_input(f: &NewForm, errors: &mut Vec<FieldError>) -> ArrangementInput {
    let form = match f
        .settlement
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => SettlementForm::ProductPrice,
        Some(text) => SettlementForm::parse(text).unwrap_or_else(|e| {
            errors.push(FieldError::new("settlement", e));
            SettlementForm::ProductPrice
        }),
    };
    let mut amount = |field: &str, text: &Option<String>| {
        parse_money_input(field, text.as_deref().unwrap_or(""))
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
    };
    let guaranteed = amount("guaranteed_amount", &f.guaranteed_amount);
    let budget = amount("budget_amount", &f.budget_amount);
    match form {
        SettlementForm::ProductPrice => ArrangementInput::default(),
        SettlementForm::VolumeGuarantee => ArrangementInput {
            form,
            guaranteed_amount: guaranteed,
            ..Default::default()
        },
        SettlementForm::Budget => ArrangementInput {
            form,
            budget_amount: budget,
            advance_schedule: match f.advance_schedule.as_deref() {
                Some("quarterly") => Some(AdvanceSchedule::Quarterly),
                _ => Some(AdvanceSchedule::Monthly),
            },
            refund_unused: Some(f.refund_unused),
            ..Default::default()
        },
    }
}

type PageResult = AppResult<Result<Redirect, (Status, RawHtml<String>)>>;

fn parse_money_input(field: &str, text: &str) -> Result<Option<Money>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Money::parse_non_negative(text)
        .map(Some)
        .map_err(|e| FieldError::new(field, e.to_string()))
}

#[rocket::post("/prijzen/contracten", data = "<form>")]
async fn create(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    form: CsrfForm<NewForm>,
) -> PageResult {
    let f = form.0;
    let echo = NewEcho::of(&f);
    let mut errors = Vec::new();
    let from = parse_date(&f.valid_from)
        .map_err(|e| errors.push(FieldError::new("valid_from", e.to_string())))
        .ok();
    let to = parse_date(&f.valid_to)
        .map_err(|e| errors.push(FieldError::new("valid_to", e.to_string())))
        .ok();
    let budget = parse_money_input("budget_ceiling", &f.budget_ceiling)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let settlement = settlement_input(&f, &mut errors);
    let result = match (from, to, errors.is_empty()) {
        (Some(valid_from), Some(valid_to), true) => {
            service::create(
                db.inner(),
                &pricing.0,
                NewContract {
                    municipality: f.municipality,
                    name: None,
                    valid_from,
                    valid_to,
                    budget_ceiling: budget,
                    settlement,
                },
            )
            .await
        }
        _ => Err(AppError::validation("contract ongeldig", errors)),
    };
    match result {
        Ok(c) => Ok(Ok(Redirect::to(format!("/prijzen/contracten/{}", c.id)))),
        Err(AppError::Validation { errors, .. }) => Ok(Err((
            Status::UnprocessableEntity,
            list_page(db.inner(), clock, &pricing, &csrf, errors, echo).await?,
        ))),
        Err(other) => Err(other),
    }
}

pub struct LineRow {
    code: String,
    name: String,
    price: String,
    list_price: String,
    unit: String,
    dates: String,
    volume: String,
    history: String,
}

pub struct ContractView {
    id: String,
    name: String,
    municipality: String,
    /// "Werkpad Brabant B.V. (WERKPAD)".
    provider: String,
    period: String,
    status: String,
    is_draft: bool,
    is_active: bool,
    is_ended: bool,
    version: i32,
    ceiling: String,
    committed: String,
    invoiced: String,
    remaining: String,
    /// "volumegarantie (transitiearrangement)" and what it means.
    settlement: String,
    settlement_explained: String,
    /// Where a volume guarantee or budget stands: (label, amount) rows; empty for product price.
    progress: Vec<(String, String)>,
    lines: Vec<LineRow>,
}

/// The rows of a settling contract's progress, in Dutch.
fn progress_rows(arrangement: &Arrangement, p: &Progress) -> Vec<(String, String)> {
    let euro_of = |m: Money| money_text(Some(m));
    let months = format!(
        "{} van {} maanden verstreken",
        p.months_elapsed, p.months_total
    );
    let projected = |label: &str| {
        (
            format!("{label} (lineair, {months})"),
            p.projected_delivery
                .map(euro_of)
                .unwrap_or_else(|| "nog geen volle maand".into()),
        )
    };
    match *arrangement {
        Arrangement::ProductPrice => Vec::new(),
        Arrangement::VolumeGuarantee { guaranteed } => vec![
            ("Gegarandeerd bedrag".into(), euro_of(guaranteed)),
            (
                "Gefactureerd aan leveringen (ook concepten, na creditnota's)".into(),
                euro_of(p.billed),
            ),
            (
                "Tekort als het contract nu zou aflopen".into(),
                euro_of(p.shortfall_or_unused),
            ),
            (
                "Aanvulling al gefactureerd".into(),
                euro_of(p.true_up_billed),
            ),
            projected("Verwachte levering tot het einde"),
            (
                "Verwachte aanvulling na de laatste maand".into(),
                p.projected_delivery
                    .map(|d| euro_of(crate::domain::settlement::true_up_target(guaranteed, d)))
                    .unwrap_or_else(|| "nog niet te schatten".into()),
            ),
        ],
        Arrangement::Budget {
            budget,
            schedule,
            refund_unused,
        } => vec![
            ("Budget".into(), euro_of(budget)),
            ("Voorschotten".into(), schedule.label_nl().into()),
            (
                "Voorschotten gefactureerd (ook concepten)".into(),
                euro_of(p.billed),
            ),
            (
                "Geleverd, gewaardeerd tegen contractprijzen".into(),
                euro_of(p.delivered_value),
            ),
            ("Nog niet besteed".into(), euro_of(p.shortfall_or_unused)),
            ("Terugbetaald bij verrekening".into(), euro_of(p.returned)),
            ("Handmatige boekingen".into(), euro_of(p.manual)),
            (
                "Saldo (voorschotten − geleverd − terugbetaald)".into(),
                euro_of(p.balance),
            ),
            projected("Verwachte levering tot het einde"),
            (
                "Na de laatste maand".into(),
                if refund_unused {
                    "wat niet besteed is, wordt terugbetaald met een creditnota".into()
                } else {
                    "wat niet besteed is, wordt niet terugbetaald".into()
                },
            ),
        ],
    }
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage {
    layout: Layout,
    c: ContractView,
    editable: bool,
    products: Vec<(String, String)>,
    errors: Errors,
    /// What was typed into the line form, shown again when it is refused.
    line: LineEcho,
    /// The municipality's other contracts in the same period (with other providers), as
    /// (link, label).
    others: Vec<(String, String)>,
}

/// The line form as sent, so a refused form keeps what was typed.
#[derive(Default)]
struct LineEcho {
    product_code: String,
    price: String,
    volume_cap: String,
    effective_from: String,
}

fn line_row(l: &views::ContractLine) -> LineRow {
    LineRow {
        code: l.product_code.clone(),
        name: l.product_name.clone(),
        price: money_text(l.price),
        list_price: money_text(l.list_price),
        unit: l.unit.clone(),
        dates: format!("{} t/m {}", date(l.valid_from), date(l.valid_to)),
        volume: match l.volume_cap {
            Some(cap) => format!(
                "{} van {}",
                quantity_text(l.volume_used),
                quantity_text(cap)
            ),
            None => format!("{} (geen plafond)", quantity_text(l.volume_used)),
        },
        history: l
            .price_history
            .iter()
            .map(|(from, price)| format!("{} vanaf {}", euro(*price), date(*from)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn page_view(v: Contract, municipality_name: Option<String>) -> ContractView {
    ContractView {
        municipality: municipality_name
            .map(|name| format!("{name} ({})", v.municipality))
            .unwrap_or(v.municipality.clone()),
        period: format!("{} t/m {}", date(v.valid_from), date(v.valid_to)),
        status: v.status.label_nl().to_string(),
        is_draft: v.status == ContractStatus::Draft,
        is_active: v.status == ContractStatus::Active,
        is_ended: v.status == ContractStatus::Ended,
        version: v.version,
        ceiling: money_text(v.budget.ceiling),
        committed: money_text(Some(v.budget.committed)),
        invoiced: money_text(Some(v.budget.invoiced)),
        remaining: v
            .budget
            .remaining()
            .map(|r| money_text(Some(r)))
            .unwrap_or_else(|| "geen plafond".into()),
        lines: v.lines.iter().map(line_row).collect(),
        settlement: v.arrangement.form().label_nl().to_string(),
        settlement_explained: v.arrangement.form().explain_nl().to_string(),
        progress: v
            .progress
            .as_ref()
            .map(|p| progress_rows(&v.arrangement, p))
            .unwrap_or_default(),
        provider: format!("{} ({})", v.provider_name, v.provider),
        id: v.id,
        name: v.name,
    }
}

#[allow(clippy::too_many_arguments)]
async fn contract_page(
    db: &DatabaseConnection,
    clock: &Clock,
    who: &Principal,
    csrf: &CsrfToken,
    id: &str,
    editable: bool,
    errors: Vec<FieldError>,
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    contract_page_with(
        db,
        clock,
        who,
        csrf,
        id,
        editable,
        errors,
        flash,
        LineEcho::default(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn contract_page_with(
    db: &DatabaseConnection,
    clock: &Clock,
    who: &Principal,
    csrf: &CsrfToken,
    id: &str,
    editable: bool,
    errors: Vec<FieldError>,
    flash: Option<String>,
    line: LineEcho,
) -> AppResult<RawHtml<String>> {
    let c = views::get(db, who, id, clock.today()).await?;
    render_contract(db, who, csrf, c, editable, errors, flash, line).await
}

#[allow(clippy::too_many_arguments)]
async fn render_contract(
    db: &DatabaseConnection,
    who: &Principal,
    csrf: &CsrfToken,
    c: Contract,
    editable: bool,
    errors: Vec<FieldError>,
    flash: Option<String>,
    line: LineEcho,
) -> AppResult<RawHtml<String>> {
    let municipality_name = views::municipality_name(db, &c.municipality).await?;
    let link = if editable {
        "/prijzen/contracten"
    } else {
        "/contracten"
    };
    let others = views::alongside(db, who, &c)
        .await?
        .into_iter()
        .map(|(id, label)| (format!("{link}/{id}"), label))
        .collect();
    let products = if editable {
        views::product_choices(db, &c.provider).await?
    } else {
        Vec::new()
    };
    let view = page_view(c, municipality_name);
    let path = if editable {
        "/prijzen/contracten"
    } else {
        "/contract"
    };
    Ok(render(&ContractPage {
        layout: Layout::new(view.name.clone(), Some(who), &csrf.0, path).with_flash(flash),
        c: view,
        editable,
        products,
        errors: Errors(errors),
        line,
        others,
    }))
}

#[rocket::get("/prijzen/contracten/<id>?<gewijzigd>")]
async fn show(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    id: &str,
    gewijzigd: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let flash = gewijzigd.map(|w| match w {
        "actief" => "Het contract is actief.".to_string(),
        "kopie" => "De kopie voor volgend jaar is aangemaakt als concept.".to_string(),
        _ => "De wijziging is opgeslagen.".to_string(),
    });
    contract_page(
        db.inner(),
        clock,
        &pricing.0,
        &csrf,
        id,
        true,
        Vec::new(),
        flash,
    )
    .await
}

#[derive(FromForm)]
pub struct LineForm {
    product_code: String,
    price: String,
    volume_cap: String,
    effective_from: Option<String>,
}

#[rocket::post("/prijzen/contracten/<id>/regels", data = "<form>")]
async fn put_line(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<LineForm>,
) -> PageResult {
    let f = form.0;
    let mut errors = Vec::new();
    let price = parse_money_input("price", &f.price)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let cap = match f.volume_cap.trim() {
        "" => None,
        text => Quantity::parse_typed(text)
            .map_err(|e| errors.push(FieldError::new("volume_cap", e.to_string())))
            .ok(),
    };
    let effective = match f
        .effective_from
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(text) => parse_date(text)
            .map_err(|e| errors.push(FieldError::new("effective_from", e.to_string())))
            .ok(),
        None => None,
    };
    let result = if errors.is_empty() {
        service::put_line(
            db.inner(),
            &pricing.0,
            id,
            &f.product_code,
            LineInput {
                price,
                volume_cap: cap,
                effective_from: effective,
                ..Default::default()
            },
        )
        .await
        .map(|_| ())
    } else {
        Err(AppError::validation("contractregel ongeldig", errors))
    };
    match result {
        Err(AppError::Validation { errors, .. }) => {
            let line = LineEcho {
                product_code: f.product_code,
                price: f.price,
                volume_cap: f.volume_cap,
                effective_from: f.effective_from.unwrap_or_default(),
            };
            let page = contract_page_with(
                db.inner(),
                clock,
                &pricing.0,
                &csrf,
                id,
                true,
                errors,
                None,
                line,
            );
            Ok(Err((Status::UnprocessableEntity, page.await?)))
        }
        other => page_outcome(db.inner(), clock, &pricing, &csrf, id, other, "regel").await,
    }
}

async fn page_outcome(
    db: &DatabaseConnection,
    clock: &Clock,
    pricing: &Pricing,
    csrf: &CsrfToken,
    id: &str,
    result: AppResult<()>,
    what: &str,
) -> PageResult {
    match result {
        Ok(()) => Ok(Ok(Redirect::to(format!("/prijzen/contracten/{id}?gewijzigd={what}")))),
        Err(AppError::Validation { errors, .. }) => Ok(Err((Status::UnprocessableEntity, contract_page(db, clock, &pricing.0, csrf, id, true, errors, None).await?))),
        Err(AppError::Conflict(message)) => Ok(Err((Status::Conflict, contract_page(db, clock, &pricing.0, csrf, id, true, vec![FieldError::new("status", message)], None).await?))),
        Err(AppError::PreconditionFailed) => Ok(Err((
            Status::PreconditionFailed,
            contract_page(db, clock, &pricing.0, csrf, id, true, vec![FieldError::new("version", "het contract is intussen gewijzigd; bekijk de nieuwe versie en probeer het opnieuw")], None).await?,
        ))),
        Err(other) => Err(other),
    }
}

#[derive(FromForm)]
pub struct VersionForm {
    version: i32,
    /// `ja` from the confirmation page; activating cannot be undone.
    bevestigd: Option<String>,
}

/// What activating a draft contract does: casemanagers may order from it, and later
/// changes are amendments with a date.
async fn activation_confirmation(
    db: &DatabaseConnection,
    clock: &Clock,
    who: &Principal,
    id: &str,
    version: i32,
) -> AppResult<Confirmation> {
    let c = views::get(db, who, id, clock.today()).await?;
    if c.status != ContractStatus::Draft {
        return Err(AppError::Conflict(format!(
            "alleen een concept kan worden geactiveerd; dit contract is {}",
            c.status.label_nl()
        )));
    }
    let municipality = crate::views::municipalities::display_name(&c.municipality);
    Ok(Confirmation {
        title: format!("{} activeren?", c.name),
        sentences: vec![
            match c.lines.len() {
                0 => format!(
                    "Het contract heeft nog geen producten: casemanagers van {municipality} kunnen er pas bij {} uit bestellen als er een prijs op staat.",
                    c.provider_name
                ),
                n => format!(
                    "Casemanagers van {municipality} kunnen dan bij {} {} bestellen tegen de prijzen van dit contract, van {} t/m {}.",
                    c.provider_name,
                    if n == 1 { "1 product".to_string() } else { format!("{n} producten") },
                    date(c.valid_from),
                    date(c.valid_to)
                ),
            },
            "Een actief contract gaat niet terug naar concept: een prijs wijzigt daarna alleen met een wijziging vanaf een ingangsdatum.".into(),
        ],
        action: format!("/prijzen/contracten/{id}/activeren"),
        fields: vec![("version".into(), version.to_string())],
        yes: "Ja, activeer het contract".into(),
        back: format!("/prijzen/contracten/{id}"),
    })
}

#[rocket::post("/prijzen/contracten/<id>/activeren", data = "<form>")]
async fn activate(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<VersionForm>,
) -> PageResult {
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let result =
            activation_confirmation(db.inner(), clock, &pricing.0, id, form.0.version).await;
        return match result {
            Ok(c) => Ok(Err((
                Status::Ok,
                confirm::page(c, &pricing.0, &csrf.0, "/prijzen/contracten"),
            ))),
            Err(e) => page_outcome(db.inner(), clock, &pricing, &csrf, id, Err(e), "actief").await,
        };
    }
    let result = service::update(
        db.inner(),
        &pricing.0,
        id,
        ContractPatch {
            status: Some(ContractStatus::Active),
            ..Default::default()
        },
        Some(form.0.version),
    )
    .await
    .map(|_| ());
    page_outcome(db.inner(), clock, &pricing, &csrf, id, result, "actief").await
}

#[derive(FromForm)]
pub struct CopyForm {
    indexation_percent: String,
}

#[rocket::post("/prijzen/contracten/<id>/kopie", data = "<form>")]
async fn copy(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<CopyForm>,
) -> PageResult {
    let percent = parse_percent(&form.0.indexation_percent, Notation::Form);
    let result = match percent {
        Ok(p) => service::copy_with_indexation(db.inner(), &pricing.0, id, p).await,
        Err(e) => Err(AppError::field("indexation_percent", e)),
    };
    match result {
        Ok(copy) => Ok(Ok(Redirect::to(format!(
            "/prijzen/contracten/{}?gewijzigd=kopie",
            copy.id
        )))),
        Err(e) => page_outcome(db.inner(), clock, &pricing, &csrf, id, Err(e), "kopie").await,
    }
}

/// The casemanager's own contract (the one covering today), read-only.
#[rocket::get("/contract")]
async fn own(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    cm: Casemanager,
    csrf: CsrfToken,
) -> AppResult<RawHtml<String>> {
    let municipality = cm.0.municipality.clone().unwrap_or_default();
    let Some(c) = views::current(db.inner(), &cm.0, &municipality, clock.today()).await? else {
        return Err(AppError::NotFound);
    };
    render_contract(
        db.inner(),
        &cm.0,
        &csrf,
        c,
        false,
        Vec::new(),
        None,
        LineEcho::default(),
    )
    .await
}

/// A casemanager may open a contract of their own municipality by id; others are not found.
#[rocket::get("/contracten/<id>")]
async fn own_by_id(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    cm: Casemanager,
    csrf: CsrfToken,
    id: &str,
) -> AppResult<RawHtml<String>> {
    contract_page(db.inner(), clock, &cm.0, &csrf, id, false, Vec::new(), None).await
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list, create, show, put_line, activate, copy, own, own_by_id]
}
