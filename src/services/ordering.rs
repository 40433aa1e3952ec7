//! The casemanager's cafetaria: clients by BSN, and orders placed within contract, caps
//! and budget, atomically. WSD's first answer (accept or reject) and the casemanager's
//! cancel are state moves here too.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::Config;
use crate::crypto::bsn_vault::BsnVault;
use crate::domain::bsn::{mask_last4, Bsn};
use crate::domain::clock::Clock;
use crate::domain::commitment::{
    check_room, commitment, line_usage, Asking, Commitment, Draw, LineDraw, OrderedLine,
};
use crate::domain::contract::NotOrderable;
use crate::domain::money::Money;
use crate::domain::period::{format_date_nl, parse_date};
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
use crate::domain::trajectory::{aggregate, Frequency, Status, Transition};
use crate::entities::{client, trajectory, trajectory_line};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::messages::{trajectory_message, TrajectoryFacts, TrajectoryNews};
use crate::store::idempotency::StoredResponse;
use crate::store::{self, new_id, now};

// ---- clients ----------------------------------------------------------------------------

/// A client's record as the front doors show it: never the BSN itself.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub id: String,
    pub name: String,
    pub bsn_last4: String,
    pub birth_date: Option<NaiveDate>,
    pub municipality_code: String,
}

impl From<client::Model> for ClientRecord {
    fn from(c: client::Model) -> Self {
        ClientRecord {
            id: c.id,
            name: c.name,
            bsn_last4: c.bsn_last4,
            birth_date: c.birth_date,
            municipality_code: c.municipality_code,
        }
    }
}

pub struct ClientInput {
    pub bsn: String,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
}

fn client_audit(c: &client::Model) -> Value {
    // Never the BSN itself: its masked form identifies the record well enough.
    json!({"municipality": c.municipality_code, "bsn_masked": mask_last4(&c.bsn_last4), "name": c.name, "birth_date": c.birth_date})
}

/// Every error of a client's input at once (BSN, name, birth date), each naming its field;
/// a form that could not even read one of its fields adds these for the others.
pub fn client_input_errors(clock: &Clock, input: &ClientInput) -> Vec<FieldError> {
    check_client_input(clock, input).1
}

fn check_client_input(clock: &Clock, input: &ClientInput) -> (Option<Bsn>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let bsn = Bsn::parse(&input.bsn)
        .map_err(|e| errors.push(FieldError::new("bsn", e.to_string())))
        .ok();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new(
            "name",
            "vul de naam in (hoogstens 200 tekens)",
        ));
    }
    if input.birth_date.is_some_and(|b| {
        b > clock.today() || b < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
    }) {
        errors.push(FieldError::new(
            "birth_date",
            "de geboortedatum ligt in de toekomst of vóór 1900",
        ));
    }
    (bsn, errors)
}

/// Registers a client of the casemanager's municipality, or returns the one already
/// registered with that BSN (`false`: not new).
pub async fn register_client(
    db: &DatabaseConnection,
    clock: &Clock,
    vault: &BsnVault,
    principal: &Principal,
    input: ClientInput,
) -> AppResult<(ClientRecord, bool)> {
    let municipality = principal.municipality.clone().ok_or_else(|| {
        AppError::Forbidden("alleen een casemanager van een gemeente registreert klanten".into())
    })?;
    let (bsn, errors) = check_client_input(clock, &input);
    let name = input.name.trim().to_string();
    let Some(bsn) = bsn.filter(|_| errors.is_empty()) else {
        return Err(AppError::validation(
            "de klant kan niet worden geregistreerd",
            errors,
        ));
    };
    let hash = vault.lookup_hash(&bsn);
    let txn = store::db::begin_write(db).await?;
    if let Some(existing) = store::clients::find_by_hash(&txn, principal, &hash)
        .await?
        .into_iter()
        .next()
    {
        store::audit::append(
            &txn,
            principal,
            "client.view",
            "client",
            &existing.id,
            None,
            Some(client_audit(&existing)),
        )
        .await?;
        txn.commit().await?;
        return Ok((existing.into(), false));
    }
    let model = client::Model {
        id: new_id(),
        municipality_code: municipality,
        bsn_hash: hash,
        bsn_encrypted: vault.encrypt(&bsn)?,
        bsn_last4: bsn.last4().to_string(),
        name,
        birth_date: input.birth_date,
        created_at: now(),
    };
    store::clients::insert(&txn, model.clone()).await?;
    store::audit::append(
        &txn,
        principal,
        "client.create",
        "client",
        &model.id,
        None,
        Some(client_audit(&model)),
    )
    .await?;
    txn.commit().await?;
    Ok((model.into(), true))
}

