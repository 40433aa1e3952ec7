//! Login attempts, limited per e-mail address and per client address.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// After this many failures within the window, further attempts answer 429.
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
pub const MAX_FAILURES_PER_CLIENT: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    /// `Err(seconds)` when this account or client must wait.
    pub fn check(&self, account: &str, client: &str) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, (_, first)| now.duration_since(*first) < WINDOW);
        for (key, max) in [
            (format!("a:{account}"), MAX_FAILURES_PER_ACCOUNT),
            (format!("c:{client}"), MAX_FAILURES_PER_CLIENT),
        ] {
            if let Some((count, first)) = map.get(&key) {
                if *count >= max {
                    let wait = WINDOW.saturating_sub(now.duration_since(*first));
                    return Err(wait.as_secs().max(1));
                }
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, account: &str, client: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for key in [format!("a:{account}"), format!("c:{client}")] {
            let entry = map.entry(key).or_insert((0, now));
            entry.0 += 1;
        }
    }

    pub fn record_success(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("a:{account}"));
    }
}

/// The limiter's keys for changing one's own password: the user (apart from login
/// attempts on their address) and the client address.
pub fn password_change_keys(
    who: &crate::domain::principal::Principal,
    client: Option<std::net::IpAddr>,
) -> (String, String) {
    (
        format!("password-change:{}", who.user_id),
        client.map(|ip| ip.to_string()).unwrap_or_default(),
    )
}

/// Counts a password change against the limiter: a wrong current password (field
/// `current`) is a failure, a change a success. Passes the result on.
pub fn note_password_attempt<T>(
    limiter: &LoginLimiter,
    account: &str,
    client: &str,
    result: crate::error::AppResult<T>,
) -> crate::error::AppResult<T> {
    match &result {
        Ok(_) => limiter.record_success(account),
        Err(e) if e.field_errors().iter().any(|f| f.field == "current") => {
            limiter.record_failure(account, client)
        }
        Err(_) => {}
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_after_repeated_failures() {
        let limiter = LoginLimiter::default();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            assert!(limiter.check("a@b.nl", "1.2.3.4").is_ok());
            limiter.record_failure("a@b.nl", "1.2.3.4");
        }
        assert!(limiter.check("a@b.nl", "1.2.3.4").is_err());
        assert!(limiter.check("other@b.nl", "5.6.7.8").is_ok());
    }
}
