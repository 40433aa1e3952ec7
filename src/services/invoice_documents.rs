//! An invoice as a document for its renditions (UBL, PDF, CSV), and sending it.

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

use crate::domain::invoice::{InvoiceKind, InvoiceMove};
use crate::domain::money::Money;
use crate::domain::principal::Principal;
use crate::domain::vat::{vat_breakdown, VatCategory};
use crate::entities::{invoice, provider};
use crate::error::{AppError, AppResult};
use crate::export::document::{DocumentKind, DocumentLine, InvoiceDocument, Party, VatLine};
use crate::store;

fn cents(value: i64) -> Decimal {
    Money::from_cents(value).amount()
}

/// The seller of a provider's invoices: its provider row (name, address, KvK, VAT number,
/// Peppol endpoint, invoice mailbox, IBAN).
async fn seller_of<C: ConnectionTrait>(db: &C, provider: &str) -> AppResult<provider::Model> {
    store::providers::get(db, provider).await?.ok_or_else(|| {
        AppError::Internal(format!(
            "de aanbieder {provider} van deze factuur bestaat niet"
        ))
    })
}

/// Builds the document of a final invoice or credit note, with its provider as seller.
pub async fn document_for<C: ConnectionTrait>(
    db: &C,
    inv: &invoice::Model,
) -> AppResult<InvoiceDocument> {
    let (Some(number), Some(issue_date), Some(due_date)) =
        (inv.number.clone(), inv.issue_date, inv.due_date)
    else {
        return Err(AppError::Conflict(
            "een concept heeft nog geen nummer; maak de factuur eerst definitief".into(),
        ));
    };
    let municipality = store::municipalities::get(db, &inv.municipality_code)
        .await?
        .ok_or(AppError::NotFound)?;
    let lines = store::invoices::lines(db, &inv.id).await?;
    let mut exemption: std::collections::BTreeMap<String, String> =
        std::collections::BTreeMap::new();
    let mut pairs = Vec::new();
    let mut doc_lines = Vec::new();
    for l in &lines {
        let category = l.vat_category;
        pairs.push((category, Money::from_cents(l.net_cents)));
        if let Some(reason) = &l.vat_exemption_reason {
            exemption
                .entry(category.as_str().to_string())
                .or_insert_with(|| reason.clone());
        }
        doc_lines.push(DocumentLine {
            id: l.position.to_string(),
            product_code: l.product_code.clone(),
            product_name: l.product_name.clone(),
            description: l.description.clone(),
            trajectory_number: l.trajectory_number.clone(),
            client_masked: l.client_ref.clone(),
            buyer_reference: Some(l.buyer_reference.clone()).filter(|r| !r.is_empty()),
            service_start: l.service_start,
            service_end: l.service_end,
            quantity: crate::services::invoicing::quantity_of(l),
            unit: l.unit.as_str().to_string(),
            unit_price: cents(l.unit_price_cents),
            net: cents(l.net_cents),
            vat_category: category.as_str().to_string(),
            vat_rate: Decimal::from(l.vat_rate),
            kind: l.kind,
        });
    }
    let vat = vat_breakdown(&pairs)
        .into_iter()
        .map(|s| VatLine {
            category: s.category.as_str().to_string(),
            rate: s.rate,
            taxable: s.taxable.amount(),
            tax: s.tax.amount(),
            exemption_reason: if s.category == VatCategory::Exempt {
                exemption
                    .get("exempt")
                    .cloned()
                    .or_else(|| Some("Vrijgesteld van btw".into()))
            } else {
                None
            },
        })
        .collect();
    let cites = match &inv.credits_invoice_id {
        Some(id) => invoice::Entity::find_by_id(id.clone())
            .one(db)
            .await?
            .map(|o| {
                (
                    o.number.unwrap_or_default(),
                    o.issue_date.unwrap_or(issue_date),
                )
            }),
        None => None,
    };
    // The document's buyer reference: the one reference all lines share, else the
    // municipality's standing reference, else the invoice number.
    let mut references: Vec<&str> = lines
        .iter()
        .map(|l| l.buyer_reference.as_str())
        .filter(|r| !r.is_empty())
        .collect();
    references.sort();
    references.dedup();
    let buyer_reference = match references.as_slice() {
        [one] => one.to_string(),
        _ => municipality
            .buyer_reference
            .clone()
            .unwrap_or_else(|| number.clone()),
    };
    let seller = seller_of(db, &inv.provider_code).await?;
    Ok(InvoiceDocument {
        kind: match inv.kind {
            InvoiceKind::CreditNote => DocumentKind::CreditNote,
            InvoiceKind::Invoice => DocumentKind::Invoice,
        },
        number,
        issue_date,
        due_date,
        period: inv.period.clone(),
        buyer_reference,
        seller: Party {
            name: seller.name.clone(),
            street: seller.street.clone(),
            postcode: seller.postcode.clone(),
            city: seller.city.clone(),
            country: "NL".into(),
            kvk: Some(seller.kvk.clone()),
            oin: None,
            vat_id: Some(seller.vat_number.clone()),
            email: Some(seller.invoice_email.clone()),
            peppol: Some((seller.peppol_scheme.clone(), seller.peppol_id.clone())),
        },
        seller_iban: seller.iban.clone(),
        seller_bic: None,
        buyer_code: municipality.code.clone(),
        buyer: Party {
            name: format!("Gemeente {}", municipality.name),
            street: municipality.street.clone(),
            postcode: municipality.postcode.clone(),
            city: municipality.city.clone(),
            country: "NL".into(),
            kvk: municipality.kvk.clone(),
            oin: municipality.oin.clone(),
            vat_id: None,
            email: Some(municipality.finance_email.clone()),
            peppol: None,
        },
        lines: doc_lines,
        vat,
        net: cents(inv.net_cents),
        vat_total: cents(inv.vat_cents),
        total: cents(inv.total_cents),
        cites,
        credit_reason: inv.reason.clone(),
        note: None,
    })
}

