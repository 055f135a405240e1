"""Reference schedules (30/360) for the disbursement service's tests: annuities on the
declining balance, and loans charged flat.

The figures come from numpy-financial's textbook annuity formulas, not from the Rust code
they check, and are committed as JSON so CI needs no Python. Regenerate with:

    python3 -m venv /tmp/fixtures-venv
    /tmp/fixtures-venv/bin/pip install numpy-financial
    /tmp/fixtures-venv/bin/python services/disbursement/fixtures-tools/make_schedule_fixtures.py

How a bank rounds an annuity to the tiyin (the rules this script applies):

* the monthly rate is a twelfth of the annual rate, whatever the month's length;
* the level payment is numpy-financial's pmt, rounded half to even to two decimals;
* each month's interest is charged on the balance actually owed, which is already a whole
  number of tiyins, and rounded half to even;
* the principal part is the level payment less that interest, except in the final month,
  which repays whatever balance remains, so the loan ends at exactly zero.

pmt works in binary floating point. The script also computes the payment in exact decimal
arithmetic and refuses to write a fixture if the two disagree after rounding, so no fixture
rests on a float's last bit. ipmt and ppmt (the unrounded textbook split) serve as a sanity
bound: the rounded schedule may drift from them only by the compounded effect of a tiyin a
month.

A flat loan (flat_30_360.json) is charged every month on the whole principal:

* each month's interest is the principal times a twelfth of the annual rate, rounded half to
  even;
* the level payment is the principal plus that interest for every month, divided by the
  number of months, rounded half to even, and the final month repays whatever balance remains;
  a month that starts with nothing owed (a tiny principal the rounded payment repaid early)
  carries no interest;
* as a check from outside the flat arithmetic, numpy-financial's rate finds the declining
  balance rate that the level payment amortises the principal at, and pmt at that rate must
  give the level payment back; for a term of more than a month it is above the flat rate, as a
  flat loan always costs more than a declining one at the same quoted rate.
"""

import json
import pathlib
from decimal import ROUND_HALF_EVEN, Decimal, getcontext

import numpy
import numpy_financial as npf

getcontext().prec = 60
CENT = Decimal("0.01")
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"

PRINCIPALS = [
    "100.00", "1234.56", "5000000.00", "99.99", "250000000.00", "15000.75",
    "777.77", "120000000.00", "1.00", "48000.01", "3500000.50",
]
RATES_PERCENT = [
    "0", "9.4822", "12", "14", "18.5", "22.75", "28", "36.5", "49.9999", "100", "7.25", "1",
]
TERMS_MONTHS = [1, 2, 3, 6, 12, 13, 24, 36, 60, 120, 360, 18, 9]


