//! Signing in and out of the web pages: every session is opened here, with its audit event,
//! whichever way the user proved who they are (password, second factor, sign-on).

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::crypto::password::{burn_verification_time, verify_password};
use crate::domain::principal::Principal;
use crate::entities::user;
use crate::error::AppResult;
use crate::store;

/// How a user proved who they are, as recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInMethod {
    /// E-mail address and password (no second factor asked).
    Password,
    /// Password and a one-time code from the authenticator app.
    SecondFactor,
    /// Password and one of the recovery codes.
    RecoveryCode,
    /// The organisation's identity provider; `amr` as it said (its second factor is its
    /// business).
    Oidc { issuer: String, amr: Vec<String> },
}

impl SignInMethod {
    /// The method as stored in the audit event.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            SignInMethod::Password => json!({"method": "password"}),
            SignInMethod::SecondFactor => json!({"method": "password+totp"}),
            SignInMethod::RecoveryCode => json!({"method": "password+recovery_code"}),
            SignInMethod::Oidc { issuer, amr } => {
                json!({"method": "oidc", "issuer": issuer, "amr": amr})
            }
        }
    }
}

/// Audit actor of a sign-in attempt that matched no user.
fn sign_in_desk() -> Principal {
    Principal::system("aanmelding")
}

/// The user with this e-mail address and password, if both are right and the user is
/// active. An unknown address costs as much time as a wrong password. Opens no session:
/// the caller asks for the second factor first where it must, then calls [`open`].
pub async fn check_password(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
) -> AppResult<Option<user::Model>> {
    let found = store::users::find_by_email(db, email).await?;
    Ok(match found {
        Some(user)
            if verify_password(password, &user.password_hash)
                && store::users::principal_of(&user, None).is_some() =>
        {
            Some(user)
        }
        Some(_) => None,
        None => {
            burn_verification_time(password);
            None
        }
    })
}

/// Opens a session for a user who has signed in and records the sign-in in the audit log;
/// returns the token for the cookie. A session this browser still had (`replacing`, the
/// token of its cookie) ends: a new id at every sign-in, so no one can plant one.
pub async fn open(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    user: &user::Model,
    method: &SignInMethod,
    replacing: Option<&str>,
) -> AppResult<String> {
    let actor = store::users::principal_of(user, None).unwrap_or_else(sign_in_desk);
    let txn = store::db::begin_write(db).await?;
    if let Some(old) = replacing {
        store::sessions::delete(&txn, old).await?;
    }
    store::sessions::delete_ended_for_user(&txn, &user.id, now).await?;
    let token = store::sessions::create(&txn, &user.id, now).await?;
    store::audit::append(
        &txn,
        &actor,
        "user.sign_in",
        "user",
        &user.id,
        None,
        Some(method.to_json()),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// Records a refused sign-in in the audit log: who it was for (the address typed or the
/// identity provider's, when there was one), how, and why it was refused.
pub async fn record_failure(
    db: &DatabaseConnection,
    email: Option<&str>,
    method: &SignInMethod,
    reason: &str,
) -> AppResult<()> {
    // An address typed into the form is at most an address long in the log.
    let email: Option<String> = email.map(|e| e.chars().take(254).collect());
    let known = match &email {
        Some(address) => store::users::find_by_email(db, address).await?,
        None => None,
    };
    let mut details = method.to_json();
    details["email"] = json!(email);
    details["reason"] = json!(reason);
    let txn = store::db::begin_write(db).await?;
    store::audit::append(
        &txn,
        &sign_in_desk(),
        "user.sign_in_failed",
        "user",
        known.as_ref().map(|u| u.id.as_str()).unwrap_or("-"),
        None,
        Some(details),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Ends the session of this cookie token.
pub async fn log_out(db: &DatabaseConnection, token: &str) -> AppResult<()> {
    store::sessions::delete(db, token).await?;
    Ok(())
}

/// Ends every session of the signed-in user, this one included ("overal uitloggen"), and
/// records it. Returns how many sessions ended.
pub async fn log_out_everywhere(db: &DatabaseConnection, who: &Principal) -> AppResult<u64> {
    let txn = store::db::begin_write(db).await?;
    let ended = store::sessions::delete_for_user(&txn, &who.user_id, None).await?;
    store::audit::append(
        &txn,
        who,
        "user.sign_out_everywhere",
        "user",
        &who.user_id,
        None,
        Some(json!({"sessions_ended": ended})),
    )
    .await?;
    txn.commit().await?;
    Ok(ended)
}
