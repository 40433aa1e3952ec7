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

/// The names of the municipalities by code, for the page header (built without a database
/// call on every page). Filled at start-up after the catalogue import; the municipalities
/// change only with the catalogue.
static NAMES: std::sync::RwLock<Option<std::collections::HashMap<String, String>>> =
    std::sync::RwLock::new(None);

/// Reads the municipalities' names into the header's table.
pub async fn remember_names(db: &DatabaseConnection) -> AppResult<()> {
    let names = choices(db).await?;
    if let Ok(mut table) = NAMES.write() {
        table.get_or_insert_with(Default::default).extend(names);
    }
    Ok(())
}

/// A municipality's name for display: its name when known, else its code.
pub fn display_name(code: &str) -> String {
    NAMES
        .read()
        .ok()
        .and_then(|table| table.as_ref().and_then(|t| t.get(code).cloned()))
        .unwrap_or_else(|| code.to_string())
}
