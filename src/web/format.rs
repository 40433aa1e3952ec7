//! Dutch formatting for pages: `€ 1.234,56`, `23-11-2026`, `november 2026`.

use chrono::NaiveDate;

use crate::domain::money::Money;
use crate::domain::period::Period;

pub fn euro(amount: Money) -> String {
    amount.format_nl()
}

/// A month as every page shows it, for every role: "november 2026".
pub fn month(period: Period) -> String {
    format!("{} {}", period.month_name_nl(), period.year())
}

/// A stored month ("2026-11") as [`month`] shows it; text that is no month stays as it is.
pub fn month_text(text: &str) -> String {
    Period::parse(text.trim())
        .map(month)
        .unwrap_or_else(|_| text.to_string())
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
