//! Request guards that build on each other: `CurrentUser` finds the principal (bearer token
//! or session cookie); the role guards narrow it, so a handler's arguments say who may call it.

use rocket::http::Status;
use rocket::outcome::{try_outcome, Outcome};
use rocket::request::{self, FromRequest, Request};
use rocket::State;
use sea_orm::DatabaseConnection;

use super::Principal;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::store;

pub const SESSION_COOKIE: &str = "plusmarkt_session";

/// The session cookie for a session token: private, HTTP only, same site strict (Rocket
/// marks private cookies Secure itself when TLS is on).
pub fn session_cookie(token: String) -> rocket::http::Cookie<'static> {
    rocket::http::Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(rocket::http::SameSite::Strict)
        .path("/")
        .build()
}

/// Any signed-in user or API token.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Principal);

async fn resolve(request: &Request<'_>) -> Result<Option<Principal>, AppError> {
    let db = match request.guard::<&State<DatabaseConnection>>().await {
        Outcome::Success(db) => db.inner().clone(),
        _ => return Err(AppError::Internal("database niet beschikbaar".into())),
    };
    let now = request
        .rocket()
        .state::<crate::domain::clock::Clock>()
        .copied()
        .unwrap_or_default()
        .now();
    if let Some(header) = request.headers().get_one("Authorization") {
        let Some(token) = header.strip_prefix("Bearer ") else {
            return Ok(None);
        };
        let Some(owner) = store::tokens::owner_of(&db, token.trim(), now).await? else {
            return Ok(None);
        };
        request.local_cache(|| SeenGeneration(Some(owner.catalogue_generation)));
        return Ok(store::users::principal_of(&owner.user, Some(owner.label)));
    }
    let Some(cookie) = request.cookies().get_private(SESSION_COOKIE) else {
        return Ok(None);
    };
    let principal = store::sessions::user_of(&db, cookie.value(), now)
        .await?
        .and_then(|user| store::users::principal_of(&user, None));
    if principal.is_none() {
        request.local_cache(|| SessionEnded(true));
    }
    Ok(principal)
}

/// Set when the request came with a session cookie whose session is over (idle, too old,
/// signed out elsewhere): the login page then says why.
struct SessionEnded(bool);

/// Whether this request's session cookie named a session that has ended.
pub fn session_ended(request: &Request<'_>) -> bool {
    request.local_cache(|| SessionEnded(false)).0
}

/// The catalogue generation this request's authentication read along with its token, if
/// it did (bearer tokens; a session cookie reads none). Handlers that cache per generation
/// take it as a guard after `CurrentUser` and read the generation themselves when it is
/// `None`.
#[derive(Debug, Clone, Copy)]
pub struct SeenGeneration(pub Option<i64>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SeenGeneration {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(*request.local_cache(|| SeenGeneration(None)))
    }
}

type Cached = Result<Option<Principal>, String>;

/// The principal of this request if a guard already resolved it (for error pages).
pub fn cached_principal(request: &Request<'_>) -> Option<Principal> {
    request
        .local_cache(|| -> Cached { Ok(None) })
        .as_ref()
        .ok()
        .and_then(|p| p.clone())
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = AppError;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let cached = request
            .local_cache_async(async {
                let resolved: Cached = resolve(request).await.map_err(|e| e.to_string());
                resolved
            })
            .await;
        match cached {
            Ok(Some(principal)) => Outcome::Success(CurrentUser(principal.clone())),
            Ok(None) => Outcome::Error((Status::Unauthorized, AppError::Unauthorized)),
            Err(e) => Outcome::Error((Status::InternalServerError, AppError::Internal(e.clone()))),
        }
    }
}

/// Defines a guard that admits the listed roles.
macro_rules! role_guard {
    ($(#[$doc:meta])* $name:ident, [$($role:expr),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Principal);

        impl $name {
            pub const ROLES: &'static [Role] = &[$($role),+];
        }

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = AppError;

            async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
                let CurrentUser(principal) = try_outcome!(request.guard::<CurrentUser>().await);
                if Self::ROLES.contains(&principal.role) {
                    Outcome::Success($name(principal))
                } else {
                    let error = AppError::Forbidden(format!(
                        "dit is niet toegestaan voor uw rol ({})",
                        principal.role.label_nl()
                    ));
                    // The catcher shows this detail instead of the generic 403 text.
                    crate::error::remember_error(request, &error);
                    Outcome::Error((Status::Forbidden, error))
                }
            }
        }
    };
}

role_guard!(
    /// A casemanager of a municipality.
    Casemanager, [Role::Casemanager]);
role_guard!(
    /// WSD's trajectory staff.
    ProviderStaff, [Role::ProviderStaff]);
role_guard!(
    /// WSD's pricing staff.
    Pricing, [Role::Pricing]);
role_guard!(
    /// Who may add a product: a provider's pricing staff (for their provider) and the
    /// administrator (naming the provider).
    ProductCreator, [Role::Pricing, Role::Admin]);
role_guard!(
    /// WSD's finance department.
    Finance, [Role::Finance]);
role_guard!(
    /// The administrator.
    Admin, [Role::Admin]);
role_guard!(
    /// Who may read the audit log.
    AuditReader, [Role::Admin, Role::Finance]);
role_guard!(
    /// Who may read invoices: finance all, casemanagers their own final ones.
    FinanceReader, [Role::Finance, Role::Casemanager]);
role_guard!(
    /// Who may read contracts: pricing and finance all, casemanagers their own.
    ContractReader, [Role::Pricing, Role::Finance, Role::Casemanager]);
role_guard!(
    /// Who may read the insight reports: casemanagers their own municipality's, finance,
    /// pricing and the administrator all.
    InsightReader, [Role::Casemanager, Role::Finance, Role::Pricing, Role::Admin]);