/// Finds a client by BSN within what the principal may see; every hit is an audited view.
pub async fn find_clients(
    db: &DatabaseConnection,
    vault: &BsnVault,
    principal: &Principal,
    bsn: &str,
) -> AppResult<Vec<ClientRecord>> {
    let bsn = Bsn::parse(bsn).map_err(|e| AppError::field("bsn", e.to_string()))?;
    let txn = store::db::begin_write(db).await?;
    let found = store::clients::find_by_hash(&txn, principal, &vault.lookup_hash(&bsn)).await?;
    for c in &found {
        store::audit::append(
            &txn,
            principal,
            "client.view",
            "client",
            &c.id,
            None,
            Some(client_audit(c)),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(found.into_iter().map(ClientRecord::from).collect())
}

/// One client's record, viewed (and audited) by the principal.
pub async fn view_client(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<ClientRecord> {
    let txn = store::db::begin_write(db).await?;
    let c = store::clients::get(&txn, principal, id).await?;
    store::audit::append(
        &txn,
        principal,
        "client.view",
        "client",
        &c.id,
        None,
        Some(client_audit(&c)),
    )
    .await?;
    txn.commit().await?;
    Ok(c.into())
}

// ---- orders -----------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct OrderLineInput {
    pub product_code: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub quantity: Option<Quantity>,
    pub frequency: Option<Frequency>,
    pub budget: Option<Money>,
}

#[derive(Debug, Clone)]
pub struct OrderInput {
    pub client_id: String,
    pub buyer_reference: String,
    pub lines: Vec<OrderLineInput>,
}

/// One line of an order as typed, before parsing.
#[derive(Debug, Clone, Default)]
pub struct OrderLineDraft {
    pub product_code: String,
    pub start_date: String,
    pub end_date: Option<String>,
    /// Hours, day-parts or pieces as a decimal string ("12.5").
    pub quantity: Option<String>,
    pub frequency: Option<String>,
    pub budget: Option<String>,
}

/// An order as typed (through the API or the web form), before parsing.
#[derive(Debug, Clone, Default)]
pub struct OrderDraft {
    pub client_id: String,
    pub buyer_reference: String,
    pub lines: Vec<OrderLineDraft>,
}

/// An optional field: absent or empty is `None`, else parsed.
fn optional<T, E>(
    value: Option<&str>,
    field: String,
    parse: impl FnOnce(&str) -> Result<T, E>,
    errors: &mut Vec<FieldError>,
) -> Option<T>
where
    E: std::fmt::Display,
{
    let text = value.filter(|s| !s.is_empty())?;
    parse(text)
        .map_err(|e| errors.push(FieldError::new(field, e.to_string())))
        .ok()
}

impl OrderDraft {
    /// Parses the order into typed input, naming every bad field as `lines[i].field`.
    pub fn parse(self) -> AppResult<OrderInput> {
        let mut errors = Vec::new();
        let mut lines = Vec::new();
        for (i, l) in self.lines.into_iter().enumerate() {
            let field = |name: &str| format!("lines[{i}].{name}");
            let start = parse_date(&l.start_date)
                .map_err(|e| errors.push(FieldError::new(field("start_date"), e.to_string())))
                .ok();
            let end = optional(
                l.end_date.as_deref(),
                field("end_date"),
                parse_date,
                &mut errors,
            );
            let quantity = optional(
                l.quantity.as_deref(),
                field("quantity"),
                Quantity::parse,
                &mut errors,
            );
            let frequency = optional(
                l.frequency.as_deref(),
                field("frequency"),
                Frequency::parse,
                &mut errors,
            );
            let budget = optional(
                l.budget.as_deref(),
                field("budget"),
                Money::parse_non_negative,
                &mut errors,
            );
            if let Some(start_date) = start {
                lines.push(OrderLineInput {
                    product_code: l.product_code,
                    start_date,
                    end_date: end,
                    quantity,
                    frequency,
                    budget,
                });
            }
        }
        if !errors.is_empty() {
            return Err(AppError::validation(
                "de bestelling is niet volledig of niet geldig",
                errors,
            ));
        }
        Ok(OrderInput {
            client_id: self.client_id,
            buyer_reference: self.buyer_reference,
            lines,
        })
    }
}

pub use super::idempotency::Idempotency;

/// A created trajectory with its lines.
struct Placed {
    trajectory: trajectory::Model,
    lines: Vec<trajectory_line::Model>,
}

/// One line of a placed order, as the answer to the order gives it (API.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlacedLine {
    pub id: String,
    pub product_code: String,
    pub unit_price: String,
    pub committed: String,
    pub status: String,
}

/// A placed order, as the answer to the order gives it (API.md); stored under the
/// idempotency key as JSON, so that a retry gets it back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlacedOrder {
    pub id: String,
    pub number: String,
    pub status: String,
    pub municipality: String,
    /// The provider who delivers every line (absent in answers stored before providers).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub provider: String,
    pub client_id: String,
    pub buyer_reference: String,
    pub lines: Vec<PlacedLine>,
}

impl From<&Placed> for PlacedOrder {
    fn from(placed: &Placed) -> Self {
        let t = &placed.trajectory;
        PlacedOrder {
            id: t.id.clone(),
            number: t.number.clone(),
            status: t.status.as_str().to_string(),
            municipality: t.municipality_code.clone(),
            provider: t.provider_code.clone(),
            client_id: t.client_id.clone(),
            buyer_reference: t.buyer_reference.clone(),
            lines: placed
                .lines
                .iter()
                .map(|l| PlacedLine {
                    id: l.id.clone(),
                    product_code: l.product_code.clone(),
                    unit_price: Money::from_cents(l.unit_price_cents).to_string(),
                    committed: Money::from_cents(l.committed_cents).to_string(),
                    status: l.status.as_str().to_string(),
                })
                .collect(),
        }
    }
}

/// The outcome of an order: placed now, or the answer an earlier request with the same
/// `Idempotency-Key` got (nothing changed this time).
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    New(PlacedOrder),
    Replayed(PlacedOrder),
}

impl Placement {
    pub fn order(&self) -> &PlacedOrder {
        match self {
            Placement::New(o) | Placement::Replayed(o) => o,
        }
    }

    pub fn into_order(self) -> PlacedOrder {
        match self {
            Placement::New(o) | Placement::Replayed(o) => o,
        }
    }
}

