//! Finance: the run wizard (period → preview with totals and held items → run → drafts →
//! finalise), invoices with their actions, and credit notes. Casemanagers read their
//! municipality's final invoices here too.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::confirm::{self, Confirmation};
use super::format::{date, euro, month, month_text};
use super::{render, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::{Finance, FinanceReader, Principal};
use crate::domain::billing::Disposition;
use crate::domain::clock::Clock;
use crate::domain::invoice::{InvoiceKind, InvoiceMove, InvoiceStatus};
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::{invoice_documents, invoicing};
use crate::views;
use crate::views::invoices::InvoiceLine;

#[derive(Template)]
#[template(path = "finance_run.html")]
struct RunPage {
    layout: Layout,
    /// The name of the provider whose books the finance user runs.
    provider: String,
    period: String,
    /// The month shown: "november 2026".
    period_label: String,
    shown: bool,
    rows: Vec<(String, usize, String, String, String)>,
    /// Per municipality the lines it would be billed: (municipality, lines).
    details: Vec<(String, Vec<PreviewRow>)>,
    total_net: String,
    total_vat: String,
    total: String,
    held: Vec<(String, String, String, String, String, String)>,
    review: Vec<String>,
    /// True-ups, advances and reconciliations: (municipality, description, on, amount).
    settlement: Vec<(String, String, String, String)>,
    /// Budget deliveries valued into the ledger: (municipality, change).
    valuations: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

/// One line of the preview, under its municipality.
pub struct PreviewRow {
    trajectory: String,
    product: String,
    client: String,
    description: String,
    period: String,
    amount: String,
    /// "gecrediteerd op CN …, wordt opnieuw gefactureerd" for an item credited to rebill.
    note: Option<String>,
}

impl RunPage {
    /// Whether a run would write anything: invoices, settlement credit notes or valuations.
    fn has_work(&self) -> bool {
        !self.rows.is_empty() || !self.settlement.is_empty() || !self.valuations.is_empty()
    }
}

#[rocket::get("/financien?<periode>")]
async fn run_page(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    finance: Finance,
    csrf: CsrfToken,
    periode: Option<String>,
) -> AppResult<(Status, RawHtml<String>)> {
    let default = Period::of(clock.today()).prev().to_string();
    let provider = invoicing::billing_provider(db.inner(), &finance.0, None).await?;
    let mut page = RunPage {
        layout: Layout::new("Factuurrun", Some(&finance.0), &csrf.0, "/financien"),
        provider: views::invoices::provider_names(db.inner())
            .await?
            .remove(&provider)
            .unwrap_or(provider.clone()),
        period: periode.clone().unwrap_or(default),
        period_label: String::new(),
        shown: false,
        rows: Vec::new(),
        details: Vec::new(),
        total_net: String::new(),
        total_vat: String::new(),
        total: String::new(),
        held: Vec::new(),
        review: Vec::new(),
        settlement: Vec::new(),
        valuations: Vec::new(),
        errors: Vec::new(),
    };
    let Some(text) = periode else {
        return Ok((Status::Ok, render(&page)));
    };
    let period = match Period::parse(text.trim()) {
        Ok(p) => p,
        Err(e) => {
            page.errors.push(FieldError::new("periode", e.to_string()));
            return Ok((Status::UnprocessableEntity, render(&page)));
        }
    };
    page.period_label = month(period);
    let bills =
        invoicing::compute_with_lines(db.inner(), &finance.0, Some(&provider), period).await?;
    let (mut net, mut vat, mut total) = (Money::ZERO, Money::ZERO, Money::ZERO);
    for b in bills.iter().filter(|b| b.lines > 0) {
        let (_, t) = b.totals();
        net += t.net;
        vat += t.vat;
        total += t.total;
        page.rows.push((
            b.municipality.name.clone(),
            b.lines,
            euro(t.net),
            euro(t.vat),
            euro(t.total),
        ));
        if !b.preview.is_empty() {
            page.details.push((
                b.municipality.name.clone(),
                b.preview
                    .iter()
                    .map(|l| PreviewRow {
                        trajectory: l.trajectory.clone(),
                        product: l.product.clone(),
                        client: l.client.clone(),
                        description: l.description.clone(),
                        period: month(l.period),
                        amount: euro(l.amount),
                        note: l.rebilled_after.as_ref().map(|n| {
                            format!(
                                "gecrediteerd op CN {n}, {}",
                                Disposition::Rebill.outcome_nl()
                            )
                        }),
                    })
                    .collect(),
            ));
        }
    }
    for b in &bills {
        for (ctx, h) in &b.held {
            page.held.push((
                b.municipality.name.clone(),
                ctx.trajectory.number.clone(),
                ctx.product.name.clone(),
                month(h.service_period),
                h.reason.message(),
                euro(h.amount),
            ));
        }
        for (key, reason) in &b.to_review {
            page.review
                .push(format!("{}: {key}: {reason}", b.municipality.name));
        }
        for l in &b.settlement.lines {
            page.settlement.push((
                b.municipality.name.clone(),
                l.description.clone(),
                match l.side {
                    crate::services::settlement::Side::Invoice => "op de factuur".into(),
                    crate::services::settlement::Side::CreditNote { .. } => {
                        "op een creditnota".into()
                    }
                },
                euro(l.amount),
            ));
        }
        for v in &b.settlement.valuations {
            page.valuations
                .push((b.municipality.name.clone(), euro(v.change)));
        }
    }
    page.shown = true;
    page.total_net = euro(net);
    page.total_vat = euro(vat);
    page.total = euro(total);
    page.layout.title = format!("Factuurrun {period} {}", page.provider);
    Ok((Status::Ok, render(&page)))
}

#[derive(FromForm)]
pub struct RunForm {
    period: String,
}

#[rocket::post("/financien/run", data = "<form>")]
async fn run(
    db: &State<DatabaseConnection>,
    finance: Finance,
    form: CsrfForm<RunForm>,
) -> AppResult<Redirect> {
    let period = Period::parse(form.0.period.trim())
        .map_err(|e| AppError::field("period", e.to_string()))?;
    invoicing::run(db.inner(), &finance.0, None, period).await?;
    Ok(Redirect::to(format!(
        "/facturen?status=draft&periode={period}&run=1"
    )))
}

/// A credit note's amount as it counts in a list or a total: negative.
fn signed(kind: InvoiceKind, amount: Money) -> Money {
    match kind {
        InvoiceKind::CreditNote => -amount,
        InvoiceKind::Invoice => amount,
    }
}

pub struct InvoiceRow {
    id: String,
    number: String,
    kind: String,
    municipality: String,
    /// The seller's name.
    provider: String,
    period: String,
    status: String,
    issue_date: String,
    total: String,
}

#[derive(Template)]
#[template(path = "invoices.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<InvoiceRow>,
    statuses: Vec<(&'static str, &'static str)>,
    filter_status: String,
    filter_period: String,
    is_finance: bool,
}

#[rocket::get("/facturen?<status>&<periode>&<run>")]
async fn list(
    db: &State<DatabaseConnection>,
    reader: FinanceReader,
    csrf: CsrfToken,
    status: Option<String>,
    periode: Option<String>,
    run: Option<u8>,
) -> AppResult<RawHtml<String>> {
    let status = status.filter(|s| InvoiceStatus::parse(s).is_ok());
    let period = periode.filter(|p| Period::parse(p).is_ok());
    let filter = views::invoices::Filter {
        status: status.as_deref().and_then(|s| InvoiceStatus::parse(s).ok()),
        period: period.clone(),
        ..Default::default()
    };
    let mut rows = Vec::new();
    let names: std::collections::HashMap<String, String> =
        views::municipalities::choices(db.inner())
            .await?
            .into_iter()
            .collect();
    let providers = views::invoices::provider_names(db.inner()).await?;
    let mut invoices = views::invoices::list(db.inner(), &reader.0, &filter, 1000).await?;
    invoices.sort_by_key(|i| std::cmp::Reverse(i.updated_at));
    for i in invoices {
        rows.push(InvoiceRow {
            number: i.number.clone().unwrap_or_else(|| "concept".into()),
            kind: i.kind.label_nl().into(),
            municipality: names
                .get(&i.municipality_code)
                .cloned()
                .unwrap_or(i.municipality_code.clone()),
            provider: providers
                .get(&i.provider)
                .cloned()
                .unwrap_or(i.provider.clone()),
            period: month_text(&i.period),
            status: i.status.label_nl().into(),
            issue_date: i.issue_date.map(date).unwrap_or_default(),
            total: euro(signed(i.kind, i.total)),
            id: i.id,
        });
    }
    let flash = run.map(|_| {
        "De run is uitgevoerd. Controleer de concepten en maak ze definitief.".to_string()
    });
    Ok(render(&ListPage {
        layout: Layout::new("Facturen", Some(&reader.0), &csrf.0, "/facturen").with_flash(flash),
        rows,
        statuses: [
            InvoiceStatus::Draft,
            InvoiceStatus::Final,
            InvoiceStatus::Sent,
            InvoiceStatus::Paid,
        ]
        .iter()
        .map(|s| (s.as_str(), s.label_nl()))
        .collect(),
        filter_status: status.unwrap_or_default(),
        filter_period: period.unwrap_or_default(),
        is_finance: reader.0.role == Role::Finance,
    }))
}

pub struct LineView {
    id: String,
    product: String,
    description: String,
    service: String,
    quantity: String,
    price: String,
    vat: String,
    net: String,
    creditable: bool,
    /// What the checkbox says: product, client and period (not "Regel N").
    label: String,
    /// On a credited line: "gecrediteerd op CN …, niet opnieuw te factureren"; on a
    /// credit-note line: its disposition and what it means.
    credit_note: Option<String>,
}

pub struct InvoiceView {
    id: String,
    kind: String,
    number: String,
    has_number: bool,
    municipality: String,
    provider: String,
    period: String,
    status: String,
    is_draft: bool,
    can_send: bool,
    can_pay: bool,
    issue_date: String,
    due_date: String,
    cites: Option<String>,
    reason: Option<String>,
    credits: String,
    groups: Vec<(String, String, String, Vec<LineView>)>,
    vat: Vec<(String, String)>,
    net: String,
    vat_total: String,
    total: String,
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoicePage {
    layout: Layout,
    i: InvoiceView,
    is_finance: bool,
    can_credit: bool,
    /// The credit form's choices: (value, label, explanation, checked).
    dispositions: Vec<(&'static str, &'static str, &'static str, bool)>,
    /// The credit form's input kept after an error.
    reason: String,
    errors: Vec<FieldError>,
}

impl InvoicePage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn invoice_page(
    db: &DatabaseConnection,
    who: &Principal,
    csrf: &CsrfToken,
    id: &str,
    errors: Vec<FieldError>,
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    invoice_page_with(db, who, csrf, id, errors, flash, None).await
}

/// The submitted credit form, shown again after an error.
#[derive(Default)]
struct CreditInput {
    reason: String,
    disposition: Option<String>,
}

async fn invoice_page_with(
    db: &DatabaseConnection,
    who: &Principal,
    csrf: &CsrfToken,
    id: &str,
    errors: Vec<FieldError>,
    flash: Option<String>,
    input: Option<CreditInput>,
) -> AppResult<RawHtml<String>> {
    let input = input.unwrap_or_default();
    let found = views::invoices::page(db, who, id).await?;
    let inv = &found.detail.invoice;
    let lines = &found.detail.lines;
    let credited = &found.credited_lines;
    let status = inv.status;
    let groups = line_groups(lines, credited, inv.kind);
    let vat = vat_rows(lines)?;
    let is_finance = who.role == Role::Finance;
    let view = InvoiceView {
        id: inv.id.clone(),
        kind: inv.kind.label_nl().into(),
        number: inv.number.clone().unwrap_or_else(|| "(concept)".into()),
        has_number: inv.number.is_some(),
        municipality: found.municipality_name.clone(),
        provider: found.provider_name.clone(),
        period: month_text(&inv.period),
        status: status.label_nl().into(),
        is_draft: status == InvoiceStatus::Draft,
        can_send: status == InvoiceStatus::Final,
        can_pay: matches!(status, InvoiceStatus::Final | InvoiceStatus::Sent),
        issue_date: inv
            .issue_date
            .map(date)
            .unwrap_or_else(|| "nog niet".into()),
        due_date: inv.due_date.map(date).unwrap_or_else(|| "nog niet".into()),
        cites: found.cites.clone(),
        reason: inv.reason.clone(),
        credits: found
            .detail
            .credits
            .iter()
            .filter_map(|c| c.number.clone())
            .collect::<Vec<_>>()
            .join(", "),
        groups,
        vat,
        net: euro(signed(inv.kind, inv.net)),
        vat_total: euro(signed(inv.kind, inv.vat)),
        total: euro(signed(inv.kind, inv.total)),
    };
    let can_credit = is_finance
        && inv.kind == InvoiceKind::Invoice
        && status.is_final()
        && lines.iter().any(|l| !credited.contains(&l.id));
    Ok(render(&InvoicePage {
        layout: Layout::new(
            format!("{} {}", view.kind, view.number),
            Some(who),
            &csrf.0,
            "/facturen",
        )
        .with_flash(flash),
        i: view,
        is_finance,
        can_credit,
        dispositions: Disposition::ALL
            .into_iter()
            .map(|d| {
                (
                    d.as_str(),
                    d.label_nl(),
                    d.explanation_nl(),
                    input.disposition.as_deref() == Some(d.as_str()),
                )
            })
            .collect(),
        reason: input.reason,
        errors,
    }))
}

type LineGroup = (String, String, String, Vec<LineView>);

/// The lines grouped by trajectory (number, client, buyer reference), in line order.
fn line_groups(
    lines: &[InvoiceLine],
    credited: &std::collections::HashSet<String>,
    kind: InvoiceKind,
) -> Vec<LineGroup> {
    let mut groups: Vec<LineGroup> = Vec::new();
    for l in lines {
        let view = LineView {
            id: l.id.clone(),
            product: format!("{} ({})", l.product_name, l.product_code),
            description: l.description.clone(),
            service: format!("{} t/m {}", date(l.service_start), date(l.service_end)),
            quantity: format!("{} {}", l.quantity.format_nl(), l.unit),
            price: euro(l.unit_price),
            vat: if l.vat_rate == 0 {
                "vrij".into()
            } else {
                format!("{}%", l.vat_rate)
            },
            net: euro(signed(kind, l.net)),
            creditable: !credited.contains(&l.id),
            label: format!(
                "{} voor {}, {} crediteren",
                l.product_name,
                l.client_ref,
                month_text(&l.service_period)
            ),
            credit_note: match (&l.credited_by, l.disposition) {
                (Some(note), disposition) => Some(format!(
                    "gecrediteerd op CN {}, {}",
                    note.number.as_deref().unwrap_or("(concept)"),
                    disposition.unwrap_or_default().outcome_nl()
                )),
                (None, Some(d)) => Some(format!("{}: {}", d.label_nl(), d.outcome_nl())),
                (None, None) => None,
            },
        };
        match groups.iter_mut().find(|g| g.0 == l.trajectory_number) {
            Some(g) => g.3.push(view),
            None => groups.push((
                l.trajectory_number.clone(),
                l.client_ref.clone(),
                l.buyer_reference.clone(),
                vec![view],
            )),
        }
    }
    groups
}

/// The VAT summary: per category and rate the taxable amount and the tax.
fn vat_rows(lines: &[InvoiceLine]) -> AppResult<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut reasons = std::collections::BTreeMap::new();
    for l in lines {
        pairs.push((l.vat_category, l.net));
        if let Some(r) = &l.vat_exemption_reason {
            reasons.entry(l.vat_category).or_insert_with(|| r.clone());
        }
    }
    Ok(crate::domain::vat::vat_breakdown(&pairs)
        .into_iter()
        .map(|s| match s.category {
            crate::domain::vat::VatCategory::Exempt => (
                format!(
                    "Vrijgesteld over {} ({})",
                    euro(s.taxable),
                    reasons
                        .get(&crate::domain::vat::VatCategory::Exempt)
                        .cloned()
                        .unwrap_or_default()
                ),
                euro(s.tax),
            ),
            _ => (
                format!("Btw {}% over {}", s.rate, euro(s.taxable)),
                euro(s.tax),
            ),
        })
        .collect())
}

#[rocket::get("/facturen/<id>?<gedaan>")]
async fn show(
    db: &State<DatabaseConnection>,
    reader: FinanceReader,
    csrf: CsrfToken,
    id: &str,
    gedaan: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let flash = gedaan.map(|g| match g {
        "definitief" => "De factuur is definitief en heeft een nummer.".to_string(),
        "verstuurd" => "De factuur is verstuurd naar de gemeente.".to_string(),
        "betaald" => "De factuur is als betaald gemarkeerd.".to_string(),
        _ => "De creditnota is gemaakt.".to_string(),
    });
    invoice_page(db.inner(), &reader.0, &csrf, id, Vec::new(), flash).await
}

#[derive(FromForm)]
pub struct Empty {
    #[field(name = "csrf_token")]
    _token: String,
}

type PageResult = AppResult<Result<Redirect, (Status, RawHtml<String>)>>;

async fn outcome(
    db: &DatabaseConnection,
    who: &Principal,
    csrf: &CsrfToken,
    id: &str,
    result: AppResult<String>,
) -> PageResult {
    match result {
        Ok(target) => Ok(Ok(Redirect::to(target))),
        Err(AppError::Validation { errors, .. }) => Ok(Err((
            Status::UnprocessableEntity,
            invoice_page(db, who, csrf, id, errors, None).await?,
        ))),
        Err(AppError::Conflict(m)) => Ok(Err((
            Status::Conflict,
            invoice_page(db, who, csrf, id, vec![FieldError::new("status", m)], None).await?,
        ))),
        Err(other) => Err(other),
    }
}

/// The form of an irreversible invoice step: only `bevestigd=ja` from the confirmation
/// page makes it act.
#[derive(FromForm)]
pub struct ConfirmForm {
    bevestigd: Option<String>,
}

/// What finalising will do: the number it will get (peeked, not taken) and that only a
/// credit note corrects it afterwards.
async fn finalise_confirmation(
    db: &DatabaseConnection,
    clock: &Clock,
    who: &Principal,
    id: &str,
) -> AppResult<Confirmation> {
    let found = views::invoices::page(db, who, id).await?;
    let inv = &found.detail.invoice;
    if inv.status != InvoiceStatus::Draft {
        return Err(AppError::Conflict(format!(
            "deze {} is al {}",
            inv.kind.label_nl().to_lowercase(),
            inv.status.label_nl()
        )));
    }
    let (number, others) =
        views::invoices::next_number(db, who, &inv.provider, clock.today()).await?;
    let what = match inv.kind {
        crate::domain::invoice::InvoiceKind::CreditNote => "Creditnota",
        _ => "Factuur",
    };
    let gets = if others {
        format!("het volgende nummer, nu {number},")
    } else {
        format!("nummer {number}")
    };
    Ok(Confirmation {
        title: format!("{what} definitief maken?"),
        sentences: vec![
            format!(
                "{what} krijgt {gets} en kan daarna alleen met een creditnota worden gecorrigeerd."
            ),
            format!(
                "Factuurdatum wordt {} ({} aan {}, {}).",
                date(clock.today()),
                euro(inv.total),
                found.municipality_name,
                Period::parse(&inv.period)
                    .map(|p| p.label_nl())
                    .unwrap_or(inv.period.clone())
            ),
        ],
        action: format!("/facturen/{id}/definitief"),
        fields: Vec::new(),
        yes: format!("Ja, maak de {} definitief", what.to_lowercase()),
        back: format!("/facturen/{id}"),
    })
}

#[rocket::get("/facturen/<id>/definitief")]
async fn confirm_finalise(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    finance: Finance,
    csrf: CsrfToken,
    id: &str,
) -> AppResult<RawHtml<String>> {
    let c = finalise_confirmation(db.inner(), clock, &finance.0, id).await?;
    Ok(confirm::page(c, &finance.0, &csrf.0, "/facturen"))
}

#[rocket::post("/facturen/<id>/definitief", data = "<form>")]
async fn finalise(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    finance: Finance,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<ConfirmForm>,
) -> PageResult {
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let c = finalise_confirmation(db.inner(), clock, &finance.0, id).await?;
        return Ok(Err((
            Status::Ok,
            confirm::page(c, &finance.0, &csrf.0, "/facturen"),
        )));
    }
    let result = invoicing::finalise(db.inner(), clock, &finance.0, id)
        .await
        .map(|_| format!("/facturen/{id}?gedaan=definitief"));
    outcome(db.inner(), &finance.0, &csrf, id, result).await
}

/// What discarding a draft throws away, and that the next run computes it again.
async fn discard_confirmation(
    db: &DatabaseConnection,
    who: &Principal,
    id: &str,
) -> AppResult<Confirmation> {
    let found = views::invoices::page(db, who, id).await?;
    let inv = &found.detail.invoice;
    if inv.status != InvoiceStatus::Draft {
        return Err(AppError::Conflict(format!(
            "alleen een concept kan worden weggegooid; deze {} is {}",
            inv.kind.label_nl().to_lowercase(),
            inv.status.label_nl()
        )));
    }
    let lines = found.detail.lines.len();
    let period = Period::parse(&inv.period)
        .map(|p| p.label_nl())
        .unwrap_or(inv.period.clone());
    Ok(Confirmation {
        title: "Concept weggooien?".into(),
        sentences: vec![
            format!(
                "Het concept voor {} over {period} gaat weg met {} {} ({}).",
                found.municipality_name,
                lines,
                if lines == 1 { "regel" } else { "regels" },
                euro(inv.total)
            ),
            "Het werk erachter blijft geregistreerd: de volgende factuurrun berekent deze regels opnieuw.".into(),
        ],
        action: format!("/facturen/{id}/weggooien"),
        fields: Vec::new(),
        yes: "Ja, gooi het concept weg".into(),
        back: format!("/facturen/{id}"),
    })
}

#[rocket::get("/facturen/<id>/weggooien")]
async fn confirm_discard(
    db: &State<DatabaseConnection>,
    finance: Finance,
    csrf: CsrfToken,
    id: &str,
) -> AppResult<RawHtml<String>> {
    let c = discard_confirmation(db.inner(), &finance.0, id).await?;
    Ok(confirm::page(c, &finance.0, &csrf.0, "/facturen"))
}

#[rocket::post("/facturen/<id>/weggooien", data = "<form>")]
async fn discard(
    db: &State<DatabaseConnection>,
    finance: Finance,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<ConfirmForm>,
) -> PageResult {
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let c = discard_confirmation(db.inner(), &finance.0, id).await?;
        return Ok(Err((
            Status::Ok,
            confirm::page(c, &finance.0, &csrf.0, "/facturen"),
        )));
    }
    let result = invoicing::discard(db.inner(), &finance.0, id)
        .await
        .map(|_| "/facturen?status=draft".to_string());
    outcome(db.inner(), &finance.0, &csrf, id, result).await
}

