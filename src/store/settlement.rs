//! What settlement reads and writes: the contracts that settle otherwise than on product
//! price, what is billed under a contract per line kind, and the budget ledger.
//!
//! The callers are the invoice run (for one provider's municipality) and the contract view
//! (for contracts the principal has already been allowed to read, see `store::contracts`).

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    Statement,
};

use crate::domain::contract::ContractStatus;
use crate::domain::money::Money;
use crate::domain::settlement::{LedgerKind, LineKind, SettlementForm};
use crate::entities::{budget_ledger, contract};
use crate::error::AppResult;
use crate::store::db::placeholder;

/// A provider's contracts with a municipality that settle on a volume guarantee or a
/// budget and have begun by `upto` (drafts never settle).
pub async fn contracts_of<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    municipality: &str,
    upto: NaiveDate,
) -> AppResult<Vec<contract::Model>> {
    Ok(contract::Entity::find()
        .filter(contract::Column::ProviderCode.eq(provider))
        .filter(contract::Column::MunicipalityCode.eq(municipality))
        .filter(contract::Column::Settlement.ne(SettlementForm::ProductPrice))
        .filter(contract::Column::Status.ne(ContractStatus::Draft))
        .filter(contract::Column::ValidFrom.lte(upto))
        .order_by_asc(contract::Column::ValidFrom)
        .all(db)
        .await?)
}

/// Net billed under each contract per line kind: invoice lines count up, credit-note lines
/// down. `final_only` leaves drafts out (what the municipality has been sent); the run
/// counts drafts too, since their lines hold their claims.
pub async fn billed_by_kind<C: ConnectionTrait>(
    db: &C,
    contract_ids: &[String],
    final_only: bool,
) -> AppResult<HashMap<(String, LineKind), Money>> {
    let mut out = HashMap::new();
    if contract_ids.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let marks: Vec<String> = (1..=contract_ids.len()).map(|i| format!("${i}")).collect();
    let draft = if final_only {
        " AND i.status <> 'draft'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT l.contract_id AS contract_id, l.kind AS kind, \
         CAST(COALESCE(SUM(CASE WHEN i.kind = 'credit_note' THEN -l.net_cents ELSE l.net_cents END), 0) AS BIGINT) AS net \
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
         WHERE l.contract_id IN ({}){draft} GROUP BY l.contract_id, l.kind",
        marks.join(", ")
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholder(backend, &sql),
            contract_ids.iter().map(|c| c.clone().into()),
        ))
        .await?;
    for r in rows {
        let kind: String = r.try_get("", "kind")?;
        let kind = match kind.as_str() {
            "true_up" => LineKind::TrueUp,
            "advance" => LineKind::Advance,
            "reconciliation" => LineKind::Reconciliation,
            _ => LineKind::Delivery,
        };
        let net: i64 = r.try_get::<i64>("", "net")?;
        *out.entry((r.try_get::<String>("", "contract_id")?, kind))
            .or_insert(Money::ZERO) += Money::from_cents(net);
    }
    Ok(out)
}

/// The invoice that carries the latest line of `kind` under a contract (by period, then
/// creation): what a credit note on that settlement cites.
pub async fn latest_invoice_with<C: ConnectionTrait>(
    db: &C,
    contract_id: &str,
    kind: LineKind,
) -> AppResult<Option<String>> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "SELECT i.id AS id FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
                 WHERE l.contract_id = $1 AND l.kind = $2 AND i.kind = 'invoice' \
                 ORDER BY i.period DESC, i.created_at DESC LIMIT 1",
            ),
            [contract_id.into(), kind.as_str().into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("", "id")?),
        None => None,
    })
}

/// Which of these billable keys hold a live claim.
pub async fn claimed<C: ConnectionTrait>(db: &C, keys: &[String]) -> AppResult<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(crate::entities::billing_claim::Entity::find()
        .filter(crate::entities::billing_claim::Column::BillableKey.is_in(keys.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.billable_key)
        .collect())
}

/// The sum of a budget ledger per contract and entry kind.
pub async fn ledger_sums<C: ConnectionTrait>(
    db: &C,
    contract_ids: &[String],
) -> AppResult<HashMap<(String, LedgerKind), Money>> {
    let mut out = HashMap::new();
    if contract_ids.is_empty() {
        return Ok(out);
    }
    for e in budget_ledger::Entity::find()
        .filter(budget_ledger::Column::ContractId.is_in(contract_ids.to_vec()))
        .all(db)
        .await?
    {
        *out.entry((e.contract_id, e.kind)).or_insert(Money::ZERO) +=
            Money::from_cents(e.amount_cents);
    }
    Ok(out)
}

/// A contract's ledger, oldest first.
pub async fn ledger<C: ConnectionTrait>(
    db: &C,
    contract_id: &str,
) -> AppResult<Vec<budget_ledger::Model>> {
    Ok(budget_ledger::Entity::find()
        .filter(budget_ledger::Column::ContractId.eq(contract_id))
        .order_by_asc(budget_ledger::Column::CreatedAt)
        .order_by_asc(budget_ledger::Column::Id)
        .all(db)
        .await?)
}

pub async fn insert_ledger(
    txn: &DatabaseTransaction,
    entries: Vec<budget_ledger::Model>,
) -> AppResult<()> {
    for e in entries {
        budget_ledger::Entity::insert(budget_ledger::ActiveModel::from(e))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Removes the entries carried by these lines (their draft was thrown away).
pub async fn delete_ledger_of_lines(
    txn: &DatabaseTransaction,
    line_ids: &[String],
) -> AppResult<()> {
    for chunk in line_ids.chunks(500) {
        budget_ledger::Entity::delete_many()
            .filter(budget_ledger::Column::InvoiceLineId.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The entries carried by these lines.
pub async fn ledger_of_lines<C: ConnectionTrait>(
    db: &C,
    line_ids: &[String],
) -> AppResult<Vec<budget_ledger::Model>> {
    let mut out = Vec::new();
    for chunk in line_ids.chunks(500) {
        out.extend(
            budget_ledger::Entity::find()
                .filter(budget_ledger::Column::InvoiceLineId.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// A provider's active volume-guarantee contracts on a date.
pub async fn guarantees_on<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    date: NaiveDate,
) -> AppResult<Vec<contract::Model>> {
    Ok(contract::Entity::find()
        .filter(contract::Column::ProviderCode.eq(provider))
        .filter(contract::Column::Settlement.eq(SettlementForm::VolumeGuarantee))
        .filter(contract::Column::Status.eq(ContractStatus::Active))
        .filter(contract::Column::ValidFrom.lte(date))
        .filter(contract::Column::ValidTo.gte(date))
        .all(db)
        .await?)
}

/// Net delivery billed under a contract per product (credit notes deducted, drafts included).
pub async fn delivery_by_product<C: ConnectionTrait>(
    db: &C,
    contract_id: &str,
) -> AppResult<HashMap<String, Money>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "SELECT l.product_code AS product_code, \
                 CAST(COALESCE(SUM(CASE WHEN i.kind = 'credit_note' THEN -l.net_cents ELSE l.net_cents END), 0) AS BIGINT) AS net \
                 FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
                 WHERE l.contract_id = $1 AND l.kind = 'delivery' GROUP BY l.product_code",
            ),
            [contract_id.into()],
        ))
        .await?;
    let mut out = HashMap::new();
    for r in rows {
        let net: i64 = r.try_get::<i64>("", "net")?;
        out.insert(r.try_get("", "product_code")?, Money::from_cents(net));
    }
    Ok(out)
}
