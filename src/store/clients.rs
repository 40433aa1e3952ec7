//! Clients, scoped: a casemanager finds and sees only their municipality's clients; WSD
//! staff and finance see all. Callers audit every view.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::principal::Principal;
use crate::domain::role::Role;
use crate::entities::client;
use crate::error::{AppError, AppResult};

/// The clients the principal may see: their municipality's, or those of their provider's
/// trajectories.
fn scope(principal: &Principal) -> sea_orm::sea_query::Condition {
    super::scope::via_trajectories(
        principal,
        client::Column::MunicipalityCode,
        client::Column::Id,
        crate::entities::trajectory::Column::ClientId,
    )
}

fn may_read(principal: &Principal) -> AppResult<()> {
    match principal.role {
        Role::Casemanager | Role::ProviderStaff | Role::Finance => Ok(()),
        Role::Pricing | Role::Admin => Err(AppError::Forbidden(
            "klantgegevens zijn niet voor deze rol".into(),
        )),
    }
}

pub async fn get<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<client::Model> {
    may_read(principal)?;
    let mut query = client::Entity::find_by_id(id.to_string());
    query = query.filter(scope(principal));
    query.one(db).await?.ok_or(AppError::NotFound)
}

/// The clients with this BSN lookup hash that the principal may see.
pub async fn find_by_hash<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    hash: &str,
) -> AppResult<Vec<client::Model>> {
    may_read(principal)?;
    let mut query = client::Entity::find().filter(client::Column::BsnHash.eq(hash));
    query = query.filter(scope(principal));
    Ok(query.all(db).await?)
}

/// The clients with these ids that the principal may see (one query for a page).
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    ids: &[String],
) -> AppResult<Vec<client::Model>> {
    may_read(principal)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = client::Entity::find().filter(client::Column::Id.is_in(ids.iter().cloned()));
    query = query.filter(scope(principal));
    Ok(query.all(db).await?)
}

/// The clients the principal may see, by name (for choosing one in a form).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
) -> AppResult<Vec<client::Model>> {
    may_read(principal)?;
    let mut query = client::Entity::find();
    query = query.filter(scope(principal));
    Ok(query
        .order_by_asc(client::Column::Name)
        .order_by_asc(client::Column::Id)
        .all(db)
        .await?)
}

pub async fn insert<C: ConnectionTrait>(db: &C, model: client::Model) -> AppResult<()> {
    client::Entity::insert(client::ActiveModel::from(model))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A client's name as shown on invoices: initials and surname particles shortened,
/// e.g. "J. de Vries" → "J. d. V.".
pub fn masked_name(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|part| part.chars().next())
        .map(|c| format!("{c}."))
        .collect::<Vec<_>>()
        .join(" ")
}
