-- The reminders sent that an instalment falls due soon, one per instalment and due date. The
-- daily job inserts the row and the `loan.instalment_due` event in one transaction under the
-- loan's row lock, and skips an instalment whose row exists, so a rerun of the job or a second
-- replica never reminds twice. It is a table of its own rather than a column of `installment`
-- because an early repayment or a new tranche replaces the instalment rows, and a column would
-- forget that the reminder for an unchanged due date was sent.
create table installment_reminder (
    contract_id uuid not null references contract (id),
    number integer not null check (number >= 1),
    due_date date not null,
    -- What was still due of the instalment when the reminder was sent.
    amount_due numeric(28, 2) not null check (amount_due > 0),
    reminded_on date not null check (reminded_on < due_date),
    -- The `loan.instalment_due` event that carried the reminder.
    event_id uuid not null unique,
    primary key (contract_id, number, due_date)
);
comment on table installment_reminder is 'Each reminder that a loan''s instalment falls due in a few days, sent once per instalment and due date.';
