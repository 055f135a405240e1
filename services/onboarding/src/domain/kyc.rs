//! The KYC case of a client and the rules for moving it along.
//!
//! ```text
//! new ──submit──► pending_review ──approve──────────► approved
//!                   ▲        │  ──reject───────────► rejected
//!                   │        └──request_revision──► revision_requested
//!                   └──────────submit (resubmission)──────┘
//! ```
//!
//! Each operation checks everything first and changes the case only when it succeeds, so a
//! refused operation leaves the case exactly as it was and the caller can save it or not.

use thiserror::Error;

use super::document::DocumentKind;
use super::ids::{ClientId, DocumentId, KycCaseId, OfficerId};

/// The longest note an officer may attach, in characters.
pub const REVIEW_NOTE_MAX_CHARS: usize = 2000;

/// Where a case is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KycStatus {
    New,
    PendingReview,
    Approved,
    Rejected,
    RevisionRequested,
}

impl KycStatus {
    /// The stable code used in responses and the database.
    pub fn code(self) -> &'static str {
        match self {
            KycStatus::New => "new",
            KycStatus::PendingReview => "pending_review",
            KycStatus::Approved => "approved",
            KycStatus::Rejected => "rejected",
            KycStatus::RevisionRequested => "revision_requested",
        }
    }
}

/// Who the case is about, which decides the documents it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KycSubject {
    Person,
    Company { claims_it_park_residency: bool },
}

impl KycSubject {
    /// The documents a case cannot be approved without.
    pub fn required_documents(self) -> Vec<DocumentKind> {
        match self {
            KycSubject::Person => vec![DocumentKind::PassportScan],
            KycSubject::Company {
                claims_it_park_residency,
            } => {
                let mut kinds = vec![
                    DocumentKind::CompanyCharter,
                    DocumentKind::RegistrationCertificate,
                ];
                if claims_it_park_residency {
                    kinds.push(DocumentKind::ItParkCertificate);
                }
                kinds
            }
        }
    }
}

/// Why an officer rejects one document. A fixed list, so that reports can count reasons and
/// the client sees a reason in their own language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentRejectionReason {
    Illegible,
    Expired,
    DoesNotMatchProfile,
    WrongDocumentKind,
    Incomplete,
    SuspectedForgery,
}

/// Why an officer rejects a whole case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseRejectionReason {
    DocumentsRejected,
    ScreeningListMatch,
    DuplicateIdentity,
    FalseInformation,
}

/// Free text an officer writes to the client: what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewNote(String);

impl ReviewNote {
    pub fn parse(text: &str) -> Result<ReviewNote, KycError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KycError::NoteEmpty);
        }
        if text.chars().count() > REVIEW_NOTE_MAX_CHARS {
            return Err(KycError::NoteTooLong);
        }
        Ok(ReviewNote(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An officer's decision on one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentDecision {
    Accepted,
    Rejected(DocumentRejectionReason),
    RevisionRequested(ReviewNote),
}

/// A document attached to a case, and the decision on it once there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDocument {
    id: DocumentId,
    kind: DocumentKind,
    decision: Option<DocumentDecision>,
}

impl CaseDocument {
    pub fn id(&self) -> DocumentId {
        self.id
    }

    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    pub fn decision(&self) -> Option<&DocumentDecision> {
        self.decision.as_ref()
    }

    /// Whether the document still counts towards what the case needs: not turned down.
    fn is_standing(&self) -> bool {
        matches!(self.decision, None | Some(DocumentDecision::Accepted))
    }
}

/// A member of staff acting on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Officer {
    pub id: OfficerId,
    /// The officer's own profile, if they are also a client of the bank: an officer never
    /// reviews themselves.
    pub own_client_id: Option<ClientId>,
}

/// What was attempted, to say which operation a status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KycAction {
    AttachDocument,
    Submit,
    Assign,
    DecideDocument,
    Approve,
    Reject,
    RequestRevision,
}

