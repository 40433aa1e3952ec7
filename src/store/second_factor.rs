//! The second factor's rows: the TOTP secret and its last accepted time step on `users`, the
//! recovery codes in `recovery_codes`. Every "use once" here is one conditional UPDATE whose
//! row count decides, so two requests with one code cannot both pass, on one server or two.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::entities::{recovery_code, user};
use crate::error::AppResult;

/// Starts an enrolment: stores the sealed secret of a user who has neither a second factor
/// nor an enrolment under way. Returns whether it was stored (false: another request was
/// first, or it is on).
pub async fn set_pending_secret<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    sealed: &str,
) -> AppResult<bool> {
    let result = user::Entity::update_many()
        .col_expr(user::Column::TotpSecret, Expr::value(sealed))
        .col_expr(user::Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::TotpEnabledAt.is_null())
        .filter(user::Column::TotpSecret.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Forgets the secret of an enrolment that was not finished (the second factor stays as it
/// is when it is on). Returns whether there was one.
pub async fn discard_unfinished<C: ConnectionTrait>(db: &C, user_id: &str) -> AppResult<bool> {
    let result = user::Entity::update_many()
        .col_expr(
            user::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::TotpEnabledAt.is_null())
        .filter(user::Column::TotpSecret.is_not_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Switches the second factor on with the secret the user proved to have (`sealed`, as
/// read when the code was checked) and the step of that code. False when the enrolment
/// changed meanwhile (another tab started a new one, or it is already on).
pub async fn enable<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    sealed: &str,
    step: i64,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let result = user::Entity::update_many()
        .col_expr(user::Column::TotpEnabledAt, Expr::value(now))
        .col_expr(user::Column::TotpLastStep, Expr::value(step))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::TotpEnabledAt.is_null())
        .filter(user::Column::TotpSecret.eq(sealed))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Accepts a code of time step `step` once: moves the user's last accepted step forward to
/// it, compare-and-set. False when that step (or a later one) was accepted already, i.e.
/// the code was used.
pub async fn advance_step<C: ConnectionTrait>(db: &C, user_id: &str, step: i64) -> AppResult<bool> {
    let result = user::Entity::update_many()
        .col_expr(user::Column::TotpLastStep, Expr::value(step))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::TotpEnabledAt.is_not_null())
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::TotpLastStep.is_null())
                .add(user::Column::TotpLastStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Replaces a user's recovery codes by these hashes.
pub async fn replace_recovery_codes<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    hashes: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    delete_recovery_codes(db, user_id).await?;
    let rows = hashes.iter().map(|hash| {
        recovery_code::ActiveModel::from(recovery_code::Model {
            id: super::new_id(),
            user_id: user_id.to_string(),
            code_hash: hash.clone(),
            created_at: now,
            used_at: None,
        })
    });
    recovery_code::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Uses the recovery code with this hash once: true when it was the user's and unused.
pub async fn use_recovery_code<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    code_hash: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let result = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(code_hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// How many of a user's recovery codes are still unused.
pub async fn recovery_codes_left<C: ConnectionTrait>(db: &C, user_id: &str) -> AppResult<u64> {
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?)
}

async fn delete_recovery_codes<C: ConnectionTrait>(db: &C, user_id: &str) -> AppResult<u64> {
    Ok(recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes a user's second factor: the secret, when it was on, the last step and the
/// recovery codes. Returns how many recovery codes went.
pub async fn clear<C: ConnectionTrait>(db: &C, user_id: &str) -> AppResult<u64> {
    user::Entity::update_many()
        .col_expr(
            user::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            user::Column::TotpEnabledAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(user::Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    delete_recovery_codes(db, user_id).await
}
