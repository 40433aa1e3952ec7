//! Invoices and credit notes as finance and casemanagers read them: lists (one query, or
//! four with lines, credit notes and their lines for a whole page) and one invoice in detail.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::billing::{Disposition, Unit};
use crate::domain::invoice::{InvoiceKind, InvoiceStatus};
use crate::domain::money::Money;
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
use crate::domain::vat::VatCategory;
use crate::entities::{invoice, invoice_line};
use crate::error::AppResult;
use crate::store;

/// Which invoices a list shows; the store applies the reader's scope on top.
pub use crate::store::invoices::Filter;

/// An invoice or credit note without its lines.
#[derive(Debug, Clone)]
pub struct Invoice {
    pub id: String,
    pub kind: InvoiceKind,
    /// None while a draft.
    pub number: Option<String>,
    pub municipality_code: String,
    /// Code of the provider that sells: the seller on the invoice.
    pub provider: String,
    pub period: String,
    pub status: InvoiceStatus,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub net: Money,
    pub vat: Money,
    pub total: Money,
    /// A credit note's invoice.
    pub credits_invoice_id: Option<String>,
    pub reason: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<invoice::Model> for Invoice {
    fn from(i: invoice::Model) -> Self {
        Invoice {
            id: i.id,
            kind: i.kind,
            number: i.number,
            municipality_code: i.municipality_code,
            provider: i.provider_code,
            period: i.period,
            status: i.status,
            issue_date: i.issue_date,
            due_date: i.due_date,
            net: Money::from_cents(i.net_cents),
            vat: Money::from_cents(i.vat_cents),
            total: Money::from_cents(i.total_cents),
            credits_invoice_id: i.credits_invoice_id,
            reason: i.reason,
            updated_at: i.updated_at,
            sent_at: i.sent_at,
        }
    }
}

/// One invoice line.
#[derive(Debug, Clone)]
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
    pub service_start: NaiveDate,
    pub service_end: NaiveDate,
    pub quantity: Quantity,
    pub unit: Unit,
    pub unit_price: Money,
    pub net: Money,
    pub vat_category: VatCategory,
    pub vat_rate: i32,
    pub vat_exemption_reason: Option<String>,
    /// On a credit note: the invoice line it reverses.
    pub credits_line_id: Option<String>,
    /// A delivery, or a settlement line (true-up, advance, reconciliation).
    pub kind: crate::domain::settlement::LineKind,
    /// On a settlement line: the contract terms it was computed under (JSON).
    pub settlement_terms: Option<String>,
    /// What happens to the work behind a credited delivery line: on the credit-note line
    /// that reverses it, and on the credited line.
    pub disposition: Option<Disposition>,
    /// On a credited line: the credit note that reverses it (id and number).
    pub credited_by: Option<CreditRef>,
}

impl From<invoice_line::Model> for InvoiceLine {
    fn from(l: invoice_line::Model) -> Self {
        InvoiceLine {
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
            service_start: l.service_start,
            service_end: l.service_end,
            quantity: Quantity::from_thousandths(l.quantity_thousandths),
            unit: l.unit,
            unit_price: Money::from_cents(l.unit_price_cents),
            net: Money::from_cents(l.net_cents),
            vat_category: l.vat_category,
            vat_rate: l.vat_rate,
            vat_exemption_reason: l.vat_exemption_reason,
            credits_line_id: l.credits_line_id,
            kind: l.kind,
            settlement_terms: l.settlement_terms,
            disposition: l.disposition,
            credited_by: None,
        }
    }
}

/// A credit note as cited by its invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRef {
    pub id: String,
    pub number: Option<String>,
    pub total: Money,
}

/// An invoice with its lines and the credit notes citing it.
#[derive(Debug, Clone)]
pub struct InvoiceDetail {
    pub invoice: Invoice,
    pub lines: Vec<InvoiceLine>,
    pub credits: Vec<CreditRef>,
}

/// Invoices without lines (one query), in the store's order.
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &Filter,
    limit: u64,
) -> AppResult<Vec<Invoice>> {
    Ok(store::invoices::list(db, principal, filter, limit)
        .await?
        .into_iter()
        .map(Invoice::from)
        .collect())
}

/// Invoices with their lines and credit notes: four queries for the whole page.
pub async fn list_detailed(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &Filter,
    limit: u64,
) -> AppResult<Vec<InvoiceDetail>> {
    let invoices = store::invoices::list(db, principal, filter, limit).await?;
    detailed(db, invoices).await
}

