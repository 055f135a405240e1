//! What is checked when a founder submits an application: every reason to refuse, at once.

use chrono::{Datelike, Months, NaiveDate};
use imkon_platform::money::{Currency, Money, MoneyError};
use rust_decimal::{Decimal, RoundingStrategy};

use super::form::{AnswerError, Answers};
use super::programme::{GrantTerms, Programme, ProgrammeTerms};
use super::Refusal;

/// Why an amount typed by a person was refused at parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("`{field}` is not a decimal amount such as \"1250.00\"")]
    NotAnAmount { field: &'static str },
    #[error("`{field}` has more decimal places than the currency's minor unit")]
    TooManyDecimals { field: &'static str },
    #[error("`{field}` must be positive")]
    NotPositive { field: &'static str },
}

impl Refusal for AmountError {
    fn code(&self) -> &'static str {
        match self {
            AmountError::NotAnAmount { .. } => "invalid_amount",
            AmountError::TooManyDecimals { .. } => "amount_too_many_decimals",
            AmountError::NotPositive { .. } => "amount_not_positive",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            AmountError::NotAnAmount { field }
            | AmountError::TooManyDecimals { field }
            | AmountError::NotPositive { field } => Some((*field).to_owned()),
        }
    }
}

/// An amount greater than zero and exact to the currency's minor unit, such as a requested
/// amount or a stated project cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PositiveAmount(Money);

impl PositiveAmount {
    /// Parses `text` such as `"25000000.00"`; `field` names it in errors. A negative amount and
    /// a third decimal place are refused here, before any rule sees them.
    pub fn parse(
        field: &'static str,
        text: &str,
        currency: Currency,
    ) -> Result<PositiveAmount, AmountError> {
        let money = Money::parse(text, currency).map_err(|error| match error {
            MoneyError::TooManyDecimals { .. } => AmountError::TooManyDecimals { field },
            _ => AmountError::NotAnAmount { field },
        })?;
        PositiveAmount::new(field, money)
    }

    pub fn new(field: &'static str, money: Money) -> Result<PositiveAmount, AmountError> {
        if !money.is_positive() {
            return Err(AmountError::NotPositive { field });
        }
        Ok(PositiveAmount(money))
    }

    pub fn money(&self) -> Money {
        self.0
    }
}

/// One founder of the applying company, as onboarding knows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FounderFacts {
    /// The founder's place in the company's list of founders, from 1: how the founder and the
    /// officers tell founders apart (one known only by PINFL has no client id to name).
    pub number: u32,
    pub birth_date: NaiveDate,
}

/// What the other services know about the applicant when it submits. The HTTP layer gathers
/// these (onboarding for KYC, company and founders; the bank's loan book for overdue loans).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicantFacts {
    pub kyc_approved: bool,
    /// The applying company's own KYC (KYB) is approved.
    pub company_kyc_approved: bool,
    pub company_registered_on: NaiveDate,
    pub it_park_resident: bool,
    pub founders: Vec<FounderFacts>,
    pub has_overdue_loan: bool,
}

/// An application as submitted.
#[derive(Clone, Copy, Debug)]
pub struct Submission<'a> {
    pub programme: &'a Programme,
    pub requested_amount: PositiveAmount,
    pub term_months: u32,
    /// The whole project's cost, required by grant programmes with a co-funding cap.
    pub project_cost: Option<PositiveAmount>,
    pub answers: &'a Answers,
    pub applicant: &'a ApplicantFacts,
    pub submitted_on: NaiveDate,
}

