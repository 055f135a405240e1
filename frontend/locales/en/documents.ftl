# Messages of this area of the site; see catalogue! in src/i18n.rs.

contract-document-title = The contract document
contract-document-read = Read the contract (PDF)
contract-document-read-first = Read the contract before signing: the signature is given to this very document.
contract-document-sha256-draft = SHA-256 of this document:
contract-document-sha256-signed = SHA-256 of the signed document:
tranche-purpose-loan = Loan
tranche-purpose-milestone = Milestone { $number }
problem-document-mismatch = The contract document has changed since you opened it. Read it again, then sign.
