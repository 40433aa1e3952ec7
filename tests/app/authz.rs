//! The authorisation matrix: every route the server mounts, read from the Rocket instance
//! (so a new route cannot be forgotten), called by anonymous, each role, and a casemanager
//! of another municipality, against the table below. Dynamic segments are filled with real
//! records of Boxtel (a final invoice, its trajectory, line, client and contract).
//!
//! Denied: 401, 403 or 404, or the web's redirect to the login page; a casemanager of
//! Vught asking for Boxtel's record must get 404 (not even its existence shows). Allowed:
//! anything but a denial or a server error (a 409 or 422 means the guard let the call in).
//! Whatever a casemanager of Vught is answered must not contain an id of Boxtel's records.
//!
//! The marketplace adds the other provider's staff (the demo's Werkpad: pricing, finance and
//! provider_staff): the records above are WSD's, so a route that names one answers them 404,
//! however their role would be let in, and no answer to them contains one of those ids.

use std::collections::BTreeSet;

use plusmarkt::domain::role::Role;
use rocket::http::{Method, Status};

use crate::harness::*;
use crate::invoicing::{run, worked_example};
use crate::ordering::BSN_A;
use crate::registration::last_year;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Anonymous,
    CasemanagerBoxtel,
    CasemanagerVught,
    ProviderStaff,
    Pricing,
    Finance,
    Admin,
    OtherProviderPricing,
    OtherProviderFinance,
    OtherProviderStaff,
    /// The administrator's API token after it was revoked.
    RevokedToken,
    /// A casemanager of Boxtel's session after 30 minutes without a request.
    ExpiredSession,
}

const PRINCIPALS: [Who; 12] = [
    Who::Anonymous,
    Who::CasemanagerBoxtel,
    Who::CasemanagerVught,
    Who::ProviderStaff,
    Who::Pricing,
    Who::Finance,
    Who::Admin,
    Who::OtherProviderPricing,
    Who::OtherProviderFinance,
    Who::OtherProviderStaff,
    Who::RevokedToken,
    Who::ExpiredSession,
];

impl Who {
    fn role(self) -> Option<Role> {
        match self {
            // Whoever they were, they are no one now.
            Who::Anonymous | Who::RevokedToken | Who::ExpiredSession => None,
            Who::CasemanagerBoxtel | Who::CasemanagerVught => Some(Role::Casemanager),
            Who::ProviderStaff | Who::OtherProviderStaff => Some(Role::ProviderStaff),
            Who::Pricing | Who::OtherProviderPricing => Some(Role::Pricing),
            Who::Finance | Who::OtherProviderFinance => Some(Role::Finance),
            Who::Admin => Some(Role::Admin),
        }
    }

    /// Staff of another provider than the records' (WSD).
    fn other_provider(self) -> bool {
        matches!(
            self,
            Who::OtherProviderPricing | Who::OtherProviderFinance | Who::OtherProviderStaff
        )
    }

