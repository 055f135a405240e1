-- A loan programme's late-payment charge: a fixed amount in the programme's currency added to
-- the penalty owed once for each instalment that falls overdue, beside the daily penalty rate.
alter table programme add column late_charge_fixed numeric(28, 2)
    check (late_charge_fixed > 0);
alter table programme add constraint programme_late_charge_only_for_loans
    check (kind = 'loan' or late_charge_fixed is null);
