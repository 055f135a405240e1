//! Decisions, made with four eyes: a credit officer proposes, a different person with the
//! approver role confirms or sends the proposal back.

use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;

use super::actor::{Actor, ActorRole};
use super::budget::{Budget, BudgetError};
use super::programme::{Percent, Programme};
use super::state::{DecisionOutcome, Event};
use super::submission::PositiveAmount;
use super::Refusal;

/// The most reasons a rejection may list, and the longest each may be, in characters.
pub const MAX_REASONS: usize = 20;
pub const MAX_REASON_LENGTH_CHARS: usize = 2_000;

/// Why a proposal, confirmation or send-back was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("the {} role may not {action}", role.as_str())]
    RoleNotPermitted {
        role: ActorRole,
        action: &'static str,
    },
    #[error("the person who proposed a decision may not also confirm or send it back")]
    SamePersonBothSides,
    #[error("`amount` is in {found}, but the programme is in {expected}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    #[error("the amount must be between {min} and {max}")]
    AmountOutOfRange { min: Money, max: Money },
    #[error("the term must be between {min_months} and {max_months} months")]
    TermOutOfRange { min_months: u32, max_months: u32 },
    #[error("a loan approval needs an annual rate")]
    RateRequired,
    #[error("a grant has no interest rate")]
    RateNotApplicable,
    #[error("the annual rate must be between {min_percent}% and {max_percent}%")]
    RateOutOfRange {
        min_percent: Decimal,
        max_percent: Decimal,
    },
    #[error("a grant has no grace period")]
    GraceNotApplicable,
    #[error("the grace period may be at most {max_months} months and shorter than the term")]
    GraceTooLong { max_months: u32 },
    #[error("a rejection needs at least one reason, and at most {MAX_REASONS}")]
    ReasonsMissing,
    #[error("a reason is empty or longer than {MAX_REASON_LENGTH_CHARS} characters")]
    ReasonInvalid { index: usize },
    #[error("sending a proposal back needs a reason")]
    SendBackReasonMissing,
}

impl Refusal for DecisionError {
    fn code(&self) -> &'static str {
        match self {
            DecisionError::RoleNotPermitted { .. } => "role_not_permitted",
            DecisionError::SamePersonBothSides => "four_eyes_violation",
            DecisionError::CurrencyMismatch { .. } => "currency_mismatch",
            DecisionError::AmountOutOfRange { .. } => "amount_out_of_range",
            DecisionError::TermOutOfRange { .. } => "term_out_of_range",
            DecisionError::RateRequired => "rate_required",
            DecisionError::RateNotApplicable => "rate_not_applicable",
            DecisionError::RateOutOfRange { .. } => "rate_out_of_range",
            DecisionError::GraceNotApplicable => "grace_not_applicable",
            DecisionError::GraceTooLong { .. } => "grace_too_long",
            DecisionError::ReasonsMissing => "reasons_missing",
            DecisionError::ReasonInvalid { .. } => "reason_invalid",
            DecisionError::SendBackReasonMissing => "reason_missing",
        }
    }

    fn field(&self) -> Option<String> {
        let field = match self {
            DecisionError::RoleNotPermitted { .. } | DecisionError::SamePersonBothSides => {
                return None
            }
            DecisionError::ReasonInvalid { index } => return Some(format!("reasons[{index}]")),
            DecisionError::CurrencyMismatch { .. } | DecisionError::AmountOutOfRange { .. } => {
                "amount"
            }
            DecisionError::TermOutOfRange { .. } => "term_months",
            DecisionError::RateRequired
            | DecisionError::RateNotApplicable
            | DecisionError::RateOutOfRange { .. } => "annual_rate_percent",
            DecisionError::GraceNotApplicable | DecisionError::GraceTooLong { .. } => {
                "grace_months"
            }
            DecisionError::ReasonsMissing => "reasons",
            DecisionError::SendBackReasonMissing => "reason",
        };
        Some(field.to_owned())
    }
}

/// What only a loan approval states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanApprovalTerms {
    pub annual_rate: Percent,
    pub grace_months: u32,
}

/// The terms of an approval, within the programme's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApprovalTerms {
    amount: Money,
    term_months: u32,
    loan: Option<LoanApprovalTerms>,
}

