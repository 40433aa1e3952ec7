//! The second factor as the account page shows it.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::error::AppResult;
use crate::store;

/// Whether a user's second factor is on, since when, and how many recovery codes are left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactorStatus {
    pub on_since: Option<DateTime<Utc>>,
    pub recovery_codes_left: u64,
}

pub async fn status(db: &DatabaseConnection, user_id: &str) -> AppResult<SecondFactorStatus> {
    let user = store::users::find_by_id(db, user_id).await?;
    let on_since = user
        .filter(|u| u.totp_secret.is_some())
        .and_then(|u| u.totp_enabled_at);
    let recovery_codes_left = match on_since {
        Some(_) => store::second_factor::recovery_codes_left(db, user_id).await?,
        None => 0,
    };
    Ok(SecondFactorStatus {
        on_since,
        recovery_codes_left,
    })
}
