//! Money: euro amounts as exact decimals with cents.
//!
//! Every amount is a [`Money`], held as a `Decimal` with scale 2. Arithmetic on `Money` is exact
//! (adding cents to cents never rounds); the only place where a value with more than two decimals
//! becomes money is [`round_half_up`].
//!
//! Range: parsed amounts are limited to ±10^13 EUR. In memory a `Money` can hold up to about
//! ±7.9 × 10^26 EUR ([`Money::MAX`]); arithmetic never panics, and a result beyond that range
//! (unreachable from parsed input) saturates at `Money::MAX` / `Money::MIN`. The `checked_*`
//! variants report such an overflow instead.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::input::{parse_number, Notation, NumberError, Spec};
use crate::domain::quantity::Quantity;

/// Largest absolute amount accepted by [`Money::parse`], in cents (10^13 EUR).
const MAX_PARSE_CENTS: i128 = 1_000_000_000_000_000;

/// Inputs echoed in error messages are cut to this many characters.
const ECHO_LIMIT: usize = 40;

/// An amount in euros, always with exactly two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

/// What is wrong with an amount that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("bedrag ontbreekt")]
    Empty,
    #[error("bedrag heeft meer dan twee decimalen: {0}")]
    TooPrecise(String),
    #[error("geen geldig bedrag: {0} (bijvoorbeeld 3.520,00)")]
    Invalid(String),
    #[error("bedrag is te groot: {0}")]
    TooLarge(String),
    #[error("bedrag mag niet negatief zijn: {0}")]
    Negative(String),
    /// "1.234": a thousands dot without a decimal comma; the second field is "1234".
    #[error("bedrag {0} is niet eenduidig: schrijf {1} of {1},00 (een punt voor duizendtallen alleen samen met een komma voor de centen, bijvoorbeeld 3.520,00)")]
    Ambiguous(String, String),
}

/// THE ONE ROUNDING RULE: round to cents, half away from zero (0.005 → 0.01, -0.005 → -0.01).
///
/// This is the single place where a value with more than two decimals becomes [`Money`]; every
/// computation that has to round (line amounts, VAT, indexation, milestone parts, pro rata
/// months) calls this function and nothing else.
pub fn round_half_up(value: Decimal) -> Money {
    Money::from_decimal_unchecked(
        value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
    )
}

