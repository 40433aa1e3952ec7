//! Providers (aanbieders) of the marketplace: their status and the identity they sell
//! under, validated field by field so that an error names the field.

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

use crate::domain::email::Email;
use crate::domain::money::echo;

/// The provider every record made before the marketplace belongs to.
pub const WSD: &str = "WSD";

/// `providers.status`: a suspended provider keeps its running trajectories and invoices
/// but takes no new orders.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    EnumIter,
    DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ProviderStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "suspended")]
    Suspended,
}

impl ProviderStatus {
    pub fn label_nl(self) -> &'static str {
        match self {
            ProviderStatus::Active => "toegelaten",
            ProviderStatus::Suspended => "geschorst",
        }
    }

    pub fn parse(text: &str) -> Result<ProviderStatus, String> {
        match text.trim() {
            "active" => Ok(ProviderStatus::Active),
            "suspended" => Ok(ProviderStatus::Suspended),
            other => Err(format!(
                "status moet active of suspended zijn, niet {}",
                echo(other)
            )),
        }
    }
}

/// A field of a provider and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn field_error(field: &'static str, message: String) -> FieldError {
    FieldError { field, message }
}

/// A provider code: 2–20 capitals and digits, starting with a capital (`WSD`, `WERKPAD`).
pub fn parse_code(input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    let ok = (2..=20).contains(&s.len())
        && s.as_bytes()[0].is_ascii_uppercase()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(s.to_string())
    } else {
        Err(field_error(
            "code",
            format!(
                "geen geldige aanbiedercode: {} (2 tot 20 hoofdletters en cijfers, bijvoorbeeld WERKPAD)",
                echo(s)
            ),
        ))
    }
}

/// A KvK number: exactly 8 digits.
pub fn parse_kvk(input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(field_error(
            "kvk",
            format!(
                "geen geldig KvK-nummer: {} (8 cijfers, bijvoorbeeld 12345678)",
                echo(s)
            ),
        ))
    }
}

/// A VAT identification number: a two-letter country prefix and 2–13 letters or digits;
/// a Dutch one is `NL`, 9 digits, `B` and 2 digits.
pub fn parse_vat_number(input: &str) -> Result<String, FieldError> {
    let s: String = input.split_whitespace().collect::<String>().to_uppercase();
    let b = s.as_bytes();
    let shaped = b.len() >= 4
        && b.len() <= 15
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..].iter().all(u8::is_ascii_alphanumeric);
    let dutch_ok = !s.starts_with("NL")
        || (b.len() == 14
            && b[2..11].iter().all(u8::is_ascii_digit)
            && b[11] == b'B'
            && b[12..].iter().all(u8::is_ascii_digit));
    if shaped && dutch_ok {
        Ok(s)
    } else {
        Err(field_error(
            "vat_number",
            format!(
                "geen geldig btw-identificatienummer: {} (bijvoorbeeld NL123456789B01)",
                echo(input.trim())
            ),
        ))
    }
}

/// An IBAN: country, check digits and account, with the ISO 13616 mod-97 check. Spaces
/// are allowed on input and removed.
pub fn parse_iban(input: &str) -> Result<String, FieldError> {
    let s: String = input.split_whitespace().collect::<String>().to_uppercase();
    let b = s.as_bytes();
    let shaped = (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphanumeric);
    if shaped && iban_checksum_ok(&s) {
        Ok(s)
    } else {
        Err(field_error(
            "iban",
            format!(
                "geen geldig IBAN: {} (landcode, twee controlecijfers en rekeningnummer, bijvoorbeeld NL91ABNA0417164300)",
                echo(input.trim())
            ),
        ))
    }
}

