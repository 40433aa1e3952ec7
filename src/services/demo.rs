//! First start on an empty database: the municipalities from the catalogue, demo
//! contracts with both demo providers (WSD and the fictional Werkpad Brabant B.V.), and
//! demo users per role and provider, whose logins are printed once.

use sea_orm::DatabaseConnection;

use crate::crypto::password::hash_password;
use crate::domain::email::Email;
use crate::domain::principal::Principal;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::store;

/// The password of every demo account. Demo data only: change or remove these users
/// before real use.
pub const DEMO_PASSWORD: &str = "plusmarkt-demo-2026";

/// The fictional second provider of the demo (catalogue/providers.toml).
pub const WERKPAD: &str = "WERKPAD";

/// A demo account: e-mail, name, role, municipality, provider.
pub type DemoUser = (
    &'static str,
    &'static str,
    Role,
    Option<&'static str>,
    Option<&'static str>,
);

/// The demo accounts.
pub const DEMO_USERS: &[DemoUser] = &[
    ("beheer@wsd.example", "Bea Beheer", Role::Admin, None, None),
    (
        "prijzen@wsd.example",
        "Pieter Prijs",
        Role::Pricing,
        None,
        Some(crate::domain::provider::WSD),
    ),
    (
        "financien@wsd.example",
        "Fatima Financiën",
        Role::Finance,
        None,
        Some(crate::domain::provider::WSD),
    ),
    (
        "consulent@wsd.example",
        "Carla Consulent",
        Role::ProviderStaff,
        None,
        Some(crate::domain::provider::WSD),
    ),
    (
        "prijzen@werkpad.example",
        "Wim Werkpad",
        Role::Pricing,
        None,
        Some(WERKPAD),
    ),
    (
        "financien@werkpad.example",
        "Fleur van den Berg",
        Role::Finance,
        None,
        Some(WERKPAD),
    ),
    (
        "consulent@werkpad.example",
        "Chantal Coenen",
        Role::ProviderStaff,
        None,
        Some(WERKPAD),
    ),
    (
        "casemanager@boxtel.example",
        "Kees Klantmanager",
        Role::Casemanager,
        Some("GM0757"),
        None,
    ),
    (
        "casemanager@vught.example",
        "Vera Verhoeven",
        Role::Casemanager,
        Some("GM0865"),
        None,
    ),
];

