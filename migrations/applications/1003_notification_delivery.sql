-- Delivery of notifications by email: the sender in the service picks unsent rows, and a
-- failed attempt is recorded and retried later instead of being lost.
alter table notification
    add column attempts integer not null default 0 check (attempts >= 0),
    -- The last delivery failure, as the relay or the address lookup reported it.
    add column last_error text,
    -- Not before this time is the next attempt made; null means as soon as possible.
    add column next_attempt_at timestamptz;

create index notification_unsent_idx on notification (created_at) where sent_at is null;
