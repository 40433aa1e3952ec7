//! Saving cost-price scenarios of the calculator (pricing staff); the calculator's figures
//! are read in `views::reports`.

use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::domain::money::Money;
use crate::domain::principal::Principal;
use crate::domain::quantity::Quantity;
use crate::domain::reports::CostInputs;
use crate::entities::cost_scenario;
use crate::error::{AppError, AppResult};
use crate::store::{self, new_id, now};

/// A scenario to save.
#[derive(Debug, Clone)]
pub struct NewScenario {
    pub product_code: String,
    pub name: String,
    pub inputs: CostInputs,
    pub note: Option<String>,
}

fn scenario_json(s: &cost_scenario::Model) -> serde_json::Value {
    json!({
        "product_code": s.product_code,
        "name": s.name,
        "fixed_costs": Money::from_cents(s.fixed_costs_cents).to_string(),
        "variable_cost": Money::from_cents(s.variable_cost_cents).to_string(),
        "expected_volume": Quantity::from_thousandths(s.expected_volume_thousandths).to_string(),
        "note": s.note,
    })
}

/// Saves a scenario; one with the same product and name is replaced. Audited with before and
/// after, in the same transaction. Answers the scenario's id.
pub async fn save_scenario(
    db: &DatabaseConnection,
    principal: &Principal,
    input: NewScenario,
) -> AppResult<String> {
    let name = input.name.trim().to_string();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(crate::error::FieldError::new(
            "name",
            "geef het scenario een naam van hoogstens 100 tekens",
        ));
    }
    if input.inputs.fixed.is_negative() {
        errors.push(crate::error::FieldError::new(
            "fixed_costs",
            "vaste kosten kunnen niet negatief zijn",
        ));
    }
    if input.inputs.variable.is_negative() {
        errors.push(crate::error::FieldError::new(
            "variable_cost",
            "variabele kosten kunnen niet negatief zijn",
        ));
    }
    let volume = Quantity::try_from_decimal(input.inputs.expected_volume).ok();
    if volume.is_none_or(|v| v.is_zero() || v.is_negative()) {
        errors.push(crate::error::FieldError::new(
            "expected_volume",
            "het verwachte volume moet groter dan nul zijn, met hoogstens drie decimalen",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation("scenario niet opgeslagen", errors));
    }
    let volume = volume.unwrap_or_default();
    if store::catalogue::get(db, &input.product_code)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    let txn = store::db::begin_write(db).await?;
    let before =
        store::reports::cost_scenario_named(&txn, principal, &input.product_code, &name).await?;
    let model = cost_scenario::Model {
        id: before.as_ref().map(|b| b.id.clone()).unwrap_or_else(new_id),
        product_code: input.product_code.clone(),
        name,
        fixed_costs_cents: input.inputs.fixed.to_cents(),
        variable_cost_cents: input.inputs.variable.to_cents(),
        expected_volume_thousandths: volume.to_thousandths(),
        note: input
            .note
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        updated_by: principal.actor(),
        created_at: before.as_ref().map(|b| b.created_at).unwrap_or_else(now),
        updated_at: now(),
    };
    store::reports::put_cost_scenario(&txn, principal, model.clone(), before.is_some()).await?;
    store::audit::append(
        &txn,
        principal,
        if before.is_some() {
            "cost_scenario.update"
        } else {
            "cost_scenario.create"
        },
        "cost_scenario",
        &model.id,
        before.as_ref().map(scenario_json),
        Some(scenario_json(&model)),
    )
    .await?;
    txn.commit().await?;
    Ok(model.id)
}
