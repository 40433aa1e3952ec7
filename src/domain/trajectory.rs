//! The life of an order: a trajectory and its lines move through states only by these
//! transitions; services persist the result, no handler writes a status.

use std::fmt;

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// The status of a trajectory and of each of its lines, stored as these strings
/// (`trajectories.status`, `trajectory_lines.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[sea_orm(string_value = "requested")]
    Requested,
    #[sea_orm(string_value = "accepted")]
    Accepted,
    #[sea_orm(string_value = "started")]
    Started,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "stopped")]
    Stopped,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// What someone asks to happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Accept,
    Reject,
    Cancel,
    Start,
    Complete,
    Stop,
    /// A withdrawn completion or stop: the line runs again.
    Reopen,
    /// A withdrawn start: the line is accepted and not started.
    Unstart,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Requested,
        Status::Accepted,
        Status::Started,
        Status::Completed,
        Status::Stopped,
        Status::Rejected,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Accepted => "accepted",
            Status::Started => "started",
            Status::Completed => "completed",
            Status::Stopped => "stopped",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Result<Status, String> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("onbekende status {text:?}"))
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            Status::Requested => "aangevraagd",
            Status::Accepted => "geaccepteerd",
            Status::Started => "gestart",
            Status::Completed => "afgerond",
            Status::Stopped => "gestopt",
            Status::Rejected => "afgewezen",
            Status::Cancelled => "geannuleerd",
        }
    }

    /// Orders in these states no longer count against caps and budgets.
    pub fn releases_commitment(self) -> bool {
        matches!(self, Status::Rejected | Status::Cancelled)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::Stopped | Status::Rejected | Status::Cancelled
        )
    }

    /// The state after a transition, or why it is not allowed.
    pub fn apply(self, transition: Transition) -> Result<Status, IllegalTransition> {
        use Status::*;
        use Transition::*;
        match (self, transition) {
            (Requested, Accept) => Ok(Accepted),
            (Requested, Reject) => Ok(Rejected),
            (Requested | Accepted, Cancel) => Ok(Cancelled),
            (Accepted, Start) => Ok(Started),
            (Started, Complete) => Ok(Completed),
            (Started, Stop) => Ok(Stopped),
            (Completed | Stopped, Reopen) => Ok(Started),
            (Started, Unstart) => Ok(Accepted),
            (from, transition) => Err(IllegalTransition { from, transition }),
        }
    }
}

impl Transition {
    pub fn label_nl(self) -> &'static str {
        match self {
            Transition::Accept => "accepteren",
            Transition::Reject => "afwijzen",
            Transition::Cancel => "annuleren",
            Transition::Start => "starten",
            Transition::Complete => "afronden",
            Transition::Stop => "stoppen",
            Transition::Reopen => "heropenen",
            Transition::Unstart => "terug naar niet gestart",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: Status,
    pub transition: Transition,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "een {} traject of regel kan niet {}",
            self.from.label_nl(),
            self.transition.label_nl()
        )
    }
}

/// The status of a trajectory, from its lines: the least advanced open line leads.
pub fn aggregate(lines: &[Status]) -> Status {
    use Status::*;
    if lines.is_empty() {
        return Requested;
    }
    if lines.iter().all(|s| *s == Cancelled) {
        return Cancelled;
    }
    if lines.iter().all(|s| *s == Rejected) {
        return Rejected;
    }
    let open: Vec<Status> = lines
        .iter()
        .copied()
        .filter(|s| !s.releases_commitment())
        .collect();
    if open.contains(&Requested) {
        return Requested;
    }
    if open.contains(&Accepted) {
        return Accepted;
    }
    if open.contains(&Started) {
        return Started;
    }
    if open.iter().all(|s| *s == Stopped) {
        return Stopped;
    }
    Completed
}

/// How the goal of a completed line turned out (`trajectory_lines.outcome`,
/// `line_events.outcome`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[sea_orm(string_value = "goal_reached")]
    GoalReached,
    #[sea_orm(string_value = "goal_not_reached")]
    GoalNotReached,
    #[sea_orm(string_value = "regular_work")]
    RegularWork,
    #[sea_orm(string_value = "other")]
    Other,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::GoalReached,
        Outcome::GoalNotReached,
        Outcome::RegularWork,
        Outcome::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::GoalReached => "goal_reached",
            Outcome::GoalNotReached => "goal_not_reached",
            Outcome::RegularWork => "regular_work",
            Outcome::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Result<Outcome, String> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == text)
            .ok_or_else(|| format!("onbekende uitkomst {text:?} (goal_reached, goal_not_reached, regular_work of other)"))
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            Outcome::GoalReached => "doel bereikt",
            Outcome::GoalNotReached => "doel niet bereikt",
            Outcome::RegularWork => "geplaatst in regulier werk",
            Outcome::Other => "anders",
        }
    }

    /// Whether the outcome counts as the goal reached in the reports.
    pub fn goal_reached(self) -> bool {
        matches!(self, Outcome::GoalReached | Outcome::RegularWork)
    }
}

