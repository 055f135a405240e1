//! Uploaded KYC documents: what kind they are, what their bytes really are, and limits.

pub use imkon_platform::documents::{sha256_hex, DocumentContentType};
use thiserror::Error;

/// The largest single document accepted: 10 MiB.
pub const DOCUMENT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The most a client may have stored across all their documents: 100 MiB. Ten full-size
/// documents is more than any KYC case needs, and the cap bounds what one client can cost.
pub const CLIENT_DOCUMENTS_MAX_TOTAL_BYTES: u64 = 100 * 1024 * 1024;

/// What a document is, as the client declares it and the officer confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    PassportScan,
    CompanyCharter,
    RegistrationCertificate,
    ItParkCertificate,
    FinancialStatements,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 6] = [
        DocumentKind::PassportScan,
        DocumentKind::CompanyCharter,
        DocumentKind::RegistrationCertificate,
        DocumentKind::ItParkCertificate,
        DocumentKind::FinancialStatements,
        DocumentKind::Other,
    ];

    /// The stable code used in requests and the database.
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::PassportScan => "passport_scan",
            DocumentKind::CompanyCharter => "company_charter",
            DocumentKind::RegistrationCertificate => "registration_certificate",
            DocumentKind::ItParkCertificate => "it_park_certificate",
            DocumentKind::FinancialStatements => "financial_statements",
            DocumentKind::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Result<DocumentKind, DocumentError> {
        DocumentKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| DocumentError::UnknownKind {
                code: code.to_owned(),
            })
    }
}

/// Content that is recognised as something dangerous or wrong, named so the refusal can say
/// what was seen and the audit trail can flag a likely attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedContent {
    /// A Linux ELF program.
    ElfExecutable,
    /// A Windows PE program or DLL (which begins with the MZ header).
    WindowsExecutable,
    /// An HTML page, which a browser would run scripts from if it were ever served inline.
    Html,
    /// A ZIP archive (also every Office document), whose contents cannot be checked here.
    ZipArchive,
}

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DocumentError {
    #[error("{code:?} is not a known document kind")]
    UnknownKind { code: String },
    #[error("the document is empty")]
    Empty,
    #[error("the document is a {0:?}; only PDF, JPEG and PNG are accepted")]
    RefusedContent(RefusedContent),
    #[error("the document is not a PDF, JPEG or PNG file")]
    UnrecognisedContent,
    #[error("the document is {size_bytes} bytes, more than the {DOCUMENT_MAX_BYTES} allowed")]
    TooLarge { size_bytes: u64 },
    #[error("with this document the client would store {total_bytes} bytes, more than the {CLIENT_DOCUMENTS_MAX_TOTAL_BYTES} allowed")]
    ClientQuotaExceeded { total_bytes: u64 },
}

impl DocumentError {
    pub fn field(&self) -> String {
        match self {
            DocumentError::UnknownKind { .. } => "kind",
            _ => "file",
        }
        .to_owned()
    }
}

