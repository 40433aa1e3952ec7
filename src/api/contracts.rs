//! Contract specifications.

use chrono::NaiveDate;
use rocket::http::Status;
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use super::etag::IfMatch;
use super::pagination::Page;
use super::products::WithEtag;
use super::{ApiJson, JsonBody};
use crate::auth::{ContractReader, CurrentUser, Pricing, Principal};
use crate::domain::clock::Clock;
use crate::domain::contract::ContractStatus;
use crate::domain::input::{parse_percent, Notation};
use crate::domain::money::Money;
use crate::domain::period::parse_date;
use crate::domain::quantity::Quantity;
use crate::domain::role::Role;
use crate::domain::settlement::{AdvanceSchedule, Arrangement, SettlementForm};
use crate::error::FieldError;
use crate::error::{AppError, AppResult};
use crate::services::contracts::{
    self as service, ContractPatch, LineInput, NewContract, SettlementPatch,
};
use crate::views::contracts as views;

#[derive(Serialize, utoipa::ToSchema)]
pub struct LinePrice {
    pub effective_from: String,
    pub price: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContractLine {
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    /// The agreed price today (or on the contract's first day before it starts).
    pub price: Option<String>,
    pub list_price: Option<String>,
    /// Trajectories or units per contract period.
    pub volume_cap: Option<String>,
    pub volume_used: String,
    pub valid_from: String,
    pub valid_to: String,
    /// Every agreed price with its effective date: the amendments.
    pub price_history: Vec<LinePrice>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub id: String,
    pub municipality: String,
    /// The provider's code: the contract is between the municipality and this provider.
    pub provider: String,
    pub name: String,
    pub valid_from: String,
    pub valid_to: String,
    pub status: String,
    pub budget_ceiling: Option<String>,
    /// Invoiced on final invoices.
    pub budget_used: String,
    /// Committed by open and running orders.
    pub budget_committed: String,
    pub budget_remaining: Option<String>,
    /// `product_price`, `volume_guarantee` or `budget`.
    pub settlement: String,
    pub guaranteed_amount: Option<String>,
    pub budget_amount: Option<String>,
    /// `monthly` or `quarterly` (budget only).
    pub advance_schedule: Option<String>,
    pub refund_unused: bool,
    /// Where a volume guarantee or budget stands; absent for product price.
    pub settlement_progress: Option<SettlementProgress>,
    pub lines: Vec<ContractLine>,
}

/// A settling contract's figures so far (invoices and credit notes, drafts included).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SettlementProgress {
    /// Volume guarantee: net delivery billed; budget: advances invoiced.
    pub billed: String,
    pub guaranteed_amount: Option<String>,
    pub budget_amount: Option<String>,
    /// Volume guarantee: the delivery billed; budget: deliveries valued at contract prices.
    pub delivered_value: String,
    /// Volume guarantee: the true-up if the contract ended now; budget: advances not used.
    pub shortfall_or_unused_to_date: String,
    /// Volume guarantee: true-up billed so far, net of credits.
    pub true_up_billed: Option<String>,
    /// Budget: unused budget returned so far.
    pub returned: Option<String>,
    /// Budget: the ledger balance (advances − delivered − returned ± manual entries).
    pub balance: Option<String>,
    /// The delivery projected to the contract's end, straight-line on the months so far.
    pub projected_delivery: Option<String>,
    pub months_elapsed: u32,
    pub months_total: u32,
}

impl From<views::ContractLine> for ContractLine {
    fn from(l: views::ContractLine) -> ContractLine {
        ContractLine {
            product_code: l.product_code,
            product_name: l.product_name,
            unit: l.unit,
            price: l.price.map(|m| m.to_string()),
            list_price: l.list_price.map(|m| m.to_string()),
            volume_cap: l.volume_cap.map(|v| v.to_string()),
            volume_used: l.volume_used.to_string(),
            valid_from: l.valid_from.to_string(),
            valid_to: l.valid_to.to_string(),
            price_history: l
                .price_history
                .into_iter()
                .map(|(from, price)| LinePrice {
                    effective_from: from.to_string(),
                    price: price.to_string(),
                })
                .collect(),
        }
    }
}