/// Why an operation on a case is refused. Each refusal has its own variant so the HTTP layer
/// can tell "not yours" (403) from "not now" (409) from "not complete" (422).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KycError {
    #[error("a case in status {} does not allow {action:?}", status.code())]
    NotAllowedInStatus {
        action: KycAction,
        status: KycStatus,
    },
    #[error("the case has no assigned officer")]
    NoOfficerAssigned,
    #[error("only the officer assigned to the case may act on it")]
    NotTheAssignedOfficer,
    #[error("an officer never decides the case of a client they manage")]
    OfficerManagesClient,
    #[error("an officer never decides their own case")]
    OfficerIsTheClient,
    #[error("the required document {} has not been provided", kind.code())]
    MissingRequiredDocument { kind: DocumentKind },
    #[error("the required document {} has not been accepted", kind.code())]
    RequiredDocumentNotAccepted { kind: DocumentKind },
    #[error("document {document_id} has no decision yet")]
    UndecidedDocument { document_id: DocumentId },
    #[error("document {document_id} is not part of this case")]
    UnknownDocument { document_id: DocumentId },
    #[error("the note is empty")]
    NoteEmpty,
    #[error("the note is longer than {REVIEW_NOTE_MAX_CHARS} characters")]
    NoteTooLong,
}

impl KycError {
    pub fn field(&self) -> String {
        match self {
            KycError::NotAllowedInStatus { .. } => "status".to_owned(),
            KycError::NoOfficerAssigned
            | KycError::NotTheAssignedOfficer
            | KycError::OfficerManagesClient
            | KycError::OfficerIsTheClient => "assigned_officer".to_owned(),
            KycError::MissingRequiredDocument { kind }
            | KycError::RequiredDocumentNotAccepted { kind } => {
                format!("documents[{}]", kind.code())
            }
            KycError::UndecidedDocument { document_id }
            | KycError::UnknownDocument { document_id } => format!("documents[{document_id}]"),
            KycError::NoteEmpty | KycError::NoteTooLong => "note".to_owned(),
        }
    }
}

/// The KYC case of one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KycCase {
    id: KycCaseId,
    client_id: ClientId,
    subject: KycSubject,
    status: KycStatus,
    relationship_officer: Option<OfficerId>,
    assigned_officer: Option<OfficerId>,
    documents: Vec<CaseDocument>,
    rejection_reason: Option<CaseRejectionReason>,
    revision_note: Option<ReviewNote>,
}

impl KycCase {
    /// Opens a new case. `relationship_officer` is the officer who manages the client, if any;
    /// they may never decide this case.
    pub fn open(
        id: KycCaseId,
        client_id: ClientId,
        subject: KycSubject,
        relationship_officer: Option<OfficerId>,
    ) -> KycCase {
        KycCase {
            id,
            client_id,
            subject,
            status: KycStatus::New,
            relationship_officer,
            assigned_officer: None,
            documents: Vec::new(),
            rejection_reason: None,
            revision_note: None,
        }
    }

    pub fn id(&self) -> KycCaseId {
        self.id
    }

    pub fn client_id(&self) -> ClientId {
        self.client_id
    }

    pub fn subject(&self) -> KycSubject {
        self.subject
    }

    pub fn status(&self) -> KycStatus {
        self.status
    }

    pub fn relationship_officer(&self) -> Option<OfficerId> {
        self.relationship_officer
    }

    pub fn assigned_officer(&self) -> Option<OfficerId> {
        self.assigned_officer
    }

    pub fn documents(&self) -> &[CaseDocument] {
        &self.documents
    }

    pub fn rejection_reason(&self) -> Option<CaseRejectionReason> {
        self.rejection_reason
    }

    pub fn revision_note(&self) -> Option<&ReviewNote> {
        self.revision_note.as_ref()
    }

    /// The client adds a document, while the case is theirs to complete.
    pub fn attach_document(
        &mut self,
        document_id: DocumentId,
        kind: DocumentKind,
    ) -> Result<(), KycError> {
        self.require_status(
            KycAction::AttachDocument,
            &[KycStatus::New, KycStatus::RevisionRequested],
        )?;
        self.documents.push(CaseDocument {
            id: document_id,
            kind,
            decision: None,
        });
        Ok(())
    }

    /// The client submits the case for review, first or again after a revision request. Every
    /// required document must be there and not already turned down.
    pub fn submit(&mut self) -> Result<(), KycError> {
        self.require_status(
            KycAction::Submit,
            &[KycStatus::New, KycStatus::RevisionRequested],
        )?;
        for kind in self.subject.required_documents() {
            let provided = self
                .documents
                .iter()
                .any(|document| document.kind == kind && document.is_standing());
            if !provided {
                return Err(KycError::MissingRequiredDocument { kind });
            }
        }
        self.status = KycStatus::PendingReview;
        Ok(())
    }

