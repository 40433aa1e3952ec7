//! Logging in and out, and the start page.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use std::net::IpAddr;

use super::{render, Errors, Layout};
use crate::auth::csrf::{csrf_cookie, CsrfForm, CsrfToken, CSRF_COOKIE};
use crate::auth::guards::{session_cookie, SESSION_COOKIE};
use crate::auth::ratelimit::{note_password_attempt, password_change_keys, LoginLimiter};
use crate::auth::CurrentUser;
use crate::crypto::secret::random_token;
use crate::domain::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::services::{sessions, users};

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

#[rocket::get("/login?<hersteld>")]
fn login_page(csrf: CsrfToken, hersteld: Option<u8>) -> RawHtml<String> {
    render(&LoginPage {
        layout: Layout::new("Inloggen", None, &csrf.0, "/login").with_flash(
            hersteld.map(|_| "Uw nieuwe wachtwoord is opgeslagen. Log ermee in.".to_string()),
        ),
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
    cookies.add_private(session_cookie(token));
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

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    email: String,
    role_label: String,
    errors: Errors,
}

fn account_page(
    who: &crate::domain::principal::Principal,
    csrf: &str,
    errors: Vec<crate::error::FieldError>,
    flash: Option<String>,
) -> RawHtml<String> {
    render(&AccountPage {
        layout: Layout::new("Mijn account", Some(who), csrf, "/account").with_flash(flash),
        name: who.name.clone(),
        email: who.email.clone(),
        role_label: who.role.label_nl().to_string(),
        errors: Errors(errors),
    })
}

#[rocket::get("/account?<gewijzigd>")]
fn account(user: CurrentUser, csrf: CsrfToken, gewijzigd: Option<u8>) -> RawHtml<String> {
    let flash = gewijzigd.map(|_| "Uw wachtwoord is gewijzigd.".to_string());
    account_page(&user.0, &csrf.0, Vec::new(), flash)
}

/// The password change form. Passwords are never shown back.
#[derive(FromForm)]
pub struct PasswordForm {
    current: String,
    new: String,
}

#[rocket::post("/account/wachtwoord", data = "<form>")]
async fn change_password(
    db: &State<DatabaseConnection>,
    limiter: &State<LoginLimiter>,
    cookies: &CookieJar<'_>,
    client: Option<IpAddr>,
    user: CurrentUser,
    csrf: CsrfToken,
    form: CsrfForm<PasswordForm>,
) -> AppResult<Result<Redirect, (Status, RawHtml<String>)>> {
    let form = form.0;
    let (account, client) = password_change_keys(&user.0, client);
    if let Err(retry_after_secs) = limiter.check(&account, &client) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let renew = user.0.token_label.is_none() && cookies.get_private(SESSION_COOKIE).is_some();
    let result = users::change_password(db.inner(), &user.0, &form.current, &form.new, renew).await;
    match note_password_attempt(limiter, &account, &client, result) {
        Ok(session) => {
            if let Some(token) = session {
                cookies.add_private(session_cookie(token));
            }
            Ok(Ok(Redirect::to("/account?gewijzigd=1")))
        }
        Err(AppError::Validation { errors, .. }) => Ok(Err((
            Status::UnprocessableEntity,
            account_page(&user.0, &csrf.0, errors, None),
        ))),
        Err(other) => Err(other),
    }
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    email: String,
    problem: Option<&'static str>,
    errors: Errors,
}

fn reset_page(
    csrf: &str,
    token: &str,
    email: String,
    problem: Option<users::ResetLinkProblem>,
    errors: Vec<crate::error::FieldError>,
) -> (Status, RawHtml<String>) {
    let title = if problem.is_some() {
        "Deze link werkt niet"
    } else {
        "Nieuw wachtwoord kiezen"
    };
    let status = match (&problem, errors.is_empty()) {
        (Some(_), _) => Status::Gone,
        (None, false) => Status::UnprocessableEntity,
        (None, true) => Status::Ok,
    };
    let html = render(&ResetPage {
        layout: Layout::new(title, None, csrf, "/wachtwoord-herstellen"),
        token: token.to_string(),
        email,
        problem: problem.map(|p| p.message_nl()),
        errors: Errors(errors),
    });
    (status, html)
}

/// The page behind a reset link (no login): the new password form, or why the link does not
/// work (used, expired, unknown) with 410.
#[rocket::get("/wachtwoord-herstellen/<token>")]
async fn reset_form(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    csrf: CsrfToken,
    token: &str,
) -> AppResult<(Status, RawHtml<String>)> {
    Ok(
        match users::reset_link_user(db.inner(), clock.inner(), token).await? {
            Ok(user) => reset_page(&csrf.0, token, user.email, None, Vec::new()),
            Err(problem) => reset_page(&csrf.0, token, String::new(), Some(problem), Vec::new()),
        },
    )
}

#[derive(FromForm)]
pub struct ResetForm {
    password: String,
}

#[rocket::post("/wachtwoord-herstellen/<token>", data = "<form>")]
async fn reset(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    csrf: CsrfToken,
    token: &str,
    form: CsrfForm<ResetForm>,
) -> AppResult<Result<Redirect, (Status, RawHtml<String>)>> {
    match users::reset_password(db.inner(), clock.inner(), token, &form.0.password).await {
        Ok(Ok(_)) => Ok(Ok(Redirect::to("/login?hersteld=1"))),
        Ok(Err(problem)) => Ok(Err(reset_page(
            &csrf.0,
            token,
            String::new(),
            Some(problem),
            Vec::new(),
        ))),
        Err(AppError::Validation { errors, .. }) => {
            let email = match users::reset_link_user(db.inner(), clock.inner(), token).await? {
                Ok(user) => user.email,
                Err(_) => String::new(),
            };
            Ok(Err(reset_page(&csrf.0, token, email, None, errors)))
        }
        Err(other) => Err(other),
    }
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        login_page,
        login,
        logout,
        home,
        account,
        change_password,
        reset_form,
        reset
    ]
}
