//! Invoice runs, invoices and credit notes, their renditions, and the finance pull API.

use rocket::http::{ContentType, Header, Status};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::idempotency::IdempotencyKey;
use super::pagination::Page;
use super::{ApiJson, JsonBody};
use crate::auth::{Finance, FinanceReader, Principal};
use crate::domain::billing::Disposition;
use crate::domain::clock::Clock;
use crate::domain::invoice::InvoiceMove;
use crate::domain::period::Period;
use crate::error::{AppError, AppResult};
use crate::services::{idempotency, invoice_documents, invoicing};
use crate::views::invoices::{self as invoice_views, InvoiceDetail};

/// Runs an idempotent finance write: a retry with the same key and body gets the first
/// answer; the same key with another body gets 422. The operations behind it refuse a
/// repeat by themselves (a second finalise is 409, a second credit of a line 422, a second
/// run bills nothing), so recording the answer right after the write is safe.
async fn idempotent<F, Fut>(
    db: &DatabaseConnection,
    principal: &Principal,
    key: &IdempotencyKey,
    what: &str,
    body: &str,
    work: F,
) -> AppResult<ApiJson<Value>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<(Status, Value)>>,
{
    let idem = key.with_request(what, body);
    if let Some(idem) = &idem {
        if let Some(stored) =
            idempotency::replay(db, &principal.user_id, &idem.key, &idem.request_hash).await?
        {
            let value: Value = serde_json::from_str(&stored.body)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            return Ok(ApiJson(
                Status::from_code(stored.status).unwrap_or(Status::Ok),
                value,
            ));
        }
    }
    let (status, value) = work().await?;
    if let Some(idem) = &idem {
        let response = idempotency::StoredResponse {
            status: status.code,
            body: value.to_string(),
        };
        // A concurrent twin may have stored first; its answer stands.
        let _ = idempotency::remember(
            db,
            &principal.user_id,
            &idem.key,
            &idem.request_hash,
            &response,
        )
        .await;
    }
    Ok(ApiJson(status, value))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// `YYYY-MM`
    pub period: String,
    #[serde(default)]
    pub preview: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RunInvoice {
    pub municipality: String,
    pub name: String,
    pub lines: usize,
    pub net: String,
    pub vat: String,
    pub total: String,
    /// The draft invoice (not in a preview).
    pub invoice_id: Option<String>,
}

/// A true-up, advance or reconciliation line of a run, on the invoice or a credit note.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RunSettlementLine {
    pub municipality: String,
    pub contract: String,
    /// `true_up`, `advance` or `reconciliation`.
    pub kind: String,
    pub description: String,
    pub amount: String,
    /// `invoice` or `credit_note`.
    pub on: String,
}

/// A credit note a run drafts for a settlement (a true-up reduced by later work, unused
/// budget returned).
#[derive(Serialize, utoipa::ToSchema)]
pub struct RunCreditNote {
    pub municipality: String,
    pub lines: usize,
    pub net: String,
    pub vat: String,
    pub total: String,
    /// The draft credit notes (not in a preview).
    pub credit_note_ids: Vec<String>,
}

