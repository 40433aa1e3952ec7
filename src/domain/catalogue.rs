//! The dienstenportfolio as data: a product's specification, its validation, and its TOML
//! form (parsed with line numbers; written canonically, so that import then export
//! reproduces the files byte for byte).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

use super::billing::{MilestoneShare, Unit, Variant};
use super::ids::ProductCode;
use super::money::Money;
use super::vat::VatCategory;

/// The policy domains WSD works in.
pub const DOMAINS: [&str; 5] = ["participatie", "wmo", "jeugd", "inburgering", "werkgevers"];

/// `products.status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "retired")]
    Retired,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 2] = [ProductStatus::Active, ProductStatus::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Active => "active",
            ProductStatus::Retired => "retired",
        }
    }

    pub fn parse(text: &str) -> Result<ProductStatus, String> {
        match text {
            "active" => Ok(ProductStatus::Active),
            "retired" => Ok(ProductStatus::Retired),
            other => Err(format!(
                "status moet active of retired zijn, niet {other:?}"
            )),
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            ProductStatus::Active => "actief",
            ProductStatus::Retired => "vervallen",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceVersion {
    pub valid_from: NaiveDate,
    pub amount: Money,
}

/// A validated product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSpec {
    pub code: ProductCode,
    /// The provider (aanbieder) that sells it.
    pub provider: String,
    /// The shared service type (`services.toml`) that makes it comparable with other
    /// providers' products.
    pub service: String,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub domain: String,
    pub target_groups: Vec<String>,
    pub goal: String,
    pub output: String,
    pub proof: String,
    pub duration_weeks: u32,
    pub variant: Variant,
    pub unit: Unit,
    pub vat_category: VatCategory,
    pub vat_exemption_reason: Option<String>,
    pub status: ProductStatus,
    pub milestones: Vec<MilestoneShare>,
    /// Ascending by `valid_from`.
    pub prices: Vec<PriceVersion>,
}

impl ProductSpec {
    /// The list price valid on a date, if any version had started by then.
    pub fn price_on(&self, date: NaiveDate) -> Option<Money> {
        self.prices
            .iter()
            .rev()
            .find(|p| p.valid_from <= date)
            .map(|p| p.amount)
    }
}

/// One field of a product as it was given, with the line it came from (0 when the input
/// was not a file).
#[derive(Debug, Clone, Default)]
pub struct At<T> {
    pub value: T,
    pub line: usize,
}

impl<T> At<T> {
    pub fn new(value: T) -> At<T> {
        At { value, line: 0 }
    }
}

/// A product as typed, before validation: strings, with lines.
#[derive(Debug, Clone, Default)]
pub struct RawProduct {
    pub code: At<String>,
    pub provider: At<String>,
    pub service: At<String>,
    pub name: At<String>,
    pub summary: At<String>,
    pub description: At<String>,
    pub domain: At<String>,
    pub target_groups: At<Vec<String>>,
    pub goal: At<String>,
    pub output: At<String>,
    pub proof: At<String>,
    pub duration_weeks: At<i64>,
    pub variant: At<String>,
    pub unit: At<String>,
    pub vat_category: At<String>,
    pub vat_exemption_reason: Option<At<String>>,
    pub status: At<String>,
    pub milestones: Vec<(At<String>, At<String>)>,
    pub prices: Vec<(At<NaiveDate>, At<String>)>,
}

/// A validation finding: the field (as named in the file or JSON), its line, the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub field: String,
    pub line: usize,
    pub message: String,
}

fn finding(field: &str, line: usize, message: impl Into<String>) -> Finding {
    Finding {
        field: field.to_string(),
        line,
        message: message.into(),
    }
}

fn required_text(
    findings: &mut Vec<Finding>,
    field: &str,
    value: &At<String>,
    max: usize,
) -> String {
    let text = value.value.trim();
    if text.is_empty() {
        findings.push(finding(field, value.line, "is leeg"));
    } else if text.chars().count() > max {
        findings.push(finding(
            field,
            value.line,
            format!("is langer dan {max} tekens"),
        ));
    }
    text.to_string()
}

