-- Transfers to other banks through the interbank clearing, and payments arriving from them.
create table clearing_batch (
    id uuid primary key,
    -- The cut-off that closed the batch: every payment accepted before it and not yet sent.
    cut_off_at timestamptz not null unique,
    payments integer not null check (payments > 0),
    total numeric(30, 2) not null check (total > 0),
    -- formed: its payments chosen; sent: the clearing house acknowledged it; settled: its
    -- outcome applied to every payment.
    state text not null check (state in ('formed', 'sent', 'settled')),
    formed_at timestamptz not null,
    sent_at timestamptz,
    settled_at timestamptz,
    check ((state = 'settled') = (settled_at is not null)),
    check ((state = 'formed') = (sent_at is null))
);
comment on table clearing_batch is 'Outgoing interbank payments handed to the clearing house together at a cut-off.';

create table interbank_payment (
    id uuid primary key,
    client_id uuid not null,
    idempotency_key text not null,
    fingerprint text not null,
    from_account_id uuid not null references account (id),
    to_bank text not null check (to_bank ~ '^[0-9]{5}$'),
    to_account text not null check (to_account ~ '^[0-9]{20}$'),
    recipient_name text not null check (length(recipient_name) between 1 and 100),
    purpose text not null check (length(purpose) between 1 and 140),
    amount numeric(30, 2) not null check (amount > 0),
    currency text not null check (currency = 'UZS'),
    -- The hold that reserves the money until the clearing settles or returns the payment.
    hold_transfer_id uuid references transfer (id),
    -- accepted: written down, its money held (or about to be), waiting for the next cut-off;
    -- refused: the money was not there; sent: in a batch at the clearing house; settled: the
    -- money left the bank (hold posted); returned: the clearing house or the other bank sent
    -- it back (hold voided), with the reason.
    state text not null
        check (state in ('accepted', 'refused', 'sent', 'settled', 'returned')),
    batch_id uuid references clearing_batch (id),
    return_reason text,
    accepted_at timestamptz not null,
    sent_at timestamptz,
    decided_at timestamptz,
    unique (client_id, idempotency_key),
    check ((state in ('accepted', 'refused')) = (batch_id is null)),
    check ((state in ('returned', 'refused')) = (return_reason is not null)),
    check ((state in ('settled', 'returned', 'refused')) = (decided_at is not null))
);
comment on table interbank_payment is 'Clients'' payments to accounts at other banks, through the clearing.';
create index interbank_payment_client_idx on interbank_payment (client_id, accepted_at);
create index interbank_payment_accepted_idx on interbank_payment (accepted_at)
    where state = 'accepted';

-- The simulated clearing house's own records: batches it received and when it settles them,
-- and the accounts at other banks it knows to be closed (a payment to one is returned).
create table simulated_clearing_batch (
    batch_id uuid primary key,
    received_at timestamptz not null,
    settles_at timestamptz not null,
    -- Each payment's fate, decided on receipt: {"<payment id>": null (settled) or "<reason>"}.
    outcomes jsonb not null
);
create table simulated_clearing_closed_account (
    bank text not null check (bank ~ '^[0-9]{5}$'),
    account text not null check (account ~ '^[0-9]{20}$'),
    primary key (bank, account)
);

-- Each payment arriving from another bank, credited once by its clearing reference.
create table incoming_payment (
    reference text primary key check (length(reference) between 1 and 64),
    file_name text not null,
    payer_bank text not null,
    payer_account text not null,
    payer_name text not null,
    to_account_id uuid references account (id),
    amount numeric(30, 2) not null check (amount > 0),
    purpose text not null,
    -- credited to the client's account, or rejected (to be returned to the payer's bank).
    state text not null check (state in ('credited', 'rejected')),
    reject_reason text,
    transfer_id uuid references transfer (id),
    received_at timestamptz not null,
    check ((state = 'credited') = (transfer_id is not null)),
    check ((state = 'rejected') = (reject_reason is not null))
);
comment on table incoming_payment is 'Payments from other banks delivered in the clearing house''s files.';
