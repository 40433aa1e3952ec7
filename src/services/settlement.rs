//! The settlement lines of an invoice run (domain::settlement): for each contract of the
//! municipality that settles on a volume guarantee or a budget, what the run bills or
//! credits besides the deliveries, and how a budget's deliveries are valued.
//!
//! Every run recomputes each target from what is billed (drafts included: their lines hold
//! their claims) and bills or credits only the difference, so late work, credit notes and
//! thrown-away drafts converge at the next run:
//! - volume guarantee, from the run of its last month on: true-up target = guarantee − net
//!   delivery billed under the contract (this run's deliveries included); the difference
//!   to the true-up billed so far goes on the invoice (more) or a credit note (less).
//! - budget: every instalment due by the run's period and not yet claimed is billed
//!   (`{contract}:adv:{n}` claims it, so an advance is billed once); deliveries are valued
//!   into the ledger instead of billed; from the last month on, with `refund_unused`, the
//!   settlement target = −(advances − delivered value + manual entries, when positive), and
//!   the difference to the settlement so far is credited (a return) or billed (a return
//!   reduced by later work).
//!
//! VAT: a true-up or an advance pays for the contract's services, so it follows their VAT
//! (Wet OB: VAT on an advance is due at the rate of the supply it pays for; the
//! re-integration services are mostly exempt). A settling contract buys products of one VAT
//! category (`services::contracts`), and its settlement lines take that category and the
//! exemption reason of its products.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::json;

use crate::domain::catalogue::ProductSpec;
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::principal::Principal;
use crate::domain::settlement::{
    instalments, reconciliation_description, settlement_target, settles, true_up_description,
    true_up_target, Arrangement, LedgerKind, LineKind,
};
use crate::domain::vat::VatCategory;
use crate::entities::{budget_ledger, contract, invoice_line};
use crate::error::AppResult;
use crate::services::contracts::arrangement_of;
use crate::store::{self, new_id, now};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

/// Where a settlement line goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// On the run's invoice for the municipality.
    Invoice,
    /// On a credit note citing this invoice; `None`: the run's own invoice (a budget's last
    /// advance and its settlement come in the same run).
    CreditNote { cites: Option<String> },
}

/// One true-up, advance or reconciliation line the run writes.
#[derive(Debug, Clone)]
pub struct SettlementLine {
    pub contract_id: String,
    /// Shown where a delivery line shows its trajectory.
    pub contract_name: String,
    pub kind: LineKind,
    /// The claim of an advance (`{contract}:adv:{n}`).
    pub key: Option<String>,
    pub description: String,
    pub service_period: Period,
    pub service_start: NaiveDate,
    pub service_end: NaiveDate,
    /// Always positive: a credit is a line on a credit note, never a negative line.
    pub amount: Money,
    pub vat_category: VatCategory,
    pub vat_exemption_reason: Option<String>,
    pub side: Side,
    /// The terms it was computed under (JSON), copied onto the line.
    pub terms: String,
}

impl SettlementLine {
    /// The budget-ledger kind of the entry this line carries, if any.
    fn ledger_kind(&self) -> Option<LedgerKind> {
        match self.kind {
            LineKind::Advance => Some(LedgerKind::Advance),
            LineKind::Reconciliation => Some(LedgerKind::Settlement),
            _ => None,
        }
    }

    /// The line's effect on a budget's balance: billed up, credited down.
    fn signed(&self) -> Money {
        match self.side {
            Side::Invoice => self.amount,
            Side::CreditNote { .. } => -self.amount,
        }
    }
}

/// A change in the delivered value of a budget contract (positive: more delivered).
#[derive(Debug, Clone)]
pub struct Valuation {
    pub contract_id: String,
    pub change: Money,
}

/// What a run does for the settling contracts of one municipality.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub lines: Vec<SettlementLine>,
    pub valuations: Vec<Valuation>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.valuations.is_empty()
    }

    pub fn on_invoice(&self) -> impl Iterator<Item = &SettlementLine> {
        self.lines.iter().filter(|l| l.side == Side::Invoice)
    }

    pub fn on_credit_notes(&self) -> impl Iterator<Item = &SettlementLine> {
        self.lines.iter().filter(|l| l.side != Side::Invoice)
    }
}

