//! The buyers.

use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use super::pagination::Page;
use super::{ok, ApiJson};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::views;

#[derive(Serialize, utoipa::ToSchema)]
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

impl From<views::municipalities::Municipality> for Municipality {
    fn from(m: views::municipalities::Municipality) -> Self {
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

/// All municipalities (nine for WSD: one page).
#[utoipa::path(get, path = "/api/v1/municipalities", tag = "municipalities",
    responses((status = 200, body = Page<Municipality>)), security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/municipalities")]
pub async fn list(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
) -> AppResult<ApiJson<Page<Municipality>>> {
    let items = views::municipalities::list(db.inner())
        .await?
        .into_iter()
        .map(Municipality::from)
        .collect();
    Ok(ok(Page {
        items,
        next_cursor: None,
    }))
}

/// One municipality by CBS code.
#[utoipa::path(get, path = "/api/v1/municipalities/{code}", tag = "municipalities",
    params(("code" = String, Path, description = "CBS code, e.g. GM0757")),
    responses((status = 200, body = Municipality), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/municipalities/<code>")]
pub async fn get(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    code: &str,
) -> AppResult<ApiJson<Municipality>> {
    let m = views::municipalities::get(db.inner(), code)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ok(m.into()))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list, get]
}
