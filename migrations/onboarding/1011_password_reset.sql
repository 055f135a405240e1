-- Single-use tickets to set a new password without the old one: a founder's emailed reset
-- link, or the step after signing in with a one-time password. Only the SHA-256 of a ticket is
-- kept, so a database leak yields no usable link.
create table password_ticket (
    token_sha256 bytea primary key check (length(token_sha256) = 32),
    account_id uuid not null references login_account (id),
    -- reset: emailed to a founder who forgot their password; change: given at sign-in to an
    -- account that must change its one-time password.
    purpose text not null check (purpose in ('reset', 'change')),
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz,
    check (expires_at > created_at)
);
comment on table password_ticket is 'Single-use password reset and change tickets, by hash.';
create index password_ticket_account_idx on password_ticket (account_id, created_at);

-- Email waiting to be sent, written in the transaction of the change it tells about and sent
-- outside any transaction by the platform's mail sender (claimed in batches, sent, outcome
-- recorded).
create table mail_outbox (
    id uuid primary key,
    recipient text not null check (length(recipient) between 3 and 320),
    subject text not null,
    text_body text not null,
    html_body text not null,
    created_at timestamptz not null default now(),
    -- The next time the sender may try; a claim moves it forward so that a crashed sender's
    -- claim is taken again later.
    due_at timestamptz not null default now(),
    attempts integer not null default 0,
    sent_at timestamptz,
    last_error text
);
comment on table mail_outbox is 'Outgoing email, written transactionally and sent outside any transaction.';
create index mail_outbox_due_idx on mail_outbox (due_at) where sent_at is null;
