//! Hostile input at the platform's boundary: what an anonymous client sends must neither grow
//! the service's memory for good nor reach the database as text PostgreSQL cannot store.

use axum::extract::{Form, Path, Query};
use axum::routing::{get, post};
use axum::{Json, Router};
use imkon_platform::problem::JsonBody;
use imkon_platform::testing::{assert_problem, unreachable_pool, TestServer};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Founder {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Company {
    title: String,
    description: Option<String>,
    founders: Vec<Founder>,
}

async fn create_company(JsonBody(company): JsonBody<Company>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "title": company.title,
        "description": company.description,
        "founders": company.founders.iter().map(|founder| founder.name.clone()).collect::<Vec<_>>(),
    }))
}

#[derive(Debug, Deserialize)]
struct Search {
    username: Option<String>,
}

async fn search(Query(search): Query<Search>) -> String {
    search.username.unwrap_or_default()
}

async fn sign_in(Form(search): Form<Search>) -> String {
    search.username.unwrap_or_default()
}

async fn by_name(Path(name): Path<String>) -> String {
    name
}

async fn platform() -> TestServer {
    let api = Router::new()
        .route("/v1/companies", post(create_company))
        .route("/v1/search", get(search))
        .route("/v1/sign-in", post(sign_in))
        .route("/v1/names/{name}", get(by_name));
    TestServer::start(imkon_platform::http::service_router(
        "hostile",
        api,
        utoipa::openapi::OpenApi::default(),
        unreachable_pool(),
        &imkon_platform::config::HttpLimits::default(),
    ))
    .await
}

async fn metrics_text(server: &TestServer) -> String {
    server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn made_up_methods_and_raw_paths_do_not_grow_the_metrics() {
    let server = platform().await;
    let mut lines_after_one_round = 0;
    for (round, letter) in ['A', 'B', 'C', 'D', 'E'].into_iter().enumerate() {
        let method = reqwest::Method::from_bytes(letter.to_string().repeat(2000).as_bytes())
            .expect("a long token is a valid method");
        let response = server
            .client
            .request(method, server.url("/v1/search"))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error());
        let response = server
            .client
            .get(server.url(&format!(
                "/v1/nothing-here/{}",
                letter.to_string().repeat(500)
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        server
            .client
            .get(server.url(&format!("/v1/names/{}", letter.to_string().repeat(500))))
            .send()
            .await
            .unwrap();
        if round == 0 {
            // The first scrape is itself counted; the second sees every series one round makes.
            metrics_text(&server).await;
            lines_after_one_round = metrics_text(&server).await.lines().count();
        }
    }
    let after = metrics_text(&server).await;
    assert!(
        !after.contains("AAAA"),
        "a made-up method or raw path became a label:\n{after}"
    );
    assert!(after.contains("method=\"other\""), "{after}");
    assert!(after.contains("route=\"/v1/names/{name}\""), "{after}");
    assert!(after.contains("route=\"unmatched\""), "{after}");
    assert_eq!(
        after.lines().count(),
        lines_after_one_round,
        "more made-up methods and raw paths made more series:\n{after}"
    );
}

#[tokio::test]
async fn a_nul_in_a_nested_json_string_is_refused_naming_its_pointer() {
    let server = platform().await;
    let response = server
        .client
        .post(server.url("/v1/companies"))
        .json(&serde_json::json!({
            "title": "Imkon",
            "founders": [{"name": "Nodira"}, {"name": "Bad\u{0}name"}],
        }))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "/founders/1/name");
    assert_eq!(problem["errors"][0]["code"], "control_character");
}

#[tokio::test]
async fn control_characters_in_object_keys_and_c1_controls_are_refused_too() {
    let server = platform().await;
    for body in [
        r#"{"title":"Imkon","founders":[],"x\u0000":1}"#,
        r#"{"title":"Im\u001bkon","founders":[]}"#,
        "{\"title\":\"Im\u{85}kon\",\"founders\":[]}",
        r#"{"title":"Im\u007fkon","founders":[]}"#,
    ] {
        let response = server
            .client
            .post(server.url("/v1/companies"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, &[422], Some("validation_failed")).await;
    }
}

#[tokio::test]
async fn a_multi_line_text_field_and_an_escaped_backslash_are_still_accepted() {
    let server = platform().await;
    let description = "First line\r\nSecond line\n\tindented, and a backslash-u: \\u0000";
    let response = server
        .client
        .post(server.url("/v1/companies"))
        .json(&serde_json::json!({
            "title": "Imkon — «Ilm» ўқув маркази",
            "description": description,
            "founders": [{"name": "Nodira"}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["description"], description);
}

#[tokio::test]
async fn a_nul_in_a_query_or_path_parameter_is_refused() {
    let server = platform().await;
    let response = server
        .client
        .get(server.url("/v1/search?username=ab%00cd"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "username");

    let response = server
        .client
        .get(server.url("/v1/names/ab%00cd"))
        .send()
        .await
        .unwrap();
    assert_problem(response, &[422], Some("validation_failed")).await;

    let response = server
        .client
        .get(server.url("/v1/search?username=Nodira%20Qodirova"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "Nodira Qodirova");
}

#[tokio::test]
async fn a_nul_in_a_form_field_is_refused_and_a_clean_form_still_reaches_the_handler() {
    let server = platform().await;
    let response = server
        .client
        .post(server.url("/v1/sign-in"))
        .form(&[("username", "ab\u{0}cd")])
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "username");

    let response = server
        .client
        .post(server.url("/v1/sign-in"))
        .form(&[("username", "Nodira\r\nQodirova")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "Nodira\r\nQodirova");
}
