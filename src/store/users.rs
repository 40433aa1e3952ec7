//! Users: creation and changes (audited), lookup for login.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use super::{audit, new_id, now};
use crate::domain::email::Email;
use crate::domain::principal::Principal;
use crate::domain::role::Role;
use crate::entities::{municipality, user};
use crate::error::{AppError, AppResult, FieldError};

pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub municipality: Option<String>,
    /// The provider of a pricing, finance or provider_staff user.
    pub provider: Option<String>,
    pub password_hash: String,
}

/// What the audit log keeps of a user: never the password hash.
pub fn audit_view(user: &user::Model) -> serde_json::Value {
    json!({
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "municipality": user.municipality_code,
        "provider": user.provider_code,
        "active": user.active,
    })
}

/// The binding rule of a role, for creation and for a change: a casemanager belongs to an
/// existing municipality, pricing, finance and provider_staff to an existing provider, and
/// no other role to either. The errors name the field (`municipality`, `provider`).
pub async fn check_binding<C: ConnectionTrait>(
    txn: &C,
    role: Role,
    municipality: Option<&str>,
    provider: Option<&str>,
) -> AppResult<Vec<FieldError>> {
    let mut errors = Vec::new();
    match (municipality, role.needs_municipality()) {
        (None, true) => errors.push(FieldError::new(
            "municipality",
            "een casemanager hoort bij een gemeente (bijvoorbeeld GM0757)",
        )),
        (Some(_), false) => errors.push(FieldError::new(
            "municipality",
            format!("de rol {} hoort niet bij een gemeente", role),
        )),
        (Some(code), true) => {
            if municipality::Entity::find_by_id(code.to_string())
                .one(txn)
                .await?
                .is_none()
            {
                errors.push(FieldError::new(
                    "municipality",
                    format!("onbekende gemeente {code}"),
                ));
            }
        }
        (None, false) => {}
    }
    match (provider, role.needs_provider()) {
        (None, true) => errors.push(FieldError::new(
            "provider",
            format!(
                "de rol {} werkt voor één aanbieder: kies de aanbieder (bijvoorbeeld WSD)",
                role
            ),
        )),
        (Some(_), false) => errors.push(FieldError::new(
            "provider",
            format!("de rol {} hoort niet bij een aanbieder", role),
        )),
        (Some(code), true) => {
            if crate::entities::provider::Entity::find_by_id(code.to_string())
                .one(txn)
                .await?
                .is_none()
            {
                errors.push(FieldError::new(
                    "provider",
                    format!("onbekende aanbieder {code}"),
                ));
            }
        }
        (None, false) => {}
    }
    Ok(errors)
}

pub async fn create<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    new: NewUser,
) -> AppResult<user::Model> {
    let mut errors = check_binding(
        txn,
        new.role,
        new.municipality.as_deref(),
        new.provider.as_deref(),
    )
    .await?;
    if new.name.trim().is_empty() {
        errors.push(FieldError::new("name", "naam ontbreekt"));
    }
    if find_by_email(txn, new.email.as_str()).await?.is_some() {
        errors.push(FieldError::new(
            "email",
            format!(
                "er is al een gebruiker met e-mailadres {}",
                new.email.as_str()
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(
            "gebruiker kan niet worden aangemaakt",
            errors,
        ));
    }
    let model = user::Model {
        id: new_id(),
        email: new.email.as_str().to_string(),
        name: new.name.trim().to_string(),
        role: new.role,
        municipality_code: new.municipality,
        provider_code: new.provider,
        password_hash: new.password_hash,
        active: true,
        created_at: now(),
        totp_secret: None,
        totp_enabled_at: None,
        totp_last_step: None,
    };
    user::Entity::insert(user::ActiveModel::from(model.clone()))
        .exec_without_returning(txn)
        .await?;
    audit::append(
        txn,
        actor,
        "user.create",
        "user",
        &model.id,
        None,
        Some(audit_view(&model)),
    )
    .await?;
    Ok(model)
}

pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?)
}

pub async fn find_by_id<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id.to_string()).one(db).await?)
}

pub async fn count<C: ConnectionTrait>(db: &C) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(user::Entity::find().count(db).await?)
}

pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?)
}

/// Builds the principal of an active user.
pub fn principal_of(user: &user::Model, token_label: Option<String>) -> Option<Principal> {
    if !user.active {
        return None;
    }
    Some(Principal {
        user_id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role,
        municipality: user.municipality_code.clone(),
        provider: user.provider_code.clone(),
        token_label,
    })
}

/// A change of a user's role, binding or status, already checked by the service.
pub struct UserChange {
    pub role: Role,
    pub municipality: Option<String>,
    pub provider: Option<String>,
    pub active: bool,
}

/// Writes a change of role, binding or status and audits it (`user.update`, before and
/// after).
pub async fn update<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    before: &user::Model,
    change: UserChange,
) -> AppResult<user::Model> {
    let after = user::Model {
        role: change.role,
        municipality_code: change.municipality,
        provider_code: change.provider,
        active: change.active,
        ..before.clone()
    };
    user::Entity::update(user::ActiveModel {
        id: Set(after.id.clone()),
        role: Set(after.role),
        municipality_code: Set(after.municipality_code.clone()),
        provider_code: Set(after.provider_code.clone()),
        active: Set(after.active),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    audit::append(
        txn,
        actor,
        "user.update",
        "user",
        &after.id,
        Some(audit_view(before)),
        Some(audit_view(&after)),
    )
    .await?;
    Ok(after)
}

/// Replaces a user's password hash and audits it under `action` (never the hash itself).
pub async fn set_password_hash<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    user: &user::Model,
    password_hash: String,
    action: &str,
) -> AppResult<()> {
    user::Entity::update(user::ActiveModel {
        id: Set(user.id.clone()),
        password_hash: Set(password_hash),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    audit::append(
        txn,
        actor,
        action,
        "user",
        &user.id,
        None,
        Some(json!({"email": user.email})),
    )
    .await?;
    Ok(())
}

/// How many active administrators there are.
pub async fn active_admins<C: ConnectionTrait>(db: &C) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::Active.eq(true))
        .count(db)
        .await?)
}
