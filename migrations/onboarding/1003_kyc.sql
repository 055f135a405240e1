-- KYC: one case per person client and one per company, the documents under review with an
-- officer's decision on each, the checks run at submission, and the watch list.
create table kyc_case (
    id uuid primary key,
    -- The person client: the case's subject, or the owner of the company that is.
    client_id uuid not null references client (id),
    -- The company under review; null for the person's own case.
    company_id uuid references company (id),
    status text not null default 'new' check (status in ('new', 'pending_review', 'approved', 'rejected', 'revision_requested')),
    -- The officer who alone may act on the case.
    assigned_officer_id uuid references login_account (id),
    rejection_reason text check (rejection_reason in ('documents_rejected', 'screening_list_match', 'duplicate_identity', 'false_information')),
    -- What the officer asked the client to fix, on the last revision request.
    revision_note text check (length(revision_note) <= 2000),
    submitted_at timestamptz,
    decided_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check ((status = 'rejected') = (rejection_reason is not null))
);
comment on table kyc_case is 'KYC cases, one per person client and one per company.';
create unique index kyc_case_person_key on kyc_case (client_id) where company_id is null;
create unique index kyc_case_company_key on kyc_case (company_id) where company_id is not null;
create index kyc_case_queue_idx on kyc_case (status, submitted_at);

create table kyc_case_document (
    case_id uuid not null references kyc_case (id),
    document_id uuid not null unique references document (id),
    decision text check (decision in ('accepted', 'rejected', 'revision_requested')),
    -- Set with a rejection.
    rejection_reason text check (rejection_reason in ('illegible', 'expired', 'does_not_match_profile', 'wrong_document_kind', 'incomplete', 'suspected_forgery')),
    -- Set with a revision request: what to fix.
    note text check (length(note) <= 2000),
    decided_by uuid references login_account (id),
    decided_at timestamptz,
    attached_at timestamptz not null default now(),
    primary key (case_id, document_id),
    check ((decision = 'rejected') = (rejection_reason is not null)),
    check ((decision = 'revision_requested') = (note is not null))
);
comment on table kyc_case_document is 'Documents under a KYC case and the officer''s decision on each.';

-- The checks run when a case is submitted, kept per submission for the officer to read.
create table kyc_check (
    id uuid primary key,
    case_id uuid not null references kyc_case (id),
    -- format, pinfl_birth_date, passport_validity, duplicates or screening.
    check_name text not null check (check_name in ('format', 'pinfl_birth_date', 'passport_validity', 'duplicates', 'screening')),
    passed boolean not null,
    detail text not null,
    ran_at timestamptz not null default now()
);
comment on table kyc_check is 'Automatic KYC checks and their results, per submission.';
create index kyc_check_case_idx on kyc_check (case_id, ran_at);

-- Watch lists as imported; the latest import is the one screening uses.
create table watch_list_import (
    id uuid primary key,
    imported_by uuid not null references login_account (id),
    imported_at timestamptz not null default now(),
    -- The CSV as imported: full_name, list_name, reference and optionally birth_date.
    csv_text text not null,
    entry_count integer not null check (entry_count >= 0)
);
comment on table watch_list_import is 'Imported watch lists (sanctions, PEP); the latest is in force.';

create table screening_hit (
    id uuid primary key,
    case_id uuid not null references kyc_case (id),
    watch_list_import_id uuid not null references watch_list_import (id),
    -- The name screened, as the profile has it.
    screened_name text not null,
    entry_full_name text not null,
    entry_list_name text not null,
    entry_reference text not null,
    -- Similarity 0 to 100.
    score smallint not null check (score between 0 and 100),
    found_at timestamptz not null default now()
);
comment on table screening_hit is 'Possible watch-list matches found at submission, for the officer to judge.';
create index screening_hit_case_idx on screening_hit (case_id);
