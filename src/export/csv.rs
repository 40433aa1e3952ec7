//! CSV export of invoice lines for bookkeeping and spreadsheets.
//!
//! UTF-8 (no byte order mark), `;` as separator, `"` as quote (doubled inside a field), CRLF line
//! ends, a header row, then one row per invoice line, documents in the given order. Numbers use a
//! decimal comma and no thousands separator; dates are `dd-mm-jjjj`. A text field that a
//! spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return)
//! gets a leading `'`.
//!
//! | column | content |
//! |---|---|
//! | `factuurnummer` | document number, `2026-000042` |
//! | `soort` | `factuur` or `creditnota` |
//! | `factuurdatum` | issue date, `31-12-2026` |
//! | `vervaldatum` | due date |
//! | `periode` | billing period, `2026-12` |
//! | `gemeente_code` | the buyer's code, CBS municipality code `GM0757` |
//! | `gemeente` | the buyer's name |
//! | `regel` | line number within the document |
//! | `traject` | trajectory number, `T2026-000123` |
//! | `product_code` | `REI-WERKFIT` |
//! | `omschrijving` | what is billed, `Mijlpaal start` |
//! | `periode_van` | first service day of the line |
//! | `periode_tot` | last service day of the line (inclusive) |
//! | `aantal` | quantity, `12,5`; negative on a credit note |
//! | `eenheid` | `uur`, `dagdeel`, `stuk`, `traject` or `maand` |
//! | `prijs` | unit price excluding VAT, `94,50`; never negative |
//! | `bedrag_excl` | line amount excluding VAT, `1181,25`; negative on a credit note |
//! | `btw_categorie` | `standaard` or `vrijgesteld` |
//! | `btw_percentage` | `21` or `0` |
//! | `product` | product name |
//! | `klant` | the client, masked as on the invoice (`J. d. V.`) |
//! | `referentie` | the casemanager's reference of the line, else the document's buyer reference |
//!
//! Credit notes carry the bookkeeping sign: `aantal` and `bedrag_excl` are negative, so the sum
//! of `bedrag_excl` over an export is the net amount invoiced minus the net amount credited.
//! VAT is computed per document and category, not per line, so it is not in this export.

use std::borrow::Cow;

use crate::domain::period::format_date_nl;
use crate::export::{
    csv_amount, csv_quantity, rate_text, DocumentKind, ExportError, InvoiceDocument,
};

/// The header row, in column order.
pub const COLUMNS: [&str; 22] = [
    "factuurnummer",
    "soort",
    "factuurdatum",
    "vervaldatum",
    "periode",
    "gemeente_code",
    "gemeente",
    "regel",
    "traject",
    "product_code",
    "omschrijving",
    "periode_van",
    "periode_tot",
    "aantal",
    "eenheid",
    "prijs",
    "bedrag_excl",
    "btw_categorie",
    "btw_percentage",
    "product",
    "klant",
    "referentie",
];

