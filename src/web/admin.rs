//! The administrator's pages: users, and the providers (aanbieders) of the marketplace:
//! admitting, editing, suspending and reactivating them (with a confirmation step that
//! works without JavaScript).

use askama::Template;
use rocket::form::FromForm;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::confirm::{self, Confirmation};
use super::{render, Errors, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::Admin;
use crate::config::Config;
use crate::domain::clock::Clock;
use crate::domain::provider::ProviderStatus;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::services;
use crate::services::providers::ProviderInput;
use crate::views::providers::Provider;

pub struct UserRow {
    id: String,
    email: String,
    name: String,
    role: String,
    municipality: String,
    provider: String,
    active: bool,
}

#[derive(Default, FromForm)]
pub struct UserForm {
    email: String,
    name: String,
    role: String,
    municipality: String,
    /// Required for pricing, finance and provider_staff.
    provider: String,
    password: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    municipalities: Vec<(String, String)>,
    providers: Vec<(String, String)>,
    form: UserForm,
    errors: Vec<FieldError>,
}

async fn page(
    db: &DatabaseConnection,
    admin: &Admin,
    csrf: &CsrfToken,
    form: UserForm,
    errors: Vec<FieldError>,
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    let municipalities = crate::views::municipalities::choices(db).await?;
    let providers = crate::views::providers::choices(db).await?;
    // Bindings by name, as everywhere on the pages; a code without a name stays a code.
    let name_of = |choices: &[(String, String)], code: Option<String>| {
        code.map(|code| {
            choices
                .iter()
                .find(|(c, _)| *c == code)
                .map_or(code.clone(), |(_, name)| name.clone())
        })
        .unwrap_or_default()
    };
    let users = crate::views::users::list(db)
        .await?
        .into_iter()
        .map(|u| UserRow {
            role: u.role.label_nl().to_string(),
            id: u.id,
            email: u.email,
            name: u.name,
            municipality: name_of(&municipalities, u.municipality),
            provider: name_of(&providers, u.provider),
            active: u.active,
        })
        .collect();
    Ok(render(&UsersPage {
        layout: Layout::new("Gebruikers", Some(&admin.0), &csrf.0, "/beheer/gebruikers")
            .with_flash(flash),
        users,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_nl()))
            .collect(),
        municipalities,
        providers,
        form,
        errors,
    }))
}

/// `aanbieder` preselects a provider in the form: "create its first users" from a
/// provider's page.
#[rocket::get("/beheer/gebruikers?<aangemaakt>&<aanbieder>")]
async fn users(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    aangemaakt: Option<String>,
    aanbieder: Option<String>,
) -> AppResult<RawHtml<String>> {
    let flash = aangemaakt.map(|email| format!("Gebruiker {email} is aangemaakt."));
    let form = UserForm {
        provider: aanbieder.unwrap_or_default(),
        ..<UserForm as Default>::default()
    };
    page(db.inner(), &admin, &csrf, form, Vec::new(), flash).await
}

#[rocket::post("/beheer/gebruikers", data = "<form>")]
async fn add_user(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    form: CsrfForm<UserForm>,
) -> AppResult<Result<Redirect, (rocket::http::Status, RawHtml<String>)>> {
    let form = form.0;
    let municipality = Some(form.municipality.trim().to_string()).filter(|m| !m.is_empty());
    let provider = Some(form.provider.trim().to_string()).filter(|p| !p.is_empty());
    match services::users::add_user(
        db.inner(),
        &admin.0,
        &form.email,
        &form.name,
        &form.role,
        municipality,
        provider,
        &form.password,
    )
    .await
    {
        Ok(user) => Ok(Ok(Redirect::to(format!(
            "/beheer/gebruikers?aangemaakt={}",
            user.email
        )))),
        Err(AppError::Validation { errors, .. }) => {
            let form = UserForm {
                password: String::new(),
                ..form
            };
            let html = page(db.inner(), &admin, &csrf, form, errors, None).await?;
            Ok(Err((rocket::http::Status::UnprocessableEntity, html)))
        }
        Err(other) => Err(other),
    }
}

/// The role and binding form of one user: kept as typed when it is refused.
#[derive(Default, FromForm)]
pub struct UserEditForm {
    role: String,
    municipality: String,
    provider: String,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    layout: Layout,
    user: crate::views::users::UserRow,
    role_label: &'static str,
    roles: Vec<(&'static str, &'static str)>,
    municipalities: Vec<(String, String)>,
    providers: Vec<(String, String)>,
    form: UserEditForm,
    tokens: Vec<super::account::TokenLine>,
    errors: Errors,
}

