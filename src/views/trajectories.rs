//! Trajectories as the casemanager, WSD staff and the API see them: a page of them with
//! their lines, registrations, deliveries, clients and products, loaded in one query per
//! table whatever the page's size.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use crate::domain::billing::Unit;
use crate::domain::money::Money;
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
use crate::domain::trajectory::{EventKind, Frequency, Outcome, Status};
use crate::error::AppResult;
use crate::store;

pub use crate::store::trajectories::Filter;

/// The client a trajectory is for, as lists show them.
#[derive(Debug, Clone)]
pub struct ClientRef {
    pub id: String,
    pub name: String,
    /// Initials only, as on invoices: "J. d. V.".
    pub masked_name: String,
    pub bsn_last4: String,
}

/// What a line shows of its product.
#[derive(Debug, Clone)]
pub struct ProductRef {
    pub name: String,
    pub unit: Unit,
    /// The product's milestones in order (outcome products).
    pub milestones: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct EventView {
    pub id: String,
    pub kind: EventKind,
    pub date: NaiveDate,
    pub milestone: Option<String>,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    pub corrects_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Who registered it (e-mail, and the token's label when through the API).
    pub created_by: String,
}

#[derive(Debug, Clone)]
pub struct DeliveryView {
    pub id: String,
    /// `YYYY-MM`
    pub period: String,
    pub quantity: Quantity,
    pub note: Option<String>,
    pub corrects_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Who registered it (e-mail, and the token's label when through the API).
    pub created_by: String,
}

#[derive(Debug, Clone)]
pub struct LineView {
    pub id: String,
    pub product_code: String,
    /// `None` when the product is no longer in the catalogue.
    pub product: Option<ProductRef>,
    pub unit_price: Money,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub quantity: Option<Quantity>,
    pub frequency: Option<Frequency>,
    pub volume: Option<Quantity>,
    pub budget: Option<Money>,
    pub committed: Money,
    pub status: Status,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub outcome: Option<Outcome>,
    pub end_reason: Option<String>,
    pub events: Vec<EventView>,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Clone)]
pub struct TrajectoryView {
    pub id: String,
    pub number: String,
    pub status: Status,
    pub municipality_code: String,
    /// `None` when the municipality is unknown.
    pub municipality_name: Option<String>,
    /// The provider who delivers every line.
    pub provider_code: String,
    pub client_id: String,
    /// `None` when the principal may not see the client.
    pub client: Option<ClientRef>,
    pub contract_id: String,
    pub buyer_reference: String,
    pub created_at: DateTime<Utc>,
    pub planned_start: Option<NaiveDate>,
    pub reject_reason: Option<String>,
    pub lines: Vec<LineView>,
}

/// One page of a list, and whether more follow.
pub struct Listed {
    pub items: Vec<TrajectoryView>,
    pub more: bool,
}

/// Up to `limit` trajectories the principal may see, by the filter's order.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: &Filter,
    limit: u64,
) -> AppResult<Listed> {
    let mut rows = store::trajectories::list(db, principal, filter, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Listed {
        items: assemble(db, principal, rows).await?,
        more,
    })
}

/// How many trajectories the principal may see match the filter (the count above a list,
/// which itself may stop at its limit).
pub async fn count<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: &Filter,
) -> AppResult<u64> {
    store::trajectories::count(db, principal, filter).await
}

/// Trajectories the casemanager changed and WSD has not yet seen, oldest change first.
pub async fn changed<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
) -> AppResult<Vec<TrajectoryView>> {
    let rows = store::trajectories::changed(db, principal).await?;
    assemble(db, principal, rows).await
}

/// One trajectory; another municipality's is not found for a casemanager.
pub async fn detail<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<TrajectoryView> {
    let t = store::trajectories::get(db, principal, id).await?;
    one(assemble(db, principal, vec![t]).await?)
}

/// The trajectory an order line belongs to.
pub async fn of_line<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    line_id: &str,
) -> AppResult<TrajectoryView> {
    let (t, _) = store::trajectories::line(db, principal, line_id).await?;
    one(assemble(db, principal, vec![t]).await?)
}

/// The id of the trajectory an order line belongs to.
pub async fn trajectory_id_of_line<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    line_id: &str,
) -> AppResult<String> {
    let (t, _) = store::trajectories::line(db, principal, line_id).await?;
    Ok(t.id)
}

/// Where the billable items of a trajectory's lines are billed now (not credited):
/// billable key (`{line}:dl:{delivery}`, `{line}:ms:{milestone}`) → the invoice's number,
/// `None` while the invoice is a draft.
pub async fn billed_items<C: ConnectionTrait>(
    db: &C,
    t: &TrajectoryView,
) -> AppResult<HashMap<String, Option<String>>> {
    let ids: Vec<String> = t.lines.iter().map(|l| l.id.clone()).collect();
    store::invoices::billed_items_of_lines(db, &ids).await
}

