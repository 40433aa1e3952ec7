//! Clients and trajectories: the casemanager's orders, WSD's answers.

use rocket::http::Status;
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::idempotency::IdempotencyKey;
use super::pagination::Page;
use super::{ApiJson, JsonBody};
use crate::auth::{Casemanager, CurrentUser, ProviderStaff};
use crate::config::Config;
use crate::crypto::bsn_vault::BsnVault;
use crate::domain::clock::Clock;
use crate::domain::money::Money;
use crate::domain::period::parse_date;
use crate::domain::quantity::Quantity;
use crate::error::{AppError, AppResult};
use crate::services::ordering::{self, ClientInput, ClientRecord, OrderDraft, OrderLineDraft};
use crate::views::trajectories::{self as views, TrajectoryView};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Client {
    pub id: String,
    pub bsn_masked: String,
    pub name: String,
    pub birth_date: Option<String>,
    pub municipality: String,
}

impl From<&ClientRecord> for Client {
    fn from(c: &ClientRecord) -> Self {
        Client {
            id: c.id.clone(),
            bsn_masked: crate::domain::bsn::mask_last4(&c.bsn_last4),
            name: c.name.clone(),
            birth_date: c.birth_date.map(|d| d.to_string()),
            municipality: c.municipality_code.clone(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientRequest {
    /// Nine digits, checked with the elfproef.
    pub bsn: String,
    pub name: String,
    pub birth_date: Option<String>,
}

/// Registers a client of the casemanager's municipality (201), or returns the client
/// already registered with that BSN (200).
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = NewClientRequest,
    responses((status = 201, body = Client), (status = 200, body = Client), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/clients", data = "<body>")]
pub async fn create_client(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    vault: &State<BsnVault>,
    cm: Casemanager,
    body: JsonBody<NewClientRequest>,
) -> AppResult<ApiJson<Client>> {
    let r = body.0;
    let birth_date = r
        .birth_date
        .as_deref()
        .map(|d| parse_date(d).map_err(|e| AppError::field("birth_date", e.to_string())))
        .transpose()?;
    let (c, created) = ordering::register_client(
        db.inner(),
        clock.inner(),
        vault.inner(),
        &cm.0,
        ClientInput {
            bsn: r.bsn,
            name: r.name,
            birth_date,
        },
    )
    .await?;
    Ok(ApiJson(
        if created { Status::Created } else { Status::Ok },
        Client::from(&c),
    ))
}

/// Finds a client by BSN: a casemanager among their municipality's clients, WSD staff
/// among all. Prefer `POST /api/v1/clients/search` so that the BSN stays out of URLs.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(("bsn" = String, Query)),
    responses((status = 200, body = Page<Client>), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/clients?<bsn>")]
pub async fn find_clients(
    db: &State<DatabaseConnection>,
    vault: &State<BsnVault>,
    user: CurrentUser,
    bsn: &str,
) -> AppResult<ApiJson<Page<Client>>> {
    let found = ordering::find_clients(db.inner(), vault.inner(), &user.0, bsn).await?;
    Ok(super::ok(Page {
        items: found.iter().map(Client::from).collect(),
        next_cursor: None,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSearch {
    pub bsn: String,
}

/// Finds a client by BSN, with the BSN in the body rather than the URL.
#[utoipa::path(post, path = "/api/v1/clients/search", tag = "clients", request_body = ClientSearch,
    responses((status = 200, body = Page<Client>), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/clients/search", data = "<body>")]
pub async fn search_clients(
    db: &State<DatabaseConnection>,
    vault: &State<BsnVault>,
    user: CurrentUser,
    body: JsonBody<ClientSearch>,
) -> AppResult<ApiJson<Page<Client>>> {
    let found = ordering::find_clients(db.inner(), vault.inner(), &user.0, &body.0.bsn).await?;
    Ok(super::ok(Page {
        items: found.iter().map(Client::from).collect(),
        next_cursor: None,
    }))
}

/// One client (the view is audited).
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    responses((status = 200, body = Client), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/clients/<id>")]
pub async fn get_client(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: &str,
) -> AppResult<ApiJson<Client>> {
    let c = ordering::view_client(db.inner(), &user.0, id).await?;
    Ok(super::ok(Client::from(&c)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LineEvent {
    pub id: String,
    pub kind: String,
    pub date: String,
    pub milestone: Option<String>,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub corrects_id: Option<String>,
    pub created_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: String,
    pub period: String,
    pub quantity: String,
    pub note: Option<String>,
    pub corrects_id: Option<String>,
    pub created_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TrajectoryLine {
    pub id: String,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    pub unit_price: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub quantity: Option<String>,
    pub frequency: Option<String>,
    /// Total units ordered, for effort products.
    pub volume: Option<String>,
    pub budget: Option<String>,
    /// What the line commits against the contract's budget.
    pub committed: String,
    pub status: String,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub outcome: Option<String>,
    pub end_reason: Option<String>,
    pub events: Vec<LineEvent>,
    pub deliveries: Vec<Delivery>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Trajectory {
    pub id: String,
    pub number: String,
    pub status: String,
    pub municipality: String,
    /// The provider (code) who delivers every line.
    pub provider: String,
    pub client_id: String,
    pub contract_id: String,
    pub buyer_reference: String,
    pub created_at: String,
    pub planned_start: Option<String>,
    pub reject_reason: Option<String>,
    pub lines: Vec<TrajectoryLine>,
}

impl From<TrajectoryView> for Trajectory {
    fn from(t: TrajectoryView) -> Self {
        Trajectory {
            id: t.id,
            number: t.number,
            status: t.status.as_str().into(),
            municipality: t.municipality_code,
            provider: t.provider_code,
            client_id: t.client_id,
            contract_id: t.contract_id,
            buyer_reference: t.buyer_reference,
            created_at: t.created_at.to_rfc3339(),
            planned_start: t.planned_start.map(|d| d.to_string()),
            reject_reason: t.reject_reason,
            lines: t.lines.into_iter().map(TrajectoryLine::from).collect(),
        }
    }
}

impl From<views::LineView> for TrajectoryLine {
    fn from(l: views::LineView) -> Self {
        TrajectoryLine {
            product_name: l
                .product
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            unit: l
                .product
                .as_ref()
                .map(|p| p.unit.as_str().to_string())
                .unwrap_or_default(),
            unit_price: l.unit_price.to_string(),
            start_date: l.start_date.to_string(),
            end_date: l.end_date.map(|d| d.to_string()),
            quantity: l.quantity.map(|q| q.to_string()),
            frequency: l.frequency.map(|f| f.as_str().into()),
            volume: l.volume.map(|q| q.to_string()),
            budget: l.budget.map(|b| b.to_string()),
            committed: l.committed.to_string(),
            started_on: l.started_on.map(|d| d.to_string()),
            ended_on: l.ended_on.map(|d| d.to_string()),
            events: l
                .events
                .into_iter()
                .map(|e| LineEvent {
                    id: e.id,
                    kind: e.kind.as_str().into(),
                    date: e.date.to_string(),
                    milestone: e.milestone,
                    outcome: e.outcome.map(|o| o.as_str().into()),
                    note: e.note,
                    corrects_id: e.corrects_id,
                    created_at: e.created_at.to_rfc3339(),
                })
                .collect(),
            deliveries: l
                .deliveries
                .into_iter()
                .map(|d| Delivery {
                    id: d.id,
                    period: d.period,
                    quantity: d.quantity.to_string(),
                    note: d.note,
                    corrects_id: d.corrects_id,
                    created_at: d.created_at.to_rfc3339(),
                })
                .collect(),
            id: l.id,
            product_code: l.product_code,
            status: l.status.as_str().into(),
            outcome: l.outcome.map(|o| o.as_str().into()),
            end_reason: l.end_reason,
        }
    }
}

/// One trajectory as the API gives it.
async fn answer(
    db: &DatabaseConnection,
    who: &crate::auth::Principal,
    id: &str,
) -> AppResult<Trajectory> {
    Ok(views::detail(db, who, id).await?.into())
}

/// The trajectory of an order line as the API gives it.
async fn answer_for_line(
    db: &DatabaseConnection,
    who: &crate::auth::Principal,
    line_id: &str,
) -> AppResult<Trajectory> {
    Ok(views::of_line(db, who, line_id).await?.into())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineRequest {
    pub product_code: String,
    pub start_date: String,
    pub end_date: Option<String>,
    /// Hours, day-parts or pieces (decimal string), for effort products.
    pub quantity: Option<String>,
    /// `week`, `month` or `total`.
    pub frequency: Option<String>,
    pub budget: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    pub client_id: String,
    #[serde(default)]
    pub buyer_reference: String,
    pub lines: Vec<OrderLineRequest>,
}

impl From<OrderRequest> for OrderDraft {
    fn from(r: OrderRequest) -> Self {
        OrderDraft {
            client_id: r.client_id,
            buyer_reference: r.buyer_reference,
            lines: r
                .lines
                .into_iter()
                .map(|l| OrderLineDraft {
                    product_code: l.product_code,
                    start_date: l.start_date,
                    end_date: l.end_date,
                    quantity: l.quantity,
                    frequency: l.frequency.map(|f| f.as_str().into()),
                    budget: l.budget,
                })
                .collect(),
        }
    }
}

/// Orders a trajectory for a client: 422 when a product is not contracted on its start
/// date, over a volume cap or over the budget ceiling. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/trajectories", tag = "trajectories", request_body = OrderRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Trajectory), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/trajectories", data = "<body>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    config: &State<Config>,
    cm: Casemanager,
    key: IdempotencyKey,
    body: JsonBody<OrderRequest>,
) -> AppResult<ApiJson<Value>> {
    let idem = key.with_request("POST /api/v1/trajectories", &body.1);
    let order = OrderDraft::from(body.0).parse()?;
    let placement = ordering::place_order(db.inner(), config.inner(), &cm.0, order, idem).await?;
    // A retry gets the first answer, as it was stored (201 both times).
    let value =
        serde_json::to_value(placement.order()).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(ApiJson(Status::Created, value))
}

/// Trajectories, newest first (`oldest_first=true` for the intake inbox).
#[utoipa::path(get, path = "/api/v1/trajectories", tag = "trajectories",
    params(("status" = Option<String>, Query), ("client_id" = Option<String>, Query), ("oldest_first" = Option<bool>, Query), ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<Trajectory>), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/trajectories?<status>&<client_id>&<oldest_first>&<limit>&<cursor>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    status: Option<&str>,
    client_id: Option<&str>,
    oldest_first: Vec<&str>,
    limit: Vec<&str>,
    cursor: Option<&str>,
) -> AppResult<ApiJson<Page<Trajectory>>> {
    let limit = super::pagination::limit(&limit)?;
    let oldest_first = super::query_value::<bool>("oldest_first", &oldest_first, "true of false")?
        .unwrap_or(false);
    let after = super::pagination::decode_time_cursor(cursor)?;
    if let Some(s) = status {
        crate::domain::trajectory::Status::parse(s).map_err(|e| AppError::field("status", e))?;
    }
    let filter = views::Filter {
        status: status.and_then(|s| crate::domain::trajectory::Status::parse(s).ok()),
        client_id: client_id.map(str::to_string),
        after_created: after,
        oldest_first,
        ..Default::default()
    };
    let listed = views::list(db.inner(), &user.0, &filter, limit).await?;
    let last = listed
        .items
        .last()
        .map(|t| super::pagination::encode_time_cursor(&t.created_at, &t.id));
    Ok(super::ok(Page {
        items: listed.items.into_iter().map(Trajectory::from).collect(),
        next_cursor: if listed.more { last } else { None },
    }))
}

/// One trajectory; another municipality's answers 404 to a casemanager.
#[utoipa::path(get, path = "/api/v1/trajectories/{id}", tag = "trajectories", params(("id" = String, Path)),
    responses((status = 200, body = Trajectory), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/trajectories/<id>")]
pub async fn get(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: &str,
) -> AppResult<ApiJson<Trajectory>> {
    Ok(super::ok(answer(db.inner(), &user.0, id).await?))
}

/// The casemanager cancels an order before it starts; after the start: 409.
#[utoipa::path(post, path = "/api/v1/trajectories/{id}/cancel", tag = "trajectories", params(("id" = String, Path)),
    responses((status = 200, body = Trajectory), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/trajectories/<id>/cancel")]
pub async fn cancel(
    db: &State<DatabaseConnection>,
    cm: Casemanager,
    id: &str,
) -> AppResult<ApiJson<Trajectory>> {
    ordering::cancel(db.inner(), &cm.0, id).await?;
    Ok(super::ok(answer(db.inner(), &cm.0, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub planned_start: Option<String>,
}

/// WSD accepts a requested trajectory.
#[utoipa::path(post, path = "/api/v1/trajectories/{id}/accept", tag = "trajectories", request_body = AcceptRequest, params(("id" = String, Path)),
    responses((status = 200, body = Trajectory), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/trajectories/<id>/accept", data = "<body>")]
pub async fn accept(
    db: &State<DatabaseConnection>,
    config: &State<Config>,
    staff: ProviderStaff,
    id: &str,
    body: JsonBody<AcceptRequest>,
) -> AppResult<ApiJson<Trajectory>> {
    let planned = body
        .0
        .planned_start
        .as_deref()
        .map(|d| parse_date(d).map_err(|e| AppError::field("planned_start", e.to_string())))
        .transpose()?;
    ordering::accept(db.inner(), config.inner(), &staff.0, id, planned).await?;
    Ok(super::ok(answer(db.inner(), &staff.0, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
}

/// WSD rejects a requested trajectory with a reason the casemanager sees.
#[utoipa::path(post, path = "/api/v1/trajectories/{id}/reject", tag = "trajectories", request_body = RejectRequest, params(("id" = String, Path)),
    responses((status = 200, body = Trajectory), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/trajectories/<id>/reject", data = "<body>")]
pub async fn reject(
    db: &State<DatabaseConnection>,
    config: &State<Config>,
    staff: ProviderStaff,
    id: &str,
    body: JsonBody<RejectRequest>,
) -> AppResult<ApiJson<Trajectory>> {
    ordering::reject(db.inner(), config.inner(), &staff.0, id, &body.0.reason).await?;
    Ok(super::ok(answer(db.inner(), &staff.0, id).await?))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        create_client,
        find_clients,
        search_clients,
        get_client,
        create,
        list,
        get,
        cancel,
        accept,
        reject
    ]
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    /// `start`, `milestone`, `stop`, `complete`, or `withdraw` (with `corrects_id` and
    /// `reason`: the registration no longer counts; a withdrawn stop or completion makes the
    /// line run again).
    pub kind: String,
    /// Not needed for `withdraw` (the day of withdrawal is recorded).
    pub date: Option<String>,
    pub milestone: Option<String>,
    /// For `complete`: `goal_reached`, `goal_not_reached`, `regular_work` or `other`.
    pub outcome: Option<String>,
    pub note: Option<String>,
    /// The id of an earlier registration of the same kind that this one corrects.
    pub corrects_id: Option<String>,
    /// For `withdraw`: why (required, audited).
    pub reason: Option<String>,
}

/// WSD registers a start, milestone, stop or completion on an order line, or withdraws one.
#[utoipa::path(post, path = "/api/v1/trajectory-lines/{id}/events", tag = "registrations", request_body = EventRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Trajectory), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/trajectory-lines/<id>/events", data = "<body>")]
pub async fn add_event(
    db: &State<DatabaseConnection>,
    config: &State<Config>,
    staff: ProviderStaff,
    key: IdempotencyKey,
    id: &str,
    body: JsonBody<EventRequest>,
) -> AppResult<ApiJson<Trajectory>> {
    use crate::domain::trajectory::Outcome;
    use crate::services::registration::{register_event, EventInput, EventKind};
    let idem = key.with_request(
        &format!("POST /api/v1/trajectory-lines/{id}/events"),
        &body.1,
    );
    let r = body.0;
    let kind = EventKind::parse(&r.kind).map_err(|e| AppError::field("kind", e))?;
    let date = match (kind, r.date.as_deref()) {
        (_, Some(d)) => parse_date(d).map_err(|e| AppError::field("date", e.to_string()))?,
        (EventKind::Withdraw, None) => config.clock.today(),
        (_, None) => return Err(AppError::field("date", "geef de datum")),
    };
    let input = EventInput {
        kind,
        date,
        milestone: r.milestone,
        outcome: r
            .outcome
            .as_deref()
            .map(|o| Outcome::parse(o).map_err(|e| AppError::field("outcome", e)))
            .transpose()?,
        note: if kind == EventKind::Withdraw {
            r.reason
        } else {
            r.note
        },
        corrects_id: r.corrects_id,
    };
    register_event(
        db.inner(),
        config.inner(),
        &staff.0,
        id,
        input,
        idem.as_ref(),
    )
    .await?;
    Ok(ApiJson(
        Status::Created,
        answer_for_line(db.inner(), &staff.0, id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRequest {
    /// `YYYY-MM`
    pub period: String,
    /// Decimal string, e.g. "6.5".
    pub quantity: String,
    pub note: Option<String>,
    /// The id of an earlier delivery registration of the same month that this one replaces.
    pub corrects_id: Option<String>,
}

/// WSD registers hours, day-parts or pieces delivered in a month.
#[utoipa::path(post, path = "/api/v1/trajectory-lines/{id}/deliveries", tag = "registrations", request_body = DeliveryRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Trajectory), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/trajectory-lines/<id>/deliveries", data = "<body>")]
pub async fn add_delivery(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    staff: ProviderStaff,
    key: IdempotencyKey,
    id: &str,
    body: JsonBody<DeliveryRequest>,
) -> AppResult<ApiJson<Trajectory>> {
    use crate::domain::period::Period;
    use crate::services::registration::{register_delivery, DeliveryInput};
    let idem = key.with_request(
        &format!("POST /api/v1/trajectory-lines/{id}/deliveries"),
        &body.1,
    );
    let r = body.0;
    let input = DeliveryInput {
        period: Period::parse(&r.period).map_err(|e| AppError::field("period", e.to_string()))?,
        quantity: Quantity::parse(&r.quantity)
            .map_err(|e| AppError::field("quantity", e.to_string()))?,
        note: r.note,
        corrects_id: r.corrects_id,
    };
    register_delivery(
        db.inner(),
        clock.inner(),
        &staff.0,
        id,
        input,
        idem.as_ref(),
    )
    .await?;
    Ok(ApiJson(
        Status::Created,
        answer_for_line(db.inner(), &staff.0, id).await?,
    ))
}

pub fn registration_routes() -> Vec<Route> {
    rocket::routes![add_event, add_delivery]
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    /// A later end date.
    pub end_date: Option<String>,
    /// More hours, day-parts or pieces (per the line's frequency).
    pub quantity: Option<String>,
    /// A higher budget.
    pub budget: Option<String>,
}

/// The casemanager extends an accepted or running line, within the contract's caps and
/// budget; WSD sees the change in its inbox.
#[utoipa::path(patch, path = "/api/v1/trajectory-lines/{id}", tag = "trajectories", request_body = ExtendRequest, params(("id" = String, Path)),
    responses((status = 200, body = Trajectory), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::patch("/api/v1/trajectory-lines/<id>", data = "<body>")]
pub async fn extend(
    db: &State<DatabaseConnection>,
    config: &State<Config>,
    cm: Casemanager,
    id: &str,
    body: JsonBody<ExtendRequest>,
) -> AppResult<ApiJson<Trajectory>> {
    let r = body.0;
    let extension = ordering::Extension {
        end_date: r
            .end_date
            .as_deref()
            .map(|d| parse_date(d).map_err(|e| AppError::field("end_date", e.to_string())))
            .transpose()?,
        quantity: r
            .quantity
            .as_deref()
            .map(|q| Quantity::parse(q).map_err(|e| AppError::field("quantity", e.to_string())))
            .transpose()?,
        budget: r
            .budget
            .as_deref()
            .map(|b| {
                Money::parse_non_negative(b).map_err(|e| AppError::field("budget", e.to_string()))
            })
            .transpose()?,
    };
    ordering::extend_line(db.inner(), config.inner(), &cm.0, id, extension).await?;
    Ok(super::ok(answer_for_line(db.inner(), &cm.0, id).await?))
}

pub fn extension_routes() -> Vec<Route> {
    rocket::routes![extend]
}
