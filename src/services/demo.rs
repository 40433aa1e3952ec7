//! First start on an empty database: the municipalities from the catalogue, and one demo
//! user per role, whose logins are printed once.

use sea_orm::DatabaseConnection;

use crate::auth::password::hash_password;
use crate::auth::Principal;
use crate::domain::email::Email;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::store;

/// The password of every demo account. Demo data only: change or remove these users
/// before real use.
pub const DEMO_PASSWORD: &str = "plusmarkt-demo-2026";

/// The demo accounts: e-mail, name, role, municipality.
pub const DEMO_USERS: &[(&str, &str, Role, Option<&str>)] = &[
    ("beheer@wsd.example", "Bea Beheer", Role::Admin, None),
    ("prijzen@wsd.example", "Pieter Prijs", Role::Pricing, None),
    (
        "financien@wsd.example",
        "Fatima Financiën",
        Role::Finance,
        None,
    ),
    (
        "consulent@wsd.example",
        "Carla Consulent",
        Role::WsdStaff,
        None,
    ),
    (
        "casemanager@boxtel.example",
        "Kees Klantmanager",
        Role::Casemanager,
        Some("GM0757"),
    ),
    (
        "casemanager@vught.example",
        "Vera Verhoeven",
        Role::Casemanager,
        Some("GM0865"),
    ),
];

/// Creates the demo users on a database without users. Returns whether it did.
pub async fn ensure_demo_users(db: &DatabaseConnection) -> AppResult<bool> {
    if store::users::count(db).await? > 0 {
        return Ok(false);
    }
    let txn = store::db::begin_write(db).await?;
    let system = Principal::system("demo");
    for (email, name, role, municipality) in DEMO_USERS {
        store::users::create(
            &txn,
            &system,
            store::users::NewUser {
                email: Email::parse(email).map_err(AppError::Internal)?,
                name: (*name).to_string(),
                role: *role,
                municipality: municipality.map(str::to_string),
                password_hash: hash_password(DEMO_PASSWORD)?,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// The demo logins as printed on first start.
pub fn demo_logins_text() -> String {
    let mut text = String::from("Demo-accounts (wachtwoord voor allemaal: ");
    text.push_str(DEMO_PASSWORD);
    text.push_str(")\n");
    for (email, _, role, municipality) in DEMO_USERS {
        text.push_str(&format!(
            "  {:<30} {}{}\n",
            email,
            role.label_nl(),
            municipality.map(|m| format!(" ({m})")).unwrap_or_default()
        ));
    }
    text
}
