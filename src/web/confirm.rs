//! The confirmation step before an irreversible action, without JavaScript: a page that
//! says in plain words what will happen, with "Ja, …" (a form that posts to the action
//! with `bevestigd=ja`) and "Terug". Each such action answers this page instead of acting
//! when `bevestigd` is missing, so one click can never do it.

use askama::Template;
use rocket::response::content::RawHtml;

use super::{render, Layout};
use crate::domain::principal::Principal;

/// The field the confirmation form adds, and its value.
pub const FIELD: &str = "bevestigd";
const YES: &str = "ja";

/// Whether a submitted form carries the confirmation.
pub fn confirmed(value: Option<&str>) -> bool {
    value == Some(YES)
}

/// What the confirmation page says and where its two answers lead.
pub struct Confirmation {
    /// The question, as the page title: "Factuur definitief maken?".
    pub title: String,
    /// One or two sentences saying exactly what will happen.
    pub sentences: Vec<String>,
    /// The action's path (POST).
    pub action: String,
    /// The action's own form fields, carried through unchanged.
    pub fields: Vec<(String, String)>,
    /// The button: "Ja, …".
    pub yes: String,
    /// Where "Terug" leads.
    pub back: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    layout: Layout,
    c: Confirmation,
}

/// Renders the confirmation page; `nav` is the menu item it sits under.
pub fn page(c: Confirmation, who: &Principal, csrf: &str, nav: &str) -> RawHtml<String> {
    render(&ConfirmPage {
        layout: Layout::new(c.title.clone(), Some(who), csrf, nav),
        c,
    })
}
