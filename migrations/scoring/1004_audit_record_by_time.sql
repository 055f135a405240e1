-- The audit trail is read newest first, keyset-paged on (occurred_at, id), whole or by who
-- acted (GET /v1/audit). Without these indexes each page would sort the whole table.
create index audit_record_time_idx on audit_record (occurred_at desc, id desc);
create index audit_record_actor_idx on audit_record (actor_id, occurred_at desc, id desc);
