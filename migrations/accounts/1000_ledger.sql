-- The accounts service's ledger: accounts, transfers, their append-only entries, and holds.
--
-- Balances are kept in each account's normal-side sign (see the domain's account module): a
-- debit-normal account grows with debits, a credit-normal one with credits, so "may not go
-- below zero" is one rule for every kind of account.

-- The 8-digit owner code of each client, the part of an account number that names its owner.
create table client_code (
    client_id uuid primary key,
    code integer generated always as identity (start with 1 maxvalue 99999999) unique,
    created_at timestamptz not null default now()
);
comment on table client_code is 'The bank''s 8-digit client code of each client, used inside account numbers (the bank itself is 00000000).';

create table account (
    id uuid primary key,
    -- The 20-digit number, check digit included; validated by the service before it is stored.
    number text not null unique check (number ~ '^[1-9][0-9]{19}$'),
    kind text not null check (kind in ('client_current', 'loan', 'grant_fund', 'interest_income',
                                       'penalty_income', 'bank_cash', 'bank_settlement')),
    -- The client who owns the account; null for the bank's own accounts.
    owner_client_id uuid,
    currency text not null check (currency in ('UZS', 'USD', 'EUR')),
    -- The side on which the balance grows, fixed by the kind.
    normal_side text not null check (normal_side in ('debit', 'credit')),
    allow_negative boolean not null,
    name text check (name is null or length(name) between 1 and 200),
    -- The sum of the account's entries, in normal-side sign.
    posted_balance numeric(30, 2) not null default 0,
    -- What pending holds have reserved; the available balance is posted_balance - pending_holds.
    pending_holds numeric(30, 2) not null default 0 check (pending_holds >= 0),
    created_at timestamptz not null default now(),
    check ((owner_client_id is null) = (kind not in ('client_current', 'loan'))),
    check (normal_side = case when kind in ('loan', 'bank_cash', 'bank_settlement') then 'debit' else 'credit' end),
    -- The last line of defence of the ledger's invariant: an account that may not go below
    -- zero never does, counting what holds have reserved.
    constraint account_not_overdrawn check (allow_negative or posted_balance - pending_holds >= 0)
);
comment on table account is 'Clients'' accounts and the bank''s own accounts, with their current balances.';
create index account_owner_idx on account (owner_client_id, kind);

create table transfer (
    id uuid primary key,
    -- Keys are unique per scope: `ledger` for the bank's services and staff, `client:<id>` for
    -- a client's own transfers, so two clients choosing the same key never collide.
    idempotency_scope text not null,
    idempotency_key text not null check (length(idempotency_key) between 1 and 255),
    -- SHA-256 of the canonical request; the same key with another request is refused.
    request_fingerprint text not null,
    kind text not null check (kind in ('disbursement', 'repayment', 'client_transfer', 'reversal',
                                       'adjustment', 'deposit', 'withdrawal')),
    reference text not null check (length(reference) between 1 and 255),
    currency text not null check (currency in ('UZS', 'USD', 'EUR')),
    -- posted: its entries are booked; pending: a hold; voided: a hold released without entries.
    status text not null check (status in ('posted', 'pending', 'voided')),
    -- The principal (service or person) that asked for it.
    created_by uuid not null,
    created_at timestamptz not null,
    unique (idempotency_scope, idempotency_key)
);
comment on table transfer is 'Balanced movements of money, each requested once under an idempotency key.';

create table entry (
    -- Ascending in booking order per account: entries of one account are written under its
    -- row lock, so a later entry always has a larger id.
    id bigint generated always as identity primary key,
    transfer_id uuid not null references transfer (id),
    -- Which leg of the transfer this entry books.
    leg_index smallint not null check (leg_index between 0 and 31),
    account_id uuid not null references account (id),
    side text not null check (side in ('debit', 'credit')),
    amount numeric(30, 2) not null check (amount > 0),
    -- The account's posted balance after this entry, in normal-side sign.
    balance_after numeric(30, 2) not null,
    created_at timestamptz not null,
    unique (transfer_id, leg_index)
);
comment on table entry is 'Append-only ledger entries; a mistake is corrected by a reversing transfer, never an update.';
create index entry_account_idx on entry (account_id, id);
create index entry_account_time_idx on entry (account_id, created_at, id);

create function entry_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'entry is append-only; book a reversing transfer instead';
end;
$$;

create trigger entry_append_only
    before update or delete on entry
    for each row execute function entry_is_append_only();

create table hold (
    transfer_id uuid primary key references transfer (id),
    debit_account_id uuid not null references account (id),
    credit_account_id uuid not null references account (id),
    amount numeric(30, 2) not null check (amount > 0),
    state text not null check (state in ('pending', 'posted', 'voided')),
    -- What was posted, at most the amount held; set exactly when the state is posted.
    posted_amount numeric(30, 2) check (posted_amount > 0 and posted_amount <= amount),
    settled_at timestamptz,
    check ((state = 'posted') = (posted_amount is not null)),
    check ((state = 'pending') = (settled_at is null))
);
comment on table hold is 'Pending transfers that reserve money until posted (in full or part) or voided, once.';
