//! The second factor on the pages: the code after the password (`/login/code`), a recovery
//! code instead (`/login/herstelcode`), setting it up (`/account/2fa`, after the password
//! step or from the account page) and switching it off (`/account/2fa/uitzetten`). Until a
//! code passed there is no session, only the pending cookie of `auth::pending`; the session
//! is opened by `services::sessions::open`, as for a password alone.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use std::net::IpAddr;

use super::{render, Layout};
use crate::auth::csrf::{csrf_cookie, CsrfForm, CsrfToken};
use crate::auth::guards::{session_cookie, SESSION_COOKIE};
use crate::auth::pending::{self, PendingSignIn};
use crate::auth::ratelimit::{password_change_keys, LoginLimiter};
use crate::auth::CurrentUser;
use crate::config::Config;
use crate::crypto::bsn_vault::BsnVault;
use crate::crypto::secret::random_token;
use crate::domain::clock::Clock;
use crate::domain::principal::Principal;
use crate::domain::second_factor::{grouped, MfaPolicy};
use crate::error::{AppError, AppResult};
use crate::services::second_factor::{self, Refusal};
use crate::services::sessions::{self, SignInMethod};

type Page = (Status, RawHtml<String>);
type Answer = AppResult<Result<Redirect, Page>>;

/// Where a pending sign-in that is gone (stale, changed, never there) sends the browser.
const START_AGAIN: &str = "/login?opnieuw=1";

#[derive(Template)]
#[template(path = "second_factor_code.html")]
struct CodePage {
    layout: Layout,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "second_factor_recovery.html")]
struct RecoveryPage {
    layout: Layout,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "second_factor_enrol.html")]
struct EnrolPage {
    layout: Layout,
    qr_svg: String,
    secret: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "second_factor_codes.html")]
struct CodesPage {
    layout: Layout,
    codes: Vec<String>,
    next: &'static str,
}

#[derive(Template)]
#[template(path = "second_factor_disable.html")]
struct DisablePage {
    layout: Layout,
    error: Option<String>,
}

#[derive(FromForm)]
pub struct CodeForm {
    code: String,
}

fn code_page(csrf: &str, error: Option<&'static str>) -> RawHtml<String> {
    render(&CodePage {
        layout: Layout::new("Code invoeren", None, csrf, "/login"),
        error,
    })
}

fn recovery_page(csrf: &str, error: Option<&'static str>) -> RawHtml<String> {
    render(&RecoveryPage {
        layout: Layout::new("Inloggen met een herstelcode", None, csrf, "/login"),
        error,
    })
}

/// The QR code of an `otpauth://` URI as inline SVG, with a text alternative.
pub fn qr_svg(uri: &str) -> AppResult<String> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::Internal(format!("QR-code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let svg = match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => svg.as_str(),
    };
    Ok(svg.replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR-code om te scannen met uw authenticator-app; de code staat hieronder ook als tekst\" ",
        1,
    ))
}

/// Sets the cookies of a new session (and a fresh CSRF token), as the password login does,
/// and removes the pending sign-in.
fn set_session(cookies: &CookieJar<'_>, token: String) {
    cookies.add_private(session_cookie(token));
    cookies.add_private(csrf_cookie(random_token()));
    cookies.remove_private(pending::removal());
}

fn client_key(client: Option<IpAddr>) -> String {
    client.map(|ip| ip.to_string()).unwrap_or_default()
}

#[rocket::get("/login/code")]
async fn code_form(
    pending: Option<PendingSignIn>,
    db: &State<DatabaseConnection>,
    csrf: CsrfToken,
) -> AppResult<Result<RawHtml<String>, Redirect>> {
    let Some(pending) = pending else {
        return Ok(Err(Redirect::to(START_AGAIN)));
    };
    match second_factor::pending_user(db.inner(), &pending.user_id).await? {
        Some(user) if second_factor::is_on(&user) => Ok(Ok(code_page(&csrf.0, None))),
        Some(_) => Ok(Err(Redirect::to("/account/2fa"))),
        None => Ok(Err(Redirect::to(START_AGAIN))),
    }
}

