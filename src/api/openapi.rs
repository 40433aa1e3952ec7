//! The OpenAPI 3.1 document, generated from the annotated routes.

use rocket::http::ContentType;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "plusmarkt API", version = "1", description = "Marktplaats en contractmotor voor de plusdiensten van WSD. Zie API.md."),
    paths(super::me::health, super::me::me, super::municipalities::list, super::municipalities::get, super::audit::list, super::users::list, super::users::create, super::users::patch, super::users::password_reset, super::me::change_password, super::tokens::list, super::tokens::revoke,
        super::products::list, super::products::get, super::products::create, super::products::patch, super::products::add_price, super::products::withdraw_price, super::products::delete, super::products::services,
        super::contracts::list, super::contracts::get, super::contracts::create, super::contracts::patch, super::contracts::put_line, super::contracts::delete_line, super::contracts::copy, super::contracts::ledger, super::contracts::add_ledger_entry,
        super::trajectories::create_client, super::trajectories::find_clients, super::trajectories::search_clients, super::trajectories::get_client,
        super::trajectories::create, super::trajectories::list, super::trajectories::get, super::trajectories::cancel, super::trajectories::accept, super::trajectories::reject,
        super::trajectories::add_event, super::trajectories::add_delivery, super::trajectories::extend,
        super::invoices::create_run, super::invoices::list, super::invoices::get, super::invoices::pdf, super::invoices::ubl, super::invoices::csv, super::invoices::period_csv,
        super::invoices::finalise, super::invoices::send, super::invoices::paid, super::invoices::discard, super::invoices::credit,
        super::reports::get,
        super::providers::list, super::providers::get, super::providers::create, super::providers::patch, super::offers::list),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&Security, &CommonResponses)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("plusmarkt_session"))),
        );
    }
}

/// The error answers any operation can give, by what it takes, so that every operation
/// documents them the same way (a client can rely on the list being complete):
/// 401 and 403 for operations that need a user, 400 and 422 for operations with
/// parameters or a body, 404 for operations with path parameters, 413 for a body over the
/// limit. Operation-specific answers (409, 412, 428, …) stay on the operations.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                add_common_responses(operation);
            }
        }
    }
}

fn add_common_responses(operation: &mut Operation) {
    let params = operation.parameters.as_deref().unwrap_or_default();
    let has_path_params = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_body = operation.request_body.is_some();
    let needs_user = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let mut common: Vec<(&str, &str)> = Vec::new();
    if needs_user {
        common.push((
            "401",
            "Niet aangemeld: geen of een onbekend token of sessie.",
        ));
        common.push((
            "403",
            "Deze rol mag dit niet, of een sessie-aanvraag zonder geldig CSRF-token.",
        ));
    }
    if has_body || !params.is_empty() {
        common.push((
            "400",
            "De aanvraag is onleesbaar: ongeldige JSON of een parameter die niet te lezen is.",
        ));
        common.push((
            "422",
            "Een veld of parameter is ongeldig; `errors` noemt het veld en wat er mis is.",
        ));
    }
    if has_path_params {
        common.push((
            "404",
            "Niet gevonden, of niet zichtbaar voor deze gebruiker.",
        ));
    }
    if has_body {
        common.push(("413", "De body is groter dan de limiet."));
    }
    for (status, description) in common {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem_response(description)));
    }
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The OpenAPI document.
#[rocket::get("/api/v1/openapi.json")]
pub fn openapi_json() -> (ContentType, String) {
    (
        ContentType::JSON,
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".into()),
    )
}
