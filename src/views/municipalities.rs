//! The buyers.

use sea_orm::DatabaseConnection;

use crate::entities::municipality;
use crate::error::AppResult;
use crate::store;

/// A municipality with its invoicing details.
#[derive(Debug, Clone)]
pub struct Municipality {
    pub code: String,
    pub name: String,
    pub cooperation_model: String,
    pub oin: Option<String>,
    pub kvk: Option<String>,
    /// True when OIN and KvK are demo values, not real registrations.
    pub demo_identifiers: bool,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub finance_email: String,
    pub payment_term_days: i32,
}

impl From<municipality::Model> for Municipality {
    fn from(m: municipality::Model) -> Self {
        Municipality {
            code: m.code,
            name: m.name,
            cooperation_model: m.cooperation_model,
            oin: m.oin,
            kvk: m.kvk,
            demo_identifiers: m.demo_identifiers,
            street: m.street,
            postcode: m.postcode,
            city: m.city,
            finance_email: m.finance_email,
            payment_term_days: m.payment_term_days,
        }
    }
}

/// All municipalities by name (one query).
pub async fn list(db: &DatabaseConnection) -> AppResult<Vec<Municipality>> {
    Ok(store::municipalities::list(db)
        .await?
        .into_iter()
        .map(Municipality::from)
        .collect())
}

/// One municipality by CBS code.
pub async fn get(db: &DatabaseConnection, code: &str) -> AppResult<Option<Municipality>> {
    Ok(store::municipalities::get(db, code)
        .await?
        .map(Municipality::from))
}

/// (code, name) of every municipality, by name, for choosing one.
pub async fn choices(db: &DatabaseConnection) -> AppResult<Vec<(String, String)>> {
    Ok(store::municipalities::list(db)
        .await?
        .into_iter()
        .map(|m| (m.code, m.name))
        .collect())
}
