-- Quotes of a client's own transfers, waiting for the client to confirm them.
create table client_transfer_quote (
    id uuid primary key,
    client_id uuid not null,
    from_account_id uuid not null references account (id),
    to_account_id uuid not null references account (id),
    amount numeric(30, 2) not null check (amount > 0),
    fee numeric(30, 2) not null check (fee >= 0),
    currency text not null check (currency in ('UZS', 'USD', 'EUR')),
    -- The one-time confirmation secret shown once to the client; useless after expires_at.
    confirmation_token text not null check (confirmation_token ~ '^[0-9a-f]{64}$'),
    expires_at timestamptz not null,
    -- The transfer that confirmed the quote; a quote is confirmed at most once.
    transfer_id uuid unique references transfer (id),
    created_at timestamptz not null default now()
);
comment on table client_transfer_quote is 'Quoted client transfers and the confirmation each one awaits.';
create index client_transfer_quote_client_idx on client_transfer_quote (client_id, created_at);

-- A client's transfers are found by scope (for the day's total) and by their quote reference.
create index transfer_scope_time_idx on transfer (idempotency_scope, created_at);
create index transfer_scope_reference_idx on transfer (idempotency_scope, reference);
