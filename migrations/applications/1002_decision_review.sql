-- Decisions with four eyes: a proposal by one person, confirmed or sent back by another.
create table application_decision (
    id uuid primary key,
    application_id uuid not null references application (id),
    outcome text not null check (outcome in ('approve', 'reject')),
    -- True when screening knocked the application out and proposed the rejection itself.
    from_screening boolean not null,
    proposed_by uuid not null,
    proposed_role text not null check (proposed_role in ('credit_officer', 'service')),
    proposed_at timestamptz not null,
    amount numeric(20, 2) check (amount > 0),
    term_months integer check (term_months > 0),
    annual_rate_percent numeric(7, 4),
    grace_months integer check (grace_months >= 0),
    reasons jsonb not null default '[]',
    status text not null default 'pending' check (status in ('pending', 'confirmed', 'sent_back')),
    resolved_by uuid,
    resolved_at timestamptz,
    sent_back_reason text,
    constraint application_decision_four_eyes check (resolved_by is null or resolved_by <> proposed_by),
    constraint application_decision_resolved check ((status = 'pending') = (resolved_by is null)),
    constraint application_decision_approval_has_terms check (
        (outcome = 'approve') = (amount is not null and term_months is not null))
);

comment on table application_decision is 'Proposed decisions and their confirmation by a second person (four eyes).';

create unique index application_decision_one_pending on application_decision (application_id)
    where status = 'pending';
create unique index application_decision_one_confirmed on application_decision (application_id)
    where status = 'confirmed';

-- Reviewers assigned to an application and their conflict-of-interest declaration.
create table reviewer_assignment (
    application_id uuid not null references application (id),
    reviewer_id uuid not null,
    assigned_by uuid not null,
    assigned_at timestamptz not null,
    declaration text not null default 'pending' check (declaration in ('pending', 'no_conflict', 'conflict')),
    declared_at timestamptz,
    primary key (application_id, reviewer_id),
    constraint reviewer_assignment_declared_at check ((declaration = 'pending') = (declared_at is null))
);

comment on table reviewer_assignment is 'A reviewer assigned to an application; they see it only after declaring no conflict.';

create index reviewer_assignment_reviewer_idx on reviewer_assignment (reviewer_id);

create table review (
    application_id uuid not null,
    reviewer_id uuid not null,
    -- Score 0 to 5 by rubric criterion key.
    scores jsonb not null,
    recommendation text not null check (recommendation in ('yes', 'maybe', 'no')),
    comment text not null,
    -- The weighted mean of the scores, 0 to 5.
    weighted_total numeric(6, 2) not null check (weighted_total between 0 and 5),
    submitted_at timestamptz not null,
    primary key (application_id, reviewer_id),
    foreign key (application_id, reviewer_id) references reviewer_assignment (application_id, reviewer_id)
);

comment on table review is 'A reviewer''s rubric scores, recommendation and comment.';

-- The local copy of each client's KYC status, kept from onboarding's events.
create table client_kyc (
    client_id uuid primary key,
    status text not null check (status in ('approved', 'rejected')),
    changed_at timestamptz not null
);

comment on table client_kyc is 'KYC status per client, from client.kyc_approved and client.kyc_rejected events.';

-- Notifications to founders. Without SMTP configured they are only recorded here, which is
-- what the demo shows.
create table notification (
    id uuid primary key,
    client_id uuid not null,
    application_id uuid not null references application (id),
    subject text not null,
    body text not null,
    created_at timestamptz not null,
    -- When an email was sent; null while it is only recorded.
    sent_at timestamptz
);

comment on table notification is 'Messages to founders on each state change of their applications.';

create index notification_client_idx on notification (client_id, created_at desc);
