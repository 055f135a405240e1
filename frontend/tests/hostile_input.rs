//! Hostile requests to the website: a multipart body is not buffered before its CSRF token is
//! proven, and a control character typed into a form gets a friendly 422 page, not a 500.

use std::time::Duration;

use imkon_frontend::{app_with, FrontendSettings, ServiceUrls};
use imkon_platform::testing::TestServer;
use reqwest::header::{CONTENT_TYPE, SET_COOKIE};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The website with every service unreachable: these requests must be answered by the
/// website itself.
async fn site() -> TestServer {
    let nowhere = "http://127.0.0.1:1".to_owned();
    TestServer::start(app_with(FrontendSettings::new(ServiceUrls {
        onboarding: nowhere.clone(),
        applications: nowhere.clone(),
        scoring: nowhere.clone(),
        disbursement: nowhere.clone(),
        accounts: nowhere,
    })))
    .await
}

/// A visitor's CSRF token, from the cookie the home page sets.
async fn csrf_token(site: &TestServer) -> String {
    let response = site.client.get(site.url("/")).send().await.unwrap();
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|line| line.to_str().ok())
        .find_map(|line| line.strip_prefix("__Host-imkon_csrf="))
        .and_then(|rest| rest.split(';').next())
        .expect("the home page sets the CSRF cookie")
        .to_owned()
}

/// Sends a multipart upload that announces 10 MB but stops after `head`, and returns the
/// status line if the website answers within five seconds.
async fn status_of_a_stalled_upload(site: &TestServer, token: &str, head: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(site.addr).await.unwrap();
    let request = format!(
        "POST /documents HTTP/1.1\r\nhost: localhost\r\ncookie: __Host-imkon_csrf={token}\r\n\
         content-type: multipart/form-data; boundary=b\r\ncontent-length: 10000000\r\n\r\n{head}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read_head = async {
        let mut buffer = [0u8; 4096];
        while !answer.windows(2).any(|window| window == b"\r\n") {
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the connection closed without an answer");
            answer.extend_from_slice(&buffer[..read]);
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read_head)
        .await
        .expect("the upload is refused before its body has arrived");
    let answer = String::from_utf8_lossy(&answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_upload_whose_first_part_is_not_the_token_is_refused_without_reading_the_file() {
    let site = site().await;
    let token = csrf_token(&site).await;
    let head = format!(
        "--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nother\r\n\
         --b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.4\n{}",
        " ".repeat(100_000)
    );
    let status = status_of_a_stalled_upload(&site, &token, &head).await;
    assert!(status.starts_with("HTTP/1.1 403"), "{status}");
}

#[tokio::test]
async fn an_endless_token_field_is_refused_after_a_small_head() {
    let site = site().await;
    let token = csrf_token(&site).await;
    let head = format!(
        "--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}{}",
        "a".repeat(100_000)
    );
    let status = status_of_a_stalled_upload(&site, &token, &head).await;
    assert!(status.starts_with("HTTP/1.1 403"), "{status}");
}

#[tokio::test]
async fn a_nul_typed_into_a_form_field_gets_a_friendly_422_page() {
    let site = site().await;
    let token = csrf_token(&site).await;
    let response = site
        .client
        .post(site.url("/login"))
        .header(
            "cookie",
            format!("__Host-imkon_csrf={token}; __Host-imkon_lang=en"),
        )
        .form(&[
            ("username", "founder\u{0}1"),
            ("password", "founder1-demo-pass"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("invisible control character"), "{html}");
}

#[tokio::test]
async fn a_control_character_in_a_query_gets_a_friendly_422_page() {
    let site = site().await;
    let response = site
        .client
        .get(site.url("/programmes?search=grant%00"))
        .header("cookie", "__Host-imkon_lang=en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("invisible control character"), "{html}");
}
