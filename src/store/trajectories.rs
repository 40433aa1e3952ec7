//! Trajectories and their lines, scoped: a casemanager sees their municipality's, WSD
//! staff and finance all; other roles none.

use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::principal::Principal;
use crate::domain::role::Role;
use crate::entities::{
    client, delivery, line_event, product, product_milestone, trajectory, trajectory_line,
};
use crate::error::{AppError, AppResult};

/// The trajectories the principal may see: their municipality's or their provider's.
fn scope(principal: &Principal) -> sea_orm::sea_query::Condition {
    super::scope::owned_by(
        principal,
        Some(trajectory::Column::MunicipalityCode),
        Some(trajectory::Column::ProviderCode),
    )
}

fn may_read(principal: &Principal) -> AppResult<()> {
    match principal.role {
        Role::Casemanager | Role::ProviderStaff | Role::Finance => Ok(()),
        Role::Pricing | Role::Admin => Err(AppError::Forbidden(
            "trajecten zijn niet voor deze rol".into(),
        )),
    }
}

pub async fn get<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<trajectory::Model> {
    may_read(principal)?;
    let mut query = trajectory::Entity::find_by_id(id.to_string());
    query = query.filter(scope(principal));
    query.one(db).await?.ok_or(AppError::NotFound)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<crate::domain::trajectory::Status>,
    pub client_id: Option<String>,
    /// One municipality (GM code); within the principal's scope, never widening it.
    pub municipality: Option<String>,
    /// Part of the trajectory number or of the client's name, case-insensitive.
    pub search: Option<String>,
    pub after_created: Option<(chrono::DateTime<chrono::Utc>, String)>,
    pub oldest_first: bool,
}

/// `text` as a LIKE pattern matching it anywhere, lower case, with `%`, `_` and `\` escaped.
fn contains_pattern(text: &str) -> LikeExpr {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

/// The scope and the filter's conditions, without paging or order: shared by the list and
/// its count.
fn filtered(principal: &Principal, filter: &Filter) -> sea_orm::Select<trajectory::Entity> {
    let mut query = trajectory::Entity::find().filter(scope(principal));
    if let Some(status) = filter.status {
        query = query.filter(trajectory::Column::Status.eq(status));
    }
    if let Some(client) = filter.client_id.as_ref().filter(|s| !s.is_empty()) {
        query = query.filter(trajectory::Column::ClientId.eq(client.clone()));
    }
    if let Some(code) = filter.municipality.as_ref().filter(|s| !s.is_empty()) {
        query = query.filter(trajectory::Column::MunicipalityCode.eq(code.clone()));
    }
    if let Some(text) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let lower = |column: Expr| Expr::expr(Func::lower(column));
        let names = Query::select()
            .column(client::Column::Id)
            .from(client::Entity)
            .and_where(
                lower(Expr::col((client::Entity, client::Column::Name)))
                    .like(contains_pattern(text)),
            )
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(
                    lower(Expr::col((trajectory::Entity, trajectory::Column::Number)))
                        .like(contains_pattern(text)),
                )
                .add(trajectory::Column::ClientId.in_subquery(names)),
        );
    }
    query
}

/// How many trajectories the filter finds in the principal's scope (one statement).
pub async fn count<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: &Filter,
) -> AppResult<u64> {
    may_read(principal)?;
    Ok(filtered(principal, filter).count(db).await?)
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: &Filter,
    limit: u64,
) -> AppResult<Vec<trajectory::Model>> {
    may_read(principal)?;
    let mut query = filtered(principal, filter);
    query = if filter.oldest_first {
        query
            .order_by_asc(trajectory::Column::CreatedAt)
            .order_by_asc(trajectory::Column::Id)
    } else {
        query
            .order_by_desc(trajectory::Column::CreatedAt)
            .order_by_desc(trajectory::Column::Id)
    };
    if let Some((at, id)) = &filter.after_created {
        query = if filter.oldest_first {
            query.filter(
                Condition::any()
                    .add(trajectory::Column::CreatedAt.gt(*at))
                    .add(
                        Condition::all()
                            .add(trajectory::Column::CreatedAt.eq(*at))
                            .add(trajectory::Column::Id.gt(id.clone())),
                    ),
            )
        } else {
            query.filter(
                Condition::any()
                    .add(trajectory::Column::CreatedAt.lt(*at))
                    .add(
                        Condition::all()
                            .add(trajectory::Column::CreatedAt.eq(*at))
                            .add(trajectory::Column::Id.lt(id.clone())),
                    ),
            )
        };
    }
    Ok(query.limit(limit).all(db).await?)
}

