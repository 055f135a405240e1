-- A loan's late-payment charge, fixed by its programme at approval: added to the penalty owed
-- once for each instalment that falls overdue. The day it was charged is kept on the
-- instalment, so a rerun of the daily job never charges an instalment twice.
alter table contract add column late_charge numeric(28, 2) not null default 0
    check (late_charge >= 0);
alter table installment add column late_charged_on date;
