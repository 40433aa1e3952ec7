//! The input of every rendition: a finished invoice or credit note as plain data.
//!
//! The caller (the invoicing service) computes every amount; the renditions only lay them out.
//! [`InvoiceDocument::check`] is the one place that refuses a document whose numbers or
//! identifiers could not make a valid e-invoice, so that no rendition ever shows totals that do
//! not add up. Every renderer calls it first.

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::*;

use crate::domain::bsn::Bsn;
pub use crate::domain::settlement::LineKind;
use crate::export::ExportError;

/// Invoice (UBL `Invoice`, type code 380) or credit note (UBL `CreditNote`, type code 381).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

/// Seller (the invoice's provider) or buyer (a municipality).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    pub name: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2, e.g. `"NL"`.
    pub country: String,
    /// Chamber of Commerce number (KvK, 8 digits); Peppol scheme 0106.
    pub kvk: Option<String>,
    /// Government organisation id (OIN, 20 digits); Peppol scheme 0190.
    pub oin: Option<String>,
    /// VAT identifier with country prefix, e.g. `"NL001234567B01"`.
    pub vat_id: Option<String>,
    pub email: Option<String>,
    /// Peppol endpoint as (scheme, id), e.g. `("0106", "17123456")`. Without one, the UBL
    /// uses the legal entity id as the endpoint (OIN, scheme 0190, else KvK, 0106).
    pub peppol: Option<(String, String)>,
}

/// One invoice line: one billable item of one trajectory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    /// Line number within the document: `"1"`, `"2"`, …
    pub id: String,
    pub product_code: String,
    pub product_name: String,
    /// What is billed, e.g. `"Mijlpaal start"` or `"December 2026 (15/31 dagen)"`.
    pub description: String,
    /// `"T2026-000123"`.
    pub trajectory_number: String,
    /// The client as shown to the municipality, masked: `"J. d. V."`. Never a BSN.
    pub client_masked: String,
    /// The casemanager's reference of the trajectory, if any.
    pub buyer_reference: Option<String>,
    pub service_start: NaiveDate,
    pub service_end: NaiveDate,
    /// Quantity in `unit`. A pro-rata month is a fraction of a month: give it with enough
    /// places (e.g. 15/31 rounded to 6 places, `0.483871`) that quantity × unit price is within
    /// 2 cents of `net`, as Peppol rule PEPPOL-EN16931-R120 demands. A quantity rounded to
    /// thousandths is not precise enough for monthly prices above about € 40.
    pub quantity: Decimal,
    /// `"uur"`, `"dagdeel"`, `"stuk"`, `"traject"` or `"maand"`.
    pub unit: String,
    /// Price per unit, 2 places, not negative.
    pub unit_price: Decimal,
    /// Line amount without VAT, 2 places.
    pub net: Decimal,
    /// `"standard"` or `"exempt"`.
    pub vat_category: String,
    /// 21 for standard, 0 for exempt.
    pub vat_rate: Decimal,
    /// A delivery, or a settlement line (true-up, advance, reconciliation): those name
    /// their contract in `trajectory_number` and bill no trajectory.
    pub kind: LineKind,
}

impl DocumentLine {
    /// "Traject T2026-000123" or "Contractspecificatie Boxtel 2026": where the line
    /// belongs, as the PDF heads its group and the UBL line note says.
    pub fn belongs_to(&self) -> String {
        match self.kind {
            LineKind::Delivery => format!("Traject {}", self.trajectory_number.trim()),
            // A contract's name says it is a contract ("Contractspecificatie Boxtel 2026").
            _ => self.trajectory_number.trim().to_string(),
        }
    }
}

/// One VAT breakdown line: per category and rate, over the sum of its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatLine {
    /// `"standard"` or `"exempt"`.
    pub category: String,
    pub rate: Decimal,
    pub taxable: Decimal,
    pub tax: Decimal,
    /// Required for `"exempt"`: the legal ground, shown on the PDF and sent in the UBL.
    pub exemption_reason: Option<String>,
}

