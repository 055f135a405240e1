-- Payment templates (a client's saved transfer to another account) and standing orders (a
-- template the daily job pays on one day of every month).

create table payment_template (
    id uuid primary key,
    client_id uuid not null,
    name text not null check (length(name) between 1 and 100),
    from_account_id uuid not null references account (id),
    to_account_id uuid not null references account (id),
    amount numeric(30, 2) not null check (amount > 0),
    created_at timestamptz not null default now(),
    check (from_account_id <> to_account_id)
);
comment on table payment_template is 'Transfers a client saved to send again, by hand or by a standing order.';
create index payment_template_client_idx on payment_template (client_id, created_at);

create table standing_order (
    id uuid primary key,
    client_id uuid not null,
    template_id uuid not null references payment_template (id),
    -- The day of every month it is paid: at most the 28th, so that every month has it.
    day_of_month smallint not null check (day_of_month between 1 and 28),
    -- The first day it may be paid.
    starts_on date not null,
    state text not null check (state in ('active', 'cancelled')),
    created_at timestamptz not null default now(),
    cancelled_at timestamptz,
    check ((state = 'cancelled') = (cancelled_at is not null))
);
comment on table standing_order is 'Monthly payments of a template, made by the daily job.';
create index standing_order_client_idx on standing_order (client_id, created_at);
create index standing_order_due_idx on standing_order (day_of_month) where state = 'active';

-- What became of each standing order on each of its due dates, decided once: the payment
-- booked, or skipped with the reason (money short, an account closed, the daily limit).
create table standing_order_run (
    standing_order_id uuid not null references standing_order (id),
    due_on date not null,
    outcome text not null check (outcome in ('booked', 'skipped')),
    reason text check (reason in ('insufficient_funds', 'account_closed', 'daily_limit_exceeded')),
    transfer_id uuid references transfer (id),
    decided_at timestamptz not null default now(),
    check ((outcome = 'skipped') = (reason is not null)),
    check ((outcome = 'booked') = (transfer_id is not null)),
    primary key (standing_order_id, due_on)
);
comment on table standing_order_run is 'Each standing order''s payment of each due date: booked or skipped, once.';
