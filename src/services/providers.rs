//! Admitting providers (aanbieders) to the marketplace, editing them, and suspending or
//! reactivating them. Every field is checked before anything is written, and every error
//! names its field; a duplicate code or KvK number is refused inside the transaction.

use sea_orm::DatabaseConnection;

use crate::domain::principal::Principal;
use crate::domain::provider::{self as rules, ProviderStatus};
use crate::entities::provider;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::{self, now};

/// A provider's fields as typed or sent. `None` means "not given": required on
/// admission (except the optional ones), unchanged on an edit.
#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kvk: Option<String>,
    pub vat_number: Option<String>,
    /// The Peppol scheme; on admission 0106 (KvK) when left out.
    pub peppol_scheme: Option<String>,
    /// The Peppol id; on admission the KvK number when left out.
    pub peppol_id: Option<String>,
    pub iban: Option<String>,
    pub intake_email: Option<String>,
    /// On admission the intake address when left out.
    pub invoice_email: Option<String>,
    pub street: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    /// `active` or `suspended` (edits only; a new provider is active).
    pub status: Option<String>,
}

fn keep<T>(result: Result<T, rules::FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    result
        .map_err(|e| errors.push(FieldError::new(e.field, e.message)))
        .ok()
}

fn missing(field: &str, errors: &mut Vec<FieldError>) {
    errors.push(FieldError::new(field, "is verplicht"));
}

/// An optional address line: empty is allowed.
fn optional_text(field: &'static str, text: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    if text.trim().is_empty() {
        Some(String::new())
    } else {
        keep(rules::parse_text(field, text), errors)
    }
}

fn optional_postcode(text: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    if text.trim().is_empty() {
        Some(String::new())
    } else {
        keep(rules::parse_postcode(text), errors)
    }
}

