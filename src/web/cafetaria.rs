//! The casemanager's cafetaria: the offers of every contracted provider side by side, at
//! the agreed price, with how each has gone so far; and the order form that turns one or
//! more of them into a trajectory per provider for a client.

use std::collections::BTreeMap;

use askama::Template;
use chrono::NaiveDate;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{content::RawHtml, Redirect};
use rocket::{Route, State};
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::format::{date, euro};
use super::{field_id, render, Errors, Layout};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::{Casemanager, Principal};
use crate::config::Config;
use crate::crypto::secret::random_token;
use crate::domain::billing::{Unit, Variant};
use crate::domain::bsn::mask_last4;
use crate::domain::catalogue::DOMAINS;
use crate::domain::clock::Clock;
use crate::domain::offers::{Indicators, Sort};
use crate::domain::period::parse_date;
use crate::domain::trajectory::Frequency;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::ordering::{self, Idempotency, OrderDraft, OrderLineDraft};
use crate::views::catalogue_cache::CatalogueCache;
use crate::views::contracts::covering;
use crate::views::offers::{self as offer_views, OfferFilter};
use crate::views::products as product_queries;

/// "per uur", "per dagdeel", …
pub fn per_unit(unit: Unit) -> String {
    format!("per {}", unit.as_str())
}

/// The requested client if it is one of the principal's own, else nothing.
async fn own_client(
    db: &DatabaseConnection,
    who: &crate::auth::Principal,
    client: Option<String>,
) -> AppResult<String> {
    match client.filter(|c| !c.is_empty()) {
        Some(id) => match crate::views::clients::get(db, who, &id).await {
            Ok(c) => Ok(c.id),
            Err(crate::error::AppError::NotFound) => Ok(String::new()),
            Err(e) => Err(e),
        },
        None => Ok(String::new()),
    }
}

/// The clients of the casemanager's municipality for a select: id and "name (*****1234)".
async fn client_options(
    db: &DatabaseConnection,
    who: &Principal,
) -> AppResult<Vec<(String, String)>> {
    Ok(crate::views::clients::list(db, who)
        .await?
        .into_iter()
        .map(|c| (c.id, format!("{} ({})", c.name, mask_last4(&c.bsn_last4))))
        .collect())
}

/// The budget of the contract covering a date, for the top of the pages.
pub struct BudgetView {
    pub contract_id: String,
    pub name: String,
    pub period: String,
    pub remaining: String,
    pub has_ceiling: bool,
}

async fn budget_on(
    db: &DatabaseConnection,
    who: &Principal,
    on: NaiveDate,
    today: NaiveDate,
) -> AppResult<Option<BudgetView>> {
    let municipality = who.municipality.clone().unwrap_or_default();
    let Some(c) = covering(db, who, &municipality, on, today).await? else {
        return Ok(None);
    };
    let remaining = c.budget.remaining();
    Ok(Some(BudgetView {
        contract_id: c.id.clone(),
        name: c.name.clone(),
        period: format!("{} t/m {}", date(c.valid_from), date(c.valid_to)),
        has_ceiling: remaining.is_some(),
        remaining: remaining.map(euro).unwrap_or_else(|| "geen plafond".into()),
    }))
}

// ---- the cafetaria ----------------------------------------------------------------------

