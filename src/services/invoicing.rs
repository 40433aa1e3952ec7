//! Settlement on product price. Billable items are computed (domain::billing) from order
//! lines and registrations, what live claims already hold is subtracted, and only the
//! difference is billed. Each provider keeps its own books: a run bills one provider's
//! trajectories and saves one draft per municipality for that provider; finalising numbers
//! it from the provider's gapless counter of the year; a credit note reverses lines,
//! releases their claims and is numbered in the credited invoice's provider's series.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, Statement,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::domain::billing::{
    billable_items, hold_waived, settle, withdrawable_delivery, BillableItem, BilledRecord,
    DeliveryRecord, Disposition, HeldItem, LineForBilling, MilestoneReached, Unit, Waived,
};
use crate::domain::catalogue::ProductSpec;
use crate::domain::clock::Clock;
use crate::domain::invoice::{
    invoice_counter, invoice_number, InvoiceKind, InvoiceMove, InvoiceStatus,
};
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
use crate::domain::settlement::LineKind;
use crate::domain::trajectory::{EventKind, Status};
use crate::domain::vat::{totals, VatCategory};
use crate::entities::{
    billing_claim, invoice, invoice_line, municipality, trajectory, trajectory_line,
};
use crate::error::{AppError, AppResult};
use crate::services::settlement::{self as settlement, Plan, SettlementLine, Side};
use crate::store::db::placeholder;
use crate::store::{self, new_id, now};

/// An order line with what an invoice line needs to name it. The items of a line share
/// one context, and the lines of a trajectory share its row and their product's spec.
#[derive(Debug, Clone)]
pub struct LineContext {
    pub trajectory: Arc<trajectory::Model>,
    pub line: trajectory_line::Model,
    pub product: Arc<ProductSpec>,
    pub client_ref: String,
}

/// What one municipality would be billed: the number of lines and their net amounts per
/// VAT category (the items themselves are written by a run and then dropped, so the bills
/// of all municipalities never sit in memory at once).
#[derive(Debug, Clone)]
pub struct MunicipalityBill {
    pub municipality: BillTo,
    /// Items to bill now.
    pub lines: usize,
    /// Net amount of those items per VAT category.
    pub net_by_vat: Vec<(VatCategory, Money)>,
    pub held: Vec<(Arc<LineContext>, HeldItem)>,
    /// Billed earlier with another amount or no longer expected: finance credits these.
    pub to_review: Vec<(String, String)>,
    /// True-ups, advances and reconciliations of settling contracts, and the valuation of
    /// budget deliveries (`services::settlement`). `lines` and `net_by_vat` include the
    /// lines that go on the invoice; `credit_net_by_vat` holds those on credit notes.
    pub settlement: Plan,
    pub credit_net_by_vat: Vec<(VatCategory, Money)>,
    /// The delivery items to bill, for a preview that shows its lines (empty otherwise).
    pub preview: Vec<PreviewLine>,
}

/// One item a preview would bill, as finance reads it.
#[derive(Debug, Clone)]
pub struct PreviewLine {
    pub trajectory: String,
    pub product: String,
    /// The client as on the invoice (masked).
    pub client: String,
    pub description: String,
    pub period: Period,
    pub amount: Money,
    /// When the item is billed again after a credit with `rebill`: that credit note's number.
    pub rebilled_after: Option<String>,
}

impl MunicipalityBill {
    /// VAT per category on the sum of the lines, as on the invoice.
    pub fn totals(
        &self,
    ) -> (
        Vec<crate::domain::vat::VatSubtotal>,
        crate::domain::vat::Totals,
    ) {
        totals(&self.net_by_vat)
    }
}

/// The municipality a bill is for, as the run's summaries name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillTo {
    /// CBS code, `GM0757`.
    pub code: String,
    pub name: String,
}

/// A draft invoice a run wrote or added lines to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftWritten {
    pub id: String,
    /// An invoice, or a credit note of a settlement.
    pub kind: InvoiceKind,
    pub municipality_code: String,
    /// The draft's net amount after the run (a credit note's as a positive amount).
    pub net: Money,
}

/// A municipality's bill with the items to write.
struct ComputedBill {
    bill: MunicipalityBill,
    items: Vec<(Arc<LineContext>, BillableItem)>,
}

/// Net amount per VAT category of the items: VAT is computed on these sums, so they are
/// all an invoice's totals need.
fn net_by_vat(items: &[(Arc<LineContext>, BillableItem)]) -> Vec<(VatCategory, Money)> {
    let mut sums: BTreeMap<&'static str, (VatCategory, Money)> = BTreeMap::new();
    for (ctx, item) in items {
        let category = ctx.product.vat_category;
        sums.entry(category.as_str())
            .or_insert((category, Money::ZERO))
            .1 += item.amount;
    }
    sums.into_values().collect()
}

/// The columns of an event registration that billing reads.
#[derive(Debug, Clone, FromQueryResult)]
pub struct EventRow {
    pub id: String,
    pub trajectory_line_id: String,
    pub kind: EventKind,
    pub date: NaiveDate,
    pub milestone: Option<String>,
    pub corrects_id: Option<String>,
}

/// The columns of a delivery registration that billing reads.
#[derive(Debug, Clone, FromQueryResult)]
pub struct DeliveryRow {
    pub id: String,
    pub trajectory_line_id: String,
    pub period: String,
    pub quantity_thousandths: i64,
    pub corrects_id: Option<String>,
}

/// Registrations not replaced by a later correction.
fn live_events(events: &[EventRow]) -> Vec<&EventRow> {
    let corrected: std::collections::HashSet<&str> = events
        .iter()
        .filter_map(|e| e.corrects_id.as_deref())
        .collect();
    events
        .iter()
        .filter(|e| !corrected.contains(e.id.as_str()))
        .collect()
}

