# The money pages: accounts, statements, transfers, contracts, arrears and the portfolio.

nav-accounts = My accounts
nav-my-contracts = My contracts
nav-contracts = Contracts
nav-arrears = Arrears
nav-portfolio = Portfolio

page-next = Next page
page-first = First page

accounts-title = My accounts
accounts-none = You have no accounts yet. A current account is opened when your identity check is approved.
accounts-back = Back to my accounts
account-number = Account number
account-kind = Kind
account-posted-balance = Balance
account-available-balance = Available
account-kind-client-current = Current account
account-kind-loan = Loan account
account-kind-grant-fund = Grant fund
account-kind-interest-income = Interest income
account-kind-penalty-income = Penalty income
account-kind-bank-cash = Cash
account-kind-bank-settlement = Settlement

limits-title = Daily transfer limit
limit-daily = Daily limit
limit-sent-today = Sent today
limit-remaining = Left today

statement-title = Account statement
statement-from = From
statement-to = To
statement-period = Period
statement-opening = Opening balance
statement-closing = Closing balance
statement-date = Date
statement-reference = Reference
statement-credit = In
statement-debit = Out
statement-balance-after = Balance after
statement-empty = Nothing was booked in this period.
statement-download-csv = Download CSV
statement-download-pdf = Download PDF

transfer-new = Send money
transfer-title = Send money to another account
transfer-limit-left = You can still send { $remaining } today (daily limit { $limit }).
transfer-from = From account
transfer-to = To account
transfer-to-hint = The recipient's 20-digit account number.
transfer-amount = Amount
transfer-quote = Continue
transfer-confirm-title = Confirm the transfer
transfer-fee = Fee
transfer-total-debit = Total debited
transfer-expires = This offer is valid until { $time }.
transfer-confirm = Confirm and send
transfer-change = Change
transfer-done-title = Money sent
transfer-done-text = { $amount } was sent to { $to }.
transfer-reference = Transfer reference
transfer-see-statement = See the statement

my-contracts-title = My contracts
contracts-title = Contracts
contracts-none = There are no contracts here yet.
contracts-back = Back to the contracts
contract-title = Contract
contract-kind-grant = Grant
contract-kind-loan = Loan
contract-status-draft = Awaiting your signature
contract-status-signed = Signed
contract-status-active = Active
contract-status-closed = Closed
contract-status-written-off = Written off
contract-term = { $months ->
    [one] { $months } month
   *[other] { $months } months
}
contract-term-label = Term
contract-principal = Amount
contract-rate = Annual rate
contract-disbursement-date = Disbursement date
contract-first-due-date = First payment date
contract-penalty = Penalty owed
contract-loan-account = Loan account
contract-sign-text = By signing you accept the contract's terms and schedule.
contract-sign = Sign the contract
contract-activate-title = Activate the contract
contract-activate = Activate
contract-schedule = Repayment schedule
contract-next-due = Next payment: { $amount } on { $date }
contract-due-today = Due today
contract-total-payable = Total payable
installment-paid = Paid
installment-status-paid = Paid
installment-status-overdue = Overdue
installment-status-due = Due today
installment-status-upcoming = Upcoming
days-past-due = { $days ->
    [one] { $days } day late
   *[other] { $days } days late
}

repay-due = Pay { $amount } now
repay-part-amount = Amount to pay now
repay-part-hint = Paid to the penalty first, then interest, then principal; the rest stays due.
repay-part = Pay part
repay-early-title = Repay early
repay-early-amount = Principal to repay
repay-early-option = After the early repayment
repay-keep-term = Keep the term, lower the payment
repay-keep-installment = Keep the payment, shorten the term
repay-early = Repay early

tranches-title = Tranches
tranche-status-planned = Planned
tranche-status-requested = Requested
tranche-status-approved = Approved
tranche-status-disbursed = Paid out
tranche-status-cancelled = Cancelled
tranche-request = Request payout
tranche-approve = Approve
tranche-disburse = Pay out