/// The VAT of a contract's settlement lines: the category its products share, with the
/// exemption reason of the first exempt one. A contract without products (it cannot be
/// active without them) is taxed at the standard rate, never silently exempt.
async fn contract_vat<C: ConnectionTrait>(
    db: &C,
    c: &contract::Model,
    catalogue: &HashMap<String, Arc<ProductSpec>>,
) -> AppResult<(VatCategory, Option<String>)> {
    let specs: Vec<&Arc<ProductSpec>> = store::contracts::lines(db, &c.id)
        .await?
        .iter()
        .filter_map(|l| catalogue.get(&l.product_code))
        .collect();
    let category = specs
        .first()
        .map(|p| p.vat_category)
        .unwrap_or(VatCategory::Standard);
    let reason = specs
        .iter()
        .filter(|p| p.vat_category == category)
        .find_map(|p| p.vat_exemption_reason.clone());
    Ok((category, reason))
}

/// The settlement of one municipality's settling contracts in the run of `period`.
/// `delivery_to_bill` is the net of this run's delivery items per contract; `valued` the
/// value of every delivery item due under each budget contract up to the period.
pub async fn plan<C: ConnectionTrait>(
    db: &C,
    period: Period,
    contracts: &[contract::Model],
    catalogue: &HashMap<String, Arc<ProductSpec>>,
    delivery_to_bill: &HashMap<String, Money>,
    valued: &HashMap<String, Money>,
) -> AppResult<Plan> {
    let mut plan = Plan::default();
    if contracts.is_empty() {
        return Ok(plan);
    }
    let ids: Vec<String> = contracts.iter().map(|c| c.id.clone()).collect();
    let billed = store::settlement::billed_by_kind(db, &ids, false).await?;
    let ledger = store::settlement::ledger_sums(db, &ids).await?;
    let billed_of = |c: &str, k: LineKind| {
        billed
            .get(&(c.to_string(), k))
            .copied()
            .unwrap_or(Money::ZERO)
    };
    let ledger_of = |c: &str, k: LedgerKind| {
        ledger
            .get(&(c.to_string(), k))
            .copied()
            .unwrap_or(Money::ZERO)
    };
    for c in contracts {
        let arrangement = arrangement_of(c)?;
        let (vat_category, vat_exemption_reason) = contract_vat(db, c, catalogue).await?;
        let terms = arrangement
            .terms_json(&c.id, c.valid_from, c.valid_to)
            .to_string();
        let last = Period::of(c.valid_to);
        let line = |kind: LineKind,
                    key: Option<String>,
                    description: String,
                    (service_start, service_end): (NaiveDate, NaiveDate),
                    amount: Money,
                    side: Side| SettlementLine {
            contract_id: c.id.clone(),
            contract_name: c.name.clone(),
            kind,
            key,
            description,
            service_period: Period::of(service_start),
            service_start,
            service_end,
            amount,
            vat_category,
            vat_exemption_reason: vat_exemption_reason.clone(),
            side,
            terms: terms.clone(),
        };
        match arrangement {
            Arrangement::ProductPrice => {}
            Arrangement::VolumeGuarantee { guaranteed } => {
                if !settles(period, c.valid_to) {
                    continue;
                }
                let delivered = billed_of(&c.id, LineKind::Delivery)
                    + delivery_to_bill.get(&c.id).copied().unwrap_or(Money::ZERO);
                let change =
                    true_up_target(guaranteed, delivered) - billed_of(&c.id, LineKind::TrueUp);
                let description = true_up_description(c.valid_from, c.valid_to);
                let span = (last.first_day().max(c.valid_from), c.valid_to);
                if change.is_negative() {
                    let cites =
                        store::settlement::latest_invoice_with(db, &c.id, LineKind::TrueUp).await?;
                    plan.lines.push(line(
                        LineKind::TrueUp,
                        None,
                        description,
                        span,
                        -change,
                        Side::CreditNote { cites },
                    ));
                } else if !change.is_zero() {
                    plan.lines.push(line(
                        LineKind::TrueUp,
                        None,
                        description,
                        span,
                        change,
                        Side::Invoice,
                    ));
                }
            }
            Arrangement::Budget {
                budget,
                schedule,
                refund_unused,
            } => {
                let due: Vec<_> = instalments(budget, schedule, c.valid_from, c.valid_to)
                    .map_err(crate::error::AppError::Conflict)?
                    .into_iter()
                    .filter(|i| i.period <= period)
                    .collect();
                let keys: Vec<String> = due.iter().map(|i| advance_key(&c.id, i.number)).collect();
                let claimed = store::settlement::claimed(db, &keys).await?;
                let mut advanced_now = Money::ZERO;
                for (i, key) in due.iter().zip(keys) {
                    if claimed.contains(&key) || i.amount.is_zero() {
                        continue;
                    }
                    advanced_now += i.amount;
                    plan.lines.push(line(
                        LineKind::Advance,
                        Some(key),
                        i.description(schedule),
                        (i.covers_from, i.covers_to),
                        i.amount,
                        Side::Invoice,
                    ));
                }
                let value_now = valued.get(&c.id).copied().unwrap_or(Money::ZERO);
                let valued_before = -ledger_of(&c.id, LedgerKind::DeliveryValued);
                if value_now != valued_before {
                    plan.valuations.push(Valuation {
                        contract_id: c.id.clone(),
                        change: value_now - valued_before,
                    });
                }
                if !(refund_unused && settles(period, c.valid_to)) {
                    continue;
                }
                let balance_before = ledger_of(&c.id, LedgerKind::Advance) + advanced_now
                    - value_now
                    + ledger_of(&c.id, LedgerKind::Manual);
                let change =
                    settlement_target(balance_before) - ledger_of(&c.id, LedgerKind::Settlement);
                let description = reconciliation_description(c.valid_from, c.valid_to);
                let span = (last.first_day().max(c.valid_from), c.valid_to);
                if change.is_negative() {
                    let cites = if advanced_now.is_zero() {
                        store::settlement::latest_invoice_with(db, &c.id, LineKind::Advance).await?
                    } else {
                        None
                    };
                    plan.lines.push(line(
                        LineKind::Reconciliation,
                        None,
                        description,
                        span,
                        -change,
                        Side::CreditNote { cites },
                    ));
                } else if !change.is_zero() {
                    plan.lines.push(line(
                        LineKind::Reconciliation,
                        None,
                        description,
                        span,
                        change,
                        Side::Invoice,
                    ));
                }
            }
        }
    }
    Ok(plan)
}

