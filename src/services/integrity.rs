//! `plusmarkt check`: the integrity of a database, judged from what is stored, whatever
//! code (or hand) wrote it. Each finding names what is wrong in Dutch; an empty list means
//! the database is sound:
//!
//! - no billable item billed twice: no billable key on two invoice lines that are not
//!   credited, every claim on the line that bills it, every billed line with its claim;
//! - invoice numbers (invoices and credit notes together) gapless per provider per year
//!   (`domain::invoice::invoice_number`): 1..max with no gap and no duplicate, and the
//!   provider's counter of the year at the highest number;
//! - every invoice's net, VAT and total equal to its lines;
//! - every final invoice unchanged since finalisation (its content hash);
//! - the outbox consistent with the changes that wrote it: valid states, and the e-mail of
//!   every sent invoice and every ordered trajectory present;
//! - the audit chain intact.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Statement};

use crate::domain::invoice::{InvoiceKind, InvoiceStatus};
use crate::domain::outbox::OutboxStatus;
use crate::entities::{billing_claim, invoice, invoice_line, outbox, trajectory};
use crate::error::AppResult;
use crate::services::invoicing::{content_hash, totals_consistent};
use crate::store;

/// The guarantee a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// A billable item billed twice, or a claim that does not match its line.
    DoubleBilling,
    /// A gap, duplicate or malformed invoice number, or a counter out of step.
    Numbering,
    /// An invoice whose totals differ from its lines.
    Totals,
    /// A final invoice changed after finalisation.
    FinalChanged,
    /// The outbox out of step with the changes that wrote it.
    Outbox,
    /// The audit chain broken.
    Audit,
}

impl Check {
    pub fn label_nl(self) -> &'static str {
        match self {
            Check::DoubleBilling => "dubbele facturering",
            Check::Numbering => "factuurnummering",
            Check::Totals => "factuurtotalen",
            Check::FinalChanged => "definitieve factuur gewijzigd",
            Check::Outbox => "uitgaande post",
            Check::Audit => "auditlog",
        }
    }
}

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: Check,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check.label_nl(), self.message)
    }
}

fn found(findings: &mut Vec<Finding>, check: Check, message: impl Into<String>) {
    findings.push(Finding {
        check,
        message: message.into(),
    });
}

/// How an invoice is named in a finding: its number, or that it is a draft.
fn name_of(inv: &invoice::Model) -> String {
    let kind = if inv.kind == InvoiceKind::CreditNote {
        "creditnota"
    } else {
        "factuur"
    };
    match &inv.number {
        Some(number) => format!("{kind} {number}"),
        None => format!(
            "concept{kind} {} ({} {})",
            inv.id, inv.municipality_code, inv.period
        ),
    }
}

/// Runs every check. Reads only.
pub async fn check<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Finding>> {
    let mut findings = Vec::new();
    let invoices = invoice::Entity::find()
        .order_by_asc(invoice::Column::CreatedAt)
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?;
    let by_id: HashMap<&str, &invoice::Model> =
        invoices.iter().map(|i| (i.id.as_str(), i)).collect();
    double_billing(db, &by_id, &mut findings).await?;
    numbering(db, &invoices, &mut findings).await?;
    contents(db, &invoices, &mut findings).await?;
    outbox_consistency(db, &invoices, &mut findings).await?;
    for f in store::audit::verify(db).await? {
        let message = match f.seq {
            Some(seq) => format!("gebeurtenis {seq}: {}", f.message),
            None => f.message,
        };
        found(&mut findings, Check::Audit, message);
    }
    Ok(findings)
}

