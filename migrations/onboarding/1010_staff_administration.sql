-- Staff administration: an account can be disabled (it then cannot sign in, and its refresh
-- tokens are revoked when it is disabled), unlocked by an admin before its lock runs out, and
-- marked to change its password at the next sign-in (after an admin issued a one-time one).
alter table login_account
    -- When an admin disabled the account; null while it may sign in.
    add column disabled_at timestamptz,
    -- The last time an admin unlocked the account: login attempts before it no longer count
    -- towards the account's lock.
    add column unlocked_at timestamptz,
    -- Set when an admin issues a one-time password: signing in with it then asks for a new
    -- password instead of giving tokens. Cleared when the account sets its own password.
    add column must_change_password boolean not null default false;
comment on column login_account.disabled_at is 'When an admin disabled the account; null while it may sign in.';
