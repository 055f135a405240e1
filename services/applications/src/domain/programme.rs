//! Funding programmes: what a grant or loan programme offers and to whom.

use chrono::NaiveDate;
use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::budget::Budget;
use super::form::ApplicationForm;
use super::review::Rubric;
use super::text::LocalizedText;
use super::Refusal;

/// The longest term any programme may offer, in months; a limit on everything.
pub const MAX_TERM_MONTHS: u32 = 360;

/// The oldest founder age limit a youth programme may set, in years.
pub const MAX_FOUNDER_AGE_LIMIT_YEARS: u32 = 100;

/// Whether the programme gives money away or lends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProgrammeKind {
    Grant,
    Loan,
}

impl ProgrammeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgrammeKind::Grant => "grant",
            ProgrammeKind::Loan => "loan",
        }
    }
}

/// How a loan is repaid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RepaymentMethod {
    /// Equal instalments of principal and interest.
    Annuity,
    /// Equal principal parts with interest on the remaining balance; local banks call it
    /// differentiated.
    EqualPrincipal,
}

impl RepaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            RepaymentMethod::Annuity => "annuity",
            RepaymentMethod::EqualPrincipal => "equal_principal",
        }
    }
}

/// How a loan's contracts count the days interest accrues over; disbursement computes the
/// schedule with it, applications only carries the programme's choice into the approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DayCount {
    /// Every month is thirty days of a 360-day year.
    Thirty360,
    /// The calendar days of each period over a 365-day year.
    Actual365,
    /// Actual/actual ISDA: a period's days in leap years over 366, the others over 365.
    ActualActualIsda,
}

impl DayCount {
    /// The wire names disbursement reads: `30/360`, `actual/365` and `actual/actual-isda`.
    pub fn as_str(self) -> &'static str {
        match self {
            DayCount::Thirty360 => "30/360",
            DayCount::Actual365 => "actual/365",
            DayCount::ActualActualIsda => "actual/actual-isda",
        }
    }

    pub fn parse(text: &str) -> Option<DayCount> {
        match text {
            "30/360" => Some(DayCount::Thirty360),
            "actual/365" => Some(DayCount::Actual365),
            "actual/actual-isda" => Some(DayCount::ActualActualIsda),
            _ => None,
        }
    }
}

/// What a loan's interest is charged on; disbursement computes the schedule with it,
/// applications only carries the programme's choice into the approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InterestMethod {
    /// The principal still owed at the start of each period.
    DecliningBalance,
    /// The principal the schedule starts from, for every period.
    Flat,
}

impl InterestMethod {
    /// The wire names disbursement reads: `declining_balance` and `flat`.
    pub fn as_str(self) -> &'static str {
        match self {
            InterestMethod::DecliningBalance => "declining_balance",
            InterestMethod::Flat => "flat",
        }
    }

    pub fn parse(text: &str) -> Option<InterestMethod> {
        match text {
            "declining_balance" => Some(InterestMethod::DecliningBalance),
            "flat" => Some(InterestMethod::Flat),
            _ => None,
        }
    }
}

/// What a loan programme charges for granting a loan: a fixed amount in the programme's
/// currency or a percent of the principal. Disbursement computes the fee on each contract's
/// principal; applications checks the programme's figure and carries it into the approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeCharge {
    Fixed(Money),
    Percent(Percent),
}

/// How the bank collects an arrangement fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeeCollection {
    /// Kept back from the loan's first payout.
    Deducted,
    /// Paid from the founder's current account when they sign the contract.
    Upfront,
}

impl FeeCollection {
    /// The wire names disbursement reads: `deducted` and `upfront`.
    pub fn as_str(self) -> &'static str {
        match self {
            FeeCollection::Deducted => "deducted",
            FeeCollection::Upfront => "upfront",
        }
    }

    pub fn parse(text: &str) -> Option<FeeCollection> {
        match text {
            "deducted" => Some(FeeCollection::Deducted),
            "upfront" => Some(FeeCollection::Upfront),
            _ => None,
        }
    }
}

