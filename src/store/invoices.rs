//! Invoices, scoped: finance sees its own provider's (of every municipality); a
//! casemanager sees their municipality's invoices, of every provider, once final; other
//! roles none.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};

use crate::domain::money::Money;
use crate::domain::principal::Principal;
use crate::domain::role::Role;
use crate::domain::vat::VatCategory;
use crate::entities::{billing_claim, invoice, invoice_line};
use crate::error::{AppError, AppResult};
use crate::store::db::placeholder;
use crate::store::now;

fn scoped(principal: &Principal) -> AppResult<sea_orm::Select<invoice::Entity>> {
    let query = invoice::Entity::find().filter(super::scope::owned_by(
        principal,
        Some(invoice::Column::MunicipalityCode),
        Some(invoice::Column::ProviderCode),
    ));
    match principal.role {
        Role::Finance => Ok(query),
        Role::Casemanager => Ok(query.filter(
            invoice::Column::Status.is_in(
                crate::domain::invoice::InvoiceStatus::ALL
                    .into_iter()
                    .filter(|s| s.is_final()),
            ),
        )),
        _ => Err(AppError::Forbidden(
            "facturen zijn voor financiën en casemanagers".into(),
        )),
    }
}

pub async fn get<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: &str,
) -> AppResult<invoice::Model> {
    scoped(principal)?
        .filter(invoice::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<crate::domain::invoice::InvoiceStatus>,
    pub municipality: Option<String>,
    pub period: Option<String>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// (updated_at, id) of the last row of the previous page.
    pub after: Option<(chrono::DateTime<chrono::Utc>, String)>,
}

/// Invoices in the order finance systems poll them: by last change, oldest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: &Filter,
    limit: u64,
) -> AppResult<Vec<invoice::Model>> {
    let mut query = scoped(principal)?;
    if let Some(s) = filter.status {
        query = query.filter(invoice::Column::Status.eq(s));
    }
    if let Some(m) = filter.municipality.as_ref().filter(|s| !s.is_empty()) {
        query = query.filter(invoice::Column::MunicipalityCode.eq(m.clone()));
    }
    if let Some(p) = filter.period.as_ref().filter(|s| !s.is_empty()) {
        query = query.filter(invoice::Column::Period.eq(p.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(invoice::Column::UpdatedAt.gte(since));
    }
    if let Some((at, id)) = &filter.after {
        use sea_orm::Condition;
        query = query.filter(
            Condition::any()
                .add(invoice::Column::UpdatedAt.gt(*at))
                .add(
                    Condition::all()
                        .add(invoice::Column::UpdatedAt.eq(*at))
                        .add(invoice::Column::Id.gt(id.clone())),
                ),
        );
    }
    Ok(query
        .order_by_asc(invoice::Column::UpdatedAt)
        .order_by_asc(invoice::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn lines<C: ConnectionTrait>(
    db: &C,
    invoice_id: &str,
) -> AppResult<Vec<invoice_line::Model>> {
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?)
}

/// Credit notes citing an invoice.
pub async fn credits_of<C: ConnectionTrait>(
    db: &C,
    invoice_id: &str,
) -> AppResult<Vec<invoice::Model>> {
    Ok(invoice::Entity::find()
        .filter(invoice::Column::CreditsInvoiceId.eq(invoice_id))
        .order_by_asc(invoice::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The lines of several invoices in one query, by invoice and position.
pub async fn lines_of_many<C: ConnectionTrait>(
    db: &C,
    invoice_ids: &[String],
) -> AppResult<Vec<invoice_line::Model>> {
    if invoice_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.is_in(invoice_ids.iter().cloned()))
        .order_by_asc(invoice_line::Column::InvoiceId)
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?)
}

/// Credit notes citing any of several invoices, in one query, oldest first.
pub async fn credits_of_many<C: ConnectionTrait>(
    db: &C,
    invoice_ids: &[String],
) -> AppResult<Vec<invoice::Model>> {
    if invoice_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(invoice::Entity::find()
        .filter(invoice::Column::CreditsInvoiceId.is_in(invoice_ids.iter().cloned()))
        .order_by_asc(invoice::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The lines an invoice has: how many, and their net amount per VAT category.
#[derive(Debug, Clone, Default)]
pub struct LineSums {
    pub lines: usize,
    pub net_by_vat: Vec<(VatCategory, Money)>,
}

/// Sums an invoice's lines per VAT category in the database (VAT is computed on these
/// sums, so the lines themselves need not be read).
pub async fn net_by_vat<C: ConnectionTrait>(db: &C, invoice_id: &str) -> AppResult<LineSums> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholder(
                backend,
                "SELECT vat_category, COUNT(*) AS lines, CAST(SUM(net_cents) AS BIGINT) AS net \
                 FROM invoice_lines WHERE invoice_id = $1 GROUP BY vat_category",
            ),
            [invoice_id.into()],
        ))
        .await?;
    let mut sums = LineSums::default();
    for r in rows {
        let category: String = r.try_get("", "vat_category")?;
        let lines: i64 = r.try_get("", "lines")?;
        let net: i64 = r.try_get("", "net")?;
        sums.lines += usize::try_from(lines).unwrap_or(0);
        sums.net_by_vat.push((
            VatCategory::parse(&category).map_err(|e| AppError::Internal(e.to_string()))?,
            Money::from_cents(net),
        ));
    }
    Ok(sums)
}

/// Bound values per statement: SQLite allows 32,766, PostgreSQL 65,535.
const BOUND_VALUES_PER_INSERT: usize = 30_000;
/// Columns of invoice_lines and billing_claims.
const INVOICE_LINE_COLUMNS: usize = 27;
const CLAIM_COLUMNS: usize = 3;

/// Inserts invoice lines and a billing claim for each line with a billable key, in
/// multi-row INSERTs (a round trip per thousand rows rather than per row). A claim whose
/// key is already claimed fails on the primary key, which is what makes double billing
/// impossible.
pub async fn insert_lines_with_claims(
    txn: &DatabaseTransaction,
    lines: Vec<invoice_line::Model>,
) -> AppResult<()> {
    let created_at = now();
    let claims: Vec<billing_claim::ActiveModel> = lines
        .iter()
        .filter_map(|l| {
            Some(billing_claim::ActiveModel::from(billing_claim::Model {
                billable_key: l.billable_key.clone()?,
                invoice_line_id: l.id.clone(),
                created_at,
            }))
        })
        .collect();
    let lines: Vec<invoice_line::ActiveModel> = lines
        .into_iter()
        .map(invoice_line::ActiveModel::from)
        .collect();
    insert_in_chunks(txn, lines, INVOICE_LINE_COLUMNS).await?;
    insert_in_chunks(txn, claims, CLAIM_COLUMNS).await
}

/// Multi-row INSERTs of at most `BOUND_VALUES_PER_INSERT` bound values each.
///
/// Each distinct row count is a distinct statement, and the driver keeps prepared
/// statements (up to 100 per connection, each as large as its bound values). So the rest
/// after the full chunks goes in power-of-two chunks: a run writes at most
/// 1 + log2(rows per chunk) shapes per table, instead of a new one per municipality that
/// grew the run's memory with the number of municipalities.
async fn insert_in_chunks<A>(
    txn: &DatabaseTransaction,
    mut rows: Vec<A>,
    columns: usize,
) -> AppResult<()>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let per_insert = BOUND_VALUES_PER_INSERT / columns;
    while !rows.is_empty() {
        let take = chunk_len(rows.len(), per_insert);
        let rest = rows.split_off(take);
        <A::Entity as EntityTrait>::insert_many(std::mem::replace(&mut rows, rest))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The rows the next INSERT takes out of `remaining`: a full chunk, or the largest
/// power of two that fits.
fn chunk_len(remaining: usize, per_insert: usize) -> usize {
    if remaining >= per_insert {
        per_insert
    } else {
        1 << remaining.ilog2()
    }
}

/// Where the billable items of these order lines are billed now (claimed, not credited):
/// billable key → the invoice's number, `None` while it is a draft. The caller has
/// already checked that the principal may see the lines.
pub async fn billed_items_of_lines<C: ConnectionTrait>(
    db: &C,
    line_ids: &[String],
) -> AppResult<std::collections::HashMap<String, Option<String>>> {
    let mut out = std::collections::HashMap::new();
    if line_ids.is_empty() {
        return Ok(out);
    }
    let lines = invoice_line::Entity::find()
        .filter(invoice_line::Column::TrajectoryLineId.is_in(line_ids.iter().cloned()))
        .filter(invoice_line::Column::BillableKey.is_not_null())
        .all(db)
        .await?;
    if lines.is_empty() {
        return Ok(out);
    }
    let claimed: std::collections::HashSet<String> = billing_claim::Entity::find()
        .filter(billing_claim::Column::InvoiceLineId.is_in(lines.iter().map(|l| l.id.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.invoice_line_id)
        .collect();
    let invoices: std::collections::HashMap<String, Option<String>> = invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(lines.iter().map(|l| l.invoice_id.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.number))
        .collect();
    for l in lines.into_iter().filter(|l| claimed.contains(&l.id)) {
        if let (Some(key), Some(number)) = (l.billable_key, invoices.get(&l.invoice_id)) {
            out.insert(key, number.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::chunk_len;
    use std::collections::BTreeSet;

    /// Splits `n` rows the way `insert_in_chunks` does.
    fn chunks(mut n: usize, per_insert: usize) -> Vec<usize> {
        let mut out = Vec::new();
        while n > 0 {
            let take = chunk_len(n, per_insert);
            out.push(take);
            n -= take;
        }
        out
    }

    #[test]
    fn chunks_cover_every_row_in_few_shapes() {
        assert_eq!(chunks(3384, 10_000), vec![2048, 1024, 256, 32, 16, 8]);
        assert_eq!(chunks(2500, 1250), vec![1250, 1250]);
        assert_eq!(chunks(1, 1250), vec![1]);
        let mut shapes = BTreeSet::new();
        for n in 1..5000 {
            let c = chunks(n, 1250);
            assert_eq!(c.iter().sum::<usize>(), n);
            assert!(c.iter().all(|&k| k <= 1250));
            shapes.extend(c);
        }
        // 1250 and the powers of two below it: 1 + 11 shapes for any number of rows.
        assert_eq!(shapes.len(), 12);
    }
}
