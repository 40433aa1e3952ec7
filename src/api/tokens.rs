//! API tokens: one's own (an administrator sees and revokes everyone's). The token itself
//! is shown once, when it is made (`plusmarkt token add`), and never again.

use rocket::http::Status;
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use super::{ok, ApiJson};
use crate::auth::CurrentUser;
use crate::domain::clock::Clock;
use crate::error::AppResult;
use crate::views::tokens::TokenRow;
use crate::{services, views};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Token {
    pub id: String,
    /// What the token is for, e.g. the name of the integration.
    pub label: String,
    /// The e-mail address of the user the token acts as.
    pub user: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was last used, to the minute; `null`: never.
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// From this instant the token gets 401; `null`: it does not expire.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<TokenRow> for Token {
    fn from(t: TokenRow) -> Self {
        Token {
            id: t.id,
            label: t.label,
            user: t.user_email,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
        }
    }
}

/// The caller's own API tokens that are not revoked (expired ones included), newest
/// first; an administrator sees everyone's. Never the token itself.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "users",
    responses((status = 200, body = Vec<Token>), (status = 401, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/tokens")]
pub async fn list(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
) -> AppResult<ApiJson<Vec<Token>>> {
    let tokens = views::tokens::list(db.inner(), &user.0, None)
        .await?
        .into_iter()
        .map(Token::from)
        .collect();
    Ok(ok(tokens))
}

/// Revokes an API token (audited): the caller's own, or any for an administrator; someone
/// else's is 404. The token gets 401 from now on, on every server.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::delete("/api/v1/tokens/<id>")]
pub async fn revoke(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    user: CurrentUser,
    id: &str,
) -> AppResult<Status> {
    services::users::revoke_token(db.inner(), &user.0, clock.inner(), id).await?;
    Ok(Status::NoContent)
}

pub fn routes() -> Vec<Route> {
    rocket::routes![list, revoke]
}
