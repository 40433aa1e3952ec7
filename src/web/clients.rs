//! The casemanager's clients: find one by BSN, register a new one, see one with their
//! trajectories. The BSN only travels in POST bodies and is shown masked; a form that
//! fails is shown again without it.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::format::date;
use super::trajectories::TrajectoryRow;
use super::{render, Errors, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::Casemanager;
use crate::crypto::bsn_vault::BsnVault;
use crate::domain::clock::Clock;
use crate::domain::period::parse_date;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::ordering::{self, ClientInput, ClientRecord};
use crate::views::{self, clients::ClientView};

pub struct ClientRow {
    id: String,
    name: String,
    bsn_masked: String,
    birth_date: String,
}

impl ClientRow {
    fn new(id: &str, name: &str, bsn_last4: &str, birth_date: Option<chrono::NaiveDate>) -> Self {
        ClientRow {
            id: id.to_string(),
            name: name.to_string(),
            bsn_masked: crate::domain::bsn::mask_last4(bsn_last4),
            birth_date: birth_date.map(date).unwrap_or_else(|| "onbekend".into()),
        }
    }
}

impl From<&ClientRecord> for ClientRow {
    fn from(c: &ClientRecord) -> Self {
        ClientRow::new(&c.id, &c.name, &c.bsn_last4, c.birth_date)
    }
}

impl From<&ClientView> for ClientRow {
    fn from(c: &ClientView) -> Self {
        ClientRow::new(&c.id, &c.name, &c.bsn_last4, c.birth_date)
    }
}

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage {
    layout: Layout,
    /// `Some` after a search: what it found.
    found: Option<Vec<ClientRow>>,
    search_errors: Errors,
    register_errors: Errors,
    /// The registration form as typed, BSN included: the page is the answer to the
    /// casemanager's own POST (never in a URL, not cached), so nothing needs typing twice.
    bsn: String,
    name: String,
    birth_date: String,
    clients: Vec<ClientRow>,
}

async fn clients_page(
    db: &DatabaseConnection,
    cm: &Casemanager,
    csrf: &CsrfToken,
    found: Option<Vec<ClientRow>>,
    search_errors: Vec<FieldError>,
    register_errors: Vec<FieldError>,
    form: Option<RegisterForm>,
) -> AppResult<RawHtml<String>> {
    let clients = views::clients::list(db, &cm.0)
        .await?
        .iter()
        .map(ClientRow::from)
        .collect();
    let form = form.unwrap_or_default();
    Ok(render(&ClientsPage {
        layout: Layout::new("Klanten", Some(&cm.0), &csrf.0, "/klanten"),
        found,
        search_errors: Errors(search_errors),
        register_errors: Errors(register_errors),
        bsn: form.bsn,
        name: form.name,
        birth_date: form.birth_date,
        clients,
    }))
}

#[rocket::get("/klanten")]
async fn clients(
    db: &State<DatabaseConnection>,
    cm: Casemanager,
    csrf: CsrfToken,
) -> AppResult<RawHtml<String>> {
    clients_page(db.inner(), &cm, &csrf, None, Vec::new(), Vec::new(), None).await
}

#[derive(FromForm)]
pub struct SearchForm {
    bsn: String,
}

/// Finding a client by BSN: a POST, so that the number stays out of URLs and logs.
#[rocket::post("/klanten/zoeken", data = "<form>")]
async fn search(
    db: &State<DatabaseConnection>,
    vault: &State<BsnVault>,
    cm: Casemanager,
    csrf: CsrfToken,
    form: CsrfForm<SearchForm>,
) -> AppResult<(Status, RawHtml<String>)> {
    match ordering::find_clients(db.inner(), vault.inner(), &cm.0, &form.0.bsn).await {
        Ok(found) => {
            let rows = found.iter().map(ClientRow::from).collect();
            let page = clients_page(
                db.inner(),
                &cm,
                &csrf,
                Some(rows),
                Vec::new(),
                Vec::new(),
                None,
            )
            .await?;
            Ok((Status::Ok, page))
        }
        Err(AppError::Validation { errors, .. }) => {
            let page = clients_page(db.inner(), &cm, &csrf, None, errors, Vec::new(), None).await?;
            Ok((Status::UnprocessableEntity, page))
        }
        Err(other) => Err(other),
    }
}

#[derive(FromForm, Default)]
pub struct RegisterForm {
    bsn: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    birth_date: String,
}

type PageResult = AppResult<Result<Redirect, (Status, RawHtml<String>)>>;

/// Registers a client; a BSN already registered leads to that client.
#[rocket::post("/klanten", data = "<form>")]
async fn register(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    vault: &State<BsnVault>,
    cm: Casemanager,
    csrf: CsrfToken,
    form: CsrfForm<RegisterForm>,
) -> PageResult {
    let form = form.0;
    let input = |birth_date| ClientInput {
        bsn: form.bsn.clone(),
        name: form.name.clone(),
        birth_date,
    };
    let result = match form.birth_date.trim() {
        "" => ordering::register_client(db.inner(), clock, vault.inner(), &cm.0, input(None)).await,
        text => match parse_date(text) {
            Ok(birth_date) => {
                ordering::register_client(
                    db.inner(),
                    clock,
                    vault.inner(),
                    &cm.0,
                    input(Some(birth_date)),
                )
                .await
            }
            // The date cannot be read: say so, with what is wrong in the other fields.
            Err(e) => {
                let mut errors = vec![FieldError::new("birth_date", e.to_string())];
                errors.extend(ordering::client_input_errors(clock, &input(None)));
                Err(AppError::validation(
                    "de klant is niet geregistreerd",
                    errors,
                ))
            }
        },
    };
    match result {
        Ok((c, created)) => Ok(Ok(Redirect::to(format!(
            "/klanten/{}?{}",
            c.id,
            if created { "nieuw=ja" } else { "bestond=ja" }
        )))),
        Err(AppError::Validation { errors, .. }) => {
            let page =
                clients_page(db.inner(), &cm, &csrf, None, Vec::new(), errors, Some(form)).await?;
            Ok(Err((Status::UnprocessableEntity, page)))
        }
        Err(other) => Err(other),
    }
}

#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage {
    layout: Layout,
    c: ClientRow,
    trajectories: Vec<TrajectoryRow>,
}

/// One client with their trajectories; the view is audited.
#[rocket::get("/klanten/<id>?<nieuw>&<bestond>")]
async fn show_client(
    db: &State<DatabaseConnection>,
    cm: Casemanager,
    csrf: CsrfToken,
    id: &str,
    nieuw: Option<&str>,
    bestond: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let c = ordering::view_client(db.inner(), &cm.0, id).await?;
    let filter = views::trajectories::Filter {
        client_id: Some(c.id.clone()),
        ..Default::default()
    };
    let listed = views::trajectories::list(db.inner(), &cm.0, &filter, 500).await?;
    let flash = if nieuw.is_some() {
        Some("De klant is geregistreerd.".to_string())
    } else if bestond.is_some() {
        Some("Deze klant was al geregistreerd; hieronder staan de gegevens.".to_string())
    } else {
        None
    };
    Ok(render(&ClientPage {
        layout: Layout::new(c.name.clone(), Some(&cm.0), &csrf.0, "/klanten").with_flash(flash),
        trajectories: listed.items.iter().map(TrajectoryRow::from).collect(),
        c: ClientRow::from(&c),
    }))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![clients, search, register, show_client]
}
