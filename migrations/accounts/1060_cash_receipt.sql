-- Cash paid in at a counter: each deposit names the receipt the counter issued, and a receipt
-- is used once, ever. The row is written with the deposit's transfer proposal; the transfer is
-- booked only when a second member of staff confirms the proposal. A proposal rejected keeps
-- its receipt: a wrong receipt is cancelled at the counter and a new one issued.
create table cash_receipt (
    receipt_number text primary key check (receipt_number ~ '^[A-Z0-9][A-Z0-9-]{2,30}[A-Z0-9]$'),
    proposal_id uuid not null unique references transfer_proposal (id),
    account_id uuid not null references account (id),
    amount numeric(30, 2) not null check (amount > 0),
    currency text not null,
    recorded_by uuid not null,
    recorded_at timestamptz not null default now()
);
comment on table cash_receipt is 'Counter receipts of cash deposits, each naming the transfer proposal that credits it.';