/// A finished invoice or credit note. For a credit note every amount is positive: the amounts
/// being credited, as UBL `CreditNote` expects (the CSV turns them negative for bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    pub kind: DocumentKind,
    /// `"2026-000042"`.
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// The billing period, `"2026-12"`.
    pub period: String,
    /// Document-level buyer reference (Peppol BT-10), required.
    pub buyer_reference: String,
    pub seller: Party,
    pub seller_iban: String,
    pub seller_bic: Option<String>,
    /// The buyer's own code, the CBS municipality code: `"GM0757"`.
    pub buyer_code: String,
    pub buyer: Party,
    pub lines: Vec<DocumentLine>,
    pub vat: Vec<VatLine>,
    pub net: Decimal,
    pub vat_total: Decimal,
    pub total: Decimal,
    /// The invoice a credit note corrects: its number and issue date. Required for a credit note.
    pub cites: Option<(String, NaiveDate)>,
    /// Why a credit note was made, e.g. `"dubbel geregistreerd"`.
    pub credit_reason: Option<String>,
    /// Free text for the buyer.
    pub note: Option<String>,
}

/// VAT category as the renditions know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum VatCategory {
    Standard,
    Exempt,
}

impl VatCategory {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "standard" => Some(Self::Standard),
            "exempt" => Some(Self::Exempt),
            _ => None,
        }
    }

    /// UNCL 5305 code used in UBL.
    pub(crate) fn ubl_code(self) -> &'static str {
        match self {
            Self::Standard => "S",
            Self::Exempt => "E",
        }
    }
}

/// Parses a period `"YYYY-MM"` into its first and last day.
pub(crate) fn period_bounds(period: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = period.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let month: u32 = m.parse().ok()?;
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

/// Whether `s` holds a run of exactly 9 ASCII digits, not glued to letters, that passes the
/// elfproef ([`Bsn::parse`]): what a BSN looks like. (A VAT id such as NL001234567B01 is glued
/// to letters.)
fn contains_bsn_like(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let glued_before = start > 0 && bytes[start - 1].is_ascii_alphabetic();
            let glued_after = i < bytes.len() && bytes[i].is_ascii_alphabetic();
            if i - start == 9
                && !glued_before
                && !glued_after
                && s.get(start..i).is_some_and(|run| Bsn::parse(run).is_ok())
            {
                return true;
            }
        } else {
            i += 1;
        }
    }
    false
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ExportError {
    ExportError::InvalidDocument {
        field: field.into(),
        message: message.into(),
    }
}

fn is_money(d: Decimal) -> bool {
    d.normalize().scale() <= 2
}

/// Amounts and quantities are kept far below `Decimal`'s range, so that no sum or product the
/// renditions compute can overflow.
fn bounded(field: &str, d: Decimal) -> Result<(), ExportError> {
    // 10^15 for amounts (a thousand trillion euro), 10^9 for quantities.
    let limit = if field.ends_with("quantity") {
        Decimal::from(1_000_000_000_i64)
    } else {
        Decimal::from(1_000_000_000_000_000_i64)
    };
    if d.abs() >= limit {
        Err(invalid(field, "is out of range"))
    } else {
        Ok(())
    }
}

fn require_text(field: &str, value: &str) -> Result<(), ExportError> {
    if value.trim().is_empty() {
        Err(invalid(field, "is empty"))
    } else {
        Ok(())
    }
}

fn check_party(prefix: &str, p: &Party) -> Result<(), ExportError> {
    require_text(&format!("{prefix}.name"), &p.name)?;
    require_text(&format!("{prefix}.street"), &p.street)?;
    require_text(&format!("{prefix}.postcode"), &p.postcode)?;
    require_text(&format!("{prefix}.city"), &p.city)?;
    let c = p.country.trim();
    if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid(
            format!("{prefix}.country"),
            "must be an ISO 3166-1 alpha-2 code such as NL",
        ));
    }
    if let Some(vat) = &p.vat_id {
        let v = vat.trim();
        if v.len() < 3 || !v.bytes().take(2).all(|b| b.is_ascii_alphabetic()) {
            return Err(invalid(
                format!("{prefix}.vat_id"),
                "must start with a country prefix such as NL",
            ));
        }
    }
    for (name, value) in [("kvk", &p.kvk), ("oin", &p.oin)] {
        if let Some(v) = value {
            require_text(&format!("{prefix}.{name}"), v)?;
        }
    }
    if let Some((scheme, id)) = &p.peppol {
        if scheme.len() != 4 || !scheme.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                format!("{prefix}.peppol"),
                "the scheme must be a 4-digit ICD code such as 0106",
            ));
        }
        require_text(&format!("{prefix}.peppol"), id)?;
    }
    Ok(())
}

