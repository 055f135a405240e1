-- A company's own current account, opened when onboarding approves the company's KYC
-- (`company.kyc_approved`). The company, not its founder, owns the money: grants and loans to
-- the company are paid into it. Its founder operates it, which the company row records.

-- Each company the bank knows as a client, with the founder who may operate its accounts.
create table company (
    company_id uuid primary key,
    -- The founder (onboarding's client id) whose approval made the company known here.
    founder_client_id uuid not null,
    -- The company's taxpayer number (STIR), nine digits, as onboarding approved it.
    stir text not null check (stir ~ '^[0-9]{9}$'),
    approved_at timestamptz not null,
    created_at timestamptz not null default now()
);
comment on table company is 'Companies whose KYC onboarding approved, each with the founder who operates its accounts.';
create index company_founder_idx on company (founder_client_id);

-- A company gets its own 8-digit owner code from the same sequence as persons do, keyed by the
-- company's id: onboarding's company and client ids are both UUIDs and never equal.
comment on column client_code.client_id is 'Whose code it is: a person''s client id, or a company''s id from onboarding.';

alter table account add column owner_company_id uuid references company (company_id);
comment on column account.owner_company_id is 'The company that owns the account; set exactly for company_current accounts.';
create index account_company_idx on account (owner_company_id, kind) where owner_company_id is not null;

alter table account drop constraint account_kind_check;
alter table account add constraint account_kind_check
    check (kind in ('client_current', 'loan', 'grant_fund', 'interest_income', 'penalty_income',
                    'bank_cash', 'bank_settlement', 'loan_loss', 'fx_position', 'fx_income',
                    'fee_income', 'term_deposit', 'deposit_interest_payable',
                    'interest_expense', 'company_current'));
-- A company's current account is credit-normal like a person's; the normal-side constraint of
-- 1065 names only the debit-normal kinds, so it already says so.

-- An account has at most one owner: a person (their current accounts, loans and deposits, the
-- constraint account_owner_matches_kind of 1065, which keeps owner_client_id null here), a
-- company (its current account) or, with neither, the bank.
alter table account add constraint account_company_owner_matches_kind
    check ((owner_company_id is null) = (kind <> 'company_current'));

-- Only the bank's own accounts may go below zero; a company's is a client's account too.
alter table account drop constraint account_overdraft_only_for_the_bank;
alter table account add constraint account_overdraft_only_for_the_bank
    check ((owner_client_id is null and owner_company_id is null) or not allow_negative);