/// One offer as the page shows it.
pub struct OfferCard {
    code: String,
    name: String,
    provider: String,
    summary: String,
    goal: String,
    output: String,
    domain: String,
    target_groups: String,
    duration_weeks: u32,
    unit: String,
    price: String,
    list_price: Option<String>,
    /// (what, figure or none when too few trajectories)
    indicators: Vec<(&'static str, Option<String>)>,
}

impl OfferCard {
    /// Whether no figure can be shown at all.
    fn no_figures(&self) -> bool {
        self.indicators.iter().all(|(_, v)| v.is_none())
    }
}

/// The offers of one service type, side by side.
pub struct ServiceGroup {
    id: String,
    name: String,
    offers: Vec<OfferCard>,
}

/// The indicators in Dutch: counts, a percentage, days and weeks.
fn indicator_lines(i: &Indicators) -> Vec<(&'static str, Option<String>)> {
    let number = |d: rust_decimal::Decimal| d.normalize().to_string().replace('.', ",");
    vec![
        ("Gestart", i.started.map(|n| n.to_string())),
        ("Afgerond", i.completed.map(|n| n.to_string())),
        (
            "Doel bereikt",
            i.goal_reached_share.map(|s| {
                format!(
                    "{} %",
                    number((s * rust_decimal::Decimal::ONE_HUNDRED).round())
                )
            }),
        ),
        (
            "Wachttijd tot start (mediaan)",
            i.median_days_to_start
                .map(|d| format!("{} dagen", number(d))),
        ),
        (
            "Duur (mediaan)",
            i.median_weeks.map(|w| format!("{} weken", number(w))),
        ),
    ]
}

#[derive(Template)]
#[template(path = "cafetaria.html")]
struct CafetariaPage {
    layout: Layout,
    on_text: String,
    on_iso: String,
    is_today: bool,
    budget: Option<BudgetView>,
    domains: Vec<&'static str>,
    services: Vec<(String, String)>,
    target_groups: Vec<(String, String)>,
    sorts: Vec<(&'static str, &'static str)>,
    filter_q: String,
    filter_domain: String,
    filter_service: String,
    filter_group: String,
    filter_sort: String,
    clients: Vec<(String, String)>,
    client: String,
    count: usize,
    groups: Vec<ServiceGroup>,
    errors: Errors,
}

#[allow(clippy::too_many_arguments)]
#[rocket::get("/cafetaria?<q>&<domain>&<service>&<target_group>&<sort>&<op>&<client>")]
async fn cafetaria(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    cache: &State<CatalogueCache>,
    cm: Casemanager,
    csrf: CsrfToken,
    q: Option<String>,
    domain: Option<String>,
    service: Option<String>,
    target_group: Option<String>,
    sort: Option<String>,
    op: Option<String>,
    client: Option<String>,
) -> AppResult<(Status, RawHtml<String>)> {
    let db = db.inner();
    let mut errors = Vec::new();
    let on = match op.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(text) => parse_date(text)
            .map_err(|e| errors.push(FieldError::new("op", e.to_string())))
            .unwrap_or_else(|_| clock.today()),
        None => clock.today(),
    };
    let sort = Sort::parse(sort.as_deref().unwrap_or_default())
        .map_err(|e| errors.push(FieldError::new("sort", e)))
        .unwrap_or_default();
    let filter = OfferFilter {
        service: service.clone(),
        target_group: target_group.clone(),
        domain: domain.clone(),
        text: q.clone(),
        sort,
    };
    let group_names: Vec<(String, String)> = product_queries::target_groups(db).await?;
    let services = offer_views::services(db).await?;
    let offers = offer_views::offers(db, cache.inner(), &cm.0, None, &filter, on).await?;
    let count = offers.items.len();
    // Offers of the same service side by side; the services in their listed order, the
    // offers within each in the order asked for (neutral by default).
    let mut groups: Vec<ServiceGroup> = Vec::new();
    for offer in offers.items {
        let key = offer.service.clone().unwrap_or_default();
        let card = OfferCard {
            price: format!("{} {}", euro(offer.contract_price), per_unit(offer.unit)),
            list_price: offer
                .list_price
                .map(|p| format!("{} {}", euro(p), per_unit(offer.unit))),
            code: offer.product_code,
            target_groups: offer
                .target_groups
                .iter()
                .map(|g| {
                    group_names
                        .iter()
                        .find(|(c, _)| c == g)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_else(|| g.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
            name: offer.product_name,
            provider: offer.provider_name,
            summary: offer.summary,
            goal: offer.goal,
            output: offer.output,
            domain: offer.domain,
            duration_weeks: offer.duration_weeks,
            unit: per_unit(offer.unit),
            indicators: indicator_lines(&offer.indicators),
        };
        match groups.iter_mut().find(|g| g.id == key) {
            Some(group) => group.offers.push(card),
            None => groups.push(ServiceGroup {
                name: services
                    .iter()
                    .find(|(c, _)| *c == key)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| {
                        if key.is_empty() {
                            "Overige producten".to_string()
                        } else {
                            key.clone()
                        }
                    }),
                id: key,
                offers: vec![card],
            }),
        }
    }
    let position = |id: &str| {
        services
            .iter()
            .position(|(c, _)| c == id)
            .unwrap_or(usize::MAX)
    };
    groups.sort_by_key(|g| position(&g.id));
    let status = if errors.is_empty() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    let page = CafetariaPage {
        layout: Layout::new("Cafetaria", Some(&cm.0), &csrf.0, "/cafetaria"),
        on_text: date(on),
        on_iso: on.to_string(),
        is_today: on == clock.today(),
        budget: budget_on(db, &cm.0, on, clock.today()).await?,
        domains: DOMAINS.to_vec(),
        services,
        target_groups: group_names,
        sorts: Sort::ALL
            .iter()
            .map(|s| (s.as_str(), s.label_nl()))
            .collect(),
        filter_q: q.unwrap_or_default(),
        filter_domain: domain.unwrap_or_default(),
        filter_service: service.unwrap_or_default(),
        filter_group: target_group.unwrap_or_default(),
        filter_sort: sort.as_str().to_string(),
        clients: client_options(db, &cm.0).await?,
        // Only one of the casemanager's own clients is preselected; another id is dropped.
        client: own_client(db, &cm.0, client).await?,
        count,
        groups,
        errors: Errors(errors),
    };
    Ok((status, render(&page)))
}

// ---- the order form ---------------------------------------------------------------------

/// One product line of the order form, as typed.
#[derive(FromForm, Debug, Clone, Default)]
pub struct LineForm {
    product_code: String,
    #[field(default = String::new())]
    start_date: String,
    end_date: Option<String>,
    quantity: Option<String>,
    frequency: Option<String>,
    budget: Option<String>,
}

/// The order form, as typed. `lines[i].field` names each line's fields.
#[derive(FromForm, Debug, Clone, Default)]
pub struct OrderForm {
    #[field(default = String::new())]
    idempotency_key: String,
    #[field(default = String::new())]
    client_id: String,
    #[field(default = String::new())]
    buyer_reference: String,
    lines: BTreeMap<usize, LineForm>,
}

impl OrderForm {
    fn lines(&self) -> impl Iterator<Item = &LineForm> {
        self.lines.values()
    }

    /// The order as typed, trimmed, decimals in the API's form.
    fn draft(&self) -> OrderDraft {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        OrderDraft {
            client_id: self.client_id.trim().to_string(),
            buyer_reference: self.buyer_reference.clone(),
            lines: self
                .lines()
                .map(|l| OrderLineDraft {
                    product_code: l.product_code.trim().to_string(),
                    start_date: l.start_date.trim().to_string(),
                    end_date: text(&l.end_date),
                    quantity: text(&l.quantity),
                    frequency: text(&l.frequency),
                    budget: text(&l.budget),
                })
                .collect(),
        }
    }

    /// What the idempotency hash covers: every submitted field but the key itself.
    fn canonical(&self) -> String {
        let r = self.draft();
        json!({
            "client_id": r.client_id,
            "buyer_reference": r.buyer_reference,
            "lines": r.lines.iter().map(|l| json!({
                "product_code": l.product_code,
                "start_date": l.start_date,
                "end_date": l.end_date,
                "quantity": l.quantity,
                "frequency": l.frequency,
                "budget": l.budget,
            })).collect::<Vec<_>>(),
        })
        .to_string()
    }
}

fn new_key() -> String {
    format!("web-{}", random_token())
}

pub struct LineView {
    index: usize,
    code: String,
    name: String,
    unit_word: String,
    price: String,
    effort: bool,
    start_date: String,
    end_date: String,
    quantity: String,
    frequency: String,
    budget: String,
    errors: Errors,
}

impl LineView {
    /// The message for one of this line's fields.
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field)
    }

