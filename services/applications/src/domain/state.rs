//! The application's state machine.
//!
//! `draft → submitted → screening → in_review ⇄ info_requested → decision → approved |
//! rejected`, with a screening knock-out going straight to `decision`, an approver able to send
//! a proposal back to `in_review`, the founder able to withdraw at any point before a
//! decision, and an approved application `cancelled` when its contract was cancelled unsigned
//! (disbursement's `contract.cancelled`, which also releases its budget). [`allowed_transitions`] lists the same edges for the database's check table, and a
//! test proves that [`transition`] never takes an edge outside it.

use super::actor::{Actor, ActorRole};
use super::Refusal;

/// Where an application is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Draft,
    Submitted,
    Screening,
    InReview,
    InfoRequested,
    Decision,
    Approved,
    Rejected,
    Withdrawn,
    Cancelled,
}

impl State {
    pub const ALL: [State; 10] = [
        State::Draft,
        State::Submitted,
        State::Screening,
        State::InReview,
        State::InfoRequested,
        State::Decision,
        State::Approved,
        State::Rejected,
        State::Withdrawn,
        State::Cancelled,
    ];

    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::Screening => "screening",
            State::InReview => "in_review",
            State::InfoRequested => "info_requested",
            State::Decision => "decision",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
            State::Cancelled => "cancelled",
        }
    }

    /// Reads a stored name back.
    pub fn from_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == name)
    }

    /// Whether nothing can happen to the application any more: an approved one moves on only
    /// if its contract is cancelled, which is not the application's own doing.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Approved | State::Rejected | State::Withdrawn | State::Cancelled
        )
    }
}

/// What a decision, proposed or confirmed, comes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecisionOutcome {
    Approve,
    Reject,
}

/// Something that happens to an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Submit,
    StartScreening,
    ScreeningPassed,
    /// Screening found the application ineligible; the reason goes on the timeline and into the
    /// rejection an approver then confirms.
    ScreeningKnockedOut {
        reason: String,
    },
    RequestInfo,
    AnswerInfo,
    ProposeDecision {
        outcome: DecisionOutcome,
    },
    /// Confirms the pending proposal; `outcome` is that proposal's outcome (see
    /// `decision::Decision::event`).
    ConfirmDecision {
        outcome: DecisionOutcome,
    },
    SendBack,
    Withdraw,
    /// The approved application's contract was cancelled before anyone signed it.
    ContractCancelled,
}

impl Event {
    /// A stable name for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Submit => "submit",
            Event::StartScreening => "start_screening",
            Event::ScreeningPassed => "screening_passed",
            Event::ScreeningKnockedOut { .. } => "screening_knocked_out",
            Event::RequestInfo => "request_info",
            Event::AnswerInfo => "answer_info",
            Event::ProposeDecision { .. } => "propose_decision",
            Event::ConfirmDecision { .. } => "confirm_decision",
            Event::SendBack => "send_back",
            Event::Withdraw => "withdraw",
            Event::ContractCancelled => "contract_cancelled",
        }
    }

    /// The roles allowed to cause this event. The founder alone submits, answers and withdraws;
    /// only a credit officer proposes and only an approver confirms, which with the distinct
    /// person check in `decision` makes the four eyes. An admin may restart a screening that a
    /// failed service call left stuck, and nothing else: configuring programmes is not deciding.
    pub fn permitted_roles(&self) -> &'static [ActorRole] {
        match self {
            Event::Submit | Event::AnswerInfo | Event::Withdraw => &[ActorRole::Founder],
            Event::StartScreening => &[
                ActorRole::Service,
                ActorRole::CreditOfficer,
                ActorRole::Admin,
            ],
            Event::ScreeningPassed | Event::ScreeningKnockedOut { .. } => {
                &[ActorRole::Service, ActorRole::CreditOfficer]
            }
            Event::RequestInfo | Event::ProposeDecision { .. } => &[ActorRole::CreditOfficer],
            Event::ConfirmDecision { .. } | Event::SendBack => &[ActorRole::Approver],
            Event::ContractCancelled => &[ActorRole::Service],
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("`{event}` is not possible while the application is {}", from.as_str())]
    NotAllowedFromState { from: State, event: &'static str },
    #[error("the {} role may not `{event}`", role.as_str())]
    RoleNotPermitted {
        role: ActorRole,
        event: &'static str,
    },
    #[error("a screening knock-out needs a reason")]
    KnockOutReasonMissing,
}

impl Refusal for TransitionError {
    fn code(&self) -> &'static str {
        match self {
            TransitionError::NotAllowedFromState { .. } => "transition_not_allowed",
            TransitionError::RoleNotPermitted { .. } => "role_not_permitted",
            TransitionError::KnockOutReasonMissing => "knock_out_reason_missing",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            TransitionError::KnockOutReasonMissing => Some("reason".to_owned()),
            TransitionError::NotAllowedFromState { .. }
            | TransitionError::RoleNotPermitted { .. } => None,
        }
    }
}

