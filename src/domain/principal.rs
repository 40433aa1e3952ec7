//! The one value every store function takes to know whose data it may touch.

use crate::domain::role::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// CBS code of the casemanager's municipality; `None` for WSD roles.
    pub municipality: Option<String>,
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
    /// to scope their queries; WSD roles see every municipality.
    pub fn municipality_scope(&self) -> Option<&str> {
        match self.role {
            Role::Casemanager => Some(self.municipality.as_deref().unwrap_or("")),
            _ => None,
        }
    }

    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
}