impl Money {
    /// Zero euros.
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));
    /// Largest amount a `Money` can hold (96-bit mantissa at scale 2, about 7.9 × 10^26 EUR).
    pub const MAX: Money = Money(Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, false, 2));
    /// Smallest amount a `Money` can hold (`-MAX`).
    pub const MIN: Money = Money(Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, true, 2));

    /// An amount from a number of cents: `from_cents(123450)` is 1234.50.
    pub fn from_cents(cents: i64) -> Money {
        Money(Decimal::from_i128_with_scale(i128::from(cents), 2))
    }

    /// The amount in cents, exact. Saturates at the `i64` bounds, which only amounts beyond
    /// ±9.2 × 10^16 EUR reach (far beyond anything [`Money::parse`] accepts).
    pub fn to_cents(&self) -> i64 {
        let cents = self.cents_i128();
        i64::try_from(cents).unwrap_or(if cents < 0 { i64::MIN } else { i64::MAX })
    }

    /// The amount in cents, or `None` when it does not fit an `i64`.
    pub fn try_to_cents(&self) -> Option<i64> {
        i64::try_from(self.cents_i128()).ok()
    }

    /// The amount as a decimal (scale 2).
    pub fn amount(&self) -> Decimal {
        self.0
    }

    /// An amount from a decimal that has at most two decimals (trailing zeros don't count), for
    /// values read back from storage. Never rounds.
    pub fn try_from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        if value.normalize().scale() > 2 {
            return Err(MoneyError::TooPrecise(echo(&value.to_string())));
        }
        Money::from_decimal_in_range(value)
            .ok_or_else(|| MoneyError::TooLarge(echo(&value.to_string())))
    }

    pub fn is_negative(&self) -> bool {
        self.cents_i128() < 0
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn abs(self) -> Money {
        Money::from_decimal_unchecked(self.0.abs())
    }

    /// `self + other`, or `None` beyond [`Money::MAX`] / [`Money::MIN`].
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0
            .checked_add(other.0)
            .and_then(Money::from_decimal_in_range)
    }

    /// `self - other`, or `None` beyond [`Money::MAX`] / [`Money::MIN`].
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0
            .checked_sub(other.0)
            .and_then(Money::from_decimal_in_range)
    }

    /// Amount × quantity, unrounded (pass it to [`round_half_up`]). Cannot overflow for parsed
    /// inputs (≤ 10^13 EUR × ≤ 10^9 units); beyond `Decimal`'s range it saturates.
    pub fn mul_quantity(self, q: Quantity) -> Decimal {
        let negative = self.is_negative() != q.is_negative();
        saturate(self.0.checked_mul(q.amount()), negative)
    }

    /// Amount × quantity, or `None` beyond `Decimal`'s range.
    pub fn checked_mul_quantity(self, q: Quantity) -> Option<Decimal> {
        self.0.checked_mul(q.amount())
    }

    /// Amount × share / 100 (a share in percent), unrounded. Dividing first keeps a share of at
    /// most 100 from ever overflowing (dividing by 100 is exact for these magnitudes).
    pub fn times_share(self, share_percent: Decimal) -> Decimal {
        let negative = self.is_negative() != share_percent.is_sign_negative();
        saturate(
            (self.0 / Decimal::ONE_HUNDRED).checked_mul(share_percent),
            negative,
        )
    }

    /// Parses an amount as typed in the API or a form (see [`crate::domain::input`]):
    /// "1234.50", "1234,50", "1.234,50", "€ 1.234,50", "-3,10", "1234". At most two decimals
    /// and ±10^13; "1.234" is refused as ambiguous. Surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Money, MoneyError> {
        let s = input.trim();
        let spec = Spec {
            decimals: 2,
            max_scaled: MAX_PARSE_CENTS,
            euro: true,
        };
        match parse_number(s, spec, Notation::Form) {
            Ok(n) => {
                let cents = if n.negative { -n.scaled } else { n.scaled };
                Ok(Money(Decimal::from_i128_with_scale(cents, 2)))
            }
            Err(NumberError::Empty) => Err(MoneyError::Empty),
            Err(NumberError::Invalid) => Err(MoneyError::Invalid(echo(s))),
            Err(NumberError::TooPrecise) => Err(MoneyError::TooPrecise(echo(s))),
            Err(NumberError::TooLarge) => Err(MoneyError::TooLarge(echo(s))),
            Err(NumberError::Ambiguous { whole, .. }) => {
                Err(MoneyError::Ambiguous(echo(s), echo(&whole)))
            }
        }
    }

    /// As [`Money::parse`], but refuses negative amounts ("-0.00" is zero and allowed).
    pub fn parse_non_negative(input: &str) -> Result<Money, MoneyError> {
        let m = Money::parse(input)?;
        if m.is_negative() {
            return Err(MoneyError::Negative(echo(input.trim())));
        }
        Ok(m)
    }

    /// Dutch display form: "€ 1.234,56", "€ 0,05", "-€ 1.234,56".
    pub fn format_nl(&self) -> String {
        let sign = if self.is_negative() { "-" } else { "" };
        format!("{sign}€ {}", self.abs().format_nl_plain())
    }

    /// Dutch number without symbol: "1.234,56", "-1.234,56".
    pub fn format_nl_plain(&self) -> String {
        let (negative, units, cents) = self.parts();
        let sign = if negative { "-" } else { "" };
        format!("{sign}{},{cents:02}", group_thousands(units))
    }

    /// Dutch bookkeeping CSV form: decimal comma, no thousands separator: "1234,56", "-3,10".
    pub fn format_csv(&self) -> String {
        let (negative, units, cents) = self.parts();
        let sign = if negative { "-" } else { "" };
        format!("{sign}{units},{cents:02}")
    }

    /// Keeps the invariant: scale exactly 2 and no negative zero. Values beyond the range
    /// saturate at [`Money::MAX`] / [`Money::MIN`]. Callers pass values with at most two
    /// decimals (otherwise `rescale` would round, half away from zero like `round_half_up`).
    fn from_decimal_unchecked(value: Decimal) -> Money {
        Money::from_decimal_in_range(value).unwrap_or(if value.is_sign_negative() {
            Money::MIN
        } else {
            Money::MAX
        })
    }

    fn from_decimal_in_range(value: Decimal) -> Option<Money> {
        if value.is_zero() {
            return Some(Money::ZERO);
        }
        let mut d = value;
        d.rescale(2);
        // rescale falls back to a smaller scale when the mantissa cannot hold two decimals.
        (d.scale() == 2).then_some(Money(d))
    }

    fn cents_i128(&self) -> i128 {
        let mut d = self.0;
        d.rescale(2);
        d.mantissa()
    }

    /// (negative, whole euros, cents) of the absolute value.
    fn parts(&self) -> (bool, u128, u128) {
        let cents = self.cents_i128();
        let abs = cents.unsigned_abs();
        (cents < 0, abs / 100, abs % 100)
    }
}

