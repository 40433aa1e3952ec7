//! Quantities (hours, day-parts, pieces, months): exact decimals with at most three decimals.
//!
//! Parsed quantities are non-negative and at most 10^9. Subtraction may give a negative
//! difference (use [`Quantity::saturating_sub`] where a negative result makes no sense).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::input::{parse_number, Notation, NumberError, Spec};
use crate::domain::money::{echo, group_thousands, saturate};

/// Largest quantity accepted by [`Quantity::parse`], in thousandths (10^9).
const MAX_PARSE_THOUSANDTHS: i128 = 1_000_000_000_000;

/// A quantity with at most three decimals, held at scale 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(Decimal);

/// What is wrong with a quantity that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("aantal ontbreekt")]
    Empty,
    #[error("aantal heeft meer dan drie decimalen: {0}")]
    TooPrecise(String),
    #[error("geen geldig aantal: {0} (hoogstens drie decimalen, bijvoorbeeld 12,5 of 12.5)")]
    Invalid(String),
    #[error("aantal mag niet negatief zijn: {0}")]
    Negative(String),
    #[error("aantal is te groot: {0}")]
    TooLarge(String),
    /// "1.234" typed in a form; the second field says what to write instead.
    #[error("aantal {0} is niet eenduidig: schrijf {1} (een punt voor duizendtallen alleen samen met een decimale komma)")]
    Ambiguous(String, String),
}

impl Quantity {
    pub const ZERO: Quantity = Quantity(Decimal::from_parts(0, 0, 0, false, 3));
    pub const ONE: Quantity = Quantity(Decimal::from_parts(1000, 0, 0, false, 3));
    /// Largest value a `Quantity` can hold (96-bit mantissa at scale 3); arithmetic saturates.
    pub const MAX: Quantity = Quantity(Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, false, 3));
    pub const MIN: Quantity = Quantity(Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, true, 3));

    /// `from_thousandths(12500)` is 12.5. Negative values are allowed here (differences).
    pub fn from_thousandths(thousandths: i64) -> Quantity {
        Quantity(Decimal::from_i128_with_scale(i128::from(thousandths), 3))
    }

    /// A whole number of units.
    pub fn from_units(units: u32) -> Quantity {
        Quantity::from_thousandths(i64::from(units) * 1000)
    }

    /// The quantity in thousandths, exact. Saturates at the `i64` bounds (beyond 9.2 × 10^15,
    /// which no parsed quantity or realistic sum reaches).
    pub fn to_thousandths(&self) -> i64 {
        let t = self.thousandths_i128();
        i64::try_from(t).unwrap_or(if t < 0 { i64::MIN } else { i64::MAX })
    }

    /// A quantity from a decimal with at most three decimals (trailing zeros don't count).
    pub fn try_from_decimal(value: Decimal) -> Result<Quantity, QuantityError> {
        if value.normalize().scale() > 3 {
            return Err(QuantityError::TooPrecise(echo(&value.to_string())));
        }
        let mut d = value;
        d.rescale(3);
        // rescale falls back to a smaller scale when the mantissa cannot hold three decimals.
        if d.scale() != 3 {
            return Err(QuantityError::TooLarge(echo(&value.to_string())));
        }
        Ok(Quantity::from_decimal_unchecked(value))
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.thousandths_i128() < 0
    }

    /// `self - other`, but never below zero.
    pub fn saturating_sub(self, other: Quantity) -> Quantity {
        if other >= self {
            Quantity::ZERO
        } else {
            self - other
        }
    }

    /// Parses a quantity as the API sends it (see [`crate::domain::input`]): "12.5", "40",
    /// "0.125", "1.125", and the Dutch forms "12,5", "1.250,75". At most three decimals, not
    /// negative, at most 10^9. Surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse_in(input, Notation::Api)
    }

    /// As [`Quantity::parse`] for a number typed in a form, where "1.234" is refused as
    /// ambiguous (write "1234" or "1,234").
    pub fn parse_typed(input: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse_in(input, Notation::Form)
    }

    fn parse_in(input: &str, notation: Notation) -> Result<Quantity, QuantityError> {
        let s = input.trim();
        let spec = Spec {
            decimals: 3,
            max_scaled: MAX_PARSE_THOUSANDTHS,
            euro: false,
        };
        match parse_number(s, spec, notation) {
            Ok(n) if n.negative && n.scaled != 0 => Err(QuantityError::Negative(echo(s))),
            Ok(n) => Ok(Quantity(Decimal::from_i128_with_scale(n.scaled, 3))),
            Err(NumberError::Empty) => Err(QuantityError::Empty),
            Err(NumberError::Invalid) => Err(QuantityError::Invalid(echo(s))),
            Err(NumberError::TooPrecise) => Err(QuantityError::TooPrecise(echo(s))),
            Err(NumberError::TooLarge) => Err(QuantityError::TooLarge(echo(s))),
            Err(NumberError::Ambiguous { whole, decimal }) => Err(QuantityError::Ambiguous(
                echo(s),
                match decimal {
                    Some(d) => format!("{whole} voor een heel getal of {d} met decimalen"),
                    None => whole,
                },
            )),
        }
    }

    /// Dutch form: "12,5", "40", "1.250,75".
    pub fn format_nl(&self) -> String {
        let (negative, units, frac) = self.parts();
        let sign = if negative { "-" } else { "" };
        match frac {
            Some(frac) => format!("{sign}{},{frac}", group_thousands(units)),
            None => format!("{sign}{}", group_thousands(units)),
        }
    }

    /// Keeps the invariant (scale 3, no negative zero); saturates beyond MAX / MIN.
    fn from_decimal_unchecked(value: Decimal) -> Quantity {
        if value.is_zero() {
            return Quantity::ZERO;
        }
        let mut d = value;
        d.rescale(3);
        // rescale falls back to a smaller scale when the mantissa cannot hold three decimals.
        if d.scale() == 3 {
            Quantity(d)
        } else if value.is_sign_negative() {
            Quantity::MIN
        } else {
            Quantity::MAX
        }
    }

    fn thousandths_i128(&self) -> i128 {
        let mut d = self.0;
        d.rescale(3);
        d.mantissa()
    }

    /// (negative, whole units, decimals without trailing zeros or None when whole).
    fn parts(&self) -> (bool, u128, Option<String>) {
        let t = self.thousandths_i128();
        let abs = t.unsigned_abs();
        let frac = abs % 1000;
        let frac = if frac == 0 {
            None
        } else {
            Some(format!("{frac:03}").trim_end_matches('0').to_string())
        };
        (t < 0, abs / 1000, frac)
    }
}

