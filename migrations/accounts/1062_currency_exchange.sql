-- Clients' own accounts in three currencies, closing an account, and currency exchange between
-- a client's own accounts at the bank's published rates.

-- A closed account keeps its number, entries and statements; it takes no new entries (the
-- ledger writer refuses them) and is empty, which the database checks as a last line of
-- defence: no entry can be written to it without changing its balance.
alter table account add column closed_at timestamptz;
alter table account add constraint account_closed_is_empty
    check (closed_at is null or (posted_balance = 0 and pending_holds = 0));

-- The bank's foreign-exchange accounts, one of each per currency: the position (what the bank
-- has bought from clients less what it has sold them, long when positive) and the income
-- (the spread earned against the mid rate). Both credit-normal.
alter table account drop constraint account_kind_check;
alter table account add constraint account_kind_check
    check (kind in ('client_current', 'loan', 'grant_fund', 'interest_income', 'penalty_income',
                    'bank_cash', 'bank_settlement', 'loan_loss', 'fx_position', 'fx_income'));
alter table transfer drop constraint transfer_kind_check;
alter table transfer add constraint transfer_kind_check
    check (kind in ('disbursement', 'repayment', 'client_transfer', 'reversal', 'adjustment',
                    'deposit', 'withdrawal', 'write_off', 'exchange'));

-- The bank's rates for a currency pair: units of the quote currency for one unit of the base.
-- The bank buys the base from clients at buy_rate and sells it at sell_rate. A rate is
-- proposed by one member of finance staff and published (or rejected) by another.
create table fx_rate (
    id uuid primary key,
    base_currency text not null,
    quote_currency text not null,
    check ((base_currency, quote_currency) in (('USD', 'UZS'), ('EUR', 'UZS'), ('EUR', 'USD'))),
    buy_rate numeric(20, 6) not null check (buy_rate > 0),
    sell_rate numeric(20, 6) not null check (sell_rate >= buy_rate),
    valid_from timestamptz not null,
    valid_until timestamptz not null,
    check (valid_until > valid_from),
    state text not null check (state in ('proposed', 'published', 'rejected')),
    proposed_by uuid not null,
    proposed_at timestamptz not null,
    decided_by uuid,
    decided_at timestamptz,
    rejection_reason text check (rejection_reason is null or length(rejection_reason) between 1 and 500),
    check ((state = 'proposed') = (decided_by is null)),
    check ((state = 'proposed') = (decided_at is null)),
    check ((state = 'rejected') = (rejection_reason is not null)),
    -- Four eyes: whoever proposed a rate never decides it.
    constraint fx_rate_four_eyes check (decided_by is null or decided_by <> proposed_by)
);
comment on table fx_rate is 'The bank''s buy and sell rates per currency pair, each proposed by one member of finance staff and published by another.';
create index fx_rate_in_force_idx on fx_rate (base_currency, quote_currency, valid_from desc)
    where state = 'published';
create index fx_rate_proposed_idx on fx_rate (proposed_at) where state = 'proposed';

-- A client's exchange between their own accounts, quoted and awaiting confirmation.
create table exchange_quote (
    id uuid primary key,
    client_id uuid not null,
    rate_id uuid not null references fx_rate (id),
    from_account_id uuid not null references account (id),
    to_account_id uuid not null references account (id),
    check (from_account_id <> to_account_id),
    -- What leaves the source account, in its currency, and what reaches the destination.
    sell_amount numeric(30, 2) not null check (sell_amount > 0),
    buy_amount numeric(30, 2) not null check (buy_amount > 0),
    -- The rate applied (the bank's buy or sell rate) and the pair's mid rate, which values the
    -- bank's position; the spread between them is the bank's income.
    applied_rate numeric(20, 6) not null check (applied_rate > 0),
    mid_rate numeric(21, 7) not null check (mid_rate > 0),
    confirmation_token text not null check (confirmation_token ~ '^[0-9a-f]{64}$'),
    expires_at timestamptz not null,
    transfer_id uuid unique references transfer (id),
    created_at timestamptz not null default now()
);
comment on table exchange_quote is 'Quoted exchanges between a client''s own accounts and the confirmation each one awaits.';
create index exchange_quote_client_idx on exchange_quote (client_id, created_at);
create index exchange_quote_expiry_idx on exchange_quote (expires_at) where transfer_id is null;
