//! CSRF protection for every HTML form: a random token in a private (encrypted,
//! SameSite=Strict) cookie, repeated as a hidden field in each form; `CsrfForm` refuses a
//! submission whose field does not match the cookie.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};

use crate::crypto::secret::{constant_time_eq, random_token};
use crate::error::AppError;

pub const CSRF_COOKIE: &str = "plusmarkt_csrf";
pub const CSRF_FIELD: &str = "csrf_token";

/// The token to put into forms; sets the cookie when the browser has none yet.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Rocket marks private cookies Secure itself when TLS is on.
pub fn csrf_cookie(token: String) -> Cookie<'static> {
    Cookie::build((CSRF_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .build()
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let CachedCsrf(token) = request.local_cache(|| {
            CachedCsrf(match request.cookies().get_private(CSRF_COOKIE) {
                Some(cookie) => cookie.value().to_string(),
                None => {
                    let token = random_token();
                    request.cookies().add_private(csrf_cookie(token.clone()));
                    token
                }
            })
        });
        Outcome::Success(CsrfToken(token.clone()))
    }
}

/// Request-local caches are keyed by type, so each cached value gets its own.
struct CachedCsrf(String);

/// A form whose CSRF field has been checked. Field types own their values. Parsing is lenient: the hidden field and
/// unknown fields are ignored by `T`.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

#[rocket::async_trait]
impl<'r, T: for<'a> FromForm<'a> + Send + 'static> FromData<'r> for CsrfForm<T> {
    type Error = AppError;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let limit = request
            .limits()
            .get("form")
            .unwrap_or_else(|| 64.kibibytes());
        let body = match data.open(limit).into_string().await {
            Ok(s) if s.is_complete() => s.into_inner(),
            Ok(_) => {
                return Outcome::Error((
                    Status::PayloadTooLarge,
                    AppError::BadRequest("het formulier is te groot".into()),
                ))
            }
            Err(e) => {
                return Outcome::Error((Status::BadRequest, AppError::BadRequest(e.to_string())))
            }
        };
        let expected = request
            .cookies()
            .get_private(CSRF_COOKIE)
            .map(|c| c.value().to_string());
        let submitted = Form::values(&body)
            .find(|field| field.name.source().as_str() == CSRF_FIELD)
            .map(|field| field.value.to_string());
        match (expected, submitted) {
            (Some(expected), Some(submitted)) if constant_time_eq(&expected, &submitted) => {}
            _ => {
                return Outcome::Error((
                    Status::Forbidden,
                    AppError::Forbidden(
                        "het formulier is verlopen of niet van deze site; laad de pagina opnieuw"
                            .into(),
                    ),
                ))
            }
        }
        match Form::<T>::parse_encoded(rocket::http::RawStr::new(&body)) {
            Ok(value) => Outcome::Success(CsrfForm(value)),
            Err(errors) => {
                let fields = errors
                    .iter()
                    .map(|e| {
                        crate::error::FieldError::new(
                            e.name.as_ref().map(|n| n.to_string()).unwrap_or_default(),
                            e.to_string(),
                        )
                    })
                    .collect();
                Outcome::Error((
                    Status::UnprocessableEntity,
                    AppError::validation("het formulier is niet volledig ingevuld", fields),
                ))
            }
        }
    }
}
