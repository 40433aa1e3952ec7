//! UBL 2.1 Invoice / CreditNote conforming to Peppol BIS Billing 3.0 with the Dutch NL-R rules,
//! as Dutch public buyers receive e-invoices.
//!
//! What goes where (EN 16931 business terms in brackets):
//! - seller (the invoice's provider): EndpointID its Peppol id (BT-34; its KvK number,
//!   scheme 0106, when it names none) and PartyLegalEntity/CompanyID its KvK number, scheme
//!   0106 (BT-30, NL-R-003); VAT id in PartyTaxScheme (BT-31), required for S and E lines;
//! - buyer: EndpointID and legal entity id with its OIN (scheme 0190) or else its KvK (0106)
//!   (BT-49, BT-47, NL-R-005);
//! - payment: PaymentMeans 58 (SEPA credit transfer) to the seller's IBAN with the document
//!   number as PaymentID (BT-81, BT-84, BT-83), without the code's name, the account name or
//!   the BIC, which the Dutch SI-UBL 2.0 rules advise against (BR-NL-29/30/31); due date as cbc:DueDate on an invoice and as
//!   PaymentMeans/cbc:PaymentDueDate on a credit note (BT-9), and a payment terms note (BT-20);
//! - lines: item name = product name, SellersItemIdentification = product code, Description
//!   = what is billed, line Note = trajectory, masked client and the casemanager's reference,
//!   InvoicePeriod = service dates, and the trajectory and catalogue unit again as
//!   AdditionalItemProperty;
//! - the document InvoicePeriod is the billing month, widened where a line lies outside it (a
//!   credit note for an earlier month), since line periods must lie within it
//!   (PEPPOL-EN16931-R110/R111);
//! - a credit note cites the invoice in BillingReference (NL-R-001).
//!
//! All user text goes through quick-xml's escaping, and characters that XML 1.0 cannot carry
//! (control characters) are dropped.

use std::borrow::Cow;
use std::io::Write;

use chrono::NaiveDate;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use rust_decimal::Decimal;

use crate::domain::period::format_date_nl;
use crate::export::document::{period_bounds, InvoiceDocument, Party, VatCategory};
use crate::export::{normalized, rate_text, ubl_amount, unit_code, DocumentKind, ExportError};

pub const CUSTOMIZATION_ID: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
pub const PROFILE_ID: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";

const NS_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const NS_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const NS_CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const NS_CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// EAS scheme of a KvK number.
const SCHEME_KVK: &str = "0106";
/// EAS scheme of an OIN.
const SCHEME_OIN: &str = "0190";

/// Renders the document as a Peppol BIS Billing 3.0 UBL Invoice or CreditNote.
pub fn render(doc: &InvoiceDocument) -> Result<String, ExportError> {
    doc.check()?;
    let mut x = Xml::new();
    x.document(doc)?;
    x.finish()
}

/// Drops characters that XML 1.0 cannot carry (control characters other than tab, line feed and
/// carriage return, and U+FFFE/U+FFFF); escaping of `& < > " '` is left to quick-xml.
fn xml_safe(s: &str) -> Cow<'_, str> {
    fn allowed(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    }
    if s.chars().all(allowed) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| allowed(*c)).collect())
    }
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn xml_err(e: impl std::fmt::Display) -> ExportError {
    ExportError::Xml(e.to_string())
}

type R = Result<(), ExportError>;

struct Xml {
    w: Writer<Vec<u8>>,
}

impl Xml {
    fn new() -> Self {
        Self {
            w: Writer::new_with_indent(Vec::new(), b' ', 2),
        }
    }

