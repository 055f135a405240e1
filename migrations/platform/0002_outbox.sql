-- Events written in the same transaction as the change they announce, delivered later by the
-- relay at least once.
create table outbox_event (
    id uuid primary key,
    topic text not null check (topic ~ '^[a-z_]+\.[a-z_]+$'),
    payload jsonb not null,
    created_at timestamptz not null default now(),
    -- Delivery attempts so far, and when the relay may try again (exponential backoff).
    attempts integer not null default 0 check (attempts >= 0),
    next_attempt_at timestamptz not null default now(),
    delivered_at timestamptz,
    last_error text
);
comment on table outbox_event is 'Transactional outbox: events awaiting delivery to their subscribers.';
create index outbox_event_pending_idx on outbox_event (next_attempt_at) where delivered_at is null;

-- Events this service has consumed, so that a repeated delivery is recognised and ignored.
create table inbox_event (
    event_id uuid primary key,
    topic text not null,
    received_at timestamptz not null default now()
);
comment on table inbox_event is 'Events already applied by this service; a repeat delivery is dropped.';
