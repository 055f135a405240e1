-- Who can log in, with what roles, and how: local passwords now, external identity providers
-- (OneID for citizens, the bank's provider for staff) through external_identity.
create table login_account (
    -- The principal id: the `sub` of every access token issued to this account.
    id uuid primary key,
    -- The local login name; null for an account that only logs in through a provider.
    username text unique check (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    -- The argon2id hash in PHC string form (parameters and salt included); null when the
    -- account has no local password.
    password_hash text,
    display_name text not null check (length(display_name) between 1 and 200),
    -- The client profile of a founder (set once their profile exists); null for staff.
    client_id uuid unique,
    created_at timestamptz not null default now(),
    check (password_hash is null or username is not null)
);
comment on table login_account is 'Login identities: one per person, staff or founder; the token subject.';

-- Roles are granted here only, by an admin (or by registration for the founder role); never
-- taken from an identity provider's claims, which the bank does not control.
create table account_role (
    account_id uuid not null references login_account (id),
    role text not null check (role in ('founder', 'kyc_officer', 'credit_officer', 'approver', 'finance', 'admin')),
    -- The admin who granted it; null for roles granted by registration or seeding.
    granted_by uuid references login_account (id),
    granted_at timestamptz not null default now(),
    primary key (account_id, role)
);
comment on table account_role is 'Roles held by each login account.';

-- A login at an external provider, tied to one account. Filled by the OAuth2 login flow.
create table external_identity (
    -- The provider's name as configured, such as oneid or bank_staff.
    provider text not null check (length(provider) between 1 and 64),
    -- The provider's stable subject identifier for the person.
    subject text not null check (length(subject) between 1 and 255),
    account_id uuid not null references login_account (id),
    linked_at timestamptz not null default now(),
    primary key (provider, subject)
);
comment on table external_identity is 'External identity provider subjects linked to login accounts.';
create index external_identity_account_idx on external_identity (account_id);

-- Every password login attempt, for the lockout policy and for investigation.
create table login_attempt (
    id uuid primary key,
    -- The account tried; null when the username matched no account.
    account_id uuid references login_account (id),
    -- The username as typed, so attempts on unknown names can be investigated too.
    username text not null,
    source_address text not null,
    attempted_at timestamptz not null default now(),
    -- succeeded, failed (wrong password or unknown user) or refused (locked before checking).
    -- Written as failed before the password is checked and corrected once it matches, so that
    -- concurrent attempts count each other.
    outcome text not null check (outcome in ('succeeded', 'failed', 'refused'))
);
comment on table login_attempt is 'Password login attempts, read by the lockout and rate-limit policy.';
create index login_attempt_account_idx on login_attempt (account_id, attempted_at);
create index login_attempt_address_idx on login_attempt (source_address, attempted_at);

-- Refresh tokens: only their SHA-256 is kept, so a database leak yields no usable token.
create table refresh_token (
    id uuid primary key,
    account_id uuid not null references login_account (id),
    token_sha256 bytea not null unique check (length(token_sha256) = 32),
    issued_at timestamptz not null default now(),
    -- Absolute expiry: a refresh token is never extended, the person logs in again.
    expires_at timestamptz not null,
    revoked_at timestamptz,
    check (expires_at > issued_at)
);
comment on table refresh_token is 'Refresh tokens by hash, with absolute expiry and revocation.';
create index refresh_token_account_idx on refresh_token (account_id);