/// A change in the delivered value of a budget contract (recorded in its ledger).
#[derive(Serialize, utoipa::ToSchema)]
pub struct RunValuation {
    pub municipality: String,
    pub contract: String,
    pub delivered_value_change: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HeldView {
    pub municipality: String,
    pub trajectory_number: String,
    pub trajectory_line_id: String,
    pub product_code: String,
    pub service_period: String,
    pub reason: String,
    pub amount: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub municipality: String,
    pub billable_key: String,
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RunResult {
    pub period: String,
    /// Code of the provider whose books the run is for: the finance user's own.
    pub provider: String,
    pub preview: bool,
    pub invoices: Vec<RunInvoice>,
    /// Not billed, with the reason; never dropped silently.
    pub held: Vec<HeldView>,
    /// Billed earlier but changed or no longer due: credit these lines.
    pub to_review: Vec<ReviewView>,
    /// True-ups, advances and reconciliations (their amounts are in the invoices and credit
    /// notes too).
    pub settlement: Vec<RunSettlementLine>,
    pub credit_notes: Vec<RunCreditNote>,
    pub valuations: Vec<RunValuation>,
}

pub fn run_result(
    period: Period,
    provider: &str,
    preview: bool,
    bills: &[invoicing::MunicipalityBill],
    // The drafts the run wrote.
    invoices: &[invoicing::DraftWritten],
) -> RunResult {
    use crate::domain::invoice::InvoiceKind;
    let drafts_of = |code: &str, kind: InvoiceKind| -> Vec<String> {
        invoices
            .iter()
            .filter(|d| d.municipality_code == code && d.kind == kind)
            .map(|d| d.id.clone())
            .collect()
    };
    RunResult {
        period: period.to_string(),
        provider: provider.to_string(),
        preview,
        invoices: bills
            .iter()
            .filter(|b| b.lines > 0)
            .map(|b| {
                let (_, t) = b.totals();
                RunInvoice {
                    municipality: b.municipality.code.clone(),
                    name: b.municipality.name.clone(),
                    lines: b.lines,
                    net: t.net.to_string(),
                    vat: t.vat.to_string(),
                    total: t.total.to_string(),
                    invoice_id: drafts_of(&b.municipality.code, InvoiceKind::Invoice)
                        .into_iter()
                        .next(),
                }
            })
            .collect(),
        held: bills
            .iter()
            .flat_map(|b| {
                b.held.iter().map(move |(ctx, h)| HeldView {
                    municipality: b.municipality.code.clone(),
                    trajectory_number: ctx.trajectory.number.clone(),
                    trajectory_line_id: ctx.line.id.clone(),
                    product_code: ctx.product.code.as_str().to_string(),
                    service_period: h.service_period.to_string(),
                    reason: h.reason.message(),
                    amount: h.amount.to_string(),
                })
            })
            .collect(),
        to_review: bills
            .iter()
            .flat_map(|b| {
                b.to_review.iter().map(move |(key, reason)| ReviewView {
                    municipality: b.municipality.code.clone(),
                    billable_key: key.clone(),
                    reason: reason.clone(),
                })
            })
            .collect(),
        settlement: bills
            .iter()
            .flat_map(|b| {
                b.settlement.lines.iter().map(move |l| RunSettlementLine {
                    municipality: b.municipality.code.clone(),
                    contract: l.contract_id.clone(),
                    kind: l.kind.as_str().to_string(),
                    description: l.description.clone(),
                    amount: l.amount.to_string(),
                    on: match l.side {
                        crate::services::settlement::Side::Invoice => "invoice",
                        crate::services::settlement::Side::CreditNote { .. } => "credit_note",
                    }
                    .to_string(),
                })
            })
            .collect(),
        credit_notes: bills
            .iter()
            .filter(|b| !b.credit_net_by_vat.is_empty())
            .map(|b| {
                let (_, t) = crate::domain::vat::totals(&b.credit_net_by_vat);
                RunCreditNote {
                    municipality: b.municipality.code.clone(),
                    lines: b.credit_net_by_vat.len(),
                    net: t.net.to_string(),
                    vat: t.vat.to_string(),
                    total: t.total.to_string(),
                    credit_note_ids: drafts_of(&b.municipality.code, InvoiceKind::CreditNote),
                }
            })
            .collect(),
        valuations: bills
            .iter()
            .flat_map(|b| {
                b.settlement.valuations.iter().map(move |v| RunValuation {
                    municipality: b.municipality.code.clone(),
                    contract: v.contract_id.clone(),
                    delivered_value_change: v.change.to_string(),
                })
            })
            .collect(),
    }
}

/// Previews (writes nothing) or runs a period: one draft invoice per municipality with
/// everything billable up to the period's end that no invoice holds yet.
#[utoipa::path(post, path = "/api/v1/invoice-runs", tag = "invoices", request_body = RunRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = RunResult), (status = 201, body = RunResult), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/invoice-runs", data = "<body>")]
pub async fn create_run(
    db: &State<DatabaseConnection>,
    finance: Finance,
    key: IdempotencyKey,
    body: JsonBody<RunRequest>,
) -> AppResult<ApiJson<Value>> {
    let period =
        Period::parse(&body.0.period).map_err(|e| AppError::field("period", e.to_string()))?;
    let preview = body.0.preview;
    let db = db.inner();
    let principal = finance.0.clone();
    idempotent(
        db,
        &finance.0,
        &key,
        "POST /api/v1/invoice-runs",
        &body.1,
        || async move {
            let provider = invoicing::billing_provider(db, &principal, None).await?;
            if preview {
                let bills = invoicing::compute(db, &principal, Some(&provider), period).await?;
                Ok((
                    Status::Ok,
                    serde_json::to_value(run_result(period, &provider, true, &bills, &[]))
                        .unwrap_or_default(),
                ))
            } else {
                let outcome = invoicing::run(db, &principal, Some(&provider), period).await?;
                Ok((
                    Status::Created,
                    serde_json::to_value(run_result(
                        period,
                        &outcome.provider,
                        false,
                        &outcome.bills,
                        &outcome.invoices,
                    ))
                    .unwrap_or_default(),
                ))
            }
        },
    )
    .await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvoiceLine {
    pub id: String,
    pub position: i32,
    pub trajectory_line_id: Option<String>,
    pub trajectory_number: String,
    pub product_code: String,
    pub product_name: String,
    pub description: String,
    pub client_ref: String,
    pub buyer_reference: String,
    pub service_period: String,
    pub service_start: String,
    pub service_end: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub net: String,
    pub vat_category: String,
    pub vat_rate: String,
    /// On a credit note: the invoice line it reverses.
    pub credits_line_id: Option<String>,
    /// `delivery`, `true_up`, `advance` or `reconciliation`.
    pub kind: String,
    /// On a true-up, advance or reconciliation line: the contract's settlement terms it was
    /// computed under (`contract`, `settlement`, `valid_from`, `valid_to`, the amounts).
    #[schema(value_type = Option<Object>)]
    pub settlement_terms: Option<serde_json::Value>,
    /// On a credited line: the id of the credit note that reverses it.
    pub credited_by: Option<String>,
    /// On a credited delivery line and on the credit-note line reversing it: `rebill`
    /// (billed again by the next run), `waive` (never billed again) or `withdraw` (the
    /// registration was corrected to nothing).
    pub disposition: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreditRef {
    pub id: String,
    pub number: Option<String>,
    pub total: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Invoice {
    pub id: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub number: Option<String>,
    pub municipality: String,
    /// Code of the provider that sells (the seller on the invoice), e.g. `WSD`.
    pub provider: String,
    pub period: String,
    pub status: String,
    pub issue_date: Option<String>,
    pub due_date: Option<String>,
    pub net: String,
    pub vat: String,
    pub total: String,
    /// A credit note's invoice.
    pub credits_invoice_id: Option<String>,
    pub reason: Option<String>,
    pub updated_at: String,
    pub sent_at: Option<String>,
    pub lines: Vec<InvoiceLine>,
    /// Credit notes citing this invoice.
    pub credits: Vec<CreditRef>,
}

/// The JSON of an invoice with its lines and credit notes.
pub fn invoice_json(detail: InvoiceDetail) -> Invoice {
    let inv = detail.invoice;
    let lines = detail
        .lines
        .into_iter()
        .map(|l| InvoiceLine {
            quantity: l.quantity.to_string(),
            unit_price: l.unit_price.to_string(),
            net: l.net.to_string(),
            vat_rate: l.vat_rate.to_string(),
            service_start: l.service_start.to_string(),
            service_end: l.service_end.to_string(),
            id: l.id,
            position: l.position,
            trajectory_line_id: l.trajectory_line_id,
            trajectory_number: l.trajectory_number,
            product_code: l.product_code,
            product_name: l.product_name,
            description: l.description,
            client_ref: l.client_ref,
            buyer_reference: l.buyer_reference,
            service_period: l.service_period,
            unit: l.unit.as_str().into(),
            vat_category: l.vat_category.as_str().into(),
            credits_line_id: l.credits_line_id,
            kind: l.kind.as_str().to_string(),
            credited_by: l.credited_by.map(|c| c.id),
            disposition: l.disposition.map(|d| d.as_str().to_string()),
            settlement_terms: l
                .settlement_terms
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok()),
        })
        .collect();
    let credits = detail
        .credits
        .into_iter()
        .map(|c| CreditRef {
            id: c.id,
            number: c.number,
            total: c.total.to_string(),
        })
        .collect();
    Invoice {
        issue_date: inv.issue_date.map(|d| d.to_string()),
        due_date: inv.due_date.map(|d| d.to_string()),
        net: inv.net.to_string(),
        vat: inv.vat.to_string(),
        total: inv.total.to_string(),
        updated_at: inv
            .updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        sent_at: inv.sent_at.map(|t| t.to_rfc3339()),
        id: inv.id,
        kind: inv.kind.as_str().into(),
        number: inv.number,
        municipality: inv.municipality_code,
        provider: inv.provider,
        period: inv.period,
        status: inv.status.as_str().into(),
        credits_invoice_id: inv.credits_invoice_id,
        reason: inv.reason,
        lines,
        credits,
    }
}

/// Invoices by last change, oldest first: finance systems poll with `since` (an instant)
/// and follow `next_cursor`. A casemanager sees their municipality's final invoices.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices",
    params(("status" = Option<String>, Query), ("municipality" = Option<String>, Query), ("period" = Option<String>, Query),
           ("since" = Option<String>, Query, description = "RFC 3339 instant"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<Invoice>), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[allow(clippy::too_many_arguments)]
#[rocket::get("/api/v1/invoices?<status>&<municipality>&<period>&<since>&<limit>&<cursor>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    reader: FinanceReader,
    status: Option<&str>,
    municipality: Option<&str>,
    period: Option<&str>,
    since: Option<&str>,
    limit: Vec<&str>,
    cursor: Option<&str>,
) -> AppResult<ApiJson<Page<Invoice>>> {
    let limit = super::pagination::limit(&limit)?;
    if let Some(s) = status {
        crate::domain::invoice::InvoiceStatus::parse(s)
            .map_err(|e| AppError::field("status", e))?;
    }
    if let Some(p) = period {
        Period::parse(p).map_err(|e| AppError::field("period", e.to_string()))?;
    }
    let since = since
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    AppError::field(
                        "since",
                        "verwacht een RFC 3339-tijdstip, bijvoorbeeld 2026-11-30T12:00:00Z",
                    )
                })
        })
        .transpose()?;
    let after = super::pagination::decode_time_cursor(cursor)?;
    let filter = invoice_views::Filter {
        status: status.and_then(|s| crate::domain::invoice::InvoiceStatus::parse(s).ok()),
        municipality: municipality.map(str::to_string),
        period: period.map(str::to_string),
        since,
        after,
    };
    let mut rows = invoice_views::list_detailed(db.inner(), &reader.0, &filter, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let last = rows
        .last()
        .map(|d| super::pagination::encode_time_cursor(&d.invoice.updated_at, &d.invoice.id));
    let items = rows.into_iter().map(invoice_json).collect();
    Ok(super::ok(Page {
        items,
        next_cursor: if more { last } else { None },
    }))
}

/// One invoice or credit note with its lines.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, body = Invoice), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/invoices/<id>")]
pub async fn get(
    db: &State<DatabaseConnection>,
    reader: FinanceReader,
    id: &str,
) -> AppResult<ApiJson<Invoice>> {
    let detail = invoice_views::detail(db.inner(), &reader.0, id).await?;
    Ok(super::ok(invoice_json(detail)))
}

/// A file download.
pub struct Download {
    pub content_type: ContentType,
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl<'r> rocket::response::Responder<'r, 'static> for Download {
    fn respond_to(self, _: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build()
            .header(self.content_type)
            .header(Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.filename),
            ))
            .sized_body(self.bytes.len(), std::io::Cursor::new(self.bytes))
            .ok()
    }
}

