-- Contracts made from approved applications, their tranches and their repayment schedules.

create table contract (
    id uuid primary key,
    -- The approved application this contract was made from: one contract per application, so
    -- an `application.approved` event delivered again never makes a second one.
    application_id uuid not null unique,
    programme_id uuid not null,
    programme_kind text not null check (programme_kind in ('grant', 'loan')),
    client_id uuid not null,
    company_id uuid not null,
    currency text not null check (currency in ('UZS', 'USD', 'EUR')),
    principal numeric(28, 2) not null check (principal > 0),
    -- Loans only: a grant has no interest, no repayment method and no schedule.
    annual_rate_percent numeric(7, 4) check (annual_rate_percent between 0 and 100),
    repayment_method text check (repayment_method in ('annuity', 'equal_principal')),
    term_months integer not null check (term_months between 1 and 360),
    grace_months integer not null default 0 check (grace_months >= 0 and grace_months < term_months),
    day_count text not null default '30/360' check (day_count in ('30/360', 'actual/365')),
    -- Annual rate, in percent, of the penalty on overdue amounts.
    penalty_rate_percent numeric(7, 4) not null check (penalty_rate_percent between 0 and 100),
    -- Set at activation: the day the money goes out and the first instalment's due date.
    disbursement_date date,
    first_due_date date,
    status text not null check (status in ('draft', 'signed', 'active', 'closed', 'written_off')),
    -- Accrued penalty not yet paid, booked by the daily arrears job.
    penalty_outstanding numeric(28, 2) not null default 0 check (penalty_outstanding >= 0),
    -- The client's loan account at the ledger, opened at the first loan disbursement.
    loan_account_number text check (loan_account_number ~ '^[0-9]{20}$'),
    approved_at timestamptz not null,
    created_at timestamptz not null default now(),
    signed_at timestamptz,
    signed_by uuid,
    activated_at timestamptz,
    activated_by uuid,
    closed_at timestamptz,
    check ((programme_kind = 'loan') = (annual_rate_percent is not null and repayment_method is not null)),
    check ((status in ('draft', 'signed')) = (disbursement_date is null)),
    check ((disbursement_date is null) = (first_due_date is null)),
    check (first_due_date > disbursement_date)
);
comment on table contract is 'A grant or loan contract, from the approved application to closure.';
create index contract_client_idx on contract (client_id, created_at);

create table tranche (
    id uuid primary key,
    contract_id uuid not null references contract (id),
    -- The tranche's position in the contract, from 1.
    number integer not null check (number >= 1),
    amount numeric(28, 2) not null check (amount > 0),
    -- What the tranche pays for: a grant milestone or a loan tranche.
    purpose text not null,
    status text not null check (status in ('planned', 'requested', 'approved', 'disbursed', 'cancelled')),
    -- The founder's milestone report (grants) or the officer's note (loans) with the request.
    request_note text,
    requested_by uuid,
    requested_at timestamptz,
    approved_by uuid,
    approved_at timestamptz,
    -- The ledger transfer that paid the tranche out; its idempotency key is derived from the
    -- tranche id, so a retry can never pay twice.
    transfer_id uuid unique,
    disbursed_at timestamptz,
    unique (contract_id, number),
    -- Four eyes: the person who requested a tranche never approves it.
    check (approved_by is null or approved_by <> requested_by),
    check ((status in ('requested', 'approved', 'disbursed')) <= (requested_by is not null)),
    check ((status in ('approved', 'disbursed')) <= (approved_by is not null)),
    check ((status = 'disbursed') = (transfer_id is not null))
);
comment on table tranche is 'A grant milestone or loan tranche: planned, requested, approved by a second person, disbursed once.';

create table installment (
    contract_id uuid not null references contract (id),
    -- The instalment's number; an early repayment replaces the rows from the next one on.
    number integer not null check (number >= 1),
    due_date date not null,
    principal numeric(28, 2) not null,
    interest numeric(28, 2) not null check (interest >= 0),
    total numeric(28, 2) not null,
    -- Principal still owed once this instalment is paid.
    balance numeric(28, 2) not null check (balance >= 0),
    paid_interest numeric(28, 2) not null default 0 check (paid_interest >= 0),
    paid_principal numeric(28, 2) not null default 0 check (paid_principal >= 0),
    -- Days past due on the last arrears run that found the instalment overdue.
    days_past_due integer not null default 0 check (days_past_due >= 0),
    primary key (contract_id, number),
    check (total = principal + interest),
    check (paid_interest <= interest),
    check (paid_principal <= greatest(principal, 0))
);
comment on table installment is 'The current repayment schedule of a loan, one row per instalment, with what has been paid of it.';

create table repayment (
    id uuid primary key,
    contract_id uuid not null references contract (id),
    kind text not null check (kind in ('scheduled', 'early')),
    repaid_on date not null,
    amount numeric(28, 2) not null check (amount > 0),
    penalty numeric(28, 2) not null check (penalty >= 0),
    interest numeric(28, 2) not null check (interest >= 0),
    principal numeric(28, 2) not null check (principal >= 0),
    -- Early repayments only: the principal repaid ahead of schedule and the client's choice;
    -- replaying them in order over the disbursed schedule gives the current schedule.
    extra_principal numeric(28, 2) check (extra_principal > 0),
    early_option text check (early_option in ('keep_term', 'keep_installment')),
    transfer_id uuid not null unique,
    created_at timestamptz not null default now(),
    check (amount = penalty + interest + principal),
    check ((kind = 'early') = (extra_principal is not null and early_option is not null))
);
comment on table repayment is 'Money repaid on a loan, split penalty, interest, principal, with the ledger transfer that moved it.';
create index repayment_contract_idx on repayment (contract_id, created_at);