/// The vocabularies a product chooses from: target groups, providers and service types.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub target_groups: BTreeSet<String>,
    pub providers: BTreeSet<String>,
    pub services: BTreeSet<String>,
}

/// Validates a product against the rules of the portfolio and the vocabularies in
/// `known`. Every problem is reported, not just the first.
pub fn validate(raw: &RawProduct, known: &Known) -> Result<ProductSpec, Vec<Finding>> {
    let known_target_groups = &known.target_groups;
    let mut f = Vec::new();
    let code = ProductCode::parse(raw.code.value.trim())
        .map_err(|e| f.push(finding("code", raw.code.line, e.to_string())))
        .ok();
    let provider = checked_choice(
        &mut f,
        "provider",
        &raw.provider,
        &known.providers,
        "aanbieder",
    );
    let service = checked_choice(
        &mut f,
        "service",
        &raw.service,
        &known.services,
        "diensttype",
    );
    let name = required_text(&mut f, "name", &raw.name, 120);
    let summary = required_text(&mut f, "summary", &raw.summary, 400);
    let description = required_text(&mut f, "description", &raw.description, 4000);
    let goal = required_text(&mut f, "goal", &raw.goal, 1000);
    let output = required_text(&mut f, "output", &raw.output, 1000);
    let proof = required_text(&mut f, "proof", &raw.proof, 1000);
    let domain = checked_domain(&mut f, raw);
    let target_groups = checked_target_groups(&mut f, raw, known_target_groups);
    let duration_weeks = checked_duration(&mut f, raw);
    let (unit, variant) = checked_unit_and_variant(&mut f, raw);
    let (vat_category, vat_exemption_reason) = checked_vat(&mut f, raw);
    let status = ProductStatus::parse(raw.status.value.trim())
        .map_err(|e| f.push(finding("status", raw.status.line, e)))
        .ok();
    let milestones = checked_milestones(&mut f, raw, unit);
    let prices = checked_prices(&mut f, raw);

    match (code, unit, variant, vat_category, status) {
        (Some(code), Some(unit), Some(variant), Some(vat_category), Some(status))
            if f.is_empty() =>
        {
            Ok(ProductSpec {
                code,
                provider,
                service,
                name,
                summary,
                description,
                domain,
                target_groups,
                goal,
                output,
                proof,
                duration_weeks,
                variant,
                unit,
                vat_category,
                vat_exemption_reason,
                status,
                milestones,
                prices,
            })
        }
        _ => Err(f),
    }
}

/// One of a known list (providers, service types).
fn checked_choice(
    f: &mut Vec<Finding>,
    field: &str,
    value: &At<String>,
    known: &BTreeSet<String>,
    what: &str,
) -> String {
    let text = value.value.trim().to_string();
    if text.is_empty() {
        f.push(finding(field, value.line, format!("noem een {what}")));
    } else if !known.contains(&text) {
        let list: Vec<&str> = known.iter().map(String::as_str).collect();
        f.push(finding(
            field,
            value.line,
            format!(
                "onbekende {what} {}; kies uit {}",
                super::money::echo(&text),
                list.join(", ")
            ),
        ));
    }
    text
}

/// A service type code: lower case words joined by hyphens (`naar-werk`), at most 40.
pub fn parse_service_code(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 40
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && text.as_bytes()[0].is_ascii_lowercase();
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "geen geldige code voor een diensttype: {} (kleine letters en cijfers, woorden gescheiden door -, bijvoorbeeld naar-werk)",
            super::money::echo(text)
        ))
    }
}

/// One of the known domains.
fn checked_domain(f: &mut Vec<Finding>, raw: &RawProduct) -> String {
    let domain = raw.domain.value.trim().to_string();
    if !DOMAINS.contains(&domain.as_str()) {
        f.push(finding(
            "domain",
            raw.domain.line,
            format!(
                "onbekend domein {domain:?}; kies uit {}",
                DOMAINS.join(", ")
            ),
        ));
    }
    domain
}

