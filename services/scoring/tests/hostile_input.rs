//! Hostile input to scoring: a batch too big is refused while it arrives, text PostgreSQL
//! cannot store never reaches it, and a definition outside the shape its DTO declares is a
//! 422 naming each field by its JSON path, before any work.

mod common;

use std::time::Duration;

use common::{definition_value, Harness};
use imkon_platform::testing::assert_problem;
use imkon_scoring::domain::seeds::synthetic_scorecard;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[sqlx::test(migrations = false)]
async fn a_batch_over_the_row_limit_is_refused_while_the_body_is_still_arriving(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = harness.create_active(&synthetic_scorecard()).await;
    // The body announces 30 MiB but only its first 10 001 rows are sent; the rest never comes.
    // Counting rows as they are read answers now; reading the whole body first never would.
    let head = format!(r#"{{"rows":[{}"#, r#"{"x01":1},"#.repeat(10_001));
    let mut stream = tokio::net::TcpStream::connect(harness.server.addr)
        .await
        .unwrap();
    let request = format!(
        "POST /v1/scorecards/{id}/evaluate-batch HTTP/1.1\r\nhost: localhost\r\n\
         authorization: Bearer {}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{head}",
        harness.officer(),
        30 * 1024 * 1024
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read_status_line = async {
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the connection closed without an answer");
            answer.extend_from_slice(&buffer[..read]);
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read_status_line)
        .await
        .expect("the batch is refused before its body has arrived");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
}

#[sqlx::test(migrations = false)]
async fn a_streamed_batch_still_names_bad_bodies_and_counts_rows(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = harness.create_active(&synthetic_scorecard()).await;
    let path = format!("/v1/scorecards/{id}/evaluate-batch");
    let officer = harness.officer();
    let malformed = harness.post(&path, Some(&officer), r#"{"rows": [{"#).await;
    assert_problem(malformed, &[400], Some("malformed_json")).await;
    // The body is parsed by the scorecard's names, so the scorecard is looked up first.
    let missing_scorecard = harness
        .post(
            &format!("/v1/scorecards/{}/evaluate-batch", uuid::Uuid::now_v7()),
            Some(&officer),
            r#"{"rows": [{"#,
        )
        .await;
    assert_eq!(missing_scorecard.status(), 404);
    let unknown = harness
        .post(&path, Some(&officer), r#"{"rows": [], "extra": 1}"#)
        .await;
    assert_problem(unknown, &[422], Some("invalid_body")).await;
    let missing = harness.post(&path, Some(&officer), r#"{}"#).await;
    assert_problem(missing, &[422], Some("invalid_body")).await;
    let response = harness
        .server
        .client
        .post(harness.server.url(&path))
        .bearer_auth(&officer)
        .header("content-type", "text/plain")
        .body(r#"{"rows": []}"#)
        .send()
        .await
        .unwrap();
    assert_problem(response, &[415], Some("unsupported_media_type")).await;
    let response = harness
        .post(
            &path,
            Some(&officer),
            r#"{"rows": [{"x01": 1}, {"x01": 2}]}"#,
        )
        .await;
    assert_eq!(response.status(), 200);
    let batch: serde_json::Value = response.json().await.unwrap();
    assert_eq!(batch["results"].as_array().unwrap().len(), 2);
}

#[sqlx::test(migrations = false)]
async fn an_imported_card_holding_a_nul_is_refused_naming_its_line(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let csv = "variable,bin,points\n\
               basepoints,,450\n\
               purpose,car\u{0},5\n\
               purpose,van,3\n";
    let response = harness
        .server
        .client
        .post(harness.server.url("/v1/scorecards/import?name=Hostile"))
        .bearer_auth(harness.officer())
        .header("content-type", "text/csv")
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, &[422], Some("invalid_scorecard_csv")).await;
    assert_eq!(problem["errors"][0]["field"], "line 3");
    assert_eq!(problem["errors"][0]["code"], "control_character");
}

/// Asserts a 422 `validation_failed` whose only error names `field` with `code`.
async fn assert_limit(response: reqwest::Response, field: &str, code: &str) {
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    let errors = problem["errors"].as_array().expect("the fields at fault");
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(errors[0]["field"], field, "{problem}");
    assert_eq!(errors[0]["code"], code, "{problem}");
}

#[sqlx::test(migrations = false)]
async fn a_definition_outside_its_declared_shape_is_refused_naming_each_field(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let valid = definition_value(&synthetic_scorecard());
    let knockout = json!({
        "input": "x01",
        "condition": "missing",
        "reason_code": "K".repeat(101),
        "description": "a reason code one character too long",
    });
    let edit = |change: &dyn Fn(&mut Value)| {
        let mut body = valid.clone();
        change(&mut body);
        body.to_string()
    };
    let cases = [
        (edit(&|body| body["name"] = "".into()), "name", "empty_name"),
        (
            edit(&|body| body["characteristics"] = json!([])),
            "characteristics",
            "no_characteristics",
        ),
        (edit(&|body| body["bands"] = json!([])), "bands", "no_bands"),
        (
            edit(&|body| body["characteristics"][0]["bins"] = json!([])),
            "characteristics[0].bins",
            "no_bins",
        ),
        (
            edit(&|body| body["characteristics"][1]["name"] = "x".repeat(65).into()),
            "characteristics[1].name",
            "invalid_input_name",
        ),
        (
            edit(&|body| {
                body["characteristics"][0]["bins"][1]["reason_code"] = "R".repeat(101).into();
            }),
            "characteristics[0].bins[1].reason_code",
            "invalid_reason_code",
        ),
        (
            edit(&|body| body["knockouts"] = json!([knockout])),
            "knockouts[0].reason_code",
            "invalid_reason_code",
        ),
    ];
    for (body, field, code) in &cases {
        let response = harness
            .post("/v1/scorecards", Some(&harness.officer()), body)
            .await;
        assert_limit(response, field, code).await;
    }
    let refused = harness
        .post("/v1/scorecards", Some(&harness.founder()), &cases[0].0)
        .await;
    assert_problem(refused, &[403], None).await;

    let id = harness.create(&synthetic_scorecard()).await;
    let response = harness
        .post(
            &format!("/v1/scorecards/{id}/versions"),
            Some(&harness.officer()),
            &cases[3].0,
        )
        .await;
    assert_limit(response, "characteristics[0].bins", "no_bins").await;
    let response = harness
        .put(
            &format!("/v1/scorecards/{id}/versions/1"),
            &harness.officer(),
            &cases[1].0,
        )
        .await;
    assert_limit(response, "characteristics", "no_characteristics").await;
}

#[sqlx::test(migrations = false)]
async fn the_openapi_document_carries_the_declared_shape(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let document: Value = harness
        .get("/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let schemas = &document["components"]["schemas"];
    let characteristic = &schemas["CharacteristicDefinition"]["properties"];
    assert_eq!(
        characteristic["name"]["maxLength"],
        imkon_scoring::domain::scorecard::InputName::MAX_LENGTH,
        "{characteristic}"
    );
    assert_eq!(characteristic["bins"]["minItems"], 1, "{characteristic}");
    assert_eq!(
        schemas["BinDefinition"]["properties"]["reason_code"]["maxLength"],
        imkon_scoring::domain::scorecard::ReasonCode::MAX_LENGTH
    );
    let definition = &schemas["ScorecardDefinition"]["properties"];
    assert_eq!(definition["characteristics"]["minItems"], 1, "{definition}");
    assert_eq!(definition["bands"]["minItems"], 1, "{definition}");
    // The batch's explain parameter and the forms of its answer are declared.
    let parameters = document["paths"]["/v1/scorecards/{id}/evaluate-batch"]["post"]["parameters"]
        .as_array()
        .unwrap();
    let explain = parameters
        .iter()
        .find(|parameter| parameter["name"] == "explain")
        .expect("an explain parameter");
    assert_eq!(explain["in"], "query");
    assert_eq!(
        explain["schema"]["enum"],
        serde_json::json!(["full", "none", "bins"]),
        "{explain}"
    );
    let batch = &schemas["BatchResponse"]["properties"];
    assert!(batch["characteristics"].is_object(), "{batch}");
    let outcome = &schemas["BatchOutcome"]["properties"];
    assert!(outcome["bins"].is_object(), "{outcome}");
    assert!(outcome["characteristics"].is_object(), "{outcome}");
}
