-- Who did what, when, from where, with the state before and after. Append-only: a trigger
-- refuses updates and deletes, so not even the service itself can rewrite history.
create table audit_record (
    id uuid primary key,
    occurred_at timestamptz not null default now(),
    -- The principal (user or service) that acted; null for the system itself (a scheduled job).
    actor_id uuid,
    actor_roles text[] not null default '{}',
    action text not null,
    subject_type text not null,
    subject_id text not null,
    before jsonb,
    after jsonb,
    source_address text,
    request_id text
);
comment on table audit_record is 'Append-only audit trail of decisions, profile changes and money movements.';
create index audit_record_subject_idx on audit_record (subject_type, subject_id, occurred_at);

create function audit_record_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_record is append-only';
end;
$$;

create trigger audit_record_append_only
    before update or delete on audit_record
    for each row execute function audit_record_is_append_only();
