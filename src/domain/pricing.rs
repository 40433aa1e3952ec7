//! Price arithmetic: indexation, splitting a price over milestones, pro rata months.
//! All rounding goes through [`round_half_up`].

use rust_decimal::Decimal;

use crate::domain::money::{round_half_up, saturate, Money};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("geen mijlpalen opgegeven")]
    NoShares,
    #[error("aandeel van mijlpaal {position} is niet positief: {share}")]
    NonPositiveShare { position: usize, share: Decimal },
    #[error("de aandelen van de mijlpalen tellen op tot {sum}%, niet 100%")]
    SharesDoNotSumTo100 { sum: Decimal },
}

/// Indexation: `round_half_up(price × (1 + percent / 100))`. `percent` may be negative.
/// Saturates (never panics) beyond `Decimal`'s range, which real prices and percentages can't
/// reach.
pub fn index_price(price: Money, percent: Decimal) -> Money {
    let factor = saturate(
        Decimal::ONE.checked_add(percent / Decimal::ONE_HUNDRED),
        percent.is_sign_negative(),
    );
    let negative = price.is_negative() != factor.is_sign_negative();
    round_half_up(saturate(price.amount().checked_mul(factor), negative))
}

/// Splits `price` over milestone shares (percentages, each positive, adding up to exactly 100).
/// Every part but the last is `round_half_up(price × share / 100)`; the last is the remainder,
/// so the parts always add up to `price` exactly. (With absurdly small prices the remainder can
/// be zero or even below zero, e.g. 0.03 over six shares of ~16.67%; real prices are far from
/// that.)
pub fn split_over_milestones(price: Money, shares: &[Decimal]) -> Result<Vec<Money>, PricingError> {
    let Some((_, leading)) = shares.split_last() else {
        return Err(PricingError::NoShares);
    };
    let mut sum = Decimal::ZERO;
    for (i, share) in shares.iter().enumerate() {
        if *share <= Decimal::ZERO {
            return Err(PricingError::NonPositiveShare {
                position: i + 1,
                share: *share,
            });
        }
        // Overflow means the sum is far above 100 anyway.
        sum = saturate(sum.checked_add(*share), false);
    }
    if sum != Decimal::ONE_HUNDRED {
        return Err(PricingError::SharesDoNotSumTo100 { sum });
    }
    let mut parts: Vec<Money> = leading
        .iter()
        .map(|share| round_half_up(price.times_share(*share)))
        .collect();
    let others: Money = parts.iter().sum();
    parts.push(price - others);
    Ok(parts)
}