#[allow(clippy::too_many_arguments)]
async fn user_page(
    db: &DatabaseConnection,
    clock: &Clock,
    admin: &Admin,
    csrf: &CsrfToken,
    id: &str,
    form: Option<UserEditForm>,
    errors: Vec<FieldError>,
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    let user = crate::views::users::get(db, id).await?;
    let form = form.unwrap_or_else(|| UserEditForm {
        role: user.role.as_str().to_string(),
        municipality: user.municipality.clone().unwrap_or_default(),
        provider: user.provider.clone().unwrap_or_default(),
    });
    let tokens = crate::views::tokens::list(db, &admin.0, Some(&user.id)).await?;
    Ok(render(&UserPage {
        layout: Layout::new(
            format!("Gebruiker {}", user.email),
            Some(&admin.0),
            &csrf.0,
            "/beheer/gebruikers",
        )
        .with_flash(flash),
        role_label: user.role.label_nl(),
        user,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_nl()))
            .collect(),
        municipalities: crate::views::municipalities::choices(db).await?,
        providers: crate::views::providers::choices(db).await?,
        form,
        tokens: super::account::token_lines(tokens, clock.now()),
        errors: Errors(errors),
    }))
}

#[rocket::get("/beheer/gebruikers/<id>?<gedaan>")]
async fn user_detail(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    admin: Admin,
    csrf: CsrfToken,
    id: &str,
    gedaan: Option<String>,
) -> AppResult<RawHtml<String>> {
    let flash = gedaan.and_then(|what| match what.as_str() {
        "opgeslagen" => Some("De rol en koppeling zijn opgeslagen.".to_string()),
        "gedeactiveerd" => Some(
            "De gebruiker is gedeactiveerd: alle sessies en API-tokens werken niet meer.".into(),
        ),
        "geactiveerd" => Some("De gebruiker is weer actief en kan weer inloggen.".into()),
        "herstellink" => {
            Some("De herstellink is verstuurd. Hij werkt één keer en 24 uur lang.".into())
        }
        "token-ingetrokken" => Some(
            "Het token is ingetrokken: koppelingen die het gebruiken, werken niet meer.".into(),
        ),
        _ => None,
    });
    user_page(
        db.inner(),
        clock.inner(),
        &admin,
        &csrf,
        id,
        None,
        Vec::new(),
        flash,
    )
    .await
}

/// Revokes one of this user's API tokens, after the confirmation step (one click without
/// `bevestigd=ja` answers the confirmation page and changes nothing). A token of another
/// user is 404 here.
#[rocket::post("/beheer/gebruikers/<id>/tokens/<token>/intrekken", data = "<form>")]
async fn revoke_token(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    admin: Admin,
    csrf: CsrfToken,
    id: &str,
    token: &str,
    form: CsrfForm<super::account::RevokeForm>,
) -> PageResult {
    let found = crate::views::tokens::get(db.inner(), &admin.0, token).await?;
    if found.user_id != id {
        return Err(AppError::NotFound);
    }
    if !confirm::confirmed(form.0.bevestigd.as_deref()) {
        let c = super::account::revoke_confirmation(
            &found,
            format!("/beheer/gebruikers/{id}/tokens/{token}/intrekken"),
            format!("/beheer/gebruikers/{id}#tokens"),
        );
        return Ok(Err((
            rocket::http::Status::Ok,
            confirm::page(c, &admin.0, &csrf.0, "/beheer/gebruikers"),
        )));
    }
    services::users::revoke_token(db.inner(), &admin.0, clock.inner(), token).await?;
    Ok(Ok(Redirect::to(format!(
        "/beheer/gebruikers/{id}?gedaan=token-ingetrokken#tokens"
    ))))
}

#[rocket::post("/beheer/gebruikers/<id>", data = "<form>")]
async fn edit_user(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    admin: Admin,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<UserEditForm>,
) -> PageResult {
    let form = form.0;
    let update = services::users::UserUpdate {
        role: Some(form.role.clone()),
        municipality: Some(Some(form.municipality.clone())),
        provider: Some(Some(form.provider.clone())),
        active: None,
    };
    match services::users::update_user(db.inner(), &admin.0, id, update).await {
        Ok(u) => Ok(Ok(Redirect::to(format!(
            "/beheer/gebruikers/{}?gedaan=opgeslagen",
            u.id
        )))),
        Err(AppError::Validation { errors, .. }) => {
            let html = user_page(
                db.inner(),
                clock.inner(),
                &admin,
                &csrf,
                id,
                Some(form),
                errors,
                None,
            )
            .await?;
            Ok(Err((rocket::http::Status::UnprocessableEntity, html)))
        }
        Err(other) => Err(other),
    }
}

