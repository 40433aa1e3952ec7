//! Server-rendered Dutch pages per user group. Pages work without JavaScript.

use askama::Template;
use rocket::http::ContentType;
use rocket::response::content::RawHtml;
use rocket::Route;

use crate::auth::Principal;
use crate::domain::role::Role;
use crate::error::FieldError;

pub mod account;
pub mod admin;
pub mod cafetaria;
pub mod charts;
pub mod clients;
pub mod confirm;
pub mod contracts;
pub mod errors;
pub mod finance;
pub mod format;
pub mod insight;
pub mod pricing;
pub mod second_factor;
pub mod sign_on;
pub mod trajectories;
pub mod wsd;

pub use errors::{catchers, default_detail, error_page};

/// Everything the page frame needs.
pub struct Layout {
    pub title: String,
    pub user: Option<UserView>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub flash: Vec<String>,
}

pub struct UserView {
    pub name: String,
    pub role_label: String,
    pub municipality: Option<String>,
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub explanation: &'static str,
    pub current: bool,
}

impl Layout {
    pub fn new(
        title: impl Into<String>,
        principal: Option<&Principal>,
        csrf: &str,
        path: &str,
    ) -> Layout {
        let nav = principal
            .map(|p| navigation(p.role))
            .unwrap_or_default()
            .into_iter()
            .map(|(href, label, explanation)| NavItem {
                href,
                label,
                explanation,
                current: href == path || (href != "/" && path.starts_with(href)),
            })
            .collect();
        Layout {
            title: title.into(),
            user: principal.map(|p| UserView {
                name: p.name.clone(),
                role_label: p.role.label_nl().to_string(),
                municipality: p
                    .municipality
                    .as_deref()
                    .map(crate::views::municipalities::display_name),
            }),
            csrf: csrf.to_string(),
            nav,
            flash: Vec::new(),
        }
    }

    pub fn with_flash(mut self, message: Option<String>) -> Layout {
        self.flash.extend(message);
        self
    }
}

/// The menu of each role: link, label, and a line explaining it on the start page.
fn navigation(role: Role) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut items = vec![("/", "Start", "")];
    match role {
        Role::Admin => {
            items.push((
                "/beheer/gebruikers",
                "Gebruikers",
                "Gebruikers toevoegen en hun rol en gemeente bekijken.",
            ));
            items.push((
                "/beheer/aanbieders",
                "Aanbieders",
                "Aanbieders toelaten, hun gegevens wijzigen, en ze schorsen of weer toelaten.",
            ));
            items.push((
                "/inzicht",
                "Inzicht",
                "Budgetten, uitgaven, resultaten en omzet tegen het jaarplan, per gemeente of voor alle gemeenten, met grafieken en CSV-downloads.",
            ));
        }
        Role::Pricing => {
            items.push((
                "/prijzen/producten",
                "Dienstenportfolio",
                "Producten, doelgroepen en tarieven: zoeken, bewerken en tariefwijzigingen plannen.",
            ));
            items.push((
                "/prijzen/contracten",
                "Contracten",
                "Contractspecificaties per gemeente: producten, prijzen, plafonds, amendementen en de jaarlijkse kopie.",
            ));
            items.push((
                "/prijzen/kostprijs",
                "Kostprijs",
                "Kostprijs per eenheid bij 80, 100 en 110% van het verwachte volume, naast de lijstprijs en de prijs van elke gemeente, met het break-evenvolume. Scenario's opslaan.",
            ));
            items.push((
                "/inzicht",
                "Inzicht",
                "Afname per product tegen de volumeplafonds, uitgaven en resultaten per gemeente of voor alle gemeenten samen.",
            ));
        }
        Role::Casemanager => {
            items.push((
                "/cafetaria",
                "Cafetaria",
                "De producten die uw gemeente heeft ingekocht, met prijs, doel en looptijd: kies er een of meer en bestel een traject voor een klant.",
            ));
            items.push((
                "/klanten",
                "Klanten",
                "Een klant zoeken op BSN of een nieuwe klant registreren, en de trajecten van een klant bekijken.",
            ));
            items.push((
                "/trajecten",
                "Trajecten",
                "Alle trajecten van uw gemeente, nieuwste eerst, met hun status; annuleren zolang een traject niet gestart is.",
            ));
            items.push((
                "/contract",
                "Ons contract",
                "Welke producten uw gemeente heeft gecontracteerd, tegen welke prijs, en hoeveel budget er nog is.",
            ));
            items.push((
                "/facturen",
                "Facturen",
                "De definitieve facturen van WSD aan uw gemeente.",
            ));
            items.push((
                "/inzicht",
                "Inzicht",
                "Budget per maand tegen het plafond met een prognose tot het jaareinde, uitgaven per product en doelgroep, trajecten en resultaten van uw gemeente.",
            ));
        }
        Role::ProviderStaff => {
            items.push((
                "/wsd/intake",
                "Intake-inbox",
                "Nieuwe trajecten van de gemeenten accepteren of afwijzen.",
            ));
            items.push((
                "/wsd/trajecten",
                "Trajecten",
                "Start, mijlpalen, geleverde uren en afronding registreren.",
            ));
        }
        Role::Finance => {
            items.push((
                "/financien",
                "Factuurrun",
                "Een maand voorbereiden, controleren en factureren.",
            ));
            items.push((
                "/facturen",
                "Facturen",
                "Concepten definitief maken, versturen, crediteren en downloaden.",
            ));
            items.push((
                "/inzicht",
                "Inzicht",
                "Budgetten en facturatie per gemeente of voor alle gemeenten, en de omzet plusdiensten tegen het jaarplan van € 1.500.000.",
            ));
        }
    }
    items
}

/// The field errors of a form, so that each can be shown next to its field.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    /// The message for a field, if it has one (several are joined).
    pub fn get(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .0
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Turns a field name into a usable HTML id: `lines[0].quantity` → `lines-0-quantity`.
pub fn field_id(field: &str) -> String {
    let mut id = String::new();
    for c in field.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => id.push(c),
            _ if !id.ends_with('-') => id.push('-'),
            _ => {}
        }
    }
    id.trim_matches('-').to_string()
}

/// Renders a template, turning a template failure into a plain error page.
pub fn render<T: Template>(template: &T) -> RawHtml<String> {
    match template.render() {
        Ok(html) => RawHtml(html),
        Err(e) => {
            tracing::error!(error = %e, template = std::any::type_name::<T>(), "template failed");
            RawHtml("<!doctype html><html lang=\"nl\"><title>Fout</title><p>Deze pagina kon niet worden getoond.</p></html>".into())
        }
    }
}

#[rocket::get("/static/style.css")]
fn stylesheet() -> (ContentType, &'static str) {
    (ContentType::CSS, include_str!("static/style.css"))
}

pub fn routes() -> Vec<Route> {
    let mut routes = rocket::routes![stylesheet];
    routes.extend(account::routes());
    routes.extend(sign_on::routes());
    routes.extend(second_factor::routes());
    routes.extend(admin::routes());
    routes.extend(pricing::routes());
    routes.extend(contracts::routes());
    routes.extend(wsd::routes());
    routes.extend(finance::routes());
    routes.extend(cafetaria::routes());
    routes.extend(clients::routes());
    routes.extend(trajectories::routes());
    routes.extend(insight::routes());
    routes
}
