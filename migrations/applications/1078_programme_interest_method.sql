-- A loan programme charges interest on the declining balance (every programme so far) or flat,
-- on the principal a schedule starts from; a grant programme has no interest method.
alter table programme add column interest_method text
    check (interest_method in ('declining_balance', 'flat'));
update programme set interest_method = 'declining_balance' where kind = 'loan';
alter table programme add constraint programme_interest_method_only_for_loans
    check ((kind = 'loan') = (interest_method is not null));
