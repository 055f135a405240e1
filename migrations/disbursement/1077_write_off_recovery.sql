-- A written-off loan is still owed. When the client pays towards it later, each payment is a
-- recovery: it leaves the client's current account for the loan-loss account the principal was
-- charged to, so the loss shrinks by what came back. Recoveries are capped by the principal
-- written off, which is kept on the contract at the moment of the write-off.
alter table contract add column written_off_principal numeric(28, 2)
    check (written_off_principal >= 0);

-- Contracts written off before this migration: their outstanding principal, which is what the
-- write-off moved to the losses (nothing for a grant).
update contract c
set written_off_principal = coalesce(
    (select b.outstanding_principal from loan_book(current_date) b where b.contract_id = c.id), 0)
where c.status = 'written_off';

alter table contract add constraint contract_written_off_principal_kept
    check ((status = 'written_off') = (written_off_principal is not null));

create table recovery (
    id uuid primary key,
    contract_id uuid not null references contract (id),
    recovered_on date not null,
    amount numeric(28, 2) not null check (amount > 0),
    transfer_id uuid not null unique,
    recorded_by uuid not null,
    created_at timestamptz not null default now()
);
comment on table recovery is 'Money paid towards a written-off loan, with the ledger transfer that moved it to the loan-loss account.';
create index recovery_contract_idx on recovery (contract_id, created_at);
