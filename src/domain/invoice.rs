//! The life of an invoice: draft → final (numbered) → sent → paid. A draft can be
//! discarded; a final invoice never changes, it is corrected by a credit note.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Draft,
    Final,
    Sent,
    Paid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceMove {
    Finalise,
    Send,
    Pay,
    Discard,
}

impl InvoiceStatus {
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
    pub fn apply(self, movement: InvoiceMove) -> Result<Option<InvoiceStatus>, String> {
        use InvoiceMove::*;
        use InvoiceStatus::*;
        match (self, movement) {
            (Draft, Finalise) => Ok(Some(Final)),
            (Draft, Discard) => Ok(None),
            (Final, Send) => Ok(Some(Sent)),
            (Final | Sent, Pay) => Ok(Some(Paid)),
            (from, movement) => Err(format!(
                "een {} factuur kan niet {}",
                from.label_nl(),
                match movement {
                    Finalise => "definitief worden",
                    Send => "verzonden worden",
                    Pay => "als betaald gemarkeerd worden",
                    Discard => "weggegooid worden",
                }
            )),
        }
    }
}

/// An invoice number: `YYYY-NNNNNN`.
pub fn invoice_number(year: i32, sequence: i64) -> String {
    format!("{year}-{sequence:06}")
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
        assert_eq!(invoice_number(2026, 42), "2026-000042");
    }
}
