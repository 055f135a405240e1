-- An administrator closes a programme to stop new applications before its last day (the
-- applications already submitted continue) and may open it again. updated_at says when the
-- definition or the budget last changed, so that a submission checked against one definition
-- is never recorded against another that an edit put in its place meanwhile.
alter table programme
    add column closed_at timestamptz,
    add column closed_by uuid,
    add column updated_at timestamptz not null default now(),
    add constraint programme_closed_by_whom check ((closed_at is null) = (closed_by is null));
comment on column programme.closed_at is 'When an administrator closed the programme to new applications; null while open.';
