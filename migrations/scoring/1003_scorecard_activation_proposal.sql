-- Activation is four eyes in two steps: one credit officer or admin proposes a draft version
-- for activation, another confirms it. The confirmer is neither the proposer nor an author of
-- the version (the latter is 1002's check). Revising a draft withdraws its proposal, since
-- what was proposed is no longer what would be activated.
alter table scorecard_version
    add column proposed_by uuid,
    add column proposed_at timestamptz,
    add constraint scorecard_version_proposal_whole check ((proposed_by is null) = (proposed_at is null)),
    add constraint scorecard_version_confirmer_is_not_the_proposer
        check (activated_by is null or activated_by is distinct from proposed_by);
comment on column scorecard_version.proposed_by is 'Who proposed activating this draft; null when no proposal stands (and for seeded versions).';
