-- Contracts may count interest days under actual/actual ISDA too: the days of a period that
-- fall in a leap year over 366, the others over 365.
alter table contract drop constraint contract_day_count_check;
alter table contract add constraint contract_day_count_check
    check (day_count in ('30/360', 'actual/365', 'actual/actual-isda'));
