//! VAT: categories and the per-invoice breakdown.
//!
//! As EN 16931 requires, VAT is computed once per invoice per category on the sum of the line
//! net amounts (not per line and then added up), so the invoice total matches what an e-invoice
//! validator recomputes.

use std::fmt;

use rust_decimal::Decimal;
use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

use crate::domain::money::{echo, round_half_up, Money};

/// VAT category of a product. Re-integration services are usually exempt; others standard.
/// `products.vat_category`, `invoice_lines.vat_category`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    EnumIter,
    DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "lowercase")]
pub enum VatCategory {
    #[sea_orm(string_value = "standard")]
    Standard,
    #[sea_orm(string_value = "exempt")]
    Exempt,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatError {
    #[error("onbekende btw-categorie: {0} (kies standard of exempt)")]
    UnknownCategory(String),
}

impl VatCategory {
    /// All categories, in invoice order.
    pub const ALL: [VatCategory; 2] = [VatCategory::Standard, VatCategory::Exempt];

    /// The rate in percent: 21 or 0.
    pub fn rate(&self) -> Decimal {
        match self {
            VatCategory::Standard => Decimal::from(21),
            VatCategory::Exempt => Decimal::ZERO,
        }
    }

    /// UNCL5305 code for UBL: "S" or "E".
    pub fn code(&self) -> &'static str {
        match self {
            VatCategory::Standard => "S",
            VatCategory::Exempt => "E",
        }
    }

    /// In Dutch: "standaard" or "vrijgesteld".
    pub fn label_nl(&self) -> &'static str {
        match self {
            VatCategory::Standard => "standaard",
            VatCategory::Exempt => "vrijgesteld",
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            VatCategory::Standard => "standard",
            VatCategory::Exempt => "exempt",
        }
    }

    /// Parses "standard" or "exempt" (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<VatCategory, VatError> {
        match input.trim() {
            "standard" => Ok(VatCategory::Standard),
            "exempt" => Ok(VatCategory::Exempt),
            other => Err(VatError::UnknownCategory(echo(other))),
        }
    }

    /// From a UNCL5305 code ("S" / "E").
    pub fn from_code(code: &str) -> Result<VatCategory, VatError> {
        match code.trim() {
            "S" => Ok(VatCategory::Standard),
            "E" => Ok(VatCategory::Exempt),
            other => Err(VatError::UnknownCategory(echo(other))),
        }
    }
}

impl fmt::Display for VatCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for VatCategory {
    type Err = VatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VatCategory::parse(s)
    }
}

/// One category's share of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatSubtotal {
    pub category: VatCategory,
    /// Rate in percent.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Sum of the net line amounts in this category.
    pub taxable: Money,
    /// round_half_up(taxable × rate / 100).
    pub tax: Money,
}

/// Invoice totals; `total == net + vat` exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub net: Money,
    pub vat: Money,
    pub total: Money,
}

/// VAT per category over the invoice lines `(category, net amount)`: Standard first, then
/// Exempt, only categories that occur. Works for credit notes too (negative amounts round
/// symmetrically).
pub fn vat_breakdown(lines: &[(VatCategory, Money)]) -> Vec<VatSubtotal> {
    VatCategory::ALL
        .iter()
        .filter(|category| lines.iter().any(|(c, _)| c == *category))
        .map(|&category| {
            let taxable: Money = lines
                .iter()
                .filter(|(c, _)| *c == category)
                .map(|(_, amount)| *amount)
                .sum();
            let rate = category.rate();
            let tax = round_half_up(taxable.times_share(rate));
            VatSubtotal {
                category,
                rate,
                taxable,
                tax,
            }
        })
        .collect()
}

