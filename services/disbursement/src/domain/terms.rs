//! The contract's financial terms, parsed once into types that cannot hold a wrong value.
//!
//! An HTTP layer hands the raw figures to [`LoanTerms::parse`]; every refusal names the field it
//! concerns through [`TermsError::field`], so the answer can be a 422 that points at it.

use chrono::{Months, NaiveDate};
use imkon_platform::money::{Currency, Money, MoneyError};
use rust_decimal::Decimal;

use crate::domain::calendar::ISDA_YEAR_UNITS;

/// The longest term the bank lends for. It bounds every loop and every product of discount
/// factors in the schedule arithmetic, so `Decimal` can never overflow.
pub const MAX_TERM_MONTHS: u32 = 360;

/// The largest principal, in major units (a quadrillion sums). Together with the rate and term
/// limits it keeps `balance × rate × days` far below `Decimal`'s range.
pub const MAX_PRINCIPAL_MAJOR_UNITS: i64 = 1_000_000_000_000_000;

/// Rates are quoted to at most four decimal places of a percent (`9.4822`).
pub const MAX_RATE_DECIMAL_PLACES: u32 = 4;

/// How long the first period may run: a first due date more than two months after the money
/// is paid out would leave a broken period whose interest swamps an equal instalment.
pub const MAX_FIRST_PERIOD_MONTHS: u32 = 2;

/// An annual interest rate, in percent, from 0 to 100 inclusive, with at most
/// [`MAX_RATE_DECIMAL_PLACES`] decimals. Used for the contract rate and the penalty rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AnnualRate {
    percent: Decimal,
}

/// Why a rate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("the rate must not be negative")]
    Negative,
    #[error("the rate must not exceed 100%")]
    AboveHundredPercent,
    #[error("the rate has at most {max_places} decimal places")]
    TooManyDecimals { max_places: u32 },
}

impl AnnualRate {
    pub fn from_percent(percent: Decimal) -> Result<AnnualRate, RateError> {
        if percent.is_sign_negative() && !percent.is_zero() {
            return Err(RateError::Negative);
        }
        if percent > Decimal::ONE_HUNDRED {
            return Err(RateError::AboveHundredPercent);
        }
        let percent = percent.normalize();
        if percent.scale() > MAX_RATE_DECIMAL_PLACES {
            return Err(RateError::TooManyDecimals {
                max_places: MAX_RATE_DECIMAL_PLACES,
            });
        }
        Ok(AnnualRate { percent })
    }

    /// The rate as a percent, such as `9.4822`.
    pub fn percent(&self) -> Decimal {
        self.percent
    }

    pub fn is_zero(&self) -> bool {
        self.percent.is_zero()
    }
}

/// How the principal is repaid after the grace months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RepaymentMethod {
    /// Equal instalments of principal and interest together.
    Annuity,
    /// Equal slices of principal plus the interest on what is still owed, so instalments fall
    /// over time; local banks call it "differentiated".
    EqualPrincipal,
}

impl RepaymentMethod {
    /// Parses the wire name: `annuity` or `equal_principal`.
    pub fn parse(text: &str) -> Result<RepaymentMethod, TermsError> {
        match text {
            "annuity" => Ok(RepaymentMethod::Annuity),
            "equal_principal" => Ok(RepaymentMethod::EqualPrincipal),
            other => Err(TermsError::UnknownRepaymentMethod(other.to_owned())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RepaymentMethod::Annuity => "annuity",
            RepaymentMethod::EqualPrincipal => "equal_principal",
        }
    }
}

/// What a period's interest is charged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum InterestMethod {
    /// On the principal still owed at the start of the period, so interest falls as the loan
    /// is repaid.
    #[default]
    DecliningBalance,
    /// On the principal the schedule starts from (the amount paid out, or the balance left
    /// after an early repayment, which starts a new schedule), whatever has been repaid since:
    /// under 30/360 every month carries the same interest.
    Flat,
}

impl InterestMethod {
    /// Parses the wire name: `declining_balance` or `flat`.
    pub fn parse(text: &str) -> Result<InterestMethod, TermsError> {
        match text {
            "declining_balance" => Ok(InterestMethod::DecliningBalance),
            "flat" => Ok(InterestMethod::Flat),
            other => Err(TermsError::UnknownInterestMethod(other.to_owned())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            InterestMethod::DecliningBalance => "declining_balance",
            InterestMethod::Flat => "flat",
        }
    }
}

/// How a period's interest is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DayCount {
    /// Every month is thirty days of a 360-day year: each period carries exactly a twelfth of
    /// the annual rate, whatever its calendar length.
    Thirty360,
    /// Each period carries `days / 365` of the annual rate, where `days` are the calendar days
    /// from the previous due date (or the disbursement) to its due date.
    Actual365,
    /// Actual/actual ISDA: each period carries the days that fall in a leap year over 366 plus
    /// the days that fall in any other year over 365 (a period across New Year is split there).
    ActualActualIsda,
}

