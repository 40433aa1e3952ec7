//! The life of an invoice: draft → final (numbered) → sent → paid. A draft can be
//! discarded; a final invoice never changes, it is corrected by a credit note.

use std::fmt;

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// `invoices.status`, stored as these strings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "final")]
    Final,
    #[sea_orm(string_value = "sent")]
    Sent,
    #[sea_orm(string_value = "paid")]
    Paid,
}

/// `invoices.kind`: an invoice or a credit note correcting one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    #[sea_orm(string_value = "invoice")]
    Invoice,
    #[sea_orm(string_value = "credit_note")]
    CreditNote,
}

impl InvoiceKind {
    pub const ALL: [InvoiceKind; 2] = [InvoiceKind::Invoice, InvoiceKind::CreditNote];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "invoice",
            InvoiceKind::CreditNote => "credit_note",
        }
    }

    pub fn parse(text: &str) -> Result<InvoiceKind, String> {
        InvoiceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| format!("onbekende factuursoort {text:?} (invoice of credit_note)"))
    }

    /// "Factuur" or "Creditnota", as headings and lists show it.
    pub fn label_nl(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "Factuur",
            InvoiceKind::CreditNote => "Creditnota",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceMove {
    Finalise,
    Send,
    Pay,
    Discard,
}

/// A move an invoice in this status cannot make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalInvoiceMove {
    pub from: InvoiceStatus,
    pub movement: InvoiceMove,
}

impl fmt::Display for IllegalInvoiceMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "een {} factuur kan niet {}",
            self.from.label_nl(),
            match self.movement {
                InvoiceMove::Finalise => "definitief worden",
                InvoiceMove::Send => "verzonden worden",
                InvoiceMove::Pay => "als betaald gemarkeerd worden",
                InvoiceMove::Discard => "weggegooid worden",
            }
        )
    }
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 4] = [
        InvoiceStatus::Draft,
        InvoiceStatus::Final,
        InvoiceStatus::Sent,
        InvoiceStatus::Paid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Final => "final",
            InvoiceStatus::Sent => "sent",
            InvoiceStatus::Paid => "paid",
        }
    }

    pub fn parse(text: &str) -> Result<InvoiceStatus, String> {
        match text {
            "draft" => Ok(InvoiceStatus::Draft),
            "final" => Ok(InvoiceStatus::Final),
            "sent" => Ok(InvoiceStatus::Sent),
            "paid" => Ok(InvoiceStatus::Paid),
            other => Err(format!(
                "onbekende factuurstatus {other:?} (draft, final, sent of paid)"
            )),
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "concept",
            InvoiceStatus::Final => "definitief",
            InvoiceStatus::Sent => "verzonden",
            InvoiceStatus::Paid => "betaald",
        }
    }

    /// Whether the invoice has its number and may no longer change.
    pub fn is_final(self) -> bool {
        !matches!(self, InvoiceStatus::Draft)
    }

    /// The status after a move; `None` for a discarded draft.
    pub fn apply(self, movement: InvoiceMove) -> Result<Option<InvoiceStatus>, IllegalInvoiceMove> {
        use InvoiceMove::*;
        use InvoiceStatus::*;
        match (self, movement) {
            (Draft, Finalise) => Ok(Some(Final)),
            (Draft, Discard) => Ok(None),
            (Final, Send) => Ok(Some(Sent)),
            (Final | Sent, Pay) => Ok(Some(Paid)),
            (from, movement) => Err(IllegalInvoiceMove { from, movement }),
        }
    }
}

/// The name of the gapless counter a provider's invoice numbers of a year come from.
pub fn invoice_counter(provider: &str, year: i32) -> String {
    format!("invoice-{provider}-{year}")
}

/// An invoice number, numbered per provider per year. WSD's keep the format they always
/// had, `YYYY-NNNNNN` (numbers already issued never change); any other provider's carry
/// its code, `{CODE}-YYYY-NNNNNN`, since invoice numbers are unique across plusmarkt.
pub fn invoice_number(provider: &str, year: i32, sequence: i64) -> String {
    if provider == crate::domain::provider::WSD {
        format!("{year}-{sequence:06}")
    } else {
        format!("{provider}-{year}-{sequence:06}")
    }
}