impl Default for Money {
    // Not derived: the derived default would be a `Decimal` zero with scale 0.
    fn default() -> Self {
        Money::ZERO
    }
}

/// "1234567" → "1.234.567".
pub(crate) fn group_thousands(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Cuts user input for an error message, so a huge input cannot make a huge message.
pub(crate) fn echo(s: &str) -> String {
    if s.chars().count() <= ECHO_LIMIT {
        s.to_string()
    } else {
        let mut cut: String = s.chars().take(ECHO_LIMIT).collect();
        cut.push('…');
        cut
    }
}

impl fmt::Display for Money {
    /// The API form: "1234.50", "-3.10"; always two decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (negative, units, cents) = self.parts();
        let sign = if negative { "-" } else { "" };
        write!(f, "{sign}{units}.{cents:02}")
    }
}

impl std::str::FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

/// The result of a checked `Decimal` operation, or the extreme of the given sign on overflow.
pub(crate) fn saturate(result: Option<Decimal>, negative: bool) -> Decimal {
    result.unwrap_or(if negative { Decimal::MIN } else { Decimal::MAX })
}

impl Add for Money {
    type Output = Money;
    /// Saturating at [`Money::MAX`] / [`Money::MIN`]; never panics.
    fn add(self, rhs: Money) -> Money {
        // Two in-range amounts (≤ 7.9e26) can't overflow Decimal (≤ 7.9e28); saturate anyway.
        Money::from_decimal_unchecked(saturate(self.0.checked_add(rhs.0), self.is_negative()))
    }
}

impl Sub for Money {
    type Output = Money;
    /// Saturating at [`Money::MAX`] / [`Money::MIN`]; never panics.
    fn sub(self, rhs: Money) -> Money {
        Money::from_decimal_unchecked(saturate(self.0.checked_sub(rhs.0), self.is_negative()))
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money::from_decimal_unchecked(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + *b)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Money::parse(&s).map_err(serde::de::Error::custom)
    }
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
    fn parse_accepts_api_forms() {
        assert_eq!(m("1234.50"), Money::from_cents(123_450));
        assert_eq!(m("1234.5"), Money::from_cents(123_450));
        assert_eq!(m("1234"), Money::from_cents(123_400));
        assert_eq!(m("-3.10"), Money::from_cents(-310));
        assert_eq!(m("  0.05\n"), Money::from_cents(5));
        assert_eq!(m("007.00"), Money::from_cents(700));
        assert_eq!(m("-0.00"), Money::ZERO);
        assert!(!m("-0.00").is_negative());
        assert_eq!(
            m("10000000000000"),
            Money::from_cents(1_000_000_000_000_000)
        );
        assert_eq!(
            m("-10000000000000.00"),
            Money::from_cents(-1_000_000_000_000_000)
        );
    }