fn one(mut views: Vec<TrajectoryView>) -> AppResult<TrajectoryView> {
    views.pop().ok_or(crate::error::AppError::NotFound)
}

/// Builds the views of these trajectories: every related table read once for all of them.
async fn assemble<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    rows: Vec<crate::entities::trajectory::Model>,
) -> AppResult<Vec<TrajectoryView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|t| t.id.clone()).collect();
    let lines = store::trajectories::lines_of(db, &ids).await?;
    let line_ids: Vec<String> = lines.iter().map(|l| l.id.clone()).collect();
    let mut events = group(store::trajectories::events_of(db, &line_ids).await?, |e| {
        e.trajectory_line_id.clone()
    });
    let mut deliveries = group(
        store::trajectories::deliveries_of(db, &line_ids).await?,
        |d| d.trajectory_line_id.clone(),
    );
    let products = products(db, &lines).await?;
    let clients = clients(db, principal, &rows).await?;
    let municipalities: HashMap<String, String> = store::municipalities::list(db)
        .await?
        .into_iter()
        .map(|m| (m.code, m.name))
        .collect();

    let mut lines_by_trajectory: HashMap<String, Vec<LineView>> = HashMap::new();
    for l in lines {
        let view = LineView {
            product: products.get(&l.product_code).cloned(),
            unit_price: Money::from_cents(l.unit_price_cents),
            start_date: l.start_date,
            end_date: l.end_date,
            quantity: l.quantity_thousandths.map(Quantity::from_thousandths),
            frequency: l.frequency,
            volume: l.volume_thousandths.map(Quantity::from_thousandths),
            budget: l.budget_cents.map(Money::from_cents),
            committed: Money::from_cents(l.committed_cents),
            started_on: l.started_on,
            ended_on: l.ended_on,
            outcome: l.outcome,
            end_reason: l.end_reason,
            events: events
                .remove(&l.id)
                .unwrap_or_default()
                .into_iter()
                .map(|e| EventView {
                    id: e.id,
                    kind: e.kind,
                    date: e.date,
                    milestone: e.milestone,
                    outcome: e.outcome,
                    note: e.note,
                    corrects_id: e.corrects_id,
                    created_at: e.created_at,
                    created_by: e.created_by,
                })
                .collect(),
            deliveries: deliveries
                .remove(&l.id)
                .unwrap_or_default()
                .into_iter()
                .map(|d| DeliveryView {
                    id: d.id,
                    period: d.period,
                    quantity: Quantity::from_thousandths(d.quantity_thousandths),
                    note: d.note,
                    corrects_id: d.corrects_id,
                    created_at: d.created_at,
                    created_by: d.created_by,
                })
                .collect(),
            id: l.id,
            product_code: l.product_code,
            status: l.status,
        };
        lines_by_trajectory
            .entry(l.trajectory_id)
            .or_default()
            .push(view);
    }
    Ok(rows
        .into_iter()
        .map(|t| TrajectoryView {
            lines: lines_by_trajectory.remove(&t.id).unwrap_or_default(),
            municipality_name: municipalities.get(&t.municipality_code).cloned(),
            client: clients.get(&t.client_id).cloned(),
            id: t.id,
            number: t.number,
            status: t.status,
            municipality_code: t.municipality_code,
            provider_code: t.provider_code,
            client_id: t.client_id,
            contract_id: t.contract_id,
            buyer_reference: t.buyer_reference,
            created_at: t.created_at,
            planned_start: t.planned_start,
            reject_reason: t.reject_reason,
        })
        .collect())
}

/// Rows grouped by a key, each group in the rows' order.
fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> String) -> HashMap<String, Vec<T>> {
    let mut groups: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

/// The products the lines name, by code.
async fn products<C: ConnectionTrait>(
    db: &C,
    lines: &[crate::entities::trajectory_line::Model],
) -> AppResult<HashMap<String, ProductRef>> {
    let codes: Vec<String> = lines
        .iter()
        .map(|l| l.product_code.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut milestones = group(store::trajectories::milestones_of(db, &codes).await?, |m| {
        m.product_code.clone()
    });
    Ok(store::trajectories::products_of(db, &codes)
        .await?
        .into_iter()
        .map(|p| {
            let unit = p.unit;
            let milestones = milestones
                .remove(&p.code)
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.name)
                .collect();
            (
                p.code,
                ProductRef {
                    name: p.name,
                    unit,
                    milestones,
                },
            )
        })
        .collect())
}

/// The clients of these trajectories that the principal may see, by id.
async fn clients<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    rows: &[crate::entities::trajectory::Model],
) -> AppResult<HashMap<String, ClientRef>> {
    let ids: Vec<String> = rows
        .iter()
        .map(|t| t.client_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    Ok(store::clients::by_ids(db, principal, &ids)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id.clone(),
                ClientRef {
                    masked_name: store::clients::masked_name(&c.name),
                    id: c.id,
                    name: c.name,
                    bsn_last4: c.bsn_last4,
                },
            )
        })
        .collect())
}
