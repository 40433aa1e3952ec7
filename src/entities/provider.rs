use sea_orm::entity::prelude::*;

use crate::domain::provider::ProviderStatus;

/// A provider (aanbieder) admitted to the marketplace: the seller on its invoices.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    #[sea_orm(unique)]
    pub kvk: String,
    pub vat_number: String,
    pub peppol_scheme: String,
    pub peppol_id: String,
    pub iban: String,
    /// Where new trajectories are announced.
    pub intake_email: String,
    /// The contact address printed on its invoices.
    pub invoice_email: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub status: ProviderStatus,
    /// The KvK, VAT and Peppol identifiers are made up (demo data).
    pub demo_identifiers: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
