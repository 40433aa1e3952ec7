//! Providers (aanbieders). The list is public within plusmarkt (every user sees who sells
//! on the marketplace); what a provider owns is scoped elsewhere (`store::scope`).

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::entities::provider;
use crate::error::AppResult;

pub async fn get<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<Option<provider::Model>> {
    Ok(provider::Entity::find_by_id(code.to_string())
        .one(db)
        .await?)
}

/// Every provider, by code.
pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<provider::Model>> {
    Ok(provider::Entity::find()
        .order_by_asc(provider::Column::Code)
        .all(db)
        .await?)
}