def to_cents(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def exact_payment(principal, monthly_rate, months):
    if monthly_rate == 0:
        return principal / months
    growth = (1 + monthly_rate) ** months
    return principal * monthly_rate * growth / (growth - 1)


def schedule(principal_text, rate_text, months):
    principal = Decimal(principal_text)
    annual_percent = Decimal(rate_text)
    monthly_rate = annual_percent / 1200
    float_rate = float(rate_text) / 1200

    payment = to_cents(Decimal(repr(-float(npf.pmt(float_rate, months, float(principal_text))))))
    exact = to_cents(exact_payment(principal, monthly_rate, months))
    if payment != exact:
        raise SystemExit(f"float pmt {payment} and exact {exact} disagree for {principal_text} {rate_text}% {months}m")

    rows = []
    owed = principal
    for month in range(1, months + 1):
        interest = to_cents(owed * annual_percent / 1200)
        if month == months:
            repaid = owed
        else:
            repaid = payment - interest
            if repaid < 0 or repaid > owed:
                raise SystemExit(f"case {principal_text} {rate_text}% {months}m is outside the spread's assumptions")
        owed -= repaid
        textbook_interest = Decimal(repr(-float(npf.ipmt(float_rate, month, months, float(principal_text)))))
        textbook_principal = Decimal(repr(-float(npf.ppmt(float_rate, month, months, float(principal_text)))))
        # Each month's rounding shifts the balance by at most a tiyin, and a shifted balance
        # then compounds at the monthly rate, so the allowed drift grows the same way.
        drift_bound = CENT * (month + 1) * (1 + monthly_rate) ** month
        if abs(interest - textbook_interest) > drift_bound or (
            month < months and abs(repaid - textbook_principal) > drift_bound
        ):
            raise SystemExit(f"rounded month {month} drifted from the textbook split in {principal_text} {rate_text}% {months}m")
        rows.append({
            "number": month,
            "principal": str(repaid),
            "interest": str(interest),
            "total": str(repaid + interest),
            "balance": str(owed),
        })
    if owed != 0:
        raise SystemExit("a schedule did not end at zero")
    return {
        "principal": principal_text,
        "annual_rate_percent": rate_text,
        "term_months": months,
        "installment": str(payment),
        "rows": rows,
    }


def flat_schedule(principal_text, rate_text, months):
    principal = Decimal(principal_text)
    annual_percent = Decimal(rate_text)
    interest = to_cents(principal * annual_percent / 1200)
    payment = to_cents((principal + interest * months) / months)
    if interest > 0 and months > 1:
        equivalent = npf.rate(months, -float(payment), float(principal_text), 0, tol=1e-14, maxiter=1000)
        if not abs(-npf.pmt(equivalent, months, float(principal_text)) - float(payment)) < 1e-9 * float(payment) + 1e-6:
            raise SystemExit(f"pmt at the equivalent rate misses the flat payment of {principal_text} {rate_text}% {months}m")
        if payment - interest > 0 and not equivalent > float(annual_percent) / 1200:
            raise SystemExit(f"the flat loan {principal_text} {rate_text}% {months}m costs no more than a declining one")
    rows = []
    owed = principal
    for month in range(1, months + 1):
        # A tiny principal can be repaid before the term ends (the payment rounds up); the
        # months after it owe nothing, so they carry no interest either.
        charged = interest if owed > 0 else Decimal("0.00")
        repaid = owed if month == months else min(payment - charged, owed)
        owed -= repaid
        rows.append({
            "number": month,
            "principal": str(repaid),
            "interest": str(charged),
            "total": str(repaid + charged),
            "balance": str(owed),
        })
    if owed != 0:
        raise SystemExit("a schedule did not end at zero")
    return {
        "principal": principal_text,
        "annual_rate_percent": rate_text,
        "term_months": months,
        "installment": str(payment),
        "rows": rows,
    }


def cases():
    # A spread rather than the full product: each principal meets several rates and terms,
    # plus the reference case of 100.00 at 9.4822% over six months.
    chosen = [("100.00", "9.4822", 6)]
    for index in range(44):
        principal = PRINCIPALS[index % len(PRINCIPALS)]
        rate = RATES_PERCENT[(index * 5 + 1) % len(RATES_PERCENT)]
        months = TERMS_MONTHS[(index * 7 + 3) % len(TERMS_MONTHS)]
        if (principal, rate, months) not in chosen:
            chosen.append((principal, rate, months))
    return chosen


def main():
    # pmt evaluates its zero-rate and non-zero-rate formulas side by side and keeps the right
    # one; the discarded branch divides by zero, which is expected and not worth a warning.
    numpy.seterr(divide="ignore", invalid="ignore")
    fixtures = {
        "annuity_30_360.json": {
            "generator": "fixtures-tools/make_schedule_fixtures.py (numpy-financial pmt/ipmt/ppmt, decimal half-even)",
            "day_count": "30/360",
            "method": "annuity",
            "cases": [schedule(*case) for case in cases()],
        },
        "flat_30_360.json": {
            "generator": "fixtures-tools/make_schedule_fixtures.py (flat interest, decimal half-even, checked with numpy-financial rate/pmt)",
            "day_count": "30/360",
            "method": "annuity",
            "interest_method": "flat",
            "cases": [flat_schedule(*case) for case in cases()],
        },
    }
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, fixture in fixtures.items():
        output = FIXTURES / name
        output.write_text(json.dumps(fixture, indent=1) + "\n")
        print(f"wrote {len(fixture['cases'])} cases to {output}")


if __name__ == "__main__":
    main()