/// A code sent without a usable password step: back to the login page. When the browser
/// did send a pending cookie (too old, or not this server's), the refused sign-in is in the
/// audit log too, for the user when the cookie still says who it was.
async fn gone(
    db: &DatabaseConnection,
    cookies: &CookieJar<'_>,
    method: &SignInMethod,
) -> AppResult<Redirect> {
    if cookies.get(pending::PENDING_COOKIE).is_some() {
        let stale = cookies
            .get_private(pending::PENDING_COOKIE)
            .and_then(|c| PendingSignIn::decode(c.value()));
        let (email, reason) = match stale {
            Some(p) => (
                second_factor::pending_user(db, &p.user_id)
                    .await?
                    .map(|u| u.email),
                "wachtwoordstap ouder dan vijf minuten",
            ),
            None => (
                None,
                "wachtwoordstap ongeldig (cookie niet van deze server)",
            ),
        };
        sessions::record_failure(db, email.as_deref(), method, reason).await?;
        cookies.remove_private(pending::removal());
    }
    Ok(Redirect::to(START_AGAIN))
}

/// Counts a refused code like a wrong password, records it in the audit log and answers 401
/// with the page saying why.
async fn refused(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    email: &str,
    client: &str,
    method: &SignInMethod,
    refusal: Refusal,
) -> AppResult<()> {
    limiter.record_failure(email, client);
    sessions::record_failure(db, Some(email), method, refusal.audit_reason()).await
}

#[allow(clippy::too_many_arguments)]
#[rocket::post("/login/code", data = "<form>")]
async fn code_submit(
    form: CsrfForm<CodeForm>,
    pending: Option<PendingSignIn>,
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    vault: &State<BsnVault>,
    limiter: &State<LoginLimiter>,
    cookies: &CookieJar<'_>,
    client: Option<IpAddr>,
    csrf: CsrfToken,
) -> Answer {
    let method = SignInMethod::SecondFactor;
    let Some(pending) = pending else {
        return Ok(Ok(gone(db.inner(), cookies, &method).await?));
    };
    let Some(user) = second_factor::pending_user(db.inner(), &pending.user_id).await? else {
        cookies.remove_private(pending::removal());
        return Ok(Ok(Redirect::to(START_AGAIN)));
    };
    let client = client_key(client);
    if let Err(retry_after_secs) = limiter.check(&user.email, &client) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let now = clock.now();
    match second_factor::check_code(db.inner(), vault.inner(), now, &user, &form.0.code).await? {
        Ok(()) => {
            limiter.record_success(&user.email);
            let replacing = cookies
                .get_private(SESSION_COOKIE)
                .map(|c| c.value().to_string());
            let token =
                sessions::open(db.inner(), now, &user, &method, replacing.as_deref()).await?;
            set_session(cookies, token);
            Ok(Ok(Redirect::to("/")))
        }
        Err(Refusal::NotOn) => {
            cookies.remove_private(pending::removal());
            Ok(Ok(Redirect::to(START_AGAIN)))
        }
        Err(refusal) => {
            refused(db.inner(), limiter, &user.email, &client, &method, refusal).await?;
            Ok(Err((
                Status::Unauthorized,
                code_page(&csrf.0, Some(refusal.message_nl())),
            )))
        }
    }
}

#[rocket::get("/login/herstelcode")]
async fn recovery_form(
    pending: Option<PendingSignIn>,
    csrf: CsrfToken,
) -> Result<RawHtml<String>, Redirect> {
    match pending {
        Some(_) => Ok(recovery_page(&csrf.0, None)),
        None => Err(Redirect::to(START_AGAIN)),
    }
}

#[allow(clippy::too_many_arguments)]
#[rocket::post("/login/herstelcode", data = "<form>")]
async fn recovery_submit(
    form: CsrfForm<CodeForm>,
    pending: Option<PendingSignIn>,
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    limiter: &State<LoginLimiter>,
    cookies: &CookieJar<'_>,
    client: Option<IpAddr>,
    csrf: CsrfToken,
) -> Answer {
    let method = SignInMethod::RecoveryCode;
    let Some(pending) = pending else {
        return Ok(Ok(gone(db.inner(), cookies, &method).await?));
    };
    let Some(user) = second_factor::pending_user(db.inner(), &pending.user_id).await? else {
        cookies.remove_private(pending::removal());
        return Ok(Ok(Redirect::to(START_AGAIN)));
    };
    let client = client_key(client);
    if let Err(retry_after_secs) = limiter.check(&user.email, &client) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let now = clock.now();
    match second_factor::use_recovery_code(db.inner(), now, &user, &form.0.code).await? {
        Ok(left) => {
            limiter.record_success(&user.email);
            let replacing = cookies
                .get_private(SESSION_COOKIE)
                .map(|c| c.value().to_string());
            let token =
                sessions::open(db.inner(), now, &user, &method, replacing.as_deref()).await?;
            set_session(cookies, token);
            Ok(Ok(Redirect::to(format!(
                "/account?herstelcodes_over={left}#tweestaps"
            ))))
        }
        Err(Refusal::NotOn) => {
            cookies.remove_private(pending::removal());
            Ok(Ok(Redirect::to(START_AGAIN)))
        }
        Err(refusal) => {
            refused(db.inner(), limiter, &user.email, &client, &method, refusal).await?;
            Ok(Err((
                Status::Unauthorized,
                recovery_page(&csrf.0, Some(refusal.message_nl())),
            )))
        }
    }
}

