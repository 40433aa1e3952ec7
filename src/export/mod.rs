//! Renditions of a finished invoice or credit note: UBL (Peppol BIS Billing 3.0 with the Dutch
//! NL rules), PDF (a readable Dutch A4 invoice) and CSV (one row per line, for bookkeeping).
//!
//! Every rendition is a pure function of an [`InvoiceDocument`]: no I/O, no clock, no
//! database. The same document always gives the same bytes. Each renderer first runs
//! [`InvoiceDocument::check`] and refuses a document whose numbers do not add up.

pub mod csv;
pub mod document;
pub mod pdf;
pub mod reports;
pub mod ubl;

pub use document::{sample_documents, DocumentKind, DocumentLine, InvoiceDocument, Party, VatLine};

use rust_decimal::prelude::*;

use crate::domain::money::{round_half_up, Money};

/// Why a rendition could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The document breaks a rule that every rendition relies on (totals, identifiers, …).
    #[error("invalid document: {field}: {message}")]
    InvalidDocument { field: String, message: String },
    #[error("writing the UBL XML failed: {0}")]
    Xml(String),
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
    #[error("writing the CSV failed: {0}")]
    Csv(String),
}

/// UN/ECE Recommendation 20 unit code for a catalogue unit, as the EN 16931 code list
/// (BR-CL-23) allows it. A day-part has no code of its own (there is no "half day" in Rec 20),
/// so it goes as C62 ("one") and the item says "dagdeel (4 uur)".
pub(crate) fn unit_code(unit: &str) -> Option<&'static str> {
    match unit {
        "uur" => Some("HUR"),
        "dagdeel" => Some("C62"),
        "stuk" => Some("H87"),
        "traject" => Some("C62"),
        "maand" => Some("MON"),
        _ => None,
    }
}

/// Dutch unit label that agrees with the quantity: `1 traject`, `2 trajecten`, `12,5 uur`.
pub(crate) fn unit_label_nl(unit: &str, quantity: Decimal) -> String {
    // Singular for one and for a part of one ("0,48 maand"), plural otherwise.
    let one = !quantity.is_zero() && quantity.abs() <= Decimal::ONE;
    let label = match (unit, one) {
        ("uur", _) => "uur",
        ("dagdeel", true) => "dagdeel",
        ("dagdeel", false) => "dagdelen",
        ("stuk", true) => "stuk",
        ("stuk", false) => "stuks",
        ("traject", true) => "traject",
        ("traject", false) => "trajecten",
        ("maand", true) => "maand",
        ("maand", false) => "maanden",
        (other, _) => other,
    };
    label.to_string()
}

/// `Decimal` without trailing zeros and without a negative zero.
pub(crate) fn normalized(d: Decimal) -> Decimal {
    if d.is_zero() {
        Decimal::ZERO
    } else {
        d.normalize()
    }
}

/// An amount as the domain's [`Money`]: rounded to cents half away from zero, the one rounding
/// rule of [`round_half_up`] (a checked document holds whole cents already), never `-0.00`.
fn money(d: Decimal) -> Money {
    round_half_up(d)
}

/// Amount for UBL: `1234.50`, `-0.01`.
pub(crate) fn ubl_amount(d: Decimal) -> String {
    money(d).to_string()
}

/// Groups the integer digits of a plain decimal string in threes with `.` and uses a decimal
/// comma: `-1234567.5` → `-1.234.567,5`. For quantities, which keep all their places (a pro-rata
/// month has six), so not `Quantity::format_nl`, which has three.
fn dutch_digits(plain: &str, group: bool) -> String {
    let (sign, rest) = match plain.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", plain),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut out = String::with_capacity(plain.len() + plain.len() / 3 + 1);
    out.push_str(sign);
    let len = int.len();
    for (i, ch) in int.chars().enumerate() {
        if group && i > 0 && (len - i) % 3 == 0 {
            out.push('.');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push(',');
        out.push_str(f);
    }
    out
}

/// `1234.5` → `€ 1.234,50`; `-3` → `€ -3,00`. The digits are [`Money::format_nl_plain`]; the sign
/// stays after the `€` as the renditions have always shown it (`Money::format_nl` puts it
/// before: `-€ 3,00`).
pub(crate) fn nl_money(d: Decimal) -> String {
    format!("€ {}", money(d).format_nl_plain())
}

/// `12.50` → `12,5`; `1000` → `1.000`.
pub(crate) fn nl_quantity(d: Decimal) -> String {
    dutch_digits(&normalized(d).to_string(), true)
}

/// Amount for the CSV: two places, decimal comma, no grouping: `-1234,50`.
pub(crate) fn csv_amount(d: Decimal) -> String {
    money(d).format_csv()
}

/// Quantity for the CSV: decimal comma, no grouping, no trailing zeros: `12,5`.
pub(crate) fn csv_quantity(d: Decimal) -> String {
    dutch_digits(&normalized(d).to_string(), false)
}

/// VAT rate without trailing zeros: `21`, `0`, `9`.
pub(crate) fn rate_text(d: Decimal) -> String {
    normalized(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::period::format_date_nl;
    use chrono::NaiveDate;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn dutch_formats() {
        assert_eq!(nl_money(dec("1234.56")), "€ 1.234,56");
        assert_eq!(nl_money(dec("0")), "€ 0,00");
        assert_eq!(nl_money(dec("-0.00")), "€ 0,00");
        assert_eq!(nl_money(dec("-1234567.5")), "€ -1.234.567,50");
        assert_eq!(nl_money(dec("999")), "€ 999,00");
        assert_eq!(nl_quantity(dec("12.50")), "12,5");
        assert_eq!(nl_quantity(dec("1000")), "1.000");
        assert_eq!(nl_quantity(dec("0.483871")), "0,483871");
        assert_eq!(csv_amount(dec("-1234.5")), "-1234,50");
        assert_eq!(csv_quantity(dec("-12.500")), "-12,5");
        assert_eq!(ubl_amount(dec("1234.5")), "1234.50");
        assert_eq!(ubl_amount(dec("-0.001")), "0.00");
        assert_eq!(rate_text(dec("21.00")), "21");
        assert_eq!(
            format_date_nl(NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()),
            "03-11-2026"
        );
    }

    #[test]
    fn units() {
        assert_eq!(unit_code("uur"), Some("HUR"));
        assert_eq!(unit_code("maand"), Some("MON"));
        assert_eq!(unit_code("liter"), None);
        assert_eq!(unit_label_nl("dagdeel", dec("14")), "dagdelen");
        assert_eq!(unit_label_nl("traject", dec("1")), "traject");
        assert_eq!(unit_label_nl("uur", dec("1")), "uur");
        assert_eq!(unit_label_nl("maand", dec("0.483871")), "maand");
        assert_eq!(unit_label_nl("maand", dec("2")), "maanden");
        assert_eq!(unit_label_nl("stuk", dec("0")), "stuks");
    }
}