/// Every edge [`transition`] may take, for the database's check table.
pub fn allowed_transitions() -> &'static [(State, State)] {
    use State::*;
    &[
        (Draft, Submitted),
        (Submitted, Screening),
        (Screening, InReview),
        (Screening, Decision),
        (InReview, InfoRequested),
        (InfoRequested, InReview),
        (InReview, Decision),
        (Decision, Approved),
        (Decision, Rejected),
        (Decision, InReview),
        (Draft, Withdrawn),
        (Submitted, Withdrawn),
        (Screening, Withdrawn),
        (InReview, Withdrawn),
        (InfoRequested, Withdrawn),
        (Approved, Cancelled),
    ]
}

/// The state `event` by `actor` leads to from `from`, or why it may not happen. The state is
/// checked before the role, so a founder pressing "withdraw" on an approved application learns
/// that it is decided rather than that founders may not withdraw.
pub fn transition(from: State, event: &Event, actor: &Actor) -> Result<State, TransitionError> {
    use State::*;
    let to = match (from, event) {
        (Draft, Event::Submit) => Submitted,
        (Submitted, Event::StartScreening) => Screening,
        (Screening, Event::ScreeningPassed) => InReview,
        (Screening, Event::ScreeningKnockedOut { .. }) => Decision,
        (InReview, Event::RequestInfo) => InfoRequested,
        (InfoRequested, Event::AnswerInfo) => InReview,
        (InReview, Event::ProposeDecision { .. }) => Decision,
        (
            Decision,
            Event::ConfirmDecision {
                outcome: DecisionOutcome::Approve,
            },
        ) => Approved,
        (
            Decision,
            Event::ConfirmDecision {
                outcome: DecisionOutcome::Reject,
            },
        ) => Rejected,
        (Decision, Event::SendBack) => InReview,
        (Draft | Submitted | Screening | InReview | InfoRequested, Event::Withdraw) => Withdrawn,
        (Approved, Event::ContractCancelled) => Cancelled,
        _ => {
            return Err(TransitionError::NotAllowedFromState {
                from,
                event: event.name(),
            })
        }
    };
    if !event.permitted_roles().contains(&actor.role) {
        return Err(TransitionError::RoleNotPermitted {
            role: actor.role,
            event: event.name(),
        });
    }
    if let Event::ScreeningKnockedOut { reason } = event {
        if reason.trim().is_empty() {
            return Err(TransitionError::KnockOutReasonMissing);
        }
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use uuid::Uuid;

    fn actor(role: ActorRole) -> Actor {
        Actor::new(Uuid::from_u128(7), role)
    }

    fn every_event() -> Vec<Event> {
        vec![
            Event::Submit,
            Event::StartScreening,
            Event::ScreeningPassed,
            Event::ScreeningKnockedOut {
                reason: "company too young".to_owned(),
            },
            Event::RequestInfo,
            Event::AnswerInfo,
            Event::ProposeDecision {
                outcome: DecisionOutcome::Approve,
            },
            Event::ProposeDecision {
                outcome: DecisionOutcome::Reject,
            },
            Event::ConfirmDecision {
                outcome: DecisionOutcome::Approve,
            },
            Event::ConfirmDecision {
                outcome: DecisionOutcome::Reject,
            },
            Event::SendBack,
            Event::Withdraw,
            Event::ContractCancelled,
        ]
    }

    #[test]
    fn the_happy_path_reaches_approved() {
        let steps = [
            (Event::Submit, ActorRole::Founder, State::Submitted),
            (Event::StartScreening, ActorRole::Service, State::Screening),
            (Event::ScreeningPassed, ActorRole::Service, State::InReview),
            (
                Event::RequestInfo,
                ActorRole::CreditOfficer,
                State::InfoRequested,
            ),
            (Event::AnswerInfo, ActorRole::Founder, State::InReview),
            (
                Event::ProposeDecision {
                    outcome: DecisionOutcome::Approve,
                },
                ActorRole::CreditOfficer,
                State::Decision,
            ),
            (
                Event::ConfirmDecision {
                    outcome: DecisionOutcome::Approve,
                },
                ActorRole::Approver,
                State::Approved,
            ),
        ];
        let mut state = State::Draft;
        for (event, role, expected) in steps {
            state = transition(state, &event, &actor(role)).unwrap();
            assert_eq!(state, expected, "after {}", event.name());
        }
    }

    #[test]
    fn a_screening_knock_out_goes_to_decision_and_is_then_rejected() {
        let knocked = Event::ScreeningKnockedOut {
            reason: "no IT Park residency".to_owned(),
        };
        let state = transition(State::Screening, &knocked, &actor(ActorRole::Service)).unwrap();
        assert_eq!(state, State::Decision);
        let confirm = Event::ConfirmDecision {
            outcome: DecisionOutcome::Reject,
        };
        assert_eq!(
            transition(state, &confirm, &actor(ActorRole::Approver)).unwrap(),
            State::Rejected
        );
    }

    #[test]
    fn a_knock_out_without_a_reason_is_refused() {
        let knocked = Event::ScreeningKnockedOut {
            reason: "  ".to_owned(),
        };
        let error = transition(State::Screening, &knocked, &actor(ActorRole::Service)).unwrap_err();
        assert_eq!(error, TransitionError::KnockOutReasonMissing);
        assert_eq!(error.field().as_deref(), Some("reason"));
    }

    #[test]
    fn an_approver_can_send_a_proposal_back_to_review() {
        let state = transition(
            State::Decision,
            &Event::SendBack,
            &actor(ActorRole::Approver),
        );
        assert_eq!(state, Ok(State::InReview));
    }

    #[test]
    fn the_founder_may_withdraw_before_a_decision_only() {
        let founder = actor(ActorRole::Founder);
        for from in [
            State::Draft,
            State::Submitted,
            State::Screening,
            State::InReview,
            State::InfoRequested,
        ] {
            assert_eq!(
                transition(from, &Event::Withdraw, &founder),
                Ok(State::Withdrawn)
            );
        }
        for from in [
            State::Decision,
            State::Approved,
            State::Rejected,
            State::Withdrawn,
        ] {
            let error = transition(from, &Event::Withdraw, &founder).unwrap_err();
            assert_eq!(
                error.code(),
                "transition_not_allowed",
                "from {}",
                from.as_str()
            );
        }
    }

    #[test]
    fn an_officer_cannot_submit_for_the_founder() {
        let error = transition(
            State::Draft,
            &Event::Submit,
            &actor(ActorRole::CreditOfficer),
        )
        .unwrap_err();
        assert_eq!(
            error,
            TransitionError::RoleNotPermitted {
                role: ActorRole::CreditOfficer,
                event: "submit"
            }
        );
        assert_eq!(error.code(), "role_not_permitted");
    }

    #[test]
    fn a_credit_officer_cannot_confirm_a_decision() {
        let confirm = Event::ConfirmDecision {
            outcome: DecisionOutcome::Approve,
        };
        let error =
            transition(State::Decision, &confirm, &actor(ActorRole::CreditOfficer)).unwrap_err();
        assert_eq!(error.code(), "role_not_permitted");
    }

    #[test]
    fn an_admin_may_restart_screening_but_not_decide() {
        let admin = actor(ActorRole::Admin);
        assert_eq!(
            transition(State::Submitted, &Event::StartScreening, &admin),
            Ok(State::Screening)
        );
        let propose = Event::ProposeDecision {
            outcome: DecisionOutcome::Approve,
        };
        assert!(transition(State::InReview, &propose, &admin).is_err());
    }

    /// A final state accepts no event of the application's own workflow; only the platform,
    /// on disbursement's news that an approved application's contract was cancelled, moves it
    /// on.
    #[test]
    fn final_states_accept_no_event_but_a_contract_cancellation() {
        for from in State::ALL.into_iter().filter(|state| state.is_final()) {
            for event in every_event() {
                for role in ActorRole::ALL {
                    let moved = transition(from, &event, &actor(role));
                    if from == State::Approved
                        && event == Event::ContractCancelled
                        && role == ActorRole::Service
                    {
                        assert_eq!(moved, Ok(State::Cancelled));
                    } else {
                        assert!(moved.is_err(), "{from:?} {event:?} {role:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_table_lists_exactly_the_edges_transition_takes() {
        let mut taken = BTreeSet::new();
        for from in State::ALL {
            for event in every_event() {
                for role in ActorRole::ALL {
                    if let Ok(to) = transition(from, &event, &actor(role)) {
                        taken.insert((from, to));
                    }
                }
            }
        }
        let table: BTreeSet<_> = allowed_transitions().iter().copied().collect();
        assert_eq!(
            table.len(),
            allowed_transitions().len(),
            "the table has no duplicates"
        );
        assert_eq!(taken, table);
    }

    #[test]
    fn state_names_round_trip() {
        for state in State::ALL {
            assert_eq!(State::from_name(state.as_str()), Some(state));
        }
        assert_eq!(State::from_name("DRAFT"), None);
    }

    proptest! {
        #[test]
        fn random_events_never_leave_the_table(
            steps in proptest::collection::vec((0usize..12, 0usize..5), 0..60)
        ) {
            let events = every_event();
            let table = allowed_transitions();
            let mut state = State::Draft;
            for (event_index, role_index) in steps {
                let event = &events[event_index];
                let role = ActorRole::ALL[role_index];
                if let Ok(to) = transition(state, event, &actor(role)) {
                    prop_assert!(table.contains(&(state, to)), "{:?} -> {:?}", state, to);
                    prop_assert!(!state.is_final());
                    state = to;
                }
            }
        }
    }
}