impl ApprovalTerms {
    /// Checks approval terms against `programme`. A loan needs a rate within the programme's
    /// range and a grace period (zero for none) within its allowance and shorter than the
    /// term; a grant takes neither.
    pub fn new(
        programme: &Programme,
        amount: PositiveAmount,
        term_months: u32,
        annual_rate: Option<Percent>,
        grace_months: Option<u32>,
    ) -> Result<ApprovalTerms, DecisionError> {
        let amount = amount.money();
        if amount.currency() != programme.currency() {
            let (expected, found) = (programme.currency(), amount.currency());
            return Err(DecisionError::CurrencyMismatch { expected, found });
        }
        if !programme.amount_within_limits(amount) {
            let (min, max) = (programme.min_amount(), programme.max_amount());
            return Err(DecisionError::AmountOutOfRange { min, max });
        }
        if !programme.term_within_limits(term_months) {
            return Err(DecisionError::TermOutOfRange {
                min_months: programme.min_term_months(),
                max_months: programme.max_term_months(),
            });
        }
        let loan = match programme.loan_terms() {
            None if annual_rate.is_some() => return Err(DecisionError::RateNotApplicable),
            None if grace_months.is_some() => return Err(DecisionError::GraceNotApplicable),
            None => None,
            Some(loan_terms) => {
                let annual_rate = annual_rate.ok_or(DecisionError::RateRequired)?;
                if !loan_terms.annual_rate.contains(annual_rate) {
                    return Err(DecisionError::RateOutOfRange {
                        min_percent: loan_terms.annual_rate.min().value(),
                        max_percent: loan_terms.annual_rate.max().value(),
                    });
                }
                let grace_months = grace_months.unwrap_or(0);
                if grace_months > loan_terms.max_grace_months || grace_months >= term_months {
                    let max_months = loan_terms.max_grace_months.min(term_months - 1);
                    return Err(DecisionError::GraceTooLong { max_months });
                }
                Some(LoanApprovalTerms {
                    annual_rate,
                    grace_months,
                })
            }
        };
        Ok(ApprovalTerms {
            amount,
            term_months,
            loan,
        })
    }

    pub fn amount(&self) -> Money {
        self.amount
    }

    pub fn term_months(&self) -> u32 {
        self.term_months
    }

    /// The rate and grace of a loan, or `None` for a grant.
    pub fn loan(&self) -> Option<LoanApprovalTerms> {
        self.loan
    }
}

/// What is proposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposedOutcome {
    Approve(ApprovalTerms),
    Reject { reasons: Vec<String> },
}

impl ProposedOutcome {
    /// A rejection with its reasons trimmed; each must be non-blank and of bounded length.
    pub fn reject(reasons: &[String]) -> Result<ProposedOutcome, DecisionError> {
        if reasons.is_empty() || reasons.len() > MAX_REASONS {
            return Err(DecisionError::ReasonsMissing);
        }
        let mut trimmed = Vec::with_capacity(reasons.len());
        for (index, reason) in reasons.iter().enumerate() {
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > MAX_REASON_LENGTH_CHARS {
                return Err(DecisionError::ReasonInvalid { index });
            }
            trimmed.push(reason.to_owned());
        }
        Ok(ProposedOutcome::Reject { reasons: trimmed })
    }

    pub fn outcome(&self) -> DecisionOutcome {
        match self {
            ProposedOutcome::Approve(_) => DecisionOutcome::Approve,
            ProposedOutcome::Reject { .. } => DecisionOutcome::Reject,
        }
    }
}

/// A decision awaiting its second pair of eyes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    proposed_by: Actor,
    outcome: ProposedOutcome,
    from_screening: bool,
}

impl Proposal {
    /// A credit officer's proposal after review.
    pub fn propose(proposer: &Actor, outcome: ProposedOutcome) -> Result<Proposal, DecisionError> {
        if proposer.role != ActorRole::CreditOfficer {
            return Err(DecisionError::RoleNotPermitted {
                role: proposer.role,
                action: "propose",
            });
        }
        Ok(Proposal {
            proposed_by: *proposer,
            outcome,
            from_screening: false,
        })
    }