/// A loan programme's arrangement fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrangementFee {
    pub charge: FeeCharge,
    pub collection: FeeCollection,
}

/// Why a programme was refused. Every variant names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgrammeError {
    #[error("`{field}` is in {found}, but the programme is in {expected}")]
    CurrencyMismatch {
        field: &'static str,
        expected: Currency,
        found: Currency,
    },
    #[error("`{field}` must be positive")]
    NotPositive { field: &'static str },
    #[error("`{field}` is smaller than its minimum")]
    MinGreaterThanMax { field: &'static str },
    #[error("`{field}` must be at most {MAX_TERM_MONTHS} months")]
    TermTooLong { field: &'static str },
    #[error("`{field}` must be between 0% and 100%")]
    PercentOutOfRange { field: &'static str },
    #[error("the grace period must be shorter than the shortest term")]
    GraceNotShorterThanTerm,
    #[error("the programme must close after it opens")]
    ClosesBeforeOpening,
    #[error("the founder age limit must be between 18 and {MAX_FOUNDER_AGE_LIMIT_YEARS} years")]
    FounderAgeLimitOutOfRange,
    #[error("the maximum amount exceeds the whole budget")]
    MaxAmountExceedsBudget,
    #[error("a fixed arrangement fee must be below the smallest loan, so every loan pays out")]
    FeeNotBelowMinAmount,
}

impl Refusal for ProgrammeError {
    fn code(&self) -> &'static str {
        match self {
            ProgrammeError::CurrencyMismatch { .. } => "currency_mismatch",
            ProgrammeError::NotPositive { .. } => "not_positive",
            ProgrammeError::MinGreaterThanMax { .. } => "min_greater_than_max",
            ProgrammeError::TermTooLong { .. } => "term_too_long",
            ProgrammeError::PercentOutOfRange { .. } => "percent_out_of_range",
            ProgrammeError::GraceNotShorterThanTerm => "grace_too_long",
            ProgrammeError::ClosesBeforeOpening => "closes_before_opening",
            ProgrammeError::FounderAgeLimitOutOfRange => "founder_age_limit_out_of_range",
            ProgrammeError::MaxAmountExceedsBudget => "max_amount_exceeds_budget",
            ProgrammeError::FeeNotBelowMinAmount => "fee_not_below_min_amount",
        }
    }

    fn field(&self) -> Option<String> {
        let field = match self {
            ProgrammeError::CurrencyMismatch { field, .. }
            | ProgrammeError::NotPositive { field }
            | ProgrammeError::MinGreaterThanMax { field }
            | ProgrammeError::TermTooLong { field }
            | ProgrammeError::PercentOutOfRange { field } => field,
            ProgrammeError::GraceNotShorterThanTerm => "max_grace_months",
            ProgrammeError::ClosesBeforeOpening => "closes_on",
            ProgrammeError::FounderAgeLimitOutOfRange => "eligibility.max_founder_age_years",
            ProgrammeError::MaxAmountExceedsBudget => "max_amount",
            ProgrammeError::FeeNotBelowMinAmount => "arrangement_fee_fixed",
        };
        Some(field.to_owned())
    }
}

/// A percentage between 0 and 100 inclusive, such as an annual rate of 25.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(Decimal);

impl Percent {
    /// `field` names the value in errors.
    pub fn new(field: &'static str, value: Decimal) -> Result<Percent, ProgrammeError> {
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err(ProgrammeError::PercentOutOfRange { field });
        }
        Ok(Percent(value))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

/// The range an annual interest rate may be chosen from, such as 25–27%; the decision picks
/// the rate within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateRange {
    min: Percent,
    max: Percent,
}

impl RateRange {
    pub fn new(min: Percent, max: Percent) -> Result<RateRange, ProgrammeError> {
        if min > max {
            return Err(ProgrammeError::MinGreaterThanMax {
                field: "annual_rate_max_percent",
            });
        }
        Ok(RateRange { min, max })
    }

    pub fn min(&self) -> Percent {
        self.min
    }

    pub fn max(&self) -> Percent {
        self.max
    }

    pub fn contains(&self, rate: Percent) -> bool {
        self.min <= rate && rate <= self.max
    }
}

/// What only a loan programme states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanTerms {
    pub annual_rate: RateRange,
    pub repayment_method: RepaymentMethod,
    pub day_count: DayCount,
    pub interest_method: InterestMethod,
    /// The longest grace on principal a decision may grant, in months; zero for none.
    pub max_grace_months: u32,
    pub arrangement_fee: Option<ArrangementFee>,
    /// Added to the penalty owed once for each instalment that falls overdue.
    pub late_charge: Option<Money>,
}

/// What only a grant programme states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantTerms {
    /// When set, a grant may cover at most this share of the project cost the founder states
    /// (co-funding: the founder brings the rest).
    pub co_funding_cap: Option<Percent>,
}

