-- A loan's interest is charged on the declining balance (as every contract so far was) or flat,
-- on the principal its schedule starts from. The method is fixed by the programme at approval
-- and kept with the contract, like its day count.
alter table contract add column interest_method text not null default 'declining_balance'
    check (interest_method in ('declining_balance', 'flat'));
