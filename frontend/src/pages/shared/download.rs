//! Files a service makes (statements, documents, exports), passed on to the browser as
//! attachments.

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// `upstream`'s body as an attachment named `file_name` of `content_type`.
///
/// The body is passed on as it arrives rather than held whole in memory. If the service's
/// answer breaks off, the response breaks off too (the connection is reset rather than the body
/// ended), so the browser reports a failed download instead of saving a statement that looks
/// whole but is not. `file_name` must be made of our own words and ids, never a visitor's text,
/// because it goes into the header as it is. The answer holds a person's or the bank's data, so
/// no cache may keep it.
pub fn attachment(upstream: reqwest::Response, content_type: &str, file_name: &str) -> Response {
    let chunks = futures::stream::try_unfold(upstream, |mut upstream| async move {
        Ok::<_, reqwest::Error>(upstream.chunk().await?.map(|chunk| (chunk, upstream)))
    });
    let mut response = Body::from_stream(chunks).into_response();
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use futures::StreamExt;
    use http_body_util::BodyExt;

    /// A service that sends the first part of a file, then fails.
    async fn breaking_service() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/file", listener.local_addr().unwrap());
        let app = axum::Router::new().route(
            "/file",
            get(|| async {
                // The failure comes a moment after the first part, once the headers are out.
                let parts = futures::stream::iter([true, false]).then(|first| async move {
                    if first {
                        Ok(axum::body::Bytes::from_static(
                            b"date,amount\n2026-11-01,100.00\n",
                        ))
                    } else {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        Err(std::io::Error::other("the database went away"))
                    }
                });
                Body::from_stream(parts)
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    #[tokio::test]
    async fn a_file_that_breaks_off_upstream_breaks_off_for_the_browser_too() {
        let upstream = reqwest::get(breaking_service().await).await.unwrap();
        let response = attachment(upstream, "text/csv", "statement.csv");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let read = response.into_body().collect().await;
        assert!(read.is_err(), "a partial file must not look complete");
    }

    #[tokio::test]
    async fn a_whole_file_is_passed_on_as_an_attachment() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/file", listener.local_addr().unwrap());
        let app = axum::Router::new().route("/file", get(|| async { "date,amount\n" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let upstream = reqwest::get(url).await.unwrap();
        let response = attachment(upstream, "text/csv", "statement.csv");
        assert_eq!(
            response.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"statement.csv\""
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"date,amount\n");
    }
}
