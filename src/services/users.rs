//! Adding and managing users (role, binding, deactivation), passwords (a one-time reset
//! link an administrator sends, and changing one's own) and API tokens.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::crypto::password::{hash_password, verify_password};
use crate::domain::clock::Clock;
use crate::domain::email::Email;
use crate::domain::principal::Principal;
use crate::domain::role::Role;
use crate::entities::user;
use crate::error::{AppError, AppResult, FieldError};
use crate::store;

/// Creates a user after checking every field; nothing is written when one is wrong. A
/// pricing, finance or provider_staff user is bound to `provider` (required, and it must
/// exist); other roles take none.
#[allow(clippy::too_many_arguments)]
pub async fn add_user(
    db: &DatabaseConnection,
    actor: &Principal,
    email: &str,
    name: &str,
    role: &str,
    municipality: Option<String>,
    provider: Option<String>,
    password: &str,
) -> AppResult<user::Model> {
    let mut errors = Vec::new();
    let email = Email::parse(email)
        .map_err(|m| errors.push(FieldError::new("email", m)))
        .ok();
    let role = Role::parse(role)
        .map_err(|m| errors.push(FieldError::new("role", m)))
        .ok();
    let hash = match hash_password(password) {
        Ok(hash) => Some(hash),
        Err(e) => {
            errors.extend(e.field_errors().iter().cloned());
            None
        }
    };
    let (Some(email), Some(role), Some(password_hash)) = (email, role, hash) else {
        return Err(AppError::validation(
            "gebruiker kan niet worden aangemaakt",
            errors,
        ));
    };
    let txn = store::db::begin_write(db).await?;
    let user = store::users::create(
        &txn,
        actor,
        store::users::NewUser {
            email,
            name: name.to_string(),
            role,
            municipality,
            provider: provider
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty()),
            password_hash,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// The longest expiry a token can be given, in days (ten years).
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// Makes an API token for a user; returns the token, shown once. With `expires_in_days`
/// (1 to [`MAX_TOKEN_DAYS`]) it is refused that many days from now.
pub async fn add_token(
    db: &DatabaseConnection,
    actor: &Principal,
    email: &str,
    label: &str,
    expires_in_days: Option<u32>,
) -> AppResult<String> {
    let label = label.trim();
    if label.is_empty() {
        return Err(AppError::field(
            "label",
            "geef het token een naam (label), bijvoorbeeld de naam van de koppeling",
        ));
    }
    if let Some(days) = expires_in_days {
        if days == 0 || days > MAX_TOKEN_DAYS {
            return Err(AppError::field(
                "expires_in_days",
                format!(
                    "het aantal dagen tot het token verloopt moet tussen 1 en {MAX_TOKEN_DAYS} liggen"
                ),
            ));
        }
    }
    let txn = store::db::begin_write(db).await?;
    let owner = store::users::find_by_email(&txn, email)
        .await?
        .ok_or_else(|| {
            AppError::field("email", format!("geen gebruiker met e-mailadres {email}"))
        })?;
    let token = store::tokens::create(&txn, actor, &owner, label, expires_in_days).await?;
    txn.commit().await?;
    Ok(token)
}

/// Revokes an API token: the principal's own, or any for an administrator; someone
/// else's is 404, as an unknown one. The token gets 401 from this commit on, on every
/// server. Audited as `api_token.revoke`.
pub async fn revoke_token(
    db: &DatabaseConnection,
    actor: &Principal,
    clock: &Clock,
    id: &str,
) -> AppResult<store::tokens::TokenInfo> {
    let txn = store::db::begin_write(db).await?;
    let token = store::tokens::revoke(&txn, actor, id, clock.now()).await?;
    txn.commit().await?;
    Ok(token)
}

/// A change an administrator makes to a user. `None` keeps what is there; for the binding,
/// `Some(None)` clears it. When the role changes and a binding is not given, a binding the
/// new role does not take is cleared with it (an admin has neither).
#[derive(Debug, Default, Clone)]
pub struct UserUpdate {
    pub role: Option<String>,
    pub municipality: Option<Option<String>>,
    pub provider: Option<Option<String>>,
    pub active: Option<bool>,
}

fn given(code: Option<String>) -> Option<String> {
    code.map(|c| c.trim().to_string()).filter(|c| !c.is_empty())
}

/// Changes a user's role, binding or status, with the binding rule of `add_user`.
/// Deactivating ends the user's sessions at once (its API tokens fail from then on, as the
/// guards admit only active users). An administrator cannot deactivate or demote
/// themselves, and the last active administrator stays (409). Audited as `user.update`.
pub async fn update_user(
    db: &DatabaseConnection,
    actor: &Principal,
    id: &str,
    update: UserUpdate,
) -> AppResult<user::Model> {
    let txn = store::db::begin_write(db).await?;
    let before = store::users::find_by_id(&txn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let role = match &update.role {
        Some(text) => Role::parse(text.trim()).map_err(|m| AppError::field("role", m))?,
        None => before.role,
    };
    let role_changed = role != before.role;
    let municipality = match update.municipality {
        Some(code) => given(code),
        None if role_changed && !role.needs_municipality() => None,
        None => before.municipality_code.clone(),
    };
    let provider = match update.provider {
        Some(code) => given(code),
        None if role_changed && !role.needs_provider() => None,
        None => before.provider_code.clone(),
    };
    let active = update.active.unwrap_or(before.active);
    if actor.user_id == before.id {
        if !active {
            return Err(AppError::Conflict(
                "u kunt uw eigen account niet deactiveren; laat dat een andere beheerder doen"
                    .into(),
            ));
        }
        if role != Role::Admin {
            return Err(AppError::Conflict(
                "u kunt uw eigen rol van beheerder niet afnemen; laat dat een andere beheerder doen"
                    .into(),
            ));
        }
    }
    let stays_admin = role == Role::Admin && active;
    if before.role == Role::Admin
        && before.active
        && !stays_admin
        && store::users::active_admins(&txn).await? <= 1
    {
        return Err(AppError::Conflict(format!(
            "{} is de laatste actieve beheerder en blijft beheerder",
            before.email
        )));
    }
    let errors =
        store::users::check_binding(&txn, role, municipality.as_deref(), provider.as_deref())
            .await?;
    if !errors.is_empty() {
        return Err(AppError::validation(
            "gebruiker kan niet worden gewijzigd",
            errors,
        ));
    }
    let after = store::users::update(
        &txn,
        actor,
        &before,
        store::users::UserChange {
            role,
            municipality,
            provider,
            active,
        },
    )
    .await?;
    if before.active && !after.active {
        store::sessions::delete_for_user(&txn, &after.id, None).await?;
    }
    txn.commit().await?;
    Ok(after)
}

/// Sends a user a one-time link to choose a new password (valid for
/// `store::password_resets::RESET_HOURS`), through the outbox in the same transaction;
/// earlier links stop working. The link is `<public_url>/wachtwoord-herstellen/<token>`.
/// Returns the link's expiry. Audited as `user.password_reset_sent`.
pub async fn send_password_reset(
    db: &DatabaseConnection,
    actor: &Principal,
    clock: &Clock,
    public_url: &str,
    id: &str,
) -> AppResult<DateTime<Utc>> {
    let txn = store::db::begin_write(db).await?;
    let user = store::users::find_by_id(&txn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.active {
        return Err(AppError::Conflict(format!(
            "{} is gedeactiveerd; activeer de gebruiker eerst weer",
            user.email
        )));
    }
    let now = clock.now();
    let (token, expires_at) =
        store::password_resets::create(&txn, &user.id, &actor.user_id, now).await?;
    let link = format!(
        "{}/wachtwoord-herstellen/{token}",
        public_url.trim_end_matches('/')
    );
    let local = expires_at.with_timezone(&chrono::Local);
    let until = format!(
        "{} {}",
        crate::domain::period::format_date_nl(local.date_naive()),
        local.format("%H:%M")
    );
    crate::mail::enqueue(
        &txn,
        crate::mail::messages::password_reset_message(
            &user.email,
            &user.name,
            &user.id,
            &link,
            &until,
        ),
    )
    .await?;
    store::audit::append(
        &txn,
        actor,
        "user.password_reset_sent",
        "user",
        &user.id,
        None,
        Some(serde_json::json!({"email": user.email, "expires_at": expires_at})),
    )
    .await?;
    txn.commit().await?;
    Ok(expires_at)
}

/// Why a reset link does not work (any more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetLinkProblem {
    Unknown,
    Used,
    Expired,
    Inactive,
}

impl ResetLinkProblem {
    /// What the page says.
    pub fn message_nl(self) -> &'static str {
        match self {
            ResetLinkProblem::Unknown => {
                "Deze link om een wachtwoord te kiezen bestaat niet. Controleer of u de hele link uit de e-mail gebruikt, of vraag de beheerder om een nieuwe."
            }
            ResetLinkProblem::Used => {
                "Deze link is al gebruikt: hij werkt maar één keer. Log in met uw nieuwe wachtwoord, of vraag de beheerder om een nieuwe link."
            }
            ResetLinkProblem::Expired => {
                "Deze link is verlopen. Vraag de beheerder om een nieuwe link."
            }
            ResetLinkProblem::Inactive => {
                "Dit account is gedeactiveerd. Neem contact op met de beheerder."
            }
        }
    }
}

/// The user a reset link is for, or why it does not work.
pub async fn reset_link_user(
    db: &DatabaseConnection,
    clock: &Clock,
    token: &str,
) -> AppResult<Result<user::Model, ResetLinkProblem>> {
    let Some(reset) = store::password_resets::find(db, token).await? else {
        return Ok(Err(ResetLinkProblem::Unknown));
    };
    if reset.used_at.is_some() {
        return Ok(Err(ResetLinkProblem::Used));
    }
    if reset.expires_at <= clock.now() {
        return Ok(Err(ResetLinkProblem::Expired));
    }
    match store::users::find_by_id(db, &reset.user_id).await? {
        Some(user) if user.active => Ok(Ok(user)),
        _ => Ok(Err(ResetLinkProblem::Inactive)),
    }
}

/// Sets a new password through a reset link: the strength rule of every password (a weak
/// one is refused at field `password` and leaves the link unused), then the link is spent
/// and all the user's sessions end. Audited as `user.password_reset`, by the user.
pub async fn reset_password(
    db: &DatabaseConnection,
    clock: &Clock,
    token: &str,
    password: &str,
) -> AppResult<Result<user::Model, ResetLinkProblem>> {
    let user = match reset_link_user(db, clock, token).await? {
        Ok(user) => user,
        Err(problem) => return Ok(Err(problem)),
    };
    let hash = hash_password(password)?;
    let txn = store::db::begin_write(db).await?;
    let Some(reset) = store::password_resets::find(&txn, token).await? else {
        return Ok(Err(ResetLinkProblem::Unknown));
    };
    if !store::password_resets::spend(&txn, &reset, clock.now()).await? {
        return Ok(Err(ResetLinkProblem::Used));
    }
    let actor = store::users::principal_of(&user, None).ok_or(AppError::Unauthorized)?;
    store::users::set_password_hash(&txn, &actor, &user, hash, "user.password_reset").await?;
    store::sessions::delete_for_user(&txn, &user.id, None).await?;
    txn.commit().await?;
    Ok(Ok(user))
}

/// Changes the signed-in user's own password. A wrong `current` is refused at field
/// `current`, a weak new one at field `new`. Every session of the user ends; when the
/// request came with a session, a fresh one (opened at `renew_session`, the clock's now)
/// replaces it and its token is returned (for the cookie). Audited as `user.password_change`.
pub async fn change_password(
    db: &DatabaseConnection,
    who: &Principal,
    current: &str,
    new: &str,
    renew_session: Option<chrono::DateTime<chrono::Utc>>,
) -> AppResult<Option<String>> {
    let user = store::users::find_by_id(db, &who.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let mut errors = Vec::new();
    if !verify_password(current, &user.password_hash) {
        errors.push(FieldError::new(
            "current",
            "het huidige wachtwoord klopt niet",
        ));
    }
    let hash = match hash_password(new) {
        Ok(hash) => Some(hash),
        Err(e) => {
            errors.extend(
                e.field_errors()
                    .iter()
                    .map(|f| FieldError::new("new", f.message.clone())),
            );
            None
        }
    };
    let (true, Some(hash)) = (errors.is_empty(), hash) else {
        return Err(AppError::validation(
            "het wachtwoord is niet gewijzigd",
            errors,
        ));
    };
    let txn = store::db::begin_write(db).await?;
    store::users::set_password_hash(&txn, who, &user, hash, "user.password_change").await?;
    store::sessions::delete_for_user(&txn, &user.id, None).await?;
    let session = match renew_session {
        Some(now) => Some(store::sessions::create(&txn, &user.id, now).await?),
        None => None,
    };
    txn.commit().await?;
    Ok(session)
}