/// The stored answer as JSON: keys in sorted order, as it has always been stored; one
/// order as an object (the API), a cart as an array of them (the web).
fn stored_body(split: Split, orders: &[PlacedOrder]) -> AppResult<String> {
    let value = match (split, orders) {
        (Split::OneProvider, [order]) => serde_json::to_value(order),
        _ => serde_json::to_value(orders),
    };
    value
        .map(|v| v.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

fn from_stored(split: Split, stored: StoredResponse) -> AppResult<Vec<PlacedOrder>> {
    let parsed = match split {
        Split::OneProvider => serde_json::from_str(&stored.body).map(|o| vec![o]),
        Split::PerProvider => serde_json::from_str(&stored.body),
    };
    parsed.map_err(|e| AppError::Internal(e.to_string()))
}

/// How the lines of an order that come from several providers are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// One trajectory: lines of two providers are refused (the API).
    OneProvider,
    /// One trajectory per provider, all in one transaction (the web cart).
    PerProvider,
}

/// Places an order (see `place_once`): one trajectory, all its lines one provider's. Two
/// identical requests at once on PostgreSQL: the loser's insert of the key fails; it gets
/// the winner's answer.
pub async fn place_order(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    order: OrderInput,
    idempotency: Option<Idempotency>,
) -> AppResult<Placement> {
    let (mut orders, replayed) = place_split(
        db,
        config,
        principal,
        order,
        idempotency,
        Split::OneProvider,
    )
    .await?;
    let order = orders
        .pop()
        .ok_or_else(|| AppError::Internal("een bestelling zonder traject".into()))?;
    Ok(if replayed {
        Placement::Replayed(order)
    } else {
        Placement::New(order)
    })
}

/// A placed cart: one order per provider, in the order the providers first appear in the
/// cart.
#[derive(Debug, Clone, PartialEq)]
pub struct CartPlacement {
    pub orders: Vec<PlacedOrder>,
    /// The answer an earlier request with the same key got (nothing changed this time).
    pub replayed: bool,
}

/// Places a cart that may hold several providers' products: one trajectory per provider,
/// each announced to that provider's intake mailbox, all in one transaction (a failure in
/// any part places nothing).
pub async fn place_cart(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    order: OrderInput,
    idempotency: Option<Idempotency>,
) -> AppResult<CartPlacement> {
    let (orders, replayed) = place_split(
        db,
        config,
        principal,
        order,
        idempotency,
        Split::PerProvider,
    )
    .await?;
    Ok(CartPlacement { orders, replayed })
}

async fn place_split(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    order: OrderInput,
    idempotency: Option<Idempotency>,
    split: Split,
) -> AppResult<(Vec<PlacedOrder>, bool)> {
    match place_once(db, config, principal, order, idempotency.as_ref(), split).await {
        Err(AppError::Database(e)) => {
            let Some(idem) = &idempotency else {
                return Err(AppError::Database(e));
            };
            match store::idempotency::lookup(db, &principal.user_id, &idem.key, &idem.request_hash)
                .await?
            {
                Some(stored) => Ok((from_stored(split, stored)?, true)),
                None => Err(AppError::Database(e)),
            }
        }
        other => other,
    }
}

/// "A", "A en B", "A, B en C".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} en {last}", rest.join(", ")),
    }
}