/// The answer to an invoice step without its confirmation: the confirmation page, or,
/// when the step cannot be taken at all, the invoice page saying why.
async fn ask_first(
    db: &DatabaseConnection,
    who: &Principal,
    csrf: &CsrfToken,
    id: &str,
    asked: AppResult<Confirmation>,
) -> PageResult {
    match asked {
        Ok(c) => Ok(Err((
            Status::Ok,
            confirm::page(c, who, &csrf.0, "/facturen"),
        ))),
        Err(e) => outcome(db, who, csrf, id, Err(e)).await,
    }
}

/// What sending does: the invoice goes by e-mail, with its PDF and e-invoice, to the
/// municipality's finance address, and cannot be called back.
async fn send_confirmation(
    db: &DatabaseConnection,
    who: &Principal,
    id: &str,
) -> AppResult<Confirmation> {
    let found = views::invoices::page(db, who, id).await?;
    let inv = &found.detail.invoice;
    if let Err(illegal) = inv.status.apply(InvoiceMove::Send) {
        return Err(AppError::Conflict(illegal.to_string()));
    }
    let what = inv.kind.label_nl();
    let number = inv.number.clone().unwrap_or_default();
    Ok(Confirmation {
        title: format!("{what} {number} versturen?"),
        sentences: vec![
            format!(
                "De {} ({}) gaat met de PDF en de e-factuur per e-mail naar {} ({}).",
                what.to_lowercase(),
                euro(inv.total),
                found.municipality_email,
                found.municipality_name
            ),
            "Een verstuurde e-mail kan niet worden teruggehaald; een fout herstelt u daarna met een creditnota.".into(),
        ],
        action: format!("/facturen/{id}/versturen"),
        fields: Vec::new(),
        yes: format!("Ja, verstuur {number}"),
        back: format!("/facturen/{id}"),
    })
}

