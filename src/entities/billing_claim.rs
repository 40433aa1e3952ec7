use sea_orm::entity::prelude::*;

/// One live claim per billable item: the primary key makes billing an item twice
/// impossible. A credit note releases the claim.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub billable_key: String,
    pub invoice_line_id: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
