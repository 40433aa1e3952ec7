//! The administrator's pages: users.

use askama::Template;
use rocket::form::FromForm;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::{render, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::Admin;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::services;

pub struct UserRow {
    email: String,
    name: String,
    role: String,
    municipality: String,
    active: bool,
}

#[derive(Default, FromForm)]
pub struct UserForm {
    email: String,
    name: String,
    role: String,
    municipality: String,
    password: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    municipalities: Vec<(String, String)>,
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
    let users = crate::views::users::list(db)
        .await?
        .into_iter()
        .map(|u| UserRow {
            role: u.role.label_nl().to_string(),
            email: u.email,
            name: u.name,
            municipality: u.municipality.unwrap_or_default(),
            active: u.active,
        })
        .collect();
    let municipalities = crate::views::municipalities::choices(db).await?;
    Ok(render(&UsersPage {
        layout: Layout::new("Gebruikers", Some(&admin.0), &csrf.0, "/beheer/gebruikers")
            .with_flash(flash),
        users,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_nl()))
            .collect(),
        municipalities,
        form,
        errors,
    }))
}

#[rocket::get("/beheer/gebruikers?<aangemaakt>")]
async fn users(
    db: &State<DatabaseConnection>,
    admin: Admin,
    csrf: CsrfToken,
    aangemaakt: Option<String>,
) -> AppResult<RawHtml<String>> {
    let flash = aangemaakt.map(|email| format!("Gebruiker {email} is aangemaakt."));
    page(
        db.inner(),
        &admin,
        &csrf,
        <UserForm as Default>::default(),
        Vec::new(),
        flash,
    )
    .await
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
    match services::users::add_user(
        db.inner(),
        &admin.0,
        &form.email,
        &form.name,
        &form.role,
        municipality,
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

pub fn routes() -> Vec<Route> {
    rocket::routes![users, add_user]
}
