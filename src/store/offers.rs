//! What the offer indicators read: order lines of the products, across all
//! municipalities (only figures over many of them are shown, see `domain::offers`).

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::offers::LineRecord;
use crate::entities::{trajectory, trajectory_line};
use crate::error::AppResult;

/// Lists with more ids than this are queried in parts.
const CHUNK: usize = 500;

/// The order lines of the products that started or ended on or after `from`, by product
/// code: one query on the lines and one on their trajectories (for the order date), per
/// 500 codes or trajectories, however many products.
pub async fn line_records<C: ConnectionTrait>(
    db: &C,
    product_codes: &[String],
    from: NaiveDate,
) -> AppResult<HashMap<String, Vec<LineRecord>>> {
    let mut lines = Vec::new();
    for chunk in product_codes.chunks(CHUNK) {
        lines.extend(
            trajectory_line::Entity::find()
                .filter(trajectory_line::Column::ProductCode.is_in(chunk.to_vec()))
                .filter(
                    Condition::any()
                        .add(trajectory_line::Column::StartedOn.gte(from))
                        .add(trajectory_line::Column::EndedOn.gte(from)),
                )
                .all(db)
                .await?,
        );
    }
    let mut trajectory_ids: Vec<String> = lines.iter().map(|l| l.trajectory_id.clone()).collect();
    trajectory_ids.sort();
    trajectory_ids.dedup();
    let mut ordered_on: HashMap<String, NaiveDate> = HashMap::new();
    for chunk in trajectory_ids.chunks(CHUNK) {
        let rows: Vec<(String, chrono::DateTime<chrono::Utc>)> = trajectory::Entity::find()
            .select_only()
            .column(trajectory::Column::Id)
            .column(trajectory::Column::CreatedAt)
            .filter(trajectory::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        ordered_on.extend(rows.into_iter().map(|(id, at)| (id, at.date_naive())));
    }
    let mut out: HashMap<String, Vec<LineRecord>> = HashMap::new();
    for l in lines {
        let Some(ordered) = ordered_on.get(&l.trajectory_id) else {
            continue;
        };
        out.entry(l.product_code).or_default().push(LineRecord {
            ordered_on: *ordered,
            status: l.status,
            started_on: l.started_on,
            ended_on: l.ended_on,
            outcome: l.outcome,
        });
    }
    Ok(out)
}

/// The service types as (code, name), in their listed order.
pub async fn service_names<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(String, String)>> {
    use sea_orm::QueryOrder;
    Ok(crate::entities::service::Entity::find()
        .order_by_asc(crate::entities::service::Column::Position)
        .order_by_asc(crate::entities::service::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect())
}