impl InvoiceDocument {
    /// Refuses a document that cannot make a correct invoice in every rendition: totals that do
    /// not add up, amounts with more than 2 places, missing identifiers that the Dutch Peppol
    /// rules require, a credit note that cites no invoice, or a masked client that holds a BSN.
    pub fn check(&self) -> Result<(), ExportError> {
        require_text("number", &self.number)?;
        require_text("buyer_reference", &self.buyer_reference)?;
        require_text("seller_iban", &self.seller_iban)?;
        check_party("seller", &self.seller)?;
        check_party("buyer", &self.buyer)?;
        if self.seller.kvk.is_none() {
            return Err(invalid(
                "seller.kvk",
                "is required (Peppol endpoint and legal entity, scheme 0106)",
            ));
        }
        if self.seller.vat_id.is_none() {
            return Err(invalid(
                "seller.vat_id",
                "is required for standard-rated and exempt lines (BR-S-02, BR-E-02)",
            ));
        }
        if self.buyer.oin.is_none() && self.buyer.kvk.is_none() {
            return Err(invalid("buyer", "needs an OIN or a KvK number"));
        }
        if self.kind == DocumentKind::CreditNote {
            match &self.cites {
                Some((number, _)) => require_text("cites", number)?,
                None => {
                    return Err(invalid(
                        "cites",
                        "a credit note must cite the invoice it corrects (NL-R-001)",
                    ))
                }
            }
        }
        if self.lines.is_empty() {
            return Err(invalid("lines", "a document needs at least one line"));
        }
        for (field, amount) in [
            ("net", self.net),
            ("vat_total", self.vat_total),
            ("total", self.total),
        ] {
            bounded(field, amount)?;
            if !is_money(amount) {
                return Err(invalid(field, "has more than 2 decimal places"));
            }
        }

        let mut line_sums: Vec<(VatCategory, Decimal, Decimal)> = Vec::new();
        let mut sum_lines = Decimal::ZERO;
        for (i, line) in self.lines.iter().enumerate() {
            let f = |name: &str| format!("lines[{i}].{name}");
            require_text(&f("id"), &line.id)?;
            require_text(&f("product_code"), &line.product_code)?;
            require_text(&f("product_name"), &line.product_name)?;
            require_text(&f("trajectory_number"), &line.trajectory_number)?;
            super::unit_code(&line.unit)
                .ok_or_else(|| invalid(f("unit"), format!("unknown unit {:?}", line.unit)))?;
            if line.service_end < line.service_start {
                return Err(invalid(f("service_end"), "lies before service_start"));
            }
            bounded(&f("quantity"), line.quantity)?;
            bounded(&f("unit_price"), line.unit_price)?;
            bounded(&f("net"), line.net)?;
            bounded(&f("vat_rate"), line.vat_rate)?;
            if !is_money(line.net) || !is_money(line.unit_price) {
                return Err(invalid(f("net"), "amounts need at most 2 decimal places"));
            }
            if line.unit_price.is_sign_negative() && !line.unit_price.is_zero() {
                return Err(invalid(f("unit_price"), "must not be negative (BR-27)"));
            }
            let product = line.quantity * line.unit_price;
            if (product - line.net).abs() > Decimal::new(2, 2) {
                return Err(invalid(
                    f("net"),
                    format!(
                        "quantity {} × price {} = {} is more than 2 cents from net {} \
                         (PEPPOL-EN16931-R120)",
                        line.quantity, line.unit_price, product, line.net
                    ),
                ));
            }
            for (name, text) in [
                ("client_masked", &line.client_masked),
                ("description", &line.description),
            ] {
                if contains_bsn_like(text) {
                    return Err(invalid(f(name), "looks like it holds a BSN"));
                }
            }
            let cat = VatCategory::parse(&line.vat_category).ok_or_else(|| {
                invalid(
                    f("vat_category"),
                    format!("unknown VAT category {:?}", line.vat_category),
                )
            })?;
            check_rate(&f("vat_rate"), cat, line.vat_rate)?;
            sum_lines += line.net;
            match line_sums
                .iter_mut()
                .find(|(c, r, _)| *c == cat && *r == line.vat_rate)
            {
                Some(entry) => entry.2 += line.net,
                None => line_sums.push((cat, line.vat_rate, line.net)),
            }
        }
        if sum_lines != self.net {
            return Err(invalid(
                "net",
                format!("{} is not the sum of the lines {}", self.net, sum_lines),
            ));
        }

        let mut taxable_sum = Decimal::ZERO;
        let mut tax_sum = Decimal::ZERO;
        for (i, v) in self.vat.iter().enumerate() {
            let f = |name: &str| format!("vat[{i}].{name}");
            let cat = VatCategory::parse(&v.category).ok_or_else(|| {
                invalid(
                    f("category"),
                    format!("unknown VAT category {:?}", v.category),
                )
            })?;
            bounded(&f("rate"), v.rate)?;
            bounded(&f("taxable"), v.taxable)?;
            bounded(&f("tax"), v.tax)?;
            check_rate(&f("rate"), cat, v.rate)?;
            if !is_money(v.taxable) || !is_money(v.tax) {
                return Err(invalid(f("tax"), "amounts need at most 2 decimal places"));
            }
            if self.vat[..i]
                .iter()
                .any(|o| o.category == v.category && o.rate == v.rate)
            {
                return Err(invalid(
                    f("category"),
                    "one VAT line per category and rate (BR-CO-18)",
                ));
            }
            let lines_sum = line_sums
                .iter()
                .find(|(c, r, _)| *c == cat && *r == v.rate)
                .map(|(_, _, s)| *s)
                .ok_or_else(|| invalid(f("category"), "no line has this category and rate"))?;
            if lines_sum != v.taxable {
                return Err(invalid(
                    f("taxable"),
                    format!("{} is not the sum of its lines {}", v.taxable, lines_sum),
                ));
            }
            let expected = (v.taxable * v.rate / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            if (expected - v.tax).abs() > Decimal::new(1, 2) {
                return Err(invalid(
                    f("tax"),
                    format!(
                        "{} is not {}% of {} ({})",
                        v.tax, v.rate, v.taxable, expected
                    ),
                ));
            }
            match cat {
                VatCategory::Exempt => {
                    if v.exemption_reason
                        .as_deref()
                        .is_none_or(|r| r.trim().is_empty())
                    {
                        return Err(invalid(
                            f("exemption_reason"),
                            "an exempt VAT line needs its reason (BR-E-10)",
                        ));
                    }
                }
                VatCategory::Standard => {}
            }
            taxable_sum += v.taxable;
            tax_sum += v.tax;
        }
        if let Some((cat, rate, _)) = line_sums.iter().find(|(c, r, _)| {
            !self
                .vat
                .iter()
                .any(|v| VatCategory::parse(&v.category) == Some(*c) && v.rate == *r)
        }) {
            return Err(invalid(
                "vat",
                format!("no VAT line for category {cat:?} at {rate}% (BR-CO-18)"),
            ));
        }
        if taxable_sum != self.net {
            return Err(invalid("vat", "taxable amounts do not add up to net"));
        }
        if tax_sum != self.vat_total {
            return Err(invalid(
                "vat_total",
                format!(
                    "{} is not the sum of the VAT lines {}",
                    self.vat_total, tax_sum
                ),
            ));
        }
        if self.net + self.vat_total != self.total {
            return Err(invalid("total", "is not net + vat_total"));
        }
        Ok(())
    }

    /// `"Factuur"` or `"Creditnota"`.
    pub fn title_nl(&self) -> &'static str {
        match self.kind {
            DocumentKind::Invoice => "Factuur",
            DocumentKind::CreditNote => "Creditnota",
        }
    }
}