/// A monthly price for `active_days` of a month of `days_in_month` days:
/// `round_half_up(price × active_days / days_in_month)`. `active_days` is capped at
/// `days_in_month`; a month of 0 days yields zero (never a division by zero).
pub fn prorate_month(monthly_price: Money, active_days: u32, days_in_month: u32) -> Money {
    if days_in_month == 0 {
        return Money::ZERO;
    }
    let active = Decimal::from(active_days.min(days_in_month));
    let days = Decimal::from(days_in_month);
    // Multiply first for exactness; divide first only if the product would overflow.
    let value = match monthly_price.amount().checked_mul(active) {
        Some(product) => product / days,
        None => saturate(
            (monthly_price.amount() / days).checked_mul(active),
            monthly_price.is_negative(),
        ),
    };
    round_half_up(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn indexation_worked_examples() {
        assert_eq!(index_price(m("1250.00"), dec!(3.7)), m("1296.25"));
        // 87.50 × 1.0235 = 89.55625 → 89.56
        assert_eq!(index_price(m("87.50"), dec!(2.35)), m("89.56"));
        assert_eq!(index_price(m("3990.00"), Decimal::ZERO), m("3990.00"));
        // 100.00 × 0.985 = 98.50; 0.10 × 1.05 = 0.105 → 0.11 (half up)
        assert_eq!(index_price(m("100.00"), dec!(-1.5)), m("98.50"));
        assert_eq!(index_price(m("0.10"), dec!(5)), m("0.11"));
        // Never panics on absurd input.
        let _ = index_price(Money::MAX, Decimal::MAX);
        let _ = index_price(Money::MIN, Decimal::MIN);
    }

    #[test]
    fn split_worked_examples() {
        assert_eq!(
            split_over_milestones(m("1000.01"), &[dec!(50), dec!(50)]).unwrap(),
            vec![m("500.01"), m("500.00")]
        );
        assert_eq!(
            split_over_milestones(m("100.00"), &[dec!(33.33), dec!(33.33), dec!(33.34)]).unwrap(),
            vec![m("33.33"), m("33.33"), m("33.34")]
        );
        assert_eq!(
            split_over_milestones(m("2450.00"), &[dec!(50), dec!(50)]).unwrap(),
            vec![m("1225.00"), m("1225.00")]
        );
        // 1000.00 at 33.335% = 333.35; twice = 666.70; rest 333.30.
        assert_eq!(
            split_over_milestones(m("1000.00"), &[dec!(33.335), dec!(33.335), dec!(33.33)])
                .unwrap(),
            vec![m("333.35"), m("333.35"), m("333.30")]
        );
        assert_eq!(
            split_over_milestones(m("4200.00"), &[dec!(100)]).unwrap(),
            vec![m("4200.00")]
        );
    }

    #[test]
    fn split_rejects_bad_shares() {
        assert_eq!(
            split_over_milestones(m("1"), &[]),
            Err(PricingError::NoShares)
        );
        assert_eq!(
            split_over_milestones(m("1"), &[dec!(50), dec!(49.99)]),
            Err(PricingError::SharesDoNotSumTo100 { sum: dec!(99.99) })
        );
        assert_eq!(
            split_over_milestones(m("1"), &[dec!(110), dec!(-10)]),
            Err(PricingError::NonPositiveShare {
                position: 2,
                share: dec!(-10)
            })
        );
        assert_eq!(
            split_over_milestones(m("1"), &[dec!(100), dec!(0)]),
            Err(PricingError::NonPositiveShare {
                position: 2,
                share: dec!(0)
            })
        );
        assert!(split_over_milestones(m("1"), &[Decimal::MAX, Decimal::MAX]).is_err());
        assert_eq!(
            PricingError::SharesDoNotSumTo100 { sum: dec!(99.99) }.to_string(),
            "de aandelen van de mijlpalen tellen op tot 99.99%, niet 100%"
        );
    }

    #[test]
    fn prorate_examples() {
        // 1200 × 15/31 = 580.645… → 580.65; 1200 × 9/31 = 348.387… → 348.39
        assert_eq!(prorate_month(m("1200.00"), 15, 31), m("580.65"));
        assert_eq!(prorate_month(m("1200.00"), 9, 31), m("348.39"));
        assert_eq!(prorate_month(m("1200.00"), 28, 28), m("1200.00"));
        assert_eq!(prorate_month(m("1200.00"), 40, 30), m("1200.00"));
        assert_eq!(prorate_month(m("1200.00"), 0, 30), Money::ZERO);
        assert_eq!(prorate_month(m("1200.00"), 5, 0), Money::ZERO);
        // 0.10 × 1/4 = 0.025 → 0.03
        assert_eq!(prorate_month(m("0.10"), 1, 4), m("0.03"));
        let _ = prorate_month(Money::MAX, u32::MAX - 1, u32::MAX);
    }

    /// Positive shares in hundredths of a percent that add up to exactly 100.
    fn shares_strategy() -> impl Strategy<Value = Vec<Decimal>> {
        proptest::collection::btree_set(1u32..10_000, 0..6).prop_map(|cuts| {
            let mut bounds = vec![0u32];
            bounds.extend(cuts);
            bounds.push(10_000);
            bounds
                .windows(2)
                .map(|w| Decimal::new(i64::from(w[1] - w[0]), 2))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn split_parts_sum_to_price(cents in -1_000_000_000_000_000i64..=1_000_000_000_000_000i64, shares in shares_strategy()) {
            let price = Money::from_cents(cents);
            let parts = split_over_milestones(price, &shares).unwrap();
            prop_assert_eq!(parts.len(), shares.len());
            prop_assert_eq!(parts.iter().sum::<Money>(), price);
            // Each leading part is within half a cent of its exact share.
            for (part, share) in parts.iter().zip(&shares).take(shares.len() - 1) {
                let exact = price.amount() * share / Decimal::ONE_HUNDRED;
                prop_assert!((part.amount() - exact).abs() <= dec!(0.005));
            }
        }

        #[test]
        fn prorate_is_bounded(cents in 0i64..100_000_000, active in 0u32..=31, days in 28u32..=31) {
            let price = Money::from_cents(cents);
            let part = prorate_month(price, active, days);
            prop_assert!(part >= Money::ZERO && part <= price);
            if active >= days {
                prop_assert_eq!(part, price);
            }
        }
    }
}
