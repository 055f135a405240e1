# Messages of this area of the site; see catalogue! in src/i18n.rs.
nav-payouts = Payouts
nav-cash-deposits = Cash deposits
nav-admin = Administration
payouts-title = Tranches waiting to be paid
payouts-intro = Tranches approved by two people and not yet paid out. Open the contract to pay one.
payouts-none = No tranche is waiting to be paid.
payouts-tranche = Tranche
admin-home-title = Administration
admin-home-intro = The pages of the bank's work you may open.

# The approver's home.
nav-approvals = Awaiting confirmation
approvals-title = Awaiting your confirmation
approvals-intro = Proposals another member of staff made, each waiting for a second approver.
approvals-decisions = Decisions on applications
approvals-tranches = Tranches requested
approvals-write-offs = Write-offs proposed
approvals-none = Nothing waiting.
