//! The one value every store function takes to know whose data it may touch.

use crate::domain::role::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// CBS code of the casemanager's municipality; `None` for provider roles.
    pub municipality: Option<String>,
    /// Code of the provider a pricing, finance or provider_staff user works for.
    pub provider: Option<String>,
    /// The label of the API token the request came with, if any.
    pub token_label: Option<String>,
}

impl Principal {
    /// The system itself, for command-line operations and background work.
    pub fn system(label: &str) -> Principal {
        Principal {
            user_id: format!("system:{label}"),
            email: format!("{label}@system"),
            name: format!("systeem ({label})"),
            role: Role::Admin,
            municipality: None,
            provider: None,
            token_label: None,
        }
    }

    /// How the audit log names this actor.
    pub fn actor(&self) -> String {
        match &self.token_label {
            Some(label) => format!("{} (token {label})", self.email),
            None => self.email.clone(),
        }
    }

    /// The municipality this principal is confined to, if any. Store functions call this
    /// to scope their queries; provider roles see every municipality (of their provider).
    pub fn municipality_scope(&self) -> Option<&str> {
        match self.role {
            Role::Casemanager => Some(self.municipality.as_deref().unwrap_or("")),
            _ => None,
        }
    }

    /// The provider this principal is confined to, if any. Store functions apply it
    /// beside the municipality scope: a provider's staff see every municipality, but only
    /// their own provider's contracts, trajectories, clients and invoices. An unbound
    /// provider role sees nothing (the empty code matches no row).
    pub fn provider_scope(&self) -> Option<&str> {
        if self.role.needs_provider() {
            Some(self.provider.as_deref().unwrap_or(""))
        } else {
            None
        }
    }

    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, municipality: Option<&str>, provider: Option<&str>) -> Principal {
        Principal {
            role,
            municipality: municipality.map(str::to_string),
            provider: provider.map(str::to_string),
            ..Principal::system("test")
        }
    }

    #[test]
    fn provider_roles_are_confined_to_their_provider_and_never_to_every_provider() {
        for role in [Role::Pricing, Role::Finance, Role::ProviderStaff] {
            let bound = principal(role, None, Some("WERKPAD"));
            assert_eq!(bound.provider_scope(), Some("WERKPAD"));
            assert_eq!(bound.municipality_scope(), None);
            // Unbound: matches nothing rather than everything.
            assert_eq!(principal(role, None, None).provider_scope(), Some(""));
        }
    }

    #[test]
    fn casemanagers_and_admins_have_no_provider_scope() {
        let cm = principal(Role::Casemanager, Some("GM0757"), None);
        assert_eq!(cm.provider_scope(), None);
        assert_eq!(cm.municipality_scope(), Some("GM0757"));
        assert_eq!(Principal::system("x").provider_scope(), None);
    }
}
