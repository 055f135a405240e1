-- The one client profile: a person, or a company a person registered.
create table client (
    id uuid primary key,
    kind text not null check (kind in ('person', 'company')),
    created_at timestamptz not null default now()
);
comment on table client is 'Every onboarded client, person or company; its id is the client_id everywhere.';

-- A person's profile, each part in the canonical form the domain parses it into.
create table person (
    client_id uuid primary key references client (id),
    pinfl text not null unique check (pinfl ~ '^[1-6][0-9]{13}$'),
    -- The birth date the PINFL encodes; checked to agree before it is stored.
    birth_date date not null,
    latin_surname text not null,
    latin_given_name text not null,
    latin_patronymic text,
    -- The Cyrillic spelling, when the person's documents carry one.
    cyrillic_surname text,
    cyrillic_given_name text,
    cyrillic_patronymic text,
    passport_number text not null unique check (passport_number ~ '^[A-Z]{2}[0-9]{7}$'),
    passport_issue_date date not null,
    passport_expiry_date date not null check (passport_expiry_date > passport_issue_date),
    -- 998 and nine digits.
    phone text not null check (phone ~ '^998[0-9]{9}$'),
    email text,
    address_region text not null,
    address_district text not null,
    address_street_line text not null,
    updated_at timestamptz not null default now(),
    check ((cyrillic_surname is null) = (cyrillic_given_name is null))
);
comment on table person is 'Profiles of individual clients: identity, passport, contact and address.';

create table company (
    id uuid primary key references client (id),
    -- The person who registered the company and manages its profile.
    owner_client_id uuid not null references client (id),
    stir text not null unique check (stir ~ '^[2-7][0-9]{8}$'),
    name text not null,
    legal_form text not null check (legal_form in ('llc', 'jsc', 'private_enterprise', 'family_enterprise', 'sole_proprietor')),
    registration_date date not null,
    it_park_certificate_number text,
    it_park_valid_from date,
    it_park_valid_until date,
    created_at timestamptz not null default now(),
    check ((it_park_certificate_number is null) = (it_park_valid_from is null)
       and (it_park_valid_from is null) = (it_park_valid_until is null)),
    check (it_park_valid_until >= it_park_valid_from)
);
comment on table company is 'Company profiles, each registered by one person client.';
create index company_owner_idx on company (owner_client_id);

create table company_founder (
    company_id uuid not null references company (id),
    -- The founder's place in the list as given, so field errors and views keep the order.
    position smallint not null check (position >= 0),
    -- An onboarded client, or a person known only by PINFL: exactly one of the two.
    founder_client_id uuid references client (id),
    founder_pinfl text check (founder_pinfl ~ '^[1-6][0-9]{13}$'),
    share_percent numeric(5, 2) not null check (share_percent > 0 and share_percent <= 100),
    primary key (company_id, position),
    check ((founder_client_id is null) <> (founder_pinfl is null))
);
comment on table company_founder is 'Founders of a company and their shares in percent (at most 100 in total).';

create table company_representative (
    company_id uuid not null references company (id),
    client_id uuid not null references client (id),
    role text not null check (role in ('director', 'chief_accountant', 'attorney')),
    primary key (company_id, client_id)
);
comment on table company_representative is 'People allowed to act for a company, and in what capacity.';

alter table login_account
    add constraint login_account_client_fk foreign key (client_id) references client (id);