async fn document(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<crate::export::document::InvoiceDocument> {
    invoice_documents::document(db, principal, id).await
}

/// The PDF of a final invoice or credit note.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/pdf", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/invoices/<id>/pdf")]
pub async fn pdf(
    db: &State<DatabaseConnection>,
    reader: FinanceReader,
    id: &str,
) -> AppResult<Download> {
    let doc = document(db.inner(), &reader.0, id).await?;
    let bytes = crate::export::pdf::render(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Download {
        content_type: ContentType::PDF,
        filename: format!("{}.pdf", doc.number),
        bytes,
    })
}

/// The Peppol BIS Billing 3.0 e-invoice (UBL 2.1) of a final invoice or credit note.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/ubl", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/xml", body = String), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/invoices/<id>/ubl")]
pub async fn ubl(
    db: &State<DatabaseConnection>,
    reader: FinanceReader,
    id: &str,
) -> AppResult<Download> {
    let doc = document(db.inner(), &reader.0, id).await?;
    let xml = crate::export::ubl::render(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Download {
        // application/xml as documented (Rocket's XML is text/xml).
        content_type: ContentType::new("application", "xml"),
        filename: format!("{}.xml", doc.number),
        bytes: xml.into_bytes(),
    })
}

/// The invoice as CSV for Dutch bookkeeping (semicolons, decimal comma).
#[utoipa::path(get, path = "/api/v1/invoices/{id}/csv", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/invoices/<id>/csv")]
pub async fn csv(
    db: &State<DatabaseConnection>,
    reader: FinanceReader,
    id: &str,
) -> AppResult<Download> {
    let doc = document(db.inner(), &reader.0, id).await?;
    let text = crate::export::csv::render_invoices(&[&doc])
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Download {
        content_type: ContentType::new("text", "csv").with_params(("charset", "utf-8")),
        filename: format!("{}.csv", doc.number),
        bytes: text.into_bytes(),
    })
}

