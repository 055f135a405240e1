//! Files a service makes (statements, documents, exports), passed on to the browser as
//! attachments.

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// `upstream`'s body as an attachment named `file_name` of `content_type`.
///
/// The body is passed on as it arrives rather than held whole in memory: the service's chunks
/// go through a pipe whose reading end is the response body. `file_name` must be made of our
/// own words and ids, never a visitor's text, because it goes into the header as it is. The
/// answer holds a person's or the bank's data, so no cache may keep it.
pub fn attachment(upstream: reqwest::Response, content_type: &str, file_name: &str) -> Response {
    let (mut pipe_in, pipe_out) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let mut upstream = upstream;
        while let Ok(Some(chunk)) = upstream.chunk().await {
            if pipe_in.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let mut response =
        Body::from_stream(tokio_util::io::ReaderStream::new(pipe_out)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
