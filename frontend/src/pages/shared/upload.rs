//! A CSV file uploaded through a page's form (a watch list, a scorecard), read whole: such
//! files are a few kilobytes, and the service wants the text in one body; a document uploaded
//! through a page's form (a KYC document, a security's document); and the multipart body a
//! document is passed on to a service in.

use axum::extract::Multipart;

use crate::pages::shared::forms::FormState;

/// The largest CSV a page accepts, with room for the form's other fields; a watch list or a
/// scorecard of thousands of lines is far smaller.
pub const CSV_UPLOAD_MAX_BYTES: usize = 2 * 1024 * 1024;

/// What the form's `file` field held.
pub enum CsvUpload {
    Text(String),
    /// No file was chosen, or it was empty.
    Missing,
    /// The file is not UTF-8 text.
    NotText,
    /// The body went over the route's limit while it was read.
    TooLarge,
}

/// A document as the browser sent it, before the service judges it by its content.
pub struct DocumentUpload {
    /// The name the browser gave; passed on only with quotes and line breaks removed.
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The body went over the route's limit while it was read.
pub struct UploadTooLarge;

/// Reads a document form: the file of the field `file` (`None` when no file was chosen or it
/// was empty), and every other field into a [`FormState`].
pub async fn read_document_upload(
    multipart: &mut Multipart,
) -> Result<(Option<DocumentUpload>, FormState), UploadTooLarge> {
    let mut form = FormState::default();
    let mut upload = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Err(UploadTooLarge),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("document").to_owned();
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            // The body streams in here unread by the CSRF check, so this is where an upload
            // over the route's limit is found: the friendly page for a 413 explains it.
            let bytes = field.bytes().await.map_err(|_| UploadTooLarge)?;
            upload = Some(DocumentUpload {
                file_name,
                content_type,
                bytes: bytes.to_vec(),
            })
            .filter(|upload| !upload.bytes.is_empty());
        } else if let Ok(value) = field.text().await {
            form.set(&name, value);
        }
    }
    Ok((upload, form))
}

/// A multipart body with the given text fields and one file, built by hand: the multipart
/// requests the frontend sends (a founder's KYC document, a security's document).
pub fn multipart_body(
    boundary: &str,
    fields: &[(&str, &str)],
    file_name: &str,
    content_type: &str,
    file: &[u8],
) -> Vec<u8> {
    let mut body = Vec::with_capacity(file.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    // Quotes and line breaks cannot be part of a file name in the header.
    let safe_name: String = file_name
        .chars()
        .filter(|character| !matches!(character, '"' | '\r' | '\n' | '\\'))
        .collect();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// Reads the form: the file of the field `file`, and every other field into a [`FormState`].
pub async fn read_csv_upload(multipart: &mut Multipart) -> (CsvUpload, FormState) {
    let mut form = FormState::default();
    let mut upload = CsvUpload::Missing;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return (CsvUpload::TooLarge, form),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            // The body streams in here unread by the CSRF check, so this is where a file over
            // the route's limit is found.
            upload = match field.bytes().await {
                Ok(bytes) if bytes.is_empty() => CsvUpload::Missing,
                Ok(bytes) => match String::from_utf8(bytes.to_vec()) {
                    Ok(text) => CsvUpload::Text(text),
                    Err(_) => CsvUpload::NotText,
                },
                Err(_) => return (CsvUpload::TooLarge, form),
            };
        } else if let Ok(value) = field.text().await {
            form.set(&name, value);
        }
    }
    (upload, form)
}
