//! Billing periods (calendar months, "YYYY-MM") and strict date parsing ("YYYY-MM-DD").

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::money::echo;

/// A calendar month. Parsed periods lie in 2000-01..=2100-12; periods derived from dates
/// ([`Period::of`]) are kept within 0001-01..=9999-12 so their first and last days always exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    // Field order matters: the derived Ord compares year first, then month.
    year: i32,
    month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("geen geldige periode: {0} (JJJJ-MM, bijvoorbeeld 2026-12)")]
    InvalidPeriod(String),
    #[error("jaar van de periode buiten bereik: {0} (2000 tot en met 2100)")]
    YearOutOfRange(String),
    #[error(
        "geen geldige datum: {0} (DD-MM-JJJJ of JJJJ-MM-DD, bijvoorbeeld 31-12-2026 of 2026-12-31)"
    )]
    InvalidDate(String),
}

const PARSE_MIN_YEAR: i32 = 2000;
const PARSE_MAX_YEAR: i32 = 2100;
const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

impl Period {
    /// A period from year and month (year 2000..=2100, month 1..=12), as [`Period::parse`] allows.
    pub fn new(year: i32, month: u32) -> Result<Period, PeriodError> {
        let shown = format!("{year:04}-{month:02}");
        if !(1..=12).contains(&month) {
            return Err(PeriodError::InvalidPeriod(echo(&shown)));
        }
        if !(PARSE_MIN_YEAR..=PARSE_MAX_YEAR).contains(&year) {
            return Err(PeriodError::YearOutOfRange(echo(&shown)));
        }
        Ok(Period { year, month })
    }