impl From<views::Contract> for Contract {
    fn from(c: views::Contract) -> Contract {
        Contract {
            id: c.id,
            municipality: c.municipality,
            provider: c.provider,
            name: c.name,
            valid_from: c.valid_from.to_string(),
            valid_to: c.valid_to.to_string(),
            status: c.status.as_str().to_string(),
            budget_ceiling: c.budget.ceiling.map(|m| m.to_string()),
            budget_used: c.budget.invoiced.to_string(),
            budget_committed: c.budget.committed.to_string(),
            budget_remaining: c.budget.remaining().map(|m| m.to_string()),
            settlement: c.arrangement.form().as_str().to_string(),
            guaranteed_amount: match c.arrangement {
                Arrangement::VolumeGuarantee { guaranteed } => Some(guaranteed.to_string()),
                _ => None,
            },
            budget_amount: match c.arrangement {
                Arrangement::Budget { budget, .. } => Some(budget.to_string()),
                _ => None,
            },
            advance_schedule: match c.arrangement {
                Arrangement::Budget { schedule, .. } => Some(schedule.as_str().to_string()),
                _ => None,
            },
            refund_unused: matches!(
                c.arrangement,
                Arrangement::Budget {
                    refund_unused: true,
                    ..
                }
            ),
            settlement_progress: c.progress.map(|p| {
                let budget = p.form == SettlementForm::Budget;
                SettlementProgress {
                    billed: p.billed.to_string(),
                    guaranteed_amount: (!budget).then(|| p.target.to_string()),
                    budget_amount: budget.then(|| p.target.to_string()),
                    delivered_value: p.delivered_value.to_string(),
                    shortfall_or_unused_to_date: p.shortfall_or_unused.to_string(),
                    true_up_billed: (!budget).then(|| p.true_up_billed.to_string()),
                    returned: budget.then(|| p.returned.to_string()),
                    balance: budget.then(|| p.balance.to_string()),
                    projected_delivery: p.projected_delivery.map(|m| m.to_string()),
                    months_elapsed: p.months_elapsed,
                    months_total: p.months_total,
                }
            }),
            lines: c.lines.into_iter().map(ContractLine::from).collect(),
        }
    }
}

/// A contract as the API shows it, with its ETag version.
async fn shown(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
    status: Status,
    today: NaiveDate,
) -> AppResult<WithEtag<Contract>> {
    let c = views::get(db, principal, id, today).await?;
    Ok(WithEtag(c.version, ApiJson(status, Contract::from(c))))
}

/// Contracts, filtered; a casemanager sees only their municipality's.
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts",
    params(("municipality" = Option<String>, Query), ("year" = Option<i32>, Query, minimum = 2000, maximum = 2100)),
    responses((status = 200, body = Page<Contract>), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/contracts?<municipality>&<year>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    reader: ContractReader,
    municipality: Option<&str>,
    year: Vec<&str>,
) -> AppResult<ApiJson<Page<Contract>>> {
    let year = super::query_year(&year)?;
    let items = views::list(db.inner(), &reader.0, municipality, year, clock.today())
        .await?
        .into_iter()
        .map(Contract::from)
        .collect();
    Ok(super::ok(Page {
        items,
        next_cursor: None,
    }))
}