/// All final invoices and credit notes of a period as one CSV.
#[utoipa::path(get, path = "/api/v1/invoices.csv", tag = "invoices", params(("period" = String, Query)),
    responses((status = 200, content_type = "text/csv", body = String)), security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/invoices.csv?<period>")]
pub async fn period_csv(
    db: &State<DatabaseConnection>,
    reader: FinanceReader,
    period: &str,
) -> AppResult<Download> {
    let period = Period::parse(period).map_err(|e| AppError::field("period", e.to_string()))?;
    let docs =
        invoice_documents::period_documents(db.inner(), &reader.0, &period.to_string()).await?;
    let refs: Vec<&crate::export::document::InvoiceDocument> = docs.iter().collect();
    let text = crate::export::csv::render_invoices(&refs)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Download {
        content_type: ContentType::new("text", "csv").with_params(("charset", "utf-8")),
        filename: format!("facturen-{period}.csv"),
        bytes: text.into_bytes(),
    })
}

/// The invoice as the write left it.
fn moved(detail: InvoiceDetail) -> AppResult<(Status, Value)> {
    Ok((
        Status::Ok,
        serde_json::to_value(invoice_json(detail)).unwrap_or_default(),
    ))
}

/// Finalises a draft: it gets its number from the gapless sequence, issue and due date.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/finalise", tag = "invoices", params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Invoice), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/invoices/<id>/finalise")]
pub async fn finalise(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    finance: Finance,
    key: IdempotencyKey,
    id: &str,
) -> AppResult<ApiJson<Value>> {
    let db = db.inner();
    idempotent(
        db,
        &finance.0,
        &key,
        &format!("POST /api/v1/invoices/{id}/finalise"),
        "",
        || async {
            let inv = invoicing::finalise(db, clock.inner(), &finance.0, id).await?;
            moved(invoice_views::detail_of(db, inv).await?)
        },
    )
    .await
}