/// One reason a submission was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionError {
    #[error("the applicant's KYC is not approved")]
    KycNotApproved,
    #[error("the company's KYC is not approved")]
    CompanyKycNotApproved,
    #[error("the programme does not accept applications on {on}")]
    ProgrammeClosed { on: NaiveDate },
    #[error("`{field}` is in {found}, but the programme is in {expected}")]
    CurrencyMismatch {
        field: &'static str,
        expected: Currency,
        found: Currency,
    },
    #[error("the requested amount must be between {min} and {max}")]
    AmountOutOfRange { min: Money, max: Money },
    #[error("the term must be between {min_months} and {max_months} months")]
    TermOutOfRange { min_months: u32, max_months: u32 },
    #[error("this programme needs the project's total cost")]
    ProjectCostRequired,
    #[error("the grant may cover at most {cap_percent}% of the project cost, that is {max_grant}")]
    CoFundingCapExceeded {
        cap_percent: Decimal,
        max_grant: Money,
    },
    #[error(transparent)]
    Answer(AnswerError),
    #[error("the company must be at least {min_months} months old; it is {age_months}")]
    CompanyTooYoung { min_months: u32, age_months: u32 },
    #[error("the company must be at most {max_months} months old; it is {age_months}")]
    CompanyTooOld { max_months: u32, age_months: u32 },
    #[error("the programme is for IT Park residents")]
    ItParkResidencyRequired,
    #[error("the programme needs the founders' ages, and none are known")]
    FoundersUnknown,
    #[error(
        "founder {number} in the company's list is {age_years}; the programme is for founders up to {max_age_years}"
    )]
    FounderTooOld {
        number: u32,
        age_years: u32,
        max_age_years: u32,
    },
    #[error("the applicant has an overdue loan with the bank")]
    OverdueLoan,
}

impl Refusal for SubmissionError {
    fn code(&self) -> &'static str {
        match self {
            SubmissionError::KycNotApproved => "kyc_not_approved",
            SubmissionError::CompanyKycNotApproved => "company_kyc_not_approved",
            SubmissionError::ProgrammeClosed { .. } => "programme_closed",
            SubmissionError::CurrencyMismatch { .. } => "currency_mismatch",
            SubmissionError::AmountOutOfRange { .. } => "amount_out_of_range",
            SubmissionError::TermOutOfRange { .. } => "term_out_of_range",
            SubmissionError::ProjectCostRequired => "project_cost_required",
            SubmissionError::CoFundingCapExceeded { .. } => "co_funding_cap_exceeded",
            SubmissionError::Answer(error) => error.code(),
            SubmissionError::CompanyTooYoung { .. } => "company_too_young",
            SubmissionError::CompanyTooOld { .. } => "company_too_old",
            SubmissionError::ItParkResidencyRequired => "it_park_residency_required",
            SubmissionError::FoundersUnknown => "founders_unknown",
            SubmissionError::FounderTooOld { .. } => "founder_too_old",
            SubmissionError::OverdueLoan => "overdue_loan",
        }
    }

    fn field(&self) -> Option<String> {
        let field = match self {
            SubmissionError::KycNotApproved
            | SubmissionError::CompanyKycNotApproved
            | SubmissionError::ProgrammeClosed { .. }
            | SubmissionError::OverdueLoan => return None,
            SubmissionError::Answer(error) => return error.field(),
            SubmissionError::CurrencyMismatch { field, .. } => field,
            SubmissionError::AmountOutOfRange { .. }
            | SubmissionError::CoFundingCapExceeded { .. } => "requested_amount",
            SubmissionError::TermOutOfRange { .. } => "term_months",
            SubmissionError::ProjectCostRequired => "project_cost",
            SubmissionError::CompanyTooYoung { .. } | SubmissionError::CompanyTooOld { .. } => {
                "company.registered_on"
            }
            SubmissionError::ItParkResidencyRequired => "company.it_park_resident",
            SubmissionError::FoundersUnknown | SubmissionError::FounderTooOld { .. } => "founders",
        };
        Some(field.to_owned())
    }
}

