//! Providers (aanbieders). The list is public within plusmarkt (every user sees who sells
//! on the marketplace); what a provider owns is scoped elsewhere (`store::scope`).

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder};

use super::audit;
use crate::domain::principal::Principal;
use crate::domain::provider::ProviderStatus;
use crate::entities::provider;
use crate::error::{AppError, AppResult};

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

/// The provider with this KvK number, if any.
pub async fn find_by_kvk<C: ConnectionTrait>(
    db: &C,
    kvk: &str,
) -> AppResult<Option<provider::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(provider::Entity::find()
        .filter(provider::Column::Kvk.eq(kvk))
        .one(db)
        .await?)
}

/// What the audit log keeps of a provider.
pub fn audit_view(p: &provider::Model) -> serde_json::Value {
    serde_json::json!({
        "code": p.code,
        "name": p.name,
        "kvk": p.kvk,
        "vat_number": p.vat_number,
        "peppol_id": {"scheme": p.peppol_scheme, "id": p.peppol_id},
        "iban": p.iban,
        "intake_email": p.intake_email,
        "invoice_email": p.invoice_email,
        "street": p.street,
        "postcode": p.postcode,
        "city": p.city,
        "status": p.status,
    })
}

/// A unique violation on the providers table as the field it concerns: a concurrent
/// admission that slipped past the check in the transaction.
fn duplicate(e: sea_orm::DbErr, model: &provider::Model) -> AppError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) => {
            if message.to_lowercase().contains("kvk") {
                AppError::field(
                    "kvk",
                    format!("er is al een aanbieder met KvK-nummer {}", model.kvk),
                )
            } else {
                AppError::field(
                    "code",
                    format!("er is al een aanbieder met code {}", model.code),
                )
            }
        }
        _ => AppError::Database(e),
    }
}

/// Admits a provider (audited). The caller has validated the fields and checked that the
/// code and KvK number are free; a unique violation still answers 422 on the field.
pub async fn create<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    model: provider::Model,
) -> AppResult<provider::Model> {
    provider::Entity::insert(provider::ActiveModel::from(model.clone()))
        .exec_without_returning(txn)
        .await
        .map_err(|e| duplicate(e, &model))?;
    audit::append(
        txn,
        actor,
        "provider.create",
        "provider",
        &model.code,
        None,
        Some(audit_view(&model)),
    )
    .await?;
    Ok(model)
}

/// Replaces a provider's fields (audited, with the record before and after).
pub async fn update<C: ConnectionTrait>(
    txn: &C,
    actor: &Principal,
    before: &provider::Model,
    after: provider::Model,
) -> AppResult<provider::Model> {
    provider::Entity::update(provider::ActiveModel::from(after.clone()).reset_all())
        .exec(txn)
        .await
        .map_err(|e| duplicate(e, &after))?;
    let action = if before.status != after.status {
        match after.status {
            ProviderStatus::Suspended => "provider.suspend",
            ProviderStatus::Active => "provider.reactivate",
        }
    } else {
        "provider.update"
    };
    audit::append(
        txn,
        actor,
        action,
        "provider",
        &after.code,
        Some(audit_view(before)),
        Some(audit_view(&after)),
    )
    .await?;
    Ok(after)
}
