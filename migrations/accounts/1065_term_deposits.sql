-- Term deposits: the products admins set up, and the deposits clients open from a current
-- account. Each deposit holds its money on a ledger account of its own (kind term_deposit);
-- interest accrues day by day from the bank's interest expense to what it owes on deposits
-- (deposit_interest_payable) and is paid from there.
alter table account drop constraint account_kind_check;
alter table account add constraint account_kind_check
    check (kind in ('client_current', 'loan', 'grant_fund', 'interest_income', 'penalty_income',
                    'bank_cash', 'bank_settlement', 'loan_loss', 'fx_position', 'fx_income',
                    'fee_income', 'term_deposit', 'deposit_interest_payable',
                    'interest_expense'));
alter table transfer drop constraint transfer_kind_check;
alter table transfer add constraint transfer_kind_check
    check (kind in ('disbursement', 'repayment', 'client_transfer', 'reversal', 'adjustment',
                    'deposit', 'withdrawal', 'write_off', 'exchange', 'fee', 'term_deposit',
                    'deposit_interest'));
-- The interest expense grows with debits, like the other expense (loan_loss).
alter table account drop constraint account_normal_side_of_kind;
alter table account add constraint account_normal_side_of_kind
    check (normal_side = case when kind in ('loan', 'bank_cash', 'bank_settlement', 'loan_loss',
                                            'interest_expense')
                              then 'debit' else 'credit' end);
-- A term deposit belongs to a client, as current accounts and loans do.
alter table account drop constraint account_check;
alter table account add constraint account_owner_matches_kind
    check ((owner_client_id is null)
           = (kind not in ('client_current', 'loan', 'term_deposit')));

create table deposit_product (
    id uuid primary key,
    name text not null check (length(name) between 1 and 100),
    currency text not null check (currency in ('UZS', 'USD', 'EUR')),
    term_months smallint not null check (term_months between 1 and 60),
    -- Percent a year, actual/365.
    annual_rate numeric(5, 2) not null check (annual_rate > 0 and annual_rate < 100),
    early_withdrawal_rate numeric(5, 2) not null
        check (early_withdrawal_rate >= 0 and early_withdrawal_rate <= annual_rate),
    min_amount numeric(30, 2) not null check (min_amount > 0),
    interest_payout text not null check (interest_payout in ('monthly', 'maturity')),
    capitalised boolean not null,
    state text not null default 'offered' check (state in ('offered', 'withdrawn')),
    created_by uuid not null,
    created_at timestamptz not null default now(),
    withdrawn_by uuid,
    withdrawn_at timestamptz,
    check (not capitalised or interest_payout = 'monthly'),
    check ((state = 'withdrawn') = (withdrawn_at is not null and withdrawn_by is not null))
);
comment on table deposit_product is 'Term deposits the bank offers; a withdrawn product takes no new deposits.';

create table term_deposit (
    id uuid primary key,
    client_id uuid not null,
    product_id uuid not null references deposit_product (id),
    -- The product's terms as they were when the deposit opened: a later product never
    -- changes a deposit.
    currency text not null check (currency in ('UZS', 'USD', 'EUR')),
    term_months smallint not null check (term_months between 1 and 60),
    annual_rate numeric(5, 2) not null check (annual_rate > 0 and annual_rate < 100),
    early_withdrawal_rate numeric(5, 2) not null
        check (early_withdrawal_rate >= 0 and early_withdrawal_rate <= annual_rate),
    interest_payout text not null check (interest_payout in ('monthly', 'maturity')),
    capitalised boolean not null,
    principal numeric(30, 2) not null check (principal > 0),
    -- The deposit's own ledger account, and the current account it came from and returns to.
    account_id uuid not null unique references account (id),
    current_account_id uuid not null references account (id),
    opened_on date not null,
    matures_on date not null check (matures_on > opened_on),
    -- opening: the account exists, the money is not moved yet; open: earning; closing: an
    -- early closure is decided (closed_on and its figures kept) and its transfer not recorded
    -- yet; matured, closed_early: paid back; refused: the money was not there.
    state text not null
        check (state in ('opening', 'open', 'closing', 'matured', 'closed_early', 'refused')),
    -- The client's Idempotency-Key of the opening, and what the request said.
    open_key text not null,
    open_fingerprint text not null,
    -- The daily job's progress: the last day whose interest is booked, the interest period it
    -- is in, the base that period earns on, and what the period accrued so far.
    accrued_through date,
    period_starts_on date not null,
    period_base numeric(30, 2) not null check (period_base > 0),
    period_accrued numeric(30, 2) not null default 0 check (period_accrued >= 0),
    -- Interest paid to the current account, and interest added to the deposit.
    interest_paid numeric(30, 2) not null default 0 check (interest_paid >= 0),
    interest_capitalised numeric(30, 2) not null default 0 check (interest_capitalised >= 0),
    -- An early closure's settlement: the interest at the early rate, and what went back.
    early_interest numeric(30, 2),
    returned numeric(30, 2),
    closed_on date,
    created_at timestamptz not null default now(),
    unique (client_id, open_key),
    check ((state in ('closing', 'closed_early')) = (early_interest is not null)),
    check ((state in ('closing', 'closed_early', 'matured')) = (closed_on is not null))
);
comment on table term_deposit is 'Clients'' term deposits, with the daily job''s progress through their interest.';
create index term_deposit_client_idx on term_deposit (client_id, created_at);
create index term_deposit_unsettled_idx on term_deposit (state)
    where state in ('opening', 'open', 'closing');

-- Each day's interest booked on each deposit (a day that rounds to nothing has no row).
create table deposit_accrual (
    deposit_id uuid not null references term_deposit (id),
    day date not null,
    amount numeric(30, 2) not null check (amount > 0),
    transfer_id uuid not null references transfer (id),
    primary key (deposit_id, day)
);
comment on table deposit_accrual is 'Interest accrued on a term deposit, one row per day.';

-- Each payment of a period's interest: to the current account or added to the deposit.
create table deposit_interest_payment (
    deposit_id uuid not null references term_deposit (id),
    period_ends_on date not null,
    amount numeric(30, 2) not null check (amount >= 0),
    capitalised boolean not null,
    transfer_id uuid references transfer (id),
    primary key (deposit_id, period_ends_on),
    check ((amount > 0) = (transfer_id is not null))
);
comment on table deposit_interest_payment is 'Interest periods of term deposits, paid or capitalised once each.';
