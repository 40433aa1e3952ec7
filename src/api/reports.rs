//! The insight reports as JSON: the same figures as the `/inzicht` page and its CSV files.

use rocket::{Route, State};
use sea_orm::DatabaseConnection;

use super::ApiJson;
use crate::auth::InsightReader;
use crate::domain::clock::Clock;
use crate::error::AppResult;
use crate::views::reports::{self as service, Report, ReportKind};

/// One insight report for a municipality (or all) and a year.
///
/// `report` is `budget`, `products`, `target_groups`, `status`, `outcomes`, `uptake`,
/// `plan` or `providers` (spend per provider, service type and municipality). A casemanager always gets their own municipality; asking for another answers 404.
/// `plan` (revenue against WSD's yearly plan) is for finance, pricing and admin, over all
/// municipalities. `year` defaults to the current year. Amounts are decimal strings.
#[utoipa::path(get, path = "/api/v1/reports/{report}", tag = "reports",
    params(
        ("report" = String, Path, description = "budget, products, target_groups, status, outcomes, uptake, plan or providers"),
        ("municipality" = Option<String>, Query, description = "CBS code such as GM0757; empty or `alle` for all (WSD roles)"),
        ("year" = Option<i32>, Query, minimum = 2000, maximum = 2100)),
    responses(
        (status = 200, body = Report),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/reports/<report>?<municipality>&<year>")]
pub async fn get(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    reader: InsightReader,
    report: &str,
    municipality: Option<String>,
    year: Vec<&str>,
) -> AppResult<ApiJson<Report>> {
    let kind = ReportKind::parse(report)?;
    let selection = service::select(
        db.inner(),
        &reader.0,
        municipality.as_deref(),
        super::query_year(&year)?,
        clock.today(),
    )
    .await?;
    Ok(super::ok(
        service::report(db.inner(), &reader.0, &selection, kind).await?,
    ))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![get]
}
