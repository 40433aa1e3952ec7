//! The password step of a sign-in that still needs its second factor: no session yet, only a
//! short-lived private cookie (encrypted and signed with Rocket's secret key, so it cannot be
//! read, made or changed in the browser) with the user, the time of the password step and a
//! random nonce. It is useless [`PENDING_MINUTES`] after the password step, by the clock.

use chrono::{DateTime, Duration, Utc};
use rocket::http::{Cookie, SameSite};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};

use crate::crypto::secret::random_token;
use crate::domain::clock::Clock;
pub use crate::domain::second_factor::PENDING_MINUTES;

pub const PENDING_COOKIE: &str = "plusmarkt_pending";

/// A password step that passed, waiting for the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    pub user_id: String,
    pub password_at: DateTime<Utc>,
    pub nonce: String,
}

impl PendingSignIn {
    pub fn new(user_id: &str, now: DateTime<Utc>) -> PendingSignIn {
        PendingSignIn {
            user_id: user_id.to_string(),
            password_at: now,
            nonce: random_token(),
        }
    }

    /// The cookie's value: `user id|unix seconds|nonce`.
    pub fn encode(&self) -> String {
        format!(
            "{}|{}|{}",
            self.user_id,
            self.password_at.timestamp(),
            self.nonce
        )
    }

    pub fn decode(value: &str) -> Option<PendingSignIn> {
        let mut parts = value.split('|');
        let (user_id, at, nonce) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || user_id.is_empty() || nonce.is_empty() {
            return None;
        }
        Some(PendingSignIn {
            user_id: user_id.to_string(),
            password_at: DateTime::from_timestamp(at.parse().ok()?, 0)?,
            nonce: nonce.to_string(),
        })
    }

    /// Whether the password step is recent enough at `now` (and not in the future).
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        let age = now - self.password_at;
        age < Duration::minutes(PENDING_MINUTES) && age > -Duration::minutes(1)
    }

    /// The private cookie: HTTP only, same site strict, gone from the browser after five
    /// minutes too.
    pub fn cookie(&self) -> Cookie<'static> {
        Cookie::build((PENDING_COOKIE, self.encode()))
            .http_only(true)
            .same_site(SameSite::Strict)
            .path("/")
            .max_age(rocket::time::Duration::minutes(PENDING_MINUTES))
            .build()
    }
}

/// The cookie that removes the pending sign-in (after the code, or when it is stale).
pub fn removal() -> Cookie<'static> {
    Cookie::build(PENDING_COOKIE).path("/").build()
}

/// A fresh pending sign-in from this request's cookie; forwards when there is none, it is
/// stale, or it was not made by this server (a changed cookie does not decrypt).
#[rocket::async_trait]
impl<'r> FromRequest<'r> for PendingSignIn {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let now = request
            .rocket()
            .state::<Clock>()
            .copied()
            .unwrap_or_default()
            .now();
        match request
            .cookies()
            .get_private(PENDING_COOKIE)
            .and_then(|c| PendingSignIn::decode(c.value()))
        {
            Some(pending) if pending.is_fresh(now) => Outcome::Success(pending),
            _ => Outcome::Forward(rocket::http::Status::Unauthorized),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_goes_stale_after_five_minutes() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let pending = PendingSignIn::new("u-1", at);
        let back = PendingSignIn::decode(&pending.encode()).unwrap();
        assert_eq!(back, pending);
        assert!(back.is_fresh(at + Duration::seconds(299)));
        assert!(!back.is_fresh(at + Duration::minutes(5)));
        assert!(!back.is_fresh(at - Duration::minutes(2)));
        assert_eq!(PendingSignIn::decode("u-1|x|n"), None);
        assert_eq!(PendingSignIn::decode("u-1|1|n|extra"), None);
    }
}
