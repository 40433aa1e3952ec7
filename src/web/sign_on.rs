//! Signing in through the organisation's OpenID provider: `/login/oidc` sends the browser
//! there, `/login/oidc/callback` takes it back. The protocol is in `services::sign_on`.

use askama::Template;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::{render, Layout};
use crate::auth::csrf::csrf_cookie;
use crate::auth::guards::{session_cookie, SESSION_COOKIE};
use crate::crypto::secret::random_token;
use crate::domain::clock::Clock;
use crate::error::AppResult;
use crate::services::sign_on::{Callback, Flow, Refusal, SignOn, FLOW_MINUTES};

/// The private cookie that carries the flow (state, nonce, PKCE verifier) to the provider
/// and back.
pub const FLOW_COOKIE: &str = "plusmarkt_sign_on";
const FLOW_PATH: &str = "/login/oidc";

/// The flow cookie: private, HTTP only, only for `/login/oidc…`, ten minutes; SameSite=Lax,
/// since the callback is a top-level GET from the provider's site.
fn flow_cookie(value: String) -> Cookie<'static> {
    Cookie::build((FLOW_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path(FLOW_PATH)
        .max_age(rocket::time::Duration::minutes(FLOW_MINUTES))
        .build()
}

#[derive(Template)]
#[template(path = "sign_on_error.html")]
struct RefusalPage {
    layout: Layout,
    message: &'static str,
    retry: bool,
}

#[derive(Template)]
#[template(path = "sign_on_done.html")]
struct DonePage {
    layout: Layout,
}

type Page = (Status, RawHtml<String>);

fn refusal_page(refusal: &Refusal) -> Page {
    let title = match refusal {
        Refusal::Unreachable => "Inloggen lukt nu niet",
        _ => "Inloggen is niet gelukt",
    };
    let page = render(&RefusalPage {
        layout: Layout::new(title, None, "", "/login/oidc"),
        message: refusal.message(),
        retry: refusal.retry(),
    });
    (
        Status::from_code(refusal.status()).unwrap_or(Status::Unauthorized),
        page,
    )
}

fn not_configured() -> Page {
    (
        Status::NotFound,
        render(&RefusalPage {
            layout: Layout::new("Inloggen via uw organisatie", None, "", "/login/oidc"),
            message: "Inloggen via uw organisatie is in deze plusmarkt niet ingesteld. Log in met uw e-mailadres en wachtwoord.",
            retry: false,
        }),
    )
}

/// Sends the browser to the provider, with a fresh flow in its cookie.
#[rocket::get("/login/oidc")]
async fn start(
    sign_on: &State<SignOn>,
    clock: &State<Clock>,
    cookies: &CookieJar<'_>,
) -> Result<Redirect, Page> {
    let Some(provider) = sign_on.provider() else {
        return Err(not_configured());
    };
    let (url, flow) = provider
        .begin(clock.now())
        .await
        .map_err(|refusal| refusal_page(&refusal))?;
    let value = serde_json::to_string(&flow).unwrap_or_default();
    cookies.add_private(flow_cookie(value));
    Ok(Redirect::to(url))
}

/// Where the provider sends the browser back: on success a session and the start page;
/// otherwise a Dutch page saying why, and nothing left behind.
#[rocket::get("/login/oidc/callback?<code>&<state>&<iss>&<error>&<error_description>")]
#[allow(clippy::too_many_arguments)]
async fn callback(
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    sign_on: &State<SignOn>,
    clock: &State<Clock>,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
) -> AppResult<Result<RawHtml<String>, Page>> {
    let Some(provider) = sign_on.provider() else {
        return Ok(Err(not_configured()));
    };
    // The flow is used once, whatever happens next.
    let flow = cookies
        .get_private(FLOW_COOKIE)
        .and_then(|cookie| serde_json::from_str::<Flow>(cookie.value()).ok());
    cookies.remove_private(Cookie::build(FLOW_COOKIE).path(FLOW_PATH));
    let replacing = cookies
        .get_private(SESSION_COOKIE)
        .map(|cookie| cookie.value().to_string());
    let answer = Callback {
        code,
        state,
        iss,
        error,
        error_description,
    };
    let outcome = provider
        .finish(db.inner(), clock.now(), flow, answer, replacing.as_deref())
        .await?;
    match outcome {
        Ok(signed_in) => {
            cookies.add_private(session_cookie(signed_in.session_token));
            cookies.add_private(csrf_cookie(random_token()));
            // A page that goes on to the start page itself: the session cookie is
            // SameSite=Strict, and a redirect in the chain that began at the provider's site
            // would arrive without it.
            Ok(Ok(render(&DonePage {
                layout: Layout::new("Ingelogd", None, "", "/login/oidc/callback"),
            })))
        }
        Err(refusal) => Ok(Err(refusal_page(&refusal))),
    }
}

pub fn routes() -> Vec<Route> {
    rocket::routes![start, callback]
}
