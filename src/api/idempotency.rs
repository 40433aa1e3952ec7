//! The `Idempotency-Key` header.

use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};

use crate::error::AppError;
use crate::services::idempotency::{check_key, request_hash};

/// The key, if one was sent, checked for length.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKey {
    type Error = AppError;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        match request.headers().get_one("Idempotency-Key") {
            None => Outcome::Success(IdempotencyKey(None)),
            Some(key) => match check_key(key) {
                Ok(()) => Outcome::Success(IdempotencyKey(Some(key.to_string()))),
                Err(e) => {
                    crate::error::remember_error(request, &e);
                    Outcome::Error((Status::BadRequest, e))
                }
            },
        }
    }
}

impl IdempotencyKey {
    /// The key with the hash of this request, for the service.
    pub fn with_request(
        &self,
        method_and_path: &str,
        body: &str,
    ) -> Option<crate::services::ordering::Idempotency> {
        self.0
            .as_ref()
            .map(|key| crate::services::ordering::Idempotency {
                key: key.clone(),
                request_hash: request_hash(method_and_path, body),
            })
    }
}