/// How often an ordered quantity recurs (iWmo WMO757 frequency 2, 4, 6);
/// `trajectory_lines.frequency`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    #[sea_orm(string_value = "week")]
    Week,
    #[sea_orm(string_value = "month")]
    Month,
    #[sea_orm(string_value = "total")]
    Total,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Week => "week",
            Frequency::Month => "month",
            Frequency::Total => "total",
        }
    }

    pub fn parse(text: &str) -> Result<Frequency, String> {
        match text {
            "week" => Ok(Frequency::Week),
            "month" => Ok(Frequency::Month),
            "total" => Ok(Frequency::Total),
            other => Err(format!(
                "onbekende frequentie {other:?} (week, month of total)"
            )),
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            Frequency::Week => "per week",
            Frequency::Month => "per maand",
            Frequency::Total => "in totaal",
        }
    }
}

/// A registration on an order line (`line_events.kind`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    #[sea_orm(string_value = "start")]
    Start,
    #[sea_orm(string_value = "milestone")]
    Milestone,
    #[sea_orm(string_value = "stop")]
    Stop,
    #[sea_orm(string_value = "complete")]
    Complete,
    /// Withdraws the registration it names (`corrects_id`); its note is the reason.
    #[sea_orm(string_value = "withdraw")]
    Withdraw,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::Start,
        EventKind::Milestone,
        EventKind::Stop,
        EventKind::Complete,
        EventKind::Withdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Start => "start",
            EventKind::Milestone => "milestone",
            EventKind::Stop => "stop",
            EventKind::Complete => "complete",
            EventKind::Withdraw => "withdraw",
        }
    }

    pub fn parse(text: &str) -> Result<EventKind, String> {
        match text {
            "start" => Ok(EventKind::Start),
            "milestone" => Ok(EventKind::Milestone),
            "stop" => Ok(EventKind::Stop),
            "complete" => Ok(EventKind::Complete),
            "withdraw" => Ok(EventKind::Withdraw),
            other => Err(format!(
                "onbekende registratie {other:?} (start, milestone, stop, complete of withdraw)"
            )),
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            EventKind::Start => "start",
            EventKind::Milestone => "mijlpaal",
            EventKind::Stop => "gestopt",
            EventKind::Complete => "afgerond",
            EventKind::Withdraw => "ingetrokken",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_moves_are_allowed() {
        use Status::*;
        use Transition::*;
        let allowed = [
            (Requested, Accept, Accepted),
            (Requested, Reject, Rejected),
            (Requested, Cancel, Cancelled),
            (Accepted, Cancel, Cancelled),
            (Accepted, Start, Started),
            (Started, Complete, Completed),
            (Started, Stop, Stopped),
            (Completed, Reopen, Started),
            (Stopped, Reopen, Started),
            (Started, Unstart, Accepted),
        ];
        for from in Status::ALL {
            for t in [
                Accept, Reject, Cancel, Start, Complete, Stop, Reopen, Unstart,
            ] {
                let expected = allowed
                    .iter()
                    .find(|(f, tr, _)| *f == from && *tr == t)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.apply(t), Ok(to)),
                    None => assert!(from.apply(t).is_err(), "{from:?} {t:?}"),
                }
            }
        }
        assert!(Started
            .apply(Cancel)
            .unwrap_err()
            .to_string()
            .contains("annuleren"));
    }

    #[test]
    fn stored_strings_round_trip() {
        use sea_orm::{ActiveEnum, Iterable};
        for s in Status::iter() {
            assert!(Status::ALL.contains(&s));
            assert_eq!(Status::parse(s.as_str()), Ok(s));
            assert_eq!(s.to_value(), s.as_str());
            assert_eq!(Status::try_from_value(&s.as_str().into()).ok(), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert!(!s.label_nl().is_empty());
        }
        assert_eq!(Status::iter().count(), Status::ALL.len());
        for o in Outcome::iter() {
            assert!(Outcome::ALL.contains(&o));
            assert_eq!(Outcome::parse(o.as_str()), Ok(o));
            assert_eq!(o.to_value(), o.as_str());
            assert_eq!(Outcome::try_from_value(&o.as_str().into()).ok(), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
            assert!(!o.label_nl().is_empty());
        }
        assert_eq!(Outcome::iter().count(), Outcome::ALL.len());
        for f in Frequency::iter() {
            assert_eq!(Frequency::parse(f.as_str()), Ok(f));
            assert_eq!(f.to_value(), f.as_str());
            assert_eq!(Frequency::try_from_value(&f.as_str().into()).ok(), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
            assert!(!f.label_nl().is_empty());
        }
        assert_eq!(Frequency::iter().count(), 3);
        for k in EventKind::iter() {
            assert!(EventKind::ALL.contains(&k));
            assert_eq!(EventKind::parse(k.as_str()), Ok(k));
            assert_eq!(k.to_value(), k.as_str());
            assert_eq!(EventKind::try_from_value(&k.as_str().into()).ok(), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert!(!k.label_nl().is_empty());
        }
        assert_eq!(EventKind::iter().count(), EventKind::ALL.len());
        assert!(Status::try_from_value(&"open".to_string()).is_err());
        assert!(EventKind::parse("begin").is_err());
    }

    #[test]
    fn the_trajectory_follows_its_least_advanced_open_line() {
        use Status::*;
        assert_eq!(aggregate(&[Requested, Requested]), Requested);
        assert_eq!(aggregate(&[Accepted, Started]), Accepted);
        assert_eq!(aggregate(&[Started, Completed]), Started);
        assert_eq!(aggregate(&[Completed, Stopped]), Completed);
        assert_eq!(aggregate(&[Stopped, Cancelled]), Stopped);
        assert_eq!(aggregate(&[Cancelled, Cancelled]), Cancelled);
        assert_eq!(aggregate(&[Rejected, Rejected]), Rejected);
    }
}
