//! The JSON API under /api/v1, documented by the OpenAPI document generated from these
//! routes (utoipa). Errors are answered as problem+json (`error::Problem`, by the responder
//! and catcher in `web::errors`).

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::Route;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{remember_error, AppError, FieldError};
use crate::views::catalogue_cache::KeptAnswer;
use json_errors::JsonProblem;

pub mod audit;
pub mod compression;
pub mod contracts;
pub mod etag;
pub mod idempotency;
pub mod invoices;
pub mod json_errors;
pub mod me;
pub mod municipalities;
pub mod nullable;
pub mod offers;
pub mod openapi;
pub mod pagination;
pub mod products;
pub mod providers;
pub mod reports;
pub mod tokens;
pub mod trajectories;
pub mod users;

/// A JSON request body. Unlike rocket's `Json`, a malformed body is answered as
/// problem+json in Dutch: 400 with the line and column when it is not JSON, 422 naming the
/// field by its path (`lines[0].quantity`) when it does not fit the request
/// (`json_errors`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T, pub String);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = AppError;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let limit = request
            .limits()
            .get("json")
            .unwrap_or_else(|| 1.mebibytes());
        let fail = |status: Status, error: AppError| {
            remember_error(request, &error);
            Outcome::Error((status, error))
        };
        let text = match data.open(limit).into_string().await {
            Ok(s) if s.is_complete() => s.into_inner(),
            Ok(_) => {
                return fail(
                    Status::PayloadTooLarge,
                    AppError::BadRequest("de body is te groot".into()),
                )
            }
            Err(e) => return fail(Status::BadRequest, AppError::BadRequest(e.to_string())),
        };
        let mut deserializer = serde_json::Deserializer::from_str(&text);
        let parsed = serde_path_to_error::deserialize::<_, T>(&mut deserializer);
        let parsed = match (parsed, deserializer.end()) {
            (Ok(_), Err(trailing)) => Err(json_errors::translate(".", &trailing)),
            (Ok(value), Ok(())) => Ok(value),
            (Err(e), _) => Err(json_errors::translate(&e.path().to_string(), e.inner())),
        };
        match parsed {
            Ok(value) => Outcome::Success(JsonBody(value, text)),
            Err(JsonProblem::Syntax(message)) => {
                fail(Status::BadRequest, AppError::BadRequest(message))
            }
            Err(JsonProblem::Field { field, message }) => fail(
                Status::UnprocessableEntity,
                AppError::validation(message.clone(), vec![FieldError::new(field, message)]),
            ),
        }
    }
}

/// A typed query parameter, read strictly from all its values (the route takes it as
/// `Vec<&str>`). Rocket reads `Option<T>` leniently: an unreadable value (`?limit=abc`, a
/// number out of range) or a repeated one becomes "absent" and would be silently ignored.
/// Here each is a 422 that names the parameter.
pub fn query_value<T: std::str::FromStr>(
    name: &str,
    raw: &[&str],
    expected: &str,
) -> crate::error::AppResult<Option<T>> {
    match raw {
        [] => Ok(None),
        [text] => text.parse::<T>().map(Some).map_err(|_| {
            AppError::field(name, format!("{name} moet {expected} zijn, niet '{text}'"))
        }),
        _ => Err(AppError::field(
            name,
            format!("{name} mag maar één keer in de aanvraag staan"),
        )),
    }
}

/// The `year` filter: a year from 2000 to 2100.
pub fn query_year(raw: &[&str]) -> crate::error::AppResult<Option<i32>> {
    match query_value::<i32>("year", raw, "een jaartal van 2000 tot en met 2100")? {
        Some(year) if !(2000..=2100).contains(&year) => Err(AppError::field(
            "year",
            format!("year moet een jaartal van 2000 tot en met 2100 zijn, niet {year}"),
        )),
        year => Ok(year),
    }
}

/// A JSON response with a status.
pub struct ApiJson<T>(pub Status, pub T);

impl<'r, T: Serialize> Responder<'r, 'static> for ApiJson<T> {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let body = serde_json::to_string(&self.1).map_err(|_| Status::InternalServerError)?;
        json_response(request, self.0, body)
    }
}

/// A 200 answer whose JSON was serialised before (kept in a cache), sent as it is, or
/// gzip-compressed (compressed once per kept answer) when the client accepts that.
pub struct PreparedJson(pub std::sync::Arc<KeptAnswer>);

impl<'r> Responder<'r, 'static> for PreparedJson {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let gzip = compression::accepts_gzip(request.headers().get("Accept-Encoding"));
        // Sent from the kept answer itself, not a copy of it.
        let mut response = json_response(
            request,
            Status::Ok,
            KeptBody {
                answer: self.0,
                gzip,
            },
        )?;
        if gzip {
            response.set_raw_header("Content-Encoding", "gzip");
        }
        response.set_raw_header("Vary", "Accept-Encoding");
        Ok(response)
    }
}

/// A kept answer, readable as bytes (its JSON or its compressed form) without copying.
struct KeptBody {
    answer: std::sync::Arc<KeptAnswer>,
    gzip: bool,
}

impl AsRef<[u8]> for KeptBody {
    fn as_ref(&self) -> &[u8] {
        if self.gzip {
            // Compressed on the first request that asks, kept for the rest.
            self.answer.compressed(compression::gzip)
        } else {
            self.answer.json.as_bytes()
        }
    }
}

fn json_response<B: AsRef<[u8]> + Unpin + Send + 'static>(
    request: &Request<'_>,
    status: Status,
    body: B,
) -> response::Result<'static> {
    let mut response = rocket::serde::json::Json(()).respond_to(request)?;
    response.set_status(status);
    let len = body.as_ref().len();
    response.set_sized_body(len, std::io::Cursor::new(body));
    Ok(response)
}

pub fn ok<T>(value: T) -> ApiJson<T> {
    ApiJson(Status::Ok, value)
}

pub fn created<T>(value: T) -> ApiJson<T> {
    ApiJson(Status::Created, value)
}

pub fn routes() -> Vec<Route> {
    let mut routes = rocket::routes![openapi::openapi_json, me::health];
    routes.extend(me::routes());
    routes.extend(municipalities::routes());
    routes.extend(audit::routes());
    routes.extend(users::routes());
    routes.extend(tokens::routes());
    routes.extend(products::routes());
    routes.extend(providers::routes());
    routes.extend(contracts::routes());
    routes.extend(trajectories::routes());
    routes.extend(trajectories::registration_routes());
    routes.extend(trajectories::extension_routes());
    routes.extend(invoices::routes());
    routes.extend(reports::routes());
    routes.extend(offers::routes());
    routes
}
