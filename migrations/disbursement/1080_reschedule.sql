-- Rescheduling a loan: a payment holiday or a longer term, proposed by a credit officer and
-- confirmed (or rejected) by an approver who did not propose it. At most one is pending per
-- contract. A confirmed rescheduling replaces the rows due after the day it took effect; the
-- rows it replaced, with what had been paid of them, are kept as a schedule version.
create table reschedule (
    id uuid primary key,
    contract_id uuid not null references contract (id),
    kind text not null check (kind in ('payment_holiday', 'longer_term')),
    months integer not null check (months between 1 and 24),
    reason text not null check (length(reason) between 1 and 2000),
    status text not null default 'proposed' check (status in ('proposed', 'confirmed', 'rejected')),
    proposed_by uuid not null,
    proposed_at timestamptz not null,
    decided_by uuid,
    decided_at timestamptz,
    -- The bank's day the confirmed rescheduling took effect: rows due after it were replaced.
    effective_on date,
    check ((status = 'proposed') = (decided_by is null)),
    check ((decided_by is null) = (decided_at is null)),
    check ((status = 'confirmed') = (effective_on is not null)),
    check (decided_by is null or decided_by <> proposed_by)
);
create unique index reschedule_one_pending_per_contract on reschedule (contract_id)
    where status = 'proposed';
create index reschedule_contract on reschedule (contract_id, decided_at);

create table schedule_version (
    contract_id uuid not null references contract (id),
    version integer not null check (version >= 1),
    reschedule_id uuid not null unique references reschedule (id),
    -- The instalment rows as they stood before the rescheduling, each with what was paid.
    installments jsonb not null check (jsonb_typeof(installments) = 'array'),
    primary key (contract_id, version)
);
