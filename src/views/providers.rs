//! Providers as the API and the administrator's pages show them. The list is public
//! within plusmarkt: every signed-in user may see who sells on the marketplace.

use sea_orm::ConnectionTrait;

use crate::domain::provider::ProviderStatus;
use crate::entities::provider;
use crate::error::{AppError, AppResult};
use crate::store;

/// A provider with its seller identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub code: String,
    pub name: String,
    pub kvk: String,
    pub vat_number: String,
    pub peppol_scheme: String,
    pub peppol_id: String,
    pub iban: String,
    pub intake_email: String,
    pub invoice_email: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub status: ProviderStatus,
}

impl From<provider::Model> for Provider {
    fn from(p: provider::Model) -> Self {
        Provider {
            code: p.code,
            name: p.name,
            kvk: p.kvk,
            vat_number: p.vat_number,
            peppol_scheme: p.peppol_scheme,
            peppol_id: p.peppol_id,
            iban: p.iban,
            intake_email: p.intake_email,
            invoice_email: p.invoice_email,
            street: p.street,
            postcode: p.postcode,
            city: p.city,
            status: p.status,
        }
    }
}

/// Every provider, by code (one query).
pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Provider>> {
    Ok(store::providers::list(db)
        .await?
        .into_iter()
        .map(Provider::from)
        .collect())
}

/// One provider, or not found.
pub async fn get<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<Provider> {
    store::providers::get(db, code)
        .await?
        .map(Provider::from)
        .ok_or(AppError::NotFound)
}

/// Every provider as (code, name), for a select.
pub async fn choices<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(String, String)>> {
    Ok(store::providers::list(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect())
}