fn check_rate(field: &str, cat: VatCategory, rate: Decimal) -> Result<(), ExportError> {
    match cat {
        VatCategory::Exempt if !rate.is_zero() => {
            Err(invalid(field, "an exempt line has rate 0 (BR-E-05)"))
        }
        VatCategory::Standard if rate <= Decimal::ZERO || rate >= Decimal::ONE_HUNDRED => Err(
            invalid(field, "a standard rate lies between 0 and 100 (BR-S-05)"),
        ),
        _ => Ok(()),
    }
}

/// Dutch month name, lower case.
pub(crate) fn month_name_nl(month: u32) -> &'static str {
    match month {
        1 => "januari",
        2 => "februari",
        3 => "maart",
        4 => "april",
        5 => "mei",
        6 => "juni",
        7 => "juli",
        8 => "augustus",
        9 => "september",
        10 => "oktober",
        11 => "november",
        12 => "december",
        _ => "",
    }
}

/// `"2026-12"` → `"december 2026"`; anything else unchanged.
pub(crate) fn period_nl(period: &str) -> String {
    match period_bounds(period) {
        Some((first, _)) => format!("{} {}", month_name_nl(first.month()), first.year()),
        None => period.to_string(),
    }
}

/// Example documents: several clients and trajectories, a pro-rata month, milestones, hours and
/// day-parts, mixed standard and exempt VAT, an exempt-only invoice, a one-line credit note,
/// and text with XML and CSV metacharacters. For tests and previews; the identifiers are
/// made up.
#[doc(hidden)]
pub fn sample_documents() -> Vec<(&'static str, InvoiceDocument)> {
    samples::all()
}