    fn email(self) -> Option<&'static str> {
        match self {
            Who::Anonymous | Who::RevokedToken | Who::ExpiredSession => None,
            Who::CasemanagerBoxtel => Some(CASEMANAGER_BOXTEL),
            Who::CasemanagerVught => Some(CASEMANAGER_VUGHT),
            Who::ProviderStaff => Some(WSD_STAFF),
            Who::Pricing => Some(PRICING),
            Who::Finance => Some(FINANCE),
            Who::Admin => Some(ADMIN),
            Who::OtherProviderPricing => Some("prijzen@werkpad.example"),
            Who::OtherProviderFinance => Some("financien@werkpad.example"),
            Who::OtherProviderStaff => Some("consulent@werkpad.example"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// 401, 403 or 404 (or the redirect to the login page).
    Denied,
    /// Another municipality's record: 404, exactly.
    Hidden,
}

/// Who may call a route.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Anyone, signed in or not (the answer may be any non-error, even a redirect).
    Public,
    /// Any signed-in user.
    AnyUser,
    /// Only these roles.
    Roles(&'static [Role]),
    /// Only these principals: a route on a record that is one user's own (an API token:
    /// its owner, and an administrator where the route allows). The token the table names
    /// is Vught's casemanager's, so every other principal gets 404 (or 401 anonymously).
    Only(&'static [Who]),
}

use Role::{Admin as ADM, Casemanager as CM, Finance as FIN, Pricing as PRI, ProviderStaff as WSD};
use Rule::{AnyUser, Only, Public, Roles};

/// Whether the path names one of Boxtel's records (a casemanager of Vught gets 404).
const OWN: bool = true;
const ANY: bool = false;

/// The expected table: method, path as mounted, who may call it, and whether the path
/// names one municipality's record.
const TABLE: &[(&str, &str, Rule, bool)] = &[
    // Open to all.
    ("GET", "/health", Public, ANY),
    ("GET", "/api/v1/openapi.json", Public, ANY),
    ("GET", "/static/style.css", Public, ANY),
    ("GET", "/login", Public, ANY),
    ("POST", "/login", Public, ANY),
    ("POST", "/logout", Public, ANY),
    // Sign-on with the organisation's OpenID provider (404 when it is not configured).
    ("GET", "/login/oidc", Public, ANY),
    ("GET", "/login/oidc/callback", Public, ANY),
    // The second factor after the password: usable with only the pending cookie of the
    // password step (no principal has one here: they get the login page again).
    ("GET", "/login/code", Public, ANY),
    ("POST", "/login/code", Public, ANY),
    ("GET", "/login/herstelcode", Public, ANY),
    ("POST", "/login/herstelcode", Public, ANY),
    // Setting it up: after the password step (pending cookie) or from the account page.
    ("GET", "/account/2fa", Public, ANY),
    ("POST", "/account/2fa", Public, ANY),
    // A password reset link works without login (an unknown link answers 410).
    ("GET", "/wachtwoord-herstellen/<token>", Public, ANY),
    ("POST", "/wachtwoord-herstellen/<token>", Public, ANY),
    // Any user.
    ("GET", "/", AnyUser, ANY),
    ("GET", "/api/v1/me", AnyUser, ANY),
    ("POST", "/api/v1/me/password", AnyUser, ANY),
    ("GET", "/account", AnyUser, ANY),
    ("POST", "/account/wachtwoord", AnyUser, ANY),
    ("POST", "/account/overal-uitloggen", AnyUser, ANY),
    // Switching one's own second factor off (confirmation page with the password).
    ("POST", "/account/2fa/uitzetten", AnyUser, ANY),
    // API tokens: anyone lists their own (an administrator everyone's); a token is revoked
    // by its owner or an administrator, on the account page by its owner only.
    ("GET", "/api/v1/tokens", AnyUser, ANY),
    (
        "DELETE",
        "/api/v1/tokens/<id>",
        Only(&[Who::CasemanagerVught, Who::Admin]),
        ANY,
    ),
    (
        "POST",
        "/account/tokens/<id>/intrekken",
        Only(&[Who::CasemanagerVught]),
        ANY,
    ),
    ("GET", "/api/v1/municipalities", AnyUser, ANY),
    ("GET", "/api/v1/municipalities/<code>", AnyUser, ANY),
    ("GET", "/api/v1/products", AnyUser, ANY),
    ("GET", "/api/v1/products/<code>", AnyUser, ANY),
    ("GET", "/api/v1/providers", AnyUser, ANY),
    ("GET", "/api/v1/providers/<code>", AnyUser, ANY),
    // Providers: admitted, edited and suspended by the administrator.
    ("POST", "/api/v1/providers", Roles(&[ADM]), ANY),
    ("PATCH", "/api/v1/providers/<code>", Roles(&[ADM]), ANY),
    ("GET", "/beheer/aanbieders", Roles(&[ADM]), ANY),
    ("GET", "/beheer/aanbieders/nieuw", Roles(&[ADM]), ANY),
    ("POST", "/beheer/aanbieders", Roles(&[ADM]), ANY),
    ("GET", "/beheer/aanbieders/<code>", Roles(&[ADM]), ANY),
    ("POST", "/beheer/aanbieders/<code>", Roles(&[ADM]), ANY),
    (
        "GET",
        "/beheer/aanbieders/<code>/status",
        Roles(&[ADM]),
        ANY,
    ),
    (
        "POST",
        "/beheer/aanbieders/<code>/status",
        Roles(&[ADM]),
        ANY,
    ),
    ("GET", "/api/v1/offers", AnyUser, OWN),
    ("GET", "/api/v1/services", AnyUser, ANY),
    // Catalogue: pricing (for their provider); the administrator adds a product naming one.
    ("POST", "/api/v1/products", Roles(&[PRI, ADM]), ANY),
    ("PATCH", "/api/v1/products/<code>", Roles(&[PRI]), ANY),
    ("POST", "/api/v1/products/<code>/prices", Roles(&[PRI]), ANY),
    (
        "DELETE",
        "/api/v1/products/<code>/prices/<valid_from>",
        Roles(&[PRI]),
        ANY,
    ),
    ("DELETE", "/api/v1/products/<code>", Roles(&[PRI]), ANY),
    ("GET", "/prijzen/producten", Roles(&[PRI]), ANY),
    ("GET", "/prijzen/producten/<code>", Roles(&[PRI]), ANY),
    (
        "POST",
        "/prijzen/producten/<code>/tarieven",
        Roles(&[PRI]),
        ANY,
    ),
    (
        "GET",
        "/prijzen/producten/<code>/vervallen",
        Roles(&[PRI]),
        ANY,
    ),
    (
        "POST",
        "/prijzen/producten/<code>/vervallen",
        Roles(&[PRI]),
        ANY,
    ),
    (
        "GET",
        "/prijzen/producten/<code>/tarieven/<valid_from>/intrekken",
        Roles(&[PRI]),
        ANY,
    ),
    (
        "POST",
        "/prijzen/producten/<code>/tarieven/<valid_from>/intrekken",
        Roles(&[PRI]),
        ANY,
    ),
    (
        "GET",
        "/prijzen/producten/<code>/bewerken",
        Roles(&[PRI]),
        ANY,
    ),
    (
        "POST",
        "/prijzen/producten/<code>/bewerken",
        Roles(&[PRI]),
        ANY,
    ),
    // Contracts: read by pricing, finance and the municipality's casemanagers; written by pricing.
    ("GET", "/api/v1/contracts", Roles(&[PRI, FIN, CM]), ANY),
    ("GET", "/api/v1/contracts/<id>", Roles(&[PRI, FIN, CM]), OWN),
    ("POST", "/api/v1/contracts", Roles(&[PRI, ADM]), ANY),
    ("PATCH", "/api/v1/contracts/<id>", Roles(&[PRI]), OWN),
    (
        "PUT",
        "/api/v1/contracts/<id>/lines/<product_code>",
        Roles(&[PRI]),
        OWN,
    ),
    (
        "DELETE",
        "/api/v1/contracts/<id>/lines/<product_code>",
        Roles(&[PRI]),
        OWN,
    ),
    ("POST", "/api/v1/contracts/<id>/copy", Roles(&[PRI]), OWN),
    (
        "GET",
        "/api/v1/contracts/<id>/ledger",
        Roles(&[PRI, FIN, CM]),
        OWN,
    ),
    ("POST", "/api/v1/contracts/<id>/ledger", Roles(&[FIN]), OWN),
    ("GET", "/prijzen/contracten", Roles(&[PRI]), ANY),
    ("POST", "/prijzen/contracten", Roles(&[PRI]), ANY),
    ("GET", "/prijzen/contracten/<id>", Roles(&[PRI]), OWN),
    (
        "POST",
        "/prijzen/contracten/<id>/regels",
        Roles(&[PRI]),
        OWN,
    ),
    (
        "POST",
        "/prijzen/contracten/<id>/activeren",
        Roles(&[PRI]),
        OWN,
    ),
    ("POST", "/prijzen/contracten/<id>/kopie", Roles(&[PRI]), OWN),
    ("GET", "/contract", Roles(&[CM]), ANY),
    ("GET", "/contracten/<id>", Roles(&[CM]), OWN),
    // The casemanager's cafetaria, clients and trajectories pages.
    ("GET", "/cafetaria", Roles(&[CM]), ANY),
    ("GET", "/bestellen", Roles(&[CM]), OWN),
    ("POST", "/bestellen", Roles(&[CM]), ANY),
    ("GET", "/klanten", Roles(&[CM]), ANY),
    ("POST", "/klanten", Roles(&[CM]), ANY),
    ("POST", "/klanten/zoeken", Roles(&[CM]), ANY),
    ("GET", "/klanten/<id>", Roles(&[CM]), OWN),
    ("GET", "/trajecten", Roles(&[CM]), ANY),
    ("GET", "/trajecten/<id>", Roles(&[CM]), OWN),
    ("GET", "/trajecten/<id>/annuleren", Roles(&[CM]), OWN),
    ("POST", "/trajecten/<id>/annuleren", Roles(&[CM]), OWN),
    ("PATCH", "/api/v1/trajectory-lines/<id>", Roles(&[CM]), OWN),
    // Insight: reports for casemanagers (own municipality), finance, pricing and admin;
    // the cost-price calculator for pricing.
    ("GET", "/inzicht", Roles(&[CM, FIN, PRI, ADM]), OWN),
    ("GET", "/inzicht.csv", Roles(&[CM, FIN, PRI, ADM]), OWN),
    (
        "GET",
        "/api/v1/reports/<report>",
        Roles(&[CM, FIN, PRI, ADM]),
        OWN,
    ),
    ("GET", "/prijzen/kostprijs", Roles(&[PRI]), ANY),
    ("POST", "/prijzen/kostprijs", Roles(&[PRI]), ANY),
    // WSD's intake and registration pages.
    ("GET", "/wsd/intake", Roles(&[WSD]), ANY),
    ("GET", "/wsd/trajecten", Roles(&[WSD]), ANY),
    ("GET", "/wsd/trajecten/<id>", Roles(&[WSD]), ANY),
    ("POST", "/wsd/trajecten/<id>/accepteren", Roles(&[WSD]), ANY),
    ("POST", "/wsd/trajecten/<id>/afwijzen", Roles(&[WSD]), ANY),
    ("POST", "/wsd/trajecten/<id>/gezien", Roles(&[WSD]), ANY),
    (
        "POST",
        "/wsd/regels/<line>/registraties",
        Roles(&[WSD]),
        ANY,
    ),
    ("POST", "/wsd/regels/<line>/leveringen", Roles(&[WSD]), ANY),
    ("POST", "/wsd/regels/<line>/intrekken", Roles(&[WSD]), ANY),
    // Finance's run wizard and invoice pages; casemanagers read their final invoices.
    ("GET", "/financien", Roles(&[FIN]), ANY),
    ("POST", "/financien/run", Roles(&[FIN]), ANY),
    ("GET", "/facturen", Roles(&[FIN, CM]), ANY),
    ("GET", "/facturen/<id>", Roles(&[FIN, CM]), OWN),
    ("GET", "/facturen/<id>/definitief", Roles(&[FIN]), ANY),
    ("POST", "/facturen/<id>/definitief", Roles(&[FIN]), ANY),
    ("GET", "/facturen/<id>/weggooien", Roles(&[FIN]), ANY),
    ("POST", "/facturen/<id>/weggooien", Roles(&[FIN]), ANY),
    ("POST", "/facturen/<id>/versturen", Roles(&[FIN]), ANY),
    ("POST", "/facturen/<id>/betaald", Roles(&[FIN]), ANY),
    ("POST", "/facturen/<id>/crediteren", Roles(&[FIN]), ANY),
    // Clients: registered by casemanagers, read by them (own), WSD staff and finance.
    ("POST", "/api/v1/clients", Roles(&[CM]), ANY),
    ("GET", "/api/v1/clients", Roles(&[CM, WSD, FIN]), ANY),
    (
        "POST",
        "/api/v1/clients/search",
        Roles(&[CM, WSD, FIN]),
        ANY,
    ),
    ("GET", "/api/v1/clients/<id>", Roles(&[CM, WSD, FIN]), OWN),
    // Trajectories: ordered and cancelled by casemanagers, accepted, rejected and
    // registered by WSD staff, read by both and finance.
    ("POST", "/api/v1/trajectories", Roles(&[CM]), ANY),
    ("GET", "/api/v1/trajectories", Roles(&[CM, WSD, FIN]), ANY),
    (
        "GET",
        "/api/v1/trajectories/<id>",
        Roles(&[CM, WSD, FIN]),
        OWN,
    ),
    (
        "POST",
        "/api/v1/trajectories/<id>/cancel",
        Roles(&[CM]),
        OWN,
    ),
    (
        "POST",
        "/api/v1/trajectories/<id>/accept",
        Roles(&[WSD]),
        OWN,
    ),
    (
        "POST",
        "/api/v1/trajectories/<id>/reject",
        Roles(&[WSD]),
        OWN,
    ),
    (
        "POST",
        "/api/v1/trajectory-lines/<id>/events",
        Roles(&[WSD]),
        OWN,
    ),
    (
        "POST",
        "/api/v1/trajectory-lines/<id>/deliveries",
        Roles(&[WSD]),
        OWN,
    ),
    // Invoicing: finance; casemanagers read their municipality's final invoices.
    ("POST", "/api/v1/invoice-runs", Roles(&[FIN]), ANY),
    ("GET", "/api/v1/invoices", Roles(&[FIN, CM]), ANY),
    ("GET", "/api/v1/invoices.csv", Roles(&[FIN, CM]), ANY),
    ("GET", "/api/v1/invoices/<id>", Roles(&[FIN, CM]), OWN),
    ("GET", "/api/v1/invoices/<id>/pdf", Roles(&[FIN, CM]), OWN),
    ("GET", "/api/v1/invoices/<id>/ubl", Roles(&[FIN, CM]), OWN),
    ("GET", "/api/v1/invoices/<id>/csv", Roles(&[FIN, CM]), OWN),
    ("POST", "/api/v1/invoices/<id>/finalise", Roles(&[FIN]), OWN),
    ("POST", "/api/v1/invoices/<id>/send", Roles(&[FIN]), OWN),
    ("POST", "/api/v1/invoices/<id>/paid", Roles(&[FIN]), OWN),
    ("POST", "/api/v1/invoices/<id>/credit", Roles(&[FIN]), OWN),
    ("DELETE", "/api/v1/invoices/<id>", Roles(&[FIN]), OWN),
    // Audit log: admin and finance. Users: admin.
    ("GET", "/api/v1/audit-events", Roles(&[ADM, FIN]), ANY),
    ("GET", "/api/v1/users", Roles(&[ADM]), ANY),
    ("POST", "/api/v1/users", Roles(&[ADM]), ANY),
    ("GET", "/beheer/gebruikers", Roles(&[ADM]), ANY),
    ("POST", "/beheer/gebruikers", Roles(&[ADM]), ANY),
    ("PATCH", "/api/v1/users/<id>", Roles(&[ADM]), ANY),
    (
        "POST",
        "/api/v1/users/<id>/password-reset",
        Roles(&[ADM]),
        ANY,
    ),
    ("GET", "/beheer/gebruikers/<id>", Roles(&[ADM]), ANY),
    ("POST", "/beheer/gebruikers/<id>", Roles(&[ADM]), ANY),
    ("GET", "/beheer/gebruikers/<id>/status", Roles(&[ADM]), ANY),
    ("POST", "/beheer/gebruikers/<id>/status", Roles(&[ADM]), ANY),
    (
        "POST",
        "/beheer/gebruikers/<id>/wachtwoord-herstel",
        Roles(&[ADM]),
        ANY,
    ),
    (
        "POST",
        "/beheer/gebruikers/<id>/tokens/<token>/intrekken",
        Roles(&[ADM]),
        ANY,
    ),
];

/// Whether the path names one of WSD's records: a contract, client, trajectory, line or
/// invoice, or (to change it) a WSD product. Another provider's staff get 404 on these.
fn names_provider_record(method: &str, path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    segments.windows(2).any(|pair| match (pair[0], pair[1]) {
        (
            "contracts" | "contracten" | "clients" | "klanten" | "trajectories" | "trajecten"
            | "invoices" | "facturen" | "trajectory-lines",
            "<id>",
        )
        | ("regels", "<line>") => true,
        ("products" | "producten", "<code>") => method != "GET" || path.starts_with("/prijzen/"),
        _ => false,
    })
}

/// What a principal should get from a route; `None` for a route missing from the table.
pub fn expected(method: &str, path: &str, who: Who) -> Option<Access> {
    let (_, _, rule, own) = TABLE
        .iter()
        .find(|(m, p, _, _)| *m == method && *p == path)?;
    let allowed = match rule {
        Public => true,
        AnyUser => who.role().is_some(),
        Roles(roles) => who.role().is_some_and(|r| roles.contains(&r)),
        Only(principals) => principals.contains(&who),
    };
    Some(if !allowed {
        Access::Denied
    } else if (*own && who == Who::CasemanagerVught)
        || (who.other_provider() && names_provider_record(method, path))
    {
        Access::Hidden
    } else {
        Access::Allowed
    })
}

fn is_public(method: &str, path: &str) -> bool {
    matches!(
        TABLE.iter().find(|(m, p, _, _)| *m == method && *p == path),
        Some((_, _, Public, _))
    )
}

/// Boxtel's records that the calls name.
struct Records {
    contract: String,
    client: String,
    trajectory: String,
    lines: Vec<String>,
    invoice: String,
    /// Numbers are as telling as ids: the invoice's and the trajectory's.
    numbers: Vec<String>,
    /// A user the administrator's routes name (Vught's casemanager).
    user: String,
    /// An API token of that user.
    token: String,
}

const PRODUCT: &str = "REI-WERKFIT";

impl Records {
    /// Every id and number that must never reach a casemanager of Vught.
    fn secrets(&self) -> Vec<&str> {
        let mut ids = vec![
            self.contract.as_str(),
            self.client.as_str(),
            self.trajectory.as_str(),
            self.invoice.as_str(),
        ];
        ids.extend(self.lines.iter().map(String::as_str));
        ids.extend(self.numbers.iter().map(String::as_str));
        ids
    }

    /// The same URL with every record of Boxtel's replaced by one that does not exist.
    fn with_unknown_records(&self, url: &str) -> String {
        let mut unknown = url.to_string();
        for secret in self.secrets() {
            unknown = unknown.replace(secret, "00000000-0000-7000-8000-000000000000");
        }
        unknown.replace(PRODUCT, "ONBEKEND-PRODUCT")
    }

    /// The path with its dynamic segments filled, and the query parameters a route needs
    /// (or that try to reach Boxtel's data).
    fn fill(&self, path: &str, query: Option<&str>) -> Result<String, String> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut filled = Vec::new();
        for (i, segment) in segments.iter().enumerate() {
            if !segment.starts_with('<') {
                filled.push(segment.to_string());
                continue;
            }
            let before = if i > 0 { segments[i - 1] } else { "" };
            let value = match (before, *segment) {
                ("contracts" | "contracten", "<id>") => self.contract.as_str(),
                ("clients" | "klanten", "<id>") => self.client.as_str(),
                ("trajectories" | "trajecten", "<id>") => self.trajectory.as_str(),
                ("regels", "<line>") => self.lines[0].as_str(),
                ("reports", "<report>") => "budget",
                ("facturen", "<id>") => self.invoice.as_str(),
                ("trajectory-lines", "<id>") => self.lines[0].as_str(),
                ("invoices", "<id>") => self.invoice.as_str(),
                ("municipalities", "<code>") => "GM0757",
                ("users" | "gebruikers", "<id>") => self.user.as_str(),
                ("tokens", "<id>" | "<token>") => self.token.as_str(),
                ("wachtwoord-herstellen", "<token>") => "onbekende-link",
                ("providers" | "aanbieders", "<code>") => "WSD",
                ("products" | "producten", "<code>") | ("lines", "<product_code>") => PRODUCT,
                // The product's first price version: in effect, so withdrawing it is refused.
                ("prices" | "tarieven", "<valid_from>") => "2025-01-01",
                _ => return Err(format!("no record to put in {segment} after /{before}/")),
            };
            filled.push(value.to_string());
        }
        let mut url = filled.join("/");
        let mut params = Vec::new();
        for name in query.unwrap_or("").split('&') {
            let name = name.trim_start_matches('<').trim_end_matches('>');
            match name {
                "bsn" => params.push(format!("bsn={BSN_A}")),
                "period" => params.push(format!("period={}-03", last_year())),
                "municipality" => params.push("municipality=GM0757".to_string()),
                "client_id" => params.push(format!("client_id={}", self.client)),
                "client" => params.push(format!("client={}", self.client)),
                "product" => params.push(format!("product={PRODUCT}")),
                "report" => params.push("report=budget".to_string()),
                _ => {}
            }
        }
        if !params.is_empty() {
            url.push('?');
            url.push_str(&params.join("&"));
        }
        Ok(url)
    }
}

/// The worked example's trajectory for Boxtel, invoiced and finalised.
async fn records(app: &TestApp) -> Records {
    let lines = worked_example(app).await;
    let invoice = run(app, &format!("{}-03", last_year()), false).await["invoices"][0]
        ["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    let finance = app.login_as(FINANCE).await;
    let r = app
        .send_json(
            Method::Post,
            &finance,
            &format!("/api/v1/invoices/{invoice}/finalise"),
            "",
            &[],
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{}", r.body);
    let number = r.json()["number"].as_str().unwrap().to_string();
    let t = app.get(&finance, "/api/v1/trajectories").await.json()["items"][0].clone();
    let user = plusmarkt::store::users::find_by_email(&app.db, CASEMANAGER_VUGHT)
        .await
        .unwrap()
        .unwrap()
        .id;
    let system = plusmarkt::auth::Principal::system("test");
    plusmarkt::services::users::add_token(&app.db, &system, CASEMANAGER_VUGHT, "koppeling", None)
        .await
        .unwrap();
    let token = plusmarkt::store::tokens::list(&app.db, &system, Some(&user))
        .await
        .unwrap()
        .remove(0)
        .id;
    Records {
        contract: t["contract_id"].as_str().unwrap().to_string(),
        client: t["client_id"].as_str().unwrap().to_string(),
        trajectory: t["id"].as_str().unwrap().to_string(),
        lines,
        invoice,
        numbers: vec![number, t["number"].as_str().unwrap().to_string()],
        user,
        token,
    }
}

/// The administrator's API token, revoked.
async fn revoked_token(app: &TestApp) -> As {
    let As::Token(token) = app.token_for(ADMIN).await else {
        unreachable!("token_for makes a token")
    };
    let admin = plusmarkt::store::users::find_by_email(&app.db, ADMIN)
        .await
        .unwrap()
        .unwrap();
    let principal = plusmarkt::store::users::principal_of(&admin, None).unwrap();
    let listed = plusmarkt::store::tokens::list(&app.db, &principal, Some(&admin.id))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "the administrator has the one token");
    for row in listed {
        plusmarkt::services::users::revoke_token(&app.db, &principal, &app.clock(), &row.id)
            .await
            .unwrap();
    }
    As::Token(token)
}

/// A session of Boxtel's casemanager, left alone for longer than the idle timeout.
async fn expired_session(app: &TestApp) -> As {
    use sea_orm::{EntityTrait, Set};
    let session = app.login_as(CASEMANAGER_BOXTEL).await;
    let As::Session(token) = &session else {
        unreachable!("login_as makes a session")
    };
    let idle = chrono::Duration::minutes(plusmarkt::store::sessions::IDLE_MINUTES + 1);
    plusmarkt::entities::session::Entity::update(plusmarkt::entities::session::ActiveModel {
        id: Set(plusmarkt::crypto::secret::token_hash(token)),
        last_seen_at: Set(Some(app.clock().now() - idle)),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();
    session
}

/// Whether an answer refuses the caller.
fn denied(reply: &Reply) -> bool {
    matches!(reply.status.code, 401 | 403 | 404)
        || (reply.status.class().is_redirection()
            && reply
                .header("Location")
                .is_some_and(|l| l == "/login" || l == "/login?verlopen=1"))
}

async fn call(app: &TestApp, who: &As, method: Method, url: &str) -> Reply {
    let api = url.starts_with("/api/") || url.starts_with("/health");
    match method {
        Method::Get => app.get(who, url).await,
        Method::Post if !api => app.post_form(who, url, &[]).await,
        _ => {
            let body = if url.starts_with("/api/v1/clients/search") {
                format!(r#"{{"bsn":"{BSN_A}"}}"#)
            } else {
                "{}".to_string()
            };
            app.send_json(method, who, url, &body, &[]).await
        }
    }
}

#[rocket::async_test]
async fn every_route_answers_each_principal_as_the_table_says() {
    let app = TestApp::new().await;
    let records = records(&app).await;
    let mut sessions = Vec::new();
    for who in PRINCIPALS {
        sessions.push(match who {
            Who::RevokedToken => revoked_token(&app).await,
            Who::ExpiredSession => expired_session(&app).await,
            _ => match who.email() {
                Some(email) => app.login_as(email).await,
                None => As::Anonymous,
            },
        });
    }
    let routes: Vec<(Method, String, Option<String>)> = app
        .client
        .rocket()
        .routes()
        .map(|r| {
            (
                r.method,
                r.uri.path().to_string(),
                r.uri.query().map(str::to_string),
            )
        })
        .collect();
    let mut mismatches = Vec::new();
    let mut checked = 0usize;
    let mut answers: std::collections::BTreeMap<(String, u16), usize> = Default::default();
    let mut seen = BTreeSet::new();
    for (method, path, query) in &routes {
        let method_name = method.as_str();
        seen.insert((method_name.to_string(), path.clone()));
        if expected(method_name, path, Who::Anonymous).is_none() {
            mismatches.push(format!(
                "{method} {path}: not in the table; add who may call it"
            ));
            continue;
        }
        let url = match records.fill(path, query.as_deref()) {
            Ok(url) => url,
            Err(e) => {
                mismatches.push(format!("{method} {path}: {e}"));
                continue;
            }
        };
        // Refusals first: a call that is let in may change what later calls find.
        let mut order: Vec<(usize, Who, Access)> = PRINCIPALS
            .iter()
            .enumerate()
            .filter_map(|(i, who)| Some((i, *who, expected(method_name, path, *who)?)))
            .collect();
        order.sort_by_key(|(_, _, access)| *access == Access::Allowed);
        for (i, who, access) in order {
            // Logging out ends the session(s): give it one of its own.
            let session = match (path.as_str(), who.email()) {
                ("/logout" | "/account/overal-uitloggen", Some(email)) => app.login_as(email).await,
                _ => sessions[i].clone(),
            };
            let reply = call(&app, &session, *method, &url).await;
            if path == "/account/overal-uitloggen" {
                // It ended every session of the user: the principal's own as well.
                if let (Some(email), As::Session(_)) = (who.email(), &sessions[i]) {
                    sessions[i] = app.login_as(email).await;
                }
            }
            checked += 1;
            let status = reply.status.code;
            *answers.entry((format!("{access:?}"), status)).or_default() += 1;
            let ok = match access {
                _ if status >= 500 => false,
                Access::Denied => denied(&reply),
                // Another provider's staff may be refused a malformed body before the record
                // is looked up: fine when an unknown record gets the very same answer.
                Access::Hidden if status == 422 && who.other_provider() => {
                    let unknown = records.with_unknown_records(&url);
                    let probe = call(&app, &session, *method, &unknown).await;
                    unknown != url && probe.status.code == 422 && probe.body == reply.body
                }
                Access::Hidden => status == 404,
                Access::Allowed if is_public(method_name, path) => !matches!(status, 401 | 403),
                Access::Allowed => !denied(&reply),
            };
            if !ok {
                let snippet: String = reply.body.chars().take(160).collect();
                mismatches.push(format!(
                    "{method} {url} as {who:?}: expected {access:?}, got {} {}",
                    reply.status,
                    snippet.replace('\n', " ")
                ));
            }
            if (who == Who::CasemanagerVught || who.other_provider())
                && reply.status.class().is_success()
            {
                for secret in records.secrets() {
                    if reply.body.contains(secret) {
                        mismatches.push(format!(
                            "{method} {url} as {who:?}: the answer shows a record of Boxtel's with WSD: {secret}"
                        ));
                    }
                }
            }
        }
    }
    for (method, path, _, _) in TABLE {
        if !seen.contains(&(method.to_string(), path.to_string())) {
            mismatches.push(format!(
                "{method} {path}: in the table but not mounted; remove it"
            ));
        }
    }
    eprintln!(
        "authorisation matrix: {} routes × {} principals = {checked} calls checked, {} mismatch(es)",
        routes.len(),
        PRINCIPALS.len(),
        mismatches.len()
    );
    eprintln!(
        "answers (expected, status) × calls: {}",
        answers
            .iter()
            .map(|((access, status), n)| format!("{access} {status} × {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatch(es):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
