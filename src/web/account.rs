//! Logging in and out, and the start page.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use std::net::IpAddr;

use super::confirm::{self, Confirmation};
use super::{render, Errors, Layout};
use crate::auth::csrf::{csrf_cookie, CsrfForm, CsrfToken, CSRF_COOKIE};
use crate::auth::guards::{session_cookie, SESSION_COOKIE};
use crate::auth::pending::PendingSignIn;
use crate::auth::ratelimit::{note_password_attempt, password_change_keys, LoginLimiter};
use crate::auth::CurrentUser;
use crate::config::Config;
use crate::crypto::secret::random_token;
use crate::domain::clock::Clock;
use crate::domain::second_factor::{AfterPassword, MfaPolicy};
use crate::error::{AppError, AppResult};
use crate::services::{second_factor, sessions, users};
use crate::views::tokens::TokenRow;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    error: Option<String>,
    email: String,
    /// "Inloggen met je organisatie" (`PLUSMARKT_OIDC_*` set).
    sign_on: bool,
    /// The e-mail address and password form (`PLUSMARKT_PASSWORD_LOGIN`).
    password_login: bool,
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

#[rocket::get("/login?<hersteld>&<uitgelogd>&<verlopen>&<opnieuw>")]
fn login_page(
    csrf: CsrfToken,
    hersteld: Option<u8>,
    uitgelogd: Option<&str>,
    verlopen: Option<u8>,
    config: &State<Config>,
    opnieuw: Option<u8>,
) -> RawHtml<String> {
    let flash = if opnieuw.is_some() {
        Some(
            "Het inloggen is niet afgemaakt: de code werd niet binnen vijf minuten na het \
             wachtwoord ingevuld, of de pagina was te oud. Log opnieuw in.",
        )
    } else if hersteld.is_some() {
        Some("Uw nieuwe wachtwoord is opgeslagen. Log ermee in.")
    } else if uitgelogd == Some("overal") {
        Some("U bent overal uitgelogd: op deze en op elke andere computer of telefoon.")
    } else if verlopen.is_some() {
        Some(
            "Uw sessie is afgelopen: u deed een half uur niets, u was langer dan twaalf uur \
             ingelogd, of u bent elders uitgelogd. Log opnieuw in.",
        )
    } else {
        None
    };
    render(&LoginPage {
        layout: Layout::new("Inloggen", None, &csrf.0, "/login")
            .with_flash(flash.map(str::to_string)),
        error: None,
        email: String::new(),
        sign_on: config.oidc.is_some(),
        password_login: config.password_login,
    })
}

/// What POST /login says when password login is switched off.
pub const PASSWORD_LOGIN_OFF: &str = "Inloggen met e-mailadres en wachtwoord staat uit. Kies „Inloggen met je organisatie” en log in zoals u bij uw organisatie gewend bent.";