/// The priced lines by provider (the provider of the contract each is priced under), in
/// the order the providers first appear; a 422 for lines of two providers in one order
/// (`OneProvider`) and for a suspended provider's lines.
fn by_provider(
    resolved: Vec<PricedLine>,
    providers: &HashMap<String, crate::entities::provider::Model>,
    split: Split,
) -> AppResult<Vec<(String, Vec<PricedLine>)>> {
    let mut groups: Vec<(String, Vec<PricedLine>)> = Vec::new();
    for line in resolved {
        let provider = line.2.contract.provider_code.clone();
        match groups.iter_mut().find(|(p, _)| *p == provider) {
            Some((_, lines)) => lines.push(line),
            None => groups.push((provider, vec![line])),
        }
    }
    if split == Split::OneProvider && groups.len() > 1 {
        let codes: Vec<String> = groups.iter().map(|(p, _)| p.clone()).collect();
        return Err(AppError::field(
            "lines",
            format!(
                "één bestelling gaat naar één aanbieder: {} zitten in dezelfde bestelling; bestel per aanbieder apart",
                and_list(&codes)
            ),
        ));
    }
    let mut errors = Vec::new();
    for (code, lines) in &groups {
        let suspended = providers
            .get(code)
            .is_none_or(|p| p.status == crate::domain::provider::ProviderStatus::Suspended);
        if suspended {
            let name = providers
                .get(code)
                .map_or(code.as_str(), |p| p.name.as_str());
            for (i, line, _) in lines {
                errors.push(FieldError::new(
                    format!("lines[{i}].product_code"),
                    format!(
                        "{}: aanbieder {name} ({code}) is geschorst en neemt geen nieuwe bestellingen aan",
                        line.product_code
                    ),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors));
    }
    Ok(groups)
}

/// Places an order in one transaction: every line contracted on its start date (price
/// locked from the contract of the product's provider), one trajectory per provider
/// (`split`), volume caps and the budget ceiling of each contract respected counting all
/// that is already committed, each provider's intake mailbox told, the change audited,
/// and the answer stored under the idempotency key.
async fn place_once(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    order: OrderInput,
    idempotency: Option<&Idempotency>,
    split: Split,
) -> AppResult<(Vec<PlacedOrder>, bool)> {
    let (municipality, buyer_reference) = check_order_shape(principal, &order)?;
    let early = read_before_turn(db, principal, &municipality, &order).await?;

    let txn = store::db::begin_write(db).await?;
    if let Some(answer) = earlier_answer(&txn, principal, idempotency, split).await? {
        return Ok((answer, true));
    }
    let resolutions = if store::catalogue::generation(&txn).await? == early.generation {
        early.resolutions
    } else {
        resolve_lines(&txn, &municipality, &order.lines).await?
    };
    let resolved = priced_lines(&order.lines, resolutions)?;
    // Only the providers of this order, read in the turn (one may have been suspended since
    // the prices were resolved); the whole marketplace is not read with the lock held.
    let codes: Vec<String> = resolved
        .iter()
        .map(|(_, _, r)| r.contract.provider_code.clone())
        .collect();
    let providers: HashMap<String, crate::entities::provider::Model> =
        store::providers::with_codes(&txn, &codes)
            .await?
            .into_iter()
            .map(|p| (p.code.clone(), p))
            .collect();
    let mut answers = Vec::new();
    for (provider, resolved) in by_provider(resolved, &providers, split)? {
        let contract_id = one_contract(&resolved)?;
        // The contract as it is once its row is taken: orders against it queue up here.
        let contract = store::contracts::lock(&txn, principal, &contract_id).await?;
        let planned = planned_lines(&resolved, contract.valid_to)?;
        check_caps_and_ceiling(&txn, &contract, &planned).await?;

        let placed = insert_trajectory(
            &txn,
            principal,
            NewTrajectory {
                municipality: &municipality,
                client_id: &early.client_id,
                contract_id: &contract.id,
                provider: &contract.provider_code,
                buyer_reference: buyer_reference.clone(),
            },
            &planned,
            &config.clock,
        )
        .await?;
        // The names the intake e-mail shows, as resolved for this order.
        let names = MailNames {
            municipality: early.municipality_name.clone(),
            products: planned
                .iter()
                .map(|(_, line, _, product, _)| {
                    (line.product_code.clone(), product.spec.name.clone())
                })
                .collect(),
        };
        let intake = providers
            .get(&provider)
            .map_or(config.intake_email.as_str(), |p| p.intake_email.as_str());
        audit_and_tell_intake(&txn, config, principal, &placed, &names, intake).await?;
        answers.push(PlacedOrder::from(&placed));
    }
    remember_answer(&txn, principal, idempotency, split, &answers).await?;
    txn.commit().await?;
    Ok((answers, false))
}

/// A line of an order with its contract line and price.
type PricedLine = (usize, OrderLineInput, store::contracts::Resolved);

/// A priced line with its product and what it commits.
type PlannedLine = (
    usize,
    OrderLineInput,
    store::contracts::Resolved,
    store::catalogue::StoredProduct,
    Commitment,
);

/// The casemanager's municipality and the trimmed reference, when the order's shape is
/// acceptable: a reference of at most 100 characters, 1 to 20 lines.
fn check_order_shape(principal: &Principal, order: &OrderInput) -> AppResult<(String, String)> {
    let municipality = principal.municipality.clone().ok_or_else(|| {
        AppError::Forbidden("alleen een casemanager van een gemeente bestelt".into())
    })?;
    let buyer_reference = order.buyer_reference.trim().to_string();
    if buyer_reference.chars().count() > 100 {
        return Err(AppError::field(
            "buyer_reference",
            "de referentie is hoogstens 100 tekens",
        ));
    }
    if order.lines.is_empty() {
        return Err(AppError::field("lines", "kies minstens één product"));
    }
    if order.lines.len() > 20 {
        return Err(AppError::field(
            "lines",
            "hoogstens 20 producten per traject",
        ));
    }
    Ok((municipality, buyer_reference))
}

/// What an order reads before its write turn.
struct EarlyReads {
    generation: i64,
    resolutions: Vec<Result<store::contracts::Resolved, NotOrderable>>,
    client_id: String,
    municipality_name: String,
}

/// Prices are resolved before the write turn, so that the turn (one writer at a time on
/// SQLite) holds only the checks that need it and the writes. The catalogue generation,
/// read first, is bumped in the same transaction as any change to products, prices or
/// contracts: when it moved meanwhile, they are resolved again inside the transaction.
async fn read_before_turn(
    db: &DatabaseConnection,
    principal: &Principal,
    municipality: &str,
    order: &OrderInput,
) -> AppResult<EarlyReads> {
    let generation = store::catalogue::generation(db).await?;
    let resolutions = resolve_lines(db, municipality, &order.lines).await?;
    // Clients are never removed nor moved to another municipality, so this check holds
    // inside the turn too (and the trajectory's foreign key would refuse a missing one).
    let client = store::clients::get(db, principal, &order.client_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound => AppError::field("client_id", "onbekende klant van uw gemeente"),
            other => other,
        })?;
    let municipality_name = store::municipalities::get(db, municipality)
        .await?
        .map(|m| m.name)
        .unwrap_or_else(|| municipality.to_string());
    Ok(EarlyReads {
        generation,
        resolutions,
        client_id: client.id,
        municipality_name,
    })
}

/// The answer stored under this key by an earlier request, if any.
async fn earlier_answer(
    txn: &DatabaseTransaction,
    principal: &Principal,
    idempotency: Option<&Idempotency>,
    split: Split,
) -> AppResult<Option<Vec<PlacedOrder>>> {
    let Some(idem) = idempotency else {
        return Ok(None);
    };
    store::idempotency::lookup(txn, &principal.user_id, &idem.key, &idem.request_hash)
        .await?
        .map(|stored| from_stored(split, stored))
        .transpose()
}

/// A 422 naming every field in `errors`, its detail all their messages.
fn refuse(errors: Vec<FieldError>) -> AppError {
    AppError::validation(
        errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        errors,
    )
}

/// Every line's price from the contract, or a 422 naming each line that cannot be ordered.
fn priced_lines(
    lines: &[OrderLineInput],
    resolutions: Vec<Result<store::contracts::Resolved, NotOrderable>>,
) -> AppResult<Vec<PricedLine>> {
    let mut errors = Vec::new();
    let mut resolved = Vec::new();
    for (i, (line, resolution)) in lines.iter().zip(resolutions).enumerate() {
        match resolution {
            Ok(r) => resolved.push((i, line.clone(), r)),
            Err(reason) => errors.push(FieldError::new(
                format!("lines[{i}].product_code"),
                format!("{}: {}", line.product_code, reason.message()),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors));
    }
    Ok(resolved)
}

/// The one contract all lines fall under.
fn one_contract(resolved: &[PricedLine]) -> AppResult<String> {
    let contract_id = resolved
        .first()
        .map(|(_, _, r)| r.contract.id.clone())
        .ok_or_else(|| AppError::field("lines", "kies minstens één product"))?;
    if resolved
        .iter()
        .any(|(_, _, r)| r.contract.id != contract_id)
    {
        return Err(AppError::field("lines", "alle producten van één traject vallen onder hetzelfde contract; splits de bestelling per contractjaar"));
    }
    Ok(contract_id)
}

/// What each line commits, or a 422 naming each line's problem.
fn planned_lines(resolved: &[PricedLine], open_end: NaiveDate) -> AppResult<Vec<PlannedLine>> {
    let mut errors = Vec::new();
    let mut planned = Vec::new();
    for (i, line, r) in resolved {
        let product = r.product.clone();
        let ordered = OrderedLine {
            unit: product.spec.unit,
            price: r.price,
            start: line.start_date,
            end: line.end_date,
            quantity: line.quantity,
            frequency: line.frequency,
            budget: line.budget,
        };
        match commitment(&ordered, open_end) {
            Ok(c) => planned.push((*i, line.clone(), r.clone(), product, c)),
            Err(p) => errors.push(FieldError::new(
                format!("lines[{i}].{}", p.field),
                p.message,
            )),
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors));
    }
    Ok(planned)
}

/// Volume caps and the budget ceiling, counting what is already committed on the
/// contract (one decision: `domain::commitment::check_room`).
async fn check_caps_and_ceiling(
    txn: &DatabaseTransaction,
    contract: &crate::entities::contract::Model,
    planned: &[PlannedLine],
) -> AppResult<()> {
    let capped: Vec<String> = planned
        .iter()
        .filter(|(_, _, r, _, _)| r.line.volume_cap_thousandths.is_some())
        .map(|(_, _, r, _, _)| r.line.id.clone())
        .collect();
    let orders = store::contracts::orders_on_lines(txn, &capped).await?;
    let ceiling = contract.budget_ceiling_cents.map(Money::from_cents);
    let committed = match ceiling {
        Some(_) => store::contracts::budget_committed(txn, &contract.id).await?,
        None => Money::ZERO,
    };
    Ok(check_room(&Draw {
        asking: Asking::Order,
        lines: planned
            .iter()
            .map(|(i, line, r, product, c)| {
                let variant = product.spec.unit.variant();
                LineDraw {
                    position: *i,
                    product_code: line.product_code.clone(),
                    contract_line: r.line.id.clone(),
                    unit: product.spec.unit,
                    cap: r
                        .line
                        .volume_cap_thousandths
                        .map(Quantity::from_thousandths),
                    used: orders
                        .get(&r.line.id)
                        .copied()
                        .unwrap_or_default()
                        .used(variant),
                    extra: line_usage(variant, c.volume),
                }
            })
            .collect(),
        ceiling,
        committed,
        extra: planned.iter().map(|(_, _, _, _, c)| c.amount).sum(),
    })?)
}

/// Who a new trajectory is for and under which contract.
struct NewTrajectory<'a> {
    municipality: &'a str,
    client_id: &'a str,
    contract_id: &'a str,
    /// The contract's provider, who delivers every line.
    provider: &'a str,
    buyer_reference: String,
}