/// Known target groups, at least one, each once.
fn checked_target_groups(
    f: &mut Vec<Finding>,
    raw: &RawProduct,
    known_target_groups: &BTreeSet<String>,
) -> Vec<String> {
    let mut target_groups = Vec::new();
    if raw.target_groups.value.is_empty() {
        f.push(finding(
            "target_groups",
            raw.target_groups.line,
            "noem minstens één doelgroep",
        ));
    }
    for group in &raw.target_groups.value {
        if !known_target_groups.contains(group) {
            f.push(finding(
                "target_groups",
                raw.target_groups.line,
                format!("onbekende doelgroep {group:?}"),
            ));
        } else if target_groups.contains(group) {
            f.push(finding(
                "target_groups",
                raw.target_groups.line,
                format!("doelgroep {group:?} staat er twee keer in"),
            ));
        } else {
            target_groups.push(group.clone());
        }
    }
    target_groups
}

/// 1 to 520 weeks (0 with a finding otherwise).
fn checked_duration(f: &mut Vec<Finding>, raw: &RawProduct) -> u32 {
    match u32::try_from(raw.duration_weeks.value) {
        Ok(weeks) if (1..=520).contains(&weeks) => weeks,
        _ => {
            f.push(finding(
                "duration_weeks",
                raw.duration_weeks.line,
                "looptijd moet 1 tot 520 weken zijn",
            ));
            0
        }
    }
}

/// A known unit and the variant it belongs to.
fn checked_unit_and_variant(
    f: &mut Vec<Finding>,
    raw: &RawProduct,
) -> (Option<Unit>, Option<Variant>) {
    let unit = Unit::parse(raw.unit.value.trim())
        .map_err(|e| f.push(finding("unit", raw.unit.line, e.to_string())))
        .ok();
    let variant = Variant::parse(raw.variant.value.trim())
        .map_err(|e| f.push(finding("variant", raw.variant.line, e.to_string())))
        .ok();
    if let (Some(unit), Some(variant)) = (unit, variant) {
        if unit.variant() != variant {
            f.push(finding(
                "variant",
                raw.variant.line,
                format!(
                    "eenheid {} hoort bij variant {}, niet {}",
                    unit.as_str(),
                    unit.variant().as_str(),
                    variant.as_str()
                ),
            ));
        }
    }
    (unit, variant)
}

/// A VAT category, with a reason of exemption exactly when exempt.
fn checked_vat(f: &mut Vec<Finding>, raw: &RawProduct) -> (Option<VatCategory>, Option<String>) {
    let vat_category = VatCategory::parse(raw.vat_category.value.trim())
        .map_err(|e| {
            f.push(finding(
                "vat_category",
                raw.vat_category.line,
                e.to_string(),
            ))
        })
        .ok();
    let vat_exemption_reason = raw
        .vat_exemption_reason
        .as_ref()
        .map(|r| r.value.trim().to_string())
        .filter(|r| !r.is_empty());
    match (vat_category, &vat_exemption_reason) {
        (Some(VatCategory::Exempt), None) => f.push(finding(
            "vat_exemption_reason",
            raw.vat_category.line,
            "een vrijgestelde dienst heeft een reden van vrijstelling",
        )),
        (Some(VatCategory::Standard), Some(_)) => f.push(finding(
            "vat_exemption_reason",
            raw.vat_exemption_reason
                .as_ref()
                .map(|r| r.line)
                .unwrap_or(0),
            "alleen een vrijgestelde dienst heeft een reden van vrijstelling",
        )),
        _ => {}
    }
    (vat_category, vat_exemption_reason)
}