/// Who is setting up the second factor: someone between password and code (required, not
/// set up yet), or a signed-in user from the account page. The pending sign-in goes first:
/// it is the newer intention.
enum Subject {
    Pending,
    SignedIn(Principal),
}

/// Where someone who may not set up goes: the login page, saying why when their password
/// step is over.
fn not_now(cookies: &CookieJar<'_>) -> Redirect {
    if cookies.get_private(pending::PENDING_COOKIE).is_some() {
        cookies.remove_private(pending::removal());
        Redirect::to(START_AGAIN)
    } else {
        Redirect::to("/login")
    }
}

fn subject_of(
    pending: Option<PendingSignIn>,
    user: Option<CurrentUser>,
) -> Option<(Subject, String)> {
    match (pending, user) {
        (Some(p), _) => Some((Subject::Pending, p.user_id)),
        (None, Some(CurrentUser(who))) if who.token_label.is_none() => {
            let id = who.user_id.clone();
            Some((Subject::SignedIn(who), id))
        }
        _ => None,
    }
}

fn enrol_page(
    subject: &Subject,
    csrf: &str,
    qr_svg: String,
    secret: &str,
    error: Option<&'static str>,
) -> RawHtml<String> {
    let who = match subject {
        Subject::SignedIn(who) => Some(who),
        Subject::Pending => None,
    };
    render(&EnrolPage {
        layout: Layout::new("Tweestapsverificatie instellen", who, csrf, "/account"),
        qr_svg,
        secret: grouped(secret),
        error,
    })
}

#[rocket::get("/account/2fa")]
async fn enrol_form(
    pending: Option<PendingSignIn>,
    user: Option<CurrentUser>,
    db: &State<DatabaseConnection>,
    vault: &State<BsnVault>,
    cookies: &CookieJar<'_>,
    csrf: CsrfToken,
) -> AppResult<Result<RawHtml<String>, Redirect>> {
    let Some((subject, user_id)) = subject_of(pending, user) else {
        return Ok(Err(not_now(cookies)));
    };
    let Some(user) = second_factor::pending_user(db.inner(), &user_id).await? else {
        return Ok(Err(Redirect::to(START_AGAIN)));
    };
    if second_factor::is_on(&user) {
        return Ok(Err(Redirect::to(match subject {
            Subject::Pending => "/login/code",
            Subject::SignedIn(_) => "/account#tweestaps",
        })));
    }
    let enrolment = second_factor::start_enrolment(db.inner(), vault.inner(), &user).await?;
    let qr = qr_svg(&enrolment.uri)?;
    Ok(Ok(enrol_page(
        &subject,
        &csrf.0,
        qr,
        &enrolment.secret,
        None,
    )))
}