/// What deactivating or reactivating a user does, for the confirmation step.
async fn user_status_confirmation(
    db: &DatabaseConnection,
    id: &str,
) -> AppResult<(Confirmation, bool)> {
    let user = crate::views::users::get(db, id).await?;
    let deactivate = user.active;
    let c = if deactivate {
        Confirmation {
            title: format!("{} deactiveren?", user.email),
            sentences: vec![
                format!(
                    "{} kan daarna niet meer inloggen; alle sessies en API-tokens van deze gebruiker werken meteen niet meer.",
                    user.name
                ),
                "Wat de gebruiker heeft vastgelegd, blijft bewaard. U kunt de gebruiker later weer activeren.".into(),
            ],
            action: format!("/beheer/gebruikers/{id}/status"),
            fields: vec![("active".into(), "false".into())],
            yes: format!("Ja, deactiveer {}", user.email),
            back: format!("/beheer/gebruikers/{id}"),
        }
    } else {
        Confirmation {
            title: format!("{} weer activeren?", user.email),
            sentences: vec![format!(
                "{} kan daarna weer inloggen met het bestaande wachtwoord, en de API-tokens werken weer.",
                user.name
            )],
            action: format!("/beheer/gebruikers/{id}/status"),
            fields: vec![("active".into(), "true".into())],
            yes: format!("Ja, activeer {}", user.email),
            back: format!("/beheer/gebruikers/{id}"),
        }
    };
    Ok((c, deactivate))
}

#[rocket::get("/beheer/gebruikers/<id>/status")]
async fn confirm_user_status(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    id: &str,
) -> AppResult<RawHtml<String>> {
    let (c, _) = user_status_confirmation(db.inner(), id).await?;
    Ok(confirm::page(c, &admin.0, &csrf.0, "/beheer/gebruikers"))
}

#[derive(FromForm)]
pub struct UserStatusForm {
    active: Option<bool>,
    bevestigd: Option<String>,
}

#[rocket::post("/beheer/gebruikers/<id>/status", data = "<form>")]
async fn set_user_status(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    id: &str,
    form: CsrfForm<UserStatusForm>,
) -> PageResult {
    let form = form.0;
    let (c, deactivate) = user_status_confirmation(db.inner(), id).await?;
    // Without the confirmation, or asking for what the user already is: ask (again).
    if !confirm::confirmed(form.bevestigd.as_deref()) || form.active != Some(!deactivate) {
        return Ok(Err((
            rocket::http::Status::Ok,
            confirm::page(c, &admin.0, &csrf.0, "/beheer/gebruikers"),
        )));
    }
    let update = services::users::UserUpdate {
        active: Some(!deactivate),
        ..Default::default()
    };
    let u = services::users::update_user(db.inner(), &admin.0, id, update).await?;
    Ok(Ok(Redirect::to(format!(
        "/beheer/gebruikers/{}?gedaan={}",
        u.id,
        if deactivate {
            "gedeactiveerd"
        } else {
            "geactiveerd"
        }
    ))))
}

#[rocket::post("/beheer/gebruikers/<id>/wachtwoord-herstel", data = "<_form>")]
async fn send_reset(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    config: &State<Config>,
    admin: Admin,
    id: &str,
    _form: CsrfForm<NoFields>,
) -> AppResult<Redirect> {
    services::users::send_password_reset(
        db.inner(),
        &admin.0,
        clock.inner(),
        &config.public_url,
        id,
    )
    .await?;
    Ok(Redirect::to(format!(
        "/beheer/gebruikers/{id}?gedaan=herstellink"
    )))
}

/// A form that carries nothing but the CSRF token.
#[derive(FromForm)]
pub struct NoFields {
    #[field(name = "csrf_token")]
    _token: String,
}

/// What a suspension means, shown on the confirmation step.
const SUSPEND_EXPLANATION: &str = "Een geschorste aanbieder houdt zijn lopende trajecten en facturen, maar krijgt geen nieuwe bestellingen.";
const REACTIVATE_EXPLANATION: &str =
    "Een weer toegelaten aanbieder kan weer nieuwe bestellingen krijgen onder zijn contracten.";

pub struct ProviderRow {
    code: String,
    name: String,
    kvk: String,
    city: String,
    status: String,
    suspended: bool,
}

#[derive(Template)]
#[template(path = "providers.html")]
struct ProvidersPage {
    layout: Layout,
    providers: Vec<ProviderRow>,
}