    /// The HTML id of one of this line's fields.
    fn id(&self, field: &str) -> String {
        format!("lines-{}-{field}", self.index)
    }
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    layout: Layout,
    key: String,
    clients: Vec<(String, String)>,
    client_id: String,
    buyer_reference: String,
    lines: Vec<LineView>,
    frequencies: Vec<(&'static str, &'static str)>,
    errors: Errors,
    summary: Vec<(String, String)>,
    budget: Option<BudgetView>,
}

/// Splits `lines[3].quantity` into (3, "quantity").
fn line_field(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("lines[")?;
    let (index, name) = rest.split_once("].")?;
    Some((index.parse().ok()?, name))
}

async fn order_page(
    db: &DatabaseConnection,
    clock: &Clock,
    cm: &Casemanager,
    csrf: &CsrfToken,
    form: &OrderForm,
    errors: Vec<FieldError>,
) -> AppResult<RawHtml<String>> {
    // Errors arrive per position in the submitted order; positions follow the form's lines.
    let positions: Vec<usize> = form.lines.keys().copied().collect();
    let mut lines = Vec::new();
    for (position, (index, l)) in form.lines.iter().enumerate() {
        let on = parse_date(&l.start_date).unwrap_or_else(|_| clock.today());
        let found = match product_queries::get(db, &cm.0, l.product_code.trim(), on).await {
            Ok(found) => Some(found),
            Err(AppError::NotFound) => None,
            Err(other) => return Err(other),
        };
        let line_errors = errors
            .iter()
            .filter_map(|e| {
                let (i, name) = line_field(&e.field)?;
                (i == position).then(|| FieldError::new(name, e.message.clone()))
            })
            .collect();
        let (name, unit, effort, price) = match &found {
            Some((stored, price)) => (
                stored.spec.name.clone(),
                Some(stored.spec.unit),
                stored.spec.unit.variant() == Variant::Inspanning,
                match price {
                    Some(p) => format!("{} {}", euro(*p), per_unit(stored.spec.unit)),
                    None => format!(
                        "niet gecontracteerd op {}; kies een andere startdatum",
                        date(on)
                    ),
                },
            ),
            None => (
                l.product_code.clone(),
                None,
                false,
                "niet in het contract van uw gemeente".to_string(),
            ),
        };
        lines.push(LineView {
            index: *index,
            code: l.product_code.clone(),
            name,
            unit_word: unit.map(|u| u.as_str().to_string()).unwrap_or_default(),
            price,
            effort,
            start_date: l.start_date.clone(),
            end_date: l.end_date.clone().unwrap_or_default(),
            quantity: l.quantity.clone().unwrap_or_default(),
            frequency: l.frequency.clone().unwrap_or_default(),
            budget: l.budget.clone().unwrap_or_default(),
            errors: Errors(line_errors),
        });
    }
    // The summary at the top links to each field that needs attention.
    // Each line's message names its product, so that it reads well on its own.
    let summary = errors
        .iter()
        .map(|e| match line_field(&e.field) {
            Some((i, name)) => {
                let index = positions.get(i).copied().unwrap_or(i);
                let product = lines
                    .iter()
                    .find(|l| l.index == index)
                    .map(|l| l.name.as_str());
                match (name, product) {
                    ("product_code", _) => (format!("lines-{index}"), e.message.clone()),
                    (other, Some(product)) => (
                        format!("lines-{index}-{other}"),
                        format!("{product}: {}", e.message),
                    ),
                    (other, None) => (format!("lines-{index}-{other}"), e.message.clone()),
                }
            }
            None => {
                let anchor = match e.field.as_str() {
                    "client_id" | "buyer_reference" => e.field.clone(),
                    "lines" => "producten".into(),
                    other => field_id(other),
                };
                (anchor, e.message.clone())
            }
        })
        .collect();
    let first_start = form
        .lines()
        .filter_map(|l| parse_date(&l.start_date).ok())
        .min()
        .unwrap_or_else(|| clock.today());
    let page = OrderPage {
        layout: Layout::new("Traject bestellen", Some(&cm.0), &csrf.0, "/cafetaria"),
        key: form.idempotency_key.clone(),
        clients: client_options(db, &cm.0).await?,
        client_id: form.client_id.clone(),
        buyer_reference: form.buyer_reference.clone(),
        lines,
        frequencies: [Frequency::Week, Frequency::Month, Frequency::Total]
            .iter()
            .map(|f| (f.as_str(), f.label_nl()))
            .collect(),
        errors: Errors(errors),
        summary,
        budget: budget_on(db, &cm.0, first_start, clock.today()).await?,
    };
    Ok(render(&page))
}