impl DayCount {
    /// Parses the wire name: `30/360`, `actual/365` or `actual/actual-isda`.
    pub fn parse(text: &str) -> Result<DayCount, TermsError> {
        match text {
            "30/360" => Ok(DayCount::Thirty360),
            "actual/365" => Ok(DayCount::Actual365),
            "actual/actual-isda" => Ok(DayCount::ActualActualIsda),
            other => Err(TermsError::UnknownDayCount(other.to_owned())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DayCount::Thirty360 => "30/360",
            DayCount::Actual365 => "actual/365",
            DayCount::ActualActualIsda => "actual/actual-isda",
        }
    }

    /// How many accrual units a whole year holds: days for 30/360 and actual/365, and
    /// [`ISDA_YEAR_UNITS`] for actual/actual ISDA (see
    /// [`isda_units`](crate::domain::calendar::isda_units)).
    pub fn year_units(self) -> u32 {
        match self {
            DayCount::Thirty360 => 360,
            DayCount::Actual365 => 365,
            DayCount::ActualActualIsda => ISDA_YEAR_UNITS,
        }
    }
}

/// The raw figures of a loan as a client or officer sent them, before any check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanTermsInput {
    pub principal: Decimal,
    pub currency: Currency,
    pub annual_rate_percent: Decimal,
    pub term_months: i64,
    pub method: RepaymentMethod,
    pub grace_months: i64,
    pub day_count: DayCount,
    pub interest_method: InterestMethod,
    pub disbursement_date: NaiveDate,
    pub first_due_date: NaiveDate,
}

/// Why loan terms were refused. [`TermsError::field`] names the offending input field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsError {
    #[error("the principal must be positive")]
    PrincipalNotPositive,
    #[error("the principal has more decimal places than the currency's minor unit")]
    PrincipalTooManyDecimals,
    #[error("the principal exceeds the largest loan the bank books")]
    PrincipalTooLarge,
    #[error("the annual rate is invalid: {0}")]
    AnnualRate(#[source] RateError),
    #[error("the term must be at least one month")]
    TermNotPositive,
    #[error("the term must not exceed {max_months} months")]
    TermTooLong { max_months: u32 },
    #[error("grace months must not be negative")]
    GraceNegative,
    #[error("the grace period ({grace_months} months) must be shorter than the term ({term_months} months)")]
    GraceNotShorterThanTerm { grace_months: i64, term_months: i64 },
    #[error("the first due date must come after the disbursement date")]
    FirstDueDateNotAfterDisbursement,
    #[error("the first due date must be no later than {latest}")]
    FirstDueDateTooLate { latest: NaiveDate },
    #[error("the due dates run past the calendar's end")]
    DueDatesOutOfRange,
    #[error("unknown repayment method `{0}`; expected annuity or equal_principal")]
    UnknownRepaymentMethod(String),
    #[error("unknown day count `{0}`; expected 30/360, actual/365 or actual/actual-isda")]
    UnknownDayCount(String),
    #[error("unknown interest method `{0}`; expected declining_balance or flat")]
    UnknownInterestMethod(String),
}

impl TermsError {
    /// The name of the input field at fault, as the preview endpoint spells it.
    pub fn field(&self) -> &'static str {
        match self {
            TermsError::PrincipalNotPositive
            | TermsError::PrincipalTooManyDecimals
            | TermsError::PrincipalTooLarge => "principal",
            TermsError::AnnualRate(_) => "annual_rate_percent",
            TermsError::TermNotPositive | TermsError::TermTooLong { .. } => "term_months",
            TermsError::GraceNegative | TermsError::GraceNotShorterThanTerm { .. } => {
                "grace_months"
            }
            TermsError::FirstDueDateNotAfterDisbursement
            | TermsError::FirstDueDateTooLate { .. }
            | TermsError::DueDatesOutOfRange => "first_due_date",
            TermsError::UnknownRepaymentMethod(_) => "method",
            TermsError::UnknownDayCount(_) => "day_count",
            TermsError::UnknownInterestMethod(_) => "interest_method",
        }
    }
}

/// Loan terms that passed every check; holding one means a schedule can be built from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanTerms {
    principal: Money,
    annual_rate: AnnualRate,
    term_months: u32,
    method: RepaymentMethod,
    grace_months: u32,
    day_count: DayCount,
    interest_method: InterestMethod,
    disbursement_date: NaiveDate,
    due_dates: Vec<NaiveDate>,
}

