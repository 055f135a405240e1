-- The day-count convention a loan programme's contracts compute interest with. Programmes
-- defined before it existed used 30/360, which every contract was given until now.
alter table programme add column day_count text
    check (day_count in ('30/360', 'actual/365'));
update programme set day_count = '30/360' where kind = 'loan';
alter table programme add constraint programme_day_count_only_for_loans
    check ((kind = 'loan') = (day_count is not null));
