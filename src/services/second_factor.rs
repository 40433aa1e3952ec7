//! The second factor for password logins (issue 24): TOTP (RFC 6238: SHA-1, six digits,
//! 30 seconds, the current step ±1) with `totp-rs`, set up with a QR code of its
//! `otpauth://` URI, and ten single-use recovery codes. A code is accepted once: the step it
//! matched must be later than the last accepted one (`store::second_factor::advance_step`,
//! a compare-and-set). Sessions are opened by `services::sessions::open` only after a code
//! passed; nothing here opens one.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde_json::json;
use totp_rs::{Algorithm, Builder, Totp};

use crate::crypto::bsn_vault::BsnVault;
use crate::crypto::password::verify_password;
use crate::crypto::secret::{random_bytes, random_recovery_code, token_hash};
use crate::domain::principal::Principal;
use crate::domain::second_factor::{
    self as rules, normalize_recovery_code, parse_code, AfterPassword, MfaPolicy,
};
use crate::entities::user;
use crate::error::{AppError, AppResult};
use crate::store;

/// The issuer shown in the authenticator app.
pub const ISSUER: &str = "plusmarkt";

/// Why a code was refused. Each has the sentence for the page and the reason for the audit
/// log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not six digits (or, for a recovery code, nothing typed).
    NotACode,
    /// Not the code of the current half minute or the one before or after it.
    Wrong,
    /// A right code that was used already (or a later one was).
    Used,
    /// A recovery code that is not one of the user's unused codes.
    WrongRecoveryCode,
    /// The user's second factor is not on (it was reset meanwhile).
    NotOn,
}

impl Refusal {
    /// What the page says, in words a casemanager understands.
    pub fn message_nl(self) -> &'static str {
        match self {
            Refusal::NotACode => {
                "Dat is geen code: de code bestaat uit zes cijfers. Kijk in uw authenticator-app en probeer het opnieuw."
            }
            Refusal::Wrong => {
                "De code klopt niet of is verlopen. Een code is maar een halve minuut geldig: vul de code in die de app nu laat zien."
            }
            Refusal::Used => {
                "Deze code is al gebruikt. Wacht tot de app een nieuwe code laat zien en vul die in."
            }
            Refusal::WrongRecoveryCode => {
                "Deze herstelcode klopt niet of is al gebruikt. Elke herstelcode werkt maar één keer."
            }
            Refusal::NotOn => {
                "Tweestapsverificatie staat niet (meer) aan voor uw account. Log opnieuw in."
            }
        }
    }

    /// The reason in the audit event of the refused sign-in.
    pub fn audit_reason(self) -> &'static str {
        match self {
            Refusal::NotACode => "code: geen zes cijfers",
            Refusal::Wrong => "code onjuist of verlopen",
            Refusal::Used => "code al gebruikt",
            Refusal::WrongRecoveryCode => "herstelcode onjuist of al gebruikt",
            Refusal::NotOn => "tweestapsverificatie staat niet aan",
        }
    }
}

/// Whether a user's second factor is on.
pub fn is_on(user: &user::Model) -> bool {
    user.totp_enabled_at.is_some() && user.totp_secret.is_some()
}

/// What follows a right password for this user under the policy.
pub fn after_password(policy: MfaPolicy, user: &user::Model) -> AfterPassword {
    rules::after_password(policy, is_on(user))
}

/// The active user a pending sign-in (the password step) is for.
pub async fn pending_user(
    db: &DatabaseConnection,
    user_id: &str,
) -> AppResult<Option<user::Model>> {
    Ok(store::users::find_by_id(db, user_id)
        .await?
        .filter(|u| store::users::principal_of(u, None).is_some()))
}

/// The signed-in user's own row.
pub async fn user_of(db: &DatabaseConnection, who: &Principal) -> AppResult<user::Model> {
    store::users::find_by_id(db, &who.user_id)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// The TOTP of a secret, for this account.
fn totp_of(secret: Vec<u8>, email: &str) -> AppResult<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(rules::DIGITS as u8)
        .with_skew(rules::SKEW as u16)
        .with_step_duration(rules::STEP_SECS as u64)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(email.replace(':', ""))
        .build()
        .map_err(|e| AppError::Internal(format!("TOTP: {e}")))
}