pub async fn lines<C: ConnectionTrait>(
    db: &C,
    trajectory_id: &str,
) -> AppResult<Vec<trajectory_line::Model>> {
    Ok(trajectory_line::Entity::find()
        .filter(trajectory_line::Column::TrajectoryId.eq(trajectory_id))
        .order_by_asc(trajectory_line::Column::Position)
        .all(db)
        .await?)
}

/// A line with its trajectory, scoped by the trajectory's municipality.
pub async fn line<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    line_id: &str,
) -> AppResult<(trajectory::Model, trajectory_line::Model)> {
    let line = trajectory_line::Entity::find_by_id(line_id.to_string())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let trajectory = get(db, principal, &line.trajectory_id).await?;
    Ok((trajectory, line))
}

pub async fn events<C: ConnectionTrait>(
    db: &C,
    line_id: &str,
) -> AppResult<Vec<line_event::Model>> {
    Ok(line_event::Entity::find()
        .filter(line_event::Column::TrajectoryLineId.eq(line_id))
        .order_by_asc(line_event::Column::CreatedAt)
        .order_by_asc(line_event::Column::Id)
        .all(db)
        .await?)
}

pub async fn deliveries<C: ConnectionTrait>(
    db: &C,
    line_id: &str,
) -> AppResult<Vec<delivery::Model>> {
    Ok(delivery::Entity::find()
        .filter(delivery::Column::TrajectoryLineId.eq(line_id))
        .order_by_asc(delivery::Column::Period)
        .order_by_asc(delivery::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Trajectories the casemanager changed and WSD has not yet seen, oldest change first.
pub async fn changed<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
) -> AppResult<Vec<trajectory::Model>> {
    may_read(principal)?;
    let mut query = trajectory::Entity::find().filter(trajectory::Column::ChangedAt.is_not_null());
    query = query.filter(scope(principal));
    Ok(query
        .order_by_asc(trajectory::Column::ChangedAt)
        .limit(200)
        .all(db)
        .await?)
}

// ---- batches for a page of trajectories: one query per table, whatever the page's size.

/// The lines of these trajectories, each trajectory's in order.
pub async fn lines_of<C: ConnectionTrait>(
    db: &C,
    trajectory_ids: &[String],
) -> AppResult<Vec<trajectory_line::Model>> {
    if trajectory_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(trajectory_line::Entity::find()
        .filter(trajectory_line::Column::TrajectoryId.is_in(trajectory_ids.iter().cloned()))
        .order_by_asc(trajectory_line::Column::TrajectoryId)
        .order_by_asc(trajectory_line::Column::Position)
        .all(db)
        .await?)
}

/// The registrations of these lines, in the order they were made.
pub async fn events_of<C: ConnectionTrait>(
    db: &C,
    line_ids: &[String],
) -> AppResult<Vec<line_event::Model>> {
    if line_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(line_event::Entity::find()
        .filter(line_event::Column::TrajectoryLineId.is_in(line_ids.iter().cloned()))
        .order_by_asc(line_event::Column::CreatedAt)
        .order_by_asc(line_event::Column::Id)
        .all(db)
        .await?)
}

/// The deliveries registered on these lines, by month and then as they were made.
pub async fn deliveries_of<C: ConnectionTrait>(
    db: &C,
    line_ids: &[String],
) -> AppResult<Vec<delivery::Model>> {
    if line_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(delivery::Entity::find()
        .filter(delivery::Column::TrajectoryLineId.is_in(line_ids.iter().cloned()))
        .order_by_asc(delivery::Column::Period)
        .order_by_asc(delivery::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The products these lines name (a product removed from the catalogue is missing).
pub async fn products_of<C: ConnectionTrait>(
    db: &C,
    codes: &[String],
) -> AppResult<Vec<product::Model>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(product::Entity::find()
        .filter(product::Column::Code.is_in(codes.iter().cloned()))
        .all(db)
        .await?)
}

/// The milestones of these products, each product's in order.
pub async fn milestones_of<C: ConnectionTrait>(
    db: &C,
    codes: &[String],
) -> AppResult<Vec<product_milestone::Model>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(product_milestone::Entity::find()
        .filter(product_milestone::Column::ProductCode.is_in(codes.iter().cloned()))
        .order_by_asc(product_milestone::Column::ProductCode)
        .order_by_asc(product_milestone::Column::Position)
        .all(db)
        .await?)
}
