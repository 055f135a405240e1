//! A tranche's life cycle: `planned → requested → approved → disbursed`, or `cancelled`
//! before it is disbursed.
//!
//! Four eyes: the officer who approves a tranche must not be the one who requested it, and
//! the one who pays it out must not be the one who approved it (a founder requests a grant
//! milestone, so without the second rule one officer would accept and pay it alone). The state
//! carries who requested and who approved, so these rules cannot be checked against the wrong
//! person and the record of who did what travels with the tranche.

use std::fmt;

use imkon_platform::money::Money;
use rust_decimal::Decimal;
use uuid::Uuid;

/// A bank officer, by the id the auth service gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OfficerId(Uuid);

impl OfficerId {
    pub fn new(id: Uuid) -> OfficerId {
        OfficerId(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// Where a tranche stands, with the officers behind each step so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrancheStatus {
    Planned,
    Requested {
        requested_by: OfficerId,
    },
    Approved {
        requested_by: OfficerId,
        approved_by: OfficerId,
    },
    Disbursed {
        requested_by: OfficerId,
        approved_by: OfficerId,
    },
    Cancelled,
}

/// A move in a tranche's life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrancheMove {
    Request,
    Approve,
    Disburse,
    Cancel,
}

impl fmt::Display for TrancheMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrancheMove::Request => "request",
            TrancheMove::Approve => "approve",
            TrancheMove::Disburse => "disburse",
            TrancheMove::Cancel => "cancel",
        })
    }
}

/// Why a tranche move was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrancheError {
    #[error("cannot {attempted} a tranche that is {from}")]
    WrongState {
        attempted: TrancheMove,
        from: &'static str,
    },
    #[error("the officer who requested a tranche cannot also approve it")]
    ApproverIsRequester,
    #[error("the officer who approved a tranche cannot also pay it out")]
    DisburserIsApprover,
}

impl TrancheStatus {
    /// The stored name, such as `approved`.
    pub fn name(&self) -> &'static str {
        match self {
            TrancheStatus::Planned => "planned",
            TrancheStatus::Requested { .. } => "requested",
            TrancheStatus::Approved { .. } => "approved",
            TrancheStatus::Disbursed { .. } => "disbursed",
            TrancheStatus::Cancelled => "cancelled",
        }
    }

    /// An officer asks for a planned tranche to be paid out.
    pub fn request(self, officer: OfficerId) -> Result<TrancheStatus, TrancheError> {
        match self {
            TrancheStatus::Planned => Ok(TrancheStatus::Requested {
                requested_by: officer,
            }),
            other => Err(other.refuse(TrancheMove::Request)),
        }
    }

    /// A second officer approves a requested tranche.
    pub fn approve(self, approver: OfficerId) -> Result<TrancheStatus, TrancheError> {
        match self {
            TrancheStatus::Requested { requested_by } if requested_by == approver => {
                Err(TrancheError::ApproverIsRequester)
            }
            TrancheStatus::Requested { requested_by } => Ok(TrancheStatus::Approved {
                requested_by,
                approved_by: approver,
            }),
            other => Err(other.refuse(TrancheMove::Approve)),
        }
    }

    /// The approved money goes out, paid by someone other than its approver.
    pub fn disburse(self, disburser: OfficerId) -> Result<TrancheStatus, TrancheError> {
        match self {
            TrancheStatus::Approved { approved_by, .. } if approved_by == disburser => {
                Err(TrancheError::DisburserIsApprover)
            }
            TrancheStatus::Approved {
                requested_by,
                approved_by,
            } => Ok(TrancheStatus::Disbursed {
                requested_by,
                approved_by,
            }),
            other => Err(other.refuse(TrancheMove::Disburse)),
        }
    }

    /// The tranche will not be paid; possible at any point before disbursement.
    pub fn cancel(self) -> Result<TrancheStatus, TrancheError> {
        match self {
            TrancheStatus::Planned
            | TrancheStatus::Requested { .. }
            | TrancheStatus::Approved { .. } => Ok(TrancheStatus::Cancelled),
            other => Err(other.refuse(TrancheMove::Cancel)),
        }
    }

    fn refuse(self, attempted: TrancheMove) -> TrancheError {
        TrancheError::WrongState {
            attempted,
            from: self.name(),
        }
    }
}

/// What a contract finances, which decides how its money is paid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProgrammeKind {
    Grant,
    Loan,
}

impl ProgrammeKind {
    pub fn parse(name: &str) -> Option<ProgrammeKind> {
        match name {
            "grant" => Some(ProgrammeKind::Grant),
            "loan" => Some(ProgrammeKind::Loan),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ProgrammeKind::Grant => "grant",
            ProgrammeKind::Loan => "loan",
        }
    }
}

/// The tranches a new contract starts with, in order.
///
/// A loan is paid out in one tranche. A grant is paid in two milestones: the first half when
/// the project starts, the rest when the founder's milestone report is accepted; the second
/// takes the odd minor unit, so the tranches always add up to the principal. A grant too small
/// to split (one minor unit) is a single milestone.
pub fn plan_tranches(kind: ProgrammeKind, principal: Money) -> Vec<Money> {
    let currency = principal.currency();
    let digits = currency.minor_unit_digits();
    let minor = principal.minor_units();
    match kind {
        ProgrammeKind::Grant if minor >= 2 => {
            let first_minor = minor / 2;
            let to_money = |minor_units: i128| {
                let amount = Decimal::from_i128_with_scale(minor_units, digits);
                Money::from_rounded(amount, currency)
            };
            vec![to_money(first_minor), to_money(minor - first_minor)]
        }
        _ => vec![principal],
    }
}

/// The most tranches a contract is paid in.
pub const MAX_TRANCHES: usize = 12;