#[allow(clippy::too_many_arguments)]
#[rocket::post("/login", data = "<form>")]
async fn login(
    form: CsrfForm<LoginForm>,
    db: &State<DatabaseConnection>,
    config: &State<Config>,
    clock: &State<Clock>,
    limiter: &State<LoginLimiter>,
    cookies: &CookieJar<'_>,
    client: Option<IpAddr>,
    csrf: CsrfToken,
) -> AppResult<Result<Redirect, (rocket::http::Status, RawHtml<String>)>> {
    let form = form.0;
    let email = form.email.trim().to_lowercase();
    let page = |error: &str, email: String| {
        render(&LoginPage {
            layout: Layout::new("Inloggen", None, &csrf.0, "/login"),
            error: Some(error.into()),
            email,
            sign_on: config.oidc.is_some(),
            password_login: config.password_login,
        })
    };
    let method = sessions::SignInMethod::Password;
    if !config.password_login {
        sessions::record_failure(db.inner(), Some(&email), &method, "password_login_off").await?;
        return Ok(Err((
            rocket::http::Status::Forbidden,
            page(PASSWORD_LOGIN_OFF, String::new()),
        )));
    }
    let client = client.map(|ip| ip.to_string()).unwrap_or_default();
    if let Err(retry_after_secs) = limiter.check(&email, &client) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let Some(user) = sessions::check_password(db.inner(), &email, &form.password).await? else {
        limiter.record_failure(&email, &client);
        sessions::record_failure(
            db.inner(),
            Some(&email),
            &method,
            "e-mailadres of wachtwoord onjuist, of gebruiker niet actief",
        )
        .await?;
        let page = page("Het e-mailadres of het wachtwoord klopt niet.", email);
        return Ok(Err((rocket::http::Status::Unauthorized, page)));
    };
    // A second factor to go: no session yet, only the pending cookie. The limiter's count
    // for the address stays until the code passes, so that wrong codes add up however often
    // the password is typed again.
    let next = match second_factor::after_password(config.mfa, &user) {
        AfterPassword::SignIn => None,
        AfterPassword::Code => Some("/login/code"),
        AfterPassword::Enrol => Some("/account/2fa"),
    };
    if let Some(next) = next {
        if next == "/account/2fa" {
            second_factor::password_step_for_enrolment(db.inner(), &user).await?;
        }
        cookies.add_private(PendingSignIn::new(&user.id, clock.now()).cookie());
        return Ok(Ok(Redirect::to(next)));
    }
    limiter.record_success(&email);
    let replacing = cookies
        .get_private(SESSION_COOKIE)
        .map(|c| c.value().to_string());
    let token = sessions::open(
        db.inner(),
        clock.now(),
        &user,
        &method,
        replacing.as_deref(),
    )
    .await?;
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

/// "Overal uitloggen": ends every session of the signed-in user, on every device, this one
/// included (a forgotten session on a shared computer, a lost laptop).
#[rocket::post("/account/overal-uitloggen", data = "<_form>")]
async fn logout_everywhere(
    _form: CsrfForm<LogoutForm>,
    user: CurrentUser,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
) -> AppResult<Redirect> {
    sessions::log_out_everywhere(db.inner(), &user.0).await?;
    cookies.remove_private(SESSION_COOKIE);
    cookies.remove_private(CSRF_COOKIE);
    Ok(Redirect::to("/login?uitgelogd=overal"))
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
    tokens: Vec<TokenLine>,
    errors: Errors,
    /// "aan sinds 07-12-2026 16:10" when the second factor is on.
    second_factor_since: Option<String>,
    recovery_codes_left: u64,
    /// Whether the second factor is required (then it cannot be switched off here).
    mfa_required: bool,
}

/// An API token as a row on the account page and the administrator's user page.
pub struct TokenLine {
    pub id: String,
    pub label: String,
    pub made: String,
    pub last_used: String,
    pub expires: String,
    pub expired: bool,
}

fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono::Local)
        .format("%d-%m-%Y %H:%M")
        .to_string()
}

/// The rows of a token table, as dates and words a casemanager reads.
pub fn token_lines(tokens: Vec<TokenRow>, now: chrono::DateTime<chrono::Utc>) -> Vec<TokenLine> {
    tokens
        .into_iter()
        .map(|t| TokenLine {
            made: local_time(t.created_at),
            last_used: t.last_used_at.map_or("nog nooit".into(), local_time),
            expires: t.expires_at.map_or("verloopt niet".into(), local_time),
            expired: t.expires_at.is_some_and(|at| at <= now),
            id: t.id,
            label: t.label,
        })
        .collect()
}

/// What revoking a token does, for the confirmation step; `action` and `back` are the
/// page's own (the account page, or the administrator's user page).
pub fn revoke_confirmation(token: &TokenRow, action: String, back: String) -> Confirmation {
    Confirmation {
        title: format!("Token „{}” intrekken?", token.label),
        sentences: vec![
            format!(
                "Koppelingen die token „{}” van {} gebruiken, werken meteen niet meer: plusmarkt weigert het token vanaf nu.",
                token.label, token.user_email
            ),
            "Intrekken kan niet ongedaan worden gemaakt. Is het token later toch nodig, maak dan een nieuw token aan.".into(),
        ],
        action,
        fields: Vec::new(),
        yes: format!("Ja, trek token „{}” in", token.label),
        back,
    }
}

