-- A loan programme's arrangement fee: a fixed amount in the programme's currency or a percent
-- of each loan's principal (never both), deducted from the first payout or paid up front when
-- the founder signs. Programmes so far charge none. A grant programme has no fee.
alter table programme add column arrangement_fee_fixed numeric(28, 2)
    check (arrangement_fee_fixed > 0);
alter table programme add column arrangement_fee_percent numeric(9, 4)
    check (arrangement_fee_percent > 0 and arrangement_fee_percent < 100);
alter table programme add column arrangement_fee_collection text
    check (arrangement_fee_collection in ('deducted', 'upfront'));
alter table programme add constraint programme_arrangement_fee_one_charge
    check (arrangement_fee_fixed is null or arrangement_fee_percent is null);
alter table programme add constraint programme_arrangement_fee_collected_when_charged
    check ((arrangement_fee_collection is not null)
           = (arrangement_fee_fixed is not null or arrangement_fee_percent is not null));
alter table programme add constraint programme_arrangement_fee_only_for_loans
    check (kind = 'loan' or arrangement_fee_collection is null);