#[rocket::get("/bestellen?<client>&<product>&<op>")]
async fn order_form(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    cm: Casemanager,
    csrf: CsrfToken,
    client: Option<String>,
    product: Vec<String>,
    op: Option<String>,
) -> AppResult<RawHtml<String>> {
    let start = op
        .as_deref()
        .and_then(|o| parse_date(o).ok())
        .unwrap_or_else(|| clock.today());
    let mut codes: Vec<String> = Vec::new();
    for code in product {
        let code = code.trim().to_string();
        if !code.is_empty() && !codes.contains(&code) {
            codes.push(code);
        }
    }
    let mut lines = BTreeMap::new();
    for (i, code) in codes.into_iter().enumerate() {
        let effort = product_queries::product(db.inner(), &code)
            .await?
            .is_some_and(|p| p.spec.unit.variant() == Variant::Inspanning);
        lines.insert(
            i,
            LineForm {
                product_code: code,
                start_date: start.to_string(),
                frequency: effort.then(|| Frequency::Total.as_str().to_string()),
                ..Default::default()
            },
        );
    }
    let errors = if lines.is_empty() {
        vec![FieldError::new(
            "lines",
            "kies eerst in de cafetaria minstens één product",
        )]
    } else {
        Vec::new()
    };
    // A client of another municipality is not found, as everywhere.
    if let Some(id) = client.as_deref().filter(|c| !c.is_empty()) {
        crate::views::clients::get(db.inner(), &cm.0, id).await?;
    }
    let form = OrderForm {
        idempotency_key: new_key(),
        client_id: client.unwrap_or_default(),
        buyer_reference: String::new(),
        lines,
    };
    order_page(db.inner(), clock, &cm, &csrf, &form, errors).await
}

