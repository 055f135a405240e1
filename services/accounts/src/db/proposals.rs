//! Staff transfers awaiting a second member of staff (four eyes).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ProposalRow {
    pub id: Uuid,
    pub action: String,
    pub hold_id: Option<Uuid>,
    pub request: Value,
    pub request_fingerprint: String,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub confirmed_by: Option<Uuid>,
    pub transfer_id: Option<Uuid>,
    pub rejected_by: Option<Uuid>,
}

/// What a member of staff proposes.
#[derive(Debug, Clone)]
pub struct NewProposal<'a> {
    pub id: Uuid,
    pub action: &'a str,
    pub hold_id: Option<Uuid>,
    pub request: &'a Value,
    pub fingerprint: &'a str,
    pub idempotency_key: &'a str,
    pub proposed_by: Uuid,
}

/// Records a proposal unless the proposer already made one under this key; returns the
/// proposal under the key either way, and whether it is new.
pub async fn insert_or_find(
    connection: &mut PgConnection,
    proposal: &NewProposal<'_>,
) -> sqlx::Result<(ProposalRow, bool)> {
    let (idempotency_key, proposed_by) = (proposal.idempotency_key, proposal.proposed_by);
    let inserted = sqlx::query_as!(
        ProposalRow,
        "insert into transfer_proposal
            (id, action, hold_id, request, request_fingerprint, idempotency_key, proposed_by)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (proposed_by, idempotency_key) do nothing
         returning id, action, hold_id, request, request_fingerprint, proposed_by, proposed_at,
                   confirmed_by, transfer_id, rejected_by",
        proposal.id,
        proposal.action,
        proposal.hold_id,
        proposal.request,
        proposal.fingerprint,
        idempotency_key,
        proposed_by
    )
    .fetch_optional(&mut *connection)
    .await?;
    if let Some(row) = inserted {
        return Ok((row, true));
    }
    let existing = sqlx::query_as!(
        ProposalRow,
        "select id, action, hold_id, request, request_fingerprint, proposed_by, proposed_at,
                   confirmed_by, transfer_id, rejected_by
         from transfer_proposal
         where proposed_by = $1 and idempotency_key = $2",
        proposed_by,
        idempotency_key
    )
    .fetch_one(&mut *connection)
    .await?;
    Ok((existing, false))
}

/// The proposal, locked until the caller's transaction ends, so that two confirmations (or a
/// confirmation and a rejection) of one proposal take turns.
pub async fn lock(connection: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ProposalRow>> {
    sqlx::query_as!(
        ProposalRow,
        "select id, action, hold_id, request, request_fingerprint, proposed_by, proposed_at,
                   confirmed_by, transfer_id, rejected_by
         from transfer_proposal where id = $1 for update",
        id
    )
    .fetch_optional(connection)
    .await
}

pub async fn find(executor: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<ProposalRow>> {
    sqlx::query_as!(
        ProposalRow,
        "select id, action, hold_id, request, request_fingerprint, proposed_by, proposed_at,
                   confirmed_by, transfer_id, rejected_by
         from transfer_proposal where id = $1",
        id
    )
    .fetch_optional(executor)
    .await
}

/// Marks the proposal confirmed by `confirmed_by`, who booked `transfer_id` (none for a hold's
/// settlement, which books on the hold's own transfer).
pub async fn confirm(
    connection: &mut PgConnection,
    id: Uuid,
    confirmed_by: Uuid,
    transfer_id: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update transfer_proposal set confirmed_by = $2, confirmed_at = now(), transfer_id = $3
         where id = $1 and confirmed_by is null and rejected_by is null",
        id,
        confirmed_by,
        transfer_id
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Marks the proposal rejected by `rejected_by`; nothing is booked.
pub async fn reject(
    connection: &mut PgConnection,
    id: Uuid,
    rejected_by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update transfer_proposal set rejected_by = $2, rejected_at = now()
         where id = $1 and confirmed_by is null and rejected_by is null",
        id,
        rejected_by
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Pending proposals, oldest first, after the proposal `after` (a previous page's last).
pub async fn list_pending(
    executor: impl PgExecutor<'_>,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<ProposalRow>> {
    sqlx::query_as!(
        ProposalRow,
        "select id, action, hold_id, request, request_fingerprint, proposed_by, proposed_at,
                   confirmed_by, transfer_id, rejected_by
         from transfer_proposal
         where confirmed_by is null and rejected_by is null
           and ($1::uuid is null or (proposed_at, id) > (select proposed_at, id from transfer_proposal where id = $1))
         order by proposed_at, id
         limit $2",
        after,
        limit
    )
    .fetch_all(executor)
    .await
}