/// E-mails a final invoice with its PDF and UBL to the municipality, and marks it sent.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/send", tag = "invoices", params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Invoice), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/invoices/<id>/send")]
pub async fn send(
    db: &State<DatabaseConnection>,
    finance: Finance,
    key: IdempotencyKey,
    id: &str,
) -> AppResult<ApiJson<Value>> {
    let db = db.inner();
    idempotent(
        db,
        &finance.0,
        &key,
        &format!("POST /api/v1/invoices/{id}/send"),
        "",
        || async {
            let inv = invoice_documents::send(db, &finance.0, id).await?;
            moved(invoice_views::detail_of(db, inv).await?)
        },
    )
    .await
}

/// Marks a final or sent invoice paid.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/paid", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, body = Invoice), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/invoices/<id>/paid")]
pub async fn paid(
    db: &State<DatabaseConnection>,
    finance: Finance,
    id: &str,
) -> AppResult<ApiJson<Value>> {
    let inv = invoicing::mark(db.inner(), &finance.0, id, InvoiceMove::Pay).await?;
    let (status, value) = moved(invoice_views::detail_of(db.inner(), inv).await?)?;
    Ok(ApiJson(status, value))
}

/// Discards a draft; its items become billable again.
#[utoipa::path(delete, path = "/api/v1/invoices/{id}", tag = "invoices", params(("id" = String, Path)),
    responses((status = 204), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::delete("/api/v1/invoices/<id>")]
