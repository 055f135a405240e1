-- A loan programme may give its contracts actual/actual ISDA, which disbursement computes.
alter table programme drop constraint programme_day_count_check;
alter table programme add constraint programme_day_count_check
    check (day_count in ('30/360', 'actual/365', 'actual/actual-isda'));