    /// The rejection a screening knock-out proposes; an approver still confirms it, so no
    /// application is rejected by a machine alone.
    pub fn knock_out(screener: &Actor, reason: &str) -> Result<Proposal, DecisionError> {
        if !matches!(screener.role, ActorRole::Service | ActorRole::CreditOfficer) {
            return Err(DecisionError::RoleNotPermitted {
                role: screener.role,
                action: "knock out",
            });
        }
        let outcome = ProposedOutcome::reject(&[reason.to_owned()])?;
        Ok(Proposal {
            proposed_by: *screener,
            outcome,
            from_screening: true,
        })
    }

    /// A proposal read back from storage, where it was checked when made.
    pub fn from_stored(
        proposed_by: Actor,
        outcome: ProposedOutcome,
        from_screening: bool,
    ) -> Proposal {
        Proposal {
            proposed_by,
            outcome,
            from_screening,
        }
    }

    pub fn proposed_by(&self) -> &Actor {
        &self.proposed_by
    }

    pub fn outcome(&self) -> &ProposedOutcome {
        &self.outcome
    }

    pub fn is_from_screening(&self) -> bool {
        self.from_screening
    }

    /// The state-machine event that records this proposal.
    pub fn event(&self) -> Event {
        match (&self.outcome, self.from_screening) {
            (ProposedOutcome::Reject { reasons }, true) => Event::ScreeningKnockedOut {
                reason: reasons.join("; "),
            },
            (outcome, _) => Event::ProposeDecision {
                outcome: outcome.outcome(),
            },
        }
    }

    /// The second pair of eyes: an approver who is not the proposer.
    fn check_second_officer(
        &self,
        officer: &Actor,
        action: &'static str,
    ) -> Result<(), DecisionError> {
        if officer.role != ActorRole::Approver {
            return Err(DecisionError::RoleNotPermitted {
                role: officer.role,
                action,
            });
        }
        if officer.person_id == self.proposed_by.person_id {
            return Err(DecisionError::SamePersonBothSides);
        }
        Ok(())
    }

    /// Confirms the proposal as the final decision.
    pub fn confirm(&self, approver: &Actor) -> Result<Decision, DecisionError> {
        self.check_second_officer(approver, "confirm a decision")?;
        Ok(Decision {
            proposal: self.clone(),
            confirmed_by: *approver,
        })
    }

    /// Sends the proposal back to review, with the approver's reason.
    pub fn send_back(&self, approver: &Actor, reason: &str) -> Result<SentBack, DecisionError> {
        self.check_second_officer(approver, "send a decision back")?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_LENGTH_CHARS {
            return Err(DecisionError::SendBackReasonMissing);
        }
        Ok(SentBack {
            sent_back_by: *approver,
            reason: reason.to_owned(),
        })
    }
}

/// A proposal an approver returned to review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentBack {
    pub sent_back_by: Actor,
    pub reason: String,
}

impl SentBack {
    pub fn event(&self) -> Event {
        Event::SendBack
    }
}

/// A confirmed decision: a proposal and the different person who confirmed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    proposal: Proposal,
    confirmed_by: Actor,
}

impl Decision {
    pub fn proposal(&self) -> &Proposal {
        &self.proposal
    }

    pub fn confirmed_by(&self) -> &Actor {
        &self.confirmed_by
    }

    pub fn outcome(&self) -> DecisionOutcome {
        self.proposal.outcome.outcome()
    }

    /// The approval terms, or `None` for a rejection.
    pub fn approval_terms(&self) -> Option<&ApprovalTerms> {
        match &self.proposal.outcome {
            ProposedOutcome::Approve(terms) => Some(terms),
            ProposedOutcome::Reject { .. } => None,
        }
    }

    /// The state-machine event that records this decision.
    pub fn event(&self) -> Event {
        Event::ConfirmDecision {
            outcome: self.outcome(),
        }
    }