/// Milestones with plain names, each once, with shares adding up to 100 for a trajectory
/// product; none for other units.
fn checked_milestones(
    f: &mut Vec<Finding>,
    raw: &RawProduct,
    unit: Option<Unit>,
) -> Vec<MilestoneShare> {
    let mut milestones = Vec::new();
    let mut names = BTreeSet::new();
    for (index, (name, share)) in raw.milestones.iter().enumerate() {
        let field = format!("milestone[{index}]");
        let n = name.value.trim();
        let valid_name = !n.is_empty()
            && n.len() <= 40
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid_name {
            f.push(finding(&format!("{field}.name"), name.line, "een mijlpaal heet bijvoorbeeld start of duurzame_plaatsing (kleine letters, cijfers, _)"));
        } else if !names.insert(n.to_string()) {
            f.push(finding(
                &format!("{field}.name"),
                name.line,
                format!("mijlpaal {n:?} staat er twee keer in"),
            ));
        }
        match parse_share(&share.value) {
            Ok(s) => milestones.push(MilestoneShare {
                name: n.to_string(),
                share: s,
            }),
            Err(message) => f.push(finding(&format!("{field}.share"), share.line, message)),
        }
    }
    if let Some(unit) = unit {
        if unit == Unit::Traject {
            if raw.milestones.is_empty() {
                f.push(finding(
                    "milestone",
                    raw.unit.line,
                    "een trajectproduct heeft mijlpalen voor de facturering",
                ));
            } else if milestones.len() == raw.milestones.len() {
                let sum: Decimal = milestones.iter().map(|m| m.share).sum();
                if sum != Decimal::from(100) {
                    f.push(finding(
                        "milestone",
                        raw.milestones[0].1.line,
                        format!("de aandelen van de mijlpalen tellen op tot {sum}, niet 100"),
                    ));
                }
            }
        } else if !raw.milestones.is_empty() {
            f.push(finding(
                "milestone",
                raw.milestones[0].0.line,
                format!(
                    "alleen trajectproducten hebben mijlpalen, dit product rekent af per {}",
                    unit.as_str()
                ),
            ));
        }
    }
    milestones
}

/// At least one price, valid amounts, in order of their dates, each date once.
fn checked_prices(f: &mut Vec<Finding>, raw: &RawProduct) -> Vec<PriceVersion> {
    let mut prices: Vec<PriceVersion> = Vec::new();
    if raw.prices.is_empty() {
        f.push(finding("price", 0, "een product heeft minstens één tarief"));
    }
    for (index, (from, amount)) in raw.prices.iter().enumerate() {
        let field = format!("price[{index}]");
        match Money::parse_non_negative(&amount.value) {
            Ok(money) => {
                if let Some(previous) = prices.last() {
                    if previous.valid_from >= from.value {
                        f.push(finding(
                            &format!("{field}.valid_from"),
                            from.line,
                            "tarieven staan op volgorde van ingangsdatum, elke datum één keer",
                        ));
                    }
                }
                prices.push(PriceVersion {
                    valid_from: from.value,
                    amount: money,
                });
            }
            Err(e) => f.push(finding(
                &format!("{field}.amount"),
                amount.line,
                e.to_string(),
            )),
        }
    }
    prices
}

/// A milestone share: a positive percentage with at most two decimals.
pub fn parse_share(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    let value: Decimal = text
        .parse()
        .map_err(|_| format!("aandeel {text:?} is geen getal"))?;
    if text.contains(['e', 'E']) || value.scale() > 2 {
        return Err(format!("aandeel {text:?} heeft meer dan twee decimalen"));
    }
    if value <= Decimal::ZERO || value > Decimal::from(100) {
        return Err(format!(
            "aandeel {text:?} moet groter dan 0 en hoogstens 100 zijn"
        ));
    }
    Ok(value.normalize())
}

/// A share in hundredths of a percent, for storage.
pub fn share_to_basis_points(share: Decimal) -> i32 {
    // A share is at most 100 with 2 decimals, so it fits.
    i32::try_from((share * Decimal::from(100)).trunc().mantissa()).unwrap_or(0)
}

pub fn share_from_basis_points(points: i32) -> Decimal {
    Decimal::new(i64::from(points), 2).normalize()
}

