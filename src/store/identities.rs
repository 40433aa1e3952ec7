//! Sign-on identities: which plusmarkt user an OpenID provider's `iss` + `sub` is.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::{user, user_identity};
use crate::error::AppResult;

/// The user linked to this identity, if any.
pub async fn user_of<C: ConnectionTrait>(
    db: &C,
    issuer: &str,
    subject: &str,
) -> AppResult<Option<user::Model>> {
    let Some(identity) = user_identity::Entity::find()
        .filter(user_identity::Column::Issuer.eq(issuer))
        .filter(user_identity::Column::Subject.eq(subject))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(user::Entity::find_by_id(identity.user_id).one(db).await?)
}

/// The `sub` a user is linked to at this provider, if linked.
pub async fn subject_of<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    issuer: &str,
) -> AppResult<Option<String>> {
    Ok(user_identity::Entity::find()
        .filter(user_identity::Column::UserId.eq(user_id))
        .filter(user_identity::Column::Issuer.eq(issuer))
        .one(db)
        .await?
        .map(|identity| identity.subject))
}

/// Links a user to an identity (the first sign-on by verified e-mail address). `false` when
/// a link was there already (a sign-on of the same person a moment earlier, or the user
/// linked to another `sub`): the unique indexes decide, and nothing is written.
pub async fn link<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    issuer: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let inserted =
        user_identity::Entity::insert(user_identity::ActiveModel::from(user_identity::Model {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: user_id.to_string(),
            issuer: issuer.to_string(),
            subject: subject.to_string(),
            created_at: now,
            last_sign_in_at: Some(now),
        }))
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Notes a sign-on with an identity that was linked before.
pub async fn touch<C: ConnectionTrait>(
    db: &C,
    issuer: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    user_identity::Entity::update_many()
        .col_expr(user_identity::Column::LastSignInAt, Expr::value(Some(now)))
        .filter(user_identity::Column::Issuer.eq(issuer))
        .filter(user_identity::Column::Subject.eq(subject))
        .exec(db)
        .await?;
    Ok(())
}
