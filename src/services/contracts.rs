//! Contract specifications: creating, editing lines, amendments on active contracts,
//! activation, and the yearly copy with indexation. Every change is audited.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde_json::{json, Value};

use crate::domain::contract::{periods_overlap, ContractStatus};
use crate::domain::money::Money;
use crate::domain::pricing::index_price;
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
use crate::domain::settlement::{Arrangement, ArrangementInput, SettlementForm};
use crate::entities::{contract, contract_line, contract_line_price, product, provider};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::{self, new_id, now};

/// The fields of a new contract.
#[derive(Debug, Clone)]
pub struct NewContract {
    pub municipality: String,
    pub name: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub budget_ceiling: Option<Money>,
    /// How the contract settles; product price when nothing is said.
    pub settlement: ArrangementInput,
}

/// A line as pricing staff set it: everything optional but the product.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub price: Option<Money>,
    pub volume_cap: Option<Quantity>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// For an active contract: the date the change takes effect.
    pub effective_from: Option<NaiveDate>,
}

pub fn contract_json(c: &contract::Model) -> Value {
    json!({
        "municipality": c.municipality_code,
        "provider": c.provider_code,
        "name": c.name,
        "valid_from": c.valid_from,
        "valid_to": c.valid_to,
        "status": c.status,
        "budget_ceiling": c.budget_ceiling_cents.map(|v| Money::from_cents(v).to_string()),
        "settlement": c.settlement,
        "guaranteed_amount": c.guaranteed_amount_cents.map(|v| Money::from_cents(v).to_string()),
        "budget_amount": c.budget_amount_cents.map(|v| Money::from_cents(v).to_string()),
        "advance_schedule": c.advance_schedule,
        "refund_unused": c.refund_unused,
    })
}

use crate::store::contracts::arrangement_input_of;
pub use crate::store::contracts::{arrangement_input, arrangement_of};

