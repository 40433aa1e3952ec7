//! The second factor's pure rules: when a password login needs it, what a one-time code
//! looks like, the time steps a code may come from, and what a recovery code looks like.

use chrono::{DateTime, Utc};

/// Seconds per TOTP time step (what authenticator apps use).
pub const STEP_SECS: i64 = 30;
/// Digits of a one-time code.
pub const DIGITS: usize = 6;
/// Steps before and after the current one whose code is still accepted (clock drift, a
/// code typed as it changed): one, and no more.
pub const SKEW: i64 = 1;
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Minutes between the password step and the code: after this the password step is over.
pub const PENDING_MINUTES: i64 = 5;

/// `PLUSMARKT_MFA`: whether a password login must pass a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaPolicy {
    /// Every password login asks for a code; a user without a second factor sets it up first.
    Required,
    /// Only users who set up a second factor are asked for a code.
    Optional,
}

impl MfaPolicy {
    pub fn parse(text: &str) -> Option<MfaPolicy> {
        match text.trim() {
            "required" => Some(MfaPolicy::Required),
            "optional" => Some(MfaPolicy::Optional),
            _ => None,
        }
    }
}

/// What comes after a right password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPassword {
    /// No second factor asked: the session opens.
    SignIn,
    /// The code from the authenticator app.
    Code,
    /// The second factor must be set up first (required, not set up yet).
    Enrol,
}

/// What follows a right password, for a user whose second factor is on or not.
pub fn after_password(policy: MfaPolicy, enabled: bool) -> AfterPassword {
    match (enabled, policy) {
        (true, _) => AfterPassword::Code,
        (false, MfaPolicy::Required) => AfterPassword::Enrol,
        (false, MfaPolicy::Optional) => AfterPassword::SignIn,
    }
}

/// Why a typed one-time code cannot be a code at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotACode;

/// A one-time code as typed: six digits, spaces allowed ("123 456").
pub fn parse_code(input: &str) -> Result<String, NotACode> {
    let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() == DIGITS && code.chars().all(|c| c.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(NotACode)
    }
}

/// The time step of an instant.
pub fn step_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECS)
}

/// The steps whose code is accepted at `now`: the current one and [`SKEW`] either side,
/// the current one first.
pub fn accepted_steps(now: DateTime<Utc>) -> Vec<i64> {
    let current = step_of(now);
    let mut steps = vec![current];
    for d in 1..=SKEW {
        steps.push(current - d);
        steps.push(current + d);
    }
    steps
}

/// A recovery code as typed, as it is hashed: lower case, without spaces and dashes.
pub fn normalize_recovery_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A secret (base32) as shown for typing over: groups of four, "ABCD EFGH …".
pub fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_six_digits_spaces_allowed() {
        assert_eq!(parse_code(" 123 456 "), Ok("123456".into()));
        assert_eq!(parse_code("12345"), Err(NotACode));
        assert_eq!(parse_code("1234567"), Err(NotACode));
        assert_eq!(parse_code("12a456"), Err(NotACode));
        assert_eq!(parse_code("١٢٣٤٥٦"), Err(NotACode), "ASCII digits only");
    }

    #[test]
    fn the_current_step_and_one_either_side() {
        let now = DateTime::from_timestamp(1_000_000_015, 0).unwrap();
        assert_eq!(step_of(now), 33_333_333);
        assert_eq!(
            accepted_steps(now),
            vec![33_333_333, 33_333_332, 33_333_334]
        );
    }

    #[test]
    fn what_follows_the_password() {
        use AfterPassword::*;
        assert_eq!(after_password(MfaPolicy::Required, false), Enrol);
        assert_eq!(after_password(MfaPolicy::Required, true), Code);
        assert_eq!(after_password(MfaPolicy::Optional, true), Code);
        assert_eq!(after_password(MfaPolicy::Optional, false), SignIn);
        assert_eq!(MfaPolicy::parse("optional"), Some(MfaPolicy::Optional));
        assert_eq!(MfaPolicy::parse("verplicht"), None);
    }

    #[test]
    fn recovery_codes_and_secrets_as_typed_and_shown() {
        assert_eq!(normalize_recovery_code(" AB2C-de3f "), "ab2cde3f");
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
