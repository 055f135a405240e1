-- The daily arrears job: which dates it has run for, and what it found on each.

create table arrears_run (
    -- The date assessed. Each loan is assessed for it in its own transaction, guarded by the
    -- loan's row lock and its `arrears_day` row, so a second runner (another replica, a retry
    -- after a crash) assesses only the loans the first did not reach.
    as_of date primary key,
    started_at timestamptz not null default now(),
    -- Set when every loan has been assessed for the date; null while a run is in progress or
    -- was interrupted, and the next run completes it.
    completed_at timestamptz,
    contracts_overdue integer not null default 0 check (contracts_overdue >= 0)
);
comment on table arrears_run is 'Dates the arrears job has assessed; each loan once per date.';

create table arrears_day (
    contract_id uuid not null references contract (id),
    as_of date not null references arrears_run (as_of),
    -- Unpaid total of the instalments overdue on that date.
    total_overdue numeric(28, 2) not null check (total_overdue > 0),
    -- The penalty accrued for that day and added to the contract's outstanding penalty.
    penalty numeric(28, 2) not null check (penalty >= 0),
    -- Days past due of the oldest overdue instalment, and its ageing bucket.
    days_past_due integer not null check (days_past_due >= 1),
    bucket text not null check (bucket in ('1-30', '31-60', '61-90', '90+')),
    overdue_installments integer not null check (overdue_installments >= 1),
    primary key (contract_id, as_of)
);
comment on table arrears_day is 'A contract overdue on a date: the amount, the day''s penalty, the days past due and the bucket.';
create index arrears_day_as_of_idx on arrears_day (as_of, contract_id);