/// All arrangement errors at once, each on its field.
pub(crate) fn arrangement_error(errors: Vec<(&'static str, String)>) -> AppError {
    AppError::validation(
        "de afrekenvorm van het contract is niet geldig",
        errors
            .into_iter()
            .map(|(field, message)| FieldError::new(field, message))
            .collect(),
    )
}

/// Sets the arrangement's columns on a contract row.
fn set_arrangement(c: &mut contract::Model, arrangement: &Arrangement) {
    let (guaranteed, budget, schedule, refund) = arrangement.columns();
    c.settlement = arrangement.form();
    c.guaranteed_amount_cents = guaranteed;
    c.budget_amount_cents = budget;
    c.advance_schedule = schedule;
    c.refund_unused = refund;
}

/// A true-up or an advance follows the VAT of the supply it pays for, so a contract on a
/// volume guarantee or a budget buys products of one VAT category (422 on `field`, naming
/// the products that differ). `extra` is a product about to be added.
async fn check_one_vat_category<C: ConnectionTrait>(
    db: &C,
    c: &contract::Model,
    extra: Option<&str>,
    field: &'static str,
) -> AppResult<()> {
    if c.settlement == SettlementForm::ProductPrice {
        return Ok(());
    }
    let mut codes: Vec<String> = store::contracts::lines(db, &c.id)
        .await?
        .into_iter()
        .map(|l| l.product_code)
        .collect();
    codes.extend(extra.map(str::to_string));
    let mut by_category: std::collections::BTreeMap<&'static str, Vec<String>> =
        std::collections::BTreeMap::new();
    for code in codes {
        if let Some(p) = product::Entity::find_by_id(code.clone()).one(db).await? {
            by_category
                .entry(p.vat_category.label_nl())
                .or_default()
                .push(code);
        }
    }
    if by_category.len() <= 1 {
        return Ok(());
    }
    let listed: Vec<String> = by_category
        .iter()
        .map(|(label, codes)| format!("{label}: {}", codes.join(", ")))
        .collect();
    Err(AppError::field(
        field,
        format!(
            "een contract met {} koopt producten van één btw-soort, omdat aanvulling en voorschot de btw volgen van de diensten die ze betalen; nu gemengd ({})",
            c.settlement.label_nl(),
            listed.join("; ")
        ),
    ))
}

fn line_json(l: &contract_line::Model, price: Option<Money>) -> Value {
    json!({
        "product_code": l.product_code,
        "price": price.map(|p| p.to_string()),
        "volume_cap": l.volume_cap_thousandths.map(|v| Quantity::from_thousandths(v).to_string()),
        "valid_from": l.valid_from,
        "valid_to": l.valid_to,
    })
}

/// No two contracts of one municipality with one provider overlap; a municipality may
/// hold contracts with several providers in the same period.
async fn check_period<C: ConnectionTrait>(
    db: &C,
    municipality: &str,
    provider: &str,
    from: NaiveDate,
    to: NaiveDate,
    except: Option<&str>,
) -> AppResult<()> {
    if to < from {
        return Err(AppError::field(
            "valid_to",
            "de einddatum ligt vóór de begindatum",
        ));
    }
    for other in store::contracts::of_municipality(db, municipality).await? {
        // A municipality may hold contracts with several providers in the same period.
        if Some(other.id.as_str()) != except
            && other.provider_code == provider
            && periods_overlap((from, to), (other.valid_from, other.valid_to))
        {
            return Err(AppError::field(
                "valid_from",
                format!(
                    "deze periode overlapt met contract {} ({} t/m {}) van dezelfde gemeente en aanbieder",
                    other.name,
                    crate::domain::period::format_date_nl(other.valid_from),
                    crate::domain::period::format_date_nl(other.valid_to)
                ),
            ));
        }
    }
    Ok(())
}

/// The provider a new contract is with: a provider's pricing staff make contracts for
/// their own provider only; an administrator names one. 422 on `provider` otherwise.
async fn contract_provider<C: ConnectionTrait>(
    db: &C,
    actor: &Principal,
    named: Option<&str>,
) -> AppResult<provider::Model> {
    let named = named.map(str::trim).filter(|p| !p.is_empty());
    let code = if actor.role.needs_provider() {
        let own = actor.provider.as_deref().ok_or_else(|| {
            AppError::field(
                "provider",
                "uw account hoort bij geen aanbieder; vraag de beheerder om het te koppelen",
            )
        })?;
        if let Some(other) = named.filter(|n| *n != own) {
            return Err(AppError::field(
                "provider",
                format!("u werkt voor aanbieder {own} en kunt geen contract voor {other} maken"),
            ));
        }
        own
    } else {
        named.ok_or_else(|| {
            AppError::field(
                "provider",
                "kies de aanbieder met wie de gemeente het contract sluit (bijvoorbeeld WSD)",
            )
        })?
    };
    store::providers::get(db, code)
        .await?
        .ok_or_else(|| AppError::field("provider", format!("onbekende aanbieder {code}")))
}

/// Creates a draft contract between a municipality and the caller's provider.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Principal,
    new: NewContract,
) -> AppResult<contract::Model> {
    create_with_provider(db, actor, new, None).await
}