/// Inserts the trajectory, numbered in this year's sequence, and its lines as requested.
async fn insert_trajectory(
    txn: &DatabaseTransaction,
    principal: &Principal,
    new: NewTrajectory<'_>,
    planned: &[PlannedLine],
    clock: &Clock,
) -> AppResult<Placed> {
    let NewTrajectory {
        municipality,
        client_id,
        contract_id,
        provider,
        buyer_reference,
    } = new;
    let year = chrono::Datelike::year(&clock.today());
    // The order's moment from the configured clock (a demo history places orders in the past).
    let placed_at = clock.now();
    let sequence = store::counters::next(txn, &format!("trajectory-{year}")).await?;
    let trajectory = trajectory::Model {
        id: new_id(),
        number: format!("T{year}-{sequence:06}"),
        municipality_code: municipality.to_string(),
        client_id: client_id.to_string(),
        contract_id: contract_id.to_string(),
        buyer_reference,
        status: Status::Requested,
        ordered_by: principal.user_id.clone(),
        created_at: placed_at,
        planned_start: None,
        reject_reason: None,
        changed_at: None,
        updated_at: placed_at,
        provider_code: provider.to_string(),
    };
    trajectory::Entity::insert(trajectory::ActiveModel::from(trajectory.clone()))
        .exec_without_returning(txn)
        .await?;
    let lines: Vec<trajectory_line::Model> = planned
        .iter()
        .enumerate()
        .map(|(position, (_, line, r, _, c))| trajectory_line::Model {
            id: new_id(),
            trajectory_id: trajectory.id.clone(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
            product_code: line.product_code.clone(),
            contract_line_id: r.line.id.clone(),
            start_date: line.start_date,
            end_date: line.end_date,
            quantity_thousandths: line.quantity.map(|q| q.to_thousandths()),
            frequency: line.frequency,
            volume_thousandths: c.volume.map(|v| v.to_thousandths()),
            budget_cents: line.budget.map(|b| b.to_cents()),
            unit_price_cents: r.price.to_cents(),
            committed_cents: c.amount.to_cents(),
            status: Status::Requested,
            started_on: None,
            ended_on: None,
            outcome: None,
            end_reason: None,
        })
        .collect();
    // All lines in one statement: each statement in the write turn delays the next writer.
    trajectory_line::Entity::insert_many(
        lines
            .iter()
            .cloned()
            .map(trajectory_line::ActiveModel::from),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(Placed { trajectory, lines })
}

/// Audits the new trajectory and writes the intake mailbox's e-mail.
async fn audit_and_tell_intake(
    txn: &DatabaseTransaction,
    config: &Config,
    principal: &Principal,
    placed: &Placed,
    names: &MailNames,
    intake_email: &str,
) -> AppResult<()> {
    store::audit::append(
        txn,
        principal,
        "trajectory.create",
        "trajectory",
        &placed.trajectory.id,
        None,
        Some(json!({
            "number": placed.trajectory.number,
            "client_id": placed.trajectory.client_id,
            "contract_id": placed.trajectory.contract_id,
            "buyer_reference": placed.trajectory.buyer_reference,
            "lines": placed.lines.iter().map(|l| json!({
                "product_code": l.product_code, "start_date": l.start_date, "end_date": l.end_date,
                "unit_price": Money::from_cents(l.unit_price_cents).to_string(),
                "committed": Money::from_cents(l.committed_cents).to_string(),
            })).collect::<Vec<_>>(),
        })),
    )
    .await?;
    notify(
        txn,
        config,
        TrajectoryNews::New,
        intake_email,
        &placed.trajectory,
        &placed.lines,
        None,
        "/wsd/trajecten",
        Some(names),
    )
    .await
}

/// Stores the answer under the idempotency key, in the order's transaction.
async fn remember_answer(
    txn: &DatabaseTransaction,
    principal: &Principal,
    idempotency: Option<&Idempotency>,
    split: Split,
    answers: &[PlacedOrder],
) -> AppResult<()> {
    let Some(idem) = idempotency else {
        return Ok(());
    };
    let response = StoredResponse {
        status: 201,
        body: stored_body(split, answers)?,
    };
    store::idempotency::record(
        txn,
        &principal.user_id,
        &idem.key,
        &idem.request_hash,
        &response,
    )
    .await
}

/// Each line's price from the contract, or why it cannot be ordered.
async fn resolve_lines<C: ConnectionTrait>(
    db: &C,
    municipality: &str,
    lines: &[OrderLineInput],
) -> AppResult<Vec<Result<store::contracts::Resolved, NotOrderable>>> {
    let mut resolutions = Vec::with_capacity(lines.len());
    for line in lines {
        resolutions.push(
            store::contracts::resolve(db, municipality, &line.product_code, line.start_date)
                .await?,
        );
    }
    Ok(resolutions)
}

/// The names an e-mail about a trajectory shows besides its own fields: its
/// municipality's and its products'.
pub struct MailNames {
    municipality: String,
    products: HashMap<String, String>,
}

impl MailNames {
    /// Reads them; a name that cannot be found shows as its code.
    pub async fn read<C: ConnectionTrait>(
        db: &C,
        municipality_code: &str,
        product_codes: &[&str],
    ) -> AppResult<Self> {
        let municipality = store::municipalities::get(db, municipality_code)
            .await?
            .map(|m| m.name)
            .unwrap_or_else(|| municipality_code.to_string());
        let mut products = HashMap::new();
        for &code in product_codes {
            if let Some(name) = store::catalogue::name_of(db, code).await? {
                products.insert(code.to_string(), name);
            }
        }
        Ok(Self {
            municipality,
            products,
        })
    }
}

/// Writes the e-mail about a trajectory into the outbox, in the caller's transaction.
/// `names` are read here unless the caller read them already (an order does, before its
/// write turn).
#[allow(clippy::too_many_arguments)]
pub async fn notify<C: ConnectionTrait>(
    txn: &C,
    config: &Config,
    news: TrajectoryNews,
    to: &str,
    t: &trajectory::Model,
    lines: &[trajectory_line::Model],
    detail: Option<&str>,
    path_prefix: &str,
    names: Option<&MailNames>,
) -> AppResult<()> {
    let read;
    let names = match names {
        Some(names) => names,
        None => {
            let codes: Vec<&str> = lines.iter().map(|l| l.product_code.as_str()).collect();
            read = MailNames::read(txn, &t.municipality_code, &codes).await?;
            &read
        }
    };
    let products: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{} ({}), start {}",
                names
                    .products
                    .get(&l.product_code)
                    .unwrap_or(&l.product_code),
                l.product_code,
                format_date_nl(l.start_date)
            )
        })
        .collect();
    let facts = TrajectoryFacts {
        number: &t.number,
        municipality: &names.municipality,
        products: &products,
        detail,
        link: format!(
            "{}{path_prefix}/{}",
            config.public_url.trim_end_matches('/'),
            t.id
        ),
    };
    crate::mail::enqueue(txn, trajectory_message(news, to, &facts)).await?;
    Ok(())
}

