-- The budget an approval committed, given back to its programme when the contract made from it
-- was cancelled unsigned. One row per application: however often `contract.cancelled` is
-- delivered (or whatever its event id), the amount returns to the budget once.
create table budget_release (
    application_id uuid primary key references application (id),
    programme_id uuid not null references programme (id),
    contract_id uuid not null,
    amount numeric(28, 2) not null check (amount > 0),
    released_at timestamptz not null,
    event_id uuid not null
);
comment on table budget_release is 'Programme budget returned when an approved application''s contract was cancelled unsigned.';
