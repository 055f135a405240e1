-- An approved application whose contract was cancelled before anyone signed it (by its founder,
-- or by credit staff after the configured days) ends as cancelled, so that it no longer reads as
-- approved; the same transaction releases its budget. The domain's allowed_transitions() lists
-- the same edge, and a test keeps the two equal.
insert into application_state (name) values ('cancelled');

insert into application_transition (from_state, to_state) values ('approved', 'cancelled');