    /// A supervisor assigns (or reassigns) the case. An officer with a conflict of interest
    /// is refused here already, so the queue never offers them the case.
    pub fn assign(&mut self, officer: &Officer) -> Result<(), KycError> {
        self.require_status(
            KycAction::Assign,
            &[KycStatus::New, KycStatus::PendingReview],
        )?;
        self.require_no_conflict(officer)?;
        self.assigned_officer = Some(officer.id);
        Ok(())
    }

    /// The assigned officer decides on one document.
    pub fn decide_document(
        &mut self,
        officer: &Officer,
        document_id: DocumentId,
        decision: DocumentDecision,
    ) -> Result<(), KycError> {
        self.require_deciding_officer(officer, KycAction::DecideDocument)?;
        let document = self
            .documents
            .iter_mut()
            .find(|document| document.id == document_id)
            .ok_or(KycError::UnknownDocument { document_id })?;
        document.decision = Some(decision);
        Ok(())
    }

    /// The assigned officer approves the case: every document has a decision and each
    /// required kind has an accepted document.
    pub fn approve(&mut self, officer: &Officer) -> Result<(), KycError> {
        self.require_deciding_officer(officer, KycAction::Approve)?;
        if let Some(document) = self.documents.iter().find(|d| d.decision.is_none()) {
            return Err(KycError::UndecidedDocument {
                document_id: document.id,
            });
        }
        for kind in self.subject.required_documents() {
            let accepted = self.documents.iter().any(|document| {
                document.kind == kind && document.decision == Some(DocumentDecision::Accepted)
            });
            if !accepted {
                return Err(KycError::RequiredDocumentNotAccepted { kind });
            }
        }
        self.status = KycStatus::Approved;
        Ok(())
    }

    /// The assigned officer rejects the case for good.
    pub fn reject(
        &mut self,
        officer: &Officer,
        reason: CaseRejectionReason,
    ) -> Result<(), KycError> {
        self.require_deciding_officer(officer, KycAction::Reject)?;
        self.status = KycStatus::Rejected;
        self.rejection_reason = Some(reason);
        Ok(())
    }

    /// The assigned officer sends the case back to the client with a note saying what to fix.
    pub fn request_revision(
        &mut self,
        officer: &Officer,
        note: ReviewNote,
    ) -> Result<(), KycError> {
        self.require_deciding_officer(officer, KycAction::RequestRevision)?;
        self.status = KycStatus::RevisionRequested;
        self.revision_note = Some(note);
        Ok(())
    }

    fn require_status(&self, action: KycAction, allowed: &[KycStatus]) -> Result<(), KycError> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(KycError::NotAllowedInStatus {
                action,
                status: self.status,
            })
        }
    }

    fn require_no_conflict(&self, officer: &Officer) -> Result<(), KycError> {
        if officer.own_client_id == Some(self.client_id) {
            return Err(KycError::OfficerIsTheClient);
        }
        if self.relationship_officer == Some(officer.id) {
            return Err(KycError::OfficerManagesClient);
        }
        Ok(())
    }

    /// Who may decide is checked before what state the case is in, so that an officer who
    /// is not assigned learns nothing about the case's progress from the refusal.
    fn require_deciding_officer(
        &self,
        officer: &Officer,
        action: KycAction,
    ) -> Result<(), KycError> {
        match self.assigned_officer {
            None => return Err(KycError::NoOfficerAssigned),
            Some(assigned) if assigned != officer.id => {
                return Err(KycError::NotTheAssignedOfficer)
            }
            Some(_) => {}
        }
        // Assignment already refuses a conflicted officer; checking again here keeps the rule
        // true even if the relationship changed after the case was assigned.
        self.require_no_conflict(officer)?;
        self.require_status(action, &[KycStatus::PendingReview])
    }
}

/// Declares the stable codes of a fixed-list enum, as requests and the database spell them.
macro_rules! stable_codes {
    ($type:ident { $($variant:ident => $code:literal),* $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),*];

            /// The stable code used in requests, responses and the database.
            pub fn code(self) -> &'static str {
                match self {
                    $($type::$variant => $code),*
                }
            }

            /// The variant with this code, if any.
            pub fn from_code(code: &str) -> Option<$type> {
                $type::ALL.iter().copied().find(|value| value.code() == code)
            }
        }
    };
}

stable_codes!(DocumentRejectionReason {
    Illegible => "illegible",
    Expired => "expired",
    DoesNotMatchProfile => "does_not_match_profile",
    WrongDocumentKind => "wrong_document_kind",
    Incomplete => "incomplete",
    SuspectedForgery => "suspected_forgery",
});

