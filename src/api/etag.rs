//! ETag / If-Match for editable resources: the ETag is the resource's version.

use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};

use crate::error::AppError;

pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// The version named by an `If-Match` header, if one was sent. A header that names no
/// version of ours can never match, so it is kept as `Some(-1)`.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i32>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfMatch {
    type Error = AppError;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let Some(value) = request.headers().get_one("If-Match") else {
            return Outcome::Success(IfMatch(None));
        };
        if value.trim() == "*" {
            return Outcome::Success(IfMatch(None));
        }
        let version = value
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .strip_prefix('v')
            .and_then(|v| v.parse::<i32>().ok())
            .unwrap_or(-1);
        let _ = Status::PreconditionFailed;
        Outcome::Success(IfMatch(Some(version)))
    }
}