#[rocket::post("/facturen/<id>/versturen", data = "<form>")]
async fn send(
    db: &State<DatabaseConnection>,
    finance: Finance,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<ConfirmForm>,
) -> PageResult {
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let asked = send_confirmation(db.inner(), &finance.0, id).await;
        return ask_first(db.inner(), &finance.0, &csrf, id, asked).await;
    }
    let result = invoice_documents::send(db.inner(), &finance.0, id)
        .await
        .map(|_| format!("/facturen/{id}?gedaan=verstuurd"));
    outcome(db.inner(), &finance.0, &csrf, id, result).await
}

/// What marking as paid does: the invoice is closed, and that cannot be undone.
async fn paid_confirmation(
    db: &DatabaseConnection,
    who: &Principal,
    id: &str,
) -> AppResult<Confirmation> {
    let found = views::invoices::page(db, who, id).await?;
    let inv = &found.detail.invoice;
    if let Err(illegal) = inv.status.apply(InvoiceMove::Pay) {
        return Err(AppError::Conflict(illegal.to_string()));
    }
    let what = inv.kind.label_nl();
    let number = inv.number.clone().unwrap_or_default();
    Ok(Confirmation {
        title: format!("{what} {number} markeren als betaald?"),
        sentences: vec![
            format!(
                "Markeer alleen als {} {} heeft ontvangen of verrekend.",
                euro(inv.total),
                if inv.total.is_negative() {
                    format!("aan {}", found.municipality_name)
                } else {
                    format!("van {}", found.municipality_name)
                }
            ),
            "Betaald is de eindstatus: die gaat niet terug naar verstuurd.".into(),
        ],
        action: format!("/facturen/{id}/betaald"),
        fields: Vec::new(),
        yes: "Ja, markeer als betaald".into(),
        back: format!("/facturen/{id}"),
    })
}