    /// The programme's budget after this decision: an approval commits its amount, a rejection
    /// commits nothing.
    pub fn commit_budget(&self, budget: &Budget) -> Result<Budget, BudgetError> {
        match self.approval_terms() {
            Some(terms) => budget.commit(terms.amount()),
            None => Ok(*budget),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::programme::tests::{grant_programme, loan_programme, uzs};
    use crate::domain::state::{transition, State};
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    fn officer() -> Actor {
        Actor::new(Uuid::from_u128(100), ActorRole::CreditOfficer)
    }

    fn approver() -> Actor {
        Actor::new(Uuid::from_u128(200), ActorRole::Approver)
    }

    fn amount(value: Decimal) -> PositiveAmount {
        PositiveAmount::new("amount", uzs(value)).unwrap()
    }

    fn rate(value: Decimal) -> Option<Percent> {
        Some(Percent::new("annual_rate_percent", value).unwrap())
    }

    fn loan_terms(
        value: Decimal,
        term_months: u32,
        annual_rate: Option<Percent>,
        grace_months: Option<u32>,
    ) -> Result<ApprovalTerms, DecisionError> {
        ApprovalTerms::new(
            &loan_programme(),
            amount(value),
            term_months,
            annual_rate,
            grace_months,
        )
    }

    fn approval() -> Proposal {
        let terms = loan_terms(dec!(50000000), 24, rate(dec!(26)), Some(3)).unwrap();
        Proposal::propose(&officer(), ProposedOutcome::Approve(terms)).unwrap()
    }

    fn refused(result: Result<ApprovalTerms, DecisionError>) -> (&'static str, Option<String>) {
        let error = result.unwrap_err();
        (error.code(), error.field())
    }

    #[test]
    fn an_approver_confirms_an_officers_proposal() {
        let decision = approval().confirm(&approver()).unwrap();
        assert_eq!(decision.outcome(), DecisionOutcome::Approve);
        assert_eq!(
            decision.approval_terms().unwrap().amount(),
            uzs(dec!(50000000))
        );
        let loan = decision.approval_terms().unwrap().loan().unwrap();
        assert_eq!((loan.annual_rate.value(), loan.grace_months), (dec!(26), 3));
        let state = transition(State::Decision, &decision.event(), &approver());
        assert_eq!(state, Ok(State::Approved));
    }

    #[test]
    fn the_proposer_can_never_confirm_even_holding_the_approver_role() {
        let same_person = Actor::new(officer().person_id, ActorRole::Approver);
        let error = approval().confirm(&same_person).unwrap_err();
        assert_eq!(error, DecisionError::SamePersonBothSides);
        assert_eq!(error.code(), "four_eyes_violation");
        assert_eq!(error.field(), None);
        let error = approval()
            .send_back(&same_person, "Check the cash flow")
            .unwrap_err();
        assert_eq!(error.code(), "four_eyes_violation");
    }

    #[test]
    fn only_an_approver_confirms() {
        let other_officer = Actor::new(Uuid::from_u128(101), ActorRole::CreditOfficer);
        let error = approval().confirm(&other_officer).unwrap_err();
        assert_eq!(error.code(), "role_not_permitted");
    }

    #[test]
    fn only_a_credit_officer_proposes() {
        let terms = loan_terms(dec!(50000000), 24, rate(dec!(26)), None).unwrap();
        let error = Proposal::propose(&approver(), ProposedOutcome::Approve(terms)).unwrap_err();
        assert_eq!(
            error,
            DecisionError::RoleNotPermitted {
                role: ActorRole::Approver,
                action: "propose"
            }
        );
    }

    #[test]
    fn sending_back_needs_a_reason_and_returns_to_review() {
        let error = approval().send_back(&approver(), "   ").unwrap_err();
        assert_eq!(error.field().as_deref(), Some("reason"));
        let sent_back = approval()
            .send_back(&approver(), " Check the cash flow ")
            .unwrap();
        assert_eq!(sent_back.reason, "Check the cash flow");
        let state = transition(State::Decision, &sent_back.event(), &approver());
        assert_eq!(state, Ok(State::InReview));
    }

    #[test]
    fn a_rejection_needs_non_blank_reasons() {
        assert_eq!(
            ProposedOutcome::reject(&[]).unwrap_err().code(),
            "reasons_missing"
        );
        let error =
            ProposedOutcome::reject(&["Weak market".to_owned(), " ".to_owned()]).unwrap_err();
        assert_eq!(error.field().as_deref(), Some("reasons[1]"));
        let outcome = ProposedOutcome::reject(&["Weak market".to_owned()]).unwrap();
        let proposal = Proposal::propose(&officer(), outcome).unwrap();
        assert_eq!(
            proposal.event(),
            Event::ProposeDecision {
                outcome: DecisionOutcome::Reject
            }
        );
        let decision = proposal.confirm(&approver()).unwrap();
        assert_eq!(decision.outcome(), DecisionOutcome::Reject);
        assert!(decision.approval_terms().is_none());
    }

    #[test]
    fn a_knock_out_is_a_rejection_an_approver_confirms() {
        let service = Actor::new(Uuid::from_u128(300), ActorRole::Service);
        let proposal = Proposal::knock_out(&service, "Not an IT Park resident").unwrap();
        assert_eq!(
            proposal.event(),
            Event::ScreeningKnockedOut {
                reason: "Not an IT Park resident".to_owned()
            }
        );
        assert_eq!(
            transition(State::Screening, &proposal.event(), &service),
            Ok(State::Decision)
        );
        let decision = proposal.confirm(&approver()).unwrap();
        assert_eq!(
            transition(State::Decision, &decision.event(), &approver()),
            Ok(State::Rejected)
        );
        let founder = Actor::new(Uuid::from_u128(1), ActorRole::Founder);
        assert_eq!(
            Proposal::knock_out(&founder, "x").unwrap_err().code(),
            "role_not_permitted"
        );
    }

    #[test]
    fn approval_terms_stay_within_the_programme() {
        assert_eq!(
            refused(loan_terms(dec!(100000000.01), 24, rate(dec!(26)), None)),
            ("amount_out_of_range", Some("amount".to_owned()))
        );
        assert_eq!(
            refused(loan_terms(dec!(50000000), 37, rate(dec!(26)), None)),
            ("term_out_of_range", Some("term_months".to_owned()))
        );
        assert_eq!(
            refused(loan_terms(dec!(50000000), 24, rate(dec!(27.01)), None)),
            ("rate_out_of_range", Some("annual_rate_percent".to_owned()))
        );
        assert_eq!(
            refused(loan_terms(dec!(50000000), 24, None, None)),
            ("rate_required", Some("annual_rate_percent".to_owned()))
        );
        assert_eq!(
            refused(loan_terms(dec!(50000000), 24, rate(dec!(25)), Some(7))),
            ("grace_too_long", Some("grace_months".to_owned()))
        );
        assert!(loan_terms(dec!(10000000), 12, rate(dec!(25)), Some(6)).is_ok());
        let dollars = PositiveAmount::new("amount", Money::new(dec!(5), Currency::Usd).unwrap());
        let error = ApprovalTerms::new(
            &loan_programme(),
            dollars.unwrap(),
            24,
            rate(dec!(26)),
            None,
        );
        assert_eq!(refused(error).0, "currency_mismatch");
    }

    #[test]
    fn a_grant_takes_no_rate_and_no_grace() {
        let grant = grant_programme();
        let terms = ApprovalTerms::new(&grant, amount(dec!(20000000)), 24, None, None).unwrap();
        assert!(terms.loan().is_none());
        let with_rate = ApprovalTerms::new(&grant, amount(dec!(20000000)), 24, rate(dec!(1)), None);
        assert_eq!(refused(with_rate).0, "rate_not_applicable");
        let with_grace = ApprovalTerms::new(&grant, amount(dec!(20000000)), 24, None, Some(0));
        assert_eq!(refused(with_grace).0, "grace_not_applicable");
    }

    #[test]
    fn an_approval_commits_its_amount_and_a_rejection_nothing() {
        let budget = Budget::new(uzs(dec!(60000000)), uzs(dec!(0))).unwrap();
        let approved = approval().confirm(&approver()).unwrap();
        let after = approved.commit_budget(&budget).unwrap();
        assert_eq!(after.committed(), uzs(dec!(50000000)));
        assert_eq!(
            approved.commit_budget(&after).unwrap_err().code(),
            "budget_exceeded"
        );
        let rejection = ProposedOutcome::reject(&["Weak market".to_owned()]).unwrap();
        let rejected = Proposal::propose(&officer(), rejection)
            .unwrap()
            .confirm(&approver())
            .unwrap();
        assert_eq!(rejected.commit_budget(&after), Ok(after));
    }
}