/// Guards a text field against being run as a formula by a spreadsheet.
fn text(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

fn csv_err(e: impl std::fmt::Display) -> ExportError {
    ExportError::Csv(e.to_string())
}

/// Renders the lines of the given invoices and credit notes as one CSV table.
pub fn render_invoices(docs: &[&InvoiceDocument]) -> Result<String, ExportError> {
    for doc in docs {
        doc.check()?;
    }
    let mut w = ::csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(csv_err)?;
    for doc in docs {
        let (kind, sign) = match doc.kind {
            DocumentKind::Invoice => ("factuur", rust_decimal::Decimal::ONE),
            DocumentKind::CreditNote => ("creditnota", rust_decimal::Decimal::NEGATIVE_ONE),
        };
        let issue = format_date_nl(doc.issue_date);
        let due = format_date_nl(doc.due_date);
        for l in &doc.lines {
            let reference = l
                .buyer_reference
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .unwrap_or(&doc.buyer_reference);
            let row: [Cow<'_, str>; 22] = [
                text(&doc.number),
                Cow::Borrowed(kind),
                Cow::Borrowed(&issue),
                Cow::Borrowed(&due),
                text(&doc.period),
                text(&doc.buyer_code),
                text(&doc.buyer.name),
                text(&l.id),
                text(&l.trajectory_number),
                text(&l.product_code),
                text(&l.description),
                Cow::Owned(format_date_nl(l.service_start)),
                Cow::Owned(format_date_nl(l.service_end)),
                Cow::Owned(csv_quantity(l.quantity * sign)),
                text(&l.unit),
                Cow::Owned(csv_amount(l.unit_price)),
                Cow::Owned(csv_amount(l.net * sign)),
                // In Dutch, like every other value of the table.
                crate::domain::vat::VatCategory::parse(&l.vat_category)
                    .map_or_else(|_| text(&l.vat_category), |c| Cow::Borrowed(c.label_nl())),
                Cow::Owned(rate_text(l.vat_rate)),
                text(&l.product_name),
                text(&l.client_masked),
                text(reference),
            ];
            w.write_record(row.iter().map(|c| c.as_bytes()))
                .map_err(csv_err)?;
        }
    }
    let bytes = w.into_inner().map_err(csv_err)?;
    String::from_utf8(bytes).map_err(csv_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::sample_documents;
    use rust_decimal::Decimal;

    fn parse_amount(s: &str) -> Decimal {
        crate::domain::money::Money::parse(s).unwrap().amount()
    }

    fn read(out: &str) -> Vec<Vec<String>> {
        let mut r = ::csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .from_reader(out.as_bytes());
        r.records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn header_and_one_row_per_line() {
        let docs = sample_documents();
        let refs: Vec<&InvoiceDocument> = docs.iter().map(|(_, d)| d).collect();
        let out = render_invoices(&refs).unwrap();
        assert!(out.starts_with(
            "factuurnummer;soort;factuurdatum;vervaldatum;periode;gemeente_code;gemeente;regel;\
             traject;product_code;omschrijving;periode_van;periode_tot;aantal;eenheid;prijs;\
             bedrag_excl;btw_categorie;btw_percentage;product;klant;referentie\r\n"
        ));
        let rows = read(&out);
        let lines: usize = docs.iter().map(|(_, d)| d.lines.len()).sum();
        assert_eq!(rows.len(), lines + 1);
        assert!(rows[1..].iter().all(|r| r.len() == COLUMNS.len()));
        let first = &rows[1];
        assert_eq!(first[0], "2026-000042");
        assert_eq!(first[1], "factuur");
        assert_eq!(first[2], "31-12-2026");
        assert_eq!(first[5], "GM0757");
        assert_eq!(first[15], "1725,00");
        let hours = &rows[2];
        assert_eq!(hours[13], "12,5");
        assert_eq!(hours[16], "1181,25");
        assert_eq!(hours[18], "21");
    }

    #[test]
    fn sum_of_rows_is_the_net_total_with_credit_notes_negative() {
        let docs = sample_documents();
        let refs: Vec<&InvoiceDocument> = docs.iter().map(|(_, d)| d).collect();
        let rows = read(&render_invoices(&refs).unwrap());
        for (_, doc) in &docs {
            let sum: Decimal = rows[1..]
                .iter()
                .filter(|r| r[0] == doc.number)
                .map(|r| parse_amount(&r[16]))
                .sum();
            let expected = match doc.kind {
                DocumentKind::Invoice => doc.net,
                DocumentKind::CreditNote => -doc.net,
            };
            assert_eq!(sum, expected, "{}", doc.number);
        }
        let credit: Vec<_> = rows.iter().filter(|r| r[1] == "creditnota").collect();
        assert_eq!(credit.len(), 1);
        assert_eq!(credit[0][13], "-12,5");
        assert_eq!(credit[0][15], "94,50");
        assert_eq!(credit[0][16], "-1181,25");
    }

    #[test]
    fn the_vat_category_reads_in_dutch() {
        let docs = sample_documents();
        let refs: Vec<&InvoiceDocument> = docs.iter().map(|(_, d)| d).collect();
        let rows = read(&render_invoices(&refs).unwrap());
        let categories: std::collections::BTreeSet<&str> =
            rows[1..].iter().map(|r| r[17].as_str()).collect();
        assert!(!categories.is_empty());
        assert!(
            categories
                .iter()
                .all(|c| ["standaard", "vrijgesteld"].contains(c)),
            "{categories:?}"
        );
    }

    #[test]
    fn separators_and_quotes_in_text_are_escaped() {
        let mut doc = sample_documents().remove(0).1;
        doc.lines[0].description = "Mijlpaal; \"start\"\nnieuwe regel".into();
        doc.lines[1].description = "=HYPERLINK(\"http://x\")".into();
        let out = render_invoices(&[&doc]).unwrap();
        assert!(out.contains(";\"Mijlpaal; \"\"start\"\"\nnieuwe regel\";"));
        let rows = read(&out);
        assert_eq!(rows[1][10], "Mijlpaal; \"start\"\nnieuwe regel");
        assert_eq!(rows[2][10], "'=HYPERLINK(\"http://x\")");
        assert_eq!(rows[1].len(), COLUMNS.len());
        // The buyer name with ", <, > and & survives a round trip.
        assert_eq!(
            read(&render_invoices(&[&sample_documents().remove(1).1]).unwrap())[1][6],
            "Gemeente Sint-Michielsgestel & Haaren \"Samen\" <test>"
        );
    }

    #[test]
    fn no_documents_gives_the_header_alone() {
        let out = render_invoices(&[]).unwrap();
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn an_inconsistent_document_is_refused() {
        let mut doc = sample_documents().remove(0).1;
        doc.net += Decimal::ONE;
        assert!(render_invoices(&[&doc]).is_err());
    }
}
