//! The audit log as read by administrators, finance and the product history.

use sea_orm::DatabaseConnection;

use crate::entities::audit_event;
use crate::error::AppResult;
use crate::store;

/// One event of the hash-chained log; before and after as the JSON text stored.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<audit_event::Model> for AuditEntry {
    fn from(e: audit_event::Model) -> Self {
        AuditEntry {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            before: e.before,
            after: e.after,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Events oldest first after a sequence number, optionally of one kind of entity and from
/// an instant (RFC 3339 text) on; one query.
pub async fn list(
    db: &DatabaseConnection,
    principal: &crate::domain::principal::Principal,
    entity: Option<&str>,
    since: Option<&str>,
    after_seq: i64,
    limit: u64,
) -> AppResult<Vec<AuditEntry>> {
    Ok(
        store::audit::list(db, principal, entity, since, after_seq, limit)
            .await?
            .into_iter()
            .map(AuditEntry::from)
            .collect(),
    )
}

/// The events of one record, newest first.
pub async fn for_entity(
    db: &DatabaseConnection,
    entity: &str,
    entity_id: &str,
    limit: u64,
) -> AppResult<Vec<AuditEntry>> {
    Ok(store::audit::for_entity(db, entity, entity_id, limit)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect())
}

/// What an audit action means, in Dutch, for the pages that show a history (the API keeps
/// the action codes). An unknown code is shown as it is.
pub fn action_label(action: &str) -> &str {
    match action {
        "api_token.create" => "API-token aangemaakt",
        "api_token.revoke" => "API-token ingetrokken",
        "budget_ledger.manual" => "budgetboeking met de hand",
        "client.create" => "klant geregistreerd",
        "client.view" => "klant ingezien",
        "contract.copy" => "contract gekopieerd naar het volgende jaar",
        "contract.create" => "contract aangemaakt",
        "contract.update" => "contract gewijzigd",
        "cost_scenario.create" => "kostprijsscenario opgeslagen",
        "cost_scenario.update" => "kostprijsscenario gewijzigd",
        "invoice.credit" => "gecrediteerd",
        "invoice.discard" => "concept weggegooid",
        "invoice.draft" => "concept gemaakt",
        "invoice.finalise" => "definitief gemaakt",
        "invoice.sent" => "verzonden",
        "invoice.paid" => "betaald",
        "invoice_run.run" => "factuurrun",
        "municipality.import" => "gemeente ingelezen",
        "price.add" => "tarief toegevoegd",
        "price.correct" => "gepland tarief gecorrigeerd",
        "price.withdraw" => "gepland tarief ingetrokken",
        "product.create" => "product aangemaakt",
        "product.delete" => "product verwijderd",
        "product.update" => "product gewijzigd",
        "provider.create" => "aanbieder toegelaten",
        "provider.import" => "aanbieder ingelezen",
        "provider.reactivate" => "aanbieder weer toegelaten",
        "provider.suspend" => "aanbieder geschorst",
        "provider.update" => "aanbieder gewijzigd",
        "registration.correct" => "registratie gecorrigeerd",
        "registration.delivery" => "levering geregistreerd",
        "registration.event" => "gebeurtenis geregistreerd",
        "trajectory.accept" => "traject geaccepteerd",
        "trajectory.cancel" => "traject geannuleerd",
        "trajectory.change_seen" => "wijziging gezien",
        "trajectory.create" => "traject aangevraagd",
        "trajectory.extend" => "traject verlengd",
        "trajectory.reject" => "traject afgewezen",
        "user.create" => "gebruiker aangemaakt",
        "user.update" => "gebruiker gewijzigd",
        "user.password_change" => "eigen wachtwoord gewijzigd",
        "user.password_reset" => "wachtwoord opnieuw ingesteld",
        "user.password_reset_sent" => "herstellink verstuurd",
        "user.sign_in" => "ingelogd",
        "user.sign_in_failed" => "inloggen geweigerd",
        "user.identity_link" => "gekoppeld aan het account bij de organisatie",
        "user.sign_out_everywhere" => "overal uitgelogd",
        "user.totp_enrol" => "tweestapsverificatie ingesteld",
        "user.totp_disable" => "tweestapsverificatie uitgezet",
        "user.totp_reset" => "tweestapsverificatie opnieuw ingesteld door beheer",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::action_label;

    #[test]
    fn every_action_the_services_write_reads_in_dutch() {
        // The codes of src/services and src/store (grep '"[a-z_]+\.[a-z_]+"').
        for code in [
            "price.add",
            "product.update",
            "invoice.credit",
            "registration.correct",
        ] {
            let label = action_label(code);
            assert_ne!(label, code);
            assert!(!label.contains('.'), "{label}");
        }
        assert_eq!(action_label("iets.nieuws"), "iets.nieuws");
    }
}