#[allow(clippy::too_many_arguments)]
async fn account_page(
    db: &DatabaseConnection,
    clock: &Clock,
    mfa: MfaPolicy,
    who: &crate::domain::principal::Principal,
    csrf: &str,
    errors: Vec<crate::error::FieldError>,
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    let tokens = crate::views::tokens::list(db, who, Some(&who.user_id)).await?;
    let second = crate::views::second_factor::status(db, &who.user_id).await?;
    Ok(render(&AccountPage {
        second_factor_since: second.on_since.map(local_time),
        recovery_codes_left: second.recovery_codes_left,
        mfa_required: mfa == MfaPolicy::Required,
        layout: Layout::new("Mijn account", Some(who), csrf, "/account").with_flash(flash),
        name: who.name.clone(),
        email: who.email.clone(),
        role_label: who.role.label_nl().to_string(),
        tokens: token_lines(tokens, clock.now()),
        errors: Errors(errors),
    }))
}

#[allow(clippy::too_many_arguments)]
#[rocket::get("/account?<gewijzigd>&<ingetrokken>&<herstelcodes_over>&<tweestaps_uit>")]
async fn account(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    config: &State<Config>,
    user: CurrentUser,
    csrf: CsrfToken,
    gewijzigd: Option<u8>,
    ingetrokken: Option<u8>,
    herstelcodes_over: Option<u64>,
    tweestaps_uit: Option<u8>,
) -> AppResult<RawHtml<String>> {
    let flash = match (gewijzigd, ingetrokken, herstelcodes_over, tweestaps_uit) {
        (Some(_), ..) => Some("Uw wachtwoord is gewijzigd.".to_string()),
        (None, Some(_), ..) => Some(
            "Het token is ingetrokken: koppelingen die het gebruiken, werken niet meer.".into(),
        ),
        (None, None, Some(0), _) => Some(
            "U bent ingelogd met uw laatste herstelcode. U hebt er nu geen meer over: vraag een beheerder om uw tweestapsverificatie opnieuw in te stellen als u uw telefoon kwijt bent.".into(),
        ),
        (None, None, Some(1), _) => Some(
            "U bent ingelogd met een herstelcode. Die code werkt niet meer; u hebt nog 1 herstelcode over.".into(),
        ),
        (None, None, Some(left), _) => Some(format!(
            "U bent ingelogd met een herstelcode. Die code werkt niet meer; u hebt nog {left} herstelcodes over."
        )),
        (None, None, None, Some(_)) => Some(
            "Tweestapsverificatie staat uit. U logt weer in met alleen uw wachtwoord.".into(),
        ),
        (None, None, None, None) => None,
    };
    account_page(
        db.inner(),
        clock.inner(),
        config.mfa,
        &user.0,
        &csrf.0,
        Vec::new(),
        flash,
    )
    .await
}

/// The revoke form: only `bevestigd=ja` from the confirmation page revokes.
#[derive(FromForm)]
pub struct RevokeForm {
    pub bevestigd: Option<String>,
}

/// Revokes one of the user's own API tokens, after the confirmation step (one click
/// without `bevestigd=ja` answers the confirmation page and changes nothing). Someone
/// else's token is 404.
#[rocket::post("/account/tokens/<id>/intrekken", data = "<form>")]
async fn revoke_token(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    user: CurrentUser,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<RevokeForm>,
) -> AppResult<Result<Redirect, RawHtml<String>>> {
    // Own tokens only, also for an administrator (others' are on the user page).
    let token = crate::views::tokens::get(db.inner(), &user.0, id).await?;
    if token.user_id != user.0.user_id {
        return Err(AppError::NotFound);
    }
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let c = revoke_confirmation(
            &token,
            format!("/account/tokens/{id}/intrekken"),
            "/account#tokens".into(),
        );
        return Ok(Err(confirm::page(c, &user.0, &csrf.0, "/account")));
    }
    users::revoke_token(db.inner(), &user.0, clock.inner(), id).await?;
    Ok(Ok(Redirect::to("/account?ingetrokken=1#tokens")))
}

/// The password change form. Passwords are never shown back.
#[derive(FromForm)]
pub struct PasswordForm {
    current: String,
    new: String,
}

#[allow(clippy::too_many_arguments)]
#[rocket::post("/account/wachtwoord", data = "<form>")]
async fn change_password(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    config: &State<Config>,
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
    let renew = (user.0.token_label.is_none() && cookies.get_private(SESSION_COOKIE).is_some())
        .then(|| clock.now());
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
            account_page(
                db.inner(),
                clock.inner(),
                config.mfa,
                &user.0,
                &csrf.0,
                errors,
                None,
            )
            .await?,
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
        revoke_token,
        change_password,
        logout_everywhere,
        reset_form,
        reset
    ]
}