impl LoanTerms {
    pub fn parse(input: &LoanTermsInput) -> Result<LoanTerms, TermsError> {
        let principal = parse_principal(input.principal, input.currency)?;
        let annual_rate =
            AnnualRate::from_percent(input.annual_rate_percent).map_err(TermsError::AnnualRate)?;
        if input.term_months <= 0 {
            return Err(TermsError::TermNotPositive);
        }
        let term_months = u32::try_from(input.term_months)
            .ok()
            .filter(|months| *months <= MAX_TERM_MONTHS)
            .ok_or(TermsError::TermTooLong {
                max_months: MAX_TERM_MONTHS,
            })?;
        if input.grace_months < 0 {
            return Err(TermsError::GraceNegative);
        }
        if input.grace_months >= input.term_months {
            return Err(TermsError::GraceNotShorterThanTerm {
                grace_months: input.grace_months,
                term_months: input.term_months,
            });
        }
        let grace_months = u32::try_from(input.grace_months)
            .expect("grace months are non-negative and below a term that fits in u32");
        if input.first_due_date <= input.disbursement_date {
            return Err(TermsError::FirstDueDateNotAfterDisbursement);
        }
        let latest = input
            .disbursement_date
            .checked_add_months(Months::new(MAX_FIRST_PERIOD_MONTHS))
            .ok_or(TermsError::DueDatesOutOfRange)?;
        if input.first_due_date > latest {
            return Err(TermsError::FirstDueDateTooLate { latest });
        }
        let due_dates =
            crate::domain::calendar::monthly_due_dates(input.first_due_date, term_months)
                .ok_or(TermsError::DueDatesOutOfRange)?;
        Ok(LoanTerms {
            principal,
            annual_rate,
            term_months,
            method: input.method,
            grace_months,
            day_count: input.day_count,
            interest_method: input.interest_method,
            disbursement_date: input.disbursement_date,
            due_dates,
        })
    }

    pub fn principal(&self) -> Money {
        self.principal
    }

    pub fn currency(&self) -> Currency {
        self.principal.currency()
    }

    pub fn annual_rate(&self) -> AnnualRate {
        self.annual_rate
    }

    pub fn term_months(&self) -> u32 {
        self.term_months
    }

    pub fn method(&self) -> RepaymentMethod {
        self.method
    }

    pub fn grace_months(&self) -> u32 {
        self.grace_months
    }

    pub fn day_count(&self) -> DayCount {
        self.day_count
    }

    pub fn interest_method(&self) -> InterestMethod {
        self.interest_method
    }

    pub fn disbursement_date(&self) -> NaiveDate {
        self.disbursement_date
    }

    pub fn first_due_date(&self) -> NaiveDate {
        self.due_dates[0]
    }

    /// Every due date, one per month of the term, in order.
    pub fn due_dates(&self) -> &[NaiveDate] {
        &self.due_dates
    }
}

