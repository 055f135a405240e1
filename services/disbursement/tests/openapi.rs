//! The OpenAPI document describes every endpoint the service serves.

mod support;

use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn the_openapi_document_lists_every_endpoint(pool: PgPool) {
    let app = support::start(pool).await;
    let document: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let paths = document["paths"].as_object().unwrap();
    let expected = [
        ("/v1/schedules/preview", "post"),
        ("/v1/me/contracts", "get"),
        ("/v1/contracts", "get"),
        ("/v1/contracts/{id}", "get"),
        ("/v1/contracts/{id}/sign", "post"),
        ("/v1/contracts/{id}/document.pdf", "get"),
        ("/v1/contracts/{id}/activate", "post"),
        ("/v1/contracts/{id}/write-off", "post"),
        ("/v1/contracts/{id}/write-off/confirm", "post"),
        ("/v1/contracts/{id}/tranches", "put"),
        ("/v1/contracts/{id}/tranches/{number}/request", "post"),
        ("/v1/contracts/{id}/tranches/{number}/approve", "post"),
        ("/v1/contracts/{id}/tranches/{number}/cancel", "post"),
        ("/v1/contracts/{id}/tranches/{number}/disburse", "post"),
        ("/v1/contracts/{id}/schedule", "get"),
        ("/v1/contracts/{id}/repayments", "get"),
        ("/v1/contracts/{id}/repayments", "post"),
        ("/v1/contracts/{id}/recoveries", "get"),
        ("/v1/contracts/{id}/recoveries", "post"),
        ("/v1/arrears", "get"),
        ("/v1/arrears/run", "post"),
        ("/v1/loan-book", "get"),
        ("/v1/loan-book/contracts", "get"),
        ("/v1/loan-book/contracts.csv", "get"),
        ("/v1/loan-book/reconciliation", "get"),
        ("/v1/events", "post"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|item| item.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
}