/// One billable item on at most one live line, and claims that match their lines.
async fn double_billing<C: ConnectionTrait>(
    db: &C,
    invoices: &HashMap<&str, &invoice::Model>,
    findings: &mut Vec<Finding>,
) -> AppResult<()> {
    // id, invoice, billable key, credited line: the few columns needed, for every line.
    let lines: Vec<(String, String, Option<String>, Option<String>)> = invoice_line::Entity::find()
        .select_only()
        .column(invoice_line::Column::Id)
        .column(invoice_line::Column::InvoiceId)
        .column(invoice_line::Column::BillableKey)
        .column(invoice_line::Column::CreditsLineId)
        .order_by_asc(invoice_line::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let credited: HashSet<&str> = lines
        .iter()
        .filter_map(|(_, _, _, credits)| credits.as_deref())
        .collect();
    let where_ = |invoice_id: &str| {
        invoices
            .get(invoice_id)
            .map(|i| name_of(i))
            .unwrap_or_else(|| format!("ontbrekende factuur {invoice_id}"))
    };
    // Live lines (not credited) per billable key.
    let mut live: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (id, invoice_id, key, _) in &lines {
        if let Some(key) = key {
            if !credited.contains(id.as_str()) {
                live.entry(key.as_str())
                    .or_default()
                    .push((id.as_str(), invoice_id.as_str()));
            }
        }
    }
    for (key, on) in &live {
        if on.len() > 1 {
            let places: Vec<String> = on
                .iter()
                .map(|(line, inv)| format!("regel {line} van {}", where_(inv)))
                .collect();
            found(
                findings,
                Check::DoubleBilling,
                format!(
                    "declarabele regel {key} staat {} keer gefactureerd zonder creditering: {}",
                    on.len(),
                    places.join("; ")
                ),
            );
        }
    }
    let claims: Vec<(String, String)> = billing_claim::Entity::find()
        .select_only()
        .column(billing_claim::Column::BillableKey)
        .column(billing_claim::Column::InvoiceLineId)
        .order_by_asc(billing_claim::Column::BillableKey)
        .into_tuple()
        .all(db)
        .await?;
    let line_by_id: HashMap<&str, (&str, Option<&str>)> = lines
        .iter()
        .map(|(id, inv, key, _)| (id.as_str(), (inv.as_str(), key.as_deref())))
        .collect();
    let mut claimed_lines = HashSet::new();
    for (key, line_id) in &claims {
        claimed_lines.insert(line_id.as_str());
        match line_by_id.get(line_id.as_str()) {
            None => found(
                findings,
                Check::DoubleBilling,
                format!("de claim op {key} verwijst naar factuurregel {line_id}, die niet bestaat"),
            ),
            Some((inv, line_key)) => {
                if *line_key != Some(key.as_str()) {
                    found(
                        findings,
                        Check::DoubleBilling,
                        format!(
                            "de claim op {key} staat op regel {line_id} van {}, die {} factureert",
                            where_(inv),
                            line_key.unwrap_or("niets declarabels")
                        ),
                    );
                }
                if credited.contains(line_id.as_str()) {
                    found(
                        findings,
                        Check::DoubleBilling,
                        format!(
                            "de claim op {key} staat nog op de gecrediteerde regel {line_id} van {}",
                            where_(inv)
                        ),
                    );
                }
            }
        }
    }
    for on in live.values() {
        for (line, inv) in on {
            if !claimed_lines.contains(line) {
                found(
                    findings,
                    Check::DoubleBilling,
                    format!(
                        "regel {line} van {} heeft geen claim: een volgende factuurrun factureert haar opnieuw",
                        where_(inv)
                    ),
                );
            }
        }
    }
    Ok(())
}

/// Splits `YYYY-NNNNNN` (WSD) or `CODE-YYYY-NNNNNN` into the series (provider and year)
/// and the sequence.
fn parse_number(number: &str) -> Option<((String, i32), i64)> {
    crate::domain::invoice::parse_invoice_number(number)
        .map(|(provider, year, sequence)| ((provider, year), sequence))
}

/// Ranges of the missing numbers, shortened: "3, 5-7".
fn ranges(missing: &[i64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < missing.len() {
        let start = missing[i];
        let mut end = start;
        while i + 1 < missing.len() && missing[i + 1] == end + 1 {
            i += 1;
            end = missing[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    if parts.len() > 20 {
        let more = parts.len() - 20;
        parts.truncate(20);
        parts.push(format!("en {more} andere"));
    }
    parts.join(", ")
}

/// Numbers per provider per year: 1..max, each once, and the counter at max.
async fn numbering<C: ConnectionTrait>(
    db: &C,
    invoices: &[invoice::Model],
    findings: &mut Vec<Finding>,
) -> AppResult<()> {
    let mut per_year: BTreeMap<(String, i32), BTreeMap<i64, Vec<&invoice::Model>>> =
        BTreeMap::new();
    for inv in invoices {
        let draft = inv.status == InvoiceStatus::Draft;
        match (&inv.number, draft) {
            (None, false) => found(
                findings,
                Check::Numbering,
                format!(
                    "{} {} ({} {}) is {} maar heeft geen nummer",
                    if inv.kind == InvoiceKind::CreditNote {
                        "creditnota"
                    } else {
                        "factuur"
                    },
                    inv.id,
                    inv.municipality_code,
                    inv.period,
                    inv.status.as_str()
                ),
            ),
            (Some(number), true) => found(
                findings,
                Check::Numbering,
                format!("concept {} heeft al nummer {number}", inv.id),
            ),
            _ => {}
        }
        if let Some(number) = &inv.number {
            match parse_number(number) {
                Some((year, sequence)) => per_year
                    .entry(year)
                    .or_default()
                    .entry(sequence)
                    .or_default()
                    .push(inv),
                None => found(
                    findings,
                    Check::Numbering,
                    format!(
                        "{} heeft een nummer dat niet de vorm JJJJ-NNNNNN of CODE-JJJJ-NNNNNN heeft",
                        name_of(inv)
                    ),
                ),
            }
        }
    }
    let backend = db.get_database_backend();
    let counter_rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT name, value FROM counters WHERE name LIKE 'invoice-%'",
        ))
        .await?;
    let mut counters: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for row in counter_rows {
        let name: String = row.try_get("", "name")?;
        let value: i64 = row.try_get("", "value")?;
        // `invoice-{PROVIDER}-{year}`
        let series = name
            .strip_prefix("invoice-")
            .and_then(|rest| rest.rsplit_once('-'))
            .and_then(|(provider, y)| Some((provider.to_string(), y.parse::<i32>().ok()?)));
        if let Some(series) = series {
            *counters.entry(series).or_default() += value;
        }
    }
    let series: std::collections::BTreeSet<(String, i32)> =
        per_year.keys().chain(counters.keys()).cloned().collect();
    for key in series {
        let numbers = per_year.remove(&key).unwrap_or_default();
        let (provider, year) = &key;
        let number =
            |sequence: i64| crate::domain::invoice::invoice_number(provider, *year, sequence);
        // WSD's series is named by its year alone, as before there were providers.
        let series_name = if provider == crate::domain::provider::WSD {
            year.to_string()
        } else {
            format!("{provider} {year}")
        };
        let max = numbers.keys().next_back().copied().unwrap_or(0);
        for (sequence, holders) in &numbers {
            if holders.len() > 1 {
                found(
                    findings,
                    Check::Numbering,
                    format!(
                        "nummer {} is {} keer uitgegeven",
                        number(*sequence),
                        holders.len()
                    ),
                );
            }
            if *sequence < 1 {
                found(
                    findings,
                    Check::Numbering,
                    format!(
                        "nummer {} ligt buiten de reeks (die begint bij 1)",
                        number(*sequence)
                    ),
                );
            }
        }
        let missing: Vec<i64> = (1..=max).filter(|n| !numbers.contains_key(n)).collect();
        if !missing.is_empty() {
            found(
                findings,
                Check::Numbering,
                format!(
                    "de nummering van {series_name} heeft gaten: {} ontbreekt (hoogste nummer {max})",
                    ranges(&missing)
                ),
            );
        }
        let counter = counters.get(&key).copied().unwrap_or(0);
        if counter != max {
            found(
                findings,
                Check::Numbering,
                if counter > max {
                    format!(
                        "de teller van {series_name} staat op {counter}, maar het hoogste nummer is {max}: uitgegeven nummers ontbreken"
                    )
                } else {
                    format!(
                        "de teller van {series_name} staat op {counter}, maar nummer {max} bestaat al: het volgende nummer wordt dubbel uitgegeven"
                    )
                },
            );
        }
    }
    Ok(())
}

/// Totals equal to the lines; final invoices equal to what was finalised.
async fn contents<C: ConnectionTrait>(
    db: &C,
    invoices: &[invoice::Model],
    findings: &mut Vec<Finding>,
) -> AppResult<()> {
    for inv in invoices {
        if !totals_consistent(db, inv).await? {
            found(
                findings,
                Check::Totals,
                format!(
                    "{}: netto {}, btw {}, totaal {} zijn niet de som van de regels",
                    name_of(inv),
                    crate::domain::money::Money::from_cents(inv.net_cents).format_nl(),
                    crate::domain::money::Money::from_cents(inv.vat_cents).format_nl(),
                    crate::domain::money::Money::from_cents(inv.total_cents).format_nl(),
                ),
            );
        }
        if inv.status == InvoiceStatus::Draft {
            continue;
        }
        let lines = store::invoices::lines(db, &inv.id).await?;
        match &inv.content_hash {
            None => found(
                findings,
                Check::FinalChanged,
                format!(
                    "{} is {} maar heeft geen inhoudshash",
                    name_of(inv),
                    inv.status.as_str()
                ),
            ),
            Some(stored) if *stored != content_hash(inv, &lines) => found(
                findings,
                Check::FinalChanged,
                format!(
                    "{} is gewijzigd nadat zij definitief werd: de inhoud past niet bij de opgeslagen hash",
                    name_of(inv)
                ),
            ),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Valid outbox rows, and the e-mail of every change that writes one.
async fn outbox_consistency<C: ConnectionTrait>(
    db: &C,
    invoices: &[invoice::Model],
    findings: &mut Vec<Finding>,
) -> AppResult<()> {
    type Row = (
        String,
        String,
        Option<chrono::DateTime<chrono::Utc>>,
        Option<String>,
        Option<String>,
    );
    // Not the bodies and attachments: only what the check needs.
    let rows: Vec<Row> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .column(outbox::Column::Status)
        .column(outbox::Column::SentAt)
        .column(outbox::Column::RelatedEntity)
        .column(outbox::Column::RelatedId)
        .order_by_asc(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut mails: HashMap<(&str, &str), usize> = HashMap::new();
    for (id, status, sent_at, entity, related) in &rows {
        // Read as text, so that a value outside the vocabulary is a finding, not a failure.
        match OutboxStatus::parse(status) {
            Ok(OutboxStatus::Pending | OutboxStatus::Sending) => {
                if sent_at.is_some() {
                    found(
                        findings,
                        Check::Outbox,
                        format!("bericht {id} heeft status {status} maar ook een verzendtijd"),
                    );
                }
            }
            Ok(OutboxStatus::Sent) => {
                if sent_at.is_none() {
                    found(
                        findings,
                        Check::Outbox,
                        format!("bericht {id} heeft status sent maar geen verzendtijd"),
                    );
                }
            }
            Err(_) => found(
                findings,
                Check::Outbox,
                format!(
                    "bericht {id} heeft een onbekende status {status:?} (pending, sending of sent)"
                ),
            ),
        }
        if let (Some(entity), Some(related)) = (entity, related) {
            *mails
                .entry((entity.as_str(), related.as_str()))
                .or_default() += 1;
        }
    }
    let by_id: HashMap<&str, &invoice::Model> =
        invoices.iter().map(|i| (i.id.as_str(), i)).collect();
    for inv in invoices {
        let sent = inv.status == InvoiceStatus::Sent || inv.sent_at.is_some();
        if sent && !mails.contains_key(&("invoice", inv.id.as_str())) {
            found(
                findings,
                Check::Outbox,
                format!(
                    "{} is verzonden, maar de e-mail ervan staat niet in de uitgaande post",
                    name_of(inv)
                ),
            );
        }
    }
    let mut invoice_mails: Vec<&str> = mails
        .keys()
        .filter(|(e, _)| *e == "invoice")
        .map(|(_, r)| *r)
        .collect();
    invoice_mails.sort_unstable();
    for related in invoice_mails {
        match by_id.get(related) {
            None => found(
                findings,
                Check::Outbox,
                format!("de uitgaande post bevat een e-mail over factuur {related}, die niet bestaat"),
            ),
            Some(inv) if inv.sent_at.is_none() => found(
                findings,
                Check::Outbox,
                format!(
                    "de uitgaande post bevat de e-mail van {}, maar die is niet als verzonden vastgelegd",
                    name_of(inv)
                ),
            ),
            Some(_) => {}
        }
    }
    // Every order writes its intake e-mail in the same transaction.
    let numbers: Vec<String> = trajectory::Entity::find()
        .select_only()
        .column(trajectory::Column::Number)
        .order_by_asc(trajectory::Column::Number)
        .into_tuple()
        .all(db)
        .await?;
    let known: HashSet<&str> = numbers.iter().map(String::as_str).collect();
    for number in &numbers {
        if !mails.contains_key(&("trajectory", number.as_str())) {
            found(
                findings,
                Check::Outbox,
                format!(
                    "traject {number} heeft geen e-mail in de uitgaande post (de intake-e-mail hoort bij de bestelling)"
                ),
            );
        }
    }
    let mut orphans: Vec<&str> = mails
        .keys()
        .filter(|(e, r)| *e == "trajectory" && !known.contains(r))
        .map(|(_, r)| *r)
        .collect();
    orphans.sort_unstable();
    for number in orphans {
        found(
            findings,
            Check::Outbox,
            format!("de uitgaande post bevat een e-mail over traject {number}, dat niet bestaat"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ranges() {
        let wsd = |year| ("WSD".to_string(), year);
        assert_eq!(parse_number("2026-000012"), Some((wsd(2026), 12)));
        assert_eq!(parse_number("2026-1234567"), Some((wsd(2026), 1_234_567)));
        assert_eq!(
            parse_number("WERKPAD-2026-000003"),
            Some((("WERKPAD".to_string(), 2026), 3))
        );
        for bad in [
            "2026-12",
            "26-000012",
            "2026_000012",
            "2026-00001a",
            "",
            "-",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
        assert_eq!(ranges(&[2, 3, 4, 7, 9, 10]), "2-4, 7, 9-10");
        assert_eq!(ranges(&[]), "");
    }
}
