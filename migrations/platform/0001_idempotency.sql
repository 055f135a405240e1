-- Saved responses of state-changing requests, so that a retry with the same Idempotency-Key
-- returns the first answer instead of acting twice.
create table idempotency_record (
    -- Who sent the key and to which operation: keys are unique per caller and operation, so
    -- two clients choosing the same key never see each other's responses.
    scope text not null,
    key text not null check (length(key) between 1 and 255),
    -- SHA-256 of the method, path and body; the same key with another body is refused.
    request_fingerprint text not null,
    response_status smallint,
    response_content_type text,
    response_body bytea,
    created_at timestamptz not null default now(),
    primary key (scope, key)
);
comment on table idempotency_record is 'First responses of requests sent with an Idempotency-Key, replayed on retry.';