/// Applies the given fields to `base` (the provider as it is, or an empty one on
/// admission), collecting every error.
fn apply(
    base: &mut provider::Model,
    input: &ProviderInput,
    admitting: bool,
    errors: &mut Vec<FieldError>,
) {
    if admitting {
        match &input.code {
            Some(code) => {
                if let Some(code) = keep(rules::parse_code(code), errors) {
                    base.code = code;
                }
            }
            None => missing("code", errors),
        }
    } else if input.code.as_ref().is_some_and(|c| c.trim() != base.code) {
        errors.push(FieldError::new(
            "code",
            "de code van een aanbieder verandert niet",
        ));
    }
    type Parse = fn(&str) -> Result<String, rules::FieldError>;
    let required: [(&'static str, &Option<String>, &mut String, Parse); 5] = [
        ("name", &input.name, &mut base.name, |t| {
            rules::parse_text("name", t)
        }),
        ("kvk", &input.kvk, &mut base.kvk, rules::parse_kvk),
        (
            "vat_number",
            &input.vat_number,
            &mut base.vat_number,
            rules::parse_vat_number,
        ),
        ("iban", &input.iban, &mut base.iban, rules::parse_iban),
        (
            "intake_email",
            &input.intake_email,
            &mut base.intake_email,
            |t| rules::parse_email("intake_email", t),
        ),
    ];
    for (field, given, target, parse) in required {
        match given {
            Some(text) => {
                if let Some(value) = keep(parse(text), errors) {
                    *target = value;
                }
            }
            None if admitting => missing(field, errors),
            None => {}
        }
    }
    if input.peppol_scheme.is_some() || input.peppol_id.is_some() || admitting {
        let scheme = input.peppol_scheme.clone().unwrap_or_else(|| {
            if admitting {
                "0106".into()
            } else {
                base.peppol_scheme.clone()
            }
        });
        let id = input
            .peppol_id
            .clone()
            .unwrap_or_else(|| base.peppol_id.clone());
        let id = if admitting && id.trim().is_empty() {
            base.kvk.clone()
        } else {
            id
        };
        // Without a usable KvK number there is no default id to check.
        if !(admitting && id.trim().is_empty()) {
            if let Some((scheme, id)) = keep(rules::parse_peppol(&scheme, &id), errors) {
                base.peppol_scheme = scheme;
                base.peppol_id = id;
            }
        }
    }
    match &input.invoice_email {
        Some(text) if !text.trim().is_empty() => {
            if let Some(email) = keep(rules::parse_email("invoice_email", text), errors) {
                base.invoice_email = email;
            }
        }
        _ if admitting => base.invoice_email = base.intake_email.clone(),
        _ => {}
    }
    if let Some(street) = &input.street {
        if let Some(v) = optional_text("street", street, errors) {
            base.street = v;
        }
    }
    if let Some(postcode) = &input.postcode {
        if let Some(v) = optional_postcode(postcode, errors) {
            base.postcode = v;
        }
    }
    if let Some(city) = &input.city {
        if let Some(v) = optional_text("city", city, errors) {
            base.city = v;
        }
    }
    if let Some(status) = &input.status {
        if admitting && status.trim() != "active" {
            errors.push(FieldError::new(
                "status",
                "een nieuwe aanbieder is toegelaten (active); schors hem daarna",
            ));
        } else {
            match ProviderStatus::parse(status) {
                Ok(s) => base.status = s,
                Err(m) => errors.push(FieldError::new("status", m)),
            }
        }
    }
}

/// An active provider with every field empty, for `apply` to fill in.
fn blank() -> provider::Model {
    provider::Model {
        code: String::new(),
        name: String::new(),
        kvk: String::new(),
        vat_number: String::new(),
        peppol_scheme: String::new(),
        peppol_id: String::new(),
        iban: String::new(),
        intake_email: String::new(),
        invoice_email: String::new(),
        street: String::new(),
        postcode: String::new(),
        city: String::new(),
        status: ProviderStatus::Active,
        demo_identifiers: false,
        created_at: now(),
        updated_at: now(),
    }
}

/// Admits a provider: active, with the given identity. 422 naming every wrong field, a
/// code or KvK number already in use included; nothing is written then.
pub async fn admit(
    db: &DatabaseConnection,
    actor: &Principal,
    input: ProviderInput,
) -> AppResult<provider::Model> {
    let mut model = blank();
    let mut errors = Vec::new();
    apply(&mut model, &input, true, &mut errors);
    let txn = store::db::begin_write(db).await?;
    if !model.code.is_empty() && store::providers::get(&txn, &model.code).await?.is_some() {
        errors.push(FieldError::new(
            "code",
            format!("er is al een aanbieder met code {}", model.code),
        ));
    }
    if !model.kvk.is_empty() {
        if let Some(other) = store::providers::find_by_kvk(&txn, &model.kvk).await? {
            errors.push(FieldError::new(
                "kvk",
                format!(
                    "KvK-nummer {} is al van aanbieder {} ({})",
                    model.kvk, other.name, other.code
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(
            "de aanbieder kan niet worden toegelaten",
            errors,
        ));
    }
    let model = store::providers::create(&txn, actor, model).await?;
    txn.commit().await?;
    Ok(model)
}

/// Edits a provider: any field but its code, its status included (a suspended provider
/// keeps its running trajectories and invoices but takes no new orders). Unknown → 404.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Principal,
    code: &str,
    input: ProviderInput,
) -> AppResult<provider::Model> {
    let txn = store::db::begin_write(db).await?;
    let before = store::providers::get(&txn, code)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut after = before.clone();
    let mut errors = Vec::new();
    apply(&mut after, &input, false, &mut errors);
    if after.kvk != before.kvk {
        if let Some(other) = store::providers::find_by_kvk(&txn, &after.kvk).await? {
            errors.push(FieldError::new(
                "kvk",
                format!(
                    "KvK-nummer {} is al van aanbieder {} ({})",
                    after.kvk, other.name, other.code
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(
            "de aanbieder kan niet worden gewijzigd",
            errors,
        ));
    }
    if after == before {
        return Ok(before);
    }
    after.updated_at = now();
    let after = store::providers::update(&txn, actor, &before, after).await?;
    txn.commit().await?;
    Ok(after)
}

/// Suspends or reactivates a provider.
pub async fn set_status(
    db: &DatabaseConnection,
    actor: &Principal,
    code: &str,
    status: ProviderStatus,
) -> AppResult<provider::Model> {
    let status = match status {
        ProviderStatus::Active => "active",
        ProviderStatus::Suspended => "suspended",
    };
    update(
        db,
        actor,
        code,
        ProviderInput {
            status: Some(status.into()),
            ..ProviderInput::default()
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> provider::Model {
        blank()
    }

    fn werkpad() -> ProviderInput {
        ProviderInput {
            code: Some("WERKPAD".into()),
            name: Some("Werkpad Brabant B.V.".into()),
            kvk: Some("12345678".into()),
            vat_number: Some("nl123456789b01".into()),
            iban: Some("NL91 ABNA 0417 1643 00".into()),
            intake_email: Some("Intake@Werkpad.example".into()),
            ..ProviderInput::default()
        }
    }

    #[test]
    fn an_admission_without_peppol_id_or_invoice_address_takes_the_kvk_and_intake() {
        let mut p = empty();
        let mut errors = Vec::new();
        apply(&mut p, &werkpad(), true, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            (p.peppol_scheme.as_str(), p.peppol_id.as_str()),
            ("0106", "12345678")
        );
        assert_eq!(p.invoice_email, p.intake_email);
        assert_eq!(p.iban, "NL91ABNA0417164300");
        assert_eq!(p.vat_number, "NL123456789B01");
    }

    #[test]
    fn an_edit_changes_only_what_is_given_and_never_the_code() {
        let mut p = empty();
        apply(&mut p, &werkpad(), true, &mut Vec::new());
        let before = p.clone();
        let mut errors = Vec::new();
        let edit = ProviderInput {
            city: Some("Tilburg".into()),
            status: Some("suspended".into()),
            ..ProviderInput::default()
        };
        apply(&mut p, &edit, false, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(p.city, "Tilburg");
        assert_eq!(p.status, ProviderStatus::Suspended);
        assert_eq!(p.kvk, before.kvk);
        let rename = ProviderInput {
            code: Some("ANDERS".into()),
            ..ProviderInput::default()
        };
        apply(&mut p, &rename, false, &mut errors);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "code");
        assert_eq!(p.code, "WERKPAD");
    }

    #[test]
    fn a_new_provider_cannot_start_suspended() {
        let mut input = werkpad();
        input.status = Some("suspended".into());
        let mut errors = Vec::new();
        apply(&mut empty(), &input, true, &mut errors);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "status");
    }
}