/// One contract; another municipality's answers 404 to a casemanager.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = String, Path)),
    responses((status = 200, body = Contract), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/contracts/<id>")]
pub async fn get(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    reader: ContractReader,
    id: &str,
) -> AppResult<WithEtag<Contract>> {
    shown(db.inner(), &reader.0, id, Status::Ok, clock.today()).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContractRequest {
    pub municipality: String,
    /// The provider's code: required for an administrator; a provider's pricing staff
    /// make contracts for their own provider (the same code, or left out).
    pub provider: Option<String>,
    pub name: Option<String>,
    pub valid_from: String,
    pub valid_to: String,
    pub budget_ceiling: Option<String>,
    /// `product_price` (default), `volume_guarantee` or `budget`.
    pub settlement: Option<String>,
    /// `volume_guarantee`: the guaranteed net amount over the period, e.g. "250000.00".
    pub guaranteed_amount: Option<String>,
    /// `budget`: the budget for the period, invoiced in advances.
    pub budget_amount: Option<String>,
    /// `budget`: `monthly` (default) or `quarterly`.
    pub advance_schedule: Option<String>,
    /// `budget`: return what the advances exceed the delivered value by, after the last month.
    pub refund_unused: Option<bool>,
}

/// The settlement fields of a request, all errors at once, each on its field.
fn settlement_fields(
    settlement: Option<&str>,
    guaranteed_amount: Option<&str>,
    budget_amount: Option<&str>,
    advance_schedule: Option<&str>,
    refund_unused: Option<bool>,
) -> AppResult<Option<SettlementPatch>> {
    if settlement.is_none()
        && guaranteed_amount.is_none()
        && budget_amount.is_none()
        && advance_schedule.is_none()
        && refund_unused.is_none()
    {
        return Ok(None);
    }
    let mut errors = Vec::new();
    let mut patch = SettlementPatch {
        refund_unused,
        ..Default::default()
    };
    match settlement.map(SettlementForm::parse).transpose() {
        Ok(form) => patch.form = form,
        Err(e) => errors.push(FieldError::new("settlement", e)),
    }
    for (field, text, slot) in [
        (
            "guaranteed_amount",
            guaranteed_amount,
            &mut patch.guaranteed_amount,
        ),
        ("budget_amount", budget_amount, &mut patch.budget_amount),
    ] {
        match text.map(Money::parse_non_negative).transpose() {
            Ok(m) => *slot = m,
            Err(e) => errors.push(FieldError::new(field, e.to_string())),
        }
    }
    match advance_schedule.map(AdvanceSchedule::parse).transpose() {
        Ok(s) => patch.advance_schedule = s,
        Err(e) => errors.push(FieldError::new("advance_schedule", e)),
    }
    if errors.is_empty() {
        Ok(Some(patch))
    } else {
        Err(AppError::validation(
            "de afrekenvorm van het contract is niet geldig",
            errors,
        ))
    }
}

fn date_field(field: &str, text: &str) -> AppResult<NaiveDate> {
    parse_date(text).map_err(|e| AppError::field(field, e.to_string()))
}

fn money_field(field: &str, text: &str) -> AppResult<Money> {
    Money::parse_non_negative(text).map_err(|e| AppError::field(field, e.to_string()))
}

/// Who may create a contract: pricing staff (for their own provider) and the
/// administrator (for the provider named). Checked before the body is read, as the role
/// guards do.
pub struct ContractCreator(Principal);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for ContractCreator {
    type Error = AppError;

    async fn from_request(
        request: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, Self::Error> {
        let CurrentUser(principal) =
            rocket::outcome::try_outcome!(request.guard::<CurrentUser>().await);
        if matches!(principal.role, Role::Pricing | Role::Admin) {
            rocket::outcome::Outcome::Success(ContractCreator(principal))
        } else {
            let error = AppError::Forbidden(format!(
                "dit is niet toegestaan voor uw rol ({})",
                principal.role.label_nl()
            ));
            crate::error::remember_error(request, &error);
            rocket::outcome::Outcome::Error((Status::Forbidden, error))
        }
    }
}

/// Creates a draft contract between a municipality and a provider for a period: pricing
/// staff for their own provider, an administrator for the provider named.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", request_body = NewContractRequest,
    responses((status = 201, body = Contract), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/contracts", data = "<body>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    creator: ContractCreator,
    body: JsonBody<NewContractRequest>,
) -> AppResult<WithEtag<Contract>> {
    let actor = creator.0;
    let r = body.0;
    let new = NewContract {
        municipality: r.municipality,
        name: r.name,
        valid_from: date_field("valid_from", &r.valid_from)?,
        valid_to: date_field("valid_to", &r.valid_to)?,
        budget_ceiling: r
            .budget_ceiling
            .as_deref()
            .map(|b| money_field("budget_ceiling", b))
            .transpose()?,
        settlement: settlement_fields(
            r.settlement.as_deref(),
            r.guaranteed_amount.as_deref(),
            r.budget_amount.as_deref(),
            r.advance_schedule.as_deref(),
            r.refund_unused,
        )?
        .map(|p| p.applied_to(Default::default()))
        .unwrap_or_default(),
    };
    let c = service::create_with_provider(db.inner(), &actor, new, r.provider.as_deref()).await?;
    // An administrator does not read contracts; the answer shows the new contract as
    // the provider's pricing staff see it.
    let reader = match actor.role {
        Role::Admin => Principal {
            role: Role::Pricing,
            provider: Some(c.provider_code.clone()),
            ..actor
        },
        _ => actor,
    };
    shown(db.inner(), &reader, &c.id, Status::Created, clock.today()).await
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ContractPatchRequest {
    pub name: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    /// A decimal string, or null to remove the ceiling (absent: unchanged).
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "super::nullable::present")]
    pub budget_ceiling: Option<serde_json::Value>,
    /// `active` to activate a draft, `ended` to end an active contract.
    pub status: Option<String>,
    /// The settlement fields, as on creation; only on a draft (409 once active).
    pub settlement: Option<String>,
    pub guaranteed_amount: Option<String>,
    pub budget_amount: Option<String>,
    pub advance_schedule: Option<String>,
    pub refund_unused: Option<bool>,
}

/// Edits a contract; send `If-Match` with its ETag.
#[utoipa::path(patch, path = "/api/v1/contracts/{id}", tag = "contracts", request_body = ContractPatchRequest,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Contract), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"), (status = 412, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::patch("/api/v1/contracts/<id>", data = "<body>")]
pub async fn patch(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    id: &str,
    if_match: IfMatch,
    body: JsonBody<ContractPatchRequest>,
) -> AppResult<WithEtag<Contract>> {
    let r = body.0;
    let patch = ContractPatch {
        name: r.name,
        valid_from: r
            .valid_from
            .as_deref()
            .map(|d| date_field("valid_from", d))
            .transpose()?,
        valid_to: r
            .valid_to
            .as_deref()
            .map(|d| date_field("valid_to", d))
            .transpose()?,
        budget_ceiling: match r.budget_ceiling {
            None => None,
            Some(serde_json::Value::Null) => Some(None),
            Some(serde_json::Value::String(s)) => Some(Some(money_field("budget_ceiling", &s)?)),
            Some(_) => {
                return Err(AppError::field(
                    "budget_ceiling",
                    "verwacht een bedrag als tekst, bijvoorbeeld \"150000.00\", of null",
                ))
            }
        },
        status: r
            .status
            .as_deref()
            .map(|s| ContractStatus::parse(s).map_err(|e| AppError::field("status", e)))
            .transpose()?,
        settlement: settlement_fields(
            r.settlement.as_deref(),
            r.guaranteed_amount.as_deref(),
            r.budget_amount.as_deref(),
            r.advance_schedule.as_deref(),
            r.refund_unused,
        )?,
    };
    service::update(db.inner(), &pricing.0, id, patch, if_match.0).await?;
    shown(db.inner(), &pricing.0, id, Status::Ok, clock.today()).await
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    /// Agreed price; default the list price on the line's first day.
    pub price: Option<String>,
    /// Trajectories or units per contract period; none = no cap.
    pub volume_cap: Option<serde_json::Value>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    /// Required on an active contract: the amendment's effective date.
    pub effective_from: Option<String>,
}

fn cap_of(value: Option<serde_json::Value>) -> AppResult<Option<Quantity>> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => Quantity::parse(&n.to_string())
            .map(Some)
            .map_err(|e| AppError::field("volume_cap", e.to_string())),
        Some(serde_json::Value::String(s)) => Quantity::parse(&s)
            .map(Some)
            .map_err(|e| AppError::field("volume_cap", e.to_string())),
        Some(_) => Err(AppError::field(
            "volume_cap",
            "verwacht een aantal, bijvoorbeeld 10",
        )),
    }
}