/// The provider, year and sequence of an invoice number made by `invoice_number`; `None`
/// for anything else.
pub fn parse_invoice_number(number: &str) -> Option<(String, i32, i64)> {
    let mut parts = number.rsplitn(3, '-');
    let sequence = parts.next()?;
    let year = parts.next()?;
    let provider = parts.next().unwrap_or(crate::domain::provider::WSD);
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || sequence.len() < 6 || !sequence.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // A number of another provider names it; WSD's never do.
    if provider == crate::domain::provider::WSD && number.starts_with("WSD-") {
        return None;
    }
    if crate::domain::provider::parse_code(provider).ok()? != provider {
        return None;
    }
    Some((
        provider.to_string(),
        year.parse().ok()?,
        sequence.parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoices_move_forward_only() {
        use InvoiceMove::*;
        use InvoiceStatus::*;
        assert_eq!(Draft.apply(Finalise), Ok(Some(Final)));
        assert_eq!(Draft.apply(Discard), Ok(None));
        assert_eq!(Final.apply(Send), Ok(Some(Sent)));
        assert_eq!(Sent.apply(Pay), Ok(Some(Paid)));
        assert_eq!(Final.apply(Pay), Ok(Some(Paid)));
        for (from, m) in [
            (Final, Finalise),
            (Final, Discard),
            (Paid, Send),
            (Draft, Send),
            (Draft, Pay),
            (Sent, Discard),
        ] {
            assert!(from.apply(m).is_err(), "{from:?} {m:?}");
        }
        assert_eq!(invoice_number("WSD", 2026, 42), "2026-000042");
        assert_eq!(
            Paid.apply(Send).unwrap_err().to_string(),
            "een betaald factuur kan niet verzonden worden"
        );
    }

    #[test]
    fn numbers_run_per_provider_and_wsd_keeps_its_format() {
        assert_eq!(invoice_number("WSD", 2026, 1), "2026-000001");
        assert_eq!(invoice_number("WERKPAD", 2026, 1), "WERKPAD-2026-000001");
        assert_eq!(
            invoice_number("WERKPAD", 2027, 1_234_567),
            "WERKPAD-2027-1234567"
        );
        assert_eq!(invoice_counter("WSD", 2026), "invoice-WSD-2026");
        assert_eq!(invoice_counter("WERKPAD", 2026), "invoice-WERKPAD-2026");
        for (provider, year, sequence) in [
            ("WSD", 2026, 1),
            ("WERKPAD", 2026, 42),
            ("A1", 1999, 999_999),
        ] {
            assert_eq!(
                parse_invoice_number(&invoice_number(provider, year, sequence)),
                Some((provider.to_string(), year, sequence))
            );
        }
        for bad in [
            "",
            "2026",
            "2026-12",
            "WSD-2026-000001",
            "werkpad-2026-000001",
            "X-Y-2026-000001",
            "2026-00001a",
            "26-000001",
        ] {
            assert_eq!(parse_invoice_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn stored_strings_round_trip() {
        use sea_orm::{ActiveEnum, Iterable};
        for status in InvoiceStatus::iter() {
            assert!(InvoiceStatus::ALL.contains(&status));
            assert_eq!(InvoiceStatus::parse(status.as_str()), Ok(status));
            assert_eq!(status.to_value(), status.as_str());
            assert_eq!(
                InvoiceStatus::try_from_value(&status.as_str().into()).ok(),
                Some(status)
            );
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert!(!status.label_nl().is_empty());
        }
        assert_eq!(InvoiceStatus::iter().count(), InvoiceStatus::ALL.len());
        for kind in InvoiceKind::iter() {
            assert!(InvoiceKind::ALL.contains(&kind));
            assert_eq!(InvoiceKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(kind.to_value(), kind.as_str());
            assert_eq!(
                InvoiceKind::try_from_value(&kind.as_str().into()).ok(),
                Some(kind)
            );
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert!(!kind.label_nl().is_empty());
        }
        assert_eq!(InvoiceKind::iter().count(), InvoiceKind::ALL.len());
        assert!(InvoiceStatus::parse("open").is_err());
        assert!(InvoiceKind::parse("Invoice").is_err());
        assert!(InvoiceStatus::try_from_value(&"open".to_string()).is_err());
    }
}