/// The billing input of one order line, from its registrations.
pub fn billing_input(
    ctx: &LineContext,
    events: &[EventRow],
    deliveries: &[DeliveryRow],
) -> LineForBilling {
    let live_events = live_events(events);
    let start = live_events
        .iter()
        .find(|e| e.kind == EventKind::Start)
        .map(|e| e.date);
    let complete = live_events
        .iter()
        .find(|e| e.kind == EventKind::Complete)
        .map(|e| e.date);
    let has = |name: &str| ctx.product.milestones.iter().any(|m| m.name == name);
    let mut reached: Vec<MilestoneReached> = live_events
        .iter()
        .filter(|e| e.kind == EventKind::Milestone)
        .filter_map(|e| {
            e.milestone
                .clone()
                .map(|name| MilestoneReached { name, date: e.date })
        })
        .collect();
    // The start and completion registrations reach the milestones of the same name.
    if let Some(date) = start.filter(|_| has("start") && !reached.iter().any(|m| m.name == "start"))
    {
        reached.push(MilestoneReached {
            name: "start".into(),
            date,
        });
    }
    if let Some(date) =
        complete.filter(|_| has("afronding") && !reached.iter().any(|m| m.name == "afronding"))
    {
        reached.push(MilestoneReached {
            name: "afronding".into(),
            date,
        });
    }
    let corrected: std::collections::HashSet<&str> = deliveries
        .iter()
        .filter_map(|d| d.corrects_id.as_deref())
        .collect();
    LineForBilling {
        line_id: ctx.line.id.clone(),
        unit: ctx.product.unit,
        unit_price: Money::from_cents(ctx.line.unit_price_cents),
        start_date: ctx.line.start_date,
        actual_start: start.or(ctx.line.started_on),
        end_date: ctx.line.end_date,
        stop_date: ctx.line.ended_on,
        volume: ctx.line.volume_thousandths.map(Quantity::from_thousandths),
        budget: ctx.line.budget_cents.map(Money::from_cents),
        milestones: ctx.product.milestones.clone(),
        milestones_reached: reached,
        deliveries: deliveries
            .iter()
            .filter_map(|d| {
                Some(DeliveryRecord {
                    id: d.id.clone(),
                    period: Period::parse(&d.period).ok()?,
                    quantity: Quantity::from_thousandths(d.quantity_thousandths),
                    superseded: corrected.contains(d.id.as_str()),
                })
            })
            .collect(),
    }
}

/// The live claims: what is billed per billable key (draft or final, not credited).
async fn billed_records<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    municipality: &str,
) -> AppResult<Vec<BilledRecord>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "SELECT c.billable_key AS billable_key, l.net_cents AS net_cents FROM billing_claims c \
                 JOIN invoice_lines l ON l.id = c.invoice_line_id \
                 JOIN invoices i ON i.id = l.invoice_id \
                 WHERE i.municipality_code = $1 AND i.provider_code = $2 AND l.kind = 'delivery'",
            ),
            [municipality.into(), provider.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(BilledRecord {
                key: r.try_get("", "billable_key")?,
                amount: Money::from_cents(r.try_get::<i64>("", "net_cents")?),
            })
        })
        .collect()
}

/// The items credited with a disposition that matters to the next run: `waive` (never
/// billed again) and `rebill` (billed again, and the preview says so). Each with the
/// credited line's key, the credit note's number and its reason.
async fn credited_items<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    municipality: &str,
) -> AppResult<Vec<(Waived, Disposition)>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "SELECT o.billable_key AS billable_key, n.number AS number, n.reason AS reason, \
                 c.disposition AS disposition \
                 FROM invoice_lines c \
                 JOIN invoice_lines o ON o.id = c.credits_line_id \
                 JOIN invoices n ON n.id = c.invoice_id \
                 WHERE n.municipality_code = $1 AND n.provider_code = $2 \
                 AND c.disposition IN ('waive', 'rebill') AND o.billable_key IS NOT NULL",
            ),
            [municipality.into(), provider.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            let disposition: String = r.try_get("", "disposition")?;
            Ok((
                Waived {
                    key: r.try_get("", "billable_key")?,
                    credit_note: r
                        .try_get::<Option<String>>("", "number")?
                        .unwrap_or_default(),
                    reason: r
                        .try_get::<Option<String>>("", "reason")?
                        .unwrap_or_default(),
                },
                Disposition::parse(&disposition).map_err(AppError::Internal)?,
            ))
        })
        .collect()
}

/// The provider whose books a run or preview is for. A finance user bound to a provider
/// runs that provider's and no other (naming another is refused); an unbound one runs
/// nothing. An administrator or the system names the provider. The provider must exist.
pub async fn billing_provider<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    named: Option<&str>,
) -> AppResult<String> {
    let named = named.map(str::trim).filter(|p| !p.is_empty());
    let code = match (principal.provider_scope(), named) {
        (Some(""), _) => {
            return Err(AppError::Forbidden(
                "uw account hoort bij geen aanbieder en kan dus niet factureren".into(),
            ))
        }
        (Some(own), Some(other)) if own != other => {
            return Err(AppError::field(
                "provider",
                "u factureert alleen voor de eigen aanbieder",
            ))
        }
        (Some(own), _) => own.to_string(),
        (None, Some(code)) => code.to_string(),
        (None, None) => {
            return Err(AppError::field(
                "provider",
                "noem de aanbieder waarvoor gefactureerd wordt",
            ))
        }
    };
    match store::providers::get(db, &code).await? {
        Some(p) => Ok(p.code),
        None => Err(AppError::field(
            "provider",
            format!("onbekende aanbieder {}", crate::domain::money::echo(&code)),
        )),
    }
}

/// Computes what each municipality should be billed by `provider` up to the end of
/// `period`, minus what live claims already hold. Writes nothing. One municipality at a
/// time: its items are summed and dropped before the next is loaded.
pub async fn compute<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    provider: Option<&str>,
    period: Period,
) -> AppResult<Vec<MunicipalityBill>> {
    compute_bills(db, principal, provider, period, false).await
}

/// [`compute`] with the lines each municipality would be billed (`MunicipalityBill::preview`),
/// for the preview page that lists them.
pub async fn compute_with_lines<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    provider: Option<&str>,
    period: Period,
) -> AppResult<Vec<MunicipalityBill>> {
    compute_bills(db, principal, provider, period, true).await
}

async fn compute_bills<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    provider: Option<&str>,
    period: Period,
    with_lines: bool,
) -> AppResult<Vec<MunicipalityBill>> {
    let provider = billing_provider(db, principal, provider).await?;
    let catalogue = catalogue(db).await?;
    let mut bills = Vec::new();
    for m in store::municipalities::list(db).await? {
        if let Some(computed) =
            compute_municipality(db, &provider, period, &catalogue, m, with_lines).await?
        {
            bills.push(computed.bill);
        }
    }
    Ok(bills)
}

/// The products by code, each shared by the contexts of its lines.
async fn catalogue<C: ConnectionTrait>(db: &C) -> AppResult<HashMap<String, Arc<ProductSpec>>> {
    Ok(store::catalogue::all(db)
        .await?
        .into_iter()
        .map(|p| (p.spec.code.as_str().to_string(), Arc::new(p.spec)))
        .collect())
}

#[derive(FromQueryResult)]
struct ClientName {
    id: String,
    name: String,
}

/// One municipality's live order lines with their registrations.
struct Registrations {
    trajectories: HashMap<String, Arc<trajectory::Model>>,
    lines: Vec<trajectory_line::Model>,
    events: HashMap<String, Vec<EventRow>>,
    deliveries: HashMap<String, Vec<DeliveryRow>>,
    /// Client id -> masked name.
    clients: HashMap<String, String>,
}

/// The statuses of order lines that can be billed, as an SQL list.
fn live_statuses() -> String {
    format!(
        "('{}', '{}', '{}')",
        Status::Started.as_str(),
        Status::Completed.as_str(),
        Status::Stopped.as_str()
    )
}