/// The kind-specific part of a programme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgrammeTerms {
    Grant(GrantTerms),
    Loan(LoanTerms),
}

/// Who may apply. Each rule is off when `None` or `false`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EligibilityRules {
    pub min_company_age_months: Option<u32>,
    pub max_company_age_months: Option<u32>,
    pub it_park_residency_required: bool,
    pub kyc_approval_required: bool,
    /// For youth programmes: every founder must be at most this old, in full years.
    pub max_founder_age_years: Option<u32>,
    pub no_overdue_loan_required: bool,
}

/// Everything an administrator states about a new programme, before it is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgrammeSpec {
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub currency: Currency,
    pub budget: Budget,
    pub min_amount: Money,
    pub max_amount: Money,
    pub min_term_months: u32,
    pub max_term_months: u32,
    pub terms: ProgrammeTerms,
    pub opens_on: NaiveDate,
    /// The last day applications are accepted, inclusive.
    pub closes_on: NaiveDate,
    pub eligibility: EligibilityRules,
    pub scorecard_id: Uuid,
    pub form: ApplicationForm,
    pub rubric: Rubric,
}

/// A checked programme: limits ordered, currencies consistent, dates in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Programme {
    spec: ProgrammeSpec,
}

impl Programme {
    pub fn new(spec: ProgrammeSpec) -> Result<Programme, ProgrammeError> {
        for (field, money) in [
            ("total_budget", spec.budget.total()),
            ("min_amount", spec.min_amount),
            ("max_amount", spec.max_amount),
        ] {
            if money.currency() != spec.currency {
                let found = money.currency();
                return Err(ProgrammeError::CurrencyMismatch {
                    field,
                    expected: spec.currency,
                    found,
                });
            }
        }
        if !spec.min_amount.is_positive() {
            return Err(ProgrammeError::NotPositive {
                field: "min_amount",
            });
        }
        if spec.min_amount.amount() > spec.max_amount.amount() {
            return Err(ProgrammeError::MinGreaterThanMax {
                field: "max_amount",
            });
        }
        if spec.max_amount.amount() > spec.budget.total().amount() {
            return Err(ProgrammeError::MaxAmountExceedsBudget);
        }
        if spec.min_term_months == 0 {
            return Err(ProgrammeError::NotPositive {
                field: "min_term_months",
            });
        }
        if spec.min_term_months > spec.max_term_months {
            return Err(ProgrammeError::MinGreaterThanMax {
                field: "max_term_months",
            });
        }
        if spec.max_term_months > MAX_TERM_MONTHS {
            return Err(ProgrammeError::TermTooLong {
                field: "max_term_months",
            });
        }
        if let ProgrammeTerms::Loan(loan) = &spec.terms {
            if loan.max_grace_months >= spec.min_term_months {
                return Err(ProgrammeError::GraceNotShorterThanTerm);
            }
            match loan.arrangement_fee.map(|fee| fee.charge) {
                Some(FeeCharge::Fixed(fee)) => {
                    if fee.currency() != spec.currency {
                        return Err(ProgrammeError::CurrencyMismatch {
                            field: "arrangement_fee_fixed",
                            expected: spec.currency,
                            found: fee.currency(),
                        });
                    }
                    if !fee.is_positive() {
                        return Err(ProgrammeError::NotPositive {
                            field: "arrangement_fee_fixed",
                        });
                    }
                    if fee.amount() >= spec.min_amount.amount() {
                        return Err(ProgrammeError::FeeNotBelowMinAmount);
                    }
                }
                // A whole-principal fee would pay out nothing; none at all is no fee.
                Some(FeeCharge::Percent(percent))
                    if percent.value().is_zero() || percent.value() >= Decimal::ONE_HUNDRED =>
                {
                    return Err(ProgrammeError::PercentOutOfRange {
                        field: "arrangement_fee_percent",
                    });
                }
                Some(FeeCharge::Percent(_)) | None => {}
            }
            if let Some(charge) = loan.late_charge {
                if charge.currency() != spec.currency {
                    return Err(ProgrammeError::CurrencyMismatch {
                        field: "late_charge_fixed",
                        expected: spec.currency,
                        found: charge.currency(),
                    });
                }
                if !charge.is_positive() {
                    return Err(ProgrammeError::NotPositive {
                        field: "late_charge_fixed",
                    });
                }
            }
        }
        if let ProgrammeTerms::Grant(GrantTerms {
            co_funding_cap: Some(cap),
        }) = &spec.terms
        {
            if cap.value().is_zero() {
                return Err(ProgrammeError::PercentOutOfRange {
                    field: "co_funding_cap_percent",
                });
            }
        }
        if spec.closes_on <= spec.opens_on {
            return Err(ProgrammeError::ClosesBeforeOpening);
        }
        let rules = &spec.eligibility;
        if let (Some(min), Some(max)) = (rules.min_company_age_months, rules.max_company_age_months)
        {
            if min > max {
                return Err(ProgrammeError::MinGreaterThanMax {
                    field: "eligibility.max_company_age_months",
                });
            }
        }
        if let Some(max_age) = rules.max_founder_age_years {
            if !(18..=MAX_FOUNDER_AGE_LIMIT_YEARS).contains(&max_age) {
                return Err(ProgrammeError::FounderAgeLimitOutOfRange);
            }
        }
        Ok(Programme { spec })
    }

