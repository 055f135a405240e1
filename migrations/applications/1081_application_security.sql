-- What secures a loan: collateral (its type, what it is and its value) or a guarantor (their
-- name and the amount they guarantee), recorded by the founder on a draft application and shown
-- to the officers who review it; the approval carries them into the contract.
create table application_security (
    id uuid primary key,
    application_id uuid not null references application (id),
    kind text not null check (kind in ('collateral', 'guarantor')),
    collateral_type text
        check (collateral_type in ('real_estate', 'vehicle', 'equipment', 'deposit', 'other')),
    description text not null check (length(description) between 1 and 500),
    -- The collateral's value, or the amount the guarantor guarantees, in the programme's currency.
    value numeric(28, 2) not null check (value > 0),
    currency text not null,
    guarantor_name text check (length(guarantor_name) between 1 and 200),
    created_at timestamptz not null,
    check ((kind = 'collateral') = (collateral_type is not null)),
    check ((kind = 'guarantor') = (guarantor_name is not null))
);
create index application_security_of_application on application_security (application_id, created_at);