impl Default for Quantity {
    // Not derived: keeps the scale-3 invariant.
    fn default() -> Self {
        Quantity::ZERO
    }
}

impl fmt::Display for Quantity {
    /// API form without trailing zeros: "12.5", "40", "0.25".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (negative, units, frac) = self.parts();
        let sign = if negative { "-" } else { "" };
        match frac {
            Some(frac) => write!(f, "{sign}{units}.{frac}"),
            None => write!(f, "{sign}{units}"),
        }
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl Add for Quantity {
    type Output = Quantity;
    /// Saturating at MAX / MIN; never panics.
    fn add(self, rhs: Quantity) -> Quantity {
        Quantity::from_decimal_unchecked(saturate(self.0.checked_add(rhs.0), self.is_negative()))
    }
}

impl AddAssign for Quantity {
    fn add_assign(&mut self, rhs: Quantity) {
        *self = *self + rhs;
    }
}

impl Sub for Quantity {
    type Output = Quantity;
    /// Saturating at MAX / MIN; never panics.
    fn sub(self, rhs: Quantity) -> Quantity {
        Quantity::from_decimal_unchecked(saturate(self.0.checked_sub(rhs.0), self.is_negative()))
    }
}

impl Sum for Quantity {
    fn sum<I: Iterator<Item = Quantity>>(iter: I) -> Quantity {
        iter.fold(Quantity::ZERO, |a, b| a + b)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Quantity::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(q("12.5").to_string(), "12.5");
        assert_eq!(q("40").to_string(), "40");
        assert_eq!(q("40.000").to_string(), "40");
        assert_eq!(q("0.25").to_string(), "0.25");
        assert_eq!(q(" 0.125 ").to_thousandths(), 125);
        assert_eq!(q("-0"), Quantity::ZERO);
        assert_eq!(
            q("1000000000"),
            Quantity::from_thousandths(1_000_000_000_000)
        );
        assert_eq!(Quantity::from_units(3), q("3"));
        assert_eq!(Quantity::ONE, q("1"));
    }