async fn detailed(
    db: &DatabaseConnection,
    invoices: Vec<invoice::Model>,
) -> AppResult<Vec<InvoiceDetail>> {
    let ids: Vec<String> = invoices.iter().map(|i| i.id.clone()).collect();
    let mut lines: HashMap<String, Vec<InvoiceLine>> = HashMap::new();
    for l in store::invoices::lines_of_many(db, &ids).await? {
        lines
            .entry(l.invoice_id.clone())
            .or_default()
            .push(InvoiceLine::from(l));
    }
    let mut credits: HashMap<String, Vec<CreditRef>> = HashMap::new();
    let notes = store::invoices::credits_of_many(db, &ids).await?;
    for c in &notes {
        let Some(cited) = c.credits_invoice_id.clone() else {
            continue;
        };
        credits.entry(cited).or_default().push(CreditRef {
            id: c.id.clone(),
            number: c.number.clone(),
            total: Money::from_cents(c.total_cents),
        });
    }
    // Each credited line: the credit note reversing it and the disposition it was given.
    let note_ids: Vec<String> = notes.iter().map(|n| n.id.clone()).collect();
    let mut credited_by: HashMap<String, (CreditRef, Option<Disposition>)> = HashMap::new();
    for l in store::invoices::lines_of_many(db, &note_ids).await? {
        let (Some(credited), Some(note)) = (
            l.credits_line_id,
            notes.iter().find(|n| n.id == l.invoice_id),
        ) else {
            continue;
        };
        let note = CreditRef {
            id: note.id.clone(),
            number: note.number.clone(),
            total: Money::from_cents(note.total_cents),
        };
        credited_by.insert(credited, (note, l.disposition));
    }
    for lines in lines.values_mut() {
        for line in lines.iter_mut() {
            if let Some((note, disposition)) = credited_by.remove(&line.id) {
                line.credited_by = Some(note);
                line.disposition = disposition;
            }
        }
    }
    Ok(invoices
        .into_iter()
        .map(|i| InvoiceDetail {
            lines: lines.remove(&i.id).unwrap_or_default(),
            credits: credits.remove(&i.id).unwrap_or_default(),
            invoice: Invoice::from(i),
        })
        .collect())
}

/// One invoice or credit note with its lines and credit notes, as the reader may see it.
pub async fn detail(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<InvoiceDetail> {
    let inv = store::invoices::get(db, principal, id).await?;
    let mut found = detailed(db, vec![inv]).await?;
    found.pop().ok_or(crate::error::AppError::NotFound)
}

/// The detail of an invoice a write has just returned (no second read of the invoice).
pub async fn detail_of(db: &DatabaseConnection, inv: invoice::Model) -> AppResult<InvoiceDetail> {
    let mut found = detailed(db, vec![inv]).await?;
    found.pop().ok_or(crate::error::AppError::NotFound)
}

/// What the invoice page needs beyond the detail: which lines credit notes already
/// reverse, the number of the invoice a credit note cites, and the names of the
/// municipality and the provider.
#[derive(Debug, Clone)]
pub struct InvoicePage {
    pub detail: InvoiceDetail,
    /// Ids of this invoice's lines that a credit note reverses.
    pub credited_lines: std::collections::HashSet<String>,
    /// A credit note's invoice number (when the reader may see that invoice).
    pub cites: Option<String>,
    pub municipality_name: String,
    /// Where "Versturen" sends the invoice: the municipality's finance address.
    pub municipality_email: String,
    pub provider_name: String,
}

pub async fn page(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<InvoicePage> {
    let detail = detail(db, principal, id).await?;
    let credit_ids: Vec<String> = detail.credits.iter().map(|c| c.id.clone()).collect();
    let credited_lines = store::invoices::lines_of_many(db, &credit_ids)
        .await?
        .into_iter()
        .filter_map(|l| l.credits_line_id)
        .collect();
    let cites = match &detail.invoice.credits_invoice_id {
        Some(c) => store::invoices::get(db, principal, c)
            .await
            .ok()
            .and_then(|o| o.number),
        None => None,
    };
    let (municipality_name, municipality_email) =
        store::municipalities::get(db, &detail.invoice.municipality_code)
            .await?
            .map(|m| (m.name, m.finance_email))
            .unwrap_or_default();
    let provider_name = store::providers::get(db, &detail.invoice.provider)
        .await?
        .map(|p| p.name)
        .unwrap_or_else(|| detail.invoice.provider.clone());
    Ok(InvoicePage {
        detail,
        credited_lines,
        cites,
        municipality_name,
        municipality_email,
        provider_name,
    })
}

/// Every provider's name by code (a handful of rows), for lists of invoices.
pub async fn provider_names(db: &DatabaseConnection) -> AppResult<HashMap<String, String>> {
    Ok(store::providers::list(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect())
}

/// The number a draft of `provider` would get if finalised on `issue`, peeked from the
/// gapless counter of that year without taking it, and whether another draft of the same
/// provider exists (whose finalising could take that number first).
pub async fn next_number(
    db: &DatabaseConnection,
    principal: &Principal,
    provider: &str,
    issue: NaiveDate,
) -> AppResult<(String, bool)> {
    use crate::domain::invoice::{invoice_counter, invoice_number};
    let year = chrono::Datelike::year(&issue);
    let current = store::counters::peek(db, &invoice_counter(provider, year)).await?;
    let drafts = Filter {
        status: Some(InvoiceStatus::Draft),
        ..Default::default()
    };
    let others = store::invoices::list(db, principal, &drafts, 3)
        .await?
        .into_iter()
        .filter(|i| i.provider_code == provider)
        .count()
        > 1;
    Ok((invoice_number(provider, year, current + 1), others))
}
