-- Screening that an officer can act on: a hit is reviewed (false positive or true match, with a
-- reason), kept across later screenings so that a decision is never silently lost, and each
-- check result carries a stable code the pages translate instead of showing English detail.
alter table screening_hit
    -- The listed person's birth date, shown beside the client's.
    add column entry_birth_date date,
    add column resolution text check (resolution in ('false_positive', 'true_match')),
    add column resolution_reason text check (length(resolution_reason) between 1 and 2000),
    add column resolved_by uuid references login_account (id),
    add column resolved_at timestamptz,
    add constraint screening_hit_resolution_complete check (
        (resolution is null) = (resolution_reason is null)
        and (resolution is null) = (resolved_by is null)
        and (resolution is null) = (resolved_at is null)
    );
-- One hit per case, screened name and list entry: screening again finds the same entry and
-- must not open a second review of it.
create unique index screening_hit_entry_key
    on screening_hit (case_id, screened_name, entry_list_name, entry_reference);
create index screening_hit_open_idx on screening_hit (found_at) where resolution is null;

-- A stable code per check outcome (passed, cannot_screen, possible_match, failed); null on
-- results stored before the code existed.
alter table kyc_check add column outcome text;
