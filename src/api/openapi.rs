//! The OpenAPI 3.1 document, generated from the annotated routes.

use rocket::http::ContentType;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "plusmarkt API", version = "1", description = "Marktplaats en contractmotor voor de plusdiensten van WSD. Zie API.md."),
    paths(super::me::health, super::me::me, super::municipalities::list, super::municipalities::get, super::audit::list, super::users::list, super::users::create,
        super::products::list, super::products::get, super::products::create, super::products::patch, super::products::add_price, super::products::delete,
        super::contracts::list, super::contracts::get, super::contracts::create, super::contracts::patch, super::contracts::put_line, super::contracts::delete_line, super::contracts::copy,
        super::trajectories::create_client, super::trajectories::find_clients, super::trajectories::search_clients, super::trajectories::get_client,
        super::trajectories::create, super::trajectories::list, super::trajectories::get, super::trajectories::cancel, super::trajectories::accept, super::trajectories::reject,
        super::trajectories::add_event, super::trajectories::add_delivery, super::trajectories::extend,
        super::invoices::create_run, super::invoices::list, super::invoices::get, super::invoices::pdf, super::invoices::ubl, super::invoices::csv, super::invoices::period_csv,
        super::invoices::finalise, super::invoices::send, super::invoices::paid, super::invoices::discard, super::invoices::credit,
        super::reports::get),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&Security)
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