/// Creates the demo users on a database without users. Returns whether it did.
pub async fn ensure_demo_users(db: &DatabaseConnection) -> AppResult<bool> {
    if store::users::count(db).await? > 0 {
        return Ok(false);
    }
    let txn = store::db::begin_write(db).await?;
    let system = Principal::system("demo");
    for (email, name, role, municipality, provider) in DEMO_USERS {
        store::users::create(
            &txn,
            &system,
            store::users::NewUser {
                email: Email::parse(email).map_err(AppError::Internal)?,
                name: (*name).to_string(),
                role: *role,
                municipality: municipality.map(str::to_string),
                provider: provider.map(str::to_string),
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
    for (email, _, role, municipality, provider) in DEMO_USERS {
        text.push_str(&format!(
            "  {:<30} {}{}\n",
            email,
            role.label_nl(),
            municipality
                .or(*provider)
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        ));
    }
    text
}

/// The products every 3D-ketensamenwerking municipality buys in the demo.
const KETEN_PRODUCTS: &[&str] = &[
    "DIAG-AANZET",
    "DIAG-BREEDINTAKE",
    "KIB-DOSSIER",
    "REI-WERKFIT",
    "REI-NAARWERK",
    "JOBCOACH-UUR",
    "DAGB-DAGDEEL",
    "PLANREGIE-MAAND",
    "WERKACADEMIE",
    "WERKACADEMIE-JONGEREN",
    "WMO-BEGELEIDING-UUR",
    "JEUGD-MAATWERK",
    "JEUGD-COACH-UUR",
    "INB-PIP",
    "INB-TAALDOEN",
    "INB-ZROUTE",
    "BEGELEIDWERKEN-MAAND",
    "LOONWAARDEMETING",
];

/// One active contract per municipality for each year the demo covers, chosen by its way of
/// working with WSD: the Cafetariamodel buys from the whole portfolio, the
/// Participatiebedrijf buys participation and employer services at 3% below list, the
/// 3D-ketensamenwerking a core set. Boxtel has a budget ceiling, a volume cap and an
/// agreed price below list; Vught a budget ceiling. Oirschot settles on a volume guarantee
/// (Transitiearrangement) and Nuenen on a budget paid in monthly advances
/// (Participatiebedrijf), each buying only its exempt services (a settling contract buys
/// products of one VAT category).
///
/// Without history the demo covers the current year. With `with_history` it covers every
/// year from the history's first month to the current one, and next year's contracts are
/// made by the yearly routine (a copy indexed by [`NEXT_YEAR_INDEXATION`] percent) and
/// agreed, so that the demo never goes stale: in December there is a next year to plan.
pub async fn ensure_demo_contracts(
    db: &DatabaseConnection,
    clock: &crate::domain::clock::Clock,
    with_history: bool,
) -> AppResult<bool> {
    use chrono::Datelike;

    let system = Principal::system("demo");
    let pricing_view = Principal {
        role: Role::Pricing,
        provider: Some(crate::domain::provider::WSD.to_string()),
        ..system.clone()
    };
    if !store::contracts::list(db, &pricing_view, None, None)
        .await?
        .is_empty()
    {
        return Ok(false);
    }
    let today = clock.today();
    let first_year = if with_history {
        crate::services::demo_history::history_start(today).year()
    } else {
        today.year()
    };
    for year in first_year..=today.year() {
        ensure_year_contracts(db, year).await?;
    }
    if with_history {
        agree_next_year(db, today.year()).await?;
    }
    Ok(true)
}

/// The indexation of next year's demo contracts, in percent.
pub const NEXT_YEAR_INDEXATION: rust_decimal::Decimal =
    rust_decimal::Decimal::from_parts(25, 0, 0, false, 1);

/// Copies every demo contract of `year` into the next year with the yearly routine and
/// agrees the copies (status active), as pricing staff of each provider would.
async fn agree_next_year(db: &DatabaseConnection, year: i32) -> AppResult<()> {
    use chrono::Datelike;

    use crate::domain::contract::ContractStatus;
    use crate::services::contracts::{self, ContractPatch};

    for provider in [crate::domain::provider::WSD, WERKPAD] {
        let pricing = Principal {
            role: Role::Pricing,
            provider: Some(provider.to_string()),
            ..Principal::system("demo")
        };
        for c in store::contracts::list(db, &pricing, None, None).await? {
            if c.valid_from.year() != year {
                continue;
            }
            let copy =
                contracts::copy_with_indexation(db, &pricing, &c.id, NEXT_YEAR_INDEXATION).await?;
            contracts::update(
                db,
                &pricing,
                &copy.id,
                ContractPatch {
                    status: Some(ContractStatus::Active),
                    ..Default::default()
                },
                None,
            )
            .await?;
        }
    }
    Ok(())
}

/// The demo contracts of one calendar year, with WSD and with Werkpad.
async fn ensure_year_contracts(db: &DatabaseConnection, year: i32) -> AppResult<()> {
    use rust_decimal::Decimal;

    use crate::domain::catalogue::ProductStatus;
    use crate::domain::contract::ContractStatus;
    use crate::domain::money::Money;
    use crate::domain::quantity::Quantity;
    use crate::domain::settlement::{AdvanceSchedule, ArrangementInput, SettlementForm};
    use crate::domain::vat::VatCategory;
    use crate::services::contracts::{self, ContractPatch, LineInput, NewContract};

    let pricing_view = Principal {
        role: Role::Pricing,
        provider: Some(crate::domain::provider::WSD.to_string()),
        ..Principal::system("demo")
    };
    let (Some(from), Some(to)) = (
        chrono::NaiveDate::from_ymd_opt(year, 1, 1),
        chrono::NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(());
    };
    let all_products = store::catalogue::all(db).await?;
    let products: Vec<_> = all_products
        .iter()
        .filter(|p| p.spec.provider == crate::domain::provider::WSD)
        .collect();
    for m in store::municipalities::list(db).await? {
        let budget = match m.code.as_str() {
            "GM0757" => Some(Money::from_cents(12_000_000)),
            "GM0865" => Some(Money::from_cents(15_000_000)),
            _ => None,
        };
        let settlement = match m.code.as_str() {
            "GM0823" => ArrangementInput {
                form: SettlementForm::VolumeGuarantee,
                guaranteed_amount: Some(Money::from_cents(6_000_000)),
                ..Default::default()
            },
            "GM0820" => ArrangementInput {
                form: SettlementForm::Budget,
                budget_amount: Some(Money::from_cents(4_800_000)),
                advance_schedule: Some(AdvanceSchedule::Monthly),
                refund_unused: Some(true),
                ..Default::default()
            },
            _ => ArrangementInput::default(),
        };
        let settling = settlement.form != SettlementForm::ProductPrice;
        let contract = contracts::create(
            db,
            &pricing_view,
            NewContract {
                municipality: m.code.clone(),
                name: None,
                valid_from: from,
                valid_to: to,
                budget_ceiling: budget,
                settlement,
            },
        )
        .await?;
        for p in products
            .iter()
            .filter(|p| p.spec.status == ProductStatus::Active)
        {
            let code = p.spec.code.as_str();
            let chosen = match m.cooperation_model.as_str() {
                "cafetariamodel" => true,
                "participatiebedrijf" => {
                    ["participatie", "werkgevers", "inburgering"].contains(&p.spec.domain.as_str())
                }
                _ => KETEN_PRODUCTS.contains(&code),
            };
            let Some(list_price) = p.spec.price_on(from) else {
                continue;
            };
            if !chosen || (settling && p.spec.vat_category != VatCategory::Exempt) {
                continue;
            }
            let price = match (m.cooperation_model.as_str(), m.code.as_str(), code) {
                ("participatiebedrijf", _, _) => {
                    crate::domain::pricing::index_price(list_price, Decimal::from(-3))
                }
                (_, "GM0757", "JOBCOACH-UUR") => Money::from_cents(7_250),
                _ => list_price,
            };
            let volume_cap = match (m.code.as_str(), code) {
                ("GM0757", "REI-WERKFIT") => Some(Quantity::from_thousandths(10_000)),
                ("GM1948", "REI-NAARWERK") => Some(Quantity::from_thousandths(40_000)),
                _ => None,
            };
            contracts::put_line(
                db,
                &pricing_view,
                &contract.id,
                code,
                LineInput {
                    price: Some(price),
                    volume_cap,
                    ..Default::default()
                },
            )
            .await?;
        }
        contracts::update(
            db,
            &pricing_view,
            &contract.id,
            ContractPatch {
                status: Some(ContractStatus::Active),
                ..Default::default()
            },
            None,
        )
        .await?;
    }
    ensure_werkpad_contracts(db, &all_products, from, to).await
}

/// The municipalities that contract Werkpad in the demo, and the Werkpad products each
/// buys (at list price). Boxtel and Meierijstad buy the whole range, Vught a part.
const WERKPAD_CONTRACTS: &[(&str, &[&str])] = &[
    ("GM0757", &[]),
    ("GM1948", &[]),
    (
        "GM0865",
        &[
            "WP-DIAGNOSE",
            "WP-JOBCOACH-UUR",
            "WP-WERKFIT",
            "WP-DAGBESTEDING-DAGDEEL",
        ],
    ),
];

/// Werkpad's contracts for one year, made by a Werkpad pricing principal (a
/// contract is between one municipality and one provider). Nothing when the catalogue
/// has no Werkpad products or the municipality is unknown.
async fn ensure_werkpad_contracts(
    db: &DatabaseConnection,
    products: &[store::catalogue::StoredProduct],
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> AppResult<()> {
    use crate::domain::catalogue::ProductStatus;
    use crate::domain::contract::ContractStatus;
    use crate::services::contracts::{self, ContractPatch, LineInput, NewContract};

    let werkpad = Principal {
        role: Role::Pricing,
        provider: Some(WERKPAD.to_string()),
        ..Principal::system("demo")
    };
    let offered: Vec<_> = products
        .iter()
        .filter(|p| p.spec.provider == WERKPAD && p.spec.status == ProductStatus::Active)
        .collect();
    if offered.is_empty() {
        return Ok(());
    }
    for (municipality, chosen) in WERKPAD_CONTRACTS {
        if store::municipalities::get(db, municipality)
            .await?
            .is_none()
        {
            continue;
        }
        let contract = contracts::create(
            db,
            &werkpad,
            NewContract {
                municipality: (*municipality).to_string(),
                name: None,
                valid_from: from,
                valid_to: to,
                budget_ceiling: None,
                settlement: Default::default(),
            },
        )
        .await?;
        for p in &offered {
            let code = p.spec.code.as_str();
            if !chosen.is_empty() && !chosen.contains(&code) {
                continue;
            }
            let Some(price) = p.spec.price_on(from) else {
                continue;
            };
            contracts::put_line(
                db,
                &werkpad,
                &contract.id,
                code,
                LineInput {
                    price: Some(price),
                    ..Default::default()
                },
            )
            .await?;
        }
        contracts::update(
            db,
            &werkpad,
            &contract.id,
            ContractPatch {
                status: Some(ContractStatus::Active),
                ..Default::default()
            },
            None,
        )
        .await?;
    }
    Ok(())
}