#[rocket::post("/facturen/<id>/betaald", data = "<form>")]
async fn paid(
    db: &State<DatabaseConnection>,
    finance: Finance,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<ConfirmForm>,
) -> PageResult {
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let asked = paid_confirmation(db.inner(), &finance.0, id).await;
        return ask_first(db.inner(), &finance.0, &csrf, id, asked).await;
    }
    let result = invoicing::mark(db.inner(), &finance.0, id, InvoiceMove::Pay)
        .await
        .map(|_| format!("/facturen/{id}?gedaan=betaald"));
    outcome(db.inner(), &finance.0, &csrf, id, result).await
}

#[derive(FromForm)]
pub struct CreditForm {
    line_ids: Vec<String>,
    reason: String,
    /// Required: no disposition is chosen silently.
    disposition: Option<String>,
    /// `ja` from the confirmation page: a credit note is final at once.
    bevestigd: Option<String>,
}

/// What crediting the chosen lines does; `None` when a chosen line is not creditable on
/// this invoice (the service then refuses with the reason).
async fn credit_confirmation(
    db: &DatabaseConnection,
    who: &Principal,
    id: &str,
    f: &CreditForm,
    disposition: Disposition,
) -> AppResult<Option<Confirmation>> {
    let found = views::invoices::page(db, who, id).await?;
    let chosen: Vec<&views::invoices::InvoiceLine> = found
        .detail
        .lines
        .iter()
        .filter(|l| f.line_ids.contains(&l.id))
        .collect();
    let creditable = chosen.len() == f.line_ids.len()
        && chosen.iter().all(|l| !found.credited_lines.contains(&l.id));
    if !creditable {
        return Ok(None);
    }
    let net: crate::domain::money::Money = chosen.iter().map(|l| l.net).sum();
    let number = found.detail.invoice.number.clone().unwrap_or_default();
    let products: Vec<String> = chosen
        .iter()
        .map(|l| format!("{} ({})", l.product_name, euro(l.net)))
        .collect();
    let mut fields: Vec<(String, String)> = f
        .line_ids
        .iter()
        .map(|l| ("line_ids".to_string(), l.clone()))
        .collect();
    fields.push(("reason".into(), f.reason.trim().to_string()));
    fields.push(("disposition".into(), disposition.as_str().into()));
    Ok(Some(Confirmation {
        title: format!("Creditnota maken op factuur {number}?"),
        sentences: vec![
            format!(
                "De creditnota crediteert {} {} voor {} excl. btw: {}.",
                chosen.len(),
                if chosen.len() == 1 { "regel" } else { "regels" },
                euro(net),
                products.join(", ")
            ),
            format!(
                "{}: {}",
                disposition.label_nl(),
                disposition.explanation_nl()
            ),
            "De creditnota krijgt direct een eigen nummer en is definitief; intrekken kan daarna niet meer.".into(),
        ],
        action: format!("/facturen/{id}/crediteren"),
        fields,
        yes: "Ja, maak de creditnota".into(),
        back: format!("/facturen/{id}"),
    }))
}