#[rocket::get("/beheer/aanbieders?<gewijzigd>")]
async fn providers(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    gewijzigd: Option<String>,
) -> AppResult<RawHtml<String>> {
    let providers = crate::views::providers::list(db.inner())
        .await?
        .into_iter()
        .map(|p| ProviderRow {
            status: p.status.label_nl().to_string(),
            suspended: p.status == ProviderStatus::Suspended,
            code: p.code,
            name: p.name,
            kvk: p.kvk,
            city: p.city,
        })
        .collect();
    Ok(render(&ProvidersPage {
        layout: Layout::new("Aanbieders", Some(&admin.0), &csrf.0, "/beheer/aanbieders")
            .with_flash(gewijzigd.map(|code| format!("Aanbieder {code} is opgeslagen."))),
        providers,
    }))
}

/// The admission and edit form: every field as typed, kept when it is refused.
#[derive(Default, FromForm)]
pub struct ProviderForm {
    /// Only on the admission form: a provider's code never changes.
    #[field(default = String::new())]
    code: String,
    name: String,
    kvk: String,
    vat_number: String,
    peppol_scheme: String,
    peppol_id: String,
    iban: String,
    intake_email: String,
    invoice_email: String,
    street: String,
    postcode: String,
    city: String,
}

impl From<Provider> for ProviderForm {
    fn from(p: Provider) -> Self {
        ProviderForm {
            code: p.code,
            name: p.name,
            kvk: p.kvk,
            vat_number: p.vat_number,
            peppol_scheme: p.peppol_scheme,
            peppol_id: p.peppol_id,
            iban: p.iban,
            intake_email: p.intake_email,
            invoice_email: p.invoice_email,
            street: p.street,
            postcode: p.postcode,
            city: p.city,
        }
    }
}

impl ProviderForm {
    /// The form as input: an empty optional field is "not given" (the defaults apply on
    /// admission); on an edit every field is sent as it stands.
    fn input(&self, admitting: bool) -> ProviderInput {
        let given = |s: &str| Some(s.to_string());
        let optional = |s: &str| Some(s.to_string()).filter(|v| !v.trim().is_empty());
        ProviderInput {
            code: admitting.then(|| self.code.clone()),
            name: given(&self.name),
            kvk: given(&self.kvk),
            vat_number: given(&self.vat_number),
            peppol_scheme: optional(&self.peppol_scheme),
            peppol_id: optional(&self.peppol_id),
            iban: given(&self.iban),
            intake_email: given(&self.intake_email),
            invoice_email: if admitting {
                optional(&self.invoice_email)
            } else {
                given(&self.invoice_email)
            },
            street: given(&self.street),
            postcode: given(&self.postcode),
            city: given(&self.city),
            status: None,
        }
    }
}

#[derive(Template)]
#[template(path = "provider.html")]
struct ProviderPage {
    layout: Layout,
    /// `None` on the admission form.
    provider: Option<Provider>,
    status: String,
    suspended: bool,
    form: ProviderForm,
    errors: Errors,
    users: Vec<UserRow>,
}

