//! `/metrics` against a real database: the outbox backlog and its oldest event's age follow
//! the outbox as events are written and delivered, and the pool gauges describe the pool.

use axum::Router;
use imkon_platform::config::HttpLimits;
use imkon_platform::http::service_router;
use imkon_platform::outbox;
use imkon_platform::testing::TestServer;
use sqlx::PgPool;

/// The test service's `/metrics` text.
async fn scrape(server: &TestServer) -> String {
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The value of the gauge `name` for the test service in a scrape.
async fn gauge(server: &TestServer, name: &str) -> f64 {
    let text = scrape(server).await;
    let prefix = format!("{name}{{service=\"scoring\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in the scrape:\n{text}"))
        .parse()
        .unwrap_or_else(|error| panic!("{name} is not a number: {error}"))
}

async fn server(pool: &PgPool) -> TestServer {
    let api_doc = utoipa::openapi::OpenApiBuilder::new().build();
    TestServer::start(service_router(
        "scoring",
        Router::new(),
        api_doc,
        pool.clone(),
        &HttpLimits::default(),
    ))
    .await
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn the_outbox_backlog_and_its_oldest_age_follow_undelivered_events(pool: PgPool) {
    let server = server(&pool).await;
    assert_eq!(gauge(&server, "outbox_backlog_events").await, 0.0);
    assert_eq!(gauge(&server, "outbox_oldest_event_age_seconds").await, 0.0);

    let mut transaction = pool.begin().await.unwrap();
    let old = outbox::enqueue(&mut transaction, "test.happened", &serde_json::json!({}))
        .await
        .unwrap();
    outbox::enqueue(&mut transaction, "test.happened", &serde_json::json!({}))
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    sqlx::query("update outbox_event set created_at = now() - interval '90 seconds' where id = $1")
        .bind(old)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(gauge(&server, "outbox_backlog_events").await, 2.0);
    let age = gauge(&server, "outbox_oldest_event_age_seconds").await;
    assert!((90.0..120.0).contains(&age), "oldest event's age {age}");

    // Delivering the old event leaves one recent event behind.
    sqlx::query("update outbox_event set delivered_at = now() where id = $1")
        .bind(old)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(gauge(&server, "outbox_backlog_events").await, 1.0);
    let age = gauge(&server, "outbox_oldest_event_age_seconds").await;
    assert!(
        age < 60.0,
        "the delivered event no longer counts: age {age}"
    );
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn the_pool_gauges_describe_the_services_pool(pool: PgPool) {
    let server = server(&pool).await;
    let max = gauge(&server, "db_pool_connections_max").await;
    assert_eq!(max, f64::from(pool.options().get_max_connections()));
    let open = gauge(&server, "db_pool_connections_open").await;
    let in_use = gauge(&server, "db_pool_connections_in_use").await;
    assert!(
        open >= 1.0,
        "the scrape itself used a connection: open {open}"
    );
    assert!(
        in_use <= open && open <= max,
        "in use {in_use}, open {open}, max {max}"
    );
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn request_latency_is_a_histogram_per_route_and_status_class(pool: PgPool) {
    let server = server(&pool).await;
    for _ in 0..3 {
        server
            .client
            .get(server.url("/health/live"))
            .send()
            .await
            .unwrap();
    }
    server
        .client
        .get(server.url("/nowhere"))
        .send()
        .await
        .unwrap();
    let text = scrape(&server).await;
    let live = "service=\"scoring\",method=\"GET\",route=\"/health/live\",status_class=\"2xx\"";
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
    assert!(
        text.contains(&format!(
            "http_request_duration_seconds_bucket{{{live},le=\"+Inf\"}} 3"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("http_request_duration_seconds_count{{{live}}} 3")),
        "{text}"
    );
    // Buckets are cumulative: each holds at least what the one below it holds.
    let buckets: Vec<u64> = text
        .lines()
        .filter(|line| line.starts_with(&format!("http_request_duration_seconds_bucket{{{live}")))
        .map(|line| line.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.len() > 10, "{text}");
    assert!(
        buckets.windows(2).all(|pair| pair[0] <= pair[1]),
        "{buckets:?}"
    );
    assert!(
        text.contains("route=\"unmatched\",status_class=\"4xx\""),
        "{text}"
    );
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn figures_recorded_by_background_work_appear_under_their_service(pool: PgPool) {
    use imkon_platform::metrics::{
        observe, set_gauge, EVENT_CONSUMER_PENDING, LEDGER_BATCH_TRANSFERS,
    };
    set_gauge(EVENT_CONSUMER_PENDING, "scoring", 7.0);
    set_gauge(EVENT_CONSUMER_PENDING, "onboarding", 9.0);
    observe(LEDGER_BATCH_TRANSFERS, "scoring", 3.0);
    let server = server(&pool).await;
    assert_eq!(gauge(&server, "event_consumer_pending_events").await, 7.0);
    let text = scrape(&server).await;
    assert!(
        text.contains("ledger_batch_transfers_bucket{service=\"scoring\",le=\"2\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("ledger_batch_transfers_bucket{service=\"scoring\",le=\"4\"} 1"),
        "{text}"
    );
    assert!(!text.contains("service=\"onboarding\""), "{text}");
}
