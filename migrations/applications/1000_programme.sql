-- Funding programmes: what a grant or loan programme offers, to whom, and how much of its
-- budget is committed. The texts, eligibility rules, form and rubric are stored as the checked
-- JSON the administrator entered; everything the database must enforce or lock is a column.
create table programme (
    id uuid primary key,
    kind text not null check (kind in ('grant', 'loan')),
    -- {"uz-Latn": "...", "uz-Cyrl": "...", "ru": "...", "en": "..."}
    name jsonb not null,
    description jsonb not null,
    currency text not null check (currency in ('UZS', 'USD', 'EUR')),
    total_budget numeric(20, 2) not null check (total_budget > 0),
    -- The sum of the amounts of confirmed approvals; raised only under a row lock.
    committed_amount numeric(20, 2) not null default 0 check (committed_amount >= 0),
    min_amount numeric(20, 2) not null check (min_amount > 0),
    max_amount numeric(20, 2) not null,
    min_term_months integer not null check (min_term_months > 0),
    max_term_months integer not null check (max_term_months <= 360),
    -- Loans only: the range a decision picks the annual rate from, in percent.
    annual_rate_min_percent numeric(7, 4) check (annual_rate_min_percent between 0 and 100),
    annual_rate_max_percent numeric(7, 4) check (annual_rate_max_percent between 0 and 100),
    repayment_method text check (repayment_method in ('annuity', 'equal_principal')),
    -- Loans only: the longest grace on principal a decision may grant.
    max_grace_months integer check (max_grace_months >= 0),
    -- Loans only: the annual penalty rate on overdue amounts, passed on to the contract.
    penalty_rate_percent numeric(7, 4) check (penalty_rate_percent between 0 and 100),
    -- Grants only: the largest share of the stated project cost a grant may cover.
    co_funding_cap_percent numeric(7, 4) check (co_funding_cap_percent > 0 and co_funding_cap_percent <= 100),
    opens_on date not null,
    -- The last day applications are accepted, inclusive.
    closes_on date not null,
    eligibility jsonb not null,
    -- The scoring service's scorecard that screening evaluates.
    scorecard_id uuid not null,
    -- The question keys whose answers are sent to the scorecard, under the same names.
    scoring_inputs text[] not null default '{}',
    form jsonb not null,
    rubric jsonb not null,
    created_at timestamptz not null default now(),
    created_by uuid not null,
    constraint programme_committed_within_budget check (committed_amount <= total_budget),
    constraint programme_amounts_ordered check (min_amount <= max_amount and max_amount <= total_budget),
    constraint programme_terms_ordered check (min_term_months <= max_term_months),
    constraint programme_dates_ordered check (opens_on < closes_on),
    constraint programme_loan_terms_only_for_loans check (
        (kind = 'loan') = (annual_rate_min_percent is not null)
        and (kind = 'loan') = (annual_rate_max_percent is not null)
        and (kind = 'loan') = (repayment_method is not null)
        and (kind = 'loan') = (max_grace_months is not null)
        and (kind = 'loan' or penalty_rate_percent is null)
        and (kind = 'grant' or co_funding_cap_percent is null)
    ),
    constraint programme_rate_range_ordered check (annual_rate_min_percent <= annual_rate_max_percent),
    constraint programme_grace_shorter_than_term check (max_grace_months < min_term_months)
);

comment on table programme is 'A grant or loan programme: limits, eligibility, form, rubric and budget.';
comment on column programme.committed_amount is 'Sum of confirmed approvals; never above total_budget.';