async fn provider_page(
    db: &DatabaseConnection,
    admin: &Admin,
    csrf: &CsrfToken,
    provider: Option<Provider>,
    form: ProviderForm,
    errors: Vec<FieldError>,
    flash: Option<String>,
) -> AppResult<RawHtml<String>> {
    let (title, path) = match &provider {
        Some(p) => (
            format!("Aanbieder {}", p.name),
            "/beheer/aanbieders".to_string(),
        ),
        None => (
            "Aanbieder toelaten".to_string(),
            "/beheer/aanbieders".to_string(),
        ),
    };
    let users = match &provider {
        Some(p) => crate::views::users::list(db)
            .await?
            .into_iter()
            .filter(|u| u.provider.as_deref() == Some(p.code.as_str()))
            .map(|u| UserRow {
                role: u.role.label_nl().to_string(),
                id: u.id,
                email: u.email,
                name: u.name,
                municipality: String::new(),
                provider: u.provider.unwrap_or_default(),
                active: u.active,
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(render(&ProviderPage {
        layout: Layout::new(title, Some(&admin.0), &csrf.0, &path).with_flash(flash),
        status: provider
            .as_ref()
            .map(|p| p.status.label_nl().to_string())
            .unwrap_or_default(),
        suspended: provider
            .as_ref()
            .is_some_and(|p| p.status == ProviderStatus::Suspended),
        provider,
        form,
        errors: Errors(errors),
        users,
    }))
}

#[rocket::get("/beheer/aanbieders/nieuw")]
async fn new_provider(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
) -> AppResult<RawHtml<String>> {
    let form = ProviderForm {
        peppol_scheme: "0106".into(),
        ..<ProviderForm as Default>::default()
    };
    provider_page(db.inner(), &admin, &csrf, None, form, Vec::new(), None).await
}

type PageResult = AppResult<Result<Redirect, (rocket::http::Status, RawHtml<String>)>>;

#[rocket::post("/beheer/aanbieders", data = "<form>")]
async fn admit_provider(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    form: CsrfForm<ProviderForm>,
) -> PageResult {
    let form = form.0;
    match services::providers::admit(db.inner(), &admin.0, form.input(true)).await {
        Ok(p) => Ok(Ok(Redirect::to(format!(
            "/beheer/aanbieders/{}?toegelaten=1",
            p.code
        )))),
        Err(AppError::Validation { errors, .. }) => {
            let html = provider_page(db.inner(), &admin, &csrf, None, form, errors, None).await?;
            Ok(Err((rocket::http::Status::UnprocessableEntity, html)))
        }
        Err(other) => Err(other),
    }
}

#[rocket::get("/beheer/aanbieders/<code>?<toegelaten>")]
async fn provider(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    code: &str,
    toegelaten: Option<u8>,
) -> AppResult<RawHtml<String>> {
    let p = crate::views::providers::get(db.inner(), code).await?;
    let flash = toegelaten.map(|_| {
        format!(
            "Aanbieder {} is toegelaten. Maak nu de eerste gebruikers aan.",
            p.name
        )
    });
    let form = ProviderForm::from(p.clone());
    provider_page(db.inner(), &admin, &csrf, Some(p), form, Vec::new(), flash).await
}

#[rocket::post("/beheer/aanbieders/<code>", data = "<form>")]
async fn edit_provider(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    code: &str,
    form: CsrfForm<ProviderForm>,
) -> PageResult {
    let form = form.0;
    match services::providers::update(db.inner(), &admin.0, code, form.input(false)).await {
        Ok(p) => Ok(Ok(Redirect::to(format!(
            "/beheer/aanbieders?gewijzigd={}",
            p.code
        )))),
        Err(AppError::Validation { errors, .. }) => {
            let p = crate::views::providers::get(db.inner(), code).await?;
            let form = ProviderForm {
                code: p.code.clone(),
                ..form
            };
            let html =
                provider_page(db.inner(), &admin, &csrf, Some(p), form, errors, None).await?;
            Ok(Err((rocket::http::Status::UnprocessableEntity, html)))
        }
        Err(other) => Err(other),
    }
}

#[derive(Template)]
#[template(path = "provider_status.html")]
struct StatusPage {
    layout: Layout,
    code: String,
    name: String,
    /// `suspended` or `active`: the status the button sets.
    to: &'static str,
    suspend: bool,
    explanation: &'static str,
}

/// The confirmation step before suspending or reactivating: says what happens, and the
/// change is made only by the form on this page.
#[rocket::get("/beheer/aanbieders/<code>/status")]
async fn confirm_status(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    code: &str,
) -> AppResult<RawHtml<String>> {
    let p = crate::views::providers::get(db.inner(), code).await?;
    let suspend = p.status == ProviderStatus::Active;
    let title = if suspend {
        format!("{} schorsen?", p.name)
    } else {
        format!("{} weer toelaten?", p.name)
    };
    Ok(render(&StatusPage {
        layout: Layout::new(title, Some(&admin.0), &csrf.0, "/beheer/aanbieders"),
        code: p.code,
        name: p.name,
        to: if suspend { "suspended" } else { "active" },
        suspend,
        explanation: if suspend {
            SUSPEND_EXPLANATION
        } else {
            REACTIVATE_EXPLANATION
        },
    }))
}

#[derive(FromForm)]
pub struct StatusForm {
    status: String,
}

#[rocket::post("/beheer/aanbieders/<code>/status", data = "<form>")]
async fn set_status(
    db: &State<DatabaseConnection>,
    admin: Admin,
    code: &str,
    form: CsrfForm<StatusForm>,
) -> AppResult<Redirect> {
    let status = ProviderStatus::parse(&form.0.status).map_err(|m| AppError::field("status", m))?;
    let p = services::providers::set_status(db.inner(), &admin.0, code, status).await?;
    Ok(Redirect::to(format!(
        "/beheer/aanbieders?gewijzigd={}",
        p.code
    )))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        users,
        add_user,
        user_detail,
        edit_user,
        confirm_user_status,
        revoke_token,
        set_user_status,
        send_reset,
        providers,
        new_provider,
        admit_provider,
        provider,
        edit_provider,
        confirm_status,
        set_status
    ]
}
