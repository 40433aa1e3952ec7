//! The log. The binary sets up one `tracing` subscriber at start ([`init`]); the library
//! installs none, so tests and other embedders choose their own (or none).
//!
//! Every request gets a [`RequestContext`]: an id, echoed in the `X-Request-Id` response
//! header, and a span carrying it, the parent of the access log event and of the errors
//! logged while answering. The id is the reference the 500 page and problem show, so a
//! user's report can be found in the log.
//!
//! What is logged: methods, paths (ids and codes, never a BSN), statuses, durations, error
//! causes, outbox ids. Never a query string, a request body, an e-mail address or a BSN.

use std::io::IsTerminal;
use std::time::Instant;

use rocket::Request;
use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

/// The longest request id taken over from a client.
const MAX_CLIENT_ID_LEN: usize = 64;

/// The subscriber the settings describe, writing to `writer` (text with colours when
/// `ansi`). `init` installs it with standard error as the writer; tests can install it for a
/// while with their own writer.
pub fn subscriber<W>(
    settings: &LogSettings,
    writer: W,
    ansi: bool,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    // The settings were checked when the configuration was read; should the filter fail
    // here after all, the default keeps the log going rather than silencing it.
    let filter = EnvFilter::try_new(&settings.filter)
        .unwrap_or_else(|_| EnvFilter::new(LogSettings::DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match settings.format {
        LogFormat::Text => Box::new(builder.with_ansi(ansi).finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .finish(),
        ),
    }
}

/// Installs the log for this process: events go to standard error (the commands' own
/// output goes to standard output), as text or JSON lines.
pub fn init(settings: &LogSettings) -> Result<(), String> {
    let ansi = std::io::stderr().is_terminal();
    tracing::subscriber::set_global_default(subscriber(settings, std::io::stderr, ansi))
        .map_err(|e| format!("log instellen mislukt: {e}"))
}

/// One request as the log knows it.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// 32 hex digits (a UUIDv7), or the client's own `X-Request-Id` when well-formed.
    pub id: String,
    /// `request{id, method, path}`: the parent of the events logged for this request.
    pub span: tracing::Span,
    pub started: Instant,
}

impl RequestContext {
    fn start(request: &Request<'_>) -> RequestContext {
        let id = request
            .headers()
            .get_one(REQUEST_ID_HEADER)
            .filter(|id| is_acceptable_id(id))
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
        // At ERROR level so that the span, and with it the request id, is there whenever
        // any event of the request passes the filter (PLUSMARKT_LOG=warn keeps the ids of
        // failed requests). The path leaves out the query, which may carry a BSN.
        let span = tracing::error_span!(
            target: "plusmarkt::request",
            "request",
            id = %id,
            method = %request.method(),
            path = %request.uri().path(),
        );
        RequestContext {
            id,
            span,
            started: Instant::now(),
        }
    }
}

/// The context of a request: made by the access log fairing when the request comes in,
/// the same value for everything that asks later.
pub fn request_context<'r>(request: &'r Request<'_>) -> &'r RequestContext {
    request.local_cache(|| RequestContext::start(request))
}

/// A client's request id is taken over when it is short and plain: letters, digits, `-`
/// and `_` only, so it cannot forge log lines or headers.
fn is_acceptable_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_client_ids_are_taken_over() {
        assert!(is_acceptable_id("0193a4b2-7c1d-7e2f-9a3b-4c5d6e7f8a9b"));
        assert!(is_acceptable_id("proxy_42"));
        assert!(!is_acceptable_id(""));
        assert!(!is_acceptable_id("a b"));
        assert!(!is_acceptable_id("x\r\nINFO forged"));
        assert!(!is_acceptable_id(&"a".repeat(65)));
    }
}