/// Loads what billing a municipality needs from one provider: one query per table, each
/// joining from the municipality's trajectories of that provider
/// (idx_trajectories_provider_municipality), then down the indexes on
/// trajectory_lines.trajectory_id and the registrations' trajectory_line_id. Another
/// provider's trajectories are filtered out in SQL, so its items are never even loaded.
async fn load_registrations<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    municipality: &str,
) -> AppResult<Registrations> {
    let live = live_statuses();
    let backend = db.get_database_backend();
    let by_municipality = |sql: &str| {
        Statement::from_sql_and_values(
            backend,
            placeholder(backend, sql),
            [municipality.into(), provider.into()],
        )
    };
    let trajectories = trajectory::Entity::find()
        .filter(trajectory::Column::MunicipalityCode.eq(municipality))
        .filter(trajectory::Column::ProviderCode.eq(provider))
        .all(db)
        .await?;
    let lines = trajectory_line::Entity::find()
        .from_raw_sql(by_municipality(&format!(
            "SELECT l.* FROM trajectories t JOIN trajectory_lines l ON l.trajectory_id = t.id \
             WHERE t.municipality_code = $1 AND t.provider_code = $2 AND l.status IN {live}"
        )))
        .all(db)
        .await?;
    // Only the columns billing reads: every row crosses sqlx's channel and is decoded
    // column by column, which is most of a preview's time.
    let mut events: HashMap<String, Vec<EventRow>> = HashMap::new();
    for e in EventRow::find_by_statement(by_municipality(&format!(
        "SELECT e.id, e.trajectory_line_id, e.kind, e.date, e.milestone, e.corrects_id \
         FROM trajectories t JOIN trajectory_lines l ON l.trajectory_id = t.id \
         JOIN line_events e ON e.trajectory_line_id = l.id \
         WHERE t.municipality_code = $1 AND t.provider_code = $2 AND l.status IN {live}"
    )))
    .all(db)
    .await?
    {
        events
            .entry(e.trajectory_line_id.clone())
            .or_default()
            .push(e);
    }
    let mut deliveries: HashMap<String, Vec<DeliveryRow>> = HashMap::new();
    for d in DeliveryRow::find_by_statement(by_municipality(&format!(
        "SELECT d.id, d.trajectory_line_id, d.period, d.quantity_thousandths, d.corrects_id \
         FROM trajectories t JOIN trajectory_lines l ON l.trajectory_id = t.id \
         JOIN deliveries d ON d.trajectory_line_id = l.id \
         WHERE t.municipality_code = $1 AND t.provider_code = $2 AND l.status IN {live}"
    )))
    .all(db)
    .await?
    {
        deliveries
            .entry(d.trajectory_line_id.clone())
            .or_default()
            .push(d);
    }
    let clients = ClientName::find_by_statement(by_municipality(
        "SELECT c.id, c.name FROM clients c WHERE c.id IN \
         (SELECT t.client_id FROM trajectories t \
         WHERE t.municipality_code = $1 AND t.provider_code = $2)",
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|c| (c.id, store::clients::masked_name(&c.name)))
    .collect();
    Ok(Registrations {
        trajectories: trajectories
            .into_iter()
            .map(|t| (t.id.clone(), Arc::new(t)))
            .collect(),
        lines,
        events,
        deliveries,
        clients,
    })
}

/// What one municipality should be billed, with the items to write; `None` when it has
/// nothing to bill, hold or review.
async fn compute_municipality<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    period: Period,
    catalogue: &HashMap<String, Arc<ProductSpec>>,
    m: municipality::Model,
    with_lines: bool,
) -> AppResult<Option<ComputedBill>> {
    let Registrations {
        trajectories,
        lines,
        events,
        deliveries,
        clients,
    } = load_registrations(db, provider, &m.code).await?;
    let settling =
        store::settlement::contracts_of(db, provider, &m.code, period.last_day()).await?;
    if trajectories.is_empty() && settling.is_empty() {
        return Ok(None);
    }
    let budgets: std::collections::HashSet<&str> = settling
        .iter()
        .filter(|c| c.settlement == crate::domain::settlement::SettlementForm::Budget)
        .map(|c| c.id.as_str())
        .collect();
    let mut expected = Vec::new();
    let mut held = Vec::new();
    let mut contexts: HashMap<String, Arc<LineContext>> = HashMap::new();
    for line in lines {
        let (Some(t), Some(product)) = (
            trajectories.get(&line.trajectory_id),
            catalogue.get(&line.product_code),
        ) else {
            continue;
        };
        let ctx = Arc::new(LineContext {
            client_ref: clients.get(&t.client_id).cloned().unwrap_or_default(),
            trajectory: Arc::clone(t),
            product: Arc::clone(product),
            line,
        });
        let input = billing_input(
            &ctx,
            events.get(&ctx.line.id).map(Vec::as_slice).unwrap_or(&[]),
            deliveries
                .get(&ctx.line.id)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        let result = billable_items(&input, period);
        expected.extend(result.items);
        held.extend(result.held.into_iter().map(|h| (Arc::clone(&ctx), h)));
        contexts.insert(ctx.line.id.clone(), ctx);
    }
    // A budget contract's deliveries are valued, not billed: the value of every item due.
    let contract_of = |item: &BillableItem| {
        contexts
            .get(&item.line_id)
            .map(|c| c.trajectory.contract_id.as_str())
    };
    let mut valued: HashMap<String, Money> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for item in &expected {
        if let Some(c) = contract_of(item).filter(|c| budgets.contains(c)) {
            if seen.insert(item.key.as_str()) {
                *valued.entry(c.to_string()).or_insert(Money::ZERO) += item.amount;
            }
        }
    }
    drop(seen);
    let billed = billed_records(db, provider, &m.code).await?;
    let (waived, rebilled): (Vec<_>, Vec<_>) = credited_items(db, provider, &m.code)
        .await?
        .into_iter()
        .partition(|(_, d)| *d == Disposition::Waive);
    let waived: Vec<Waived> = waived.into_iter().map(|(w, _)| w).collect();
    let (settlement, waived_held) = hold_waived(settle(expected, &billed), &waived);
    held.extend(
        waived_held
            .into_iter()
            .filter_map(|h| contexts.get(&h.line_id).map(|c| (Arc::clone(c), h))),
    );
    let items: Vec<(Arc<LineContext>, BillableItem)> = settlement
        .to_bill
        .into_iter()
        .filter_map(|item| contexts.get(&item.line_id).map(|c| (Arc::clone(c), item)))
        .filter(|(ctx, _)| !budgets.contains(ctx.trajectory.contract_id.as_str()))
        .collect();
    let mut delivery_to_bill: HashMap<String, Money> = HashMap::new();
    for (ctx, item) in &items {
        *delivery_to_bill
            .entry(ctx.trajectory.contract_id.clone())
            .or_insert(Money::ZERO) += item.amount;
    }
    let plan =
        settlement::plan(db, period, &settling, catalogue, &delivery_to_bill, &valued).await?;
    let mut to_review: Vec<(String, String)> = settlement
        .changed
        .iter()
        .map(|(item, before)| (item.key.clone(), format!("eerder gefactureerd {}, nu {}: crediteer de regel, dan wordt opnieuw gefactureerd", before.format_nl(), item.amount.format_nl())))
        .collect();
    to_review.extend(settlement.no_longer_expected.iter().map(|b| (b.key.clone(), format!("eerder gefactureerd {}, volgens de registraties niet meer verschuldigd: crediteer de regel", b.amount.format_nl()))));
    if items.is_empty() && held.is_empty() && to_review.is_empty() && plan.is_empty() {
        return Ok(None);
    }
    let mut invoice_net = net_by_vat(&items);
    invoice_net.extend(plan.on_invoice().map(|l| (l.vat_category, l.amount)));
    let credit_net_by_vat = plan
        .on_credit_notes()
        .map(|l| (l.vat_category, l.amount))
        .collect();
    let preview = if with_lines {
        items
            .iter()
            .map(|(ctx, item)| PreviewLine {
                trajectory: ctx.trajectory.number.clone(),
                product: ctx.product.name.clone(),
                client: ctx.client_ref.clone(),
                description: item.description.clone(),
                period: item.service_period,
                amount: item.amount,
                rebilled_after: rebilled
                    .iter()
                    .filter(|(w, _)| w.key == item.key)
                    .map(|(w, _)| w.credit_note.clone())
                    .next_back(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Some(ComputedBill {
        bill: MunicipalityBill {
            preview,
            municipality: BillTo {
                code: m.code,
                name: m.name,
            },
            lines: items.len() + plan.on_invoice().count(),
            net_by_vat: invoice_net,
            held,
            to_review,
            settlement: plan,
            credit_net_by_vat,
        },
        items,
    }))
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub run_id: String,
    /// The provider whose books the run wrote.
    pub provider: String,
    pub invoices: Vec<DraftWritten>,
    pub lines_created: usize,
    pub bills: Vec<MunicipalityBill>,
}

fn line_of(
    invoice_id: &str,
    position: usize,
    ctx: &LineContext,
    item: &BillableItem,
) -> invoice_line::Model {
    invoice_line::Model {
        id: new_id(),
        invoice_id: invoice_id.to_string(),
        position: i32::try_from(position).unwrap_or(i32::MAX),
        billable_key: Some(item.key.clone()),
        trajectory_line_id: Some(ctx.line.id.clone()),
        trajectory_id: ctx.trajectory.id.clone(),
        trajectory_number: ctx.trajectory.number.clone(),
        contract_id: ctx.trajectory.contract_id.clone(),
        product_code: ctx.product.code.as_str().to_string(),
        product_name: ctx.product.name.clone(),
        description: item.description.clone(),
        client_ref: ctx.client_ref.clone(),
        buyer_reference: ctx.trajectory.buyer_reference.clone(),
        service_period: item.service_period.to_string(),
        service_start: item.service_start,
        service_end: item.service_end,
        quantity_thousandths: item.quantity.to_thousandths(),
        unit: ctx.product.unit,
        unit_price_cents: item.unit_price.to_cents(),
        net_cents: item.amount.to_cents(),
        vat_category: ctx.product.vat_category,
        vat_rate: i32::try_from(ctx.product.vat_category.rate().mantissa()).unwrap_or(0),
        vat_exemption_reason: ctx.product.vat_exemption_reason.clone(),
        credits_line_id: None,
        kind: crate::domain::settlement::LineKind::Delivery,
        settlement_terms: None,
        disposition: None,
    }
}

/// Recomputes an invoice's totals from its lines: VAT per category on the sum of its lines.
async fn refresh_totals(
    txn: &DatabaseTransaction,
    invoice_id: &str,
) -> AppResult<(Money, Money, Money)> {
    let lines = store::invoices::lines(txn, invoice_id).await?;
    let pairs: Vec<(VatCategory, Money)> = lines
        .iter()
        .map(|l| (l.vat_category, Money::from_cents(l.net_cents)))
        .collect();
    let (_, t) = totals(&pairs);
    invoice::Entity::update_many()
        .col_expr(invoice::Column::NetCents, Expr::value(t.net.to_cents()))
        .col_expr(invoice::Column::VatCents, Expr::value(t.vat.to_cents()))
        .col_expr(invoice::Column::TotalCents, Expr::value(t.total.to_cents()))
        .col_expr(invoice::Column::UpdatedAt, Expr::value(now()))
        .filter(invoice::Column::Id.eq(invoice_id))
        .exec(txn)
        .await?;
    Ok((t.net, t.vat, t.total))
}

/// Runs a period for one provider (`billing_provider`): one draft per municipality
/// (lines added to the provider's open draft of that municipality and period, if any),
/// holding only that provider's items.
///
/// Each municipality is computed on a reading connection and then written in a transaction
/// of its own, so the shop keeps taking orders during a long run (on SQLite a write
/// transaction holds the one write lock of the file) and memory stays that of the largest
/// municipality. A municipality's draft,
/// credit notes and ledger entries commit together or not at all; a run stopped halfway
/// (a crash, an error) leaves complete drafts for the municipalities before it and nothing
/// of the rest, and running the period again bills the rest. Drafts have no number yet
/// (numbers are taken at finalisation), so numbering stays gapless.
///
/// One run at a time, for all providers together: the run holds the `invoice-run` lease
/// (`store::locks`) from start to end, renewed in each municipality's transaction; a second
/// run waits for it and then finds nothing new to bill. A run that was killed frees the
/// lease after `LEASE_SECS`.
pub async fn run(
    db: &DatabaseConnection,
    principal: &Principal,
    provider: Option<&str>,
    period: Period,
) -> AppResult<RunOutcome> {
    let provider = billing_provider(db, principal, provider).await?;
    let run_id = new_id();
    wait_for_run_lease(db, &run_id).await?;
    let outcome = run_holding_lease(db, principal, &provider, &run_id, period).await;
    if outcome.is_err() {
        // Best effort: a lease that cannot be released lapses by itself.
        let _ = store::locks::release(db, store::locks::INVOICE_RUN, &run_id).await;
    }
    outcome
}

/// How long a run waits for another run to finish before it gives up.
const RUN_WAIT_SECS: u64 = 600;

/// Takes the run lease for `run_id`, waiting while another run holds it.
async fn wait_for_run_lease(db: &DatabaseConnection, run_id: &str) -> AppResult<()> {
    let started = std::time::Instant::now();
    loop {
        let txn = store::db::begin_write(db).await?;
        let taken = store::locks::take(&*txn, store::locks::INVOICE_RUN, run_id, now()).await?;
        txn.commit().await?;
        if taken {
            return Ok(());
        }
        if started.elapsed() > std::time::Duration::from_secs(RUN_WAIT_SECS) {
            return Err(AppError::Conflict(
                "er loopt al meer dan tien minuten een andere factuurrun; probeer het later opnieuw"
                    .into(),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn run_holding_lease(
    db: &DatabaseConnection,
    principal: &Principal,
    provider: &str,
    run_id: &str,
    period: Period,
) -> AppResult<RunOutcome> {
    let started_at = now();
    let catalogue = catalogue(db).await?;
    let mut bills = Vec::new();
    let mut invoices = Vec::new();
    let mut lines_created = 0;
    let mut renewed = std::time::Instant::now();
    for m in store::municipalities::list(db).await? {
        // Computed before the write transaction, on a reading connection: the write lock
        // (on SQLite the one lock of the file) is held only while the bill is written, so
        // orders queue behind a write of milliseconds, not behind a whole computation. The
        // lease keeps other runs out, so what was computed is still unbilled when written
        // (and the billing claims would refuse an item billed twice regardless).
        let Some(ComputedBill { bill, items }) =
            compute_municipality(db, provider, period, &catalogue, m, false).await?
        else {
            if renewed.elapsed() > std::time::Duration::from_secs(5) {
                let txn = store::db::begin_write(db).await?;
                store::locks::renew(&*txn, store::locks::INVOICE_RUN, run_id, now()).await?;
                txn.commit().await?;
                renewed = std::time::Instant::now();
            }
            continue;
        };
        let txn = store::db::begin_write(db).await?;
        store::locks::renew(&*txn, store::locks::INVOICE_RUN, run_id, now()).await?;
        renewed = std::time::Instant::now();
        let mut written: Vec<(SettlementLine, String)> = Vec::new();
        let mut this_invoice = None;
        if bill.lines > 0 {
            lines_created += bill.lines;
            let (draft, carried) =
                write_draft(&txn, principal, provider, run_id, period, &bill, items).await?;
            written.extend(carried);
            this_invoice = Some(draft.id.clone());
            invoices.push(DraftWritten {
                kind: InvoiceKind::Invoice,
                id: draft.id,
                municipality_code: draft.municipality_code,
                net: Money::from_cents(draft.net_cents),
            });
        }
        for (note, carried) in write_credit_drafts(
            &txn,
            principal,
            provider,
            run_id,
            period,
            &bill,
            this_invoice.as_deref(),
        )
        .await?
        {
            lines_created += carried.len();
            written.extend(carried);
            invoices.push(DraftWritten {
                kind: InvoiceKind::CreditNote,
                id: note.id,
                municipality_code: note.municipality_code,
                net: Money::from_cents(note.net_cents),
            });
        }
        settlement::write_ledger(&txn, principal, period, &bill.settlement, &written).await?;
        txn.commit().await?;
        bills.push(bill);
    }
    let held: usize = bills.iter().map(|b| b.held.len()).sum();
    let txn = store::db::begin_write(db).await?;
    store::locks::renew(&*txn, store::locks::INVOICE_RUN, run_id, now()).await?;
    crate::entities::invoice_run::Entity::insert(crate::entities::invoice_run::ActiveModel::from(
        crate::entities::invoice_run::Model {
            id: run_id.to_string(),
            period: period.to_string(),
            started_by: principal.actor(),
            started_at,
            finished_at: Some(now()),
            invoices_created: i32::try_from(invoices.len()).unwrap_or(i32::MAX),
            lines_created: i32::try_from(lines_created).unwrap_or(i32::MAX),
            items_held: i32::try_from(held).unwrap_or(i32::MAX),
            provider_code: provider.to_string(),
        },
    ))
    .exec_without_returning(&*txn)
    .await?;
    store::audit::append(&*txn, principal, "invoice_run.run", "invoice_run", run_id, None, Some(json!({"provider": provider, "period": period.to_string(), "invoices": invoices.len(), "lines": lines_created, "held": held}))).await?;
    store::locks::release(&*txn, store::locks::INVOICE_RUN, run_id).await?;
    txn.commit().await?;
    Ok(RunOutcome {
        run_id: run_id.to_string(),
        provider: provider.to_string(),
        invoices,
        lines_created,
        bills,
    })
}

/// The provider's open draft for a municipality and period, or a new one: an invoice, or
/// with `cites` a settlement credit note citing that invoice.
async fn open_draft(
    txn: &DatabaseTransaction,
    provider: &str,
    municipality: &str,
    period: Period,
    run_id: &str,
    cites: Option<&str>,
) -> AppResult<invoice::Model> {
    let kind = match cites {
        Some(_) => InvoiceKind::CreditNote,
        None => InvoiceKind::Invoice,
    };
    let mut query = invoice::Entity::find()
        .filter(invoice::Column::ProviderCode.eq(provider))
        .filter(invoice::Column::MunicipalityCode.eq(municipality))
        .filter(invoice::Column::Period.eq(period.to_string()))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Draft))
        .filter(invoice::Column::Kind.eq(kind));
    if let Some(cited) = cites {
        query = query.filter(invoice::Column::CreditsInvoiceId.eq(cited));
    }
    if let Some(draft) = query.one(txn).await? {
        return Ok(draft);
    }
    let draft = invoice::Model {
        id: new_id(),
        kind,
        number: None,
        municipality_code: municipality.to_string(),
        period: period.to_string(),
        status: InvoiceStatus::Draft,
        issue_date: None,
        due_date: None,
        net_cents: 0,
        vat_cents: 0,
        total_cents: 0,
        credits_invoice_id: cites.map(str::to_string),
        reason: cites.map(|_| "Verrekening volgens de afrekenvorm van het contract".to_string()),
        content_hash: None,
        run_id: Some(run_id.to_string()),
        created_at: now(),
        updated_at: now(),
        finalised_at: None,
        sent_at: None,
        paid_at: None,
        provider_code: provider.to_string(),
    };
    invoice::Entity::insert(invoice::ActiveModel::from(draft.clone()))
        .exec_without_returning(txn)
        .await?;
    Ok(draft)
}

/// Adds a municipality's items to its draft (after the lines it already has), with one
/// billing claim per item, and sets the draft's totals from its old and new lines.
async fn write_draft(
    txn: &DatabaseTransaction,
    principal: &Principal,
    provider: &str,
    run_id: &str,
    period: Period,
    bill: &MunicipalityBill,
    mut items: Vec<(Arc<LineContext>, BillableItem)>,
) -> AppResult<(invoice::Model, Vec<(SettlementLine, String)>)> {
    let draft = open_draft(txn, provider, &bill.municipality.code, period, run_id, None).await?;
    let existing = store::invoices::net_by_vat(txn, &draft.id).await?;
    items.sort_by(|a, b| {
        (
            &a.0.trajectory.number,
            a.0.line.position,
            a.1.service_start,
            &a.1.key,
        )
            .cmp(&(
                &b.0.trajectory.number,
                b.0.line.position,
                b.1.service_start,
                &b.1.key,
            ))
    });
    let start = existing.lines;
    let mut lines: Vec<invoice_line::Model> = items
        .iter()
        .enumerate()
        .map(|(i, (ctx, item))| line_of(&draft.id, start + i + 1, ctx, item))
        .collect();
    // The settlement lines after the deliveries.
    let mut carried = Vec::new();
    for l in bill.settlement.on_invoice() {
        let line = settlement::invoice_line_of(&draft.id, start + lines.len() + 1, l);
        carried.push((l.clone(), line.id.clone()));
        lines.push(line);
    }
    let added = lines.len();
    // The primary key of the claims makes a second bill of an item fail.
    store::invoices::insert_lines_with_claims(txn, lines).await?;
    let mut pairs = existing.net_by_vat;
    pairs.extend(bill.net_by_vat.iter().copied());
    let (_, t) = totals(&pairs);
    invoice::Entity::update_many()
        .col_expr(invoice::Column::NetCents, Expr::value(t.net.to_cents()))
        .col_expr(invoice::Column::VatCents, Expr::value(t.vat.to_cents()))
        .col_expr(invoice::Column::TotalCents, Expr::value(t.total.to_cents()))
        .col_expr(invoice::Column::UpdatedAt, Expr::value(now()))
        .filter(invoice::Column::Id.eq(draft.id.clone()))
        .exec(txn)
        .await?;
    store::audit::append(
        txn,
        principal,
        "invoice.draft",
        "invoice",
        &draft.id,
        None,
        Some(json!({"provider": draft.provider_code, "municipality": draft.municipality_code, "period": draft.period, "lines_added": added, "net": t.net.to_string(), "vat": t.vat.to_string(), "total": t.total.to_string()})),
    )
    .await?;
    let draft = invoice::Entity::find_by_id(draft.id.clone())
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((draft, carried))
}

/// Writes the credit-note side of a municipality's settlement: one draft credit note per
/// invoice cited (a thrown-away earlier draft of the same run period and citation is
/// reused), its period the run's. Lines whose citation cannot be found wait for the next
/// run.
async fn write_credit_drafts(
    txn: &DatabaseTransaction,
    principal: &Principal,
    provider: &str,
    run_id: &str,
    period: Period,
    bill: &MunicipalityBill,
    this_invoice: Option<&str>,
) -> AppResult<Vec<(invoice::Model, Vec<(SettlementLine, String)>)>> {
    let mut by_cited: BTreeMap<String, Vec<&SettlementLine>> = BTreeMap::new();
    for l in bill.settlement.on_credit_notes() {
        let Side::CreditNote { cites } = &l.side else {
            continue;
        };
        let cited = match cites.clone().or_else(|| this_invoice.map(str::to_string)) {
            Some(c) => Some(c),
            None => store::settlement::latest_invoice_with(txn, &l.contract_id, l.kind).await?,
        };
        if let Some(cited) = cited {
            by_cited.entry(cited).or_default().push(l);
        }
    }
    let mut out = Vec::new();
    for (cited, lines) in by_cited {
        let note = open_draft(
            txn,
            provider,
            &bill.municipality.code,
            period,
            run_id,
            Some(&cited),
        )
        .await?;
        let start = store::invoices::lines(txn, &note.id).await?.len();
        let mut carried = Vec::new();
        let mut models = Vec::new();
        for (i, l) in lines.into_iter().enumerate() {
            let line = settlement::invoice_line_of(&note.id, start + i + 1, l);
            carried.push((l.clone(), line.id.clone()));
            models.push(line);
        }
        store::invoices::insert_lines_with_claims(txn, models).await?;
        let (net, vat, total) = refresh_totals(txn, &note.id).await?;
        store::audit::append(
            txn,
            principal,
            "invoice.draft",
            "invoice",
            &note.id,
            None,
            Some(json!({"provider": provider, "municipality": note.municipality_code, "period": note.period, "kind": "credit_note", "credits": cited, "lines_added": carried.len(), "net": net.to_string(), "vat": vat.to_string(), "total": total.to_string()})),
        )
        .await?;
        let note = invoice::Entity::find_by_id(note.id.clone())
            .one(txn)
            .await?
            .ok_or(AppError::NotFound)?;
        out.push((note, carried));
    }
    Ok(out)
}

/// A hash of everything a final invoice says, to show it never changed.
pub fn content_hash(inv: &invoice::Model, lines: &[invoice_line::Model]) -> String {
    let canonical = json!({
        "id": inv.id, "kind": inv.kind, "number": inv.number, "municipality": inv.municipality_code, "period": inv.period,
        "issue_date": inv.issue_date, "due_date": inv.due_date, "net": inv.net_cents, "vat": inv.vat_cents, "total": inv.total_cents,
        "credits": inv.credits_invoice_id, "reason": inv.reason,
        "lines": lines.iter().map(|l| json!([l.id, l.position, l.billable_key, l.trajectory_line_id, l.product_code, l.description, l.service_start, l.service_end, l.quantity_thousandths, l.unit_price_cents, l.net_cents, l.vat_category, l.vat_rate, l.credits_line_id])).collect::<Vec<_>>(),
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// The next number of the provider's gapless series of the issue year.
async fn take_number(
    txn: &DatabaseTransaction,
    provider: &str,
    issue: NaiveDate,
) -> AppResult<String> {
    let year = chrono::Datelike::year(&issue);
    let sequence = store::counters::next(txn, &invoice_counter(provider, year)).await?;
    Ok(invoice_number(provider, year, sequence))
}

/// Finalises a draft: its number from the gapless counter of the issue year, issue and due
/// date, and the hash of its content.
pub async fn finalise(
    db: &DatabaseConnection,
    clock: &Clock,
    principal: &Principal,
    id: &str,
) -> AppResult<invoice::Model> {
    let txn = store::db::begin_write(db).await?;
    let inv = store::invoices::get(&txn, principal, id).await?;
    inv.status.apply(InvoiceMove::Finalise)?;
    let lines = store::invoices::lines(&txn, id).await?;
    if lines.is_empty() {
        return Err(AppError::Conflict(
            "een factuur zonder regels kan niet definitief worden".into(),
        ));
    }
    // A credit note cites its invoice by number (NL-R-001): that invoice comes first.
    if let Some(cited) = inv.credits_invoice_id.as_deref() {
        let cited = invoice::Entity::find_by_id(cited.to_string())
            .one(&txn)
            .await?;
        if !cited.as_ref().is_some_and(|c| c.status.is_final()) {
            return Err(AppError::Conflict(
                "deze creditnota verwijst naar een factuur die nog een concept is: maak eerst die factuur definitief".into(),
            ));
        }
    }
    let municipality = store::municipalities::get(&txn, &inv.municipality_code)
        .await?
        .ok_or(AppError::NotFound)?;
    let issue = clock.today();
    let number = take_number(&txn, &inv.provider_code, issue).await?;
    let due = issue + chrono::Duration::days(i64::from(municipality.payment_term_days));
    let mut after = invoice::Model {
        number: Some(number),
        status: InvoiceStatus::Final,
        issue_date: Some(issue),
        due_date: Some(due),
        finalised_at: Some(now()),
        updated_at: now(),
        ..inv.clone()
    };
    after.content_hash = Some(content_hash(&after, &lines));
    let result = invoice::Entity::update_many()
        .set(invoice::ActiveModel::from(after.clone()).reset_all())
        .filter(invoice::Column::Id.eq(id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Draft))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::Conflict(
            "de factuur is intussen al definitief gemaakt".into(),
        ));
    }
    store::audit::append(&txn, principal, "invoice.finalise", "invoice", id, Some(json!({"status": inv.status})), Some(json!({"status": after.status, "number": after.number, "issue_date": issue, "due_date": due, "total": Money::from_cents(after.total_cents).to_string(), "hash": after.content_hash}))).await?;
    txn.commit().await?;
    Ok(after)
}

use sea_orm::ActiveModelTrait;

/// Throws a draft away: its lines and claims go, its items become billable again.
pub async fn discard(db: &DatabaseConnection, principal: &Principal, id: &str) -> AppResult<()> {
    let txn = store::db::begin_write(db).await?;
    let inv = store::invoices::get(&txn, principal, id).await?;
    inv.status.apply(InvoiceMove::Discard)?;
    // Draft credit notes of a settlement that cite this draft go with it; the next run
    // computes them again.
    for note in store::invoices::credits_of(&txn, id).await? {
        if note.status == InvoiceStatus::Draft {
            discard_in(&txn, principal, &note).await?;
        }
    }
    discard_in(&txn, principal, &inv).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes a draft with its lines, their claims and their ledger entries.
async fn discard_in(
    txn: &DatabaseTransaction,
    principal: &Principal,
    inv: &invoice::Model,
) -> AppResult<()> {
    let id = inv.id.as_str();
    let lines = store::invoices::lines(txn, id).await?;
    let ids: Vec<String> = lines.iter().map(|l| l.id.clone()).collect();
    for chunk in ids.chunks(500) {
        billing_claim::Entity::delete_many()
            .filter(billing_claim::Column::InvoiceLineId.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    store::settlement::delete_ledger_of_lines(txn, &ids).await?;
    invoice_line::Entity::delete_many()
        .filter(invoice_line::Column::InvoiceId.eq(id))
        .exec(txn)
        .await?;
    invoice::Entity::delete_by_id(id.to_string())
        .exec(txn)
        .await?;
    store::audit::append(txn, principal, "invoice.discard", "invoice", id, Some(json!({"kind": inv.kind, "municipality": inv.municipality_code, "period": inv.period, "lines": lines.len(), "total": Money::from_cents(inv.total_cents).to_string()})), None).await?;
    Ok(())
}

/// Marks a final invoice sent or paid.
pub async fn mark(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
    movement: InvoiceMove,
) -> AppResult<invoice::Model> {
    let txn = store::db::begin_write(db).await?;
    let inv = store::invoices::get(&txn, principal, id).await?;
    let after = mark_in(&txn, principal, &inv, movement).await?;
    txn.commit().await?;
    Ok(after)
}

pub(crate) async fn mark_in(
    txn: &DatabaseTransaction,
    principal: &Principal,
    inv: &invoice::Model,
    movement: InvoiceMove,
) -> AppResult<invoice::Model> {
    let status = inv.status;
    let to = status
        .apply(movement)?
        .ok_or_else(|| AppError::Conflict("ongeldige stap".into()))?;
    let mut update = invoice::Entity::update_many()
        .col_expr(invoice::Column::Status, Expr::value(to))
        .col_expr(invoice::Column::UpdatedAt, Expr::value(now()))
        .filter(invoice::Column::Id.eq(inv.id.clone()))
        .filter(invoice::Column::Status.eq(status));
    update = match to {
        InvoiceStatus::Sent => update.col_expr(invoice::Column::SentAt, Expr::value(now())),
        InvoiceStatus::Paid => update.col_expr(invoice::Column::PaidAt, Expr::value(now())),
        _ => update,
    };
    if update.exec(txn).await?.rows_affected != 1 {
        return Err(AppError::Conflict(
            "de factuur is intussen gewijzigd".into(),
        ));
    }
    store::audit::append(
        txn,
        principal,
        &format!("invoice.{}", to.as_str()),
        "invoice",
        &inv.id,
        Some(json!({"status": status})),
        Some(json!({"status": to})),
    )
    .await?;
    invoice::Entity::find_by_id(inv.id.clone())
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)
}

/// Credits lines of a final invoice (all its uncredited lines when none are named) with a
/// numbered credit note citing it; the credited items' claims are released. What happens
/// to the work behind a delivery line is the `disposition` (`domain::billing`): `Rebill`
/// lets the next run bill it again as registered then, `Waive` holds it for good with the
/// reason, `Withdraw` corrects its delivery registration to zero in this transaction.
/// Settlement lines (advance, true-up, reconciliation) keep their own credit behaviour and
/// take only `Rebill`.
pub async fn credit(
    db: &DatabaseConnection,
    clock: &Clock,
    principal: &Principal,
    id: &str,
    line_ids: Option<Vec<String>>,
    reason: &str,
    disposition: Disposition,
) -> AppResult<invoice::Model> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::field(
            "reason",
            "geef de reden van de creditering (hoogstens 500 tekens)",
        ));
    }
    let txn = store::db::begin_write(db).await?;
    let inv = store::invoices::get(&txn, principal, id).await?;
    if inv.kind != InvoiceKind::Invoice || !inv.status.is_final() {
        return Err(AppError::Conflict(
            "alleen een definitieve factuur kan gecrediteerd worden; een concept gooit u weg"
                .into(),
        ));
    }
    let lines = store::invoices::lines(&txn, id).await?;
    let mut already = std::collections::HashSet::new();
    for credit_note in store::invoices::credits_of(&txn, id).await? {
        for l in store::invoices::lines(&txn, &credit_note.id).await? {
            if let Some(c) = l.credits_line_id {
                already.insert(c);
            }
        }
    }
    let chosen: Vec<invoice_line::Model> = match &line_ids {
        Some(ids) if !ids.is_empty() => {
            let mut chosen = Vec::new();
            for lid in ids {
                let line = lines.iter().find(|l| &l.id == lid).ok_or_else(|| {
                    AppError::field(
                        "line_ids",
                        format!("regel {lid} staat niet op deze factuur"),
                    )
                })?;
                if already.contains(lid) {
                    return Err(AppError::field(
                        "line_ids",
                        format!("regel {} is al gecrediteerd", line.position),
                    ));
                }
                chosen.push(line.clone());
            }
            chosen
        }
        _ => lines
            .iter()
            .filter(|l| !already.contains(&l.id))
            .cloned()
            .collect(),
    };
    if chosen.is_empty() {
        return Err(AppError::Conflict(
            "alle regels van deze factuur zijn al gecrediteerd".into(),
        ));
    }
    // What `withdraw` corrects: (trajectory line, delivery registration) per credited line.
    let mut withdrawals = Vec::new();
    if disposition != Disposition::Rebill {
        for line in &chosen {
            if line.kind != LineKind::Delivery {
                return Err(AppError::field(
                    "disposition",
                    format!(
                        "regel {} is een {}: die wordt gecrediteerd zoals altijd; kies rebill (opnieuw factureren) of crediteer alleen leveringsregels",
                        line.position,
                        line.kind.label_nl()
                    ),
                ));
            }
            if disposition == Disposition::Withdraw {
                let delivery = line
                    .billable_key
                    .as_deref()
                    .and_then(withdrawable_delivery)
                    .zip(line.trajectory_line_id.as_deref());
                let Some((delivery, traject_line)) = delivery else {
                    return Err(AppError::field(
                        "disposition",
                        format!(
                            "regel {} ({}) is geen geregistreerd aantal uren, dagdelen of stuks: intrekken kan alleen bij zo'n registratie; kies rebill of waive",
                            line.position, line.product_name
                        ),
                    ));
                };
                withdrawals.push((traject_line.to_string(), delivery.to_string()));
            }
        }
    }
    let municipality = store::municipalities::get(&txn, &inv.municipality_code)
        .await?
        .ok_or(AppError::NotFound)?;
    let issue = clock.today();
    let number = take_number(&txn, &inv.provider_code, issue).await?;
    let note = invoice::Model {
        id: new_id(),
        kind: InvoiceKind::CreditNote,
        number: Some(number),
        municipality_code: inv.municipality_code.clone(),
        period: inv.period.clone(),
        status: InvoiceStatus::Final,
        issue_date: Some(issue),
        due_date: Some(issue + chrono::Duration::days(i64::from(municipality.payment_term_days))),
        net_cents: 0,
        vat_cents: 0,
        total_cents: 0,
        credits_invoice_id: Some(inv.id.clone()),
        reason: Some(reason.to_string()),
        content_hash: None,
        run_id: None,
        created_at: now(),
        updated_at: now(),
        finalised_at: Some(now()),
        sent_at: None,
        paid_at: None,
        provider_code: inv.provider_code.clone(),
    };
    invoice::Entity::insert(invoice::ActiveModel::from(note.clone()))
        .exec_without_returning(&txn)
        .await?;
    let mut credited = Vec::new();
    for (i, original) in chosen.iter().enumerate() {
        let line = invoice_line::Model {
            id: new_id(),
            invoice_id: note.id.clone(),
            position: i32::try_from(i + 1).unwrap_or(i32::MAX),
            billable_key: None,
            credits_line_id: Some(original.id.clone()),
            disposition: (original.kind == LineKind::Delivery).then_some(disposition),
            ..original.clone()
        };
        credited.push((original.clone(), line.id.clone()));
        invoice_line::Entity::insert(invoice_line::ActiveModel::from(line))
            .exec_without_returning(&txn)
            .await?;
        billing_claim::Entity::delete_many()
            .filter(billing_claim::Column::InvoiceLineId.eq(original.id.clone()))
            .exec(&txn)
            .await?;
    }
    settlement::on_credit(&txn, principal, &inv.period, &credited).await?;
    for (traject_line, delivery) in &withdrawals {
        crate::services::registration::withdraw_delivery_in(
            &txn,
            principal,
            traject_line,
            delivery,
            &format!(
                "creditnota {}: {reason}",
                note.number.as_deref().unwrap_or("")
            ),
        )
        .await?;
    }
    refresh_totals(&txn, &note.id).await?;
    let mut stored = invoice::Entity::find_by_id(note.id.clone())
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let note_lines = store::invoices::lines(&txn, &note.id).await?;
    stored.content_hash = Some(content_hash(&stored, &note_lines));
    invoice::Entity::update_many()
        .col_expr(
            invoice::Column::ContentHash,
            Expr::value(stored.content_hash.clone()),
        )
        .filter(invoice::Column::Id.eq(note.id.clone()))
        .exec(&txn)
        .await?;
    // The credited invoice shows up again for finance systems polling `since`.
    invoice::Entity::update_many()
        .col_expr(invoice::Column::UpdatedAt, Expr::value(now()))
        .filter(invoice::Column::Id.eq(inv.id.clone()))
        .exec(&txn)
        .await?;
    store::audit::append(&txn, principal, "invoice.credit", "invoice", &note.id, None, Some(json!({"credits": inv.number, "lines": chosen.iter().map(|l| l.position).collect::<Vec<_>>(), "reason": reason, "disposition": disposition, "total": Money::from_cents(stored.total_cents).to_string(), "number": stored.number}))).await?;
    txn.commit().await?;
    Ok(stored)
}

/// Groups a municipality's preview or run by VAT for the answer.
pub fn summary(bill: &MunicipalityBill) -> serde_json::Value {
    let (_, t) = bill.totals();
    json!({
        "municipality": bill.municipality.code,
        "name": bill.municipality.name,
        "lines": bill.lines,
        "net": t.net.to_string(),
        "vat": t.vat.to_string(),
        "total": t.total.to_string(),
        "settlement": settlement::summary(&bill.settlement),
        "credit_notes": {
            "lines": bill.settlement.on_credit_notes().count(),
            "net": totals(&bill.credit_net_by_vat).1.net.to_string(),
            "total": totals(&bill.credit_net_by_vat).1.total.to_string(),
        },
    })
}

/// Per municipality: net, VAT and total (for pages and reports).
pub fn totals_by_municipality(
    bills: &[MunicipalityBill],
) -> BTreeMap<String, (Money, Money, Money)> {
    bills
        .iter()
        .map(|b| {
            let (_, t) = b.totals();
            (b.municipality.code.clone(), (t.net, t.vat, t.total))
        })
        .collect()
}

/// Check used by `plusmarkt check` and tests: does every invoice's total equal its lines?
pub async fn totals_consistent<C: ConnectionTrait>(
    db: &C,
    inv: &invoice::Model,
) -> AppResult<bool> {
    let lines = store::invoices::lines(db, &inv.id).await?;
    let pairs: Vec<(VatCategory, Money)> = lines
        .iter()
        .map(|l| (l.vat_category, Money::from_cents(l.net_cents)))
        .collect();
    let (_, t) = totals(&pairs);
    Ok(t.net.to_cents() == inv.net_cents
        && t.vat.to_cents() == inv.vat_cents
        && t.total.to_cents() == inv.total_cents)
}

/// A quantity in a unit, for invoice lines and their documents.
pub fn quantity_of(line: &invoice_line::Model) -> Decimal {
    Quantity::from_thousandths(line.quantity_thousandths).amount()
}

/// Whether a unit is billed per milestone (for documents).
pub fn is_traject(unit: &str) -> bool {
    Unit::parse(unit).is_ok_and(|u| u == Unit::Traject)
}
