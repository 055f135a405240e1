-- Whose session a row is: a keyed hash of the signed-in person's id, so that a password change
-- ends the person's other sessions at once instead of leaving each working until its cached
-- access token expires. The tag is an HMAC under a key derived from session_encryption_key, so
-- the table still does not say who is signed in, nor lets anyone compute a tag to look for.
-- A session is tagged when a sign-in completes; its row goes with the session's.
create table frontend_session_owner (
    id_hash bytea primary key references frontend_session (id_hash) on delete cascade,
    owner_tag bytea not null check (length(owner_tag) = 32)
);
create index frontend_session_owner_tag_idx on frontend_session_owner (owner_tag);
comment on table frontend_session_owner is 'The signed-in person of each frontend session, as a keyed hash.';