// ---- TOML ----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductFile {
    code: toml::Spanned<String>,
    provider: toml::Spanned<String>,
    service: toml::Spanned<String>,
    name: toml::Spanned<String>,
    summary: toml::Spanned<String>,
    description: toml::Spanned<String>,
    domain: toml::Spanned<String>,
    target_groups: toml::Spanned<Vec<String>>,
    goal: toml::Spanned<String>,
    output: toml::Spanned<String>,
    proof: toml::Spanned<String>,
    duration_weeks: toml::Spanned<i64>,
    variant: toml::Spanned<String>,
    unit: toml::Spanned<String>,
    vat_category: toml::Spanned<String>,
    vat_exemption_reason: Option<toml::Spanned<String>>,
    status: toml::Spanned<String>,
    #[serde(default)]
    milestone: Vec<MilestoneEntry>,
    #[serde(default)]
    price: Vec<PriceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MilestoneEntry {
    name: toml::Spanned<String>,
    share: toml::Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceEntry {
    valid_from: toml::Spanned<toml::value::Datetime>,
    amount: toml::Spanned<String>,
}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map(|before| before.matches('\n').count() + 1)
        .unwrap_or(1)
}

fn at<T: Clone>(text: &str, spanned: &toml::Spanned<T>) -> At<T> {
    At {
        value: spanned.get_ref().clone(),
        line: line_of(text, spanned.span().start),
    }
}

/// Parses a product file. A syntax or shape error is one finding with its line.
pub fn parse_product_toml(text: &str) -> Result<RawProduct, Vec<Finding>> {
    let file: ProductFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        vec![finding("toml", line, e.message().to_string())]
    })?;
    let mut findings = Vec::new();
    let mut prices = Vec::new();
    for (index, p) in file.price.iter().enumerate() {
        let line = line_of(text, p.valid_from.span().start);
        match p
            .valid_from
            .get_ref()
            .date
            .as_ref()
            .filter(|_| p.valid_from.get_ref().time.is_none())
        {
            Some(d) => match NaiveDate::from_ymd_opt(
                i32::from(d.year),
                u32::from(d.month),
                u32::from(d.day),
            ) {
                Some(date) => prices.push((At { value: date, line }, at(text, &p.amount))),
                None => findings.push(finding(
                    &format!("price[{index}].valid_from"),
                    line,
                    "geen bestaande datum",
                )),
            },
            None => findings.push(finding(
                &format!("price[{index}].valid_from"),
                line,
                "verwacht een datum als 2026-01-01",
            )),
        }
    }
    if !findings.is_empty() {
        return Err(findings);
    }
    Ok(RawProduct {
        code: at(text, &file.code),
        provider: at(text, &file.provider),
        service: at(text, &file.service),
        name: at(text, &file.name),
        summary: at(text, &file.summary),
        description: at(text, &file.description),
        domain: at(text, &file.domain),
        target_groups: at(text, &file.target_groups),
        goal: at(text, &file.goal),
        output: at(text, &file.output),
        proof: at(text, &file.proof),
        duration_weeks: at(text, &file.duration_weeks),
        variant: at(text, &file.variant),
        unit: at(text, &file.unit),
        vat_category: at(text, &file.vat_category),
        vat_exemption_reason: file.vat_exemption_reason.as_ref().map(|r| at(text, r)),
        status: at(text, &file.status),
        milestones: file
            .milestone
            .iter()
            .map(|m| (at(text, &m.name), at(text, &m.share)))
            .collect(),
        prices,
    })
}

