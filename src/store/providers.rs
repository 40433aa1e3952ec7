//! Providers (aanbieders). The list is public within plusmarkt (every user sees who sells
//! on the marketplace); what a provider owns is scoped elsewhere (`store::scope`).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

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

/// The providers with these codes (those that exist), by code: what an order reads inside
/// its write turn, where reading the whole marketplace would hold up every order queued behind.
pub async fn with_codes<C: ConnectionTrait>(
    db: &C,
    codes: &[String],
) -> AppResult<Vec<provider::Model>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(provider::Entity::find()
        .filter(provider::Column::Code.is_in(codes.iter().cloned()))
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

/// Writes the configured seller details (`PLUSMARKT_SELLER_*`) into WSD's row, field by
/// field: a key that is not set leaves the row's value alone, so configuration only seeds
/// or overrides what it names. Each value is checked as a provider's field is; an error
/// names the configuration key. When the KvK number changes and WSD's Peppol endpoint was
/// its KvK number (scheme 0106), the endpoint follows. Returns whether the row changed.
pub async fn apply_seller_settings<C: ConnectionTrait>(
    db: &C,
    seller: &crate::config::Seller,
) -> AppResult<bool> {
    use crate::domain::provider::{
        parse_email, parse_iban, parse_kvk, parse_postcode, parse_text, parse_vat_number, WSD,
    };
    use crate::error::{AppError, FieldError};
    use sea_orm::ActiveModelTrait;

    if seller.is_empty() {
        return Ok(false);
    }
    let Some(row) = get(db, WSD).await? else {
        return Err(AppError::NotFound);
    };
    let mut after = row.clone();
    let mut errors = Vec::new();
    let mut set = |key: &str,
                   value: &Option<String>,
                   parse: &dyn Fn(&str) -> Result<String, crate::domain::provider::FieldError>,
                   target: &mut String| {
        if let Some(value) = value {
            match parse(value) {
                Ok(v) => *target = v,
                Err(e) => errors.push(FieldError::new(key, e.message)),
            }
        }
    };
    set(
        "PLUSMARKT_SELLER_NAME",
        &seller.name,
        &|v| parse_text("name", v),
        &mut after.name,
    );
    set(
        "PLUSMARKT_SELLER_STREET",
        &seller.street,
        &|v| parse_text("street", v),
        &mut after.street,
    );
    set(
        "PLUSMARKT_SELLER_POSTCODE",
        &seller.postcode,
        &parse_postcode,
        &mut after.postcode,
    );
    set(
        "PLUSMARKT_SELLER_CITY",
        &seller.city,
        &|v| parse_text("city", v),
        &mut after.city,
    );
    set(
        "PLUSMARKT_SELLER_KVK",
        &seller.kvk,
        &parse_kvk,
        &mut after.kvk,
    );
    set(
        "PLUSMARKT_SELLER_VAT_ID",
        &seller.vat_id,
        &parse_vat_number,
        &mut after.vat_number,
    );
    set(
        "PLUSMARKT_SELLER_IBAN",
        &seller.iban,
        &parse_iban,
        &mut after.iban,
    );
    set(
        "PLUSMARKT_SELLER_EMAIL",
        &seller.email,
        &|v| parse_email("invoice_email", v),
        &mut after.invoice_email,
    );
    if !errors.is_empty() {
        return Err(AppError::validation(
            "de verkopergegevens in de configuratie zijn ongeldig",
            errors,
        ));
    }
    if row.peppol_scheme == "0106" && row.peppol_id == row.kvk {
        after.peppol_id = after.kvk.clone();
    }
    if after == row {
        return Ok(false);
    }
    after.updated_at = crate::store::now();
    provider::ActiveModel::from(after)
        .reset_all()
        .update(db)
        .await?;
    Ok(true)
}
