//! Burgerservicenummer (BSN): nine digits passing the elfproef.
//!
//! A `Bsn` never shows itself: `Debug` and `Display` print the masked form, error messages never
//! contain the input, and there is deliberately no `Serialize`. The full number is only reachable
//! through [`Bsn::as_str`], meant for encryption and lookup hashing.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A valid BSN (nine digits, elfproef passed).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bsn(String);

/// Why a BSN was refused. Messages never repeat the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BsnError {
    #[error("BSN ontbreekt")]
    Empty,
    #[error("een BSN bestaat alleen uit cijfers")]
    NotDigits,
    #[error("een BSN heeft 9 cijfers (of 8, aangevuld met een voorloopnul), niet {0}")]
    WrongLength(usize),
    #[error("een BSN kan niet uit alleen nullen bestaan")]
    AllZeros,
    #[error("dit BSN klopt niet volgens de elfproef")]
    Elfproef,
}

impl Bsn {
    /// Parses a BSN: surrounding whitespace is ignored; an 8-digit number is padded with a
    /// leading zero (older numbers are issued that way); then the elfproef
    /// 9·d1 + 8·d2 + … + 2·d8 − 1·d9 must be a non-zero multiple of 11.
    pub fn parse(input: &str) -> Result<Bsn, BsnError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(BsnError::Empty);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BsnError::NotDigits);
        }
        // All bytes are ASCII digits, so byte length == character count.
        let digits = match s.len() {
            9 => s.to_string(),
            8 => format!("0{s}"),
            n => return Err(BsnError::WrongLength(n)),
        };
        if digits.bytes().all(|b| b == b'0') {
            return Err(BsnError::AllZeros);
        }
        let sum: i32 = digits
            .bytes()
            .zip([9, 8, 7, 6, 5, 4, 3, 2, -1])
            .map(|(b, weight)| weight * i32::from(b - b'0'))
            .sum();
        if sum == 0 || sum % 11 != 0 {
            return Err(BsnError::Elfproef);
        }
        Ok(Bsn(digits))
    }

    /// "*****" followed by the last four digits: 999990019 → "*****0019".
    pub fn masked(&self) -> String {
        mask_last4(self.last4())
    }

    /// The last four digits, which records keep to show the BSN masked.
    pub fn last4(&self) -> &str {
        // Always nine ASCII digits, so byte 5 is a char boundary; get() keeps it panic-free anyway.
        self.0.get(5..).unwrap_or("")
    }

    /// The full nine digits. Only for encryption and lookup hashing: never log or show it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// THE ONE BSN MASK: how a BSN is shown anywhere (pages, API, audit), from its last four digits:
/// "0019" → "*****0019".
pub fn mask_last4(last4: &str) -> String {
    format!("*****{last4}")
}

impl fmt::Debug for Bsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bsn({})", self.masked())
    }
}

impl fmt::Display for Bsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl std::str::FromStr for Bsn {
    type Err = BsnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bsn::parse(s)
    }
}

impl<'de> Deserialize<'de> for Bsn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Bsn::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_valid_test_numbers() {
        for valid in ["999990019", "999991772", "111222333", "123456782"] {
            let bsn = Bsn::parse(valid).unwrap();
            assert_eq!(bsn.as_str(), valid);
        }
        assert_eq!(Bsn::parse(" 999990019\t").unwrap().as_str(), "999990019");
    }

    #[test]
    fn eight_digits_are_padded() {
        // 012345672: 0+8+14+18+20+20+18+14-2 = 110 = 10·11.
        assert_eq!(Bsn::parse("12345672").unwrap().as_str(), "012345672");
        assert_eq!(Bsn::parse("12345672"), Bsn::parse("012345672"));
    }

    #[test]
    fn invalid_numbers() {
        assert_eq!(Bsn::parse(""), Err(BsnError::Empty));
        assert_eq!(Bsn::parse("   "), Err(BsnError::Empty));
        assert_eq!(Bsn::parse("999990018"), Err(BsnError::Elfproef));
        assert_eq!(Bsn::parse("123456789"), Err(BsnError::Elfproef));
        assert_eq!(Bsn::parse("000000000"), Err(BsnError::AllZeros));
        assert_eq!(Bsn::parse("00000000"), Err(BsnError::AllZeros));
        // Weighted sum exactly 0 (3·3 − 9): a multiple of 11, but refused.
        assert_eq!(Bsn::parse("000000309"), Err(BsnError::Elfproef));
        assert_eq!(Bsn::parse("99999001"), Err(BsnError::Elfproef));
        assert_eq!(Bsn::parse("9999900190"), Err(BsnError::WrongLength(10)));
        assert_eq!(Bsn::parse("1234567"), Err(BsnError::WrongLength(7)));
        assert_eq!(Bsn::parse("9999-90019"), Err(BsnError::NotDigits));
        assert_eq!(Bsn::parse("99999 0019"), Err(BsnError::NotDigits));
        assert_eq!(Bsn::parse("９９９９９００１９"), Err(BsnError::NotDigits));
        assert_eq!(Bsn::parse("-99999001"), Err(BsnError::NotDigits));
    }

    #[test]
    fn never_shows_the_number() {
        let bsn = Bsn::parse("999990019").unwrap();
        assert_eq!(bsn.masked(), "*****0019");
        assert_eq!(bsn.to_string(), "*****0019");
        assert_eq!(format!("{bsn:?}"), "Bsn(*****0019)");
        assert_eq!(format!("{:?}", Some(&bsn)), "Some(Bsn(*****0019))");
        assert!(!format!("{:?}", Bsn::parse("999990018")).contains("99999"));
        assert!(!BsnError::Elfproef.to_string().contains("99999"));
    }

    #[test]
    fn deserializes_with_validation() {
        let bsn: Bsn = serde_json::from_str("\"999990019\"").unwrap();
        assert_eq!(bsn.as_str(), "999990019");
        let err = serde_json::from_str::<Bsn>("\"999990018\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("elfproef"));
        assert!(!err.contains("999990018"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Bsn::parse(&s);
        }

        #[test]
        fn accepted_numbers_pass_the_elfproef(s in "[0-9]{8,9}") {
            if let Ok(bsn) = Bsn::parse(&s) {
                let d: Vec<i32> = bsn.as_str().bytes().map(|b| i32::from(b - b'0')).collect();
                let sum = 9*d[0] + 8*d[1] + 7*d[2] + 6*d[3] + 5*d[4] + 4*d[5] + 3*d[6] + 2*d[7] - d[8];
                prop_assert!(sum != 0 && sum % 11 == 0);
                prop_assert_eq!(bsn.masked(), format!("*****{}", &bsn.as_str()[5..]));
            }
        }
    }
}