/// The sample document called `name`, for the renditions' unit tests.
#[cfg(test)]
pub(crate) fn sample(name: &str) -> InvoiceDocument {
    sample_documents()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| d)
        .unwrap_or_else(|| panic!("no sample document {name}"))
}

mod samples {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn money(cents: i64) -> Decimal {
        Decimal::new(cents, 2)
    }

    const EXEMPT_REASON: &str = "Vrijgesteld van btw (art. 11 Wet OB 1968)";

    fn seller() -> Party {
        Party {
            name: "WSD".into(),
            street: "Voorbeeldweg 12".into(),
            postcode: "5281 RZ".into(),
            city: "Boxtel".into(),
            country: "NL".into(),
            kvk: Some("17123456".into()),
            oin: None,
            vat_id: Some("NL001234567B01".into()),
            email: Some("debiteuren@wsd.example".into()),
            peppol: Some(("0106".into(), "17123456".into())),
        }
    }

    fn boxtel() -> Party {
        Party {
            name: "Gemeente Boxtel".into(),
            street: "Markt 1".into(),
            postcode: "5281 AS".into(),
            city: "Boxtel".into(),
            country: "NL".into(),
            kvk: Some("17270010".into()),
            oin: Some("00000001001234567000".into()),
            vat_id: Some("NL001234568B01".into()),
            email: Some("facturen@boxtel.example".into()),
            peppol: None,
        }
    }