const ELF_MAGIC: &[u8] = &[0x7F, b'E', b'L', b'F'];
const PE_MAGIC: &[u8] = b"MZ";
const ZIP_MAGICS: [&[u8]; 3] = [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"];
const UTF8_BYTE_ORDER_MARK: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Decides what a document is from its first bytes alone (see
/// [`DocumentContentType::recognise`]), naming what it recognises among the refused.
pub fn sniff_content_type(content: &[u8]) -> Result<DocumentContentType, DocumentError> {
    if content.is_empty() {
        return Err(DocumentError::Empty);
    }
    if let Some(content_type) = DocumentContentType::recognise(content) {
        return Ok(content_type);
    }
    if let Some(refused) = recognise_refused_content(content) {
        return Err(DocumentError::RefusedContent(refused));
    }
    Err(DocumentError::UnrecognisedContent)
}

fn recognise_refused_content(content: &[u8]) -> Option<RefusedContent> {
    if content.starts_with(ELF_MAGIC) {
        return Some(RefusedContent::ElfExecutable);
    }
    if content.starts_with(PE_MAGIC) {
        return Some(RefusedContent::WindowsExecutable);
    }
    if ZIP_MAGICS.iter().any(|magic| content.starts_with(magic)) {
        return Some(RefusedContent::ZipArchive);
    }
    if looks_like_html(content) {
        return Some(RefusedContent::Html);
    }
    None
}

/// HTML is recognised the way browsers sniff it: after an optional byte-order mark and
/// whitespace, a tag that opens an HTML document or a script.
fn looks_like_html(content: &[u8]) -> bool {
    let content = content
        .strip_prefix(UTF8_BYTE_ORDER_MARK)
        .unwrap_or(content);
    let start = content
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(content.len());
    let head: Vec<u8> = content[start..]
        .iter()
        .take(16)
        .map(u8::to_ascii_lowercase)
        .collect();
    [
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<script",
        "<iframe",
        "<svg",
        "<?xml",
        "<!--",
    ]
    .iter()
    .any(|tag| head.starts_with(tag.as_bytes()))
}

/// What the service records about an accepted upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedUpload {
    pub kind: DocumentKind,
    pub content_type: DocumentContentType,
    pub size_bytes: u64,
    pub sha256_hex: String,
}

/// Checks an upload against the size limits and its content type, given how many bytes the
/// client already has stored, and returns what to record about it.
pub fn accept_upload(
    kind: DocumentKind,
    content: &[u8],
    client_stored_bytes: u64,
) -> Result<AcceptedUpload, DocumentError> {
    let size_bytes = content.len() as u64;
    if size_bytes > DOCUMENT_MAX_BYTES {
        return Err(DocumentError::TooLarge { size_bytes });
    }
    let total_bytes = client_stored_bytes.saturating_add(size_bytes);
    if total_bytes > CLIENT_DOCUMENTS_MAX_TOTAL_BYTES {
        return Err(DocumentError::ClientQuotaExceeded { total_bytes });
    }
    let content_type = sniff_content_type(content)?;
    Ok(AcceptedUpload {
        kind,
        content_type,
        size_bytes,
        sha256_hex: sha256_hex(content),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY_PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

    #[test]
    fn pdf_jpeg_and_png_are_recognised_by_their_bytes() {
        assert_eq!(sniff_content_type(TINY_PDF), Ok(DocumentContentType::Pdf));
        assert_eq!(
            sniff_content_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F']),
            Ok(DocumentContentType::Jpeg)
        );
        assert_eq!(
            sniff_content_type(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]),
            Ok(DocumentContentType::Png)
        );
        assert_eq!(DocumentContentType::Pdf.mime_type(), "application/pdf");
    }

    #[test]
    fn executables_are_refused_as_such() {
        assert_eq!(
            sniff_content_type(b"\x7FELF\x02\x01\x01\x00"),
            Err(DocumentError::RefusedContent(RefusedContent::ElfExecutable))
        );
        assert_eq!(
            sniff_content_type(b"MZ\x90\x00\x03\x00\x00\x00"),
            Err(DocumentError::RefusedContent(
                RefusedContent::WindowsExecutable
            ))
        );
    }

    #[test]
    fn html_is_refused_even_after_whitespace_and_a_byte_order_mark() {
        for content in [
            &b"<!DOCTYPE html><html></html>"[..],
            b"\xEF\xBB\xBF  \n<html><body>",
            b"<script>alert(1)</script>",
            b"<svg xmlns='http://www.w3.org/2000/svg'>",
        ] {
            assert_eq!(
                sniff_content_type(content),
                Err(DocumentError::RefusedContent(RefusedContent::Html))
            );
        }
    }

    #[test]
    fn zip_archives_are_refused() {
        assert_eq!(
            sniff_content_type(b"PK\x03\x04\x14\x00\x06\x00"),
            Err(DocumentError::RefusedContent(RefusedContent::ZipArchive))
        );
    }

    #[test]
    fn a_pdf_signature_not_at_the_start_is_not_a_pdf() {
        assert_eq!(
            sniff_content_type(b"hello %PDF-1.7"),
            Err(DocumentError::UnrecognisedContent)
        );
        assert_eq!(
            sniff_content_type(b"just some text"),
            Err(DocumentError::UnrecognisedContent)
        );
    }

    #[test]
    fn empty_content_is_refused() {
        assert_eq!(sniff_content_type(b""), Err(DocumentError::Empty));
        assert_eq!(DocumentError::Empty.field(), "file");
    }

    #[test]
    fn the_sha256_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_document_of_exactly_ten_mebibytes_is_accepted_and_one_byte_more_is_not() {
        let mut content = vec![0u8; DOCUMENT_MAX_BYTES as usize];
        content[..TINY_PDF.len()].copy_from_slice(TINY_PDF);
        let accepted = accept_upload(DocumentKind::PassportScan, &content, 0).unwrap();
        assert_eq!(accepted.size_bytes, 10 * 1024 * 1024);
        assert_eq!(accepted.content_type, DocumentContentType::Pdf);
        assert_eq!(accepted.sha256_hex, sha256_hex(&content));
        content.push(0);
        assert_eq!(
            accept_upload(DocumentKind::PassportScan, &content, 0),
            Err(DocumentError::TooLarge {
                size_bytes: DOCUMENT_MAX_BYTES + 1
            })
        );
    }

    #[test]
    fn an_upload_past_the_clients_total_is_refused() {
        let already = CLIENT_DOCUMENTS_MAX_TOTAL_BYTES - 10;
        assert!(accept_upload(DocumentKind::Other, &TINY_PDF[..10], already).is_ok());
        assert_eq!(
            accept_upload(DocumentKind::Other, &TINY_PDF[..11], already),
            Err(DocumentError::ClientQuotaExceeded {
                total_bytes: CLIENT_DOCUMENTS_MAX_TOTAL_BYTES + 1
            })
        );
    }

    #[test]
    fn document_kinds_round_trip_through_their_codes() {
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.code()), Ok(kind));
        }
        assert_eq!(DocumentKind::parse("selfie").unwrap_err().field(), "kind");
    }
}
