//! The tenancy of a read, in one place: a principal's municipality scope and provider
//! scope as one SQL condition on a table's owner columns. Every store function that reads
//! business data adds it; a record outside the scope is simply not found.

use sea_orm::sea_query::{Condition, Query};
use sea_orm::ColumnTrait;

use crate::domain::principal::Principal;
use crate::entities::trajectory;

/// The condition for a table owned by a municipality and a provider (contracts,
/// trajectories, invoices). `None` for a column the table does not have.
pub fn owned_by<M: ColumnTrait, P: ColumnTrait>(
    principal: &Principal,
    municipality: Option<M>,
    provider: Option<P>,
) -> Condition {
    let mut condition = Condition::all();
    if let (Some(own), Some(column)) = (principal.municipality_scope(), municipality) {
        condition = condition.add(column.eq(own));
    }
    if let (Some(own), Some(column)) = (principal.provider_scope(), provider) {
        condition = condition.add(column.eq(own));
    }
    condition
}

/// The condition for a table owned by a municipality only, whose provider is that of
/// the trajectories referring to it (clients): a provider's staff see the clients of
/// their own provider's trajectories.
pub fn via_trajectories<M: ColumnTrait, I: ColumnTrait>(
    principal: &Principal,
    municipality: M,
    id: I,
    trajectory_column: trajectory::Column,
) -> Condition {
    let mut condition = Condition::all();
    if let Some(own) = principal.municipality_scope() {
        condition = condition.add(municipality.eq(own));
    }
    if let Some(own) = principal.provider_scope() {
        condition = condition.add(
            id.in_subquery(
                Query::select()
                    .column(trajectory_column)
                    .from(trajectory::Entity)
                    .and_where(trajectory::Column::ProviderCode.eq(own))
                    .to_owned(),
            ),
        );
    }
    condition
}

/// Not found for a principal scoped to another municipality or provider than the record's.
pub fn check(
    principal: &Principal,
    municipality: &str,
    provider: Option<&str>,
) -> crate::error::AppResult<()> {
    let other_municipality = principal
        .municipality_scope()
        .is_some_and(|own| own != municipality);
    let other_provider = match (principal.provider_scope(), provider) {
        (Some(own), Some(p)) => own != p,
        _ => false,
    };
    if other_municipality || other_provider {
        Err(crate::error::AppError::NotFound)
    } else {
        Ok(())
    }
}