/// The e-mail address of whoever ordered a trajectory.
pub async fn orderer_email<C: ConnectionTrait>(
    db: &C,
    t: &trajectory::Model,
) -> AppResult<Option<String>> {
    Ok(store::users::find_by_id(db, &t.ordered_by)
        .await?
        .map(|u| u.email))
}

/// Applies a transition to every line it concerns and to the trajectory; an illegal move
/// answers 409 and changes nothing.
async fn move_lines(
    txn: &DatabaseTransaction,
    t: &trajectory::Model,
    lines: &[trajectory_line::Model],
    transition: Transition,
) -> AppResult<Vec<trajectory_line::Model>> {
    let mut moved = Vec::new();
    for l in lines {
        let from = l.status;
        if from.is_final() && transition == Transition::Cancel {
            moved.push(l.clone());
            continue;
        }
        let to = from.apply(transition)?;
        let updated = trajectory_line::Model {
            status: to,
            ..l.clone()
        };
        trajectory_line::Entity::update_many()
            .col_expr(trajectory_line::Column::Status, Expr::value(to))
            .filter(trajectory_line::Column::Id.eq(l.id.clone()))
            .filter(trajectory_line::Column::Status.eq(from))
            .exec(txn)
            .await?;
        moved.push(updated);
    }
    let statuses: Vec<Status> = moved.iter().map(|l| l.status).collect();
    let status = aggregate(&statuses);
    trajectory::Entity::update_many()
        .col_expr(trajectory::Column::Status, Expr::value(status))
        .col_expr(trajectory::Column::UpdatedAt, Expr::value(now()))
        .filter(trajectory::Column::Id.eq(t.id.clone()))
        .exec(txn)
        .await?;
    Ok(moved)
}

