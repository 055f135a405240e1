//! The application's timeline, append-only.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::actor::{Actor, ActorRole};
use crate::domain::review::Recommendation;
use crate::domain::state::{DecisionOutcome, State};
use crate::domain::timeline::{TimelineEntry, TimelineEntryKind};

fn outcome_name(outcome: DecisionOutcome) -> &'static str {
    match outcome {
        DecisionOutcome::Approve => "approve",
        DecisionOutcome::Reject => "reject",
    }
}

/// The kind's details, as stored and as shown to officers.
pub fn details(kind: &TimelineEntryKind) -> Value {
    match kind {
        TimelineEntryKind::Created => json!({}),
        TimelineEntryKind::StateChanged { from, to } => {
            json!({ "from": from.as_str(), "to": to.as_str() })
        }
        TimelineEntryKind::ScreeningKnockedOut { reason, knockouts } => {
            json!({ "reason": reason, "knockouts": knockouts })
        }
        TimelineEntryKind::DecisionSentBack { reason } => json!({ "reason": reason }),
        TimelineEntryKind::InfoRequested { message }
        | TimelineEntryKind::InfoAnswered { message } => json!({ "message": message }),
        TimelineEntryKind::ReviewerAssigned { reviewer_id } => {
            json!({ "reviewer_id": reviewer_id })
        }
        TimelineEntryKind::ConflictDeclared {
            reviewer_id,
            has_conflict,
        } => json!({ "reviewer_id": reviewer_id, "has_conflict": has_conflict }),
        TimelineEntryKind::ReviewSubmitted {
            reviewer_id,
            recommendation,
        } => json!({ "reviewer_id": reviewer_id, "recommendation": recommendation.as_str() }),
        TimelineEntryKind::DecisionProposed { outcome } => {
            json!({ "outcome": outcome_name(*outcome) })
        }
        TimelineEntryKind::DecisionConfirmed { outcome, reasons } => {
            json!({ "outcome": outcome_name(*outcome), "reasons": reasons })
        }
        TimelineEntryKind::InternalNote { text } => json!({ "text": text }),
    }
}

/// Why a stored entry could not be read back; only a hand-edited row can cause it.
#[derive(Debug, thiserror::Error)]
#[error("timeline entry {id} has unreadable details: {what}")]
struct UnreadableEntry {
    id: Uuid,
    what: &'static str,
}

struct EntryRow {
    id: Uuid,
    at: DateTime<Utc>,
    actor_id: Uuid,
    actor_role: String,
    kind: String,
    details: Value,
}

impl EntryRow {
    fn into_entry(self) -> Result<TimelineEntry, UnreadableEntry> {
        let id = self.id;
        let unreadable = |what| UnreadableEntry { id, what };
        let text = |name: &'static str| {
            self.details[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| unreadable(name))
        };
        let state = |name: &'static str| {
            self.details[name]
                .as_str()
                .and_then(State::from_name)
                .ok_or_else(|| unreadable(name))
        };
        let reviewer_id = || {
            self.details["reviewer_id"]
                .as_str()
                .and_then(|text| Uuid::parse_str(text).ok())
                .ok_or_else(|| unreadable("reviewer_id"))
        };
        let outcome = || match self.details["outcome"].as_str() {
            Some("approve") => Ok(DecisionOutcome::Approve),
            Some("reject") => Ok(DecisionOutcome::Reject),
            _ => Err(unreadable("outcome")),
        };
        let kind = match self.kind.as_str() {
            "created" => TimelineEntryKind::Created,
            "state_changed" => TimelineEntryKind::StateChanged {
                from: state("from")?,
                to: state("to")?,
            },
            "screening_knocked_out" => TimelineEntryKind::ScreeningKnockedOut {
                reason: text("reason")?,
                // Entries recorded before the codes were kept have only the English reason.
                knockouts: match self.details.get("knockouts") {
                    Some(knockouts) => serde_json::from_value(knockouts.clone())
                        .map_err(|_| unreadable("knockouts"))?,
                    None => Vec::new(),
                },
            },
            "decision_sent_back" => TimelineEntryKind::DecisionSentBack {
                reason: text("reason")?,
            },
            "info_requested" => TimelineEntryKind::InfoRequested {
                message: text("message")?,
            },
            "info_answered" => TimelineEntryKind::InfoAnswered {
                message: text("message")?,
            },
            "reviewer_assigned" => TimelineEntryKind::ReviewerAssigned {
                reviewer_id: reviewer_id()?,
            },
            "conflict_declared" => TimelineEntryKind::ConflictDeclared {
                reviewer_id: reviewer_id()?,
                has_conflict: self.details["has_conflict"]
                    .as_bool()
                    .ok_or_else(|| unreadable("has_conflict"))?,
            },
            "review_submitted" => TimelineEntryKind::ReviewSubmitted {
                reviewer_id: reviewer_id()?,
                recommendation: match self.details["recommendation"].as_str() {
                    Some("yes") => Recommendation::Yes,
                    Some("maybe") => Recommendation::Maybe,
                    Some("no") => Recommendation::No,
                    _ => return Err(unreadable("recommendation")),
                },
            },
            "decision_proposed" => TimelineEntryKind::DecisionProposed {
                outcome: outcome()?,
            },
            "decision_confirmed" => TimelineEntryKind::DecisionConfirmed {
                outcome: outcome()?,
                reasons: self.details["reasons"]
                    .as_array()
                    .ok_or_else(|| unreadable("reasons"))?
                    .iter()
                    .map(|reason| {
                        reason
                            .as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| unreadable("reasons"))
                    })
                    .collect::<Result<_, _>>()?,
            },
            "internal_note" => TimelineEntryKind::InternalNote {
                text: text("text")?,
            },
            _ => return Err(unreadable("kind")),
        };
        let role = ActorRole::ALL
            .into_iter()
            .find(|role| role.as_str() == self.actor_role)
            .ok_or_else(|| unreadable("actor_role"))?;
        Ok(TimelineEntry {
            at: self.at,
            actor: Actor::new(self.actor_id, role),
            kind,
        })
    }
}

pub async fn append(
    executor: impl PgExecutor<'_>,
    application_id: Uuid,
    entry: &TimelineEntry,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into application_event (id, application_id, at, actor_id, actor_role, kind, details)
         values ($1, $2, $3, $4, $5, $6, $7)",
        imkon_platform::id::new_id(),
        application_id,
        entry.at,
        entry.actor.person_id,
        entry.actor.role.as_str(),
        entry.kind.as_str(),
        details(&entry.kind),
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The whole timeline, oldest first.
pub async fn list(
    executor: impl PgExecutor<'_>,
    application_id: Uuid,
) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    let rows = sqlx::query_as!(
        EntryRow,
        "select id, at, actor_id, actor_role, kind, details from application_event
         where application_id = $1 order by at, id",
        application_id,
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|row| {
            row.into_entry()
                .map_err(|error| sqlx::Error::Decode(Box::new(error)))
        })
        .collect()
}