/// Adds or changes a product line; on an active contract an amendment from `effective_from`.
#[utoipa::path(put, path = "/api/v1/contracts/{id}/lines/{product_code}", tag = "contracts", request_body = LineRequest,
    params(("id" = String, Path), ("product_code" = String, Path)),
    responses((status = 200, body = Contract), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::put("/api/v1/contracts/<id>/lines/<product_code>", data = "<body>")]
pub async fn put_line(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    id: &str,
    product_code: &str,
    body: JsonBody<LineRequest>,
) -> AppResult<WithEtag<Contract>> {
    let r = body.0;
    if let Some(serde_json::Value::Number(n)) = &r.volume_cap {
        if n.as_f64().is_some_and(|v| v < 0.0) {
            return Err(AppError::field(
                "volume_cap",
                "een volumeplafond kan niet negatief zijn",
            ));
        }
    }
    let price = match r.price.as_deref() {
        Some(p) => Some(Money::parse(p).map_err(|e| AppError::field("price", e.to_string()))?),
        None => None,
    };
    let input = LineInput {
        price,
        volume_cap: cap_of(r.volume_cap)?,
        valid_from: r
            .valid_from
            .as_deref()
            .map(|d| date_field("valid_from", d))
            .transpose()?,
        valid_to: r
            .valid_to
            .as_deref()
            .map(|d| date_field("valid_to", d))
            .transpose()?,
        effective_from: r
            .effective_from
            .as_deref()
            .map(|d| date_field("effective_from", d))
            .transpose()?,
    };
    service::put_line(db.inner(), &pricing.0, id, product_code, input).await?;
    shown(db.inner(), &pricing.0, id, Status::Ok, clock.today()).await
}

/// Removes a line from a draft, or ends it on an active contract from `effective_from`.
#[utoipa::path(delete, path = "/api/v1/contracts/{id}/lines/{product_code}", tag = "contracts",
    params(("id" = String, Path), ("product_code" = String, Path), ("effective_from" = Option<String>, Query)),
    responses((status = 200, body = Contract), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::delete("/api/v1/contracts/<id>/lines/<product_code>?<effective_from>")]