#[allow(clippy::too_many_arguments)]
#[rocket::post("/account/2fa", data = "<form>")]
async fn enrol_submit(
    form: CsrfForm<CodeForm>,
    pending: Option<PendingSignIn>,
    user: Option<CurrentUser>,
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    vault: &State<BsnVault>,
    limiter: &State<LoginLimiter>,
    cookies: &CookieJar<'_>,
    client: Option<IpAddr>,
    csrf: CsrfToken,
) -> Answer {
    let Some((subject, user_id)) = subject_of(pending, user) else {
        return Ok(Ok(not_now(cookies)));
    };
    let Some(user) = second_factor::pending_user(db.inner(), &user_id).await? else {
        return Ok(Ok(Redirect::to(START_AGAIN)));
    };
    if second_factor::is_on(&user) {
        return Ok(Ok(Redirect::to(match subject {
            Subject::Pending => "/login/code",
            Subject::SignedIn(_) => "/account#tweestaps",
        })));
    }
    let client = client_key(client);
    if let Err(retry_after_secs) = limiter.check(&user.email, &client) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let now = clock.now();
    let method = SignInMethod::SecondFactor;
    match second_factor::finish_enrolment(db.inner(), vault.inner(), now, &user, &form.0.code)
        .await?
    {
        Ok(codes) => {
            let (who, next) = match &subject {
                Subject::Pending => {
                    limiter.record_success(&user.email);
                    let replacing = cookies
                        .get_private(SESSION_COOKIE)
                        .map(|c| c.value().to_string());
                    let token =
                        sessions::open(db.inner(), now, &user, &method, replacing.as_deref())
                            .await?;
                    set_session(cookies, token);
                    (None, "/")
                }
                Subject::SignedIn(who) => (Some(who), "/account#tweestaps"),
            };
            Ok(Err((
                Status::Ok,
                render(&CodesPage {
                    layout: Layout::new("Uw herstelcodes", who, &csrf.0, "/account"),
                    codes,
                    next,
                }),
            )))
        }
        Err(refusal) => {
            limiter.record_failure(&user.email, &client);
            let status = match subject {
                Subject::Pending => {
                    sessions::record_failure(
                        db.inner(),
                        Some(&user.email),
                        &method,
                        refusal.audit_reason(),
                    )
                    .await?;
                    Status::Unauthorized
                }
                Subject::SignedIn(_) => Status::UnprocessableEntity,
            };
            // The same secret again (the enrolment is not finished).
            let enrolment =
                second_factor::start_enrolment(db.inner(), vault.inner(), &user).await?;
            let qr = qr_svg(&enrolment.uri)?;
            Ok(Err((
                status,
                enrol_page(
                    &subject,
                    &csrf.0,
                    qr,
                    &enrolment.secret,
                    Some(refusal.message_nl()),
                ),
            )))
        }
    }
}

#[derive(FromForm)]
pub struct DisableForm {
    bevestigd: Option<String>,
    password: Option<String>,
}

/// Switches one's own second factor off: the confirmation page asks for the password; only
/// the confirmed form with the right password acts. Not where it is required.
#[allow(clippy::too_many_arguments)]
#[rocket::post("/account/2fa/uitzetten", data = "<form>")]
async fn disable(
    form: CsrfForm<DisableForm>,
    user: CurrentUser,
    db: &State<DatabaseConnection>,
    config: &State<Config>,
    limiter: &State<LoginLimiter>,
    client: Option<IpAddr>,
    csrf: CsrfToken,
) -> Answer {
    let who = user.0;
    let page = |status: Status, error: Option<String>| {
        (
            status,
            render(&DisablePage {
                layout: Layout::new(
                    "Tweestapsverificatie uitzetten?",
                    Some(&who),
                    &csrf.0,
                    "/account",
                ),
                error,
            }),
        )
    };
    if config.mfa == MfaPolicy::Required {
        return Err(AppError::Conflict(
            "Tweestapsverificatie is verplicht en kan niet uit. Nieuwe telefoon? Vraag een beheerder om uw tweestapsverificatie opnieuw te laten instellen.".into(),
        ));
    }
    let form = form.0;
    let password = form.password.unwrap_or_default();
    if !super::confirm::confirmed(form.bevestigd.as_deref()) || password.is_empty() {
        return Ok(Err(page(Status::Ok, None)));
    }
    let (account, client) = password_change_keys(&who, client);
    if let Err(retry_after_secs) = limiter.check(&account, &client) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    match second_factor::disable(db.inner(), config.mfa, &who, &password).await {
        Ok(()) => {
            limiter.record_success(&account);
            Ok(Ok(Redirect::to("/account?tweestaps_uit=1#tweestaps")))
        }
        Err(AppError::Validation { .. }) => {
            limiter.record_failure(&account, &client);
            Ok(Err(page(
                Status::UnprocessableEntity,
                Some("Het wachtwoord klopt niet. Tweestapsverificatie staat nog aan.".into()),
            )))
        }
        Err(other) => Err(other),
    }
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        code_form,
        code_submit,
        recovery_form,
        recovery_submit,
        enrol_form,
        enrol_submit,
        disable
    ]
}
