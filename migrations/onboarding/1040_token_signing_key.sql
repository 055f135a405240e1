-- The keys onboarding signs access tokens with, so that a key is rotated without a restart: a
-- new key is published beside the old one, made the signer, and the old one retired later.
-- A key's private half is either sealed here (ChaCha20-Poly1305 under the configured
-- token_key_sealing_key) or, for the key named in the configuration (token_key_id and
-- token_signing_key), held only in the configuration.
create table token_signing_key (
    kid text primary key check (kid ~ '^[A-Za-z0-9._-]{1,64}$'),
    public_key text not null unique check (length(public_key) = 43),
    sealed_seed bytea,
    created_at timestamptz not null default now(),
    activated_at timestamptz,
    retired_at timestamptz,
    check (activated_at is null or activated_at >= created_at),
    check (retired_at is null or retired_at >= created_at)
);
comment on table token_signing_key is
    'Token signing keys: published while not retired; the newest activated one signs.';
comment on column token_signing_key.public_key is
    'The Ed25519 public key, base64url without padding (the JWK x).';
comment on column token_signing_key.sealed_seed is
    'The sealed 32-byte private seed (nonce then ciphertext, the kid authenticated with it); null for the configured key, whose seed is only in the configuration.';
comment on column token_signing_key.activated_at is
    'When it became the signer; the non-retired key activated last signs.';
comment on column token_signing_key.retired_at is
    'When it was withdrawn from the published key set; a retired key never signs or verifies again.';

-- A retired key stays retired: tokens it signed must never verify again. Only the configured
-- key may be replaced in place, when the configuration names a new key under the same kid.
create function token_signing_key_retirement_is_final() returns trigger as $$
begin
    if old.retired_at is not null and new.public_key = old.public_key
       and (new.retired_at is null or new.activated_at is distinct from old.activated_at) then
        raise exception 'the token signing key % is retired', old.kid;
    end if;
    return new;
end;
$$ language plpgsql;

create trigger token_signing_key_retirement_is_final
    before update on token_signing_key
    for each row execute function token_signing_key_retirement_is_final();
