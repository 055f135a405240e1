-- Four eyes on staff transfers: a member of staff (finance or admin) proposes a transfer, or
-- posting or voiding a hold, and a second, different member of staff confirms it, which books
-- it. The proposer never confirms (checked by the service and here). The bank's services book
-- directly and propose nothing.
create table transfer_proposal (
    id uuid primary key,
    -- transfer (book or hold a new transfer), hold_post or hold_void (settle the hold hold_id).
    action text not null default 'transfer' check (action in ('transfer', 'hold_post', 'hold_void')),
    -- The hold a hold_post or hold_void settles: its pending transfer.
    hold_id uuid references transfer (id),
    -- What the proposer asked for: the body of `POST /v1/transfers`, or of the hold's post.
    request jsonb not null,
    -- The fingerprint of that request, so a retry of the proposal with another body is refused.
    request_fingerprint text not null,
    -- The proposer's Idempotency-Key: one proposal per proposer and key.
    idempotency_key text not null,
    proposed_by uuid not null,
    proposed_at timestamptz not null default now(),
    -- The second member of staff, once the transfer is booked.
    confirmed_by uuid,
    confirmed_at timestamptz,
    -- The transfer a confirmed `transfer` proposal booked.
    transfer_id uuid unique references transfer (id),
    -- A member of staff who turned the proposal down instead; nothing was booked.
    rejected_by uuid,
    rejected_at timestamptz,
    unique (proposed_by, idempotency_key),
    check ((confirmed_by is null) = (confirmed_at is null)),
    check ((action = 'transfer') = (hold_id is null)),
    check (action = 'transfer' or transfer_id is null),
    check (action <> 'transfer' or (confirmed_by is null) = (transfer_id is null)),
    check ((rejected_by is null) = (rejected_at is null)),
    check (confirmed_by is null or rejected_by is null),
    constraint transfer_proposal_confirmer_is_not_the_proposer
        check (confirmed_by is null or confirmed_by <> proposed_by)
);
comment on table transfer_proposal is 'Transfers proposed by a member of staff, booked only when a second member of staff confirms them.';
comment on column transfer_proposal.proposed_by is 'The member of staff who proposed the transfer; never its confirmer.';
comment on column transfer_proposal.confirmed_by is 'The second member of staff, who confirmed and so booked the transfer.';
create index transfer_proposal_pending_idx on transfer_proposal (proposed_at, id)
    where confirmed_by is null and rejected_by is null;