    pub fn kind(&self) -> ProgrammeKind {
        match self.spec.terms {
            ProgrammeTerms::Grant(_) => ProgrammeKind::Grant,
            ProgrammeTerms::Loan(_) => ProgrammeKind::Loan,
        }
    }

    pub fn name(&self) -> &LocalizedText {
        &self.spec.name
    }

    pub fn description(&self) -> &LocalizedText {
        &self.spec.description
    }

    pub fn currency(&self) -> Currency {
        self.spec.currency
    }

    pub fn budget(&self) -> &Budget {
        &self.spec.budget
    }

    pub fn min_amount(&self) -> Money {
        self.spec.min_amount
    }

    pub fn max_amount(&self) -> Money {
        self.spec.max_amount
    }

    pub fn min_term_months(&self) -> u32 {
        self.spec.min_term_months
    }

    pub fn max_term_months(&self) -> u32 {
        self.spec.max_term_months
    }

    pub fn terms(&self) -> &ProgrammeTerms {
        &self.spec.terms
    }

    /// The loan terms, or `None` for a grant programme.
    pub fn loan_terms(&self) -> Option<&LoanTerms> {
        match &self.spec.terms {
            ProgrammeTerms::Loan(loan) => Some(loan),
            ProgrammeTerms::Grant(_) => None,
        }
    }

    pub fn opens_on(&self) -> NaiveDate {
        self.spec.opens_on
    }

    pub fn closes_on(&self) -> NaiveDate {
        self.spec.closes_on
    }

    pub fn eligibility(&self) -> &EligibilityRules {
        &self.spec.eligibility
    }

    pub fn scorecard_id(&self) -> Uuid {
        self.spec.scorecard_id
    }

    pub fn form(&self) -> &ApplicationForm {
        &self.spec.form
    }

