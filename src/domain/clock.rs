//! The one clock: where "now" and "today" come from.
//!
//! Records carry UTC instants ([`Clock::now`]); screens, defaults and the date rules (which
//! price is valid, which contract covers today, the issue date of an invoice) use the local
//! calendar date ([`Clock::today`]). The application reads the system clock; tests can pin it
//! to a fixed instant ([`Clock::fixed`]) through `Config::clock`.

use chrono::{DateTime, Local, NaiveDate, Utc};

/// The system clock, or one stopped at a given instant. Cheap to clone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    System,
    /// Always this instant (tests).
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// The real time.
    pub fn system() -> Clock {
        Clock::System
    }

    /// A clock stopped at `instant`.
    pub fn fixed(instant: DateTime<Utc>) -> Clock {
        Clock::Fixed(instant)
    }

    /// A clock stopped at noon (UTC) of `date`, so that the local date is `date` in any time
    /// zone within twelve hours of UTC.
    pub fn on_date(date: NaiveDate) -> Clock {
        let noon = date.and_hms_opt(12, 0, 0).unwrap_or_default();
        Clock::Fixed(noon.and_utc())
    }

    /// The current instant (UTC), for timestamps on records.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(instant) => *instant,
        }
    }

    /// Today's date on the local calendar, for screens and date rules.
    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::System => Local::now().date_naive(),
            Clock::Fixed(instant) => instant.with_timezone(&Local).date_naive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still() {
        let date = NaiveDate::from_ymd_opt(2027, 3, 15).unwrap();
        let clock = Clock::on_date(date);
        assert_eq!(clock.today(), date);
        assert_eq!(clock.now(), clock.now());
        assert_eq!(clock.now().date_naive(), date);
    }

    #[test]
    fn the_system_clock_moves_on() {
        let clock = Clock::system();
        let before = Utc::now();
        assert!(clock.now() >= before);
        let today = clock.today();
        assert!(today == Local::now().date_naive() || today < Local::now().date_naive());
    }
}