pub async fn delete_line(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    id: &str,
    product_code: &str,
    effective_from: Option<&str>,
) -> AppResult<WithEtag<Contract>> {
    let effective = effective_from
        .map(|d| date_field("effective_from", d))
        .transpose()?;
    service::remove_line(db.inner(), &pricing.0, id, product_code, effective).await?;
    shown(db.inner(), &pricing.0, id, Status::Ok, clock.today()).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    /// e.g. "3.2"
    pub indexation_percent: String,
}

/// Copies the contract into the next year as a draft, prices indexed and rounded to cents.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/copy", tag = "contracts", request_body = CopyRequest, params(("id" = String, Path)),
    responses((status = 201, body = Contract), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/contracts/<id>/copy", data = "<body>")]
pub async fn copy(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    pricing: Pricing,
    id: &str,
    body: JsonBody<CopyRequest>,
) -> AppResult<WithEtag<Contract>> {
    let percent = parse_percent(&body.0.indexation_percent, Notation::Api)
        .map_err(|e| AppError::field("indexation_percent", e))?;
    let c = service::copy_with_indexation(db.inner(), &pricing.0, id, percent).await?;
    shown(
        db.inner(),
        &pricing.0,
        &c.id,
        Status::Created,
        clock.today(),
    )
    .await
}

/// One entry of a budget's ledger.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub id: String,
    /// `advance`, `delivery_valued`, `settlement` or `manual`.
    pub kind: String,
    /// Positive: paid in advance (or a return billed back); negative: used or returned.
    pub amount: String,
    /// The run period (`YYYY-MM`), or the month a manual entry was made.
    pub period: String,
    /// The invoice or credit-note line that carries an advance or settlement.
    pub invoice_line_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ledger {
    pub contract: String,
    /// The sum of the entries: advances − delivered − returned ± manual entries.
    pub balance: String,
    pub entries: Vec<LedgerEntry>,
}

fn ledger_entry(e: views::LedgerEntry) -> LedgerEntry {
    LedgerEntry {
        id: e.id,
        kind: e.kind.as_str().to_string(),
        amount: e.amount.to_string(),
        period: e.period,
        invoice_line_id: e.invoice_line_id,
        reason: e.reason,
        created_at: e.created_at.to_rfc3339(),
        created_by: e.created_by,
    }
}

/// A budget contract's ledger: every advance invoiced, valuation of deliveries, settlement
/// and manual entry; its balance is their sum. Empty for other forms.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/ledger", tag = "contracts", params(("id" = String, Path)),
    responses((status = 200, body = Ledger), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::get("/api/v1/contracts/<id>/ledger")]
pub async fn ledger(
    db: &State<DatabaseConnection>,
    reader: crate::auth::ContractReader,
    id: &str,
) -> AppResult<ApiJson<Ledger>> {
    let (entries, balance) = views::ledger(db.inner(), &reader.0, id).await?;
    Ok(ApiJson(
        Status::Ok,
        Ledger {
            contract: id.to_string(),
            balance: balance.to_string(),
            entries: entries.into_iter().map(ledger_entry).collect(),
        },
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualEntryRequest {
    /// Signed, e.g. "-250.00" lowers the balance (and so what is returned).
    pub amount: String,
    pub reason: String,
}

/// Finance books an entry by hand on a budget's ledger, with its reason (409 on another form).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/ledger", tag = "contracts", request_body = ManualEntryRequest, params(("id" = String, Path)),
    responses((status = 201, body = LedgerEntry), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session" = [])))]
#[rocket::post("/api/v1/contracts/<id>/ledger", data = "<body>")]
pub async fn add_ledger_entry(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    finance: crate::auth::Finance,
    id: &str,
    body: JsonBody<ManualEntryRequest>,
) -> AppResult<ApiJson<LedgerEntry>> {
    let r = body.0;
    let amount = Money::parse(&r.amount).map_err(|e| AppError::field("amount", e.to_string()))?;
    let entry = crate::services::settlement::add_manual_entry(
        db.inner(),
        clock.inner(),
        &finance.0,
        id,
        amount,
        &r.reason,
    )
    .await?;
    Ok(ApiJson(
        Status::Created,
        ledger_entry(views::LedgerEntry::from(entry)),
    ))
}

pub fn routes() -> Vec<Route> {
    rocket::routes![
        list,
        get,
        create,
        patch,
        put_line,
        delete_line,
        copy,
        ledger,
        add_ledger_entry
    ]
}
