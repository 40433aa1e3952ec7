//! PATCH fields that can be cleared: an absent field keeps the stored value, `null` clears
//! it, a value sets it. serde reads `null` in an `Option<T>` as absent (`None`), so a plain
//! `Option` cannot tell "keep" from "clear". Put this on the field instead:
//!
//! ```text
//! #[serde(default, deserialize_with = "crate::api::nullable::present")]
//! pub budget_ceiling: Option<Option<String>>,   // None: keep; Some(None): clear
//! ```
//!
//! `default` makes an absent field `None`; a present one, `null` included, is `Some(..)` of
//! what `T` reads from it (`Some(None)` for `Option<_>`, `Some(Value::Null)` for a
//! `serde_json::Value`).

use serde::{Deserialize, Deserializer};

/// Reads a field that is present in the body (its value may be `null`) as `Some`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Patch {
        #[serde(default, deserialize_with = "super::present")]
        ceiling: Option<Option<String>>,
        #[serde(default, deserialize_with = "super::present")]
        raw: Option<serde_json::Value>,
    }

    #[test]
    fn absent_keeps_null_clears_a_value_sets() {
        let absent: Patch = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.ceiling, None);
        assert_eq!(absent.raw, None);
        let null: Patch = serde_json::from_str(r#"{"ceiling": null, "raw": null}"#).unwrap();
        assert_eq!(null.ceiling, Some(None));
        assert_eq!(null.raw, Some(serde_json::Value::Null));
        let set: Patch = serde_json::from_str(r#"{"ceiling": "10.00", "raw": 3}"#).unwrap();
        assert_eq!(set.ceiling, Some(Some("10.00".to_string())));
        assert_eq!(set.raw, Some(serde_json::json!(3)));
    }
}