/// Why a plan of tranches was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranchePlanError {
    #[error("a contract is paid in 1 to {max} tranches, not {count}")]
    Count { count: usize, max: usize },
    #[error("tranche {number} must be a positive amount in the contract's currency")]
    NotPositive { number: usize },
    #[error("the tranches add up to {total}, not the principal {principal}")]
    SumIsNotPrincipal { total: Money, principal: Money },
}

/// Checks a plan of tranches against the principal: between one and [`MAX_TRANCHES`]
/// positive amounts in its currency that add up to it exactly.
pub fn check_tranche_plan(principal: Money, amounts: &[Money]) -> Result<(), TranchePlanError> {
    if amounts.is_empty() || amounts.len() > MAX_TRANCHES {
        return Err(TranchePlanError::Count {
            count: amounts.len(),
            max: MAX_TRANCHES,
        });
    }
    let mut total = Money::zero(principal.currency());
    for (index, amount) in amounts.iter().enumerate() {
        let not_positive = TranchePlanError::NotPositive { number: index + 1 };
        if !amount.is_positive() {
            return Err(not_positive);
        }
        total = total.checked_add(amount).map_err(|_| not_positive)?;
    }
    if total != principal {
        return Err(TranchePlanError::SumIsNotPrincipal { total, principal });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use imkon_platform::money::Currency;
    use rust_decimal_macros::dec;

    fn uzs(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    #[test]
    fn a_plan_must_add_up_to_the_principal_in_positive_tranches() {
        let principal = uzs(dec!(1000.00));
        assert_eq!(
            check_tranche_plan(principal, &[uzs(dec!(600.00)), uzs(dec!(400.00))]),
            Ok(())
        );
        assert_eq!(
            check_tranche_plan(principal, &[uzs(dec!(600.00)), uzs(dec!(399.99))]),
            Err(TranchePlanError::SumIsNotPrincipal {
                total: uzs(dec!(999.99)),
                principal
            })
        );
        assert_eq!(
            check_tranche_plan(principal, &[uzs(dec!(1000.00)), uzs(dec!(0))]),
            Err(TranchePlanError::NotPositive { number: 2 })
        );
        assert_eq!(
            check_tranche_plan(principal, &[]),
            Err(TranchePlanError::Count { count: 0, max: 12 })
        );
        let dollars = Money::new(dec!(1000.00), Currency::Usd).unwrap();
        assert_eq!(
            check_tranche_plan(principal, &[dollars]),
            Err(TranchePlanError::NotPositive { number: 1 })
        );
        assert_eq!(
            check_tranche_plan(principal, &vec![uzs(dec!(1.00)); 13]),
            Err(TranchePlanError::Count { count: 13, max: 12 })
        );
    }

    #[test]
    fn a_loan_is_one_tranche_and_a_grant_two_milestones_that_add_up() {
        assert_eq!(
            plan_tranches(ProgrammeKind::Loan, uzs(dec!(1000.01))),
            vec![uzs(dec!(1000.01))]
        );
        assert_eq!(
            plan_tranches(ProgrammeKind::Grant, uzs(dec!(1000.01))),
            vec![uzs(dec!(500.00)), uzs(dec!(500.01))]
        );
        assert_eq!(
            plan_tranches(ProgrammeKind::Grant, uzs(dec!(0.01))),
            vec![uzs(dec!(0.01))]
        );
    }

    fn officer(n: u128) -> OfficerId {
        OfficerId::new(Uuid::from_u128(n))
    }

    #[test]
    fn a_tranche_runs_from_planned_to_disbursed_with_two_officers() {
        let disbursed = TrancheStatus::Planned
            .request(officer(1))
            .and_then(|status| status.approve(officer(2)))
            .and_then(|status| status.disburse(officer(3)));
        assert_eq!(
            disbursed,
            Ok(TrancheStatus::Disbursed {
                requested_by: officer(1),
                approved_by: officer(2)
            })
        );
    }

    #[test]
    fn the_requester_cannot_approve_their_own_tranche() {
        let requested = TrancheStatus::Planned.request(officer(1)).unwrap();
        assert_eq!(
            requested.approve(officer(1)),
            Err(TrancheError::ApproverIsRequester)
        );
    }

    #[test]
    fn a_tranche_cannot_skip_approval() {
        let requested = TrancheStatus::Planned.request(officer(1)).unwrap();
        assert_eq!(
            requested.disburse(officer(3)),
            Err(TrancheError::WrongState {
                attempted: TrancheMove::Disburse,
                from: "requested"
            })
        );
        assert_eq!(
            TrancheStatus::Planned.approve(officer(2)),
            Err(TrancheError::WrongState {
                attempted: TrancheMove::Approve,
                from: "planned"
            })
        );
    }

    #[test]
    fn cancelling_is_possible_until_disbursed_and_never_after() {
        let requested = TrancheStatus::Planned.request(officer(1)).unwrap();
        let approved = requested.approve(officer(2)).unwrap();
        for status in [TrancheStatus::Planned, requested, approved] {
            assert_eq!(status.cancel(), Ok(TrancheStatus::Cancelled));
        }
        assert_eq!(
            approved.disburse(officer(2)),
            Err(TrancheError::DisburserIsApprover),
            "the approver never pays out alone"
        );
        let disbursed = approved.disburse(officer(3)).unwrap();
        let error = disbursed.cancel().unwrap_err();
        assert_eq!(
            error,
            TrancheError::WrongState {
                attempted: TrancheMove::Cancel,
                from: "disbursed"
            }
        );
        assert_eq!(
            error.to_string(),
            "cannot cancel a tranche that is disbursed"
        );
        assert!(TrancheStatus::Cancelled.request(officer(1)).is_err());
        assert!(
            disbursed.disburse(officer(3)).is_err(),
            "money goes out once"
        );
    }
}
