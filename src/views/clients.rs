//! The clients a principal may see, for lists and selects.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use crate::domain::principal::Principal;
use crate::error::AppResult;
use crate::store;

#[derive(Debug, Clone)]
pub struct ClientView {
    pub id: String,
    pub name: String,
    pub bsn_last4: String,
    pub birth_date: Option<NaiveDate>,
    pub municipality_code: String,
}

impl From<crate::entities::client::Model> for ClientView {
    fn from(c: crate::entities::client::Model) -> Self {
        ClientView {
            id: c.id,
            name: c.name,
            bsn_last4: c.bsn_last4,
            birth_date: c.birth_date,
            municipality_code: c.municipality_code,
        }
    }
}

/// One client the principal may see, or not found.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<ClientView> {
    Ok(store::clients::get(db, principal, id).await?.into())
}

/// The clients the principal may see, by name.
pub async fn list<C: ConnectionTrait>(db: &C, principal: &Principal) -> AppResult<Vec<ClientView>> {
    Ok(store::clients::list(db, principal)
        .await?
        .into_iter()
        .map(ClientView::from)
        .collect())
}
