//! What a municipality pays for a product on a date: the one rule ordering and invoicing
//! use. A contract covers a period; its lines name products with dated prices (the first
//! price from the line's start, amendments from their effective date).

use std::fmt;

use chrono::NaiveDate;
use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

use super::money::Money;
use super::period::format_date_nl;

/// `contracts.status`, stored as these strings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "ended")]
    Ended,
}

/// A move a contract cannot make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalContractTransition {
    pub from: ContractStatus,
    pub to: ContractStatus,
}

impl fmt::Display for IllegalContractTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "een contract gaat niet van {} naar {}",
            self.from.label_nl(),
            self.to.label_nl()
        )
    }
}

impl ContractStatus {
    pub const ALL: [ContractStatus; 3] = [
        ContractStatus::Draft,
        ContractStatus::Active,
        ContractStatus::Ended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::Active => "active",
            ContractStatus::Ended => "ended",
        }
    }

    pub fn parse(text: &str) -> Result<ContractStatus, String> {
        match text {
            "draft" => Ok(ContractStatus::Draft),
            "active" => Ok(ContractStatus::Active),
            "ended" => Ok(ContractStatus::Ended),
            other => Err(format!(
                "onbekende contractstatus {other:?} (draft, active of ended)"
            )),
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            ContractStatus::Draft => "concept",
            ContractStatus::Active => "actief",
            ContractStatus::Ended => "beëindigd",
        }
    }

    /// draft → active → ended; nothing else.
    pub fn transition(
        self,
        to: ContractStatus,
    ) -> Result<ContractStatus, IllegalContractTransition> {
        match (self, to) {
            (ContractStatus::Draft, ContractStatus::Active)
            | (ContractStatus::Active, ContractStatus::Ended) => Ok(to),
            (from, to) => Err(IllegalContractTransition { from, to }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractTerms {
    pub status: ContractStatus,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTerms {
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// (effective from, price), ascending.
    pub prices: Vec<(NaiveDate, Money)>,
}

impl LineTerms {
    /// The agreed price on a date within the line's dates.
    pub fn price_on(&self, date: NaiveDate) -> Option<Money> {
        if date < self.valid_from || date > self.valid_to {
            return None;
        }
        self.prices
            .iter()
            .rev()
            .find(|(from, _)| *from <= date)
            .or_else(|| self.prices.first())
            .map(|(_, price)| *price)
    }
}

/// Why a product cannot be ordered on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotOrderable {
    ProductRetired,
    NoContract {
        date: NaiveDate,
    },
    ContractNotActive {
        status: ContractStatus,
    },
    NotContracted,
    LineNotValid {
        date: NaiveDate,
        from: NaiveDate,
        to: NaiveDate,
    },
}

impl NotOrderable {
    pub fn message(&self) -> String {
        match self {
            NotOrderable::ProductRetired => {
                "dit product is vervallen en kan niet meer besteld worden".into()
            }
            NotOrderable::NoContract { date } => format!(
                "er is geen contract van uw gemeente dat {} omvat",
                format_date_nl(*date)
            ),
            NotOrderable::ContractNotActive { status } => format!(
                "het contract is nog niet actief (status: {})",
                status.label_nl()
            ),
            NotOrderable::NotContracted => {
                "dit product staat niet in het contract van uw gemeente".into()
            }
            NotOrderable::LineNotValid { date, from, to } => format!(
                "dit product is gecontracteerd van {} tot en met {}, niet op {}",
                format_date_nl(*from),
                format_date_nl(*to),
                format_date_nl(*date)
            ),
        }
    }
}

/// The agreed price of a product on a date, given the municipality's contract covering
/// that date (if any) and its line for the product (if any).
pub fn resolve_price(
    product_active: bool,
    contract: Option<&ContractTerms>,
    line: Option<&LineTerms>,
    date: NaiveDate,
) -> Result<Money, NotOrderable> {
    if !product_active {
        return Err(NotOrderable::ProductRetired);
    }
    let contract = contract.ok_or(NotOrderable::NoContract { date })?;
    if date < contract.valid_from || date > contract.valid_to {
        return Err(NotOrderable::NoContract { date });
    }
    if contract.status != ContractStatus::Active {
        return Err(NotOrderable::ContractNotActive {
            status: contract.status,
        });
    }
    let line = line.ok_or(NotOrderable::NotContracted)?;
    line.price_on(date).ok_or(NotOrderable::LineNotValid {
        date,
        from: line.valid_from,
        to: line.valid_to,
    })
}

/// Two periods overlap when each starts before the other ends (inclusive dates).
pub fn periods_overlap(a: (NaiveDate, NaiveDate), b: (NaiveDate, NaiveDate)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn contract(status: ContractStatus) -> ContractTerms {
        ContractTerms {
            status,
            valid_from: d(2026, 1, 1),
            valid_to: d(2026, 12, 31),
        }
    }

    fn line() -> LineTerms {
        LineTerms {
            valid_from: d(2026, 2, 1),
            valid_to: d(2026, 11, 30),
            prices: vec![
                (d(2026, 2, 1), Money::from_cents(100_000)),
                (d(2026, 7, 1), Money::from_cents(110_000)),
            ],
        }
    }

    #[test]
    fn price_on_the_boundaries_of_contract_line_and_amendment() {
        let c = contract(ContractStatus::Active);
        let l = line();
        let at = |date| resolve_price(true, Some(&c), Some(&l), date);
        assert!(matches!(
            at(d(2026, 1, 31)),
            Err(NotOrderable::LineNotValid { .. })
        ));
        assert_eq!(at(d(2026, 2, 1)), Ok(Money::from_cents(100_000)));
        assert_eq!(at(d(2026, 6, 30)), Ok(Money::from_cents(100_000)));
        assert_eq!(at(d(2026, 7, 1)), Ok(Money::from_cents(110_000)));
        assert_eq!(at(d(2026, 11, 30)), Ok(Money::from_cents(110_000)));
        assert!(matches!(
            at(d(2026, 12, 1)),
            Err(NotOrderable::LineNotValid { .. })
        ));
        assert!(matches!(
            at(d(2027, 1, 1)),
            Err(NotOrderable::NoContract { .. })
        ));
        assert!(matches!(
            at(d(2025, 12, 31)),
            Err(NotOrderable::NoContract { .. })
        ));
    }

    #[test]
    fn contract_period_boundaries() {
        let c = contract(ContractStatus::Active);
        let l = LineTerms {
            valid_from: c.valid_from,
            valid_to: c.valid_to,
            prices: vec![(c.valid_from, Money::from_cents(5000))],
        };
        assert!(resolve_price(true, Some(&c), Some(&l), d(2025, 12, 31)).is_err());
        assert!(resolve_price(true, Some(&c), Some(&l), d(2026, 1, 1)).is_ok());
        assert!(resolve_price(true, Some(&c), Some(&l), d(2026, 12, 31)).is_ok());
        assert!(resolve_price(true, Some(&c), Some(&l), d(2027, 1, 1)).is_err());
    }

    #[test]
    fn draft_retired_and_uncontracted_are_refused_with_a_reason() {
        let l = line();
        assert_eq!(
            resolve_price(
                true,
                Some(&contract(ContractStatus::Draft)),
                Some(&l),
                d(2026, 3, 1)
            ),
            Err(NotOrderable::ContractNotActive {
                status: ContractStatus::Draft
            })
        );
        assert_eq!(
            resolve_price(
                false,
                Some(&contract(ContractStatus::Active)),
                Some(&l),
                d(2026, 3, 1)
            ),
            Err(NotOrderable::ProductRetired)
        );
        assert_eq!(
            resolve_price(
                true,
                Some(&contract(ContractStatus::Active)),
                None,
                d(2026, 3, 1)
            ),
            Err(NotOrderable::NotContracted)
        );
        assert_eq!(
            resolve_price(true, None, None, d(2026, 3, 1)),
            Err(NotOrderable::NoContract {
                date: d(2026, 3, 1)
            })
        );
        assert!(NotOrderable::NotContracted
            .message()
            .contains("niet in het contract"));
    }

    #[test]
    fn contract_states_move_forward_only() {
        assert!(ContractStatus::Draft
            .transition(ContractStatus::Active)
            .is_ok());
        assert!(ContractStatus::Active
            .transition(ContractStatus::Ended)
            .is_ok());
        assert!(ContractStatus::Active
            .transition(ContractStatus::Draft)
            .is_err());
        assert!(ContractStatus::Ended
            .transition(ContractStatus::Active)
            .is_err());
        assert!(ContractStatus::Draft
            .transition(ContractStatus::Ended)
            .is_err());
    }

    #[test]
    fn stored_strings_round_trip() {
        use sea_orm::{ActiveEnum, Iterable};
        for status in ContractStatus::iter() {
            assert!(ContractStatus::ALL.contains(&status));
            assert_eq!(ContractStatus::parse(status.as_str()), Ok(status));
            assert_eq!(status.to_value(), status.as_str());
            assert_eq!(
                ContractStatus::try_from_value(&status.as_str().into()).ok(),
                Some(status)
            );
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert!(!status.label_nl().is_empty());
        }
        assert_eq!(ContractStatus::iter().count(), ContractStatus::ALL.len());
        assert!(ContractStatus::parse("open").is_err());
        assert_eq!(
            ContractStatus::Ended
                .transition(ContractStatus::Active)
                .unwrap_err()
                .to_string(),
            "een contract gaat niet van beëindigd naar actief"
        );
    }

    #[test]
    fn overlapping_periods() {
        assert!(periods_overlap(
            (d(2026, 1, 1), d(2026, 12, 31)),
            (d(2026, 12, 31), d(2027, 12, 31))
        ));
        assert!(!periods_overlap(
            (d(2026, 1, 1), d(2026, 12, 31)),
            (d(2027, 1, 1), d(2027, 12, 31))
        ));
    }
}
