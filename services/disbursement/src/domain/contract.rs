//! A contract's life cycle: `draft → signed → active → closed | written_off`.
//!
//! Each move is its own function so a caller says what happened (the client signed, the first
//! tranche went out), not which state to jump to; a move from the wrong state is refused with
//! an error naming both the move and the state.

use std::fmt;

/// Where a contract stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContractStatus {
    /// Terms are being prepared and may still change.
    Draft,
    /// Both parties signed; the terms are frozen but no money has moved.
    Signed,
    /// Money was disbursed and a schedule is running.
    Active,
    /// Everything was repaid.
    Closed,
    /// The bank stopped expecting repayment and took the loss.
    WrittenOff,
    /// Called off before any money went out under it (never signed, or signed and never paid
    /// out): the programme's budget it held is released, and a fee paid at signing is refunded.
    Cancelled,
}

impl ContractStatus {
    pub fn name(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::Signed => "signed",
            ContractStatus::Active => "active",
            ContractStatus::Closed => "closed",
            ContractStatus::WrittenOff => "written_off",
            ContractStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the stored name, such as `written_off`.
    pub fn parse(name: &str) -> Option<ContractStatus> {
        [
            ContractStatus::Draft,
            ContractStatus::Signed,
            ContractStatus::Active,
            ContractStatus::Closed,
            ContractStatus::WrittenOff,
            ContractStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.name() == name)
    }

    /// Whether the contract can no longer change.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ContractStatus::Closed | ContractStatus::WrittenOff | ContractStatus::Cancelled
        )
    }

    /// The client and the bank signed a draft.
    pub fn sign(self) -> Result<ContractStatus, ContractTransitionError> {
        self.move_from(
            ContractMove::Sign,
            ContractStatus::Signed,
            &[ContractStatus::Draft],
        )
    }

    /// The first money went out under a signed contract.
    pub fn activate(self) -> Result<ContractStatus, ContractTransitionError> {
        self.move_from(
            ContractMove::Activate,
            ContractStatus::Active,
            &[ContractStatus::Signed],
        )
    }

    /// The last of the debt was repaid.
    pub fn close(self) -> Result<ContractStatus, ContractTransitionError> {
        self.move_from(
            ContractMove::Close,
            ContractStatus::Closed,
            &[ContractStatus::Active],
        )
    }

    /// A contract under which no money went out is called off: a draft, or a signed contract
    /// never activated. An active contract has paid out, or is about to, and stays.
    pub fn cancel(self) -> Result<ContractStatus, ContractTransitionError> {
        self.move_from(
            ContractMove::Cancel,
            ContractStatus::Cancelled,
            &[ContractStatus::Draft, ContractStatus::Signed],
        )
    }

    /// The bank gave up on an active contract's remaining debt.
    pub fn write_off(self) -> Result<ContractStatus, ContractTransitionError> {
        self.move_from(
            ContractMove::WriteOff,
            ContractStatus::WrittenOff,
            &[ContractStatus::Active],
        )
    }

    fn move_from(
        self,
        attempted: ContractMove,
        to: ContractStatus,
        allowed_from: &[ContractStatus],
    ) -> Result<ContractStatus, ContractTransitionError> {
        if allowed_from.contains(&self) {
            Ok(to)
        } else {
            Err(ContractTransitionError {
                attempted,
                from: self,
            })
        }
    }
}

/// Four eyes on a write-off: the approver who proposed it never confirms it.
pub fn may_confirm_write_off(proposed_by: uuid::Uuid, confirmer: uuid::Uuid) -> bool {
    proposed_by != confirmer
}

impl fmt::Display for ContractStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A move in a contract's life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContractMove {
    Sign,
    Activate,
    Close,
    WriteOff,
    Cancel,
}

impl fmt::Display for ContractMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContractMove::Sign => "sign",
            ContractMove::Activate => "activate",
            ContractMove::Close => "close",
            ContractMove::WriteOff => "write off",
            ContractMove::Cancel => "cancel",
        })
    }
}

/// A move refused because the contract is in the wrong state for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {attempted} a contract that is {from}")]
pub struct ContractTransitionError {
    pub attempted: ContractMove,
    pub from: ContractStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    type MoveFn = fn(ContractStatus) -> Result<ContractStatus, ContractTransitionError>;

    const ALL: [ContractStatus; 6] = [
        ContractStatus::Draft,
        ContractStatus::Signed,
        ContractStatus::Active,
        ContractStatus::Closed,
        ContractStatus::WrittenOff,
        ContractStatus::Cancelled,
    ];

    #[test]
    fn a_contract_runs_from_draft_to_closed() {
        let closed = ContractStatus::Draft
            .sign()
            .and_then(ContractStatus::activate)
            .and_then(ContractStatus::close);
        assert_eq!(closed, Ok(ContractStatus::Closed));
        assert_eq!(
            ContractStatus::Active.write_off(),
            Ok(ContractStatus::WrittenOff)
        );
    }

    #[test]
    fn each_move_is_allowed_only_from_its_states() {
        let moves: [(ContractMove, MoveFn, &[ContractStatus]); 5] = [
            (
                ContractMove::Sign,
                ContractStatus::sign,
                &[ContractStatus::Draft],
            ),
            (
                ContractMove::Activate,
                ContractStatus::activate,
                &[ContractStatus::Signed],
            ),
            (
                ContractMove::Close,
                ContractStatus::close,
                &[ContractStatus::Active],
            ),
            (
                ContractMove::WriteOff,
                ContractStatus::write_off,
                &[ContractStatus::Active],
            ),
            (
                ContractMove::Cancel,
                ContractStatus::cancel,
                &[ContractStatus::Draft, ContractStatus::Signed],
            ),
        ];
        for (attempted, apply, allowed_from) in moves {
            for from in ALL {
                let outcome = apply(from);
                if allowed_from.contains(&from) {
                    assert!(outcome.is_ok(), "{attempted} from {from}");
                } else {
                    assert_eq!(outcome, Err(ContractTransitionError { attempted, from }));
                }
            }
        }
    }

    #[test]
    fn a_closed_contract_cannot_be_written_off_and_the_error_says_so() {
        let error = ContractStatus::Closed.write_off().unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot write off a contract that is closed"
        );
        assert!(ContractStatus::Closed.is_final() && ContractStatus::WrittenOff.is_final());
        assert!(!ContractStatus::Active.is_final());
    }

    #[test]
    fn status_names_round_trip() {
        for status in ALL {
            assert_eq!(ContractStatus::parse(status.name()), Some(status));
        }
        assert_eq!(ContractStatus::parse("Active"), None);
    }
}
