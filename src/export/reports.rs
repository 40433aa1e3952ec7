//! The insight reports as CSV for spreadsheets: UTF-8, `;` as separator, CRLF line ends, a
//! header row, amounts with a decimal comma and no thousands separator (`1234,56`), shares in
//! percent with a decimal comma (`66,7`), empty where a figure does not exist (no ceiling,
//! no forecast). The `gemeente` column holds the municipality's code, or `alle`.

use rust_decimal::Decimal;

use super::{csv_quantity, ExportError};
use crate::domain::money::Money;
use crate::domain::quantity::Quantity;
use crate::domain::reports::Report;

fn err(e: impl std::fmt::Display) -> ExportError {
    ExportError::Csv(e.to_string())
}

fn amount(m: Money) -> String {
    m.format_csv()
}

fn opt_amount(m: Option<Money>) -> String {
    m.map(amount).unwrap_or_default()
}

fn share(d: Option<Decimal>) -> String {
    d.map(|d| d.to_string().replace('.', ","))
        .unwrap_or_default()
}

fn quantity(q: Quantity) -> String {
    csv_quantity(q.amount())
}

fn who(m: &Option<String>) -> String {
    m.clone().unwrap_or_else(|| "alle".into())
}

/// A text field a spreadsheet would run as a formula gets a leading `'`.
fn text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// The header and rows of a report.
pub fn table(report: &Report) -> (Vec<&'static str>, Vec<Vec<String>>) {
    match report {
        Report::Budget(r) => (
            vec![
                "gemeente",
                "jaar",
                "maand",
                "budgetplafond",
                "vastgelegd",
                "gefactureerd",
                "vastgelegd_cumulatief",
                "gefactureerd_cumulatief",
                "prognose_jaareinde",
            ],
            r.months
                .iter()
                .map(|m| {
                    vec![
                        who(&r.municipality),
                        r.year.to_string(),
                        m.period.clone(),
                        opt_amount(r.ceiling),
                        amount(m.committed),
                        amount(m.invoiced),
                        amount(m.committed_cumulative),
                        amount(m.invoiced_cumulative),
                        opt_amount(r.forecast),
                    ]
                })
                .collect(),
        ),
        Report::Products(r) => (
            vec![
                "gemeente",
                "jaar",
                "product_code",
                "product",
                "eenheid",
                "orderregels",
                "vastgelegd",
                "gefactureerd",
            ],
            r.items
                .iter()
                .map(|i| {
                    vec![
                        who(&r.municipality),
                        r.year.to_string(),
                        text(&i.product_code),
                        text(&i.product_name),
                        i.unit.clone(),
                        i.order_lines.to_string(),
                        amount(i.committed),
                        amount(i.invoiced),
                    ]
                })
                .collect(),
        ),
        Report::TargetGroups(r) => (
            vec![
                "gemeente",
                "jaar",
                "doelgroep_code",
                "doelgroep",
                "producten",
                "vastgelegd",
                "gefactureerd",
            ],
            r.items
                .iter()
                .map(|i| {
                    vec![
                        who(&r.municipality),
                        r.year.to_string(),
                        text(&i.target_group),
                        text(&i.name),
                        i.products.to_string(),
                        amount(i.committed),
                        amount(i.invoiced),
                    ]
                })
                .collect(),
        ),
        Report::Status(r) => (
            vec!["gemeente", "jaar", "status", "omschrijving", "trajecten"],
            r.items
                .iter()
                .map(|i| {
                    vec![
                        who(&r.municipality),
                        r.year.to_string(),
                        i.status.clone(),
                        i.label.clone(),
                        i.trajectories.to_string(),
                    ]
                })
                .collect(),
        ),
        Report::Outcomes(r) => (
            vec![
                "gemeente",
                "jaar",
                "product_code",
                "product",
                "afgerond",
                "doel_bereikt",
                "aandeel_doel_bereikt",
                "regulier_werk",
                "gestopt",
            ],
            r.items
                .iter()
                .map(|i| {
                    vec![
                        who(&r.municipality),
                        r.year.to_string(),
                        text(&i.product_code),
                        text(&i.product_name),
                        i.completed.to_string(),
                        i.goal_reached.to_string(),
                        share(i.goal_reached_share),
                        i.regular_work.to_string(),
                        i.stopped.to_string(),
                    ]
                })
                .collect(),
        ),
        Report::Uptake(r) => (
            vec![
                "gemeente",
                "jaar",
                "product_code",
                "product",
                "telt",
                "afgenomen",
                "contracten",
                "met_plafond",
                "plafond",
                "afgenomen_onder_plafond",
                "aandeel_plafond",
            ],
            r.items
                .iter()
                .map(|i| {
                    vec![
                        who(&r.municipality),
                        r.year.to_string(),
                        text(&i.product_code),
                        text(&i.product_name),
                        i.measure.clone(),
                        quantity(i.ordered),
                        i.contracts.to_string(),
                        i.capped_contracts.to_string(),
                        i.cap.map(quantity).unwrap_or_default(),
                        quantity(i.used_under_cap),
                        share(i.cap_share),
                    ]
                })
                .collect(),
        ),
        Report::Providers(r) => (
            vec![
                "gemeente",
                "jaar",
                "aanbieder_code",
                "aanbieder",
                "dienst_code",
                "dienst",
                "gemeente_code",
                "gemeente_naam",
                "orderregels",
                "vastgelegd",
                "gefactureerd",
            ],
            r.items
                .iter()
                .map(|i| {
                    vec![
                        who(&r.municipality),
                        r.year.to_string(),
                        text(&i.provider),
                        text(&i.provider_name),
                        text(i.service.as_deref().unwrap_or("")),
                        text(&i.service_name),
                        text(&i.municipality),
                        text(&i.municipality_name),
                        i.order_lines.to_string(),
                        amount(i.committed),
                        amount(i.invoiced),
                    ]
                })
                .collect(),
        ),
        Report::Plan(r) => (
            vec![
                "jaar",
                "maand",
                "omzet",
                "omzet_cumulatief",
                "plan_cumulatief",
                "jaarplan",
            ],
            r.months
                .iter()
                .map(|m| {
                    vec![
                        r.year.to_string(),
                        m.period.clone(),
                        amount(m.revenue),
                        amount(m.revenue_cumulative),
                        amount(m.plan_cumulative),
                        amount(r.plan),
                    ]
                })
                .collect(),
        ),
    }
}

/// The report as CSV text.
pub fn render(report: &Report) -> Result<String, ExportError> {
    let (header, rows) = table(report);
    let mut w = ::csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record(&header).map_err(err)?;
    for row in rows {
        w.write_record(&row).map_err(err)?;
    }
    String::from_utf8(w.into_inner().map_err(err)?).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reports::{StatusCount, StatusReport};

    #[test]
    fn semicolons_decimal_commas_and_formula_guard() {
        assert_eq!(amount(Money::from_cents(123456)), "1234,56");
        assert_eq!(share(Some(Decimal::new(667, 1))), "66,7");
        assert_eq!(share(None), "");
        assert_eq!(text("=SUM(A1)"), "'=SUM(A1)");
        let csv = render(&Report::Status(StatusReport {
            municipality: Some("GM0757".into()),
            year: 2025,
            items: vec![StatusCount {
                status: "started".into(),
                label: "gestart".into(),
                trajectories: 2,
            }],
            total: 2,
        }))
        .unwrap();
        assert_eq!(
            csv,
            "gemeente;jaar;status;omschrijving;trajecten\r\nGM0757;2025;started;gestart;2\r\n"
        );
    }
}
