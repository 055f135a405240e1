//! The application's timeline: every step, who took it and when, and what the founder may see
//! of it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::actor::Actor;
use super::review::Recommendation;
use super::state::{DecisionOutcome, State};

/// One reason screening knocked an application out: a stable code (an eligibility rule's, or
/// the scorecard's reason code) and the figures it names, so that each reader's language can
/// say it. The entry's `reason` keeps the same in English for the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnockoutReason {
    pub code: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub figures: BTreeMap<String, u32>,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimelineEntryKind {
    Created,
    StateChanged {
        from: State,
        to: State,
    },
    ScreeningKnockedOut {
        reason: String,
        knockouts: Vec<KnockoutReason>,
    },
    InfoRequested {
        message: String,
    },
    InfoAnswered {
        message: String,
    },
    ReviewerAssigned {
        reviewer_id: Uuid,
    },
    ConflictDeclared {
        reviewer_id: Uuid,
        has_conflict: bool,
    },
    ReviewSubmitted {
        reviewer_id: Uuid,
        recommendation: Recommendation,
    },
    DecisionProposed {
        outcome: DecisionOutcome,
    },
    DecisionSentBack {
        reason: String,
    },
    DecisionConfirmed {
        outcome: DecisionOutcome,
        reasons: Vec<String>,
    },
    /// A note staff leave for each other; never shown to the founder.
    InternalNote {
        text: String,
    },
}

/// Who may see an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// The founder sees the entry and who made it.
    Founder,
    /// The founder sees that it happened, but not who: reviewers stay anonymous so that
    /// applicants cannot lobby or pressure them.
    FounderAnonymous,
    /// Staff only: notes, declarations and the committee's deliberation before the decision.
    Internal,
}

impl TimelineEntryKind {
    pub fn visibility(&self) -> Visibility {
        match self {
            TimelineEntryKind::Created
            | TimelineEntryKind::StateChanged { .. }
            | TimelineEntryKind::ScreeningKnockedOut { .. }
            | TimelineEntryKind::InfoRequested { .. }
            | TimelineEntryKind::InfoAnswered { .. }
            | TimelineEntryKind::DecisionConfirmed { .. } => Visibility::Founder,
            TimelineEntryKind::ReviewerAssigned { .. }
            | TimelineEntryKind::ReviewSubmitted { .. } => Visibility::FounderAnonymous,
            TimelineEntryKind::ConflictDeclared { .. }
            | TimelineEntryKind::DecisionProposed { .. }
            | TimelineEntryKind::DecisionSentBack { .. }
            | TimelineEntryKind::InternalNote { .. } => Visibility::Internal,
        }
    }

    /// The stable name stored in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            TimelineEntryKind::Created => "created",
            TimelineEntryKind::StateChanged { .. } => "state_changed",
            TimelineEntryKind::ScreeningKnockedOut { .. } => "screening_knocked_out",
            TimelineEntryKind::InfoRequested { .. } => "info_requested",
            TimelineEntryKind::InfoAnswered { .. } => "info_answered",
            TimelineEntryKind::ReviewerAssigned { .. } => "reviewer_assigned",
            TimelineEntryKind::ConflictDeclared { .. } => "conflict_declared",
            TimelineEntryKind::ReviewSubmitted { .. } => "review_submitted",
            TimelineEntryKind::DecisionProposed { .. } => "decision_proposed",
            TimelineEntryKind::DecisionSentBack { .. } => "decision_sent_back",
            TimelineEntryKind::DecisionConfirmed { .. } => "decision_confirmed",
            TimelineEntryKind::InternalNote { .. } => "internal_note",
        }
    }
}

/// One step on the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub kind: TimelineEntryKind,
}

/// What the founder sees of an entry's kind: reviewer identities and recommendations removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FounderTimelineEntryKind {
    Created,
    StateChanged {
        from: State,
        to: State,
    },
    ScreeningKnockedOut {
        reason: String,
        knockouts: Vec<KnockoutReason>,
    },
    InfoRequested {
        message: String,
    },
    InfoAnswered {
        message: String,
    },
    ReviewerAssigned,
    ReviewSubmitted,
    DecisionConfirmed {
        outcome: DecisionOutcome,
        reasons: Vec<String>,
    },
}

/// One step as the founder sees it; `actor` is `None` where the actor is a reviewer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FounderTimelineEntry {
    pub at: DateTime<Utc>,
    pub actor: Option<Actor>,
    pub kind: FounderTimelineEntryKind,
}

/// The timeline as the founder may see it, in the same order: internal entries dropped,
/// reviewer identities removed.
pub fn founder_timeline(entries: &[TimelineEntry]) -> Vec<FounderTimelineEntry> {
    entries.iter().filter_map(founder_entry).collect()
}

