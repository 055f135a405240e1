-- The collateral and guarantors an approved application recorded, carried into its contract.
create table contract_security (
    contract_id uuid not null references contract (id),
    position integer not null check (position >= 1),
    kind text not null check (kind in ('collateral', 'guarantor')),
    collateral_type text
        check (collateral_type in ('real_estate', 'vehicle', 'equipment', 'deposit', 'other')),
    description text not null check (length(description) between 1 and 500),
    value numeric(28, 2) not null check (value > 0),
    guarantor_name text check (length(guarantor_name) between 1 and 200),
    primary key (contract_id, position),
    check ((kind = 'collateral') = (collateral_type is not null)),
    check ((kind = 'guarantor') = (guarantor_name is not null))
);
