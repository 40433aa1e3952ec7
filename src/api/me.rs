//! Who am I, and is the service up.

use rocket::http::CookieJar;
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

use super::{ok, ApiJson, JsonBody};
use crate::auth::guards::{session_cookie, SESSION_COOKIE};
use crate::auth::ratelimit::{note_password_attempt, password_change_keys, LoginLimiter};
use crate::auth::CurrentUser;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};

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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    pub current: String,
    /// The new password: at least 10 characters.
    pub new: String,
}

/// Changes the caller's own password (audited; rate-limited like the login). Every other
/// session of the user ends; a session the request came with is renewed.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "users", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/me/password", data = "<body>")]
pub async fn change_password(
    db: &State<DatabaseConnection>,
    clock: &State<crate::domain::clock::Clock>,
    limiter: &State<LoginLimiter>,
    cookies: &CookieJar<'_>,
    client: Option<IpAddr>,
    user: CurrentUser,
    body: JsonBody<PasswordChange>,
) -> AppResult<rocket::http::Status> {
    let request = body.0;
    let renew = (user.0.token_label.is_none() && cookies.get_private(SESSION_COOKIE).is_some())
        .then(|| clock.now());
    let (account, client) = password_change_keys(&user.0, client);
    if let Err(retry_after_secs) = limiter.check(&account, &client) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let result = crate::services::users::change_password(
        db.inner(),
        &user.0,
        &request.current,
        &request.new,
        renew,
    )
    .await;
    if let Some(token) = note_password_attempt(limiter, &account, &client, result)? {
        cookies.add_private(session_cookie(token));
    }
    Ok(rocket::http::Status::NoContent)
}

pub fn routes() -> Vec<Route> {
    rocket::routes![me, change_password]
}
