//! Users: creation (audited), lookup for login.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
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

pub async fn create<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    new: NewUser,
) -> AppResult<user::Model> {
    let mut errors = Vec::new();
    match (&new.municipality, new.role.needs_municipality()) {
        (None, true) => errors.push(FieldError::new(
            "municipality",
            "een casemanager hoort bij een gemeente (bijvoorbeeld GM0757)",
        )),
        (Some(_), false) => errors.push(FieldError::new(
            "municipality",
            format!("de rol {} hoort niet bij een gemeente", new.role),
        )),
        (Some(code), true) => {
            if municipality::Entity::find_by_id(code.clone())
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
    match (&new.provider, new.role.needs_provider()) {
        (None, true) => errors.push(FieldError::new(
            "provider",
            format!(
                "de rol {} werkt voor één aanbieder: kies de aanbieder (bijvoorbeeld WSD)",
                new.role
            ),
        )),
        (Some(_), false) => errors.push(FieldError::new(
            "provider",
            format!("de rol {} hoort niet bij een aanbieder", new.role),
        )),
        (Some(code), true) => {
            if crate::entities::provider::Entity::find_by_id(code.clone())
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
