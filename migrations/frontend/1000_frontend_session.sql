-- The frontend's server-side sessions, in a database of their own so that every frontend
-- replica serves every visitor and a restart signs no one out. The browser holds only a random
-- id; a reader of this table can neither use a row (the id is stored hashed) nor read what a
-- session knows (its values are sealed under the frontend's session_encryption_key).
create table frontend_session (
    -- SHA-256 of the id in the visitor's cookie. The id is 32 random bytes, so the hash cannot
    -- be turned back into it, and a copy of this table cannot be replayed as a cookie.
    id_hash bytea primary key check (length(id_hash) = 32),
    -- The session's values as JSON (the person, the refresh token, cached access tokens, a
    -- sign-in's pending challenge), sealed with XChaCha20-Poly1305: a 24-byte nonce, then the
    -- ciphertext and its tag. The id hash is authenticated with it, so a sealed value copied
    -- into another row does not open there.
    sealed_data bytea not null check (length(sealed_data) > 40),
    created_at timestamptz not null,
    last_seen_at timestamptz not null,
    -- The creation time plus the absolute timeout, carried over when the id is rotated at
    -- login: however busy, a session ends here.
    absolute_expires_at timestamptz not null,
    -- The earlier of the last request plus the inactivity timeout and absolute_expires_at:
    -- from then on the session is refused, and the sweep deletes it.
    expires_at timestamptz not null,
    check (created_at <= last_seen_at),
    check (expires_at <= absolute_expires_at)
);
comment on table frontend_session is 'Server-side sessions of the web frontend, shared by its replicas.';

-- The sweep deletes expired sessions oldest first in bounded batches; this index finds them.
create index frontend_session_expires_at_idx on frontend_session (expires_at);
