-- Four eyes on a scorecard: whoever wrote a version (created it or last revised its draft)
-- never activates it, so no scorecard decides applications on one person's word.
alter table scorecard_version add column revised_by uuid;
comment on column scorecard_version.revised_by is 'Who last revised the draft; null when never revised or revised by seeding.';
alter table scorecard_version
    add constraint scorecard_version_activator_is_not_an_author
    check (activated_by is null
           or (activated_by is distinct from created_by and activated_by is distinct from revised_by));
