//! Who am I, and is the service up.

use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use super::{ok, ApiJson};
use crate::auth::CurrentUser;
use crate::domain::role::Role;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
#[rocket::get("/health")]
pub async fn health(db: &State<DatabaseConnection>) -> ApiJson<Health> {
    if crate::views::health::database_reachable(db.inner()).await {
        ok(Health {
            status: "ok".into(),
            database: "ok".into(),
        })
    } else {
        ApiJson(
            rocket::http::Status::ServiceUnavailable,
            Health {
                status: "degraded".into(),
                database: "unreachable".into(),
            },
        )
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// CBS code of the casemanager's municipality.
    pub municipality: Option<String>,
    /// The provider a pricing, finance or provider_staff user works for.
    pub provider: Option<String>,
}

/// The signed-in user or token owner.
#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = Me), (status = 401, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/me")]
pub fn me(user: CurrentUser) -> ApiJson<Me> {
    let p = user.0;
    ok(Me {
        email: p.email,
        name: p.name,
        role: p.role,
        municipality: p.municipality,
        provider: p.provider,
    })
}

pub fn routes() -> Vec<Route> {
    rocket::routes![me]
}
