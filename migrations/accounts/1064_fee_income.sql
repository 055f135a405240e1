-- The bank's income from fees it charges clients (a loan's arrangement fee), credit-normal like
-- the other income accounts, and the transfer kind of a fee a client pays on its own.
alter table account drop constraint account_kind_check;
alter table account add constraint account_kind_check
    check (kind in ('client_current', 'loan', 'grant_fund', 'interest_income', 'penalty_income',
                    'bank_cash', 'bank_settlement', 'loan_loss', 'fx_position', 'fx_income',
                    'fee_income'));
alter table transfer drop constraint transfer_kind_check;
alter table transfer add constraint transfer_kind_check
    check (kind in ('disbursement', 'repayment', 'client_transfer', 'reversal', 'adjustment',
                    'deposit', 'withdrawal', 'write_off', 'exchange', 'fee'));
