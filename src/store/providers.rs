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