/// A TOML basic string.
pub fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The canonical file of a product.
pub fn product_to_toml(p: &ProductSpec) -> String {
    let mut out = String::new();
    let line = |out: &mut String, key: &str, value: String| {
        out.push_str(key);
        out.push_str(" = ");
        out.push_str(&value);
        out.push('\n');
    };
    line(&mut out, "code", toml_string(p.code.as_str()));
    line(&mut out, "provider", toml_string(&p.provider));
    line(&mut out, "service", toml_string(&p.service));
    line(&mut out, "name", toml_string(&p.name));
    line(&mut out, "summary", toml_string(&p.summary));
    line(&mut out, "description", toml_string(&p.description));
    line(&mut out, "domain", toml_string(&p.domain));
    let groups: Vec<String> = p.target_groups.iter().map(|g| toml_string(g)).collect();
    line(
        &mut out,
        "target_groups",
        format!("[{}]", groups.join(", ")),
    );
    line(&mut out, "goal", toml_string(&p.goal));
    line(&mut out, "output", toml_string(&p.output));
    line(&mut out, "proof", toml_string(&p.proof));
    line(&mut out, "duration_weeks", p.duration_weeks.to_string());
    line(&mut out, "variant", toml_string(p.variant.as_str()));
    line(&mut out, "unit", toml_string(p.unit.as_str()));
    line(
        &mut out,
        "vat_category",
        toml_string(p.vat_category.as_str()),
    );
    if let Some(reason) = &p.vat_exemption_reason {
        line(&mut out, "vat_exemption_reason", toml_string(reason));
    }
    line(&mut out, "status", toml_string(p.status.as_str()));
    for m in &p.milestones {
        out.push_str("\n[[milestone]]\n");
        line(&mut out, "name", toml_string(&m.name));
        line(
            &mut out,
            "share",
            toml_string(&m.share.normalize().to_string()),
        );
    }
    for price in &p.prices {
        out.push_str("\n[[price]]\n");
        line(
            &mut out,
            "valid_from",
            price.valid_from.format("%Y-%m-%d").to_string(),
        );
        line(&mut out, "amount", toml_string(&price.amount.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_status_round_trips_its_stored_strings() {
        use sea_orm::{ActiveEnum, Iterable};
        for s in ProductStatus::iter() {
            assert!(ProductStatus::ALL.contains(&s));
            assert_eq!(ProductStatus::parse(s.as_str()), Ok(s));
            assert_eq!(s.to_value(), s.as_str());
            assert_eq!(
                ProductStatus::try_from_value(&s.as_str().into()).ok(),
                Some(s)
            );
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert!(!s.label_nl().is_empty());
        }
        assert_eq!(ProductStatus::iter().count(), ProductStatus::ALL.len());
        assert!(ProductStatus::parse("Active").is_err());
    }

    const NAAR_WERK: &str = r#"code = "REI-NAARWERK"
provider = "WSD"
service = "naar-werk"
name = "Naar Werk"
summary = "Bemiddeling naar werk."
description = "Een traject."
domain = "participatie"
target_groups = ["bijstand", "jongeren"]
goal = "Werk."
output = "Plaatsing."
proof = "Arbeidsovereenkomst."
duration_weeks = 26
variant = "output"
unit = "traject"
vat_category = "exempt"
vat_exemption_reason = "Vrijgesteld"
status = "active"

[[milestone]]
name = "start"
share = "50"

[[milestone]]
name = "plaatsing"
share = "30"

[[milestone]]
name = "duurzame_plaatsing"
share = "20"

[[price]]
valid_from = 2025-01-01
amount = "4050.00"

[[price]]
valid_from = 2026-01-01
amount = "4200.00"
"#;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn groups() -> Known {
        Known {
            target_groups: set(&["bijstand", "jongeren", "wsw"]),
            providers: set(&["WSD", "WERKPAD"]),
            services: set(&["naar-werk", "werkfit"]),
        }
    }

    #[test]
    fn a_valid_file_round_trips_byte_for_byte() {
        let raw = parse_product_toml(NAAR_WERK).unwrap();
        let spec = validate(&raw, &groups()).unwrap();
        assert_eq!(spec.milestones.len(), 3);
        assert_eq!(
            spec.price_on(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            Some(Money::from_cents(420000))
        );
        assert_eq!(
            spec.price_on(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()),
            None
        );
        assert_eq!(product_to_toml(&spec), NAAR_WERK);
    }

    fn findings_for(text: &str) -> Vec<Finding> {
        match parse_product_toml(text) {
            Err(f) => f,
            Ok(raw) => validate(&raw, &groups()).err().unwrap_or_default(),
        }
    }

    #[test]
    fn each_broken_field_is_named_with_its_line() {
        let cases = [
            ("share = \"30\"", "share = \"35\"", "milestone", 21),
            (
                "amount = \"4200.00\"",
                "amount = \"-1.00\"",
                "price[1].amount",
                37,
            ),
            (
                "amount = \"4200.00\"",
                "amount = \"4200.001\"",
                "price[1].amount",
                37,
            ),
            (
                "target_groups = [\"bijstand\", \"jongeren\"]",
                "target_groups = [\"bijstand\", \"ouderen\"]",
                "target_groups",
                8,
            ),
            ("unit = \"traject\"", "unit = \"week\"", "unit", 14),
            (
                "domain = \"participatie\"",
                "domain = \"zorg\"",
                "domain",
                7,
            ),
            (
                "vat_exemption_reason = \"Vrijgesteld\"\n",
                "",
                "vat_exemption_reason",
                15,
            ),
            (
                "code = \"REI-NAARWERK\"",
                "code = \"rei naar werk\"",
                "code",
                1,
            ),
            (
                "valid_from = 2026-01-01",
                "valid_from = 2024-01-01",
                "price[1].valid_from",
                36,
            ),
            ("provider = \"WSD\"", "provider = \"ACME\"", "provider", 2),
            (
                "service = \"naar-werk\"",
                "service = \"kapper\"",
                "service",
                3,
            ),
            ("service = \"naar-werk\"", "service = \"\"", "service", 3),
        ];
        for (from, to, field, line) in cases {
            let broken = NAAR_WERK.replacen(from, to, 1);
            let findings = findings_for(&broken);
            assert!(
                findings.iter().any(|f| f.field == field && f.line == line),
                "{to}: expected {field} at line {line}, got {findings:?}"
            );
        }
    }

    #[test]
    fn syntax_errors_and_unknown_keys_have_a_line() {
        let findings = findings_for(&NAAR_WERK.replacen("goal = ", "goal == ", 1));
        assert_eq!(findings[0].line, 9, "{findings:?}");
        let findings = findings_for(&NAAR_WERK.replacen("goal = ", "doel = ", 1));
        assert_eq!(findings[0].field, "toml");
    }

    #[test]
    fn milestones_only_for_traject_and_variant_follows_unit() {
        let hourly = NAAR_WERK.replacen("unit = \"traject\"", "unit = \"uur\"", 1);
        let findings = findings_for(&hourly);
        assert!(
            findings.iter().any(|f| f.field == "variant"),
            "{findings:?}"
        );
        assert!(
            findings.iter().any(|f| f.field == "milestone"),
            "{findings:?}"
        );
    }

    #[test]
    fn a_product_file_names_its_provider_and_service() {
        let findings = findings_for(&NAAR_WERK.replacen("service = \"naar-werk\"\n", "", 1));
        assert_eq!(findings[0].field, "toml", "{findings:?}");
        assert!(findings[0].message.contains("service"), "{findings:?}");
        let spec = validate(&parse_product_toml(NAAR_WERK).unwrap(), &groups()).unwrap();
        assert_eq!(
            (spec.provider.as_str(), spec.service.as_str()),
            ("WSD", "naar-werk")
        );
    }

    #[test]
    fn service_codes_are_lower_case_words() {
        for good in ["diagnose", "naar-werk", "wmo-begeleiding", "jeugd2"] {
            assert_eq!(parse_service_code(good).as_deref(), Ok(good));
        }
        for bad in [
            "",
            "Diagnose",
            "naar werk",
            "-werk",
            "werk-",
            "naar--werk",
            "2werk",
        ] {
            assert!(parse_service_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strings_are_escaped_for_toml() {
        assert_eq!(toml_string("a \"b\" \\ c\n"), "\"a \\\"b\\\" \\\\ c\\n\"");
        let parsed: toml::Value =
            toml::from_str(&format!("x = {}", toml_string("é \"q\" \u{1}"))).unwrap();
        assert_eq!(parsed["x"].as_str(), Some("é \"q\" \u{1}"));
    }

    #[test]
    fn shares_convert_to_basis_points_and_back() {
        for text in ["50", "33.33", "0.01", "100"] {
            let share = parse_share(text).unwrap();
            assert_eq!(share_from_basis_points(share_to_basis_points(share)), share);
        }
        assert!(parse_share("33.333").is_err());
        assert!(parse_share("0").is_err());
        assert!(parse_share("1e2").is_err());
    }
}