    fn finish(self) -> Result<String, ExportError> {
        let mut bytes = self.w.into_inner();
        bytes.write_all(b"\n").map_err(xml_err)?;
        String::from_utf8(bytes).map_err(xml_err)
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> R {
        let mut start = BytesStart::new(name);
        for (k, v) in attrs {
            start.push_attribute((*k, xml_safe(v).as_ref()));
        }
        self.w.write_event(Event::Start(start)).map_err(xml_err)
    }

    fn close(&mut self, name: &str) -> R {
        self.w
            .write_event(Event::End(BytesEnd::new(name)))
            .map_err(xml_err)
    }

    /// `<name>…children…</name>`.
    fn el(&mut self, name: &str, children: impl FnOnce(&mut Self) -> R) -> R {
        self.open(name, &[])?;
        children(self)?;
        self.close(name)
    }

    /// `<name attr="…">text</name>`, both escaped.
    fn text_attrs(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> R {
        let text = xml_safe(text);
        let mut el = self.w.create_element(name);
        for (k, v) in attrs {
            el = el.with_attribute((*k, xml_safe(v).as_ref()));
        }
        el.write_text_content(BytesText::new(text.trim()))
            .map_err(xml_err)?;
        Ok(())
    }

    fn text(&mut self, name: &str, text: &str) -> R {
        self.text_attrs(name, &[], text)
    }

    fn amount(&mut self, name: &str, amount: Decimal) -> R {
        self.text_attrs(name, &[("currencyID", "EUR")], &ubl_amount(amount))
    }

    fn date(&mut self, name: &str, date: NaiveDate) -> R {
        self.text(name, &date.format("%Y-%m-%d").to_string())
    }

    fn document(&mut self, doc: &InvoiceDocument) -> R {
        let credit = doc.kind == DocumentKind::CreditNote;
        let (root, ns) = if credit {
            ("CreditNote", NS_CREDIT_NOTE)
        } else {
            ("Invoice", NS_INVOICE)
        };
        self.w
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .map_err(xml_err)?;
        self.open(
            root,
            &[("xmlns", ns), ("xmlns:cac", NS_CAC), ("xmlns:cbc", NS_CBC)],
        )?;
        self.text("cbc:CustomizationID", CUSTOMIZATION_ID)?;
        self.text("cbc:ProfileID", PROFILE_ID)?;
        self.text("cbc:ID", &doc.number)?;
        self.date("cbc:IssueDate", doc.issue_date)?;
        if credit {
            self.text("cbc:CreditNoteTypeCode", "381")?;
        } else {
            self.date("cbc:DueDate", doc.due_date)?;
            self.text("cbc:InvoiceTypeCode", "380")?;
        }
        if let Some(note) = document_note(doc) {
            self.text("cbc:Note", &note)?;
        }
        self.text("cbc:DocumentCurrencyCode", "EUR")?;
        self.text("cbc:BuyerReference", &doc.buyer_reference)?;
        let (start, end) = document_period(doc);
        self.el("cac:InvoicePeriod", |x| {
            x.date("cbc:StartDate", start)?;
            x.date("cbc:EndDate", end)
        })?;
        if let Some((number, date)) = &doc.cites {
            self.el("cac:BillingReference", |x| {
                x.el("cac:InvoiceDocumentReference", |x| {
                    x.text("cbc:ID", number)?;
                    x.date("cbc:IssueDate", *date)
                })
            })?;
        }
        self.el("cac:AccountingSupplierParty", |x| {
            x.party(
                &doc.seller,
                SCHEME_KVK,
                doc.seller.kvk.as_deref().unwrap_or(""),
            )
        })?;
        let (buyer_scheme, buyer_id) = match (non_empty(&doc.buyer.oin), non_empty(&doc.buyer.kvk))
        {
            (Some(oin), _) => (SCHEME_OIN, oin),
            (None, Some(kvk)) => (SCHEME_KVK, kvk),
            (None, None) => (SCHEME_KVK, ""),
        };
        self.el("cac:AccountingCustomerParty", |x| {
            x.party(&doc.buyer, buyer_scheme, buyer_id)
        })?;
        self.payment(doc)?;
        self.tax_total(doc)?;
        self.el("cac:LegalMonetaryTotal", |x| {
            x.amount("cbc:LineExtensionAmount", doc.net)?;
            x.amount("cbc:TaxExclusiveAmount", doc.net)?;
            x.amount("cbc:TaxInclusiveAmount", doc.total)?;
            x.amount("cbc:PayableAmount", doc.total)
        })?;
        for line in &doc.lines {
            self.line(doc.kind, line)?;
        }
        self.close(root)
    }

    /// A party; `scheme` and `id` are its legal entity id, which is also its endpoint
    /// unless the party names its Peppol endpoint.
    fn party(&mut self, p: &Party, scheme: &str, id: &str) -> R {
        let (endpoint_scheme, endpoint_id) = match &p.peppol {
            Some((s, i)) => (s.as_str(), i.as_str()),
            None => (scheme, id),
        };
        self.el("cac:Party", |x| {
            x.text_attrs(
                "cbc:EndpointID",
                &[("schemeID", endpoint_scheme)],
                endpoint_id,
            )?;
            x.el("cac:PartyName", |x| x.text("cbc:Name", &p.name))?;
            x.el("cac:PostalAddress", |x| {
                x.text("cbc:StreetName", &p.street)?;
                x.text("cbc:CityName", &p.city)?;
                x.text("cbc:PostalZone", &p.postcode)?;
                x.el("cac:Country", |x| {
                    x.text(
                        "cbc:IdentificationCode",
                        &p.country.trim().to_ascii_uppercase(),
                    )
                })
            })?;
            if let Some(vat) = non_empty(&p.vat_id) {
                x.el("cac:PartyTaxScheme", |x| {
                    x.text("cbc:CompanyID", &vat.to_ascii_uppercase())?;
                    x.el("cac:TaxScheme", |x| x.text("cbc:ID", "VAT"))
                })?;
            }
            x.el("cac:PartyLegalEntity", |x| {
                x.text("cbc:RegistrationName", &p.name)?;
                x.text_attrs("cbc:CompanyID", &[("schemeID", scheme)], id)
            })?;
            if let Some(email) = non_empty(&p.email) {
                x.el("cac:Contact", |x| x.text("cbc:ElectronicMail", email))?;
            }
            Ok(())
        })
    }

    fn payment(&mut self, doc: &InvoiceDocument) -> R {
        let credit = doc.kind == DocumentKind::CreditNote;
        let iban: String = doc
            .seller_iban
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        self.el("cac:PaymentMeans", |x| {
            x.text("cbc:PaymentMeansCode", "58")?;
            if credit {
                x.date("cbc:PaymentDueDate", doc.due_date)?;
            }
            x.text("cbc:PaymentID", &doc.number)?;
            // No account name and no BIC: SEPA needs neither, and the Dutch SI-UBL rules
            // advise against both (BR-NL-30, BR-NL-31).
            x.el("cac:PayeeFinancialAccount", |x| x.text("cbc:ID", &iban))
        })?;
        let terms = if credit {
            let cited = doc.cites.as_ref().map(|c| c.0.as_str()).unwrap_or("");
            format!(
                "Het gecrediteerde bedrag wordt uiterlijk {} verrekend of terugbetaald (creditnota {} op factuur {}).",
                format_date_nl(doc.due_date),
                doc.number.trim(),
                cited.trim()
            )
        } else {
            format!(
                "Te betalen vóór {} op {} onder vermelding van factuurnummer {}.",
                format_date_nl(doc.due_date),
                iban,
                doc.number.trim()
            )
        };
        self.el("cac:PaymentTerms", |x| x.text("cbc:Note", &terms))
    }

    fn tax_category(
        &mut self,
        name: &str,
        category: &str,
        rate: Decimal,
        reason: Option<&str>,
    ) -> R {
        let code = VatCategory::parse(category)
            .map(VatCategory::ubl_code)
            .unwrap_or("S");
        self.el(name, |x| {
            x.text("cbc:ID", code)?;
            x.text("cbc:Percent", &rate_text(rate))?;
            if let Some(reason) = reason {
                x.text("cbc:TaxExemptionReason", reason)?;
            }
            x.el("cac:TaxScheme", |x| x.text("cbc:ID", "VAT"))
        })
    }

    fn tax_total(&mut self, doc: &InvoiceDocument) -> R {
        self.el("cac:TaxTotal", |x| {
            x.amount("cbc:TaxAmount", doc.vat_total)?;
            let mut vat: Vec<_> = doc.vat.iter().collect();
            vat.sort_by_key(|v| (VatCategory::parse(&v.category), std::cmp::Reverse(v.rate)));
            for v in vat {
                x.el("cac:TaxSubtotal", |x| {
                    x.amount("cbc:TaxableAmount", v.taxable)?;
                    x.amount("cbc:TaxAmount", v.tax)?;
                    let reason = match VatCategory::parse(&v.category) {
                        Some(VatCategory::Exempt) => non_empty(&v.exemption_reason),
                        _ => None,
                    };
                    x.tax_category("cac:TaxCategory", &v.category, v.rate, reason)
                })?;
            }
            Ok(())
        })
    }

    fn line(&mut self, kind: DocumentKind, l: &crate::export::DocumentLine) -> R {
        let (name, qty_name) = match kind {
            DocumentKind::Invoice => ("cac:InvoiceLine", "cbc:InvoicedQuantity"),
            DocumentKind::CreditNote => ("cac:CreditNoteLine", "cbc:CreditedQuantity"),
        };
        let unit = unit_code(&l.unit).unwrap_or("C62");
        self.el(name, |x| {
            x.text("cbc:ID", &l.id)?;
            x.text("cbc:Note", &line_note(l))?;
            x.text_attrs(
                qty_name,
                &[("unitCode", unit)],
                &normalized(l.quantity).to_string(),
            )?;
            x.amount("cbc:LineExtensionAmount", l.net)?;
            x.el("cac:InvoicePeriod", |x| {
                x.date("cbc:StartDate", l.service_start)?;
                x.date("cbc:EndDate", l.service_end)
            })?;
            x.el("cac:Item", |x| {
                if !l.description.trim().is_empty() {
                    x.text("cbc:Description", &l.description)?;
                }
                x.text("cbc:Name", &l.product_name)?;
                x.el("cac:SellersItemIdentification", |x| {
                    x.text("cbc:ID", &l.product_code)
                })?;
                x.tax_category(
                    "cac:ClassifiedTaxCategory",
                    &l.vat_category,
                    l.vat_rate,
                    None,
                )?;
                let belongs = match l.kind {
                    crate::domain::settlement::LineKind::Delivery => "Traject",
                    _ => "Contract",
                };
                x.item_property(belongs, &l.trajectory_number)?;
                x.item_property("Eenheid", &unit_text(&l.unit))
            })?;
            x.el("cac:Price", |x| x.amount("cbc:PriceAmount", l.unit_price))
        })
    }

    fn item_property(&mut self, name: &str, value: &str) -> R {
        self.el("cac:AdditionalItemProperty", |x| {
            x.text("cbc:Name", name)?;
            x.text("cbc:Value", value)
        })
    }
}

fn unit_text(unit: &str) -> String {
    match unit {
        "dagdeel" => "dagdeel (4 uur)".to_string(),
        other => other.to_string(),
    }
}

/// BT-127: where the line belongs, for the municipality's checks.
fn line_note(l: &crate::export::DocumentLine) -> String {
    let mut note = l.belongs_to();
    if !l.client_masked.trim().is_empty() {
        note.push_str(&format!(", cliënt {}", l.client_masked.trim()));
    }
    if let Some(r) = non_empty(&l.buyer_reference) {
        note.push_str(&format!(", uw referentie {r}"));
    }
    note
}

/// BT-22: one note (Peppol allows one), holding the credit reference and reason and the free
/// text.
fn document_note(doc: &InvoiceDocument) -> Option<String> {
    let mut parts = Vec::new();
    if doc.kind == DocumentKind::CreditNote {
        if let Some((number, date)) = &doc.cites {
            parts.push(format!(
                "Creditnota op factuur {} van {}.",
                number.trim(),
                format_date_nl(*date)
            ));
        }
        if let Some(reason) = non_empty(&doc.credit_reason) {
            parts.push(format!("Reden: {reason}."));
        }
    }
    if let Some(note) = non_empty(&doc.note) {
        parts.push(note.to_string());
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The billing month, widened to every line's service dates.
fn document_period(doc: &InvoiceDocument) -> (NaiveDate, NaiveDate) {
    let mut bounds = period_bounds(&doc.period);
    for l in &doc.lines {
        bounds = Some(match bounds {
            Some((s, e)) => (s.min(l.service_start), e.max(l.service_end)),
            None => (l.service_start, l.service_end),
        });
    }
    bounds.unwrap_or((doc.issue_date, doc.issue_date))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::document::sample;

    #[test]
    fn invoice_has_the_peppol_skeleton() {
        let xml = render(&sample("invoice-mixed")).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        for needle in [
            "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"",
            "<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>",
            "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
            "<cbc:DueDate>2027-01-30</cbc:DueDate>",
            "<cbc:EndpointID schemeID=\"0106\">17123456</cbc:EndpointID>",
            "<cbc:EndpointID schemeID=\"0190\">00000001001234567000</cbc:EndpointID>",
            "<cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>",
            "<cbc:PaymentID>2026-000042</cbc:PaymentID>",
            "<cbc:InvoicedQuantity unitCode=\"HUR\">12.5</cbc:InvoicedQuantity>",
            "<cbc:InvoicedQuantity unitCode=\"MON\">0.483871</cbc:InvoicedQuantity>",
            "<cbc:ID>E</cbc:ID>",
            "<cbc:TaxExemptionReason>",
            "<cbc:PayableAmount currencyID=\"EUR\">",
        ] {
            assert!(xml.contains(needle), "missing {needle}");
        }
        assert!(!xml.contains("CreditNote"));
    }

    #[test]
    fn credit_note_cites_the_invoice() {
        let xml = render(&sample("creditnote-one-line")).unwrap();
        for needle in [
            "<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\"",
            "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>",
            "<cac:InvoiceDocumentReference>\n      <cbc:ID>2026-000042</cbc:ID>\n      <cbc:IssueDate>2026-12-31</cbc:IssueDate>",
            "<cbc:PaymentDueDate>2027-02-07</cbc:PaymentDueDate>",
            "<cbc:CreditedQuantity unitCode=\"HUR\">12.5</cbc:CreditedQuantity>",
            "<cbc:PayableAmount currencyID=\"EUR\">1429.31</cbc:PayableAmount>",
        ] {
            assert!(xml.contains(needle), "missing {needle}\n{xml}");
        }
        assert!(!xml.contains("<cbc:DueDate>"));
    }

    #[test]
    fn user_text_is_escaped() {
        let mut doc = sample("invoice-exempt-only");
        doc.lines[0].product_name = "Werk & <b>\"fit\"</b> 'x'".into();
        doc.note = Some("a\u{0}b\u{1b}c & d".into());
        let xml = render(&doc).unwrap();
        assert!(xml.contains(
            "<cbc:Name>Gemeente Sint-Michielsgestel &amp; Haaren &quot;Samen&quot; &lt;test&gt;</cbc:Name>"
        ));
        assert!(xml.contains("Werk &amp; &lt;b&gt;&quot;fit&quot;&lt;/b&gt; &apos;x&apos;"));
        assert!(xml.contains("<cbc:Note>abc &amp; d</cbc:Note>"));
        assert!(!xml.contains("<b>"));
        // The result is well-formed: every start has its end.
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut depth = 0i32;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
    }

    #[test]
    fn buyer_without_oin_uses_kvk() {
        let xml = render(&sample("invoice-exempt-only")).unwrap();
        assert!(xml.contains("<cbc:EndpointID schemeID=\"0106\">16037685</cbc:EndpointID>"));
        assert!(xml.contains("<cbc:CompanyID schemeID=\"0106\">16037685</cbc:CompanyID>"));
    }

    #[test]
    fn the_seller_is_the_invoices_provider() {
        let doc = sample("invoice-other-provider");
        let xml = render(&doc).unwrap();
        let supplier = xml
            .split("<cac:AccountingSupplierParty>")
            .nth(1)
            .and_then(|rest| rest.split("</cac:AccountingSupplierParty>").next())
            .unwrap();
        for needle in [
            "<cbc:EndpointID schemeID=\"0106\">87654321</cbc:EndpointID>",
            "<cbc:Name>Werkpad Brabant B.V.</cbc:Name>",
            "<cbc:CompanyID>NL864321987B01</cbc:CompanyID>",
            "<cbc:CompanyID schemeID=\"0106\">87654321</cbc:CompanyID>",
        ] {
            assert!(supplier.contains(needle), "missing {needle}\n{supplier}");
        }
        assert!(!supplier.contains("17123456"));
        assert!(xml.contains("<cbc:ID>NL44RABO0123456789</cbc:ID>"));
        assert!(xml.contains("<cbc:PaymentID>WERKPAD-2026-000001</cbc:PaymentID>"));
        // A Peppol endpoint other than the KvK number goes in EndpointID only.
        let mut other = doc.clone();
        other.seller.peppol = Some(("0088".into(), "8712345678901".into()));
        let xml = render(&other).unwrap();
        assert!(xml.contains("<cbc:EndpointID schemeID=\"0088\">8712345678901</cbc:EndpointID>"));
        assert!(xml.contains("<cbc:CompanyID schemeID=\"0106\">87654321</cbc:CompanyID>"));
        other.seller.peppol = Some(("x".into(), "1".into()));
        assert!(matches!(
            render(&other),
            Err(ExportError::InvalidDocument { .. })
        ));
    }

    #[test]
    fn inconsistent_totals_are_refused() {
        let mut doc = sample("invoice-mixed");
        doc.total += Decimal::new(1, 2);
        assert!(matches!(
            render(&doc),
            Err(ExportError::InvalidDocument { .. })
        ));
    }

    #[test]
    fn document_period_covers_the_lines() {
        let mut doc = sample("creditnote-one-line");
        doc.period = "2027-01".into();
        let (s, e) = document_period(&doc);
        assert_eq!(s, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(e, NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
    }
}
