-- The loan book on a date: one row per loan that has been activated, with what was paid out,
-- what has come back as principal, what the bank is still owed, and how late the oldest unpaid
-- instalment is. A function rather than a view, because what is due and how late it is depend
-- on the date asked about; `stable`, so the planner may inline it into the caller's query.
create function loan_book(book_date date)
returns table (
    contract_id uuid,
    client_id uuid,
    programme_id uuid,
    currency text,
    status text,
    loan_account_number text,
    disbursed numeric,
    repaid_principal numeric,
    outstanding_principal numeric,
    interest_due numeric,
    penalty_outstanding numeric,
    days_past_due integer
)
language sql
stable
as $$
    select c.id,
           c.client_id,
           c.programme_id,
           c.currency,
           c.status,
           c.loan_account_number,
           paid_out.amount,
           repaid.principal,
           paid_out.amount - repaid.principal,
           coalesce(due.interest, 0),
           c.penalty_outstanding,
           coalesce(book_date - due.oldest_unpaid, 0)
    from contract c
    cross join lateral (
        select coalesce(sum(t.amount), 0) as amount
        from tranche t
        where t.contract_id = c.id and t.status = 'disbursed'
    ) paid_out
    cross join lateral (
        select coalesce(sum(r.principal), 0) as principal
        from repayment r
        where r.contract_id = c.id
    ) repaid
    cross join lateral (
        select sum(i.interest - i.paid_interest) as interest,
               min(i.due_date) filter (
                   where i.paid_interest < i.interest or i.paid_principal < greatest(i.principal, 0)
               ) as oldest_unpaid
        from installment i
        where i.contract_id = c.id and i.due_date <= book_date
    ) due
    where c.programme_kind = 'loan' and c.disbursement_date is not null
$$;
comment on function loan_book(date) is 'Each activated loan on a date: paid out, repaid principal, outstanding principal, interest due, penalty, days past due.';
