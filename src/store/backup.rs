//! `plusmarkt backup FILE`: a consistent copy of a live SQLite database.
//!
//! `VACUUM INTO` reads the database inside one read transaction, so the copy is the
//! database as it was at one moment, with every transaction committed before it and none
//! of the ones after, while the server goes on writing (WAL lets writers continue). The copy
//! is compact and self-contained (no -wal file). PostgreSQL is backed up with its own tools.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "plusmarkt backup maakt alleen een kopie van een SQLite-database; maak van PostgreSQL \
         een reservekopie met pg_dump -Fc (terugzetten met pg_restore)"
    )]
    NotSqlite,
    #[error("{0} bestaat al; kies een nieuwe bestandsnaam, een reservekopie overschrijft niets")]
    Exists(PathBuf),
    #[error("reservekopie naar {path} mislukt: {message}")]
    Failed { path: PathBuf, message: String },
}

/// Writes a consistent copy of the database to `target`, which must not exist yet, and
/// returns its size in bytes.
pub async fn backup(db: &DatabaseConnection, target: &Path) -> Result<u64, BackupError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    // SQLite refuses a non-empty existing file too; this says so before trying.
    if target.exists() {
        return Err(BackupError::Exists(target.to_path_buf()));
    }
    let failed = |message: String| BackupError::Failed {
        path: target.to_path_buf(),
        message,
    };
    let path = target
        .to_str()
        .ok_or_else(|| failed("de bestandsnaam is geen geldige UTF-8".into()))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [path.into()],
    ))
    .await
    .map_err(|e| failed(e.to_string()))?;
    std::fs::metadata(target)
        .map(|m| m.len())
        .map_err(|e| failed(e.to_string()))
}