pub async fn discard(
    db: &State<DatabaseConnection>,
    finance: Finance,
    id: &str,
) -> AppResult<Status> {
    invoicing::discard(db.inner(), &finance.0, id).await?;
    Ok(Status::NoContent)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// The invoice lines to credit; all uncredited lines when absent.
    pub line_ids: Option<Vec<String>>,
    pub reason: String,
    /// What happens to the work behind the credited delivery lines: `rebill` (default, the
    /// next run bills it again as registered then), `waive` (never billed again) or
    /// `withdraw` (the registrations are corrected to nothing in the same transaction).
    pub disposition: Option<String>,
}

/// Credits lines of a final invoice with a numbered credit note that cites it.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/credit", tag = "invoices", request_body = CreditRequest, params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Invoice), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/invoices/<id>/credit", data = "<body>")]
pub async fn credit(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    finance: Finance,
    key: IdempotencyKey,
    id: &str,
    body: JsonBody<CreditRequest>,
) -> AppResult<ApiJson<Value>> {
    let db = db.inner();
    let raw = body.1.clone();
    let request = body.0;
    idempotent(
        db,
        &finance.0,
        &key,
        &format!("POST /api/v1/invoices/{id}/credit"),
        &raw,
        || async {
            let disposition = match request.disposition.as_deref() {
                None => Disposition::Rebill,
                Some(value) => {
                    Disposition::parse(value).map_err(|e| AppError::field("disposition", e))?
                }
            };
            let note = invoicing::credit(
                db,
                clock.inner(),
                &finance.0,
                id,
                request.line_ids,
                &request.reason,
                disposition,
            )
            .await?;
            let (_, value) = moved(invoice_views::detail_of(db, note).await?)?;
            Ok((Status::Created, value))
        },
    )
    .await
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        create_run, list, get, pdf, ubl, csv, period_csv, finalise, send, paid, discard, credit
    ]
}
