//! Four eyes on staff transfers: a member of staff proposes, a different one confirms.
//!
//! The rules, in order:
//!
//! 1. A transfer asked for by a member of staff books nothing: it is recorded as a proposal.
//!    The bank's services (disbursement) book directly; their payouts were decided elsewhere.
//! 2. A proposal is pending until a second member of staff confirms it (which books it) or
//!    someone turns it down; either happens at most once.
//! 3. The proposer never confirms their own proposal (also a check in the database).

use uuid::Uuid;

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalStatus {
    Pending,
    Confirmed,
    Rejected,
}

impl ProposalStatus {
    /// The status of a proposal with these deciders recorded.
    pub fn of(confirmed_by: Option<Uuid>, rejected_by: Option<Uuid>) -> ProposalStatus {
        match (confirmed_by, rejected_by) {
            (Some(_), _) => ProposalStatus::Confirmed,
            (None, Some(_)) => ProposalStatus::Rejected,
            (None, None) => ProposalStatus::Pending,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ProposalStatus::Pending => "pending",
            ProposalStatus::Confirmed => "confirmed",
            ProposalStatus::Rejected => "rejected",
        }
    }
}

/// Four eyes: whoever proposed a transfer never confirms it.
pub fn may_confirm(proposed_by: Uuid, confirmer: Uuid) -> bool {
    proposed_by != confirmer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proposer_may_not_confirm_but_anyone_else_may() {
        let proposer = Uuid::now_v7();
        assert!(!may_confirm(proposer, proposer));
        assert!(may_confirm(proposer, Uuid::now_v7()));
    }

    #[test]
    fn a_confirmed_proposal_stays_confirmed_whatever_else_is_recorded() {
        let someone = Some(Uuid::now_v7());
        assert_eq!(ProposalStatus::of(None, None), ProposalStatus::Pending);
        assert_eq!(ProposalStatus::of(someone, None), ProposalStatus::Confirmed);
        assert_eq!(ProposalStatus::of(None, someone), ProposalStatus::Rejected);
        assert_eq!(
            ProposalStatus::of(someone, someone),
            ProposalStatus::Confirmed
        );
    }
}
