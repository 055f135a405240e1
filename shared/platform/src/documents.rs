//! Uploaded documents as every service keeps them: the types accepted, decided from the bytes
//! alone; the SHA-256 recorded of them; and the headers a download is served with. Onboarding
//! keeps KYC documents and applications the documents backing a loan's securities, under one
//! rule.

use axum::body::Body;
use axum::http::header::{self, InvalidHeaderValue};
use axum::http::HeaderValue;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// The content types a document may have, decided from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentContentType {
    Pdf,
    Jpeg,
    Png,
}

const PDF_MAGIC: &[u8] = b"%PDF-";
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

impl DocumentContentType {
    pub const ALL: [DocumentContentType; 3] = [
        DocumentContentType::Pdf,
        DocumentContentType::Jpeg,
        DocumentContentType::Png,
    ];

    /// The type whose signature the content begins with, if any.
    ///
    /// The file name and the declared content type are the uploader's word and are ignored.
    /// The signature must sit at offset zero: PDF readers tolerate junk before `%PDF-`, but a
    /// file built that way is exactly the polyglot trick this check exists to stop.
    pub fn recognise(content: &[u8]) -> Option<DocumentContentType> {
        [
            (PDF_MAGIC, DocumentContentType::Pdf),
            (JPEG_MAGIC, DocumentContentType::Jpeg),
            (PNG_MAGIC, DocumentContentType::Png),
        ]
        .into_iter()
        .find(|(magic, _)| content.starts_with(magic))
        .map(|(_, content_type)| content_type)
    }

    /// The MIME type to store and serve the document with.
    pub fn mime_type(self) -> &'static str {
        match self {
            DocumentContentType::Pdf => "application/pdf",
            DocumentContentType::Jpeg => "image/jpeg",
            DocumentContentType::Png => "image/png",
        }
    }

    /// The file extension a download is named with.
    pub fn extension(self) -> &'static str {
        match self {
            DocumentContentType::Pdf => "pdf",
            DocumentContentType::Jpeg => "jpg",
            DocumentContentType::Png => "png",
        }
    }

    /// The type a stored MIME type names; `None` for anything else.
    pub fn from_mime_type(mime_type: &str) -> Option<DocumentContentType> {
        DocumentContentType::ALL
            .into_iter()
            .find(|content_type| content_type.mime_type() == mime_type)
    }
}

/// The lowercase hexadecimal SHA-256 of a document, stored to prove later that the bytes are
/// the ones an officer saw.
pub fn sha256_hex(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A stored document as a download: `disposition` names the file (the caller builds it from
/// what it trusts, never from the uploader's name), and the browser neither guesses another
/// type, runs anything in it, nor keeps a copy in a shared cache.
pub fn download_response(
    content: Vec<u8>,
    mime_type: &str,
    disposition: &str,
) -> Result<Response, InvalidHeaderValue> {
    let mut response = Response::new(Body::from(content));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(mime_type)?);
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(disposition)?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_signature_at_the_very_start_names_the_type() {
        assert_eq!(
            DocumentContentType::recognise(b"%PDF-1.7\n"),
            Some(DocumentContentType::Pdf)
        );
        assert_eq!(
            DocumentContentType::recognise(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(DocumentContentType::Jpeg)
        );
        assert_eq!(
            DocumentContentType::recognise(PNG_MAGIC),
            Some(DocumentContentType::Png)
        );
        assert_eq!(DocumentContentType::recognise(b" %PDF-1.7"), None);
        assert_eq!(DocumentContentType::recognise(b""), None);
        for content_type in DocumentContentType::ALL {
            assert_eq!(
                DocumentContentType::from_mime_type(content_type.mime_type()),
                Some(content_type)
            );
        }
        assert_eq!(sha256_hex(b"").len(), 64);
    }
}
