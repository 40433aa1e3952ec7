//! The roles of plusmarkt and what each may be called on screen.

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// `users.role`, stored as these strings.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    EnumIter,
    DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[sea_orm(string_value = "casemanager")]
    Casemanager,
    /// A provider's trajectory consultant; `wsd_staff` is accepted as its old name.
    #[sea_orm(string_value = "provider_staff")]
    #[serde(alias = "wsd_staff")]
    ProviderStaff,
    #[sea_orm(string_value = "pricing")]
    Pricing,
    #[sea_orm(string_value = "finance")]
    Finance,
    #[sea_orm(string_value = "admin")]
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Casemanager,
        Role::ProviderStaff,
        Role::Pricing,
        Role::Finance,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Casemanager => "casemanager",
            Role::ProviderStaff => "provider_staff",
            Role::Pricing => "pricing",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Result<Role, String> {
        let text = match text.trim() {
            "wsd_staff" => "provider_staff",
            other => other,
        };
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "onbekende rol {text:?}; kies uit casemanager, provider_staff, pricing, finance, admin"
                )
            })
    }

    /// The Dutch name shown on screen.
    pub fn label_nl(self) -> &'static str {
        match self {
            Role::Casemanager => "Casemanager",
            Role::ProviderStaff => "Trajectconsulent aanbieder",
            Role::Pricing => "Prijsbeheer",
            Role::Finance => "Financiële administratie",
            Role::Admin => "Beheerder",
        }
    }

    /// Whether a user of this role must belong to a municipality.
    pub fn needs_municipality(self) -> bool {
        matches!(self, Role::Casemanager)
    }

    /// Whether a user of this role works for one provider (and must be bound to it).
    pub fn needs_provider(self) -> bool {
        matches!(self, Role::ProviderStaff | Role::Pricing | Role::Finance)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
        assert_eq!(Role::parse("wsd_staff"), Ok(Role::ProviderStaff));
        assert_eq!(
            serde_json::from_str::<Role>("\"wsd_staff\"").unwrap(),
            Role::ProviderStaff
        );
    }

    #[test]
    fn stored_strings_round_trip() {
        use sea_orm::{ActiveEnum, Iterable};
        for role in Role::iter() {
            assert!(Role::ALL.contains(&role));
            assert_eq!(role.to_value(), role.as_str());
            assert_eq!(Role::try_from_value(&role.as_str().into()).ok(), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
            assert!(!role.label_nl().is_empty());
        }
        assert_eq!(Role::iter().count(), Role::ALL.len());
    }
}
