-- The states an application can be in, and the only changes between them. The rows of
-- application_transition are the domain's allowed_transitions(); a test keeps them equal.
create table application_state (
    name text primary key
);

comment on table application_state is 'The states of the application state machine.';

insert into application_state (name) values
    ('draft'), ('submitted'), ('screening'), ('in_review'), ('info_requested'),
    ('decision'), ('approved'), ('rejected'), ('withdrawn');

create table application_transition (
    from_state text not null references application_state (name),
    to_state text not null references application_state (name),
    primary key (from_state, to_state)
);

comment on table application_transition is 'Every state change an application may make; the trigger on application refuses any other.';

insert into application_transition (from_state, to_state) values
    ('draft', 'submitted'),
    ('submitted', 'screening'),
    ('screening', 'in_review'),
    ('screening', 'decision'),
    ('in_review', 'info_requested'),
    ('info_requested', 'in_review'),
    ('in_review', 'decision'),
    ('decision', 'approved'),
    ('decision', 'rejected'),
    ('decision', 'in_review'),
    ('draft', 'withdrawn'),
    ('submitted', 'withdrawn'),
    ('screening', 'withdrawn'),
    ('in_review', 'withdrawn'),
    ('info_requested', 'withdrawn');

create table application (
    id uuid primary key,
    programme_id uuid not null references programme (id),
    -- The founder's client id in onboarding, and the company they apply for.
    client_id uuid not null,
    company_id uuid not null,
    state text not null default 'draft' references application_state (name),
    requested_amount numeric(20, 2) check (requested_amount > 0),
    term_months integer check (term_months > 0),
    -- The project's total cost, for co-funded grants.
    project_cost numeric(20, 2) check (project_cost > 0),
    -- The founder's answers by question key, as sent (strings and numbers).
    answers jsonb not null default '{}',
    -- The people linked to the applicant at submission (the founder and the company's
    -- founders): none of them may review the application.
    applicant_person_ids uuid[] not null default '{}',
    submitted_at timestamptz,
    score numeric(12, 4),
    score_band text,
    score_recommendation text check (score_recommendation in ('approve', 'review', 'decline')),
    score_probability_of_default text,
    score_evaluation_id uuid,
    -- The scoring service's per-characteristic explanation and knockouts.
    score_explanation jsonb,
    scored_at timestamptz,
    -- Why screening last failed to finish (a peer service was unreachable), for officers.
    screening_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table application is 'A founder''s application to a programme, for one of their companies.';

create index application_client_idx on application (client_id, created_at desc);
create index application_queue_idx on application (state, programme_id, created_at);

-- Refuses an application created in any state but draft, and any state change that
-- application_transition does not list, whatever the code that attempts it.
create function application_check_transition() returns trigger
language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        if new.state <> 'draft' then
            raise exception 'an application starts as a draft, not %', new.state
                using errcode = 'check_violation', constraint = 'application_transition_allowed';
        end if;
    elsif new.state is distinct from old.state and not exists (
        select 1 from application_transition
        where from_state = old.state and to_state = new.state
    ) then
        raise exception 'an application cannot go from % to %', old.state, new.state
            using errcode = 'check_violation', constraint = 'application_transition_allowed';
    end if;
    return new;
end;
$$;

create trigger application_transition_allowed
    before insert or update of state on application
    for each row execute function application_check_transition();

-- Every step of an application, who took it and when; the founder sees what the domain's
-- founder_timeline lets through.
create table application_event (
    id uuid primary key,
    application_id uuid not null references application (id),
    at timestamptz not null,
    actor_id uuid not null,
    actor_role text not null check (actor_role in ('founder', 'credit_officer', 'approver', 'admin', 'service')),
    kind text not null check (kind in (
        'created', 'state_changed', 'screening_knocked_out', 'info_requested', 'info_answered',
        'reviewer_assigned', 'conflict_declared', 'review_submitted', 'decision_proposed',
        'decision_sent_back', 'decision_confirmed', 'internal_note')),
    -- The kind's details: states, messages, reviewer ids, outcomes.
    details jsonb not null default '{}'
);

comment on table application_event is 'The timeline of an application: every step, append-only.';

create index application_event_application_idx on application_event (application_id, at, id);