arrears-title = Arrears
arrears-as-of = As of { $date }
arrears-bucket = Days overdue
arrears-days = { $bucket } days
arrears-contracts = Contracts
arrears-overdue = Overdue
arrears-contracts-title = Overdue contracts
arrears-none = No contract is overdue.
arrears-days-past-due = Days late
arrears-installments = Instalments

portfolio-title = Portfolio
portfolio-applications-per-state = Applications per state
portfolio-approval-rate = Approval rate per programme
portfolio-disbursed-per-month = Amounts paid out per month
portfolio-arrears-per-bucket = Overdue contracts by days overdue
portfolio-nothing-yet = Nothing to show yet.
portfolio-not-available = Your role does not give access to these figures.

error-unknown-account = There is no account with this number.
error-same-account = Choose a different account from the one you send from.
error-currency-mismatch = The accounts are in different currencies.
error-daily-limit-exceeded = This amount is more than you can still send today.
error-insufficient-funds = There is not enough money in the account.
error-not-an-amount = Enter an amount, such as 1,250,000.00.
error-too-many-decimals = The amount has at most two digits after the decimal point.
error-not-positive = The amount must be greater than zero.
error-exceeds-outstanding = The amount is more than what is still owed.
error-account-number-wrong-length = An account number has 20 digits.
error-account-number-not-digits = An account number has digits only.
error-account-number-wrong-check-digit = This account number has a typing mistake: check it.
error-destination-not-current-account = Money can be sent only to a current account.
error-source-not-current-account = Money can be sent only from a current account.
error-period-too-long = The period is too long for one download: choose a shorter one.
error-in-future = The date cannot be in the future.

problem-tranche-four-eyes = You requested this tranche yourself: another officer must approve it.
problem-quote-expired = The offer has expired. Start the transfer again.
problem-confirmation-token-mismatch = The confirmation could not be checked. Start the transfer again.
problem-quote-already-confirmed = This transfer has already been sent.
problem-daily-limit-exceeded = This amount is more than you can still send today.
problem-insufficient-funds = There is not enough money in the account.
problem-no-current-account = There is no current account to pay from.
problem-nothing-due = Nothing is due today.
problem-installments-due-first = Pay what is due first, then repay early.
problem-contract-not-active = The contract is not active.
problem-contract-wrong-state = This is not possible in the contract's current state.
problem-tranche-wrong-state = This is not possible in the tranche's current state.
problem-schedule-in-repayment = The loan is already being repaid.

transfer-kind-disbursement = Loan or grant payout
transfer-kind-repayment = Repayment
transfer-kind-client-transfer = Transfer
transfer-kind-reversal = Reversal
transfer-kind-adjustment = Adjustment
transfer-kind-deposit = Deposit
transfer-kind-withdrawal = Withdrawal
tranche-note = Note for the approver
tranche-milestone-report = Milestone report
tranche-note-hint = Optional: what has been done with the money so far and what this tranche is for.
tranche-note-sent = Sent with the request:
tranche-cancel = Cancel the tranche
contract-write-off-title = Write the contract off
contract-write-off-text = A write-off records that the bank no longer expects this contract to be repaid. It cannot be undone.
contract-write-off-reason = Reason for the write-off
contract-write-off-confirm = On behalf of the credit committee, I write this contract off
contract-write-off = Write off
error-write-off-not-confirmed = Tick the box to confirm the write-off.
contract-write-off-proposed-title = Write-off proposed
contract-write-off-proposed-reason = Reason given by the proposing approver
contract-write-off-yours = You proposed this write-off: another approver must confirm it.
contract-write-off-confirm-text = Another approver proposed writing this contract off. Confirming writes it off; it cannot be undone.
contract-write-off-confirm-button = Confirm the write-off
problem-write-off-four-eyes = You proposed this write-off yourself: another approver must confirm it.
error-invalid-reason = Write the reason, in at most 2,000 characters.
error-too-long = The text is too long: at most 10,000 characters.
arrears-run = Run the daily job
arrears-run-text = Collects what is due and marks arrears for every day not yet assessed, through today. A day already assessed is not assessed again.
arrears-run-done = The daily job assessed every date through { $date } ({ $days } new).
arrears-run-nothing = Every day up to today had already been assessed; there was nothing to do.
