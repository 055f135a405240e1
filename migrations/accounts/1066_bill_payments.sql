-- Paying the state and utilities: the bank's catalogue of payees, the simulated billing
-- system the demo stands in for real ones with, and clients' payments of invoices.
alter table transfer drop constraint transfer_kind_check;
alter table transfer add constraint transfer_kind_check
    check (kind in ('disbursement', 'repayment', 'client_transfer', 'reversal', 'adjustment',
                    'deposit', 'withdrawal', 'write_off', 'exchange', 'fee', 'term_deposit',
                    'deposit_interest', 'bill_payment'));

create table billing_payee (
    code text primary key check (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    -- The payee's official name, as its billing system gives it.
    name text not null check (length(name) between 1 and 200),
    category text not null check (category in ('state_duty', 'fine', 'tax', 'utility')),
    created_at timestamptz not null default now()
);
comment on table billing_payee is 'Who clients can pay through a billing system: state duties, fines, taxes, utilities.';

-- The simulated billing system's own invoices. A real billing system keeps its invoices
-- itself; the platform reaches it only through the billing interface.
create table simulated_invoice (
    number text primary key check (number ~ '^[A-Z0-9][A-Z0-9-]{4,29}$'),
    payee_code text not null references billing_payee (code),
    description text not null check (length(description) between 1 and 300),
    amount numeric(30, 2) not null check (amount > 0),
    currency text not null check (currency = 'UZS'),
    expires_on date not null,
    -- The bank's payment that settled it, and the confirmation the billing system gave.
    paid_reference uuid unique,
    confirmation_number text unique,
    paid_at timestamptz,
    check ((paid_at is null) = (confirmation_number is null)),
    check ((paid_at is null) = (paid_reference is null))
);
comment on table simulated_invoice is 'The demo''s billing system: invoices it issued, and which are paid.';

create table bill_payment (
    id uuid primary key,
    client_id uuid not null,
    -- The client's Idempotency-Key and what the request said.
    idempotency_key text not null,
    fingerprint text not null,
    payee_code text not null references billing_payee (code),
    invoice_number text not null,
    description text not null,
    amount numeric(30, 2) not null check (amount > 0),
    currency text not null check (currency in ('UZS', 'USD', 'EUR')),
    from_account_id uuid not null references account (id),
    -- The hold that reserves the money while the billing system settles the invoice.
    hold_transfer_id uuid references transfer (id),
    -- pending: written down, money held or about to be; paid: the billing system confirmed
    -- and the hold is posted; refused: the billing system refused, the hold voided.
    state text not null check (state in ('pending', 'paid', 'refused')),
    confirmation_number text,
    refusal text,
    created_at timestamptz not null default now(),
    decided_at timestamptz,
    unique (client_id, idempotency_key),
    check ((state = 'paid') = (confirmation_number is not null)),
    check ((state = 'refused') = (refusal is not null)),
    check ((state = 'pending') = (decided_at is null))
);
comment on table bill_payment is 'Clients'' payments of invoices to the state and utilities.';
create index bill_payment_client_idx on bill_payment (client_id, created_at);
create index bill_payment_pending_idx on bill_payment (created_at) where state = 'pending';
-- An invoice is paid once: a second payment while one is pending or paid is refused.
create unique index bill_payment_once_per_invoice on bill_payment (payee_code, invoice_number)
    where state <> 'refused';
