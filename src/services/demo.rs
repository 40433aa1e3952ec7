//! First start on an empty database: the municipalities from the catalogue, and one demo
//! user per role, whose logins are printed once.

use std::path::Path;

use sea_orm::DatabaseConnection;
use serde::Deserialize;

use crate::auth::password::hash_password;
use crate::auth::Principal;
use crate::domain::email::Email;
use crate::domain::role::Role;
use crate::entities::municipality;
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MunicipalitiesFile {
    municipality: Vec<MunicipalityEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MunicipalityEntry {
    code: String,
    name: String,
    cooperation_model: String,
    oin: Option<String>,
    kvk: Option<String>,
    demo_identifiers: bool,
    street: String,
    postcode: String,
    city: String,
    finance_email: String,
    payment_term_days: i32,
}

/// Reads `municipalities.toml` of a catalogue folder.
pub fn read_municipalities(dir: &Path) -> AppResult<Vec<municipality::Model>> {
    let path = dir.join("municipalities.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let file: MunicipalitiesFile = toml::from_str(&text)
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    Ok(file
        .municipality
        .into_iter()
        .map(|m| municipality::Model {
            code: m.code,
            name: m.name,
            cooperation_model: m.cooperation_model,
            oin: m.oin,
            kvk: m.kvk,
            demo_identifiers: m.demo_identifiers,
            street: m.street,
            postcode: m.postcode,
            city: m.city,
            finance_email: m.finance_email,
            payment_term_days: m.payment_term_days,
            buyer_reference: None,
        })
        .collect())
}

/// Loads the municipalities when there are none yet.
pub async fn ensure_municipalities(db: &DatabaseConnection, catalogue_dir: &Path) -> AppResult<()> {
    if store::municipalities::count(db).await? > 0 {
        return Ok(());
    }
    let txn = store::db::begin_write(db).await?;
    let system = Principal::system("start");
    for m in read_municipalities(catalogue_dir)? {
        store::municipalities::upsert(&txn, m.clone()).await?;
        store::audit::append(
            &txn,
            &system,
            "municipality.import",
            "municipality",
            &m.code,
            None,
            Some(serde_json::json!({"name": m.name, "cooperation_model": m.cooperation_model})),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

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
