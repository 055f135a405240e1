//! The whole platform in one process, on its own databases: every service becomes ready.

use imkon::{PlatformOptions, SERVICES};
use imkon_platform::config::Secret;

fn server_url() -> Secret<String> {
    Secret::new(
        std::env::var("DATABASE_URL")
            .expect("the test command sets DATABASE_URL to a PostgreSQL server"),
    )
}

async fn drop_databases(prefix: &str) {
    let pool = sqlx::PgPool::connect(server_url().expose()).await.unwrap();
    let services = SERVICES.iter().map(|(service, _)| *service);
    for service in services.chain([imkon_frontend::SERVICE]) {
        sqlx::query(&format!(
            "drop database if exists {prefix}_{service} with (force)"
        ))
        .execute(&pool)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn every_service_of_the_platform_becomes_ready() {
    let prefix = format!("imkon_e2e_{}", uuid::Uuid::now_v7().simple());
    let options = PlatformOptions::new(server_url(), &prefix, true);
    let platform = imkon::start(&options).await.expect("the platform starts");
    assert_eq!(
        platform.urls.len(),
        SERVICES.len() + 1,
        "five services and the frontend"
    );
    let client = reqwest::Client::new();
    for (name, url) in &platform.urls {
        let ready = client
            .get(format!("{url}/health/ready"))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), 200, "{name} is ready");
        if name != "frontend" {
            let document: serde_json::Value = client
                .get(format!("{url}/openapi.json"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(document["info"]["title"], format!("Imkon {name} service"));
        }
    }
    // The launcher's frontend keeps its sessions in a database of its own, as in production.
    let frontend_database =
        imkon_platform::db::database_url(&server_url(), &format!("{prefix}_frontend")).unwrap();
    let sessions = sqlx::PgPool::connect(frontend_database.expose())
        .await
        .unwrap();
    let session_table: Option<String> =
        sqlx::query_scalar("select to_regclass('frontend_session')::text")
            .fetch_one(&sessions)
            .await
            .unwrap();
    assert_eq!(session_table.as_deref(), Some("frontend_session"));
    sessions.close().await;
    platform.stop().await;
    drop_databases(&prefix).await;
}

#[tokio::test]
async fn an_unreachable_database_stops_start_up_with_one_clear_line() {
    let options = PlatformOptions::new(
        Secret::new("postgres://nobody@127.0.0.1:1/postgres".to_owned()),
        "imkon_never",
        true,
    );
    let error = imkon::start(&options)
        .await
        .err()
        .expect("start-up fails")
        .to_string();
    assert!(
        error.contains("cannot reach the database 127.0.0.1:1"),
        "{error}"
    );
    assert!(!error.contains('\n'), "one line: {error}");
}

#[test]
fn the_demo_programmes_name_the_demo_scorecards_that_scoring_seeds() {
    assert_eq!(
        imkon_applications::seed::GRANT_SCORECARD_ID,
        imkon_scoring::seed::GRANT_SCORECARD_ID
    );
    assert_eq!(
        imkon_applications::seed::LOAN_SCORECARD_ID,
        imkon_scoring::seed::LOAN_SCORECARD_ID
    );
}