type PageResult = AppResult<Result<Redirect, (Status, RawHtml<String>)>>;

#[rocket::post("/bestellen", data = "<form>")]
async fn place(
    db: &State<DatabaseConnection>,
    clock: &State<Clock>,
    config: &State<Config>,
    cm: Casemanager,
    csrf: CsrfToken,
    form: CsrfForm<OrderForm>,
) -> PageResult {
    let mut form = form.0;
    if !Idempotency::is_valid_key(&form.idempotency_key) {
        form.idempotency_key = new_key();
    }
    let idempotency =
        Idempotency::for_request(&form.idempotency_key, "POST /bestellen", &form.canonical());
    let result = match form.draft().parse() {
        Ok(order) => {
            ordering::place_cart(db.inner(), config.inner(), &cm.0, order, Some(idempotency)).await
        }
        Err(e) => Err(e),
    };
    match result {
        // A form sent twice shows what the first one ordered: the trajectory, or the
        // list when the cart became one trajectory per provider.
        Ok(placement) => Ok(Ok(Redirect::to(match placement.orders.as_slice() {
            [one] => format!("/trajecten/{}?besteld=ja", one.id),
            _ => "/trajecten?besteld=ja".to_string(),
        }))),
        Err(AppError::Validation { mut errors, .. }) => {
            if errors.iter().any(|e| e.field == "Idempotency-Key") {
                // The form was sent before with other content: this is a new order.
                errors = vec![FieldError::new(
                    "Idempotency-Key",
                    "dit formulier is al eerder verstuurd en heeft toen een traject besteld. Bekijk uw trajecten; wilt u nog een traject bestellen, controleer dan de gegevens en verstuur het formulier opnieuw.",
                )];
                form.idempotency_key = new_key();
            }
            let page = order_page(db.inner(), clock, &cm, &csrf, &form, errors).await?;
            Ok(Err((Status::UnprocessableEntity, page)))
        }
        Err(other) => Err(other),
    }
}

pub fn routes() -> Vec<Route> {
    rocket::routes![cafetaria, order_form, place]
}
