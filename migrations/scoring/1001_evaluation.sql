-- A stored evaluation: the inputs, the version it was scored on and the complete result,
-- so that a decision can be explained and replayed years later. Append-only.
create table evaluation (
    id uuid primary key,
    scorecard_id uuid not null,
    version integer not null,
    -- The inputs exactly as received: numbers are kept as JSON numbers (jsonb stores them as
    -- numeric, so no digit is lost), categories as strings, missing inputs absent.
    inputs jsonb not null,
    -- The complete response that was returned, with every characteristic's bin, points and
    -- reason code.
    result jsonb not null,
    score numeric not null,
    probability_of_default numeric not null check (probability_of_default > 0 and probability_of_default < 1),
    band text not null,
    recommendation text not null check (recommendation in ('approve', 'review', 'decline')),
    evaluated_at timestamptz not null default now(),
    -- The person or service that asked for the evaluation.
    evaluated_by uuid not null,
    foreign key (scorecard_id, version) references scorecard_version (scorecard_id, version)
);
comment on table evaluation is 'Append-only record of every stored evaluation, replayable from its inputs and scorecard version.';
create index evaluation_scorecard_idx on evaluation (scorecard_id, version, evaluated_at);

create function evaluation_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'evaluation is append-only';
end;
$$;

create trigger evaluation_append_only
    before update or delete on evaluation
    for each row execute function evaluation_is_append_only();
