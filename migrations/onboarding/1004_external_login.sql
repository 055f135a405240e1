-- A login through an external identity provider, between the browser leaving for the
-- provider and coming back. Each is used once: the callback consumes it.
create table external_login_attempt (
    id uuid primary key,
    -- The configured provider's name, such as oneid or staff.
    provider text not null check (length(provider) between 1 and 64),
    -- The SHA-256 of the state sent to the provider; the state itself is not kept, so a
    -- database leak cannot complete someone's login.
    state_sha256 bytea not null unique check (length(state_sha256) = 32),
    -- The PKCE code verifier (RFC 7636, S256), sent with the code exchange; null for OneID,
    -- which has no PKCE.
    pkce_verifier text,
    -- The OpenID Connect nonce the id_token must carry; null for OneID.
    nonce text,
    -- Where the browser goes afterwards: one of the configured redirect URIs.
    redirect_uri text not null check (length(redirect_uri) between 1 and 2000),
    -- The frontend's own state, echoed back to it untouched.
    client_state text not null check (length(client_state) between 1 and 500),
    created_at timestamptz not null,
    expires_at timestamptz not null,
    -- Set by the callback; a second callback with the same state finds it consumed.
    consumed_at timestamptz,
    check (expires_at > created_at)
);
comment on table external_login_attempt is 'One-time external login attempts: state, PKCE verifier and where to return.';
create index external_login_attempt_expires_idx on external_login_attempt (expires_at);

-- Onboarding's own authorization codes, handed to the frontend after an external login and
-- traded once at POST /v1/oauth/token for a refresh token.
create table authorization_code (
    -- The SHA-256 of the code; the code itself is never stored.
    code_sha256 bytea primary key check (length(code_sha256) = 32),
    account_id uuid not null references login_account (id),
    -- The redirect URI the code was sent to; the token request must name the same one.
    redirect_uri text not null,
    issued_at timestamptz not null,
    expires_at timestamptz not null,
    -- Set when traded; a used code is refused.
    used_at timestamptz,
    check (expires_at > issued_at)
);
comment on table authorization_code is 'One-time codes from external logins, by hash, bound to a redirect URI.';
create index authorization_code_account_idx on authorization_code (account_id);