fn iban_checksum_ok(iban: &str) -> bool {
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        // Letters count as two digits (A = 10 … Z = 35).
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// A Peppol participant id: a 4-digit ICD scheme (0106 is the KvK, 0190 the OIN) and an id.
pub fn parse_peppol(scheme: &str, id: &str) -> Result<(String, String), FieldError> {
    let scheme = scheme.trim();
    let id = id.trim();
    if scheme.len() != 4 || !scheme.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_error(
            "peppol_id.scheme",
            format!(
                "geen geldig Peppol-schema: {} (4 cijfers, bijvoorbeeld 0106 voor een KvK-nummer)",
                echo(scheme)
            ),
        ));
    }
    if id.is_empty() || id.len() > 50 || id.chars().any(char::is_whitespace) {
        return Err(field_error(
            "peppol_id.id",
            format!(
                "geen geldige Peppol-id: {} (zonder spaties, bijvoorbeeld het KvK-nummer)",
                echo(id)
            ),
        ));
    }
    Ok((scheme.to_string(), id.to_string()))
}

/// A required line of text (name, street, city), at most 200 characters.
pub fn parse_text(field: &'static str, input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
        Err(field_error(
            field,
            "is verplicht: één regel tekst van hoogstens 200 tekens".into(),
        ))
    } else {
        Ok(s.to_string())
    }
}

pub fn parse_email(field: &'static str, input: &str) -> Result<String, FieldError> {
    Email::parse(input)
        .map(|e| e.as_str().to_string())
        .map_err(|message| field_error(field, message))
}

/// A Dutch postcode, `1234 AB` (the space is added when missing).
pub fn parse_postcode(input: &str) -> Result<String, FieldError> {
    let s: String = input.split_whitespace().collect::<String>().to_uppercase();
    let b = s.as_bytes();
    if b.len() == 6
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_uppercase)
    {
        Ok(format!("{} {}", &s[..4], &s[4..]))
    } else {
        Err(field_error(
            "postcode",
            format!(
                "geen geldige postcode: {} (bijvoorbeeld 5281 RN)",
                echo(input.trim())
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_kvk_and_vat_numbers_are_checked_by_shape() {
        assert_eq!(parse_code(" WERKPAD ").unwrap(), "WERKPAD");
        for bad in [
            "",
            "W",
            "werkpad",
            "WERK-PAD",
            "9WSD",
            "ABCDEFGHIJKLMNOPQRSTU",
        ] {
            assert_eq!(parse_code(bad).unwrap_err().field, "code", "{bad}");
        }
        assert_eq!(parse_kvk("12345678").unwrap(), "12345678");
        for bad in ["1234567", "123456789", "1234567a"] {
            assert!(parse_kvk(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_vat_number("nl 123456789 b01").unwrap(),
            "NL123456789B01"
        );
        assert_eq!(parse_vat_number("BE0123456789").unwrap(), "BE0123456789");
        for bad in ["NL12345678B01", "NL123456789X01", "12", "N1234"] {
            assert!(parse_vat_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ibans_pass_the_mod_97_check() {
        assert_eq!(
            parse_iban("NL91 ABNA 0417 1643 00").unwrap(),
            "NL91ABNA0417164300"
        );
        assert_eq!(
            parse_iban("DE89370400440532013000").unwrap(),
            "DE89370400440532013000"
        );
        // One digit changed: the check digits no longer match.
        assert_eq!(parse_iban("NL91ABNA0417164301").unwrap_err().field, "iban");
        assert!(parse_iban("NL91").is_err());
        assert!(parse_iban("NL91ABNA04171643€0").is_err());
    }

    #[test]
    fn peppol_ids_postcodes_and_statuses() {
        assert_eq!(
            parse_peppol("0106", "12345678").unwrap(),
            ("0106".to_string(), "12345678".to_string())
        );
        assert_eq!(
            parse_peppol("106", "1").unwrap_err().field,
            "peppol_id.scheme"
        );
        assert_eq!(
            parse_peppol("0106", "12 34").unwrap_err().field,
            "peppol_id.id"
        );
        assert_eq!(parse_postcode("5281rn").unwrap(), "5281 RN");
        assert!(parse_postcode("528 RN").is_err());
        assert_eq!(
            ProviderStatus::parse("suspended"),
            Ok(ProviderStatus::Suspended)
        );
        assert!(ProviderStatus::parse("closed").is_err());
        assert!(parse_text("name", "  ").is_err());
    }
}
