//! Errors as answers. The web owns the HTML half, so the responder of [`AppError`] and the
//! default catcher live here: problem+json for the API (under /api/), a Dutch page for the
//! web, and a redirect to the login page for a web request without a session.

use std::io::Cursor;

use askama::Template;
use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Redirect, Responder, Response};
use rocket::Catcher;

use super::{render, Layout};
use crate::error::{wants_api, AppError, GuardErrorDetail, Problem};
use crate::telemetry::request_context;

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        if matches!(self, AppError::Database(_) | AppError::Internal(_)) {
            let context = request_context(request);
            tracing::error!(parent: &context.span, error = ?self, "request failed");
        }
        let mut headers = Vec::new();
        if let AppError::TooManyRequests { retry_after_secs } = &self {
            headers.push(Header::new("Retry-After", retry_after_secs.to_string()));
        }
        if wants_api(request) {
            return Ok(self
                .problem()
                .with_request_id(&request_context(request).id)
                .respond(headers));
        }
        if matches!(self, AppError::Unauthorized) {
            return Redirect::to(login_path(request)).respond_to(request);
        }
        Ok(html_response(
            self.status(),
            error_page(request, self.status(), &self.public_detail()),
            headers,
        ))
    }
}

/// A response built by hand, for the catcher.
struct Prepared(Response<'static>);

impl<'r> Responder<'r, 'static> for Prepared {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Ok(self.0)
    }
}

/// Answers every error status that no [`AppError`] answered (a guard's, Rocket's own):
/// with the guard's detail when it kept one (`error::remember_error`).
#[rocket::catch(default)]
fn default_catcher(status: Status, request: &Request<'_>) -> Result<Prepared, Status> {
    catch_any(status, request).map(Prepared)
}

fn catch_any(status: Status, request: &Request<'_>) -> response::Result<'static> {
    let (detail, errors) = request
        .local_cache(GuardErrorDetail::default)
        .0
        .clone()
        .unwrap_or_else(|| (default_detail(status).to_string(), Vec::new()));
    let status = if status.code == 0 {
        Status::InternalServerError
    } else {
        status
    };
    if status.code >= 500 {
        // A guard's or Rocket's own failure: the cause was not an AppError answered above.
        let context = request_context(request);
        tracing::error!(parent: &context.span, status = status.code, "request failed");
    }
    if wants_api(request) {
        let mut headers = Vec::new();
        if status == Status::TooManyRequests {
            headers.push(Header::new("Retry-After", "900"));
        }
        return Ok(Problem::new(status, detail, errors)
            .with_request_id(&request_context(request).id)
            .respond(headers));
    }
    if status == Status::Unauthorized {
        return Redirect::to(login_path(request)).respond_to(request);
    }
    Ok(html_response(
        status,
        error_page(request, status, &detail),
        Vec::new(),
    ))
}

fn html_response(status: Status, html: String, headers: Vec<Header<'static>>) -> Response<'static> {
    let mut builder = Response::build();
    builder
        .status(status)
        .header(ContentType::HTML)
        .sized_body(html.len(), Cursor::new(html));
    for header in headers {
        builder.header(header);
    }
    builder.finalize()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    heading: &'a str,
    detail: &'a str,
    /// On a server error: the request id to quote to the service desk.
    reference: Option<&'a str>,
}

/// A Dutch error page for any status.
pub fn error_page(request: &Request<'_>, status: Status, detail: &str) -> String {
    let principal = crate::auth::guards::cached_principal(request);
    let heading = match status.code {
        400 => "Ongeldige aanvraag",
        401 => "Niet ingelogd",
        403 => "Geen toegang",
        404 => "Niet gevonden",
        409 => "Dat kan nu niet",
        412 => "Intussen gewijzigd",
        413 => "Te groot",
        422 => "Controleer de invoer",
        429 => "Te veel pogingen",
        _ => "Er ging iets mis",
    };
    let page = ErrorPage {
        layout: Layout::new(
            heading,
            principal.as_ref(),
            "",
            request.uri().path().as_str(),
        ),
        heading,
        detail,
        reference: (status.code >= 500)
            .then(|| crate::telemetry::request_context(request).id.as_str()),
    };
    render(&page).0
}

/// The default explanation of a status, for catchers that have no detail.
pub fn default_detail(status: Status) -> &'static str {
    match status.code {
        400 => "De aanvraag kon niet worden gelezen.",
        401 => "Log eerst in.",
        403 => "U heeft geen toegang tot deze pagina, of het formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.",
        404 => "Deze pagina of dit gegeven bestaat niet, of is niet van uw gemeente.",
        405 => "Deze handeling is hier niet mogelijk.",
        413 => "De aanvraag is te groot.",
        422 => "Een of meer velden zijn niet goed ingevuld.",
        429 => "Te veel mislukte pogingen. Wacht een kwartier en probeer het dan opnieuw.",
        _ => "Er ging iets mis aan onze kant. Er is niets gewijzigd; probeer het opnieuw.",
    }
}

pub fn catchers() -> Vec<Catcher> {
    rocket::catchers![default_catcher]
}

/// Where a page without a valid session sends the browser: the login page, saying so when
/// the browser's session has just ended (idle or too long).
fn login_path(request: &Request<'_>) -> &'static str {
    if crate::auth::guards::session_ended(request) {
        "/login?verlopen=1"
    } else {
        "/login"
    }
}
