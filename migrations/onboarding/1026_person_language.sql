-- The language a founder reads the bank in, so that notification emails sent by other
-- services (applications reads it in the client summary) are written in it. Null for people
-- registered before it was kept, or by staff: they are written to in Uzbek (Latin).
alter table person add column language text
    check (language in ('uz-Latn', 'uz-Cyrl', 'ru', 'en'));
comment on column person.language is 'The founder''s preferred language tag, if known.';