/// What the enrolment page shows: the secret (base32) to type over, and the `otpauth://`
/// URI for the QR code.
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
}

/// A new password step towards setting up: the secret of an enrolment begun before (at an
/// earlier password step, perhaps by someone else who knew the password) is forgotten, so
/// that only this sign-in ever sees the secret it sets up.
pub async fn password_step_for_enrolment(
    db: &DatabaseConnection,
    user: &user::Model,
) -> AppResult<()> {
    store::second_factor::discard_unfinished(db, &user.id).await?;
    Ok(())
}

/// Starts setting up the second factor: a new secret (20 random bytes), stored sealed, or
/// the one of the enrolment under way (so a reload shows the same QR code).
pub async fn start_enrolment(
    db: &DatabaseConnection,
    vault: &BsnVault,
    user: &user::Model,
) -> AppResult<Enrolment> {
    let already_on = || AppError::Conflict("tweestapsverificatie staat al aan".into());
    if is_on(user) {
        return Err(already_on());
    }
    let secret = match &user.totp_secret {
        Some(sealed) => vault.decrypt_secret(sealed)?,
        None => {
            let secret = random_bytes::<20>().to_vec();
            let sealed = vault.encrypt_secret(&secret)?;
            if store::second_factor::set_pending_secret(db, &user.id, &sealed).await? {
                secret
            } else {
                // Another request (a second tab) began first: show its secret.
                let now = store::users::find_by_id(db, &user.id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                match (&now.totp_secret, is_on(&now)) {
                    (Some(sealed), false) => vault.decrypt_secret(sealed)?,
                    _ => return Err(already_on()),
                }
            }
        }
    };
    let totp = totp_of(secret, &user.email)?;
    Ok(Enrolment {
        secret: totp.secret().to_base32(),
        uri: totp
            .to_url()
            .map_err(|e| AppError::Internal(format!("TOTP: {e}")))?,
    })
}

/// The step of a right code at `now` for this sealed secret, if it is right.
fn matching_step(
    vault: &BsnVault,
    sealed: &str,
    email: &str,
    code: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<i64>> {
    let totp = totp_of(vault.decrypt_secret(sealed)?, email)?;
    let Ok(time) = u64::try_from(now.timestamp()) else {
        return Ok(None);
    };
    Ok(totp
        .check(code, time)
        .and_then(|step| i64::try_from(step).ok())
        .filter(|step| rules::accepted_steps(now).contains(step)))
}

/// Finishes setting up: a right code from the app switches the second factor on and
/// returns the ten recovery codes (shown once; only their hashes are kept). Audited as
/// `user.totp_enrol`.
pub async fn finish_enrolment(
    db: &DatabaseConnection,
    vault: &BsnVault,
    now: DateTime<Utc>,
    user: &user::Model,
    code: &str,
) -> AppResult<Result<Vec<String>, Refusal>> {
    let Ok(code) = parse_code(code) else {
        return Ok(Err(Refusal::NotACode));
    };
    let Some(sealed) = user.totp_secret.as_deref().filter(|_| !is_on(user)) else {
        return Ok(Err(Refusal::NotOn));
    };
    let Some(step) = matching_step(vault, sealed, &user.email, &code, now)? else {
        return Ok(Err(Refusal::Wrong));
    };
    let codes: Vec<String> = (0..rules::RECOVERY_CODES)
        .map(|_| random_recovery_code())
        .collect();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| token_hash(&normalize_recovery_code(c)))
        .collect();
    let actor =
        store::users::principal_of(user, None).unwrap_or_else(|| Principal::system("aanmelding"));
    let txn = store::db::begin_write(db).await?;
    if !store::second_factor::enable(&txn, &user.id, sealed, step, now).await? {
        // Another request finished (or restarted) this enrolment meanwhile.
        return Ok(Err(Refusal::Used));
    }
    store::second_factor::replace_recovery_codes(&txn, &user.id, &hashes, now).await?;
    store::audit::append(
        &txn,
        &actor,
        "user.totp_enrol",
        "user",
        &user.id,
        None,
        Some(json!({"email": user.email, "recovery_codes": codes.len()})),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(codes))
}

/// Checks a code from the app at `now` and accepts it once.
pub async fn check_code(
    db: &DatabaseConnection,
    vault: &BsnVault,
    now: DateTime<Utc>,
    user: &user::Model,
    code: &str,
) -> AppResult<Result<(), Refusal>> {
    let Some(sealed) = user.totp_secret.as_deref().filter(|_| is_on(user)) else {
        return Ok(Err(Refusal::NotOn));
    };
    let Ok(code) = parse_code(code) else {
        return Ok(Err(Refusal::NotACode));
    };
    let Some(step) = matching_step(vault, sealed, &user.email, &code, now)? else {
        return Ok(Err(Refusal::Wrong));
    };
    Ok(
        if store::second_factor::advance_step(db, &user.id, step).await? {
            Ok(())
        } else {
            Err(Refusal::Used)
        },
    )
}

/// Uses one of the user's recovery codes (once); returns how many are left.
pub async fn use_recovery_code(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    user: &user::Model,
    code: &str,
) -> AppResult<Result<u64, Refusal>> {
    if !is_on(user) {
        return Ok(Err(Refusal::NotOn));
    }
    let code = normalize_recovery_code(code);
    if code.is_empty() {
        return Ok(Err(Refusal::NotACode));
    }
    if !store::second_factor::use_recovery_code(db, &user.id, &token_hash(&code), now).await? {
        return Ok(Err(Refusal::WrongRecoveryCode));
    }
    Ok(Ok(
        store::second_factor::recovery_codes_left(db, &user.id).await?
    ))
}

/// Switches the signed-in user's own second factor off, with their password (field
/// `password`). Only where it is optional. Audited as `user.totp_disable`.
pub async fn disable(
    db: &DatabaseConnection,
    policy: MfaPolicy,
    who: &Principal,
    password: &str,
) -> AppResult<()> {
    if policy == MfaPolicy::Required {
        return Err(AppError::Conflict(
            "tweestapsverificatie is verplicht en kan niet uit; een beheerder kan haar opnieuw laten instellen".into(),
        ));
    }
    let user = user_of(db, who).await?;
    if !verify_password(password, &user.password_hash) {
        return Err(AppError::field("password", "het wachtwoord klopt niet"));
    }
    let txn = store::db::begin_write(db).await?;
    let codes = store::second_factor::clear(&txn, &user.id).await?;
    store::audit::append(
        &txn,
        who,
        "user.totp_disable",
        "user",
        &user.id,
        None,
        Some(json!({"email": user.email, "recovery_codes_removed": codes})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What `plusmarkt user reset-2fa` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetReport {
    pub email: String,
    /// Whether the second factor was on (or an enrolment was started).
    pub had_second_factor: bool,
    pub recovery_codes_removed: u64,
    pub sessions_ended: u64,
}

/// Removes a user's second factor (a lost phone): the secret, the last step and the
/// recovery codes, and ends the user's sessions; the next password login sets it up anew
/// (where it is required). Audited as `user.totp_reset`. An unknown address is `NotFound`.
pub async fn reset(
    db: &DatabaseConnection,
    actor: &Principal,
    email: &str,
) -> AppResult<ResetReport> {
    let user = store::users::find_by_email(db, email)
        .await?
        .ok_or(AppError::NotFound)?;
    let txn = store::db::begin_write(db).await?;
    let recovery_codes_removed = store::second_factor::clear(&txn, &user.id).await?;
    let sessions_ended = store::sessions::delete_for_user(&txn, &user.id, None).await?;
    let report = ResetReport {
        email: user.email.clone(),
        had_second_factor: user.totp_secret.is_some(),
        recovery_codes_removed,
        sessions_ended,
    };
    store::audit::append(
        &txn,
        actor,
        "user.totp_reset",
        "user",
        &user.id,
        None,
        Some(json!({
            "email": report.email,
            "had_second_factor": report.had_second_factor,
            "recovery_codes_removed": recovery_codes_removed,
            "sessions_ended": sessions_ended,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}