    /// Parses exactly "YYYY-MM" (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let s = input.trim();
        let b = s.as_bytes();
        let shape_ok = b.len() == 7
            && b[4] == b'-'
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[5..].iter().all(u8::is_ascii_digit);
        if !shape_ok {
            return Err(PeriodError::InvalidPeriod(echo(s)));
        }
        let year = digits_value(&b[..4]) as i32;
        let month = digits_value(&b[5..]);
        if !(1..=12).contains(&month) {
            return Err(PeriodError::InvalidPeriod(echo(s)));
        }
        if !(PARSE_MIN_YEAR..=PARSE_MAX_YEAR).contains(&year) {
            return Err(PeriodError::YearOutOfRange(echo(s)));
        }
        Ok(Period { year, month })
    }

    /// The month that contains `date` (clamped to 0001-01..=9999-12).
    pub fn of(date: NaiveDate) -> Period {
        if date.year() < MIN_YEAR {
            Period {
                year: MIN_YEAR,
                month: 1,
            }
        } else if date.year() > MAX_YEAR {
            Period {
                year: MAX_YEAR,
                month: 12,
            }
        } else {
            Period {
                year: date.year(),
                month: date.month(),
            }
        }
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn month(&self) -> u32 {
        self.month
    }

    pub fn first_day(&self) -> NaiveDate {
        // A Period is a valid month by construction, so the fallback is never taken; it
        // keeps this free of panics all the same.
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(&self) -> NaiveDate {
        // days() is the length of this month, see first_day.
        NaiveDate::from_ymd_opt(self.year, self.month, self.days()).unwrap_or(NaiveDate::MIN)
    }

    /// Number of days in the month (28..=31).
    pub fn days(&self) -> u32 {
        match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            _ if is_leap_year(self.year) => 29,
            _ => 28,
        }
    }

    /// The following month (9999-12 stays 9999-12).
    pub fn next(&self) -> Period {
        match (self.year, self.month) {
            (MAX_YEAR, 12) => *self,
            (y, 12) => Period {
                year: y + 1,
                month: 1,
            },
            (y, m) => Period {
                year: y,
                month: m + 1,
            },
        }
    }

    /// The previous month (0001-01 stays 0001-01).
    pub fn prev(&self) -> Period {
        match (self.year, self.month) {
            (MIN_YEAR, 1) => *self,
            (y, 1) => Period {
                year: y - 1,
                month: 12,
            },
            (y, m) => Period {
                year: y,
                month: m - 1,
            },
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        date.year() == self.year && date.month() == self.month
    }

    /// Every month from `self` to `end`, both included (empty when `end` is before `self`).
    pub fn iter_to(self, end: Period) -> PeriodIter {
        PeriodIter {
            next: (self <= end).then_some(self),
            end,
        }
    }

    /// Dutch month name in lower case: "december".
    pub fn month_name_nl(&self) -> &'static str {
        // month is 1..=12 by construction; checked indexing keeps this panic-free regardless.
        (self.month as usize)
            .checked_sub(1)
            .and_then(|i| MONTHS_NL.get(i))
            .copied()
            .unwrap_or("")
    }

    /// Dutch label: "December 2026" (capitalised, for the start of a description).
    pub fn label_nl(&self) -> String {
        let name = self.month_name_nl();
        let mut chars = name.chars();
        let capitalised: String = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        };
        format!("{capitalised} {}", self.year)
    }
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Value of a short run of ASCII digits (caller checked them).
fn digits_value(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

/// Inclusive iterator over months, from [`Period::iter_to`].
#[derive(Debug, Clone)]
pub struct PeriodIter {
    next: Option<Period>,
    end: Period,
}

impl Iterator for PeriodIter {
    type Item = Period;
    fn next(&mut self) -> Option<Period> {
        let current = self.next?;
        let following = current.next();
        // Stop at `end`, and also if next() saturated at the upper bound.
        self.next = (current < self.end && following != current).then_some(following);
        Some(current)
    }
}

/// Parses a date in ISO form "2026-11-23" or the Dutch form "23-11-2026" (day and month may
/// have one digit: "3-1-2027"). Surrounding whitespace is ignored; year 0001..=9999; a real date.
pub fn parse_date(input: &str) -> Result<NaiveDate, PeriodError> {
    let s = input.trim();
    let invalid = || PeriodError::InvalidDate(echo(s));
    let b = s.as_bytes();
    let iso = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[8..].iter().all(u8::is_ascii_digit);
    let (year, month, day) = if iso {
        (
            digits_value(&b[..4]),
            digits_value(&b[5..7]),
            digits_value(&b[8..]),
        )
    } else {
        let mut parts = s.split('-');
        let (Some(d), Some(m), Some(y), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let digits = |t: &str, lengths: std::ops::RangeInclusive<usize>| {
            lengths.contains(&t.len()) && t.bytes().all(|c| c.is_ascii_digit())
        };
        if !(digits(d, 1..=2) && digits(m, 1..=2) && digits(y, 4..=4)) {
            return Err(invalid());
        }
        (
            digits_value(y.as_bytes()),
            digits_value(m.as_bytes()),
            digits_value(d.as_bytes()),
        )
    };
    let year = year as i32;
    if year < MIN_YEAR {
        return Err(invalid());
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(invalid)
}

/// Dutch date form used in messages: "12-01-2027".
pub fn format_date_nl(date: NaiveDate) -> String {
    format!("{:02}-{:02}-{:04}", date.day(), date.month(), date.year())
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Period::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn parse_strict() {
        assert_eq!(p("2026-12"), Period::new(2026, 12).unwrap());
        assert_eq!(p(" 2000-01 "), Period::new(2000, 1).unwrap());
        assert_eq!(p("2100-12").to_string(), "2100-12");
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-12",
            "2026/12",
            "2026-12-01",
            "",
            "202612",
            "2026-1a",
            "+026-12",
            "２０２６-12",
        ] {
            assert!(
                matches!(Period::parse(bad), Err(PeriodError::InvalidPeriod(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Period::parse("1999-12"),
            Err(PeriodError::YearOutOfRange(_))
        ));
        assert!(matches!(
            Period::parse("2101-01"),
            Err(PeriodError::YearOutOfRange(_))
        ));
        assert!(Period::new(2026, 0).is_err());
        assert!(Period::new(1999, 5).is_err());
    }

    #[test]
    fn days_and_bounds() {
        assert_eq!(p("2026-02").days(), 28);
        assert_eq!(p("2028-02").days(), 29);
        assert_eq!(p("2000-02").days(), 29);
        assert_eq!(p("2100-02").days(), 28);
        assert_eq!(p("2026-04").days(), 30);
        assert_eq!(p("2026-12").days(), 31);
        assert_eq!(p("2026-02").first_day(), d("2026-02-01"));
        assert_eq!(p("2028-02").last_day(), d("2028-02-29"));
        assert!(p("2026-01").contains(d("2026-01-31")));
        assert!(!p("2026-01").contains(d("2026-02-01")));
        assert!(!p("2026-01").contains(d("2027-01-15")));
        assert_eq!(Period::of(d("2026-03-09")), p("2026-03"));
    }

    #[test]
    fn next_prev_and_order() {
        assert_eq!(p("2026-12").next(), p("2027-01"));
        assert_eq!(p("2027-01").prev(), p("2026-12"));
        assert_eq!(p("2026-05").next(), p("2026-06"));
        assert!(p("2026-12") < p("2027-01"));
        assert!(p("2026-02") < p("2026-10"));
        let far = Period::of(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap());
        assert_eq!(far.next(), far);
        assert_eq!(
            far.last_day(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()
        );
        let early = Period::of(NaiveDate::MIN);
        assert_eq!(early.prev(), early);
        assert_eq!(early.first_day(), NaiveDate::from_ymd_opt(1, 1, 1).unwrap());
        assert_eq!(Period::of(NaiveDate::MAX), far);
    }

    #[test]
    fn iterate_inclusive() {
        let months: Vec<String> = p("2026-11")
            .iter_to(p("2027-02"))
            .map(|m| m.to_string())
            .collect();
        assert_eq!(months, ["2026-11", "2026-12", "2027-01", "2027-02"]);
        assert_eq!(p("2026-11").iter_to(p("2026-11")).count(), 1);
        assert_eq!(p("2026-11").iter_to(p("2026-10")).count(), 0);
        let far = Period::of(NaiveDate::from_ymd_opt(9999, 11, 1).unwrap());
        assert_eq!(far.iter_to(far.next()).count(), 2);
    }

    #[test]
    fn labels() {
        assert_eq!(p("2026-12").label_nl(), "December 2026");
        assert_eq!(p("2026-03").month_name_nl(), "maart");
        assert_eq!(format_date_nl(d("2027-01-12")), "12-01-2027");
    }

    #[test]
    fn dates_strict() {
        assert_eq!(
            d("2026-12-31"),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        assert_eq!(
            d(" 1950-04-12 "),
            NaiveDate::from_ymd_opt(1950, 4, 12).unwrap()
        );
        for bad in [
            "2026-02-30",
            "2026-2-3",
            "2026-12-31T00:00",
            "31-12-26",
            "31/12/2026",
            "31-12-2026-1",
            "123-1-2026",
            "31-13-2026",
            "29-02-2027",
            "",
            "0000-01-01",
            "2026-13-01",
            "2026_12_31",
            "2026-12-3１",
        ] {
            assert!(
                matches!(parse_date(bad), Err(PeriodError::InvalidDate(_))),
                "{bad}"
            );
        }
        assert_eq!(d("31-12-2026"), d("2026-12-31"));
        assert_eq!(d(" 3-1-2027 "), d("2027-01-03"));
        assert_eq!(d("23-11-2026"), d("2026-11-23"));
        assert_eq!(
            parse_date("31-02-2026").unwrap_err().to_string(),
            "geen geldige datum: 31-02-2026 (DD-MM-JJJJ of JJJJ-MM-DD, bijvoorbeeld 31-12-2026 \
             of 2026-12-31)"
        );
        assert_eq!(
            d("2028-02-29"),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
    }

    #[test]
    fn serde_as_string() {
        assert_eq!(serde_json::to_string(&p("2026-01")).unwrap(), "\"2026-01\"");
        assert_eq!(
            serde_json::from_str::<Period>("\"2026-12\"").unwrap(),
            p("2026-12")
        );
        assert!(serde_json::from_str::<Period>("\"2026-13\"").is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Period::parse(&s);
            let _ = parse_date(&s);
        }

        #[test]
        fn round_trip_and_month_facts(year in 2000i32..=2100, month in 1u32..=12) {
            let period = Period::new(year, month).unwrap();
            prop_assert_eq!(Period::parse(&period.to_string()), Ok(period));
            prop_assert_eq!(Period::of(period.first_day()), period);
            prop_assert_eq!(Period::of(period.last_day()), period);
            prop_assert_eq!((period.last_day() - period.first_day()).num_days() + 1, i64::from(period.days()));
            prop_assert_eq!(period.next().prev(), period);
            prop_assert_eq!(period.last_day().succ_opt().map(Period::of), Some(period.next()));
            prop_assert_eq!(parse_date(&period.first_day().to_string()), Ok(period.first_day()));
        }
    }
}
