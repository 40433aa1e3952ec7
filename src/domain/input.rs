//! One reading of typed numbers, for the API and the forms alike.
//!
//! `1.234,56`, `1234,56` and `1234.56` are the same number: a comma is the decimal comma, and then
//! dots may group thousands (in groups of three); without a comma a single dot is the decimal
//! point. A dot followed by exactly three digits and nothing else (`1.234`) could be either; money
//! never has three decimals, so for amounts it is always refused with a hint, and for quantities
//! and percentages it is refused where people type ([`Notation::Form`]) and read as a decimal
//! point in the API ([`Notation::Api`]), whose own output writes quantities that way.
//! Surrounding whitespace is ignored; amounts may start with `€`. No exponent, no `+`.
//!
//! [`crate::domain::money::Money::parse`], [`crate::domain::quantity::Quantity::parse`] and
//! [`parse_percent`] are the entry points; this module holds the grammar they share.

use rust_decimal::Decimal;

/// Where a number comes from, for the one reading that differs: `1.234`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    /// JSON and files: `1.234` is one point two three four.
    Api,
    /// Typed in a form: `1.234` is ambiguous and refused with a hint.
    Form,
}

/// A parsed number: `scaled` is the absolute value × 10^decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Number {
    pub negative: bool,
    pub scaled: i128,
}

/// Why a text is not a number; the callers turn this into their own Dutch message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NumberError {
    Empty,
    Invalid,
    TooPrecise,
    TooLarge,
    /// `1.234` or `1.234.567` without a decimal comma: `whole` is the thousands reading
    /// ("1234"), `decimal` the decimal reading with a comma ("1,234") when there is one.
    Ambiguous {
        whole: String,
        decimal: Option<String>,
    },
}

/// What the callers allow.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    /// At most this many decimals.
    pub decimals: u32,
    /// Largest absolute value, scaled (checked per digit, so long inputs cannot overflow).
    pub max_scaled: i128,
    /// A leading `€` (with optional spaces after it) is allowed.
    pub euro: bool,
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// "1.234.567" → Some("1234567") when the dots group thousands correctly.
fn ungroup(int_part: &str) -> Option<String> {
    let mut groups = int_part.split('.');
    let first = groups.next()?;
    if !all_digits(first) || first.len() > 3 {
        return None;
    }
    let mut digits = first.to_string();
    for g in groups {
        if g.len() != 3 || !all_digits(g) {
            return None;
        }
        digits.push_str(g);
    }
    Some(digits)
}

/// Reads `input` by the rules in the module documentation.
pub(crate) fn parse_number(
    input: &str,
    spec: Spec,
    notation: Notation,
) -> Result<Number, NumberError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(NumberError::Empty);
    }
    let mut rest = s;
    let mut negative = false;
    if let Some(r) = rest.strip_prefix('-') {
        negative = true;
        rest = r;
    }
    if spec.euro {
        if let Some(r) = rest.strip_prefix('€') {
            rest = r.trim_start();
            if !negative {
                if let Some(r) = rest.strip_prefix('-') {
                    negative = true;
                    rest = r;
                }
            }
        }
    }
    let sign = if negative { "-" } else { "" };
    let (int_digits, frac): (String, &str) = match rest.split_once(',') {
        Some((int_part, frac)) => {
            if !all_digits(frac) {
                return Err(NumberError::Invalid);
            }
            let digits = if int_part.contains('.') {
                ungroup(int_part).ok_or(NumberError::Invalid)?
            } else if all_digits(int_part) {
                int_part.to_string()
            } else {
                return Err(NumberError::Invalid);
            };
            (digits, frac)
        }
        None => match rest.matches('.').count() {
            0 if all_digits(rest) => (rest.to_string(), ""),
            1 => {
                let (i, f) = rest.split_once('.').ok_or(NumberError::Invalid)?;
                if !all_digits(i) || !all_digits(f) {
                    return Err(NumberError::Invalid);
                }
                // "0.125" cannot be a thousands group; "1.234" can.
                let groupable = f.len() == 3 && i.len() <= 3 && !i.starts_with('0');
                if groupable && (notation == Notation::Form || spec.decimals < 3) {
                    return Err(NumberError::Ambiguous {
                        whole: format!("{sign}{i}{f}"),
                        decimal: (spec.decimals >= 3).then(|| format!("{sign}{i},{f}")),
                    });
                }
                (i.to_string(), f)
            }
            n if n > 1 => {
                return Err(match ungroup(rest) {
                    Some(digits) => NumberError::Ambiguous {
                        whole: format!("{sign}{digits}"),
                        decimal: None,
                    },
                    None => NumberError::Invalid,
                })
            }
            _ => return Err(NumberError::Invalid),
        },
    };
    if frac.len() > spec.decimals as usize {
        return Err(NumberError::TooPrecise);
    }
    let mut scaled: i128 = 0;
    for b in int_digits.bytes() {
        scaled = scaled * 10 + i128::from(b - b'0');
        if scaled > spec.max_scaled {
            return Err(NumberError::TooLarge);
        }
    }
    let mut frac_digits = frac.bytes();
    for _ in 0..spec.decimals {
        scaled = scaled
            .checked_mul(10)
            .ok_or(NumberError::TooLarge)?
            .checked_add(frac_digits.next().map_or(0, |b| i128::from(b - b'0')))
            .ok_or(NumberError::TooLarge)?;
    }
    if scaled > spec.max_scaled {
        return Err(NumberError::TooLarge);
    }
    Ok(Number { negative, scaled })
}