/// The claim key of a budget's instalment.
pub fn advance_key(contract_id: &str, number: u32) -> String {
    format!("{contract_id}:adv:{number}")
}

/// The invoice line of a settlement line: it bills no product and no trajectory; it names
/// its contract and carries the terms it was computed under.
pub fn invoice_line_of(
    invoice_id: &str,
    position: usize,
    l: &SettlementLine,
) -> invoice_line::Model {
    invoice_line::Model {
        id: new_id(),
        invoice_id: invoice_id.to_string(),
        position: i32::try_from(position).unwrap_or(i32::MAX),
        billable_key: l.key.clone(),
        trajectory_line_id: None,
        trajectory_id: String::new(),
        trajectory_number: l.contract_name.clone(),
        contract_id: l.contract_id.clone(),
        product_code: l.kind.document_code().to_string(),
        product_name: l.kind.document_name().to_string(),
        description: l.description.clone(),
        client_ref: String::new(),
        buyer_reference: String::new(),
        service_period: l.service_period.to_string(),
        service_start: l.service_start,
        service_end: l.service_end,
        quantity_thousandths: 1000,
        unit: crate::domain::billing::Unit::Stuk,
        unit_price_cents: l.amount.to_cents(),
        net_cents: l.amount.to_cents(),
        vat_category: l.vat_category,
        vat_rate: i32::try_from(l.vat_category.rate().mantissa()).unwrap_or(0),
        vat_exemption_reason: l.vat_exemption_reason.clone(),
        credits_line_id: None,
        kind: l.kind,
        settlement_terms: Some(l.terms.clone()),
        disposition: None,
    }
}

