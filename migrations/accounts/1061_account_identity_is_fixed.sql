-- An account's id and number never change and an account is never deleted: statements,
-- audit records and other services name accounts by them, and the service remembers which id a
-- number resolves to (src/account_ids.rs). The database refuses the change, whoever asks.
create function account_identity_is_fixed() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'accounts are never deleted';
    end if;
    if new.id <> old.id or new.number <> old.number then
        raise exception 'an account''s id and number never change';
    end if;
    return new;
end;
$$;

create trigger account_identity_fixed
    before update of id, number or delete on account
    for each row execute function account_identity_is_fixed();