    #[test]
    fn parse_rejects_bad_input() {
        assert_eq!(Money::parse(""), Err(MoneyError::Empty));
        assert_eq!(Money::parse("   "), Err(MoneyError::Empty));
        assert_eq!(
            Money::parse("1.234"),
            Err(MoneyError::Ambiguous("1.234".into(), "1234".into()))
        );
        assert_eq!(
            Money::parse("1.234.567"),
            Err(MoneyError::Ambiguous("1.234.567".into(), "1234567".into()))
        );
        assert_eq!(
            Money::parse("0.125"),
            Err(MoneyError::TooPrecise("0.125".into()))
        );
        assert_eq!(
            Money::parse("1,234"),
            Err(MoneyError::TooPrecise("1,234".into()))
        );
        for bad in [
            "abc",
            "1,5,0",
            "12.34,50",
            "1.2345,00",
            "1e3",
            "1E3",
            "+1",
            "--1",
            "-",
            ".5",
            "1.",
            "1.2.3",
            "1 000",
            "€",
            "€€1",
            "0x10",
            "NaN",
            "inf",
            "1.-5",
            "١٢",
            "1,",
            ",50",
            "1€",
            "- €1",
        ] {
            assert!(
                matches!(Money::parse(bad), Err(MoneyError::Invalid(_))),
                "{bad} should be invalid"
            );
        }
        assert!(matches!(
            Money::parse("10000000000000.01"),
            Err(MoneyError::TooLarge(_))
        ));
        assert!(matches!(
            Money::parse("-99999999999999999999999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        assert_eq!(
            Money::parse("1.234").unwrap_err().to_string(),
            "bedrag 1.234 is niet eenduidig: schrijf 1234 of 1234,00 (een punt voor \
             duizendtallen alleen samen met een komma voor de centen, bijvoorbeeld 3.520,00)"
        );
        assert_eq!(
            Money::parse("1.2345").unwrap_err().to_string(),
            "bedrag heeft meer dan twee decimalen: 1.2345"
        );
        assert_eq!(
            Money::parse("12,3,4").unwrap_err().to_string(),
            "geen geldig bedrag: 12,3,4 (bijvoorbeeld 3.520,00)"
        );
        assert_eq!(
            Money::parse_non_negative("-3.10").unwrap_err().to_string(),
            "bedrag mag niet negatief zijn: -3.10"
        );
        let long = "9".repeat(200);
        assert!(Money::parse(&long).unwrap_err().to_string().len() < 120);
    }

    #[test]
    fn parse_accepts_dutch_forms() {
        for s in [
            "1234.56",
            "1234,56",
            "1.234,56",
            "€ 1.234,56",
            "€1234,56",
            " €  1234.56 ",
        ] {
            assert_eq!(m(s), Money::from_cents(123_456), "{s}");
        }
        assert_eq!(m("-€ 1.234,56"), Money::from_cents(-123_456));
        assert_eq!(m("€ -3,1"), Money::from_cents(-310));
        assert_eq!(m("1.234.567,8"), Money::from_cents(123_456_780));
        assert_eq!(m("0,05"), Money::from_cents(5));
        assert!(matches!(
            Money::parse_non_negative("-€ 5,00"),
            Err(MoneyError::Negative(_))
        ));
    }

    #[test]
    fn parse_non_negative() {
        assert_eq!(Money::parse_non_negative("0"), Ok(Money::ZERO));
        assert_eq!(Money::parse_non_negative("-0"), Ok(Money::ZERO));
        assert!(matches!(
            Money::parse_non_negative("-0.01"),
            Err(MoneyError::Negative(_))
        ));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_up(dec!(0.005)), Money::from_cents(1));
        assert_eq!(round_half_up(dec!(0.004999)), Money::ZERO);
        assert_eq!(round_half_up(dec!(-0.005)), Money::from_cents(-1));
        assert_eq!(round_half_up(dec!(89.55625)), Money::from_cents(8956));
        assert_eq!(
            round_half_up(dec!(580.645161290322580645)),
            Money::from_cents(58065)
        );
        assert_eq!(round_half_up(dec!(2.125)), Money::from_cents(213)); // not banker's rounding
        assert_eq!(round_half_up(dec!(7)).amount().scale(), 2);
        assert_eq!(round_half_up(dec!(-0.001)), Money::ZERO);
        assert!(!round_half_up(dec!(-0.001)).is_negative());
    }

    #[test]
    fn display_and_dutch_forms() {
        assert_eq!(Money::from_cents(123_450).to_string(), "1234.50");
        assert_eq!(Money::from_cents(-310).to_string(), "-3.10");
        assert_eq!(Money::ZERO.to_string(), "0.00");
        assert_eq!(Money::default().to_string(), "0.00");
        assert_eq!(Money::from_cents(123_456).format_nl(), "€ 1.234,56");
        assert_eq!(Money::from_cents(5).format_nl(), "€ 0,05");
        assert_eq!(Money::from_cents(-123_456).format_nl(), "-€ 1.234,56");
        assert_eq!(
            Money::from_cents(12_345_678_901).format_nl_plain(),
            "123.456.789,01"
        );
        assert_eq!(Money::from_cents(100_000).format_nl_plain(), "1.000,00");
        assert_eq!(Money::from_cents(99_999).format_nl_plain(), "999,99");
        assert_eq!(Money::from_cents(-5).format_nl_plain(), "-0,05");
        assert_eq!(Money::from_cents(123_456).format_csv(), "1234,56");
        assert_eq!(Money::from_cents(-310).format_csv(), "-3,10");
    }

    #[test]
    fn arithmetic_is_exact_and_keeps_scale() {
        let a = m("0.10");
        let b = m("0.20");
        assert_eq!(a + b, m("0.30"));
        assert_eq!((a - b), m("-0.10"));
        assert_eq!(-a, m("-0.10"));
        assert_eq!(-Money::ZERO, Money::ZERO);
        assert!(!(-Money::ZERO).is_negative());
        assert_eq!([a, b, a].iter().sum::<Money>(), m("0.40"));
        assert_eq!((a + b).amount().scale(), 2);
        assert_eq!(a.checked_add(b), Some(m("0.30")));
        assert_eq!(a.checked_sub(b), Some(m("-0.10")));
        let mut c = a;
        c += b;
        c -= a;
        assert_eq!(c, b);
    }

    #[test]
    fn cents_and_decimals() {
        assert_eq!(m("1234.56").to_cents(), 123_456);
        assert_eq!(m("-0.01").to_cents(), -1);
        assert_eq!(Money::from_cents(i64::MAX).to_cents(), i64::MAX);
        assert_eq!(Money::from_cents(i64::MIN).to_cents(), i64::MIN);
        assert_eq!(Money::try_from_decimal(dec!(1.500)), Ok(m("1.50")));
        assert!(matches!(
            Money::try_from_decimal(dec!(1.505)),
            Err(MoneyError::TooPrecise(_))
        ));
        assert_eq!(
            Money::try_from_decimal(dec!(12)).unwrap().amount().scale(),
            2
        );
    }

    #[test]
    fn multiplication_helpers() {
        let q = Quantity::parse("12.5").unwrap();
        assert_eq!(m("87.50").mul_quantity(q), dec!(1093.75));
        assert_eq!(m("87.50").checked_mul_quantity(q), Some(dec!(1093.75)));
        assert_eq!(m("1000.01").times_share(dec!(50)), dec!(500.005));
        assert_eq!(m("100.00").times_share(dec!(33.33)), dec!(33.33));
        assert_eq!(Money::MAX.times_share(dec!(100)), Money::MAX.amount());
    }

    #[test]
    fn extremes_saturate_instead_of_panicking() {
        assert_eq!(Money::MAX + Money::MAX, Money::MAX);
        assert_eq!(Money::MIN - Money::MAX, Money::MIN);
        assert_eq!(Money::MAX.checked_add(Money::from_cents(1)), None);
        assert_eq!(Money::MIN.checked_sub(Money::from_cents(1)), None);
        assert_eq!(-Money::MAX, Money::MIN);
        assert_eq!(round_half_up(Decimal::MAX), Money::MAX);
        assert_eq!(round_half_up(Decimal::MIN), Money::MIN);
        assert_eq!(Money::MAX.to_string().len(), 30);
        let q = Quantity::from_thousandths(i64::MAX);
        assert_eq!(Money::MAX.mul_quantity(q), Decimal::MAX);
        assert_eq!(Money::MIN.mul_quantity(q), Decimal::MIN);
        assert_eq!(Money::MAX.checked_mul_quantity(q), None);
        assert_eq!(Money::MAX.to_cents(), i64::MAX);
        assert_eq!(Money::MAX.try_to_cents(), None);
    }

    #[test]
    fn serde_as_string() {
        let v = serde_json::to_string(&m("1234.5")).unwrap();
        assert_eq!(v, "\"1234.50\"");
        let back: Money = serde_json::from_str("\"-3.1\"").unwrap();
        assert_eq!(back, m("-3.10"));
        assert!(serde_json::from_str::<Money>("\"1.234\"").is_err());
        assert!(serde_json::from_str::<Money>("12.5").is_err()); // numbers are refused
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(cents in -1_000_000_000_000_000i64..=1_000_000_000_000_000i64) {
            let money = Money::from_cents(cents);
            prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
            prop_assert_eq!(money.to_cents(), cents);
            let json = serde_json::to_string(&money).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
            // The CSV form is the display form with a comma.
            prop_assert_eq!(money.format_csv(), money.to_string().replace('.', ","));
        }

        #[test]
        fn dutch_display_parses_back(cents in -1_000_000_000_000_000i64..=1_000_000_000_000_000i64) {
            let money = Money::from_cents(cents);
            // "€ 1.234,56" as on every page (web::format::euro), "1.234,56", "1234,56".
            prop_assert_eq!(Money::parse(&money.format_nl()), Ok(money));
            prop_assert_eq!(Money::parse(&money.format_nl_plain()), Ok(money));
            prop_assert_eq!(Money::parse(&money.format_csv()), Ok(money));
        }

        #[test]
        fn three_notations_are_one_amount(units in 0u64..=9_999_999_999_999u64, cents in 0u64..100) {
            let point = format!("{units}.{cents:02}");
            let comma = format!("{units},{cents:02}");
            let grouped = format!("{},{cents:02}", group_thousands(u128::from(units)));
            let expected = Money::parse(&point);
            prop_assert!(expected.is_ok());
            prop_assert_eq!(Money::parse(&comma), expected.clone());
            prop_assert_eq!(Money::parse(&grouped), expected.clone());
            prop_assert_eq!(Money::parse(&format!("€ {grouped}")), expected);
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Money::parse(&s);
            let _ = Money::parse_non_negative(&s);
        }

        #[test]
        fn parse_never_panics_on_numberish(s in "[-+ ]?[0-9.,eE]{0,40}") {
            if let Ok(money) = Money::parse(&s) {
                prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
            }
        }

        #[test]
        fn round_half_up_is_within_half_a_cent(units in -1_000_000_000_000i64..1_000_000_000_000i64, scale in 0u32..8) {
            let value = Decimal::new(units, scale);
            let rounded = round_half_up(value);
            let diff = (rounded.amount() - value).abs();
            prop_assert!(diff <= Decimal::new(5, 3));
            prop_assert_eq!(rounded.amount().scale(), 2);
        }
    }
}