/// Moves one line and recomputes its trajectory's status (for registrations).
pub(crate) async fn move_line(
    txn: &DatabaseTransaction,
    t: &trajectory::Model,
    line: &trajectory_line::Model,
    transition: Transition,
) -> AppResult<Status> {
    let lines = store::trajectories::lines(txn, &t.id).await?;
    let from = line.status;
    let to = from.apply(transition)?;
    let result = trajectory_line::Entity::update_many()
        .col_expr(trajectory_line::Column::Status, Expr::value(to))
        .filter(trajectory_line::Column::Id.eq(line.id.clone()))
        .filter(trajectory_line::Column::Status.eq(from))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::Conflict(
            "de regel is intussen gewijzigd; laad de pagina opnieuw".into(),
        ));
    }
    let statuses: Vec<Status> = lines
        .iter()
        .map(|l| if l.id == line.id { to } else { l.status })
        .collect();
    trajectory::Entity::update_many()
        .col_expr(
            trajectory::Column::Status,
            Expr::value(aggregate(&statuses)),
        )
        .col_expr(trajectory::Column::UpdatedAt, Expr::value(now()))
        .filter(trajectory::Column::Id.eq(t.id.clone()))
        .exec(txn)
        .await?;
    Ok(to)
}

/// The casemanager cancels an order that has not started.
pub async fn cancel(db: &DatabaseConnection, principal: &Principal, id: &str) -> AppResult<()> {
    let txn = store::db::begin_write(db).await?;
    let t = store::trajectories::get(&txn, principal, id).await?;
    let lines = store::trajectories::lines(&txn, id).await?;
    if lines.iter().any(|l| {
        matches!(
            l.status,
            Status::Started | Status::Completed | Status::Stopped
        )
    }) {
        return Err(AppError::Conflict(
            "dit traject is al gestart en kan niet meer geannuleerd worden".into(),
        ));
    }
    if lines.iter().all(|l| l.status.is_final()) {
        return Err(AppError::Conflict(format!(
            "dit traject is al {}",
            t.status.label_nl()
        )));
    }
    move_lines(&txn, &t, &lines, Transition::Cancel).await?;
    store::audit::append(
        &txn,
        principal,
        "trajectory.cancel",
        "trajectory",
        id,
        Some(json!({"status": t.status})),
        Some(json!({"status": Status::Cancelled})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// WSD accepts a requested trajectory with a planned start.
pub async fn accept(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    id: &str,
    planned_start: Option<NaiveDate>,
) -> AppResult<()> {
    let txn = store::db::begin_write(db).await?;
    let t = store::trajectories::get(&txn, principal, id).await?;
    let lines = store::trajectories::lines(&txn, id).await?;
    move_lines(&txn, &t, &lines, Transition::Accept).await?;
    trajectory::Entity::update_many()
        .col_expr(trajectory::Column::PlannedStart, Expr::value(planned_start))
        .filter(trajectory::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    store::audit::append(
        &txn,
        principal,
        "trajectory.accept",
        "trajectory",
        id,
        Some(json!({"status": t.status})),
        Some(json!({"status": Status::Accepted, "planned_start": planned_start})),
    )
    .await?;
    if let Some(to) = orderer_email(&txn, &t).await? {
        let detail = planned_start.map(|d| format!("Geplande start: {}.", format_date_nl(d)));
        notify(
            &txn,
            config,
            TrajectoryNews::Accepted,
            &to,
            &t,
            &lines,
            detail.as_deref(),
            "/trajecten",
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// WSD rejects a requested trajectory with a reason the casemanager sees.
pub async fn reject(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    id: &str,
    reason: &str,
) -> AppResult<()> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::field(
            "reason",
            "geef een reden (hoogstens 1000 tekens); de casemanager ziet die",
        ));
    }
    let txn = store::db::begin_write(db).await?;
    let t = store::trajectories::get(&txn, principal, id).await?;
    let lines = store::trajectories::lines(&txn, id).await?;
    move_lines(&txn, &t, &lines, Transition::Reject).await?;
    trajectory::Entity::update_many()
        .col_expr(trajectory::Column::RejectReason, Expr::value(reason))
        .filter(trajectory::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    store::audit::append(
        &txn,
        principal,
        "trajectory.reject",
        "trajectory",
        id,
        Some(json!({"status": t.status})),
        Some(json!({"status": Status::Rejected, "reason": reason})),
    )
    .await?;
    if let Some(to) = orderer_email(&txn, &t).await? {
        notify(
            &txn,
            config,
            TrajectoryNews::Rejected,
            &to,
            &t,
            &lines,
            Some(&format!("Reden: {reason}")),
            "/trajecten",
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// What a casemanager may change on a running order line: only more.
#[derive(Debug, Clone, Default)]
pub struct Extension {
    pub end_date: Option<NaiveDate>,
    pub quantity: Option<Quantity>,
    pub budget: Option<Money>,
}

/// Extends an accepted or running line (later end, more volume, higher budget) by the
/// same rules as ordering: counted against the contract's caps and budget ceiling under
/// the contract lock. WSD is told, and the trajectory shows up as changed in its inbox.
pub async fn extend_line(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    line_id: &str,
    extension: Extension,
) -> AppResult<trajectory_line::Model> {
    if principal.municipality.is_none() {
        return Err(AppError::Forbidden(
            "alleen de casemanager van de gemeente wijzigt een bestelling".into(),
        ));
    }
    let txn = store::db::begin_write(db).await?;
    let (t, line) = store::trajectories::line(&txn, principal, line_id).await?;
    let status = line.status;
    if !matches!(status, Status::Accepted | Status::Started) {
        return Err(AppError::Conflict(format!(
            "een {} regel kan niet meer verlengd worden",
            status.label_nl()
        )));
    }
    let mut errors = Vec::new();
    if let (Some(new), Some(old)) = (extension.end_date, line.end_date) {
        if new < old {
            errors.push(FieldError::new(
                "end_date",
                "verlengen kan alleen naar een latere einddatum",
            ));
        }
    }
    if let (Some(new), Some(old)) = (extension.quantity, line.quantity_thousandths) {
        if new.to_thousandths() < old {
            errors.push(FieldError::new(
                "quantity",
                "verlengen kan alleen met meer volume",
            ));
        }
    }
    if let (Some(new), Some(old)) = (extension.budget, line.budget_cents) {
        if new.to_cents() < old {
            errors.push(FieldError::new(
                "budget",
                "verlengen kan alleen met een hoger budget",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(
            "de wijziging is geen verlenging",
            errors,
        ));
    }
    let contract = store::contracts::lock(&txn, principal, &t.contract_id).await?;
    let product = store::catalogue::get(&txn, &line.product_code)
        .await?
        .ok_or(AppError::NotFound)?;
    let ordered = OrderedLine {
        unit: product.spec.unit,
        price: Money::from_cents(line.unit_price_cents),
        start: line.start_date,
        end: extension.end_date.or(line.end_date),
        quantity: extension
            .quantity
            .or(line.quantity_thousandths.map(Quantity::from_thousandths)),
        frequency: line.frequency,
        budget: extension
            .budget
            .or(line.budget_cents.map(Money::from_cents)),
    };
    let c =
        commitment(&ordered, contract.valid_to).map_err(|p| AppError::field(p.field, p.message))?;
    let extra_amount = Money::from_cents(c.amount.to_cents() - line.committed_cents);
    let extra_units =
        c.volume.map(|v| v.to_thousandths()).unwrap_or(0) - line.volume_thousandths.unwrap_or(0);
    let contract_line =
        crate::entities::contract_line::Entity::find_by_id(line.contract_line_id.clone())
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
    let cap = contract_line
        .volume_cap_thousandths
        .map(Quantity::from_thousandths);
    let used = match cap {
        Some(_) if extra_units > 0 => {
            store::contracts::orders_on_lines(&txn, std::slice::from_ref(&contract_line.id))
                .await?
                .remove(&contract_line.id)
                .unwrap_or_default()
                .used(product.spec.unit.variant())
        }
        _ => Quantity::ZERO,
    };
    let ceiling = contract.budget_ceiling_cents.map(Money::from_cents);
    let committed = match ceiling {
        Some(_) if !extra_amount.is_negative() => {
            store::contracts::budget_committed(&txn, &contract.id).await?
        }
        _ => Money::ZERO,
    };
    check_room(&Draw {
        asking: Asking::Extension,
        lines: vec![LineDraw {
            position: 0, // not named for an extension
            product_code: line.product_code.clone(),
            contract_line: contract_line.id.clone(),
            unit: product.spec.unit,
            cap,
            used,
            extra: Quantity::from_thousandths(extra_units),
        }],
        ceiling,
        committed,
        extra: extra_amount,
    })?;
    let after = trajectory_line::Model {
        end_date: ordered.end,
        quantity_thousandths: ordered.quantity.map(|q| q.to_thousandths()),
        budget_cents: ordered.budget.map(|b| b.to_cents()),
        volume_thousandths: c
            .volume
            .map(|v| v.to_thousandths())
            .or(line.volume_thousandths),
        committed_cents: c.amount.to_cents(),
        ..line.clone()
    };
    trajectory_line::Entity::update(trajectory_line::ActiveModel::from(after.clone()).reset_all())
        .exec(&txn)
        .await?;
    trajectory::Entity::update_many()
        .col_expr(trajectory::Column::ChangedAt, Expr::value(now()))
        .col_expr(trajectory::Column::UpdatedAt, Expr::value(now()))
        .filter(trajectory::Column::Id.eq(t.id.clone()))
        .exec(&txn)
        .await?;
    let view = |l: &trajectory_line::Model| json!({"end_date": l.end_date, "quantity": l.quantity_thousandths.map(|q| Quantity::from_thousandths(q).to_string()), "budget": l.budget_cents.map(|b| Money::from_cents(b).to_string()), "committed": Money::from_cents(l.committed_cents).to_string()});
    store::audit::append(
        &txn,
        principal,
        "trajectory.extend",
        "trajectory_line",
        &line.id,
        Some(view(&line)),
        Some(view(&after)),
    )
    .await?;
    // The provider's intake mailbox, as for a new trajectory.
    let intake = store::providers::get(&txn, &t.provider_code)
        .await?
        .map_or_else(|| config.intake_email.clone(), |p| p.intake_email);
    notify(
        &txn,
        config,
        TrajectoryNews::Changed,
        &intake,
        &t,
        std::slice::from_ref(&after),
        Some("Een regel is verlengd."),
        "/wsd/trajecten",
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// WSD has seen a change.
pub async fn acknowledge_change(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<()> {
    let txn = store::db::begin_write(db).await?;
    let t = store::trajectories::get(&txn, principal, id).await?;
    trajectory::Entity::update_many()
        .col_expr(
            trajectory::Column::ChangedAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .filter(trajectory::Column::Id.eq(t.id.clone()))
        .exec(&txn)
        .await?;
    store::audit::append(
        &txn,
        principal,
        "trajectory.change_seen",
        "trajectory",
        id,
        None,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
