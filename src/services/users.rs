//! Adding users and API tokens.

use sea_orm::DatabaseConnection;

use crate::crypto::password::hash_password;
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

/// Makes an API token for a user; returns the token, shown once.
pub async fn add_token(
    db: &DatabaseConnection,
    actor: &Principal,
    email: &str,
    label: &str,
) -> AppResult<String> {
    let txn = store::db::begin_write(db).await?;
    let owner = store::users::find_by_email(&txn, email)
        .await?
        .ok_or_else(|| {
            AppError::field("email", format!("geen gebruiker met e-mailadres {email}"))
        })?;
    let token = store::tokens::create(&txn, actor, &owner, label).await?;
    txn.commit().await?;
    Ok(token)
}