    pub fn rubric(&self) -> &Rubric {
        &self.spec.rubric
    }

    /// Whether applications are accepted on `date`; both the opening and closing days count.
    pub fn is_open_on(&self, date: NaiveDate) -> bool {
        self.spec.opens_on <= date && date <= self.spec.closes_on
    }

    /// Whether `amount` is in the programme's currency and within its amount limits.
    pub fn amount_within_limits(&self, amount: Money) -> bool {
        amount.currency() == self.spec.currency
            && self.spec.min_amount.amount() <= amount.amount()
            && amount.amount() <= self.spec.max_amount.amount()
    }

    pub fn term_within_limits(&self, term_months: u32) -> bool {
        (self.spec.min_term_months..=self.spec.max_term_months).contains(&term_months)
    }

    /// The programme with `budget` in place of its own, after a commitment.
    pub fn with_budget(&self, budget: Budget) -> Result<Programme, ProgrammeError> {
        Programme::new(ProgrammeSpec {
            budget,
            ..self.spec.clone()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::form::tests::sample_form;
    use crate::domain::review::tests::sample_rubric;
    use rust_decimal_macros::dec;

    pub(crate) fn uzs(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    pub(crate) fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn name() -> LocalizedText {
        LocalizedText::new(
            "name",
            "Yoshlar krediti",
            "Ёшлар кредити",
            "Молодёжный кредит",
            "Youth loan",
        )
        .unwrap()
    }

    /// A youth loan programme in sums: 10–100 million, 6–36 months, 25–27% annuity with up to
    /// 6 months' grace, open through 2025, every eligibility rule on.
    pub(crate) fn loan_spec() -> ProgrammeSpec {
        ProgrammeSpec {
            name: name(),
            description: name(),
            currency: Currency::Uzs,
            budget: Budget::new(uzs(dec!(1000000000)), uzs(dec!(0))).unwrap(),
            min_amount: uzs(dec!(10000000)),
            max_amount: uzs(dec!(100000000)),
            min_term_months: 12,
            max_term_months: 36,
            terms: ProgrammeTerms::Loan(LoanTerms {
                annual_rate: RateRange::new(
                    Percent::new("annual_rate_min_percent", dec!(25)).unwrap(),
                    Percent::new("annual_rate_max_percent", dec!(27)).unwrap(),
                )
                .unwrap(),
                repayment_method: RepaymentMethod::Annuity,
                day_count: DayCount::Thirty360,
                interest_method: InterestMethod::DecliningBalance,
                max_grace_months: 6,
                arrangement_fee: None,
                late_charge: None,
            }),
            opens_on: date("2025-01-01"),
            closes_on: date("2025-12-31"),
            eligibility: EligibilityRules {
                min_company_age_months: Some(6),
                max_company_age_months: Some(60),
                it_park_residency_required: true,
                kyc_approval_required: true,
                max_founder_age_years: Some(30),
                no_overdue_loan_required: true,
            },
            scorecard_id: Uuid::from_u128(42),
            form: sample_form(),
            rubric: sample_rubric(),
        }
    }

    pub(crate) fn loan_programme() -> Programme {
        Programme::new(loan_spec()).unwrap()
    }

    /// A grant programme covering at most half of a stated project cost.
    pub(crate) fn grant_programme() -> Programme {
        let cap = Percent::new("co_funding_cap_percent", dec!(50)).unwrap();
        let spec = ProgrammeSpec {
            terms: ProgrammeTerms::Grant(GrantTerms {
                co_funding_cap: Some(cap),
            }),
            eligibility: EligibilityRules::default(),
            ..loan_spec()
        };
        Programme::new(spec).unwrap()
    }

    fn refusal(spec: ProgrammeSpec) -> (&'static str, Option<String>) {
        let error = Programme::new(spec).unwrap_err();
        (error.code(), error.field())
    }

    #[test]
    fn a_well_formed_programme_is_accepted() {
        let programme = loan_programme();
        assert_eq!(programme.kind(), ProgrammeKind::Loan);
        assert_eq!(grant_programme().kind(), ProgrammeKind::Grant);
        assert_eq!(
            programme.loan_terms().unwrap().repayment_method.as_str(),
            "annuity"
        );
        assert!(grant_programme().loan_terms().is_none());
    }

    fn with_fee(charge: FeeCharge) -> ProgrammeSpec {
        let mut spec = loan_spec();
        if let ProgrammeTerms::Loan(loan) = &mut spec.terms {
            loan.arrangement_fee = Some(ArrangementFee {
                charge,
                collection: FeeCollection::Deducted,
            });
        }
        spec
    }

    #[test]
    fn an_arrangement_fee_must_leave_every_loan_something_to_pay_out() {
        assert!(Programme::new(with_fee(FeeCharge::Fixed(uzs(dec!(9999999.99))))).is_ok());
        assert_eq!(
            refusal(with_fee(FeeCharge::Fixed(uzs(dec!(10000000))))),
            (
                "fee_not_below_min_amount",
                Some("arrangement_fee_fixed".to_owned())
            )
        );
        assert_eq!(
            refusal(with_fee(FeeCharge::Fixed(uzs(dec!(0))))),
            ("not_positive", Some("arrangement_fee_fixed".to_owned()))
        );
        assert_eq!(
            refusal(with_fee(FeeCharge::Fixed(
                Money::new(dec!(10), Currency::Usd).unwrap()
            ))),
            (
                "currency_mismatch",
                Some("arrangement_fee_fixed".to_owned())
            )
        );
        let percent = |value| Percent::new("arrangement_fee_percent", value).unwrap();
        assert!(Programme::new(with_fee(FeeCharge::Percent(percent(dec!(1.5))))).is_ok());
        for refused in [dec!(0), dec!(100)] {
            assert_eq!(
                refusal(with_fee(FeeCharge::Percent(percent(refused)))),
                (
                    "percent_out_of_range",
                    Some("arrangement_fee_percent".to_owned())
                ),
                "{refused}"
            );
        }
    }

    #[test]
    fn the_programme_is_open_from_its_first_to_its_last_day() {
        let programme = loan_programme();
        assert!(!programme.is_open_on(date("2024-12-31")));
        assert!(programme.is_open_on(date("2025-01-01")));
        assert!(programme.is_open_on(date("2025-12-31")));
        assert!(!programme.is_open_on(date("2026-01-01")));
    }

    #[test]
    fn closing_on_the_opening_day_is_refused() {
        let spec = ProgrammeSpec {
            closes_on: date("2025-01-01"),
            ..loan_spec()
        };
        assert_eq!(
            refusal(spec),
            ("closes_before_opening", Some("closes_on".to_owned()))
        );
    }

    #[test]
    fn inverted_amount_limits_are_refused() {
        let spec = ProgrammeSpec {
            min_amount: uzs(dec!(200000000)),
            ..loan_spec()
        };
        assert_eq!(
            refusal(spec),
            ("min_greater_than_max", Some("max_amount".to_owned()))
        );
    }

    #[test]
    fn a_zero_minimum_amount_is_refused() {
        let spec = ProgrammeSpec {
            min_amount: uzs(dec!(0)),
            ..loan_spec()
        };
        assert_eq!(
            refusal(spec),
            ("not_positive", Some("min_amount".to_owned()))
        );
    }

    #[test]
    fn limits_in_another_currency_are_refused() {
        let spec = ProgrammeSpec {
            max_amount: Money::new(dec!(1000), Currency::Usd).unwrap(),
            ..loan_spec()
        };
        assert_eq!(
            refusal(spec),
            ("currency_mismatch", Some("max_amount".to_owned()))
        );
    }

    #[test]
    fn a_maximum_above_the_whole_budget_is_refused() {
        let budget = Budget::new(uzs(dec!(50000000)), uzs(dec!(0))).unwrap();
        let spec = ProgrammeSpec {
            budget,
            ..loan_spec()
        };
        assert_eq!(refusal(spec).0, "max_amount_exceeds_budget");
    }

    #[test]
    fn term_limits_are_checked() {
        let zero = ProgrammeSpec {
            min_term_months: 0,
            ..loan_spec()
        };
        assert_eq!(
            refusal(zero),
            ("not_positive", Some("min_term_months".to_owned()))
        );
        let inverted = ProgrammeSpec {
            min_term_months: 40,
            ..loan_spec()
        };
        assert_eq!(
            refusal(inverted),
            ("min_greater_than_max", Some("max_term_months".to_owned()))
        );
        let too_long = ProgrammeSpec {
            max_term_months: MAX_TERM_MONTHS + 1,
            ..loan_spec()
        };
        assert_eq!(refusal(too_long).0, "term_too_long");
    }

    #[test]
    fn grace_as_long_as_the_shortest_term_is_refused() {
        let mut spec = loan_spec();
        if let ProgrammeTerms::Loan(loan) = &mut spec.terms {
            loan.max_grace_months = 12;
        }
        assert_eq!(
            refusal(spec),
            ("grace_too_long", Some("max_grace_months".to_owned()))
        );
    }

    #[test]
    fn rates_must_be_percentages_in_order() {
        let error = Percent::new("annual_rate_max_percent", dec!(100.01)).unwrap_err();
        assert_eq!(error.code(), "percent_out_of_range");
        assert_eq!(error.field().as_deref(), Some("annual_rate_max_percent"));
        assert!(Percent::new("annual_rate_min_percent", dec!(-1)).is_err());
        let high = Percent::new("annual_rate_min_percent", dec!(27)).unwrap();
        let low = Percent::new("annual_rate_max_percent", dec!(25)).unwrap();
        let error = RateRange::new(high, low).unwrap_err();
        assert_eq!(error.field().as_deref(), Some("annual_rate_max_percent"));
    }

    #[test]
    fn a_zero_co_funding_cap_is_refused() {
        let cap = Percent::new("co_funding_cap_percent", dec!(0)).unwrap();
        let spec = ProgrammeSpec {
            terms: ProgrammeTerms::Grant(GrantTerms {
                co_funding_cap: Some(cap),
            }),
            ..loan_spec()
        };
        assert_eq!(refusal(spec).1.as_deref(), Some("co_funding_cap_percent"));
    }

    #[test]
    fn inverted_company_age_limits_are_refused() {
        let mut spec = loan_spec();
        spec.eligibility.min_company_age_months = Some(61);
        assert_eq!(
            refusal(spec),
            (
                "min_greater_than_max",
                Some("eligibility.max_company_age_months".to_owned())
            )
        );
    }

    #[test]
    fn a_founder_age_limit_under_adulthood_is_refused() {
        let mut spec = loan_spec();
        spec.eligibility.max_founder_age_years = Some(17);
        assert_eq!(refusal(spec).0, "founder_age_limit_out_of_range");
    }

    #[test]
    fn a_commitment_is_carried_into_the_programme() {
        let programme = loan_programme();
        let committed = programme.budget().commit(uzs(dec!(100000000))).unwrap();
        let after = programme.with_budget(committed).unwrap();
        assert_eq!(after.budget().committed(), uzs(dec!(100000000)));
        let dollars = Budget::new(
            Money::new(dec!(1), Currency::Usd).unwrap(),
            Money::zero(Currency::Usd),
        );
        let error = programme.with_budget(dollars.unwrap()).unwrap_err();
        assert_eq!(error.field().as_deref(), Some("total_budget"));
    }

    #[test]
    fn limits_are_inclusive() {
        let programme = loan_programme();
        assert!(programme.amount_within_limits(uzs(dec!(10000000))));
        assert!(programme.amount_within_limits(uzs(dec!(100000000))));
        assert!(!programme.amount_within_limits(uzs(dec!(100000000.01))));
        assert!(programme.term_within_limits(12) && programme.term_within_limits(36));
        assert!(!programme.term_within_limits(11) && !programme.term_within_limits(37));
    }
}