/// The ledger entries of a run: each budget valuation, and each advance or settlement
/// line with the id of the line that carries it.
pub async fn write_ledger(
    txn: &DatabaseTransaction,
    principal: &Principal,
    period: Period,
    plan: &Plan,
    written: &[(SettlementLine, String)],
) -> AppResult<()> {
    let entry = |contract_id: &str, kind: LedgerKind, amount: Money, line: Option<String>| {
        budget_ledger::Model {
            id: new_id(),
            contract_id: contract_id.to_string(),
            kind,
            amount_cents: amount.to_cents(),
            period: period.to_string(),
            invoice_line_id: line,
            reason: None,
            created_at: now(),
            created_by: principal.actor(),
        }
    };
    let mut entries: Vec<budget_ledger::Model> = plan
        .valuations
        .iter()
        .map(|v| entry(&v.contract_id, LedgerKind::DeliveryValued, -v.change, None))
        .collect();
    for (l, line_id) in written {
        if let Some(kind) = l.ledger_kind() {
            entries.push(entry(
                &l.contract_id,
                kind,
                l.signed(),
                Some(line_id.clone()),
            ));
        }
    }
    store::settlement::insert_ledger(txn, entries).await
}

/// A finance user credits lines by hand: the advances and settlements among them leave the
/// ledger by an opposite entry (the next run bills a credited advance again).
pub async fn on_credit(
    txn: &DatabaseTransaction,
    principal: &Principal,
    period: &str,
    credited: &[(invoice_line::Model, String)],
) -> AppResult<()> {
    let entries = credited
        .iter()
        .filter_map(|(original, credit_line)| {
            let kind = match original.kind {
                LineKind::Advance => LedgerKind::Advance,
                LineKind::Reconciliation => LedgerKind::Settlement,
                _ => return None,
            };
            Some(budget_ledger::Model {
                id: new_id(),
                contract_id: original.contract_id.clone(),
                kind,
                amount_cents: -original.net_cents,
                period: period.to_string(),
                invoice_line_id: Some(credit_line.clone()),
                reason: Some("gecrediteerd".into()),
                created_at: now(),
                created_by: principal.actor(),
            })
        })
        .collect();
    store::settlement::insert_ledger(txn, entries).await
}

/// Summaries of the plan for a preview or run answer.
pub fn summary(plan: &Plan) -> serde_json::Value {
    json!({
        "lines": plan.lines.iter().map(|l| json!({
            "contract": l.contract_id,
            "kind": l.kind,
            "description": l.description,
            "amount": l.amount.to_string(),
            "credit": l.side != Side::Invoice,
        })).collect::<Vec<_>>(),
        "valuations": plan.valuations.iter().map(|v| json!({
            "contract": v.contract_id,
            "delivered_value_change": v.change.to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// Finance books an entry by hand on a budget's ledger (an agreed correction), with its
/// reason; the next settlement counts it. Audited in the same transaction.
pub async fn add_manual_entry(
    db: &sea_orm::DatabaseConnection,
    clock: &crate::domain::clock::Clock,
    principal: &Principal,
    contract_id: &str,
    amount: Money,
    reason: &str,
) -> AppResult<budget_ledger::Model> {
    let reason = reason.trim();
    let mut errors = Vec::new();
    if amount.is_zero() {
        errors.push(crate::error::FieldError::new(
            "amount",
            "een boeking van € 0,00 verandert niets; geef een bedrag (negatief om het saldo te verlagen)",
        ));
    }
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.push(crate::error::FieldError::new(
            "reason",
            "geef de reden van de boeking (hoogstens 500 tekens)",
        ));
    }
    if !errors.is_empty() {
        return Err(crate::error::AppError::validation(
            "de boeking is niet geldig",
            errors,
        ));
    }
    let txn = store::db::begin_write(db).await?;
    let c = store::contracts::get(&txn, principal, contract_id).await?;
    if c.settlement != crate::domain::settlement::SettlementForm::Budget {
        return Err(crate::error::AppError::Conflict(format!(
            "alleen een contract met budget heeft een grootboek; dit contract rekent af op {}",
            c.settlement.label_nl()
        )));
    }
    let entry = budget_ledger::Model {
        id: new_id(),
        contract_id: c.id.clone(),
        kind: LedgerKind::Manual,
        amount_cents: amount.to_cents(),
        period: Period::of(clock.today()).to_string(),
        invoice_line_id: None,
        reason: Some(reason.to_string()),
        created_at: now(),
        created_by: principal.actor(),
    };
    store::settlement::insert_ledger(&txn, vec![entry.clone()]).await?;
    store::audit::append(
        &txn,
        principal,
        "budget_ledger.manual",
        "contract",
        &c.id,
        None,
        Some(json!({"amount": amount.to_string(), "reason": reason, "entry": entry.id})),
    )
    .await?;
    txn.commit().await?;
    Ok(entry)
}
