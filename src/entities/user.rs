use sea_orm::entity::prelude::*;

use crate::domain::role::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub role: Role,
    pub municipality_code: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// The provider a pricing, finance or provider_staff user works for.
    pub provider_code: Option<String>,
    /// The TOTP secret, encrypted with the vault key (`BsnVault::encrypt_secret`); set at the
    /// start of an enrolment, `None` without a second factor.
    pub totp_secret: Option<String>,
    /// When the second factor was switched on (a right code at enrolment); `None` while an
    /// enrolment is not finished.
    pub totp_enabled_at: Option<DateTimeUtc>,
    /// The last time step (Unix time / 30 s) a code was accepted for; a code is accepted
    /// only for a later step (`store::second_factor::advance_step`).
    pub totp_last_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
