//! The buyers. Every signed-in user may read them.

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder};

use crate::entities::municipality;
use crate::error::AppResult;

pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<municipality::Model>> {
    Ok(municipality::Entity::find()
        .order_by_asc(municipality::Column::Name)
        .all(db)
        .await?)
}

pub async fn get<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<Option<municipality::Model>> {
    Ok(municipality::Entity::find_by_id(code.to_string())
        .one(db)
        .await?)
}

pub async fn count<C: ConnectionTrait>(db: &C) -> AppResult<u64> {
    Ok(municipality::Entity::find().count(db).await?)
}

/// Inserts or replaces a municipality (demo data and catalogue import).
pub async fn upsert<C: ConnectionTrait>(db: &C, model: municipality::Model) -> AppResult<()> {
    use sea_orm::sea_query::OnConflict;
    municipality::Entity::insert(municipality::ActiveModel::from(model))
        .on_conflict(
            OnConflict::column(municipality::Column::Code)
                .update_columns([
                    municipality::Column::Name,
                    municipality::Column::CooperationModel,
                    municipality::Column::Oin,
                    municipality::Column::Kvk,
                    municipality::Column::DemoIdentifiers,
                    municipality::Column::Street,
                    municipality::Column::Postcode,
                    municipality::Column::City,
                    municipality::Column::FinanceEmail,
                    municipality::Column::PaymentTermDays,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