#[rocket::post("/facturen/<id>/crediteren", data = "<form>")]
async fn credit(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    finance: Finance,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<CreditForm>,
) -> PageResult {
    let f = form.0;
    let mut errors = Vec::new();
    if f.line_ids.is_empty() {
        errors.push(FieldError::new(
            "line_ids",
            "vink minstens één regel aan om te crediteren",
        ));
    }
    let disposition = match f.disposition.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new(
                "disposition",
                "kies wat er met het gecrediteerde werk gebeurt: opnieuw factureren, niet opnieuw factureren of registratie intrekken",
            ));
            None
        }
        Some(value) => match Disposition::parse(value) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(FieldError::new("disposition", e));
                None
            }
        },
    };
    if f.reason.trim().is_empty() {
        errors.push(FieldError::new(
            "reason",
            "geef de reden van de creditering (hoogstens 500 tekens)",
        ));
    }
    let input = CreditInput {
        reason: f.reason.clone(),
        disposition: f.disposition.clone(),
    };
    if let Some(d) = disposition.filter(|_| errors.is_empty()) {
        if !confirm::confirmed(f.bevestigd.as_deref()) {
            if let Some(c) = credit_confirmation(db.inner(), &finance.0, id, &f, d).await? {
                return Ok(Err((
                    Status::Ok,
                    confirm::page(c, &finance.0, &csrf.0, "/facturen"),
                )));
            }
        }
    }
    let result = match disposition {
        Some(disposition) if errors.is_empty() => invoicing::credit(
            db.inner(),
            clock,
            &finance.0,
            id,
            Some(f.line_ids),
            &f.reason,
            disposition,
        )
        .await
        .map(|note| format!("/facturen/{}?gedaan=credit", note.id)),
        _ => Err(AppError::Validation {
            detail: "het creditformulier is niet volledig".into(),
            errors,
        }),
    };
    match result {
        Ok(target) => Ok(Ok(Redirect::to(target))),
        Err(AppError::Validation { errors, .. }) => Ok(Err((
            Status::UnprocessableEntity,
            invoice_page_with(db.inner(), &finance.0, &csrf, id, errors, None, Some(input)).await?,
        ))),
        Err(other) => outcome(db.inner(), &finance.0, &csrf, id, Err(other)).await,
    }
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        run_page,
        run,
        list,
        show,
        confirm_finalise,
        finalise,
        confirm_discard,
        discard,
        send,
        paid,
        credit
    ]
}