/// The breakdown and the invoice totals.
pub fn totals(lines: &[(VatCategory, Money)]) -> (Vec<VatSubtotal>, Totals) {
    let breakdown = vat_breakdown(lines);
    let net: Money = breakdown.iter().map(|s| s.taxable).sum();
    let vat: Money = breakdown.iter().map(|s| s.tax).sum();
    let totals = Totals {
        net,
        vat,
        total: net + vat,
    };
    (breakdown, totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn categories_round_trip_their_stored_strings() {
        use sea_orm::{ActiveEnum, Iterable};
        for c in VatCategory::iter() {
            assert!(VatCategory::ALL.contains(&c));
            assert_eq!(VatCategory::parse(c.as_str()), Ok(c));
            assert_eq!(c.to_value(), c.as_str());
            assert_eq!(
                VatCategory::try_from_value(&c.as_str().into()).ok(),
                Some(c)
            );
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert!(!c.label_nl().is_empty());
        }
        assert_eq!(VatCategory::iter().count(), VatCategory::ALL.len());
    }

    #[test]
    fn category_codes() {
        assert_eq!(VatCategory::Standard.rate(), Decimal::from(21));
        assert_eq!(VatCategory::Exempt.rate(), Decimal::ZERO);
        assert_eq!(VatCategory::Standard.code(), "S");
        assert_eq!(VatCategory::Exempt.code(), "E");
        assert_eq!(VatCategory::parse("exempt"), Ok(VatCategory::Exempt));
        assert_eq!(VatCategory::parse(" standard "), Ok(VatCategory::Standard));
        assert!(VatCategory::parse("Standard").is_err());
        assert_eq!(VatCategory::from_code("E"), Ok(VatCategory::Exempt));
        assert_eq!(
            serde_json::to_string(&VatCategory::Exempt).unwrap(),
            "\"exempt\""
        );
        assert_eq!(VatCategory::Standard.to_string(), "standard");
    }

    #[test]
    fn vat_is_per_category_not_per_line() {
        // Per line: 0.07 × 21% = 0.0147 → 0.01, three lines → 0.03.
        // Per category: 0.21 × 21% = 0.0441 → 0.04.
        let lines = [
            (VatCategory::Standard, m("0.07")),
            (VatCategory::Standard, m("0.07")),
            (VatCategory::Standard, m("0.07")),
        ];
        let breakdown = vat_breakdown(&lines);
        assert_eq!(breakdown.len(), 1);
        assert_eq!(breakdown[0].taxable, m("0.21"));
        assert_eq!(breakdown[0].tax, m("0.04"));
    }

    #[test]
    fn mixed_invoice() {
        let lines = [
            (VatCategory::Exempt, m("2450.00")),
            (VatCategory::Standard, m("1093.75")),
            (VatCategory::Exempt, m("1200.00")),
            (VatCategory::Standard, m("100.00")),
        ];
        let (breakdown, t) = totals(&lines);
        assert_eq!(breakdown.len(), 2);
        assert_eq!(breakdown[0].category, VatCategory::Standard);
        assert_eq!(breakdown[0].taxable, m("1193.75"));
        // 1193.75 × 0.21 = 250.6875 → 250.69
        assert_eq!(breakdown[0].tax, m("250.69"));
        assert_eq!(breakdown[1].category, VatCategory::Exempt);
        assert_eq!(breakdown[1].taxable, m("3650.00"));
        assert_eq!(breakdown[1].tax, Money::ZERO);
        assert_eq!(t.net, m("4843.75"));
        assert_eq!(t.vat, m("250.69"));
        assert_eq!(t.total, m("5094.44"));
    }

    #[test]
    fn only_present_categories_and_credit_notes() {
        let (breakdown, t) = totals(&[]);
        assert!(breakdown.is_empty());
        assert_eq!(
            t,
            Totals {
                net: Money::ZERO,
                vat: Money::ZERO,
                total: Money::ZERO
            }
        );
        let credit = totals(&[(VatCategory::Standard, m("-1193.75"))]).1;
        assert_eq!(credit.vat, m("-250.69"));
        assert_eq!(credit.total, m("-1444.44"));
        let exempt_only = vat_breakdown(&[(VatCategory::Exempt, m("5"))]);
        assert_eq!(exempt_only.len(), 1);
        assert_eq!(exempt_only[0].category, VatCategory::Exempt);
    }

    proptest! {
        #[test]
        fn total_is_net_plus_vat(lines in proptest::collection::vec((any::<bool>(), -10_000_000i64..10_000_000), 0..20)) {
            let lines: Vec<(VatCategory, Money)> = lines
                .into_iter()
                .map(|(std, cents)| (if std { VatCategory::Standard } else { VatCategory::Exempt }, Money::from_cents(cents)))
                .collect();
            let (breakdown, t) = totals(&lines);
            prop_assert_eq!(t.total, t.net + t.vat);
            prop_assert_eq!(t.net, lines.iter().map(|(_, a)| *a).sum::<Money>());
            // Credit note of the same lines is the exact negative.
            let negated: Vec<_> = lines.iter().map(|(c, a)| (*c, -*a)).collect();
            let (_, tn) = totals(&negated);
            prop_assert_eq!(tn.total, -t.total);
            prop_assert!(breakdown.len() <= 2);
        }
    }
}
