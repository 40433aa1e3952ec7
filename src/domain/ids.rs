//! Codes with a fixed shape ([`MunicipalityCode`], [`ProductCode`]), validated on parsing and
//! on deserialising. (Record ids stay opaque strings made by the store.)

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::money::echo;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("geen geldige gemeentecode: {0} (GM en 4 cijfers, bijvoorbeeld GM0757)")]
    Municipality(String),
    #[error("geen geldige productcode: {0} (hoofdletters en cijfers in delen met '-', beginnend met een hoofdletter, hoogstens 40 tekens, bijvoorbeeld REI-WERKFIT)")]
    Product(String),
}

/// A CBS municipality code: "GM" and four digits, e.g. "GM0757".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    /// Parses `^GM\d{4}$` (surrounding whitespace ignored; case matters).
    pub fn parse(input: &str) -> Result<MunicipalityCode, CodeError> {
        let s = input.trim();
        let b = s.as_bytes();
        if b.len() == 6 && b.starts_with(b"GM") && b[2..].iter().all(u8::is_ascii_digit) {
            Ok(MunicipalityCode(s.to_string()))
        } else {
            Err(CodeError::Municipality(echo(s)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product code: `^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$`, at most 40 characters, e.g. "JC-INTAKE".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductCode(String);

impl ProductCode {
    pub const MAX_LEN: usize = 40;

    /// Parses a product code (surrounding whitespace ignored; case matters).
    pub fn parse(input: &str) -> Result<ProductCode, CodeError> {
        let s = input.trim();
        let upper_or_digit = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit();
        let valid = s.len() <= Self::MAX_LEN
            && s.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            // Splitting on '-' yields empty parts exactly for a leading, trailing or double '-'.
            && s.split('-').all(|part| !part.is_empty() && part.as_bytes().iter().all(upper_or_digit));
        if valid {
            Ok(ProductCode(s.to_string()))
        } else {
            Err(CodeError::Product(echo(s)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! code_impls {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = CodeError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

code_impls!(MunicipalityCode);
code_impls!(ProductCode);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn municipality_codes() {
        assert_eq!(
            MunicipalityCode::parse("GM0757").unwrap().as_str(),
            "GM0757"
        );
        assert_eq!(
            MunicipalityCode::parse(" GM0363 ").unwrap().to_string(),
            "GM0363"
        );
        for bad in [
            "gm0757",
            "GM757",
            "GM07570",
            "GMabcd",
            "XX0757",
            "",
            "GM０７５７",
        ] {
            assert!(MunicipalityCode::parse(bad).is_err(), "{bad}");
        }
        let code: MunicipalityCode = serde_json::from_str("\"GM0757\"").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"GM0757\"");
        assert!(serde_json::from_str::<MunicipalityCode>("\"GM07\"").is_err());
    }

    #[test]
    fn product_codes() {
        for good in ["JC-INTAKE", "A", "WERK2-FIT-3", "X1", "AB-1-2-3"] {
            assert_eq!(ProductCode::parse(good).unwrap().as_str(), good);
        }
        let forty = format!("A{}", "B".repeat(39));
        assert!(ProductCode::parse(&forty).is_ok());
        let forty_one = format!("A{}", "B".repeat(40));
        for bad in [
            "",
            "1ABC",
            "-AB",
            "AB-",
            "AB--CD",
            "ab",
            "AB_CD",
            "AB CD",
            "ÄB",
            forty_one.as_str(),
        ] {
            assert!(ProductCode::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<ProductCode>("\"jc\"").is_err());
        assert_eq!(
            ProductCode::parse("x").unwrap_err().to_string(),
            "geen geldige productcode: x (hoofdletters en cijfers in delen met '-', beginnend met een hoofdletter, hoogstens 40 tekens, bijvoorbeeld REI-WERKFIT)"
        );
    }

    proptest! {
        #[test]
        fn code_parsers_never_panic(s in "\\PC*") {
            let _ = MunicipalityCode::parse(&s);
            let _ = ProductCode::parse(&s);
        }

        #[test]
        fn product_code_shape(s in "[A-Z][A-Z0-9]{0,5}(-[A-Z0-9]{1,5}){0,4}") {
            prop_assert!(ProductCode::parse(&s).is_ok());
        }
    }
}
