//! Moving an application through its state machine: the domain decides, the database records
//! the change, the timeline and the founder's notification in the same transaction.

use chrono::{DateTime, Utc};
use imkon_platform::language::Language;
use sqlx::PgConnection;

use crate::db;
use crate::db::applications::ApplicationRow;
use crate::domain::actor::Actor;
use crate::domain::notice;
use crate::domain::state::{transition, Event, State, TransitionError};
use crate::domain::timeline::{TimelineEntry, TimelineEntryKind};
use crate::error::ApiError;

/// The state of a stored application.
pub fn state_of(row: &ApplicationRow) -> Result<State, ApiError> {
    State::from_name(&row.state).ok_or_else(|| {
        ApiError::Database(sqlx::Error::Decode(
            format!(
                "application {} is in the unknown state {}",
                row.id, row.state
            )
            .into(),
        ))
    })
}

/// The refusal of a transition as the client sees it: a wrong state is a 409, a wrong role a
/// 403.
pub fn transition_refused(error: &TransitionError) -> ApiError {
    match error {
        TransitionError::NotAllowedFromState { .. } => {
            ApiError::conflict("transition_not_allowed", error.to_string())
        }
        TransitionError::RoleNotPermitted { .. } => {
            ApiError::forbidden("role_not_permitted", error.to_string())
        }
        TransitionError::KnockOutReasonMissing => ApiError::refused(error, "reason"),
    }
}

/// Checks that `event` by `actor` may happen now, without changing anything.
pub fn next_state(row: &ApplicationRow, event: &Event, actor: &Actor) -> Result<State, ApiError> {
    transition(state_of(row)?, event, actor).map_err(|error| transition_refused(&error))
}

/// Applies `event` to an application the transaction holds locked: the new state, the timeline
/// entry and the founder's notification.
pub async fn apply(
    connection: &mut PgConnection,
    row: &ApplicationRow,
    event: &Event,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<State, ApiError> {
    let from = state_of(row)?;
    let to = next_state(row, event, actor)?;
    if !db::applications::set_state(connection, row.id, from.as_str(), to.as_str(), now).await? {
        return Err(ApiError::conflict(
            "state_changed",
            "the application changed meanwhile; reload it and try again",
        ));
    }
    let entry = TimelineEntry {
        at: now,
        actor: *actor,
        kind: TimelineEntryKind::StateChanged { from, to },
    };
    db::timeline::append(&mut *connection, row.id, &entry).await?;
    notify_founder(connection, row, to, now).await?;
    Ok(to)
}

/// Records the message to the founder about the new state, in English for the inbox and with
/// its kind, from which the `mailer` writes the email in the founder's language when SMTP is
/// configured.
async fn notify_founder(
    connection: &mut PgConnection,
    row: &ApplicationRow,
    to: State,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    // Disbursement's `contract.cancelled` already tells the founder, naming the contract.
    if to == State::Cancelled {
        return Ok(());
    }
    let (subject, body) = notice::state_notice(Language::En, row.id, to);
    let notification = db::notifications::NotificationRow {
        id: imkon_platform::id::new_id(),
        client_id: row.client_id,
        application_id: Some(row.id),
        subject,
        body,
        created_at: now,
        sent_at: None,
    };
    db::notifications::insert_with_kind(connection, &notification, Some(&notice::state_kind(to)))
        .await?;
    Ok(())
}

/// Appends an entry that is not a state change.
pub async fn record(
    connection: &mut PgConnection,
    row: &ApplicationRow,
    actor: &Actor,
    kind: TimelineEntryKind,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let entry = TimelineEntry {
        at: now,
        actor: *actor,
        kind,
    };
    db::timeline::append(connection, row.id, &entry).await?;
    Ok(())
}
