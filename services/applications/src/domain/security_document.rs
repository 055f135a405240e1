//! Documents backing a security (a valuation report, a title deed, a guarantor's signed
//! guarantee): what kind they are, what their bytes really are, and limits.
//!
//! The rules, in the order they are checked:
//! 1. The kind is one of [`SecurityDocumentKind::ALL`].
//! 2. The file is not empty and at most [`SECURITY_DOCUMENT_MAX_BYTES`].
//! 3. Its bytes begin with the signature of a PDF, JPEG or PNG at offset zero; the file name and
//!    the declared content type are the uploader's word and are ignored. These are the types and
//!    the limit onboarding accepts for KYC documents, so a founder meets one rule for both.
//! 4. A security carries at most [`MAX_DOCUMENTS_PER_SECURITY`] documents (checked by the
//!    caller, which counts them under the application's lock).

use imkon_platform::documents::sha256_hex;
pub use imkon_platform::documents::DocumentContentType;
use thiserror::Error;

use super::Refusal;

/// The largest single document accepted: 10 MiB, as for KYC documents.
pub const SECURITY_DOCUMENT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The most documents one security carries: a valuation, the title and a few supporting
/// papers; more than that is a sign of a mistake, and the cap bounds what one draft can store.
pub const MAX_DOCUMENTS_PER_SECURITY: usize = 5;

/// What a document backing a security is, as the founder declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityDocumentKind {
    ValuationReport,
    TitleDeed,
    SignedGuarantee,
    Other,
}

impl SecurityDocumentKind {
    pub const ALL: [SecurityDocumentKind; 4] = [
        SecurityDocumentKind::ValuationReport,
        SecurityDocumentKind::TitleDeed,
        SecurityDocumentKind::SignedGuarantee,
        SecurityDocumentKind::Other,
    ];

    /// The stable code used in requests and the database.
    pub fn code(self) -> &'static str {
        match self {
            SecurityDocumentKind::ValuationReport => "valuation_report",
            SecurityDocumentKind::TitleDeed => "title_deed",
            SecurityDocumentKind::SignedGuarantee => "signed_guarantee",
            SecurityDocumentKind::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Result<SecurityDocumentKind, SecurityDocumentError> {
        SecurityDocumentKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or(SecurityDocumentError::UnknownKind)
    }
}

/// Why a document is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecurityDocumentError {
    #[error("the kind is valuation_report, title_deed, signed_guarantee or other")]
    UnknownKind,
    #[error("the document is empty")]
    Empty,
    #[error(
        "the document is {size_bytes} bytes, more than the {SECURITY_DOCUMENT_MAX_BYTES} allowed"
    )]
    TooLarge { size_bytes: u64 },
    #[error("the document is not a PDF, JPEG or PNG file")]
    UnrecognisedContent,
}

impl Refusal for SecurityDocumentError {
    fn code(&self) -> &'static str {
        match self {
            SecurityDocumentError::UnknownKind => "unknown_kind",
            SecurityDocumentError::Empty => "empty_file",
            SecurityDocumentError::TooLarge { .. } => "too_large",
            SecurityDocumentError::UnrecognisedContent => "unrecognised_content",
        }
    }

    fn field(&self) -> Option<String> {
        Some(
            match self {
                SecurityDocumentError::UnknownKind => "kind",
                _ => "file",
            }
            .to_owned(),
        )
    }
}

/// What the service records about an accepted document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedDocument {
    pub content_type: DocumentContentType,
    pub size_bytes: u64,
    pub sha256_hex: String,
}

/// Checks a document's size and content (rules 2 and 3) and returns what to record about it.
/// Only the signatures [`DocumentContentType::recognise`] knows pass, at offset zero.
pub fn accept_document(content: &[u8]) -> Result<AcceptedDocument, SecurityDocumentError> {
    let size_bytes = content.len() as u64;
    if size_bytes == 0 {
        return Err(SecurityDocumentError::Empty);
    }
    if size_bytes > SECURITY_DOCUMENT_MAX_BYTES {
        return Err(SecurityDocumentError::TooLarge { size_bytes });
    }
    let content_type = DocumentContentType::recognise(content)
        .ok_or(SecurityDocumentError::UnrecognisedContent)?;
    Ok(AcceptedDocument {
        content_type,
        size_bytes,
        sha256_hex: sha256_hex(content),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_jpeg_and_png_are_recognised_by_their_bytes() {
        let pdf = accept_document(b"%PDF-1.7\n%%EOF\n").unwrap();
        assert_eq!(pdf.content_type, DocumentContentType::Pdf);
        assert_eq!(pdf.size_bytes, 15);
        assert_eq!(pdf.sha256_hex.len(), 64);
        assert_eq!(
            accept_document(&[0xFF, 0xD8, 0xFF, 0xE0])
                .unwrap()
                .content_type,
            DocumentContentType::Jpeg
        );
        assert_eq!(
            accept_document(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A])
                .unwrap()
                .content_type,
            DocumentContentType::Png
        );
    }

    #[test]
    fn anything_else_is_refused_whatever_it_is_called() {
        for content in [
            &b"MZ\x90\x00"[..],
            b"\x7FELF",
            b"<html><script>",
            b"PK\x03\x04",
            b" %PDF-1.7",
        ] {
            assert_eq!(
                accept_document(content),
                Err(SecurityDocumentError::UnrecognisedContent)
            );
        }
        assert_eq!(accept_document(b""), Err(SecurityDocumentError::Empty));
    }

    #[test]
    fn a_document_over_ten_mebibytes_is_refused_before_its_content_is_read() {
        let mut content = b"%PDF-".to_vec();
        content.resize(SECURITY_DOCUMENT_MAX_BYTES as usize + 1, b' ');
        assert_eq!(accept_document(&content).unwrap_err().code(), "too_large");
        content.truncate(SECURITY_DOCUMENT_MAX_BYTES as usize);
        assert!(accept_document(&content).is_ok());
    }

    #[test]
    fn kinds_parse_from_their_codes_only() {
        for kind in SecurityDocumentKind::ALL {
            assert_eq!(SecurityDocumentKind::parse(kind.code()), Ok(kind));
        }
        assert_eq!(
            SecurityDocumentKind::parse("passport_scan"),
            Err(SecurityDocumentError::UnknownKind)
        );
        for content_type in [
            DocumentContentType::Pdf,
            DocumentContentType::Jpeg,
            DocumentContentType::Png,
        ] {
            assert_eq!(
                DocumentContentType::from_mime_type(content_type.mime_type()),
                Some(content_type)
            );
        }
    }
}
