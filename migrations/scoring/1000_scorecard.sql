-- A scorecard is a named series of versions. Its definition lives in the versions; the row
-- itself says which version evaluations use now.
create table scorecard (
    id uuid primary key,
    name text not null check (length(btrim(name)) > 0),
    created_at timestamptz not null default now(),
    -- The person who created it; null for the demo scorecards the service seeds itself.
    created_by uuid,
    -- The version that evaluations use when they do not name one; null until the first
    -- activation. The foreign key to scorecard_version is added below, once that table exists.
    active_version integer
);
comment on table scorecard is 'A named series of scorecard versions; active_version is the one evaluations use.';

-- One version of a scorecard's definition. A draft may be revised; once activated it never
-- changes again (a trigger enforces it), so an evaluation that names it can be replayed.
create table scorecard_version (
    scorecard_id uuid not null references scorecard (id),
    version integer not null check (version >= 1),
    status text not null check (status in ('draft', 'active')),
    -- The definition in the service's JSON form (see http::definition): characteristics with
    -- their bins, points and reason codes, knockouts, scaling and bands.
    definition jsonb not null,
    created_at timestamptz not null default now(),
    -- Who created, and who activated, the version; null for seeded versions.
    created_by uuid,
    updated_at timestamptz not null default now(),
    activated_at timestamptz,
    activated_by uuid,
    primary key (scorecard_id, version),
    check ((status = 'active') = (activated_at is not null))
);
comment on table scorecard_version is 'An immutable-once-active version of a scorecard definition.';
comment on column scorecard_version.status is 'draft: may be revised; active: has been activated and is frozen (it stays active after a later version replaces it as the scorecard''s current one).';

alter table scorecard
    add constraint scorecard_active_version_fk
    foreign key (id, active_version) references scorecard_version (scorecard_id, version);

-- Only a draft's definition may change, and an active version never turns back into a draft.
create function scorecard_version_active_is_frozen() returns trigger language plpgsql as $$
begin
    if old.status = 'active' then
        raise exception 'scorecard % version % is active and cannot change', old.scorecard_id, old.version;
    end if;
    return new;
end;
$$;

create trigger scorecard_version_active_is_frozen
    before update or delete on scorecard_version
    for each row execute function scorecard_version_active_is_frozen();
