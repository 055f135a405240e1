//! The frontend over HTTP, against a schedule preview answered by the disbursement domain.

mod support;

use imkon_frontend::{app_with, FrontendSettings, ServiceUrls};
use imkon_platform::testing::TestServer;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{redirect, Response, StatusCode};

const NO_BREAK_SPACE: &str = "\u{a0}";

fn service_urls(disbursement: &str) -> ServiceUrls {
    ServiceUrls {
        onboarding: "http://127.0.0.1:1".to_owned(),
        applications: "http://127.0.0.1:1".to_owned(),
        scoring: "http://127.0.0.1:1".to_owned(),
        disbursement: disbursement.to_owned(),
        accounts: "http://127.0.0.1:1".to_owned(),
    }
}

/// The frontend and the preview it calls, both on loopback ports.
struct Site {
    frontend: TestServer,
    _preview: Option<TestServer>,
}

impl Site {
    async fn start() -> Site {
        let preview = TestServer::start(support::schedule_preview::router()).await;
        let settings = FrontendSettings::new(service_urls(&preview.url("")));
        Site {
            frontend: TestServer::start(app_with(settings)).await,
            _preview: Some(preview),
        }
    }

    /// A site whose disbursement service is not running.
    async fn start_without_disbursement() -> Site {
        let settings = FrontendSettings::new(service_urls("http://127.0.0.1:1"));
        Site {
            frontend: TestServer::start(app_with(settings)).await,
            _preview: None,
        }
    }

    fn url(&self, path: &str) -> String {
        self.frontend.url(path)
    }
}

/// A browser stand-in: remembers the CSRF and language cookies it was given.
struct Visitor {
    client: reqwest::Client,
    csrf_token: Option<String>,
    language: Option<String>,
}

impl Visitor {
    fn new() -> Visitor {
        Visitor {
            client: reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .unwrap(),
            csrf_token: None,
            language: None,
        }
    }

    fn speaking(code: &str) -> Visitor {
        Visitor {
            language: Some(code.to_owned()),
            ..Visitor::new()
        }
    }

    fn cookie_header(&self) -> String {
        let mut cookies = Vec::new();
        if let Some(token) = &self.csrf_token {
            cookies.push(format!("__Host-imkon_csrf={token}"));
        }
        if let Some(language) = &self.language {
            cookies.push(format!("__Host-imkon_lang={language}"));
        }
        cookies.join("; ")
    }

    fn remember_cookies(&mut self, response: &Response) {
        for line in response.headers().get_all(SET_COOKIE) {
            let line = line.to_str().unwrap();
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            match name {
                "__Host-imkon_csrf" => self.csrf_token = Some(value.to_owned()),
                "__Host-imkon_lang" => self.language = Some(value.to_owned()),
                _ => {}
            }
        }
    }

    async fn get(&mut self, url: &str) -> Response {
        let response = self
            .client
            .get(url)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.remember_cookies(&response);
        response
    }

    /// Posts a form with the visitor's token added, as the page's hidden field would.
    async fn post(&mut self, url: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token.clone().unwrap_or_default();
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &token));
        let response = self
            .client
            .post(url)
            .header("cookie", self.cookie_header())
            .form(&fields)
            .send()
            .await
            .unwrap();
        self.remember_cookies(&response);
        response
    }
}

fn loan_form<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("principal", "100.00"),
        ("currency", "UZS"),
        ("annual_rate_percent", "9.4822"),
        ("term_months", "6"),
        ("method", "annuity"),
        ("grace_months", "0"),
        ("day_count", "30/360"),
        ("disbursement_date", "2024-01-01"),
        ("first_due_date", "2024-02-01"),
    ]
}

fn with_field<'a>(field: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    loan_form()
        .into_iter()
        .map(|(name, old)| (name, if name == field { value } else { old }))
        .collect()
}