    #[test]
    fn parse_rejects() {
        assert_eq!(Quantity::parse(""), Err(QuantityError::Empty));
        assert_eq!(
            Quantity::parse("1.2345"),
            Err(QuantityError::TooPrecise("1.2345".into()))
        );
        assert_eq!(
            Quantity::parse("-1"),
            Err(QuantityError::Negative("-1".into()))
        );
        for bad in [
            "x", "1,5,0", "1e2", "+1", ".5", "5.", "1.2.3", "--1", "- 1", "€ 1",
        ] {
            assert!(
                matches!(Quantity::parse(bad), Err(QuantityError::Invalid(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Quantity::parse("1000000000.001"),
            Err(QuantityError::TooLarge(_))
        ));
        assert_eq!(
            Quantity::parse("1.2345").unwrap_err().to_string(),
            "aantal heeft meer dan drie decimalen: 1.2345"
        );
    }

    #[test]
    fn dutch_input_and_ambiguity() {
        assert_eq!(q("1,5"), q("1.5"));
        assert_eq!(q("1.250,75"), q("1250.75"));
        assert_eq!(Quantity::parse_typed("82,5"), Ok(q("82.5")));
        // The API writes quantities with a decimal point, so it reads "1.125" that way too.
        assert_eq!(q("1.125").to_thousandths(), 1125);
        assert_eq!(Quantity::parse_typed("0.125"), Ok(q("0.125")));
        assert_eq!(
            Quantity::parse_typed("1.125").unwrap_err().to_string(),
            "aantal 1.125 is niet eenduidig: schrijf 1125 voor een heel getal of 1,125 met \
             decimalen (een punt voor duizendtallen alleen samen met een decimale komma)"
        );
        assert!(matches!(
            Quantity::parse("1.000.000"),
            Err(QuantityError::Ambiguous(..))
        ));
        assert!(matches!(
            Quantity::parse_typed("-1,5"),
            Err(QuantityError::Negative(_))
        ));
    }

    #[test]
    fn dutch_form() {
        assert_eq!(q("12.5").format_nl(), "12,5");
        assert_eq!(q("40").format_nl(), "40");
        assert_eq!(q("0.125").format_nl(), "0,125");
        assert_eq!(q("1250.75").format_nl(), "1.250,75");
        assert_eq!(Quantity::from_thousandths(-2500).format_nl(), "-2,5");
    }

    #[test]
    fn arithmetic() {
        assert_eq!(q("30") + q("12.5"), q("42.5"));
        assert_eq!(q("40") - q("42.5"), Quantity::from_thousandths(-2500));
        assert_eq!(q("40").saturating_sub(q("42.5")), Quantity::ZERO);
        assert_eq!(q("42.5").saturating_sub(q("40")), q("2.5"));
        assert!(q("2.5") < q("10"));
        assert_eq!([q("1"), q("0.5")].into_iter().sum::<Quantity>(), q("1.5"));
        assert_eq!(Quantity::try_from_decimal(dec!(1.5000)), Ok(q("1.5")));
        assert!(Quantity::try_from_decimal(dec!(1.5001)).is_err());
        assert!(matches!(
            Quantity::try_from_decimal(Decimal::MAX),
            Err(QuantityError::TooLarge(_))
        ));
        assert_eq!(Quantity::default(), Quantity::ZERO);
        assert_eq!(Quantity::MAX + Quantity::MAX, Quantity::MAX);
        assert_eq!(Quantity::MIN - Quantity::MAX, Quantity::MIN);
    }

    #[test]
    fn serde_as_string() {
        assert_eq!(serde_json::to_string(&q("12.50")).unwrap(), "\"12.5\"");
        assert_eq!(
            serde_json::from_str::<Quantity>("\"6.5\"").unwrap(),
            q("6.5")
        );
        assert!(serde_json::from_str::<Quantity>("\"-1\"").is_err());
    }

    proptest! {
        #[test]
        fn round_trip(t in 0i64..=1_000_000_000_000i64) {
            let quantity = Quantity::from_thousandths(t);
            prop_assert_eq!(Quantity::parse(&quantity.to_string()), Ok(quantity));
            prop_assert_eq!(quantity.to_thousandths(), t);
        }

        #[test]
        fn dutch_form_round_trip(t in 0i64..=1_000_000_000_000i64) {
            // Whole numbers of a thousand and more print as "1.000", which a form refuses as
            // ambiguous; with a fraction the comma makes them readable again.
            let quantity = Quantity::from_thousandths(t);
            let shown = quantity.format_nl();
            if shown.contains(',') || t < 1_000_000 {
                prop_assert_eq!(Quantity::parse_typed(&shown), Ok(quantity));
            }
            let plain = quantity.amount().to_string();
            prop_assert_eq!(Quantity::parse_typed(&plain.replace('.', ",")), Ok(quantity));
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Quantity::parse(&s);
            let _ = Quantity::parse_typed(&s);
        }

        #[test]
        fn parse_never_panics_on_numberish(s in "[-+ ]?[0-9.,eE]{0,40}") {
            let _ = Quantity::parse(&s);
        }
    }
}
