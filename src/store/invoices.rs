//! Invoices, scoped: finance sees all; a casemanager sees their municipality's invoices
//! once final; other roles none.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::auth::Principal;
use crate::domain::role::Role;
use crate::entities::{invoice, invoice_line};
use crate::error::{AppError, AppResult};

fn scoped(principal: &Principal) -> AppResult<sea_orm::Select<invoice::Entity>> {
    let query = invoice::Entity::find();
    match principal.role {
        Role::Finance => Ok(query),
        Role::Casemanager => Ok(query
            .filter(
                invoice::Column::MunicipalityCode.eq(principal.municipality_scope().unwrap_or("")),
            )
            .filter(invoice::Column::Status.is_in(["final", "sent", "paid"]))),
        _ => Err(AppError::Forbidden(
            "facturen zijn voor financiën en casemanagers".into(),
        )),
    }
}

pub async fn get<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<invoice::Model> {
    scoped(principal)?
        .filter(invoice::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub municipality: Option<String>,
    pub period: Option<String>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// (updated_at, id) of the last row of the previous page.
    pub after: Option<(chrono::DateTime<chrono::Utc>, String)>,
}

/// Invoices in the order finance systems poll them: by last change, oldest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: &Filter,
    limit: u64,
) -> AppResult<Vec<invoice::Model>> {
    let mut query = scoped(principal)?;
    if let Some(s) = filter.status.as_ref().filter(|s| !s.is_empty()) {
        query = query.filter(invoice::Column::Status.eq(s.clone()));
    }
    if let Some(m) = filter.municipality.as_ref().filter(|s| !s.is_empty()) {
        query = query.filter(invoice::Column::MunicipalityCode.eq(m.clone()));
    }
    if let Some(p) = filter.period.as_ref().filter(|s| !s.is_empty()) {
        query = query.filter(invoice::Column::Period.eq(p.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(invoice::Column::UpdatedAt.gte(since));
    }
    if let Some((at, id)) = &filter.after {
        use sea_orm::Condition;
        query = query.filter(
            Condition::any()
                .add(invoice::Column::UpdatedAt.gt(*at))
                .add(
                    Condition::all()
                        .add(invoice::Column::UpdatedAt.eq(*at))
                        .add(invoice::Column::Id.gt(id.clone())),
                ),
        );
    }
    Ok(query
        .order_by_asc(invoice::Column::UpdatedAt)
        .order_by_asc(invoice::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn lines<C: ConnectionTrait>(
    db: &C,
    invoice_id: &str,
) -> AppResult<Vec<invoice_line::Model>> {
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?)
}

/// Credit notes citing an invoice.
pub async fn credits_of<C: ConnectionTrait>(
    db: &C,
    invoice_id: &str,
) -> AppResult<Vec<invoice::Model>> {
    Ok(invoice::Entity::find()
        .filter(invoice::Column::CreditsInvoiceId.eq(invoice_id))
        .order_by_asc(invoice::Column::CreatedAt)
        .all(db)
        .await?)
}
