-- The second factor of a login account: a TOTP secret (RFC 6238), sealed with the service's
-- second_factor_key. Staff who decide or move money must have one before any action.
create table second_factor (
    account_id uuid primary key references login_account (id),
    -- A random 12-byte nonce followed by the ChaCha20-Poly1305 ciphertext of the secret, the
    -- account id authenticated with it; never the plain secret.
    sealed_secret bytea not null check (length(sealed_secret) > 12),
    -- When the holder proved their authenticator works with a first code; null while the
    -- enrolment is pending (a pending secret is replaced by the next enrolment).
    enrolled_at timestamptz,
    -- The last 30-second step whose code was accepted: a code of that step or an earlier one
    -- is refused, so each code works once.
    last_used_step bigint not null default 0,
    created_at timestamptz not null
);
comment on table second_factor is 'TOTP second factors, one per account, their secrets sealed at rest.';
comment on column second_factor.account_id is 'The login account the factor belongs to.';
comment on column second_factor.sealed_secret is 'Nonce and ChaCha20-Poly1305 ciphertext of the TOTP secret.';
comment on column second_factor.enrolled_at is 'When the first code was verified; null while enrolment is pending.';
comment on column second_factor.last_used_step is 'The last accepted time step; codes of it or earlier are refused.';
comment on column second_factor.created_at is 'When this secret was generated.';

-- Recovery codes, shown once at enrolment, for a lost phone. Each works once.
create table second_factor_recovery_code (
    id uuid primary key,
    account_id uuid not null references login_account (id),
    -- The SHA-256 of the code's letters, upper case, without separators.
    code_sha256 bytea not null check (length(code_sha256) = 32),
    created_at timestamptz not null,
    -- When it was used; a used code no longer works.
    used_at timestamptz,
    unique (account_id, code_sha256)
);
comment on table second_factor_recovery_code is 'One-time recovery codes of a second factor, stored hashed.';
comment on column second_factor_recovery_code.account_id is 'The login account the code belongs to.';
comment on column second_factor_recovery_code.code_sha256 is 'SHA-256 of the normalised code; the code itself is not kept.';
comment on column second_factor_recovery_code.created_at is 'When it was handed out, at enrolment.';
comment on column second_factor_recovery_code.used_at is 'When it was used; null while it still works.';

-- Between a login's first factor (password or external provider) and its second: the
-- holder of the challenge may complete the login with a code within a few minutes.
create table second_factor_challenge (
    id uuid primary key,
    -- The SHA-256 of the challenge handed to the client; the challenge itself is not kept.
    challenge_sha256 bytea not null unique check (length(challenge_sha256) = 32),
    account_id uuid not null references login_account (id),
    -- enrol: the account has no working second factor yet and must set one up; verify: it
    -- must enter a code.
    purpose text not null check (purpose in ('enrol', 'verify')),
    created_at timestamptz not null,
    expires_at timestamptz not null,
    -- Wrong codes entered against this challenge; it dies at the limit.
    failed_attempts integer not null default 0 check (failed_attempts >= 0),
    -- Set when the login completed; a consumed challenge never works again.
    consumed_at timestamptz,
    check (expires_at > created_at)
);
comment on table second_factor_challenge is 'One-time challenges between a login''s first and second factor.';
comment on column second_factor_challenge.challenge_sha256 is 'SHA-256 of the challenge; the challenge itself is not kept.';
comment on column second_factor_challenge.account_id is 'The account whose login this completes.';
comment on column second_factor_challenge.purpose is 'enrol or verify.';
comment on column second_factor_challenge.created_at is 'When the first factor passed.';
comment on column second_factor_challenge.expires_at is 'After this the challenge is refused.';
comment on column second_factor_challenge.failed_attempts is 'Wrong codes so far; the challenge dies at the limit.';
comment on column second_factor_challenge.consumed_at is 'When the login completed.';
create index second_factor_challenge_expires_idx on second_factor_challenge (expires_at);

-- Whether a refresh token was issued after a second factor. An account granted a staff role
-- later must not keep acting on a token from a password alone.
alter table refresh_token add column second_factor_passed boolean not null default false;
comment on column refresh_token.second_factor_passed is 'True when the login that issued it passed the second factor.';
