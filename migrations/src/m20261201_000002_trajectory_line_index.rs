//! Lines are read per trajectory everywhere (pages, billing); without this index every such
//! read scanned the whole table (found by the benchmarks of issue 10).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_trajectory_lines_trajectory")
                    .table("trajectory_lines")
                    .col("trajectory_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_trajectory_lines_trajectory")
                    .table("trajectory_lines")
                    .to_owned(),
            )
            .await
    }
}