fn parse_principal(amount: Decimal, currency: Currency) -> Result<Money, TermsError> {
    if amount <= Decimal::ZERO {
        return Err(TermsError::PrincipalNotPositive);
    }
    if amount > Decimal::from(MAX_PRINCIPAL_MAJOR_UNITS) {
        return Err(TermsError::PrincipalTooLarge);
    }
    Money::new(amount, currency).map_err(|error| match error {
        MoneyError::TooManyDecimals { .. } => TermsError::PrincipalTooManyDecimals,
        // `Money::new` refuses nothing but extra decimals; any other refusal is still about
        // the principal, so it is reported against that field.
        _ => TermsError::PrincipalTooLarge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn valid_input() -> LoanTermsInput {
        LoanTermsInput {
            principal: dec!(100.00),
            currency: Currency::Uzs,
            annual_rate_percent: dec!(9.4822),
            term_months: 6,
            method: RepaymentMethod::Annuity,
            grace_months: 0,
            day_count: DayCount::Thirty360,
            interest_method: InterestMethod::DecliningBalance,
            disbursement_date: date(2024, 1, 1),
            first_due_date: date(2024, 2, 1),
        }
    }

    fn refusal(change: impl FnOnce(&mut LoanTermsInput)) -> TermsError {
        let mut input = valid_input();
        change(&mut input);
        LoanTerms::parse(&input).unwrap_err()
    }

    #[test]
    fn valid_terms_are_accepted_with_one_due_date_per_month() {
        let terms = LoanTerms::parse(&valid_input()).unwrap();
        assert_eq!(terms.principal().amount(), dec!(100.00));
        assert_eq!(terms.due_dates().len(), 6);
        assert_eq!(terms.due_dates()[5], date(2024, 7, 1));
    }

    #[test]
    fn a_zero_or_negative_term_is_refused_naming_the_term() {
        for term in [0, -3] {
            let error = refusal(|input| input.term_months = term);
            assert_eq!(error, TermsError::TermNotPositive);
            assert_eq!(error.field(), "term_months");
        }
        assert_eq!(
            refusal(|input| input.term_months = 361),
            TermsError::TermTooLong { max_months: 360 }
        );
    }

    #[test]
    fn a_rate_over_a_hundred_percent_or_negative_is_refused_naming_the_rate() {
        let over = refusal(|input| input.annual_rate_percent = dec!(100.0001));
        assert_eq!(over, TermsError::AnnualRate(RateError::AboveHundredPercent));
        assert_eq!(over.field(), "annual_rate_percent");
        let negative = refusal(|input| input.annual_rate_percent = dec!(-0.5));
        assert_eq!(negative, TermsError::AnnualRate(RateError::Negative));
        assert!(
            AnnualRate::from_percent(dec!(100)).is_ok(),
            "exactly 100% is allowed"
        );
        assert!(
            AnnualRate::from_percent(dec!(0)).is_ok(),
            "an interest-free loan is allowed"
        );
    }

    #[test]
    fn a_rate_with_too_many_decimals_is_refused() {
        let error = refusal(|input| input.annual_rate_percent = dec!(9.48221));
        assert_eq!(
            error,
            TermsError::AnnualRate(RateError::TooManyDecimals { max_places: 4 })
        );
        assert!(
            AnnualRate::from_percent(dec!(9.482200)).is_ok(),
            "trailing zeros are exact"
        );
    }

    #[test]
    fn grace_not_shorter_than_the_term_is_refused_naming_the_grace() {
        let error = refusal(|input| input.grace_months = 6);
        assert_eq!(
            error,
            TermsError::GraceNotShorterThanTerm {
                grace_months: 6,
                term_months: 6
            }
        );
        assert_eq!(error.field(), "grace_months");
        assert_eq!(
            refusal(|input| input.grace_months = -1),
            TermsError::GraceNegative
        );
    }

    #[test]
    fn a_first_due_date_on_or_before_the_disbursement_is_refused() {
        for first_due in [date(2024, 1, 1), date(2023, 12, 31)] {
            let error = refusal(|input| input.first_due_date = first_due);
            assert_eq!(error, TermsError::FirstDueDateNotAfterDisbursement);
            assert_eq!(error.field(), "first_due_date");
        }
    }

    #[test]
    fn a_first_due_date_more_than_two_months_out_is_refused() {
        let error = refusal(|input| input.first_due_date = date(2024, 3, 2));
        assert_eq!(
            error,
            TermsError::FirstDueDateTooLate {
                latest: date(2024, 3, 1)
            }
        );
    }

    #[test]
    fn a_non_positive_principal_is_refused_naming_the_principal() {
        for principal in [dec!(0), dec!(-10.00)] {
            let error = refusal(|input| input.principal = principal);
            assert_eq!(error, TermsError::PrincipalNotPositive);
            assert_eq!(error.field(), "principal");
        }
    }

    #[test]
    fn a_principal_with_a_third_decimal_is_refused_not_rounded() {
        assert_eq!(
            refusal(|input| input.principal = dec!(100.005)),
            TermsError::PrincipalTooManyDecimals
        );
        assert_eq!(
            refusal(|input| input.principal = dec!(1000000000000000.01)),
            TermsError::PrincipalTooLarge
        );
    }

    #[test]
    fn method_and_day_count_names_parse_and_unknown_ones_name_their_field() {
        assert_eq!(
            RepaymentMethod::parse("equal_principal"),
            Ok(RepaymentMethod::EqualPrincipal)
        );
        assert_eq!(DayCount::parse("actual/365"), Ok(DayCount::Actual365));
        assert_eq!(
            RepaymentMethod::parse("balloon").unwrap_err().field(),
            "method"
        );
        assert_eq!(DayCount::parse("30/365").unwrap_err().field(), "day_count");
        for method in [RepaymentMethod::Annuity, RepaymentMethod::EqualPrincipal] {
            assert_eq!(RepaymentMethod::parse(method.name()), Ok(method));
        }
        for day_count in [
            DayCount::Thirty360,
            DayCount::Actual365,
            DayCount::ActualActualIsda,
        ] {
            assert_eq!(DayCount::parse(day_count.name()), Ok(day_count));
        }
    }
}
