//! The states of an outgoing e-mail (`outbox.status`).

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// `pending` until a worker claims it, `sending` while claimed (until `next_attempt_at`),
/// `sent` when delivered.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "sending")]
    Sending,
    #[sea_orm(string_value = "sent")]
    Sent,
}

impl OutboxStatus {
    pub const ALL: [OutboxStatus; 3] = [
        OutboxStatus::Pending,
        OutboxStatus::Sending,
        OutboxStatus::Sent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
        }
    }

    pub fn parse(text: &str) -> Result<OutboxStatus, String> {
        OutboxStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("onbekende status {text:?} (pending, sending of sent)"))
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "wacht op verzending",
            OutboxStatus::Sending => "wordt verzonden",
            OutboxStatus::Sent => "verzonden",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ActiveEnum, Iterable};

    #[test]
    fn stored_strings_round_trip() {
        for status in OutboxStatus::iter() {
            assert!(OutboxStatus::ALL.contains(&status));
            assert_eq!(OutboxStatus::parse(status.as_str()), Ok(status));
            assert_eq!(status.to_value(), status.as_str());
            assert_eq!(
                OutboxStatus::try_from_value(&status.as_str().into()).ok(),
                Some(status)
            );
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert!(!status.label_nl().is_empty());
        }
        assert_eq!(OutboxStatus::iter().count(), OutboxStatus::ALL.len());
        assert!(OutboxStatus::parse("failed").is_err());
    }
}