/// Largest percentage read (far beyond any rule's range; the rules check their own range).
const MAX_PERCENT_THOUSANDTHS: i128 = 1_000_000_000_000;

/// A percentage such as an indexation: `3,2`, `3.2`, `-1,5`; at most three decimals.
/// The message is Dutch and fit for a field error.
pub fn parse_percent(input: &str, notation: Notation) -> Result<Decimal, String> {
    let spec = Spec {
        decimals: 3,
        max_scaled: MAX_PERCENT_THOUSANDTHS,
        euro: false,
    };
    let shown = crate::domain::money::echo(input.trim());
    match parse_number(input, spec, notation) {
        Ok(n) => {
            let signed = if n.negative { -n.scaled } else { n.scaled };
            Ok(Decimal::from_i128_with_scale(signed, 3).normalize())
        }
        Err(NumberError::Ambiguous { whole, decimal }) => Err(format!(
            "percentage {shown} is niet eenduidig: schrijf {} voor een percentage met decimalen, \
             of {whole}",
            decimal.unwrap_or_else(|| whole.clone())
        )),
        Err(NumberError::TooPrecise) => {
            Err(format!("percentage heeft meer dan drie decimalen: {shown}"))
        }
        Err(_) => Err("verwacht een percentage als 3.2".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        decimals: 3,
        max_scaled: 1_000_000_000_000,
        euro: false,
    };

    fn n(s: &str, notation: Notation) -> Result<Number, NumberError> {
        parse_number(s, SPEC, notation)
    }

    fn ok(negative: bool, scaled: i128) -> Result<Number, NumberError> {
        Ok(Number { negative, scaled })
    }

    #[test]
    fn three_notations_read_the_same() {
        for notation in [Notation::Api, Notation::Form] {
            for s in ["1.234,56", "1234,56", "1234.56", " 1234,560 ", "1.234,560"] {
                assert_eq!(n(s, notation), ok(false, 1_234_560), "{s}");
            }
            assert_eq!(n("1.234.567,5", notation), ok(false, 1_234_567_500));
            assert_eq!(n("0.125", notation), ok(false, 125));
            assert_eq!(n("12.5", notation), ok(false, 12_500));
            assert_eq!(n("-2,5", notation), ok(true, 2_500));
            assert_eq!(n("1234.567", notation), ok(false, 1_234_567));
        }
    }

    #[test]
    fn dot_with_three_digits_is_ambiguous_in_forms() {
        assert_eq!(
            n("1.234", Notation::Form),
            Err(NumberError::Ambiguous {
                whole: "1234".into(),
                decimal: Some("1,234".into())
            })
        );
        assert_eq!(n("1.234", Notation::Api), ok(false, 1_234));
        assert_eq!(
            n("1.234.567", Notation::Api),
            Err(NumberError::Ambiguous {
                whole: "1234567".into(),
                decimal: None
            })
        );
    }

    #[test]
    fn malformed_groups_and_shapes_are_invalid() {
        for bad in [
            "12.34,5",
            "1.2345,6",
            "1234.567,8",
            ",5",
            "1,",
            "1,2,3",
            "1.2.3",
            "1e3",
            "+1",
            "--1",
            "- 1",
            "1 000",
            ".5",
            "5.",
            "€5",
            "١٢",
            "1,5.0",
        ] {
            assert_eq!(n(bad, Notation::Form), Err(NumberError::Invalid), "{bad}");
        }
        assert_eq!(n("", Notation::Form), Err(NumberError::Empty));
        assert_eq!(n("1,2345", Notation::Form), Err(NumberError::TooPrecise));
        assert_eq!(n("1000000001", Notation::Form), Err(NumberError::TooLarge));
    }

    #[test]
    fn percentages() {
        use rust_decimal_macros::dec;
        assert_eq!(parse_percent("3,2", Notation::Form), Ok(dec!(3.2)));
        assert_eq!(parse_percent("3.2", Notation::Api), Ok(dec!(3.2)));
        assert_eq!(parse_percent("-1,5", Notation::Api), Ok(dec!(-1.5)));
        assert_eq!(parse_percent("2", Notation::Form), Ok(dec!(2)));
        assert_eq!(parse_percent("3.125", Notation::Api), Ok(dec!(3.125)));
        assert_eq!(
            parse_percent("3.125", Notation::Form).unwrap_err(),
            "percentage 3.125 is niet eenduidig: schrijf 3,125 voor een percentage met \
             decimalen, of 3125"
        );
        assert_eq!(
            parse_percent("drie", Notation::Form).unwrap_err(),
            "verwacht een percentage als 3.2"
        );
    }
}
