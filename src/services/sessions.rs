//! Signing in and out of the web pages.

use sea_orm::DatabaseConnection;

use crate::crypto::password::{burn_verification_time, verify_password};
use crate::domain::principal::Principal;
use crate::error::AppResult;
use crate::store;

/// Checks e-mail address and password and opens a session: the principal and the session
/// token for the cookie. None when the address is unknown, the password wrong or the user
/// inactive; an unknown address costs as much time as a wrong password.
pub async fn log_in(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
) -> AppResult<Option<(Principal, String)>> {
    let user = store::users::find_by_email(db, email).await?;
    let principal = match &user {
        Some(user) if verify_password(password, &user.password_hash) => {
            store::users::principal_of(user, None)
        }
        Some(_) => None,
        None => {
            burn_verification_time(password);
            None
        }
    };
    let Some(principal) = principal else {
        return Ok(None);
    };
    let token = store::sessions::create(db, &principal.user_id).await?;
    Ok(Some((principal, token)))
}

/// Ends the session of this cookie token.
pub async fn log_out(db: &DatabaseConnection, token: &str) -> AppResult<()> {
    store::sessions::delete(db, token).await
}