    fn haaren() -> Party {
        Party {
            name: "Gemeente Sint-Michielsgestel & Haaren \"Samen\" <test>".into(),
            street: "Theresialaan 1".into(),
            postcode: "5271 BA".into(),
            city: "Sint-Michielsgestel".into(),
            country: "NL".into(),
            kvk: Some("16037685".into()),
            oin: None,
            vat_id: None,
            email: None,
            peppol: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        id: usize,
        code: &str,
        name: &str,
        description: &str,
        trajectory: &str,
        client: &str,
        dates: (NaiveDate, NaiveDate),
        quantity: Decimal,
        unit: &str,
        unit_price: Decimal,
        exempt: bool,
    ) -> DocumentLine {
        let net = (quantity * unit_price)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        DocumentLine {
            id: id.to_string(),
            product_code: code.into(),
            product_name: name.into(),
            description: description.into(),
            trajectory_number: trajectory.into(),
            client_masked: client.into(),
            buyer_reference: Some(format!("KM-2026-{:04}", 40 + id)),
            service_start: dates.0,
            service_end: dates.1,
            quantity,
            unit: unit.into(),
            unit_price,
            net,
            vat_category: if exempt { "exempt" } else { "standard" }.into(),
            vat_rate: if exempt {
                Decimal::ZERO
            } else {
                Decimal::from(21)
            },
            kind: LineKind::Delivery,
        }
    }

    /// Fills in the VAT breakdown and totals the way the invoicing service does: per category
    /// on the sum of its lines, rounded half-up.
    pub(super) fn finish(mut doc: InvoiceDocument) -> InvoiceDocument {
        let mut vat: Vec<VatLine> = Vec::new();
        for l in &doc.lines {
            match vat
                .iter_mut()
                .find(|v| v.category == l.vat_category && v.rate == l.vat_rate)
            {
                Some(v) => v.taxable += l.net,
                None => vat.push(VatLine {
                    category: l.vat_category.clone(),
                    rate: l.vat_rate,
                    taxable: l.net,
                    tax: Decimal::ZERO,
                    exemption_reason: (l.vat_category == "exempt").then(|| EXEMPT_REASON.into()),
                }),
            }
        }
        for v in &mut vat {
            v.tax = (v.taxable * v.rate / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        }
        doc.net = doc.lines.iter().map(|l| l.net).sum();
        doc.vat_total = vat.iter().map(|v| v.tax).sum();
        doc.total = doc.net + doc.vat_total;
        doc.vat = vat;
        doc
    }

    fn base(number: &str, buyer: Party, buyer_code: &str) -> InvoiceDocument {
        InvoiceDocument {
            kind: DocumentKind::Invoice,
            number: number.into(),
            issue_date: d(2026, 12, 31),
            due_date: d(2027, 1, 30),
            period: "2026-12".into(),
            buyer_reference: "PLUS-2026".into(),
            seller: seller(),
            seller_iban: "NL91ABNA0417164300".into(),
            seller_bic: Some("ABNANL2A".into()),
            buyer_code: buyer_code.into(),
            buyer,
            lines: Vec::new(),
            vat: Vec::new(),
            net: Decimal::ZERO,
            vat_total: Decimal::ZERO,
            total: Decimal::ZERO,
            cites: None,
            credit_reason: None,
            note: None,
        }
    }

    /// Mixed standard and exempt VAT, four clients, milestones, hours, day-parts, pro rata.
    fn mixed() -> InvoiceDocument {
        let dec = (d(2026, 12, 1), d(2026, 12, 31));
        let mut doc = base("2026-000042", boxtel(), "GM0757");
        doc.note = Some("Vragen over deze factuur? Mail debiteuren@wsd.example.".into());
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        doc.lines = vec![
            line(
                next(),
                "REI-WERKFIT",
                "Werkfit-traject",
                "Mijlpaal start",
                "T2026-000123",
                "J. d. V.",
                (d(2026, 12, 1), d(2026, 12, 1)),
                Decimal::ONE,
                "traject",
                money(172500),
                true,
            ),
            line(
                next(),
                "JOBCOACH-UUR",
                "Jobcoaching op de werkplek",
                "Uren december",
                "T2026-000123",
                "J. d. V.",
                dec,
                Decimal::new(125, 1),
                "uur",
                money(9450),
                false,
            ),
            line(
                next(),
                "BEGELEID-MAAND",
                "Begeleid werken",
                "December 2026 (15/31 dagen)",
                "T2026-000124",
                "A. Ö. Yılmaz-Ëlst",
                (d(2026, 12, 17), d(2026, 12, 31)),
                (Decimal::from(15) / Decimal::from(31)).round_dp(6),
                "maand",
                money(118000),
                true,
            ),
            line(
                next(),
                "DAGBESTEDING",
                "Arbeidsmatige dagbesteding",
                "Dagdelen december",
                "T2026-000124",
                "A. Ö. Yılmaz-Ëlst",
                dec,
                Decimal::from(14),
                "dagdeel",
                money(6275),
                true,
            ),
            line(
                next(),
                "REI-NAARWERK",
                "Naar werk; \"plaatsing\" & <begeleiding>",
                "Mijlpaal plaatsing; 30% van \"traject\"",
                "T2026-000125",
                "M. v. d. B.",
                (d(2026, 12, 14), d(2026, 12, 14)),
                Decimal::ONE,
                "traject",
                money(119700),
                true,
            ),
            line(
                next(),
                "WERKGEVER-SCAN",
                "Werkplekscan bij werkgever",
                "Scan en rapport",
                "T2026-000126",
                "P. é. K.",
                (d(2026, 12, 8), d(2026, 12, 8)),
                Decimal::from(2),
                "stuk",
                money(39500),
                false,
            ),
        ];
        finish(doc)
    }

    /// Exempt only: zero VAT.
    fn exempt_only() -> InvoiceDocument {
        let mut doc = base("2026-000043", haaren(), "GM1844");
        doc.buyer_reference = "INKOOP-2026-17".into();
        doc.lines = vec![
            line(
                1,
                "REI-WERKFIT",
                "Werkfit-traject",
                "Mijlpaal afronding",
                "T2026-000087",
                "S. B.",
                (d(2026, 12, 22), d(2026, 12, 22)),
                Decimal::ONE,
                "traject",
                money(172500),
                true,
            ),
            line(
                2,
                "BEGELEID-MAAND",
                "Begeleid werken",
                "December 2026",
                "T2026-000091",
                "R. d. G.",
                (d(2026, 12, 1), d(2026, 12, 31)),
                Decimal::ONE,
                "maand",
                money(118000),
                true,
            ),
        ];
        finish(doc)
    }

    /// A credit note of one line of the mixed invoice.
    fn credit_note() -> InvoiceDocument {
        let mut doc = base("2027-000001", boxtel(), "GM0757");
        doc.kind = DocumentKind::CreditNote;
        doc.issue_date = d(2027, 1, 8);
        doc.due_date = d(2027, 2, 7);
        doc.cites = Some(("2026-000042".into(), d(2026, 12, 31)));
        doc.credit_reason = Some("dubbel geregistreerd".into());
        doc.lines = vec![line(
            1,
            "JOBCOACH-UUR",
            "Jobcoaching op de werkplek",
            "Uren december",
            "T2026-000123",
            "J. d. V.",
            (d(2026, 12, 1), d(2026, 12, 31)),
            Decimal::new(125, 1),
            "uur",
            money(9450),
            false,
        )];
        finish(doc)
    }

    /// Many lines, to break pages.
    fn long() -> InvoiceDocument {
        let mut doc = base("2026-000044", boxtel(), "GM0757");
        let clients = ["J. d. V.", "K. P.", "L. v. E.", "F. Ç."];
        let mut lines = Vec::new();
        for i in 0..48 {
            let t = i / 4;
            let client = clients[t % clients.len()];
            let traj = format!("T2026-{:06}", 200 + t);
            let l = match i % 4 {
                0 => line(
                    i + 1,
                    "REI-WERKFIT",
                    "Werkfit-traject",
                    "Mijlpaal start",
                    &traj,
                    client,
                    (d(2026, 12, 2), d(2026, 12, 2)),
                    Decimal::ONE,
                    "traject",
                    money(172500),
                    true,
                ),
                1 => line(
                    i + 1,
                    "JOBCOACH-UUR",
                    "Jobcoaching op de werkplek",
                    "Uren december",
                    &traj,
                    client,
                    (d(2026, 12, 1), d(2026, 12, 31)),
                    Decimal::new(10 + i as i64, 0) / Decimal::from(2),
                    "uur",
                    money(9450),
                    false,
                ),
                2 => line(
                    i + 1,
                    "DAGBESTEDING",
                    "Arbeidsmatige dagbesteding met een heel lange productnaam die over \
                     meerdere regels moet worden afgebroken",
                    "Dagdelen december",
                    &traj,
                    client,
                    (d(2026, 12, 1), d(2026, 12, 31)),
                    Decimal::from(8),
                    "dagdeel",
                    money(6275),
                    true,
                ),
                _ => line(
                    i + 1,
                    "BEGELEID-MAAND",
                    "Begeleid werken",
                    "December 2026 (10/31 dagen)",
                    &traj,
                    client,
                    (d(2026, 12, 22), d(2026, 12, 31)),
                    (Decimal::from(10) / Decimal::from(31)).round_dp(6),
                    "maand",
                    money(118000),
                    true,
                ),
            };
            lines.push(l);
        }
        doc.lines = lines;
        finish(doc)
    }

    /// An invoice of a second provider (Werkpad, made-up identifiers): its own identity as
    /// seller (KvK, VAT number, Peppol endpoint, IBAN without a BIC) and its own number
    /// series.
    fn other_provider() -> InvoiceDocument {
        let mut doc = base("WERKPAD-2026-000001", boxtel(), "GM0757");
        doc.seller = Party {
            name: "Werkpad Brabant B.V.".into(),
            street: "Stationsplein 4".into(),
            postcode: "5211 AP".into(),
            city: "'s-Hertogenbosch".into(),
            country: "NL".into(),
            kvk: Some("87654321".into()),
            oin: None,
            vat_id: Some("NL864321987B01".into()),
            email: Some("facturen@werkpad.example".into()),
            peppol: Some(("0106".into(), "87654321".into())),
        };
        doc.seller_iban = "NL44RABO0123456789".into();
        doc.seller_bic = None;
        doc.lines = vec![
            line(
                1,
                "WP-JOBCOACH",
                "Jobcoaching Werkpad",
                "Uren december",
                "T2026-000301",
                "M. J.",
                (d(2026, 12, 1), d(2026, 12, 31)),
                Decimal::new(75, 1),
                "uur",
                money(8200),
                false,
            ),
            line(
                2,
                "WP-DIAGNOSE",
                "Diagnose arbeidsvermogen",
                "Mijlpaal afronding",
                "T2026-000302",
                "A. K.",
                (d(2026, 12, 18), d(2026, 12, 18)),
                Decimal::ONE,
                "traject",
                money(145000),
                true,
            ),
        ];
        finish(doc)
    }

    pub(super) fn all() -> Vec<(&'static str, InvoiceDocument)> {
        vec![
            ("invoice-mixed", mixed()),
            ("invoice-exempt-only", exempt_only()),
            ("creditnote-one-line", credit_note()),
            ("invoice-long", long()),
            ("invoice-other-provider", other_provider()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mixed() -> InvoiceDocument {
        sample_documents().remove(0).1
    }

    #[test]
    fn samples_pass_the_check() {
        for (name, doc) in sample_documents() {
            doc.check().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn totals_off_by_a_cent_are_refused() {
        let mut doc = mixed();
        doc.total += Decimal::new(1, 2);
        assert!(matches!(
            doc.check(),
            Err(ExportError::InvalidDocument { ref field, .. }) if field == "total"
        ));
        let mut doc = mixed();
        doc.lines[0].net += Decimal::new(1, 2);
        assert!(doc.check().is_err());
        let mut doc = mixed();
        doc.vat[1].tax += Decimal::new(5, 2);
        assert!(doc.check().is_err());
    }

    #[test]
    fn credit_note_must_cite() {
        let mut doc = sample_documents().remove(2).1;
        doc.cites = None;
        assert!(doc.check().is_err());
    }

    #[test]
    fn a_bsn_in_the_client_field_is_refused() {
        let mut doc = mixed();
        doc.lines[0].client_masked = "J. de Vries (999990019)".into();
        assert!(doc.check().is_err());
        // A number that fails the elfproef, or is part of a longer code, is fine.
        doc.lines[0].client_masked = "J. d. V. 123456789".into();
        assert!(doc.check().is_ok());
        doc.lines[0].client_masked = "NL999990019B01".into();
        assert!(doc.check().is_ok());
    }

    #[test]
    fn pro_rata_quantity_must_be_precise_enough() {
        let mut doc = mixed();
        doc.lines[2].quantity = Decimal::new(484, 3);
        assert!(doc.check().is_err());
    }

    #[test]
    fn unknown_units_and_categories_are_refused() {
        let mut doc = mixed();
        doc.lines[0].unit = "kilo".into();
        assert!(doc.check().is_err());
        let mut doc = mixed();
        doc.lines[0].vat_category = "zero".into();
        assert!(doc.check().is_err());
    }

    #[test]
    fn periods() {
        assert_eq!(
            period_bounds("2026-02"),
            Some((
                NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
            ))
        );
        assert_eq!(period_bounds("2026-13"), None);
        assert_eq!(period_bounds("x"), None);
        assert_eq!(period_nl("2026-12"), "december 2026");
        assert_eq!(period_nl("Q4"), "Q4");
    }
}