stable_codes!(CaseRejectionReason {
    DocumentsRejected => "documents_rejected",
    ScreeningListMatch => "screening_list_match",
    DuplicateIdentity => "duplicate_identity",
    FalseInformation => "false_information",
});

impl KycStatus {
    /// The status with this code, if any.
    pub fn from_code(code: &str) -> Option<KycStatus> {
        [
            KycStatus::New,
            KycStatus::PendingReview,
            KycStatus::Approved,
            KycStatus::Rejected,
            KycStatus::RevisionRequested,
        ]
        .into_iter()
        .find(|status| status.code() == code)
    }
}

/// A document of a stored case, with the decision on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCaseDocument {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub decision: Option<DocumentDecision>,
}

/// A case as the service stored it after earlier operations, each of which this module
/// checked; restoring it does not replay them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKycCase {
    pub id: KycCaseId,
    pub client_id: ClientId,
    pub subject: KycSubject,
    pub status: KycStatus,
    pub relationship_officer: Option<OfficerId>,
    pub assigned_officer: Option<OfficerId>,
    pub documents: Vec<StoredCaseDocument>,
    pub rejection_reason: Option<CaseRejectionReason>,
    pub revision_note: Option<ReviewNote>,
}

impl KycCase {
    /// The case as it was stored.
    pub fn restore(stored: StoredKycCase) -> KycCase {
        KycCase {
            id: stored.id,
            client_id: stored.client_id,
            subject: stored.subject,
            status: stored.status,
            relationship_officer: stored.relationship_officer,
            assigned_officer: stored.assigned_officer,
            documents: stored
                .documents
                .into_iter()
                .map(|document| CaseDocument {
                    id: document.id,
                    kind: document.kind,
                    decision: document.decision,
                })
                .collect(),
            rejection_reason: stored.rejection_reason,
            revision_note: stored.revision_note,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer() -> Officer {
        Officer {
            id: OfficerId::new(),
            own_client_id: None,
        }
    }

    fn person_case() -> KycCase {
        KycCase::open(KycCaseId::new(), ClientId::new(), KycSubject::Person, None)
    }

    /// A person's case with a passport scan, submitted and assigned to `officer`.
    fn case_under_review(officer: &Officer) -> (KycCase, DocumentId) {
        let mut case = person_case();
        let passport = DocumentId::new();
        case.attach_document(passport, DocumentKind::PassportScan)
            .unwrap();
        case.submit().unwrap();
        case.assign(officer).unwrap();
        (case, passport)
    }

    fn note(text: &str) -> ReviewNote {
        ReviewNote::parse(text).unwrap()
    }

    #[test]
    fn a_person_needs_a_passport_scan_and_a_company_its_charter_and_registration() {
        assert_eq!(
            KycSubject::Person.required_documents(),
            vec![DocumentKind::PassportScan]
        );
        assert_eq!(
            KycSubject::Company {
                claims_it_park_residency: false
            }
            .required_documents(),
            vec![
                DocumentKind::CompanyCharter,
                DocumentKind::RegistrationCertificate
            ]
        );
        assert!(KycSubject::Company {
            claims_it_park_residency: true
        }
        .required_documents()
        .contains(&DocumentKind::ItParkCertificate));
    }

    #[test]
    fn a_case_goes_from_new_to_approved() {
        let reviewer = officer();
        let (mut case, passport) = case_under_review(&reviewer);
        assert_eq!(case.status(), KycStatus::PendingReview);
        case.decide_document(&reviewer, passport, DocumentDecision::Accepted)
            .unwrap();
        case.approve(&reviewer).unwrap();
        assert_eq!(case.status(), KycStatus::Approved);
    }

    #[test]
    fn submitting_without_a_required_document_is_refused() {
        let mut case = person_case();
        case.attach_document(DocumentId::new(), DocumentKind::Other)
            .unwrap();
        let error = case.submit().unwrap_err();
        assert_eq!(
            error,
            KycError::MissingRequiredDocument {
                kind: DocumentKind::PassportScan
            }
        );
        assert_eq!(error.field(), "documents[passport_scan]");
        assert_eq!(case.status(), KycStatus::New);
    }

    #[test]
    fn a_company_claiming_residency_must_provide_the_certificate() {
        let mut case = KycCase::open(
            KycCaseId::new(),
            ClientId::new(),
            KycSubject::Company {
                claims_it_park_residency: true,
            },
            None,
        );
        case.attach_document(DocumentId::new(), DocumentKind::CompanyCharter)
            .unwrap();
        case.attach_document(DocumentId::new(), DocumentKind::RegistrationCertificate)
            .unwrap();
        assert_eq!(
            case.submit(),
            Err(KycError::MissingRequiredDocument {
                kind: DocumentKind::ItParkCertificate
            })
        );
        case.attach_document(DocumentId::new(), DocumentKind::ItParkCertificate)
            .unwrap();
        assert_eq!(case.submit(), Ok(()));
    }

    #[test]
    fn only_the_assigned_officer_acts_on_a_case() {
        let reviewer = officer();
        let (mut case, passport) = case_under_review(&reviewer);
        let stranger = officer();
        assert_eq!(
            case.decide_document(&stranger, passport, DocumentDecision::Accepted),
            Err(KycError::NotTheAssignedOfficer)
        );
        assert_eq!(
            case.approve(&stranger),
            Err(KycError::NotTheAssignedOfficer)
        );
        assert_eq!(
            case.reject(&stranger, CaseRejectionReason::FalseInformation),
            Err(KycError::NotTheAssignedOfficer)
        );
        assert_eq!(case.status(), KycStatus::PendingReview);
    }

    #[test]
    fn nobody_decides_an_unassigned_case() {
        let mut case = person_case();
        case.attach_document(DocumentId::new(), DocumentKind::PassportScan)
            .unwrap();
        case.submit().unwrap();
        let error = case.approve(&officer()).unwrap_err();
        assert_eq!(error, KycError::NoOfficerAssigned);
        assert_eq!(error.field(), "assigned_officer");
    }

    #[test]
    fn an_officer_is_never_assigned_a_client_they_manage() {
        let manager = officer();
        let mut case = KycCase::open(
            KycCaseId::new(),
            ClientId::new(),
            KycSubject::Person,
            Some(manager.id),
        );
        assert_eq!(case.assign(&manager), Err(KycError::OfficerManagesClient));
        assert_eq!(case.assigned_officer(), None);
    }

    #[test]
    fn an_officer_never_reviews_their_own_profile() {
        let mut case = person_case();
        let themselves = Officer {
            id: OfficerId::new(),
            own_client_id: Some(case.client_id()),
        };
        assert_eq!(case.assign(&themselves), Err(KycError::OfficerIsTheClient));
    }

    #[test]
    fn approval_needs_every_required_document_accepted() {
        let reviewer = officer();
        let (mut case, passport) = case_under_review(&reviewer);
        case.decide_document(
            &reviewer,
            passport,
            DocumentDecision::Rejected(DocumentRejectionReason::Illegible),
        )
        .unwrap();
        assert_eq!(
            case.approve(&reviewer),
            Err(KycError::RequiredDocumentNotAccepted {
                kind: DocumentKind::PassportScan
            })
        );
        assert_eq!(case.status(), KycStatus::PendingReview);
    }

    #[test]
    fn approval_needs_a_decision_on_every_document() {
        let reviewer = officer();
        let mut case = person_case();
        let passport = DocumentId::new();
        let statement = DocumentId::new();
        case.attach_document(passport, DocumentKind::PassportScan)
            .unwrap();
        case.attach_document(statement, DocumentKind::FinancialStatements)
            .unwrap();
        case.submit().unwrap();
        case.assign(&reviewer).unwrap();
        case.decide_document(&reviewer, passport, DocumentDecision::Accepted)
            .unwrap();
        assert_eq!(
            case.approve(&reviewer),
            Err(KycError::UndecidedDocument {
                document_id: statement
            })
        );
    }

    #[test]
    fn deciding_a_document_not_in_the_case_is_refused() {
        let reviewer = officer();
        let (mut case, _) = case_under_review(&reviewer);
        let other = DocumentId::new();
        assert_eq!(
            case.decide_document(&reviewer, other, DocumentDecision::Accepted),
            Err(KycError::UnknownDocument { document_id: other })
        );
    }

    #[test]
    fn a_revision_goes_back_to_the_client_and_returns_on_resubmission() {
        let reviewer = officer();
        let (mut case, passport) = case_under_review(&reviewer);
        case.decide_document(
            &reviewer,
            passport,
            DocumentDecision::RevisionRequested(note("The photo page is cut off.")),
        )
        .unwrap();
        case.request_revision(&reviewer, note("Please upload the whole photo page."))
            .unwrap();
        assert_eq!(case.status(), KycStatus::RevisionRequested);
        assert_eq!(
            case.revision_note().map(ReviewNote::as_str),
            Some("Please upload the whole photo page.")
        );
        // The passport was sent back, so it no longer counts: a new one is needed.
        assert_eq!(
            case.submit(),
            Err(KycError::MissingRequiredDocument {
                kind: DocumentKind::PassportScan
            })
        );
        let new_passport = DocumentId::new();
        case.attach_document(new_passport, DocumentKind::PassportScan)
            .unwrap();
        case.submit().unwrap();
        assert_eq!(case.status(), KycStatus::PendingReview);
        case.decide_document(&reviewer, new_passport, DocumentDecision::Accepted)
            .unwrap();
        case.approve(&reviewer).unwrap();
        assert_eq!(case.status(), KycStatus::Approved);
    }

    #[test]
    fn a_rejected_case_is_final() {
        let reviewer = officer();
        let (mut case, passport) = case_under_review(&reviewer);
        case.reject(&reviewer, CaseRejectionReason::ScreeningListMatch)
            .unwrap();
        assert_eq!(case.status(), KycStatus::Rejected);
        assert_eq!(
            case.rejection_reason(),
            Some(CaseRejectionReason::ScreeningListMatch)
        );
        assert_eq!(
            case.submit(),
            Err(KycError::NotAllowedInStatus {
                action: KycAction::Submit,
                status: KycStatus::Rejected
            })
        );
        assert_eq!(
            case.decide_document(&reviewer, passport, DocumentDecision::Accepted),
            Err(KycError::NotAllowedInStatus {
                action: KycAction::DecideDocument,
                status: KycStatus::Rejected
            })
        );
        assert_eq!(
            case.attach_document(DocumentId::new(), DocumentKind::Other),
            Err(KycError::NotAllowedInStatus {
                action: KycAction::AttachDocument,
                status: KycStatus::Rejected
            })
        );
    }

    #[test]
    fn documents_cannot_change_while_under_review() {
        let reviewer = officer();
        let (mut case, _) = case_under_review(&reviewer);
        let error = case
            .attach_document(DocumentId::new(), DocumentKind::Other)
            .unwrap_err();
        assert_eq!(error.field(), "status");
        assert_eq!(case.documents().len(), 1);
    }

    #[test]
    fn a_new_case_cannot_be_decided_before_submission() {
        let reviewer = officer();
        let mut case = person_case();
        case.assign(&reviewer).unwrap();
        assert_eq!(
            case.approve(&reviewer),
            Err(KycError::NotAllowedInStatus {
                action: KycAction::Approve,
                status: KycStatus::New
            })
        );
    }

    #[test]
    fn review_notes_are_neither_empty_nor_endless() {
        assert_eq!(ReviewNote::parse("  "), Err(KycError::NoteEmpty));
        assert_eq!(
            ReviewNote::parse(&"x".repeat(REVIEW_NOTE_MAX_CHARS + 1)),
            Err(KycError::NoteTooLong)
        );
        assert_eq!(KycError::NoteEmpty.field(), "note");
    }

    #[test]
    fn every_reason_and_status_round_trips_through_its_code() {
        for reason in DocumentRejectionReason::ALL {
            assert_eq!(
                DocumentRejectionReason::from_code(reason.code()),
                Some(*reason)
            );
        }
        for reason in CaseRejectionReason::ALL {
            assert_eq!(CaseRejectionReason::from_code(reason.code()), Some(*reason));
        }
        assert_eq!(
            KycStatus::from_code("revision_requested"),
            Some(KycStatus::RevisionRequested)
        );
        assert_eq!(KycStatus::from_code("closed"), None);
    }

    #[test]
    fn a_restored_case_continues_where_it_was_stored() {
        let officer = officer();
        let (case, document_id) = case_under_review(&officer);
        let mut restored = KycCase::restore(StoredKycCase {
            id: case.id(),
            client_id: case.client_id(),
            subject: case.subject(),
            status: case.status(),
            relationship_officer: case.relationship_officer(),
            assigned_officer: case.assigned_officer(),
            documents: vec![StoredCaseDocument {
                id: document_id,
                kind: DocumentKind::PassportScan,
                decision: Some(DocumentDecision::Accepted),
            }],
            rejection_reason: None,
            revision_note: None,
        });
        restored
            .approve(&officer)
            .expect("an accepted passport scan suffices");
        assert_eq!(restored.status(), KycStatus::Approved);
    }
}
