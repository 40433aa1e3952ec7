//! Dutch formatting for pages: `€ 1.234,56`, `23-11-2026`.

use chrono::NaiveDate;

use crate::domain::money::Money;

pub fn euro(amount: Money) -> String {
    amount.format_nl()
}

pub fn date(date: NaiveDate) -> String {
    crate::domain::period::format_date_nl(date)
}

/// An RFC 3339 instant as `23-11-2026 14:05` (UTC).
pub fn instant(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.format("%d-%m-%Y %H:%M").to_string())
        .unwrap_or_else(|_| text.to_string())
}
