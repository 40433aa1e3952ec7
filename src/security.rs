//! Response headers that every page and API answer carries, and the access log.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

use crate::telemetry;

/// No inline script, no framing, no MIME sniffing, no referrer leaks.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, _request: &'r Request<'_>, response: &mut Response<'r>) {
        response.set_header(Header::new(
            "Content-Security-Policy",
            CONTENT_SECURITY_POLICY,
        ));
        response.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        response.set_header(Header::new("X-Frame-Options", "DENY"));
        response.set_header(Header::new("Referrer-Policy", "no-referrer"));
        response.set_header(Header::new("Cache-Control", "no-store"));
    }
}

/// One log event per request, in the request's span (see `telemetry`): status and
/// duration; the span names the request id, method and path without its query (a query may
/// carry a BSN). Rocket's own request log is off for the same reason. Every answer carries
/// the request id in `X-Request-Id`.
pub struct AccessLog;

#[rocket::async_trait]
impl Fairing for AccessLog {
    fn info(&self) -> Info {
        Info {
            name: "access log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut rocket::Data<'_>) {
        telemetry::request_context(request);
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let context = telemetry::request_context(request);
        response.set_header(Header::new(
            telemetry::REQUEST_ID_HEADER,
            context.id.clone(),
        ));
        tracing::info!(
            target: "plusmarkt::access",
            parent: &context.span,
            status = response.status().code,
            duration_ms = u64::try_from(context.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "answered"
        );
    }
}
