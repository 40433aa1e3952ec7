//! One error type for the whole service. The API answers `application/problem+json`
//! (RFC 9457, [`Problem`]); the web answers a Dutch page. Database and internal errors are
//! logged with their cause and shown to the user without it. The responder and the default
//! catcher, which choose between the two, are in `web::errors` (the web owns the HTML).

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::Response;
use serde::Serialize;
use std::io::Cursor;

/// One field that failed validation, named as the client sent it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("niet gevonden")]
    NotFound,
    #[error("niet ingelogd")]
    Unauthorized,
    #[error("geen toegang: {0}")]
    Forbidden(String),
    #[error("ongeldige aanvraag: {0}")]
    BadRequest(String),
    /// Valid input that breaks a rule: 422 with the rule in `detail`.
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// An illegal state transition or a conflicting write.
    #[error("{0}")]
    Conflict(String),
    #[error("de gegevens zijn intussen door iemand anders gewijzigd")]
    PreconditionFailed,
    #[error("te veel pogingen; probeer het over {retry_after_secs} seconden opnieuw")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("databasefout")]
    Database(#[from] sea_orm::DbErr),
    #[error("interne fout: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn validation(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        AppError::Validation {
            detail: detail.into(),
            errors,
        }
    }

    /// A 422 about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::Validation {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn status(&self) -> Status {
        match self {
            AppError::NotFound => Status::NotFound,
            AppError::Unauthorized => Status::Unauthorized,
            AppError::Forbidden(_) => Status::Forbidden,
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Validation { .. } => Status::UnprocessableEntity,
            AppError::Conflict(_) => Status::Conflict,
            AppError::PreconditionFailed => Status::PreconditionFailed,
            AppError::TooManyRequests { .. } => Status::TooManyRequests,
            AppError::Database(_) | AppError::Internal(_) => Status::InternalServerError,
        }
    }

    /// The text shown to the user: never the cause of an internal error.
    pub fn public_detail(&self) -> String {
        match self {
            AppError::Database(_) | AppError::Internal(_) => {
                "Er ging iets mis aan onze kant. Er is niets gewijzigd; probeer het opnieuw.".into()
            }
            other => other.to_string(),
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Validation { errors, .. } => errors,
            _ => &[],
        }
    }

    pub fn problem(&self) -> Problem {
        Problem::new(
            self.status(),
            self.public_detail(),
            self.field_errors().to_vec(),
        )
    }
}

/// An illegal move of a trajectory or order line: 409 with the rule.
impl From<crate::domain::trajectory::IllegalTransition> for AppError {
    fn from(e: crate::domain::trajectory::IllegalTransition) -> Self {
        AppError::Conflict(e.to_string())
    }
}

/// An illegal move of an invoice: 409 with the rule.
impl From<crate::domain::invoice::IllegalInvoiceMove> for AppError {
    fn from(e: crate::domain::invoice::IllegalInvoiceMove) -> Self {
        AppError::Conflict(e.to_string())
    }
}

/// An illegal move of a contract: 409 with the rule.
impl From<crate::domain::contract::IllegalContractTransition> for AppError {
    fn from(e: crate::domain::contract::IllegalContractTransition) -> Self {
        AppError::Conflict(e.to_string())
    }
}

/// A contract without room for an order or an extension: 422 naming the fields.
impl From<crate::domain::commitment::Refused> for AppError {
    fn from(refused: crate::domain::commitment::Refused) -> AppError {
        AppError::validation(
            refused.detail(),
            refused
                .problems()
                .into_iter()
                .map(|(field, message)| FieldError::new(field, message))
                .collect(),
        )
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// On a server error (5xx) only: the reference of the request in the server's log, the
    /// same as the `X-Request-Id` response header. Quote it when reporting the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "01938b5e0c7a7f3e9d2b4a6c8e0f1a2b")]
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(status: Status, detail: String, errors: Vec<FieldError>) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: status.reason_lossy().to_string(),
            status: status.code,
            detail,
            errors,
            request_id: None,
        }
    }

    /// The problem with the request's log reference: a server error names it.
    pub fn with_request_id(mut self, request_id: &str) -> Problem {
        if self.status >= 500 {
            self.request_id = Some(request_id.to_string());
        }
        self
    }

    pub fn respond(&self, extra_headers: Vec<Header<'static>>) -> Response<'static> {
        let body = serde_json::to_string(self).unwrap_or_else(|_| "{}".into());
        let mut builder = Response::build();
        builder
            .status(Status::new(self.status))
            .header(ContentType::new("application", "problem+json"))
            .sized_body(body.len(), Cursor::new(body));
        for header in extra_headers {
            builder.header(header);
        }
        builder.finalize()
    }
}

/// The detail of an error raised by a guard, kept for the catcher to show.
#[derive(Debug, Clone, Default)]
pub struct GuardErrorDetail(pub Option<(String, Vec<FieldError>)>);

/// Keeps a guard's error for the catcher, which otherwise sees only the status.
pub fn remember_error(request: &Request<'_>, error: &AppError) {
    request.local_cache(|| {
        GuardErrorDetail(Some((error.public_detail(), error.field_errors().to_vec())))
    });
}

/// Whether a request should be answered as the API (JSON) rather than the web (HTML).
pub fn wants_api(request: &Request<'_>) -> bool {
    request.uri().path().starts_with("/api/")
}
