-- A PINFL or passport number typed at registration is a claim, not an identity: anyone may
-- type a citizen's. So two profiles may carry the same one (the citizen's own OneID login
-- next to an earlier claim); the KYC duplicates check shows staff every such pair, and a
-- OneID login only ever lands in the account its subject is linked to.
alter table person drop constraint person_pinfl_key;
alter table person drop constraint person_passport_number_key;
create index person_pinfl_idx on person (pinfl);
create index person_passport_number_idx on person (passport_number);
comment on column person.pinfl is 'The PINFL as the profile states it; not unique, since a registration only claims it.';
comment on column person.passport_number is 'The passport number as the profile states it; not unique, since a registration only claims it.';

-- A OneID login that links the identity to an existing password account: the founder signed
-- in with their password first, and the callback links only if OneID's person has the
-- profile's PINFL and birth date.
alter table external_login_attempt add column link_account_id uuid references login_account (id);
comment on column external_login_attempt.link_account_id is 'The signed-in account this login links its identity to; null for a plain sign-in.';
