//! Users, for the administrator.

use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use super::pagination::Page;
use super::{created, ok, ApiJson, JsonBody};
use crate::auth::Admin;
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::views::users::UserRow;
use crate::{services, views};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub email: String,
    pub name: String,
    pub role: String,
    /// CBS code, for casemanagers only.
    pub municipality: Option<String>,
    /// Provider code, required for pricing, finance and provider_staff (e.g. `WSD`).
    pub provider: Option<String>,
    /// At least 10 characters.
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub municipality: Option<String>,
    /// The provider a pricing, finance or provider_staff user works for.
    pub provider: Option<String>,
    pub active: bool,
}

impl From<UserRow> for User {
    fn from(u: UserRow) -> Self {
        User {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role.as_str().into(),
            municipality: u.municipality,
            provider: u.provider,
            active: u.active,
        }
    }
}

/// All users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Page<User>), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/users")]
pub async fn list(db: &State<DatabaseConnection>, _admin: Admin) -> AppResult<ApiJson<Page<User>>> {
    let items = views::users::list(db.inner())
        .await?
        .into_iter()
        .map(User::from)
        .collect();
    Ok(ok(Page {
        items,
        next_cursor: None,
    }))
}

/// Adds a user (audited).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = User), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/users", data = "<body>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    admin: Admin,
    body: JsonBody<NewUserRequest>,
) -> AppResult<ApiJson<User>> {
    let request = body.0;
    let role = Role::parse(&request.role)
        .map(|r| r.as_str().to_string())
        .unwrap_or(request.role);
    let user = services::users::add_user(
        db.inner(),
        &admin.0,
        &request.email,
        &request.name,
        &role,
        request.municipality,
        request.provider,
        &request.password,
    )
    .await?;
    Ok(created(User::from(UserRow::from(user))))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list, create]
}