/// Checks a submission against its programme and returns every reason to refuse it, so the
/// founder learns them all at once rather than one per attempt.
pub fn check_submission(submission: &Submission<'_>) -> Result<(), Vec<SubmissionError>> {
    let programme = submission.programme;
    let rules = programme.eligibility();
    let applicant = submission.applicant;
    let on = submission.submitted_on;
    let mut errors = Vec::new();

    if rules.kyc_approval_required && !applicant.kyc_approved {
        errors.push(SubmissionError::KycNotApproved);
    }
    // Funding goes to the company, so the company is known to the bank as well as the person:
    // its registration date and IT Park residency, which the rules below read, were checked
    // against its documents by a KYC officer.
    if rules.kyc_approval_required && !applicant.company_kyc_approved {
        errors.push(SubmissionError::CompanyKycNotApproved);
    }
    if !programme.is_open_on(on) {
        errors.push(SubmissionError::ProgrammeClosed { on });
    }
    errors.extend(check_amount(submission));
    if !programme.term_within_limits(submission.term_months) {
        errors.push(SubmissionError::TermOutOfRange {
            min_months: programme.min_term_months(),
            max_months: programme.max_term_months(),
        });
    }
    errors.extend(
        programme
            .form()
            .missing_required(submission.answers)
            .into_iter()
            .map(SubmissionError::Answer),
    );

    let age_months = full_months_between(applicant.company_registered_on, on);
    if let Some(min_months) = rules.min_company_age_months {
        if age_months < min_months {
            errors.push(SubmissionError::CompanyTooYoung {
                min_months,
                age_months,
            });
        }
    }
    if let Some(max_months) = rules.max_company_age_months {
        if age_months > max_months {
            errors.push(SubmissionError::CompanyTooOld {
                max_months,
                age_months,
            });
        }
    }
    if rules.it_park_residency_required && !applicant.it_park_resident {
        errors.push(SubmissionError::ItParkResidencyRequired);
    }
    if let Some(max_age_years) = rules.max_founder_age_years {
        // With no founders on file the youth rule would pass vacuously, so it is refused.
        if applicant.founders.is_empty() {
            errors.push(SubmissionError::FoundersUnknown);
        }
        for founder in &applicant.founders {
            let age_years = full_months_between(founder.birth_date, on) / 12;
            if age_years > max_age_years {
                errors.push(SubmissionError::FounderTooOld {
                    number: founder.number,
                    age_years,
                    max_age_years,
                });
            }
        }
    }
    if rules.no_overdue_loan_required && applicant.has_overdue_loan {
        errors.push(SubmissionError::OverdueLoan);
    }

    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_amount(submission: &Submission<'_>) -> Vec<SubmissionError> {
    let programme = submission.programme;
    let expected = programme.currency();
    let requested = submission.requested_amount.money();
    if requested.currency() != expected {
        let found = requested.currency();
        return vec![SubmissionError::CurrencyMismatch {
            field: "requested_amount",
            expected,
            found,
        }];
    }
    let mut errors = Vec::new();
    if !programme.amount_within_limits(requested) {
        errors.push(SubmissionError::AmountOutOfRange {
            min: programme.min_amount(),
            max: programme.max_amount(),
        });
    }
    if let ProgrammeTerms::Grant(GrantTerms {
        co_funding_cap: Some(cap),
    }) = programme.terms()
    {
        match submission.project_cost.map(|cost| cost.money()) {
            None => errors.push(SubmissionError::ProjectCostRequired),
            Some(cost) if cost.currency() != expected => {
                let found = cost.currency();
                errors.push(SubmissionError::CurrencyMismatch {
                    field: "project_cost",
                    expected,
                    found,
                });
            }
            Some(cost) => {
                // A percentage over 100 is exact in decimal, and the product is at most the
                // cost, so neither step rounds nor overflows.
                let max_grant_exact = cost
                    .amount()
                    .checked_mul(cap.value() / Decimal::ONE_HUNDRED)
                    .expect("a share of at most 100% of a representable cost is representable");
                if requested.amount() > max_grant_exact {
                    // Rounded toward zero, so the amount shown is one the founder may request.
                    let max_grant = Money::from_rounded(
                        max_grant_exact.round_dp_with_strategy(
                            expected.minor_unit_digits(),
                            RoundingStrategy::ToZero,
                        ),
                        expected,
                    );
                    errors.push(SubmissionError::CoFundingCapExceeded {
                        cap_percent: cap.value(),
                        max_grant,
                    });
                }
            }
        }
    }
    errors
}

/// Whole calendar months from `start` to `end`, zero when `end` is not after `start`. A month
/// is complete on the same day-of-month, or on the month's last day when it has no such day
/// (31 January to 28 February is one month), as chrono's month arithmetic counts.
pub fn full_months_between(start: NaiveDate, end: NaiveDate) -> u32 {
    if end <= start {
        return 0;
    }
    let year_months = (end.year() - start.year()) * 12;
    let month_difference = i64::from(end.month()) - i64::from(start.month());
    let estimate = u32::try_from(i64::from(year_months) + month_difference)
        .expect("end is after start, so the calendar month difference is not negative");
    let completed = |months: u32| {
        start
            .checked_add_months(Months::new(months))
            .is_some_and(|d| d <= end)
    };
    if completed(estimate) {
        estimate
    } else {
        estimate - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::form::AnswerValue;
    use crate::domain::programme::tests::{date, grant_programme, loan_programme, uzs};
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use std::collections::BTreeMap;

    fn complete_answers(programme: &Programme) -> Answers {
        let values = BTreeMap::from([
            ("pitch".to_owned(), AnswerValue::Text("AI tutor".to_owned())),
            ("team_size".to_owned(), AnswerValue::Number(dec!(3))),
        ]);
        programme.form().parse_answers(&values).unwrap()
    }

    fn eligible_applicant() -> ApplicantFacts {
        ApplicantFacts {
            kyc_approved: true,
            company_kyc_approved: true,
            company_registered_on: date("2024-01-15"),
            it_park_resident: true,
            founders: vec![FounderFacts {
                number: 1,
                birth_date: date("1999-06-01"),
            }],
            has_overdue_loan: false,
        }
    }

    fn amount(text: &str) -> PositiveAmount {
        PositiveAmount::parse("requested_amount", text, Currency::Uzs).unwrap()
    }

    fn codes(result: Result<(), Vec<SubmissionError>>) -> Vec<&'static str> {
        result.unwrap_err().iter().map(Refusal::code).collect()
    }

    fn check(
        programme: &Programme,
        applicant: &ApplicantFacts,
        answers: &Answers,
        change: impl FnOnce(&mut Submission<'_>),
    ) -> Result<(), Vec<SubmissionError>> {
        let mut submission = Submission {
            programme,
            requested_amount: amount("50000000.00"),
            term_months: 24,
            project_cost: None,
            answers,
            applicant,
            submitted_on: date("2025-03-10"),
        };
        change(&mut submission);
        check_submission(&submission)
    }

    #[test]
    fn an_eligible_complete_submission_is_accepted() {
        let programme = loan_programme();
        let answers = complete_answers(&programme);
        assert_eq!(
            check(&programme, &eligible_applicant(), &answers, |_| {}),
            Ok(())
        );
    }

    #[test]
    fn every_reason_is_reported_at_once() {
        let programme = loan_programme();
        let applicant = ApplicantFacts {
            kyc_approved: false,
            company_kyc_approved: false,
            company_registered_on: date("2025-01-01"),
            it_park_resident: false,
            founders: vec![FounderFacts {
                number: 2,
                birth_date: date("1980-01-01"),
            }],
            has_overdue_loan: true,
        };
        let result = check(&programme, &applicant, &Answers::default(), |submission| {
            submission.requested_amount = amount("5000000");
            submission.term_months = 48;
            submission.submitted_on = date("2026-01-02");
        });
        assert_eq!(
            codes(result),
            [
                "kyc_not_approved",
                "company_kyc_not_approved",
                "programme_closed",
                "amount_out_of_range",
                "term_out_of_range",
                "answer_required",
                "answer_required",
                "it_park_residency_required",
                "founder_too_old",
                "overdue_loan",
            ]
        );
    }

    #[test]
    fn missing_answers_name_their_questions() {
        let programme = loan_programme();
        let errors = check(
            &programme,
            &eligible_applicant(),
            &Answers::default(),
            |_| {},
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().filter_map(Refusal::field).collect();
        assert_eq!(fields, ["answers.pitch", "answers.team_size"]);
    }

    #[test]
    fn an_amount_outside_the_limits_is_refused_naming_the_field() {
        let programme = loan_programme();
        let answers = complete_answers(&programme);
        let errors = check(&programme, &eligible_applicant(), &answers, |submission| {
            submission.requested_amount = amount("100000000.01");
        })
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code(), "amount_out_of_range");
        assert_eq!(errors[0].field().as_deref(), Some("requested_amount"));
    }

    #[test]
    fn an_amount_in_another_currency_is_refused() {
        let programme = loan_programme();
        let answers = complete_answers(&programme);
        let dollars = PositiveAmount::parse("requested_amount", "50000", Currency::Usd).unwrap();
        let result = check(&programme, &eligible_applicant(), &answers, |submission| {
            submission.requested_amount = dollars;
        });
        assert_eq!(codes(result), ["currency_mismatch"]);
    }

    #[test]
    fn a_term_outside_the_limits_is_refused() {
        let programme = loan_programme();
        let answers = complete_answers(&programme);
        let errors = check(&programme, &eligible_applicant(), &answers, |submission| {
            submission.term_months = 11;
        })
        .unwrap_err();
        assert_eq!(errors[0].code(), "term_out_of_range");
        assert_eq!(errors[0].field().as_deref(), Some("term_months"));
    }

    #[test]
    fn a_negative_or_three_decimal_amount_is_refused_at_parse() {
        let negative = PositiveAmount::parse("requested_amount", "-100.00", Currency::Uzs);
        assert_eq!(
            negative,
            Err(AmountError::NotPositive {
                field: "requested_amount"
            })
        );
        let zero = PositiveAmount::parse("requested_amount", "0.00", Currency::Uzs);
        assert_eq!(zero.unwrap_err().code(), "amount_not_positive");
        let error =
            PositiveAmount::parse("requested_amount", "100.005", Currency::Uzs).unwrap_err();
        assert_eq!(error.code(), "amount_too_many_decimals");
        assert_eq!(error.field().as_deref(), Some("requested_amount"));
        let error = PositiveAmount::parse("requested_amount", "1e6", Currency::Uzs).unwrap_err();
        assert_eq!(error.code(), "invalid_amount");
    }

    #[test]
    fn a_closed_programme_refuses_submissions() {
        let programme = loan_programme();
        let answers = complete_answers(&programme);
        let result = check(&programme, &eligible_applicant(), &answers, |submission| {
            submission.submitted_on = date("2024-12-31");
        });
        assert_eq!(codes(result), ["programme_closed"]);
    }

    #[test]
    fn company_age_is_checked_in_whole_months() {
        let programme = loan_programme();
        let answers = complete_answers(&programme);
        let registered = |on: &str| ApplicantFacts {
            company_registered_on: date(on),
            ..eligible_applicant()
        };
        // Six months old on 2025-03-10 exactly when registered on or before 2024-09-10.
        assert_eq!(
            check(&programme, &registered("2024-09-10"), &answers, |_| {}),
            Ok(())
        );
        let young = check(&programme, &registered("2024-09-11"), &answers, |_| {}).unwrap_err();
        assert_eq!(
            young,
            [SubmissionError::CompanyTooYoung {
                min_months: 6,
                age_months: 5
            }]
        );
        assert_eq!(young[0].field().as_deref(), Some("company.registered_on"));
        // Sixty months is the limit, inclusive; the sixty-first month is one too many.
        assert_eq!(
            check(&programme, &registered("2020-03-10"), &answers, |_| {}),
            Ok(())
        );
        let old = check(&programme, &registered("2020-02-10"), &answers, |_| {});
        assert_eq!(codes(old), ["company_too_old"]);
    }

    #[test]
    fn a_founder_over_the_youth_limit_is_refused_by_their_place_in_the_list() {
        let programme = loan_programme();
        let answers = complete_answers(&programme);
        let applicant = ApplicantFacts {
            // The first founder is still 30 on 2025-03-10, the day before turning 31.
            founders: vec![
                FounderFacts {
                    number: 1,
                    birth_date: date("1994-03-11"),
                },
                FounderFacts {
                    number: 2,
                    birth_date: date("1994-03-10"),
                },
            ],
            ..eligible_applicant()
        };
        let errors = check(&programme, &applicant, &answers, |_| {}).unwrap_err();
        assert_eq!(
            errors,
            [SubmissionError::FounderTooOld {
                number: 2,
                age_years: 31,
                max_age_years: 30
            }]
        );
    }

    #[test]
    fn a_youth_programme_needs_the_founders() {
        let programme = loan_programme();
        let answers = complete_answers(&programme);
        let applicant = ApplicantFacts {
            founders: vec![],
            ..eligible_applicant()
        };
        assert_eq!(
            codes(check(&programme, &applicant, &answers, |_| {})),
            ["founders_unknown"]
        );
    }

    #[test]
    fn rules_that_are_off_are_not_checked() {
        let programme = grant_programme();
        let answers = complete_answers(&programme);
        let applicant = ApplicantFacts {
            kyc_approved: false,
            company_kyc_approved: false,
            it_park_resident: false,
            has_overdue_loan: true,
            founders: vec![],
            ..eligible_applicant()
        };
        let cost = PositiveAmount::parse("project_cost", "100000000", Currency::Uzs).unwrap();
        let result = check(&programme, &applicant, &answers, |submission| {
            submission.project_cost = Some(cost);
        });
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn a_grant_above_the_co_funding_cap_is_refused() {
        let programme = grant_programme();
        let answers = complete_answers(&programme);
        let cost = PositiveAmount::parse("project_cost", "99999999.98", Currency::Uzs).unwrap();
        let errors = check(&programme, &eligible_applicant(), &answers, |submission| {
            submission.project_cost = Some(cost);
        })
        .unwrap_err();
        assert_eq!(
            errors,
            [SubmissionError::CoFundingCapExceeded {
                cap_percent: dec!(50),
                max_grant: uzs(dec!(49999999.99)),
            }]
        );
        assert_eq!(errors[0].field().as_deref(), Some("requested_amount"));
    }

    #[test]
    fn the_co_funding_limit_is_exact_and_shown_rounded_down() {
        let programme = grant_programme();
        let answers = complete_answers(&programme);
        // Half of 99,999,999.99 is 49,999,999.995: 49,999,999.99 fits, 50,000,000.00 does not.
        let cost = PositiveAmount::parse("project_cost", "99999999.99", Currency::Uzs).unwrap();
        let at = |requested: &str| {
            let requested = amount(requested);
            check(&programme, &eligible_applicant(), &answers, |submission| {
                submission.requested_amount = requested;
                submission.project_cost = Some(cost);
            })
        };
        assert_eq!(at("49999999.99"), Ok(()));
        assert_eq!(
            at("50000000.00").unwrap_err(),
            [SubmissionError::CoFundingCapExceeded {
                cap_percent: dec!(50),
                max_grant: uzs(dec!(49999999.99)),
            }]
        );
    }

    #[test]
    fn a_capped_grant_needs_the_project_cost() {
        let programme = grant_programme();
        let answers = complete_answers(&programme);
        let errors = check(&programme, &eligible_applicant(), &answers, |_| {}).unwrap_err();
        assert_eq!(errors, [SubmissionError::ProjectCostRequired]);
        assert_eq!(errors[0].field().as_deref(), Some("project_cost"));
    }

    #[test]
    fn whole_months_follow_the_calendar() {
        assert_eq!(
            full_months_between(date("2024-01-31"), date("2024-02-29")),
            1
        );
        assert_eq!(
            full_months_between(date("2024-01-31"), date("2024-02-28")),
            0
        );
        assert_eq!(
            full_months_between(date("2024-01-15"), date("2025-01-15")),
            12
        );
        assert_eq!(
            full_months_between(date("2024-01-15"), date("2025-01-14")),
            11
        );
        assert_eq!(
            full_months_between(date("2025-01-15"), date("2024-01-15")),
            0
        );
    }

    proptest! {
        #[test]
        fn whole_months_never_overshoot(start_days in 0i64..40_000, length_days in 0i64..20_000) {
            let start = date("1950-01-01") + chrono::Days::new(start_days as u64);
            let end = start + chrono::Days::new(length_days as u64);
            let months = full_months_between(start, end);
            let reached = start.checked_add_months(Months::new(months)).unwrap();
            let next = start.checked_add_months(Months::new(months + 1)).unwrap();
            prop_assert!(reached <= end);
            prop_assert!(next > end);
        }
    }
}