fn assert_no_inline_code(html: &str) {
    let lower = html.to_lowercase();
    assert_eq!(
        lower.matches("<script").count(),
        lower
            .matches("<script src=\"/static/progress.js\" defer></script>")
            .count(),
        "the only script is the progress script, loaded from its file"
    );
    assert!(!lower.contains("<style"), "no style elements");
    assert!(!lower.contains(" style="), "no style attributes");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let site = Site::start().await;
    let mut visitor = Visitor::new();
    for path in [
        "/",
        "/calculator",
        "/no-such-page",
        "/static/app.css",
        "/health/live",
    ] {
        let response = visitor.get(&site.url(path)).await;
        let headers = response.headers();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("default-src 'self'"), "{path}");
        assert!(!policy.contains("unsafe-inline"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
        let is_html = headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html");
        if is_html {
            assert_eq!(headers[CACHE_CONTROL], "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_site_is_served_over_tls() {
    let settings = FrontendSettings {
        served_over_tls: true,
        ..FrontendSettings::new(service_urls("http://127.0.0.1:1"))
    };
    let frontend = TestServer::start(app_with(settings)).await;
    let response = Visitor::new().get(&frontend.url("/")).await;
    assert!(response.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age=31536000"));
}

#[tokio::test]
async fn the_calculator_speaks_the_chosen_language_and_uzbek_latin_by_default() {
    let site = Site::start().await;
    let cases = [
        (None, "uz-Latn", "Kredit summasi"),
        (Some("uz-Latn"), "uz-Latn", "Kredit summasi"),
        (Some("uz-Cyrl"), "uz-Cyrl", "Кредит суммаси"),
        (Some("ru"), "ru", "Сумма кредита"),
        (Some("en"), "en", "Loan amount"),
        (Some("fr"), "uz-Latn", "Kredit summasi"),
    ];
    for (cookie, lang, label) in cases {
        let mut visitor = match cookie {
            Some(code) => Visitor::speaking(code),
            None => Visitor::new(),
        };
        let html = visitor
            .get(&site.url("/calculator"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!("<html lang=\"{lang}\">")),
            "{cookie:?}"
        );
        assert!(
            html.contains(&format!("<label for=\"principal\">{label}</label>")),
            "{cookie:?}"
        );
        assert_no_inline_code(&html);
    }
}

#[tokio::test]
async fn the_form_carries_the_token_from_the_cookie_it_sets() {
    let site = Site::start().await;
    let mut visitor = Visitor::new();
    let response = visitor.get(&site.url("/calculator")).await;
    let set_cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("__Host-imkon_csrf="));
    assert!(set_cookie.contains("Secure; HttpOnly; SameSite=Strict"));
    let html = response.text().await.unwrap();
    let token = visitor.csrf_token.clone().unwrap();
    assert!(html.contains(&format!("name=\"csrf_token\" value=\"{token}\"")));
    let again = visitor.get(&site.url("/calculator")).await;
    assert!(
        again.headers().get(SET_COOKIE).is_none(),
        "a visitor keeps their token"
    );
}

#[tokio::test]
async fn a_post_without_the_matching_token_is_refused_in_the_visitors_language() {
    let site = Site::start().await;

    let mut stranger = Visitor::speaking("en");
    let response = stranger.post(&site.url("/calculator"), &loan_form()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("Not allowed"), "{html}");

    let mut visitor = Visitor::speaking("ru");
    visitor.get(&site.url("/calculator")).await;
    let mut other = Visitor::new();
    other.get(&site.url("/")).await;
    let someone_elses_token = other.csrf_token.clone().unwrap();
    let mut form = loan_form();
    form.push(("csrf_token", &someone_elses_token));
    let forged = visitor
        .client
        .post(site.url("/calculator"))
        .header("cookie", visitor.cookie_header())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await.unwrap().contains("Доступ запрещён"));

    let cross_site = visitor
        .client
        .post(site.url("/calculator"))
        .header("cookie", visitor.cookie_header())
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf_token", visitor.csrf_token.clone().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_calculator_shows_the_schedule_table_and_chart_in_the_locales_format() {
    let site = Site::start().await;
    for (language, total_principal, first_due) in [
        ("uz-Latn", "100,00\u{a0}soʻm", "01.02.2024"),
        ("uz-Cyrl", "100,00\u{a0}сўм", "01.02.2024"),
        ("ru", "100,00\u{a0}сум", "01.02.2024"),
        ("en", "UZS\u{a0}100.00", "1 Feb 2024"),
    ] {
        let mut visitor = Visitor::speaking(language);
        visitor.get(&site.url("/calculator")).await;
        let response = visitor.post(&site.url("/calculator"), &loan_form()).await;
        assert_eq!(response.status(), StatusCode::OK, "{language}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(total_principal),
            "{language}: {total_principal}"
        );
        assert!(
            html.contains(&format!("<td class=\"date\">{first_due}</td>")),
            "{language}"
        );
        assert_eq!(html.matches("class=\"bar-principal\"").count(), 6);
        assert_eq!(html.matches("class=\"bar-interest\"").count(), 6);
        assert_eq!(
            html.matches("<tr>").count(),
            1 + 6 + 1,
            "head, six rows, totals"
        );
        assert!(
            html.contains("value=\"9.4822\""),
            "the typed values stay in the form"
        );
        assert_no_inline_code(&html);
    }
}

#[tokio::test]
async fn large_amounts_are_grouped_as_the_visitor_writes_them() {
    let site = Site::start().await;
    let mut visitor = Visitor::speaking("ru");
    visitor.get(&site.url("/calculator")).await;
    let form = with_field("principal", "1 250 000,00");
    let html = visitor
        .post(&site.url("/calculator"), &form)
        .await
        .text()
        .await
        .unwrap();
    let expected = format!("1{NO_BREAK_SPACE}250{NO_BREAK_SPACE}000,00{NO_BREAK_SPACE}сум");
    assert!(html.contains(&expected), "total principal {expected}");
}

#[tokio::test]
async fn a_refusal_by_the_service_is_explained_beside_its_field_keeping_what_was_typed() {
    let site = Site::start().await;
    let mut visitor = Visitor::speaking("ru");
    visitor.get(&site.url("/calculator")).await;
    let response = visitor
        .post(
            &site.url("/calculator"),
            &with_field("annual_rate_percent", "150"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains(
        "<p class=\"field-error\" id=\"annual_rate_percent-error\">Ставка не может превышать 100%.</p>"
    ));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("value=\"150\""));
    assert!(html.contains("value=\"100.00\""));
    assert!(
        !html.contains("bar-principal"),
        "no schedule for refused terms"
    );
    assert!(
        !html.contains("must not exceed"),
        "the service's English stays out"
    );
}

#[tokio::test]
async fn an_unreadable_number_is_explained_without_asking_the_service() {
    let site = Site::start_without_disbursement().await;
    let mut visitor = Visitor::speaking("uz-Cyrl");
    visitor.get(&site.url("/calculator")).await;
    let response = visitor
        .post(&site.url("/calculator"), &with_field("principal", "кўп"))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"principal-error\">Рақам киритинг"));
    assert!(html.contains("value=\"кўп\""));
}

#[tokio::test]
async fn a_silent_disbursement_service_is_reported_without_details() {
    let site = Site::start_without_disbursement().await;
    let mut visitor = Visitor::speaking("en");
    visitor.get(&site.url("/calculator")).await;
    let response = visitor.post(&site.url("/calculator"), &loan_form()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = response.text().await.unwrap();
    assert!(html.contains("The calculation service is not answering right now."));
    assert!(!html.contains("127.0.0.1:1"), "no internals");
    assert!(html.contains("value=\"100.00\""));
}

#[tokio::test]
async fn choosing_a_language_remembers_it_and_returns_only_to_a_local_page() {
    let site = Site::start().await;
    let mut visitor = Visitor::new();
    visitor.get(&site.url("/")).await;

    let response = visitor
        .post(&site.url("/lang/ru"), &[("return_to", "/calculator")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/calculator");
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("__Host-imkon_lang=ru;"));
    assert_eq!(visitor.language.as_deref(), Some("ru"));
    let html = visitor
        .get(&site.url("/calculator"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Кредитный калькулятор"));

    for hostile in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let response = visitor
            .post(&site.url("/lang/en"), &[("return_to", hostile)])
            .await;
        assert_eq!(response.headers()[LOCATION], "/", "{hostile}");
    }

    let unknown = visitor
        .post(&site.url("/lang/xx"), &[("return_to", "/")])
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn changing_language_needs_a_post() {
    let site = Site::start().await;
    let mut visitor = Visitor::speaking("en");
    let response = visitor.get(&site.url("/lang/ru")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response
        .headers()
        .get(SET_COOKIE)
        .is_none_or(|cookie| !cookie.to_str().unwrap().contains("imkon_lang")));
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Bad request"),
        "a friendly page, not axum's text"
    );
}

#[tokio::test]
async fn unknown_pages_and_malformed_requests_get_friendly_pages_without_internals() {
    let site = Site::start().await;
    let mut visitor = Visitor::speaking("uz-Latn");
    let response = visitor.get(&site.url("/no/such/page")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Sahifa topilmadi"));
    assert_no_inline_code(&html);

    let token = visitor.csrf_token.clone().unwrap();
    let malformed = visitor
        .client
        .post(site.url("/calculator"))
        .header("cookie", visitor.cookie_header())
        .header("x-csrf-token", token)
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(malformed.status().is_client_error());
    let html = malformed.text().await.unwrap();
    assert!(html.contains("Soʻrov notoʻgʻri"), "{html}");
    assert!(
        !html.to_lowercase().contains("content-type"),
        "no axum rejection text"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let site = Site::start().await;
    let mut visitor = Visitor::new();
    assert_eq!(
        visitor.get(&site.url("/calculator")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        visitor.get(&site.url("/no-such-page-42")).await.status(),
        StatusCode::NOT_FOUND
    );
    let scrape = visitor.get(&site.url("/metrics")).await;
    assert_eq!(scrape.status(), StatusCode::OK);
    assert!(scrape.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = scrape.text().await.unwrap();
    assert!(
        text.contains(
            "http_requests_total{service=\"frontend\",method=\"GET\",route=\"/calculator\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_count{service=\"frontend\",method=\"GET\",route=\"/calculator\",status_class=\"2xx\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{service=\"frontend\",method=\"GET\",route=\"/calculator\",status_class=\"2xx\",le=\"+Inf\"} 1"),
        "{text}"
    );
    // A path no route matched is counted under one label, so visitors cannot mint series.
    assert!(!text.contains("no-such-page-42"), "{text}");
    assert!(text.contains("status=\"404\""), "{text}");
}

#[tokio::test]
async fn only_pages_hand_out_a_csrf_token() {
    let site = Site::start().await;
    for path in ["/static/app.css", "/health/live"] {
        let response = Visitor::new().get(&site.url(path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers().get(SET_COOKIE).is_none(), "{path}");
    }
    let stylesheet = Visitor::new().get(&site.url("/static/app.css")).await;
    assert!(stylesheet.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let page = Visitor::new().get(&site.url("/")).await;
    assert!(page.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("__Host-imkon_csrf="));
}

/// The `total`, `app` and `upstream` durations and the call count of a `Server-Timing` value.
fn server_timing(response: &Response) -> (f64, f64, f64, u32) {
    let value = response.headers()["server-timing"].to_str().unwrap();
    let metric = |name: &str| -> f64 {
        let start = value.find(&format!("{name};dur=")).unwrap() + name.len() + 5;
        let rest = &value[start..];
        let end = rest.find([';', ',']).unwrap_or(rest.len());
        rest[..end].parse().unwrap()
    };
    let calls = value
        .split("desc=\"")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    (metric("total"), metric("app"), metric("upstream"), calls)
}

#[tokio::test]
async fn every_answer_says_how_long_it_took_and_how_much_of_it_the_services_took() {
    let site = Site::start().await;
    let mut visitor = Visitor::new();
    let (total, own, upstream, calls) = server_timing(&visitor.get(&site.url("/calculator")).await);
    assert_eq!(
        (upstream, calls),
        (0.0, 0),
        "the empty calculator asks no service"
    );
    assert!(total >= own && own >= 0.0);

    let response = visitor.post(&site.url("/calculator"), &loan_form()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (total, own, upstream, calls) = server_timing(&response);
    assert_eq!(calls, 1, "the schedule comes from one call to disbursement");
    assert!(upstream > 0.0, "the call took some time: {upstream}");
    assert!(
        (total - own - upstream).abs() < 0.02,
        "the parts add up to the total: {total} = {own} + {upstream}"
    );
    for path in ["/no-such-page", "/static/app.css", "/health/live"] {
        let response = visitor.get(&site.url(path)).await;
        assert!(response.headers().contains_key("server-timing"), "{path}");
    }
}

#[tokio::test]
async fn pages_load_the_progress_script_from_its_own_file_and_label_the_panel_in_their_language() {
    let site = Site::start().await;
    let script = Visitor::new().get(&site.url("/static/progress.js")).await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        script.headers()[CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert!(script
        .text()
        .await
        .unwrap()
        .contains("addEventListener('submit'"));

    for (language, failure) in [
        ("en", "The connection was lost"),
        ("ru", "Соединение прервалось"),
        ("uz-Latn", "Ulanish yakunlanmasdan uzildi"),
        ("uz-Cyrl", "Уланиш якунланмасдан узилди"),
    ] {
        let html = Visitor::speaking(language)
            .get(&site.url("/calculator"))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("<script src=\"/static/progress.js\" defer></script>"));
        assert!(
            html.contains(&format!(
                "id=\"busy\" role=\"status\" data-failed=\"{failure}"
            )),
            "{language}"
        );
    }
}

#[tokio::test]
async fn a_page_too_slow_to_finish_ends_in_the_friendly_page_not_a_hanging_browser() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;
    // The preview answers only when the test lets it, after the frontend has answered: no
    // race against a fixed sleep decides the outcome.
    let release = Arc::new(tokio::sync::Notify::new());
    let answered = Arc::new(AtomicBool::new(false));
    let slow_preview = TestServer::start(axum::Router::new().route(
        "/v1/schedules/preview",
        axum::routing::post({
            let release = release.clone();
            let answered = answered.clone();
            move || async move {
                release.notified().await;
                answered.store(true, Ordering::SeqCst);
                "too late"
            }
        }),
    ))
    .await;
    let settings = FrontendSettings {
        request_timeout: Duration::from_millis(300),
        ..FrontendSettings::new(service_urls(&slow_preview.url("")))
    };
    let frontend = TestServer::start(app_with(settings)).await;
    let mut visitor = Visitor::speaking("en");
    visitor.get(&frontend.url("/calculator")).await;

    let response = visitor
        .post(&frontend.url("/calculator"), &loan_form())
        .await;
    assert!(
        !answered.load(Ordering::SeqCst),
        "the frontend answered at its deadline, while the service was still working"
    );
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Please try again shortly."), "{html}");
    assert!(
        !html.contains("too late") && !html.contains("timed out"),
        "{html}"
    );
}
