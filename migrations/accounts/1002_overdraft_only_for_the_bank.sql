-- Only the bank's own accounts (settlement, cash) may go below zero. A client's account below
-- zero would be credit nobody decided to give: a client's only credit is a loan, made by the
-- four-eyes decision and its contract. The service refuses it first; this holds it for good.
alter table account
    add constraint account_overdraft_only_for_the_bank
    check (owner_client_id is null or not allow_negative);
comment on column account.allow_negative is 'Whether the balance may go below zero; only ever true for the bank''s own accounts.';