fn founder_entry(entry: &TimelineEntry) -> Option<FounderTimelineEntry> {
    use FounderTimelineEntryKind as Shown;
    let kind = match &entry.kind {
        TimelineEntryKind::Created => Shown::Created,
        TimelineEntryKind::StateChanged { from, to } => Shown::StateChanged {
            from: *from,
            to: *to,
        },
        TimelineEntryKind::ScreeningKnockedOut { reason, knockouts } => {
            Shown::ScreeningKnockedOut {
                reason: reason.clone(),
                knockouts: knockouts.clone(),
            }
        }
        TimelineEntryKind::InfoRequested { message } => Shown::InfoRequested {
            message: message.clone(),
        },
        TimelineEntryKind::InfoAnswered { message } => Shown::InfoAnswered {
            message: message.clone(),
        },
        TimelineEntryKind::ReviewerAssigned { .. } => Shown::ReviewerAssigned,
        TimelineEntryKind::ReviewSubmitted { .. } => Shown::ReviewSubmitted,
        TimelineEntryKind::DecisionConfirmed { outcome, reasons } => Shown::DecisionConfirmed {
            outcome: *outcome,
            reasons: reasons.clone(),
        },
        TimelineEntryKind::ConflictDeclared { .. }
        | TimelineEntryKind::DecisionProposed { .. }
        | TimelineEntryKind::DecisionSentBack { .. }
        | TimelineEntryKind::InternalNote { .. } => return None,
    };
    let actor = match entry.kind.visibility() {
        Visibility::Founder => Some(entry.actor),
        Visibility::FounderAnonymous | Visibility::Internal => None,
    };
    Some(FounderTimelineEntry {
        at: entry.at,
        actor,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::actor::ActorRole;
    use chrono::TimeDelta;

    fn founder() -> Actor {
        Actor::new(Uuid::from_u128(1), ActorRole::Founder)
    }

    fn officer() -> Actor {
        Actor::new(Uuid::from_u128(2), ActorRole::CreditOfficer)
    }

    fn reviewer() -> Actor {
        Actor::new(Uuid::from_u128(0xfeed), ActorRole::CreditOfficer)
    }

    fn entry(minute: i64, actor: Actor, kind: TimelineEntryKind) -> TimelineEntry {
        TimelineEntry {
            at: DateTime::UNIX_EPOCH + TimeDelta::minutes(minute),
            actor,
            kind,
        }
    }

    fn full_timeline() -> Vec<TimelineEntry> {
        let reviewer_id = reviewer().person_id;
        let approver = Actor::new(Uuid::from_u128(3), ActorRole::Approver);
        vec![
            entry(0, founder(), TimelineEntryKind::Created),
            entry(
                1,
                founder(),
                TimelineEntryKind::StateChanged {
                    from: State::Draft,
                    to: State::Submitted,
                },
            ),
            entry(
                2,
                officer(),
                TimelineEntryKind::ReviewerAssigned { reviewer_id },
            ),
            entry(
                3,
                reviewer(),
                TimelineEntryKind::ConflictDeclared {
                    reviewer_id,
                    has_conflict: false,
                },
            ),
            entry(
                4,
                officer(),
                TimelineEntryKind::InternalNote {
                    text: "Founder's brother works here".to_owned(),
                },
            ),
            entry(
                5,
                officer(),
                TimelineEntryKind::InfoRequested {
                    message: "Send the cap table".to_owned(),
                },
            ),
            entry(
                6,
                founder(),
                TimelineEntryKind::InfoAnswered {
                    message: "Attached".to_owned(),
                },
            ),
            entry(
                7,
                reviewer(),
                TimelineEntryKind::ReviewSubmitted {
                    reviewer_id,
                    recommendation: Recommendation::No,
                },
            ),
            entry(
                8,
                officer(),
                TimelineEntryKind::DecisionProposed {
                    outcome: DecisionOutcome::Reject,
                },
            ),
            entry(
                9,
                approver,
                TimelineEntryKind::DecisionSentBack {
                    reason: "Too harsh".to_owned(),
                },
            ),
            entry(
                10,
                approver,
                TimelineEntryKind::DecisionConfirmed {
                    outcome: DecisionOutcome::Reject,
                    reasons: vec!["Market too small".to_owned()],
                },
            ),
        ]
    }

    #[test]
    fn the_founder_sees_public_steps_in_order_without_internal_ones() {
        let shown: Vec<_> = founder_timeline(&full_timeline())
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            shown,
            [
                FounderTimelineEntryKind::Created,
                FounderTimelineEntryKind::StateChanged {
                    from: State::Draft,
                    to: State::Submitted
                },
                FounderTimelineEntryKind::ReviewerAssigned,
                FounderTimelineEntryKind::InfoRequested {
                    message: "Send the cap table".to_owned()
                },
                FounderTimelineEntryKind::InfoAnswered {
                    message: "Attached".to_owned()
                },
                FounderTimelineEntryKind::ReviewSubmitted,
                FounderTimelineEntryKind::DecisionConfirmed {
                    outcome: DecisionOutcome::Reject,
                    reasons: vec!["Market too small".to_owned()],
                },
            ]
        );
    }

    #[test]
    fn reviewer_identities_never_reach_the_founder() {
        let shown = founder_timeline(&full_timeline());
        let reviewer_id = reviewer().person_id.to_string();
        assert!(!format!("{shown:?}").contains(&reviewer_id));
        let review = shown
            .iter()
            .find(|e| e.kind == FounderTimelineEntryKind::ReviewSubmitted);
        assert_eq!(review.unwrap().actor, None);
    }

    #[test]
    fn the_founder_sees_who_took_public_steps_and_when() {
        let shown = founder_timeline(&full_timeline());
        let request = &shown[3];
        assert_eq!(request.actor, Some(officer()));
        assert_eq!(request.at, DateTime::UNIX_EPOCH + TimeDelta::minutes(5));
    }

    #[test]
    fn internal_notes_are_internal() {
        let note = TimelineEntryKind::InternalNote {
            text: "x".to_owned(),
        };
        assert_eq!(note.visibility(), Visibility::Internal);
        assert_eq!(note.as_str(), "internal_note");
        assert!(founder_timeline(&[entry(0, officer(), note)]).is_empty());
    }
}