/// Creates a draft contract between a municipality and a provider: the caller's own for
/// a provider's pricing staff (`provider`, when given, must be that one), the named one
/// for an administrator.
pub async fn create_with_provider(
    db: &DatabaseConnection,
    actor: &Principal,
    new: NewContract,
    provider: Option<&str>,
) -> AppResult<contract::Model> {
    if new.budget_ceiling.is_some_and(|b| b.is_negative()) {
        return Err(AppError::field(
            "budget_ceiling",
            "het budgetplafond kan niet negatief zijn",
        ));
    }
    let arrangement = Arrangement::new(&new.settlement, new.valid_from, new.valid_to)
        .map_err(arrangement_error)?;
    let txn = store::db::begin_write(db).await?;
    let municipality = store::municipalities::get(&txn, &new.municipality)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "municipality",
                format!("onbekende gemeente {}", new.municipality),
            )
        })?;
    let provider = contract_provider(&txn, actor, provider).await?;
    check_period(
        &txn,
        &municipality.code,
        &provider.code,
        new.valid_from,
        new.valid_to,
        None,
    )
    .await?;
    let mut model = contract::Model {
        id: new_id(),
        municipality_code: municipality.code.clone(),
        name: new
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                format!(
                    "Contractspecificatie {} {}",
                    municipality.name,
                    new.valid_from.year()
                )
            }),
        valid_from: new.valid_from,
        valid_to: new.valid_to,
        status: ContractStatus::Draft,
        budget_ceiling_cents: new.budget_ceiling.map(|b| b.to_cents()),
        version: 1,
        lock_seq: 0,
        created_at: now(),
        activated_at: None,
        provider_code: provider.code.clone(),
        settlement: SettlementForm::ProductPrice,
        guaranteed_amount_cents: None,
        budget_amount_cents: None,
        advance_schedule: None,
        refund_unused: false,
    };
    set_arrangement(&mut model, &arrangement);
    contract::Entity::insert(contract::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    store::audit::append(
        &txn,
        actor,
        "contract.create",
        "contract",
        &model.id,
        None,
        Some(contract_json(&model)),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Changes to the contract itself: name, dates (draft only), budget ceiling, status.
#[derive(Debug, Clone, Default)]
pub struct ContractPatch {
    pub name: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub budget_ceiling: Option<Option<Money>>,
    pub status: Option<ContractStatus>,
    /// Settlement fields to change (draft only); the others keep their stored value.
    pub settlement: Option<SettlementPatch>,
}

/// The settlement fields a patch names; absent ones keep their stored value. Changing the
/// form drops the amounts of the old form.
#[derive(Debug, Clone, Default)]
pub struct SettlementPatch {
    pub form: Option<SettlementForm>,
    pub guaranteed_amount: Option<Money>,
    pub budget_amount: Option<Money>,
    pub advance_schedule: Option<crate::domain::settlement::AdvanceSchedule>,
    pub refund_unused: Option<bool>,
}

impl SettlementPatch {
    /// The input after this patch: a new form starts from none of the old amounts.
    pub fn applied_to(&self, stored: ArrangementInput) -> ArrangementInput {
        let mut input = match self.form {
            Some(form) if form != stored.form => ArrangementInput {
                form,
                ..Default::default()
            },
            _ => stored,
        };
        input.guaranteed_amount = self.guaranteed_amount.or(input.guaranteed_amount);
        input.budget_amount = self.budget_amount.or(input.budget_amount);
        input.advance_schedule = self.advance_schedule.or(input.advance_schedule);
        input.refund_unused = self.refund_unused.or(input.refund_unused);
        if input.form != SettlementForm::Budget && input.refund_unused == Some(false) {
            input.refund_unused = None;
        }
        input
    }
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Principal,
    id: &str,
    patch: ContractPatch,
    if_match: Option<i32>,
) -> AppResult<contract::Model> {
    let txn = store::db::begin_write(db).await?;
    let before = store::contracts::get(&txn, actor, id).await?;
    if if_match.is_some_and(|v| v != before.version) {
        return Err(AppError::PreconditionFailed);
    }
    let status = before.status;
    let mut after = before.clone();
    if let Some(name) = patch.name {
        if name.trim().is_empty() {
            return Err(AppError::field("name", "naam is leeg"));
        }
        after.name = name.trim().to_string();
    }
    if patch.valid_from.is_some() || patch.valid_to.is_some() {
        if status != ContractStatus::Draft {
            return Err(AppError::Conflict(
                "de periode van een actief contract verandert niet; maak een nieuw contract".into(),
            ));
        }
        after.valid_from = patch.valid_from.unwrap_or(after.valid_from);
        after.valid_to = patch.valid_to.unwrap_or(after.valid_to);
        check_period(
            &txn,
            &after.municipality_code,
            &after.provider_code,
            after.valid_from,
            after.valid_to,
            Some(id),
        )
        .await?;
    }
    if let Some(settlement) = &patch.settlement {
        let wanted = Arrangement::new(
            &settlement.applied_to(arrangement_input(&before)),
            after.valid_from,
            after.valid_to,
        )
        .map_err(arrangement_error)?;
        if wanted != arrangement_of(&before)? {
            if status != ContractStatus::Draft {
                return Err(AppError::Conflict(
                    "de afrekenvorm en haar bedragen liggen vast zodra het contract actief is; maak voor andere afspraken een nieuw contract".into(),
                ));
            }
            set_arrangement(&mut after, &wanted);
            check_one_vat_category(&txn, &after, None, "settlement").await?;
        }
    } else if patch.valid_from.is_some() || patch.valid_to.is_some() {
        // New dates can make a budget's instalments impossible.
        Arrangement::new(&arrangement_input(&after), after.valid_from, after.valid_to)
            .map_err(arrangement_error)?;
    }
    if let Some(ceiling) = patch.budget_ceiling {
        if ceiling.is_some_and(|c| c.is_negative()) {
            return Err(AppError::field(
                "budget_ceiling",
                "het budgetplafond kan niet negatief zijn",
            ));
        }
        after.budget_ceiling_cents = ceiling.map(|c| c.to_cents());
    }
    if let Some(to) = patch.status.filter(|s| *s != status) {
        let next = status.transition(to)?;
        if next == ContractStatus::Active {
            if store::contracts::lines(&txn, id).await?.is_empty() {
                return Err(AppError::field(
                    "status",
                    "een contract zonder producten kan niet actief worden",
                ));
            }
            after.activated_at = Some(now());
        }
        after.status = next;
    }
    after.version = before.version + 1;
    let result = contract::Entity::update_many()
        .set(contract::ActiveModel::from(after.clone()).reset_all())
        .filter(contract::Column::Id.eq(id))
        .filter(contract::Column::Version.eq(before.version))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::PreconditionFailed);
    }
    store::audit::append(
        &txn,
        actor,
        "contract.update",
        "contract",
        id,
        Some(contract_json(&before)),
        Some(contract_json(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// A contract line holds only products of the contract's provider: 422 on the product,
/// naming both providers.
async fn check_product_provider<C: ConnectionTrait>(
    db: &C,
    c: &contract::Model,
    product_code: &str,
) -> AppResult<()> {
    let Some(row) = product::Entity::find_by_id(product_code.to_string())
        .one(db)
        .await?
    else {
        return Err(AppError::field(
            "product_code",
            format!("onbekend product {product_code}"),
        ));
    };
    if row.provider_code == c.provider_code {
        return Ok(());
    }
    let name = |code: String| async move {
        Ok::<_, AppError>(match store::providers::get(db, &code).await? {
            Some(p) => format!("{} ({})", p.name, p.code),
            None => code,
        })
    };
    Err(AppError::field(
        "product_code",
        format!(
            "product {product_code} is van aanbieder {}, maar dit contract is met aanbieder {}; een contract bevat alleen producten van zijn eigen aanbieder",
            name(row.provider_code.clone()).await?,
            name(c.provider_code.clone()).await?,
        ),
    ))
}

async fn bump_version<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<()> {
    contract::Entity::update_many()
        .col_expr(
            contract::Column::Version,
            Expr::col(contract::Column::Version).add(1),
        )
        .filter(contract::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

use sea_orm::ExprTrait;

/// Adds or changes the line of a product. On a draft the line is simply set; on an active
/// contract a price change is an amendment from `effective_from`, and the earlier price
/// stays in the line's history.
pub async fn put_line(
    db: &DatabaseConnection,
    actor: &Principal,
    id: &str,
    product_code: &str,
    input: LineInput,
) -> AppResult<contract_line::Model> {
    let mut errors = Vec::new();
    if input.price.is_some_and(|p| p.is_negative()) {
        errors.push(FieldError::new("price", "een prijs kan niet negatief zijn"));
    }
    if input
        .volume_cap
        .is_some_and(|c| c.is_negative() || c.is_zero())
    {
        errors.push(FieldError::new(
            "volume_cap",
            "een volumeplafond is groter dan nul",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(
            "de contractregel is niet geldig",
            errors,
        ));
    }
    let txn = store::db::begin_write(db).await?;
    let c = store::contracts::get(&txn, actor, id).await?;
    let status = c.status;
    if status == ContractStatus::Ended {
        return Err(AppError::Conflict(
            "een beëindigd contract verandert niet meer".into(),
        ));
    }
    let product = store::catalogue::get(&txn, product_code)
        .await?
        .ok_or_else(|| {
            AppError::field("product_code", format!("onbekend product {product_code}"))
        })?;
    check_product_provider(&txn, &c, product_code).await?;
    check_one_vat_category(&txn, &c, Some(product_code), "product_code").await?;
    let existing = store::contracts::lines(&txn, id)
        .await?
        .into_iter()
        .find(|l| l.product_code == product_code);
    let effective = match status {
        ContractStatus::Draft => None,
        _ => Some(input.effective_from.ok_or_else(|| {
            AppError::field(
                "effective_from",
                "een wijziging van een actief contract heeft een ingangsdatum",
            )
        })?),
    };
    if let Some(e) = effective {
        if e < c.valid_from || e > c.valid_to {
            return Err(AppError::field(
                "effective_from",
                "de ingangsdatum ligt buiten de looptijd van het contract",
            ));
        }
    }
    let valid_from = input
        .valid_from
        .or(existing.as_ref().map(|l| l.valid_from))
        .or(effective)
        .unwrap_or(c.valid_from);
    let valid_to = input
        .valid_to
        .or(existing.as_ref().map(|l| l.valid_to))
        .unwrap_or(c.valid_to);
    if valid_to < valid_from {
        return Err(AppError::field(
            "valid_to",
            "de einddatum van de regel ligt vóór de begindatum",
        ));
    }
    if valid_from < c.valid_from || valid_to > c.valid_to {
        return Err(AppError::field(
            "valid_from",
            "de data van de regel liggen buiten de looptijd van het contract",
        ));
    }
    let price = match input.price {
        Some(p) => Some(p),
        None if existing.is_none() => Some(product.spec.price_on(valid_from).ok_or_else(|| {
            AppError::field(
                "price",
                format!("{product_code} heeft geen lijstprijs op {valid_from}; geef een prijs op"),
            )
        })?),
        None => None,
    };
    let line = contract_line::Model {
        id: existing
            .as_ref()
            .map(|l| l.id.clone())
            .unwrap_or_else(new_id),
        contract_id: id.to_string(),
        product_code: product_code.to_string(),
        volume_cap_thousandths: match (&input.volume_cap, &existing) {
            (Some(cap), _) => Some(cap.to_thousandths()),
            (None, Some(l)) => l.volume_cap_thousandths,
            (None, None) => None,
        },
        valid_from,
        valid_to,
        created_at: existing.as_ref().map(|l| l.created_at).unwrap_or_else(now),
    };
    let before = match &existing {
        Some(l) => {
            let terms = store::contracts::line_terms(&txn, l).await?;
            Some(line_json(l, terms.prices.last().map(|p| p.1)))
        }
        None => None,
    };
    if existing.is_some() {
        contract_line::Entity::update(contract_line::ActiveModel::from(line.clone()).reset_all())
            .exec(&txn)
            .await?;
    } else {
        contract_line::Entity::insert(contract_line::ActiveModel::from(line.clone()))
            .exec_without_returning(&txn)
            .await?;
    }
    if let Some(price) = price {
        let from = match (existing.is_some(), effective) {
            (_, Some(e)) if existing.is_some() => e,
            _ => valid_from,
        };
        // A draft line has one price: replace it. An amendment adds a dated price.
        if status == ContractStatus::Draft {
            contract_line_price::Entity::delete_many()
                .filter(contract_line_price::Column::ContractLineId.eq(line.id.clone()))
                .exec(&txn)
                .await?;
        } else {
            contract_line_price::Entity::delete_many()
                .filter(contract_line_price::Column::ContractLineId.eq(line.id.clone()))
                .filter(contract_line_price::Column::EffectiveFrom.eq(from))
                .exec(&txn)
                .await?;
        }
        contract_line_price::Entity::insert(contract_line_price::ActiveModel::from(
            contract_line_price::Model {
                contract_line_id: line.id.clone(),
                effective_from: from,
                price_cents: price.to_cents(),
                created_at: now(),
                created_by: actor.actor(),
            },
        ))
        .exec_without_returning(&txn)
        .await?;
    }
    bump_version(&txn, id).await?;
    let action = match (status, existing.is_some()) {
        (ContractStatus::Draft, false) => "contract.line.add",
        (ContractStatus::Draft, true) => "contract.line.update",
        (_, false) => "contract.amend.add_line",
        (_, true) => "contract.amend.line",
    };
    let mut after = line_json(&line, price);
    if let Some(e) = effective {
        after["effective_from"] = json!(e);
    }
    store::audit::append(&txn, actor, action, "contract", id, before, Some(after)).await?;
    txn.commit().await?;
    Ok(line)
}

/// Removes a product from a draft, or (amendment) ends its line on an active contract the
/// day before `effective_from`. Orders already placed keep their locked price.
pub async fn remove_line(
    db: &DatabaseConnection,
    actor: &Principal,
    id: &str,
    product_code: &str,
    effective_from: Option<NaiveDate>,
) -> AppResult<()> {
    let txn = store::db::begin_write(db).await?;
    let c = store::contracts::get(&txn, actor, id).await?;
    let line = store::contracts::lines(&txn, id)
        .await?
        .into_iter()
        .find(|l| l.product_code == product_code)
        .ok_or(AppError::NotFound)?;
    let before = line_json(&line, None);
    match c.status {
        ContractStatus::Draft => {
            contract_line_price::Entity::delete_many()
                .filter(contract_line_price::Column::ContractLineId.eq(line.id.clone()))
                .exec(&txn)
                .await?;
            contract_line::Entity::delete_by_id(line.id.clone())
                .exec(&txn)
                .await?;
            store::audit::append(
                &txn,
                actor,
                "contract.line.remove",
                "contract",
                id,
                Some(before),
                None,
            )
            .await?;
        }
        ContractStatus::Active => {
            let effective = effective_from.ok_or_else(|| {
                AppError::field(
                    "effective_from",
                    "het beëindigen van een regel van een actief contract heeft een ingangsdatum",
                )
            })?;
            let last_day = effective.pred_opt().unwrap_or(effective);
            if effective <= line.valid_from || effective > c.valid_to {
                return Err(AppError::field(
                    "effective_from",
                    "de ingangsdatum ligt niet binnen de looptijd van de regel",
                ));
            }
            let ended = contract_line::Model {
                valid_to: last_day,
                ..line
            };
            contract_line::Entity::update(
                contract_line::ActiveModel::from(ended.clone()).reset_all(),
            )
            .exec(&txn)
            .await?;
            store::audit::append(
                &txn,
                actor,
                "contract.amend.end_line",
                "contract",
                id,
                Some(before),
                Some(line_json(&ended, None)),
            )
            .await?;
        }
        ContractStatus::Ended => {
            return Err(AppError::Conflict(
                "een beëindigd contract verandert niet meer".into(),
            ))
        }
    }
    bump_version(&txn, id).await?;
    txn.commit().await?;
    Ok(())
}

/// The yearly routine: copies a contract into the next period as a draft, every agreed
/// price (as valid at the end of the source) indexed by `percent` and rounded to cents.
pub async fn copy_with_indexation(
    db: &DatabaseConnection,
    actor: &Principal,
    source_id: &str,
    percent: Decimal,
) -> AppResult<contract::Model> {
    if percent < Decimal::from(-50) || percent > Decimal::from(100) || percent.scale() > 3 {
        return Err(AppError::field(
            "indexation_percent",
            "indexatie tussen -50 en 100 procent, met hoogstens drie decimalen",
        ));
    }
    let txn = store::db::begin_write(db).await?;
    let source = store::contracts::get(&txn, actor, source_id).await?;
    let shift = |d: NaiveDate| d.checked_add_months(chrono::Months::new(12)).unwrap_or(d);
    let (from, to) = (shift(source.valid_from), shift(source.valid_to));
    check_period(
        &txn,
        &source.municipality_code,
        &source.provider_code,
        from,
        to,
        None,
    )
    .await?;
    let copy = contract::Model {
        id: new_id(),
        municipality_code: source.municipality_code.clone(),
        name: source.name.replace(
            &source.valid_from.year().to_string(),
            &from.year().to_string(),
        ),
        valid_from: from,
        valid_to: to,
        status: ContractStatus::Draft,
        budget_ceiling_cents: source.budget_ceiling_cents,
        version: 1,
        lock_seq: 0,
        created_at: now(),
        activated_at: None,
        provider_code: source.provider_code.clone(),
        settlement: SettlementForm::ProductPrice,
        guaranteed_amount_cents: None,
        budget_amount_cents: None,
        advance_schedule: None,
        refund_unused: false,
    };
    // The copy keeps the settlement form; a guarantee or budget is indexed like the prices.
    let arrangement = arrangement_of(&source)?.indexed(percent);
    Arrangement::new(&arrangement_input_of(&arrangement), from, to).map_err(arrangement_error)?;
    let mut copy = copy;
    set_arrangement(&mut copy, &arrangement);
    contract::Entity::insert(contract::ActiveModel::from(copy.clone()))
        .exec_without_returning(&txn)
        .await?;
    let mut copied = Vec::new();
    for line in store::contracts::lines(&txn, source_id).await? {
        let terms = store::contracts::line_terms(&txn, &line).await?;
        let Some(last_price) = terms.prices.last().map(|p| p.1) else {
            continue;
        };
        let new_line = contract_line::Model {
            id: new_id(),
            contract_id: copy.id.clone(),
            product_code: line.product_code.clone(),
            volume_cap_thousandths: line.volume_cap_thousandths,
            valid_from: Ord::max(shift(line.valid_from), from),
            valid_to: Ord::min(shift(line.valid_to), to),
            created_at: now(),
        };
        let price = index_price(last_price, percent);
        contract_line::Entity::insert(contract_line::ActiveModel::from(new_line.clone()))
            .exec_without_returning(&txn)
            .await?;
        contract_line_price::Entity::insert(contract_line_price::ActiveModel::from(
            contract_line_price::Model {
                contract_line_id: new_line.id.clone(),
                effective_from: new_line.valid_from,
                price_cents: price.to_cents(),
                created_at: now(),
                created_by: actor.actor(),
            },
        ))
        .exec_without_returning(&txn)
        .await?;
        copied.push(json!({"product_code": line.product_code, "from": last_price.to_string(), "to": price.to_string()}));
    }
    let mut after = contract_json(&copy);
    after["copied_from"] = json!(source_id);
    after["indexation_percent"] = json!(percent.to_string());
    after["lines"] = json!(copied);
    store::audit::append(
        &txn,
        actor,
        "contract.copy",
        "contract",
        &copy.id,
        None,
        Some(after),
    )
    .await?;
    txn.commit().await?;
    Ok(copy)
}
