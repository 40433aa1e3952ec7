//! Users, for the administrator.

use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use super::pagination::Page;
use super::{created, ok, ApiJson, JsonBody};
use crate::auth::Admin;
use crate::config::Config;
use crate::domain::clock::Clock;
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// `admin`, `casemanager`, `pricing`, `finance` or `provider_staff`.
    pub role: Option<String>,
    /// CBS code, for casemanagers only; `null` clears. Absent on a role change: cleared when
    /// the new role takes none.
    #[serde(default, deserialize_with = "super::nullable::present")]
    #[schema(value_type = Option<String>)]
    pub municipality: Option<Option<String>>,
    /// Provider code, for pricing, finance and provider_staff; `null` clears.
    #[serde(default, deserialize_with = "super::nullable::present")]
    #[schema(value_type = Option<String>)]
    pub provider: Option<Option<String>>,
    /// `false` deactivates: the user's sessions and API tokens stop working at once.
    pub active: Option<bool>,
}

/// Changes a user's role, binding or status (audited). An administrator cannot deactivate
/// or demote themselves (409).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::patch("/api/v1/users/<id>", data = "<body>")]
pub async fn patch(
    db: &State<DatabaseConnection>,
    admin: Admin,
    id: &str,
    body: JsonBody<UserPatch>,
) -> AppResult<ApiJson<User>> {
    let request = body.0;
    let user = services::users::update_user(
        db.inner(),
        &admin.0,
        id,
        services::users::UserUpdate {
            role: request.role,
            municipality: request.municipality,
            provider: request.provider,
            active: request.active,
        },
    )
    .await?;
    Ok(ok(User::from(UserRow::from(user))))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasswordResetSent {
    /// Until when the link in the e-mail works (once).
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// E-mails the user a one-time link to choose a new password (through the outbox; audited).
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "users",
    params(("id" = String, Path)),
    responses((status = 202, body = PasswordResetSent), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/users/<id>/password-reset")]
pub async fn password_reset(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    config: &State<Config>,
    admin: Admin,
    id: &str,
) -> AppResult<ApiJson<PasswordResetSent>> {
    let expires_at = services::users::send_password_reset(
        db.inner(),
        &admin.0,
        clock.inner(),
        &config.public_url,
        id,
    )
    .await?;
    Ok(ApiJson(
        rocket::http::Status::Accepted,
        PasswordResetSent { expires_at },
    ))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list, create, patch, password_reset]
}