/// The document of one invoice or credit note the reader may see.
pub async fn document(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<InvoiceDocument> {
    let inv = store::invoices::get(db, principal, id).await?;
    document_for(db, &inv).await
}

/// The documents of a period's numbered invoices and credit notes, by number.
pub async fn period_documents(
    db: &DatabaseConnection,
    principal: &Principal,
    period: &str,
) -> AppResult<Vec<InvoiceDocument>> {
    let filter = store::invoices::Filter {
        period: Some(period.to_string()),
        ..Default::default()
    };
    let mut docs = Vec::new();
    for inv in store::invoices::list(db, principal, &filter, 100_000).await? {
        if inv.number.is_some() {
            docs.push(document_for(db, &inv).await?);
        }
    }
    docs.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(docs)
}

/// The PDF and UBL of a final invoice, named by its number.
pub fn renditions(doc: &InvoiceDocument) -> AppResult<(Vec<u8>, String)> {
    let pdf =
        crate::export::pdf::render(doc).map_err(|e| AppError::Internal(format!("pdf: {e}")))?;
    let ubl =
        crate::export::ubl::render(doc).map_err(|e| AppError::Internal(format!("ubl: {e}")))?;
    Ok((pdf, ubl))
}

/// Sends a final invoice to the municipality's finance address with the PDF and the UBL
/// attached, through the outbox, and records it as sent, in one transaction.
pub async fn send(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<invoice::Model> {
    let txn = store::db::begin_write(db).await?;
    let inv = store::invoices::get(&txn, principal, id).await?;
    let doc = document_for(&txn, &inv).await?;
    let (pdf, ubl) = renditions(&doc)?;
    let after =
        crate::services::invoicing::mark_in(&txn, principal, &inv, InvoiceMove::Send).await?;
    let total = Money::from_cents(inv.total_cents).format_nl();
    let message = crate::mail::messages::invoice_message(
        &doc.buyer.email.clone().unwrap_or_default(),
        &crate::mail::messages::InvoiceFacts {
            credit_note: inv.kind == crate::domain::invoice::InvoiceKind::CreditNote,
            number: &doc.number,
            seller: &doc.seller.name,
            period: &doc.period,
            total: &total,
        },
        vec![
            crate::mail::Attachment {
                filename: format!("{}.pdf", doc.number),
                content_type: "application/pdf".into(),
                bytes: pdf,
            },
            crate::mail::Attachment {
                filename: format!("{}.xml", doc.number),
                content_type: "application/xml".into(),
                bytes: ubl.into_bytes(),
            },
        ],
        &inv.id,
    );
    crate::mail::enqueue(&txn, message).await?;
    txn.commit().await?;
    Ok(after)
}
