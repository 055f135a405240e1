-- Four eyes on a payout: the person who approved a tranche never pays it out. A founder
-- requests a grant milestone, so without this one officer could accept it and pay it alone.
alter table tranche add column disbursed_by uuid;
comment on column tranche.disbursed_by is 'The member of staff who paid the tranche out; never its approver (null for tranches paid before this was recorded).';
alter table tranche
    add constraint tranche_disburser_is_not_the_approver
    check (disbursed_by is null or disbursed_by <> approved_by);
