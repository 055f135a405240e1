-- Four eyes on a write-off: one approver proposes it with a reason, another confirms it. The
-- proposer never confirms (checked by the service and here).
create table write_off_proposal (
    contract_id uuid primary key references contract (id),
    reason text not null check (length(reason) between 1 and 2000),
    proposed_by uuid not null,
    proposed_at timestamptz not null default now(),
    -- The second approver, once the contract is written off.
    confirmed_by uuid,
    confirmed_at timestamptz,
    check ((confirmed_by is null) = (confirmed_at is null)),
    constraint write_off_confirmer_is_not_the_proposer
        check (confirmed_by is null or confirmed_by <> proposed_by)
);
comment on table write_off_proposal is 'A proposed write-off of a contract, pending until a second approver confirms it; one per contract.';
comment on column write_off_proposal.proposed_by is 'The approver who proposed the write-off; never its confirmer.';
