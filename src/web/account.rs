//! Logging in and out, and the start page.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use std::net::IpAddr;

use super::{render, Layout};
use crate::auth::csrf::{csrf_cookie, CsrfForm, CsrfToken, CSRF_COOKIE};
use crate::auth::guards::SESSION_COOKIE;
use crate::auth::ratelimit::LoginLimiter;
use crate::auth::CurrentUser;
use crate::crypto::secret::random_token;
use crate::error::{AppError, AppResult};
use crate::services::sessions;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    error: Option<String>,
    email: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    name: String,
    role_label: String,
    municipality: Option<String>,
}

#[derive(FromForm)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// Logging out carries nothing but the CSRF token.
#[derive(FromForm)]
pub struct LogoutForm {
    #[field(name = "csrf_token")]
    _token: String,
}

#[rocket::get("/login")]
fn login_page(csrf: CsrfToken) -> RawHtml<String> {
    render(&LoginPage {
        layout: Layout::new("Inloggen", None, &csrf.0, "/login"),
        error: None,
        email: String::new(),
    })
}

#[rocket::post("/login", data = "<form>")]
async fn login(
    form: CsrfForm<LoginForm>,
    db: &State<DatabaseConnection>,
    limiter: &State<LoginLimiter>,
    cookies: &CookieJar<'_>,
    client: Option<IpAddr>,
    csrf: CsrfToken,
) -> AppResult<Result<Redirect, (rocket::http::Status, RawHtml<String>)>> {
    let form = form.0;
    let email = form.email.trim().to_lowercase();
    let client = client.map(|ip| ip.to_string()).unwrap_or_default();
    if let Err(retry_after_secs) = limiter.check(&email, &client) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let session = sessions::log_in(db.inner(), &email, &form.password).await?;
    let Some((_principal, token)) = session else {
        limiter.record_failure(&email, &client);
        let page = render(&LoginPage {
            layout: Layout::new("Inloggen", None, &csrf.0, "/login"),
            error: Some("Het e-mailadres of het wachtwoord klopt niet.".into()),
            email,
        });
        return Ok(Err((rocket::http::Status::Unauthorized, page)));
    };
    limiter.record_success(&email);
    // Rocket marks private cookies Secure itself when TLS is on.
    cookies.add_private(
        Cookie::build((SESSION_COOKIE, token))
            .http_only(true)
            .same_site(SameSite::Strict)
            .path("/")
            .build(),
    );
    // A fresh CSRF token for the new session.
    cookies.add_private(csrf_cookie(random_token()));
    Ok(Ok(Redirect::to("/")))
}

#[rocket::post("/logout", data = "<_form>")]
async fn logout(
    _form: CsrfForm<LogoutForm>,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
) -> AppResult<Redirect> {
    if let Some(cookie) = cookies.get_private(SESSION_COOKIE) {
        sessions::log_out(db.inner(), cookie.value()).await?;
    }
    cookies.remove_private(SESSION_COOKIE);
    cookies.remove_private(CSRF_COOKIE);
    Ok(Redirect::to("/login"))
}

#[rocket::get("/")]
async fn home(
    user: Option<CurrentUser>,
    csrf: CsrfToken,
    db: &State<DatabaseConnection>,
) -> AppResult<Result<RawHtml<String>, Box<Redirect>>> {
    let Some(CurrentUser(principal)) = user else {
        return Ok(Err(Box::new(Redirect::to("/login"))));
    };
    // The municipality by its name, as everywhere else on the pages.
    let municipality = match principal.municipality.as_deref() {
        Some(code) => Some(
            crate::views::contracts::municipality_name(db.inner(), code)
                .await?
                .unwrap_or_else(|| code.to_string()),
        ),
        None => None,
    };
    Ok(Ok(render(&HomePage {
        layout: Layout::new("Start", Some(&principal), &csrf.0, "/"),
        name: principal.name.clone(),
        role_label: principal.role.label_nl().to_string(),
        municipality,
    })))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![login_page, login, logout, home]
}
