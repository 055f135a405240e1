-- Loan losses: writing a loan off moves its outstanding principal from the client's loan
-- account to the bank's loan-loss account (an expense, debit-normal), in a transfer of kind
-- `write_off`. The constraints of 1000 name every kind, so they are replaced whole.
alter table account drop constraint account_kind_check;
alter table account add constraint account_kind_check
    check (kind in ('client_current', 'loan', 'grant_fund', 'interest_income', 'penalty_income',
                    'bank_cash', 'bank_settlement', 'loan_loss'));
alter table account drop constraint account_check1;
alter table account add constraint account_normal_side_of_kind
    check (normal_side = case when kind in ('loan', 'bank_cash', 'bank_settlement', 'loan_loss')
                              then 'debit' else 'credit' end);
alter table transfer drop constraint transfer_kind_check;
alter table transfer add constraint transfer_kind_check
    check (kind in ('disbursement', 'repayment', 'client_transfer', 'reversal', 'adjustment',
                    'deposit', 'withdrawal', 'write_off'));
