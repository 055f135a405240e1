//! Sessions in PostgreSQL: two frontends share them, a restarted frontend keeps its visitors
//! signed in, the database holds neither a usable id nor a readable refresh token, expired
//! sessions are refused and swept, and readiness follows the session database.

mod support;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use imkon_frontend::web::session::postgres::{migrator, PostgresSessionStore};
use imkon_frontend::web::session::sealing::SessionEncryptionKey;
use imkon_frontend::web::session::{
    SessionData, SessionError, SessionId, SessionStore, SessionTimeouts,
};
use imkon_frontend::{app_with_sessions, FrontendSettings, ServiceUrls};
use imkon_platform::testing::{unreachable_pool, TestServer};
use reqwest::header::{HeaderMap, HeaderValue, COOKIE, LOCATION};
use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use support::browser::Browser;
use support::services::{schema_pool, Services};

const REFRESH_TOKEN: &str = "refresh-token-that-must-never-be-stored-in-clear";

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A pool on the `frontend` schema of the test database, migrated as the frontend migrates
/// its session database. Each call opens a pool of its own, as each frontend process does.
async fn session_pool(pool_options: &PgPoolOptions, connect: &PgConnectOptions) -> PgPool {
    let pool = schema_pool(pool_options, connect, "frontend").await;
    migrator().run(&pool).await.expect("the frontend migrates");
    pool
}

fn store(pool: PgPool, key: &SessionEncryptionKey) -> PostgresSessionStore {
    PostgresSessionStore::new(pool, key.clone(), SessionTimeouts::default())
}

fn signed_in_data() -> SessionData {
    let mut data = SessionData::default();
    data.insert("person.id", "p-1");
    data.insert("refresh_token", REFRESH_TOKEN);
    data
}

/// The id a browser would send back, read from the `Set-Cookie` an id makes.
fn cookie_value(id: &SessionId) -> String {
    let line = id.cookie();
    let pair = line.to_str().unwrap().split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}

/// Every row of the session table as text, bytea columns in hex, as a database reader sees it.
async fn table_as_text(pool: &PgPool) -> String {
    sqlx::query_scalar::<_, String>(
        "select coalesce(string_agg(row_to_json(s)::text, '\n'), '') from frontend_session s",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn session_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from frontend_session")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_session_written_by_one_frontend_is_read_changed_and_rotated_by_another(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let key = SessionEncryptionKey::generate();
    let first = store(session_pool(&pool_options, &connect).await, &key);
    let second = store(session_pool(&pool_options, &connect).await, &key);

    let id = first.create(signed_in_data(), start()).await.unwrap();
    assert_eq!(
        second.load(&id, start()).await.unwrap(),
        Some(signed_in_data())
    );

    let mut changed = signed_in_data();
    changed.insert("transfer.pending", "t-1");
    second.save(&id, changed.clone(), start()).await.unwrap();
    assert_eq!(
        first.load(&id, start()).await.unwrap(),
        Some(changed.clone())
    );

    let rotated = first.rotate(&id, start()).await.unwrap();
    assert_ne!(rotated, id);
    assert_eq!(second.load(&id, start()).await.unwrap(), None);
    assert_eq!(
        second.rotate(&id, start()).await,
        Err(SessionError::NotFound)
    );
    assert_eq!(second.load(&rotated, start()).await.unwrap(), Some(changed));

    second.destroy(&rotated).await.unwrap();
    assert_eq!(first.load(&rotated, start()).await.unwrap(), None);
    assert_eq!(
        first.save(&rotated, SessionData::default(), start()).await,
        Err(SessionError::NotFound)
    );
    second.destroy(&rotated).await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_persons_other_sessions_end_together_in_every_frontend_and_the_table_does_not_name_them(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let key = SessionEncryptionKey::generate();
    let pool = session_pool(&pool_options, &connect).await;
    let first = store(pool.clone(), &key);
    let second = store(session_pool(&pool_options, &connect).await, &key);
    let here = first.create(signed_in_data(), start()).await.unwrap();
    let elsewhere = second.create(signed_in_data(), start()).await.unwrap();
    let someone_else = second.create(signed_in_data(), start()).await.unwrap();
    first.set_owner(&here, "p-1").await.unwrap();
    second.set_owner(&elsewhere, "p-1").await.unwrap();
    second.set_owner(&someone_else, "p-2").await.unwrap();
    let owners: String = sqlx::query_scalar(
        "select string_agg(encode(owner_tag, 'escape'), ',') from frontend_session_owner",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!owners.contains("p-1"), "tags, not the person's id");

    assert_eq!(first.end_others("p-1", &here).await, Ok(1));
    assert_eq!(second.load(&elsewhere, start()).await.unwrap(), None);
    assert!(second.load(&here, start()).await.unwrap().is_some());
    assert!(first.load(&someone_else, start()).await.unwrap().is_some());

    // Rotation and logout take the tag with the old row.
    let rotated = first.rotate(&here, start()).await.unwrap();
    assert_eq!(second.end_others("p-1", &someone_else).await, Ok(0));
    assert!(first.load(&rotated, start()).await.unwrap().is_some());
    assert_eq!(
        first.set_owner(&here, "p-1").await,
        Err(SessionError::NotFound)
    );
    second.destroy(&someone_else).await.unwrap();
    let tags: i64 = sqlx::query_scalar("select count(*) from frontend_session_owner")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tags, 0);
}

#[sqlx::test(migrations = false)]
async fn the_database_holds_neither_the_id_nor_the_refresh_token_in_clear(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = session_pool(&pool_options, &connect).await;
    let key = SessionEncryptionKey::generate();
    let sessions = store(pool.clone(), &key);
    let id = sessions.create(signed_in_data(), start()).await.unwrap();

    let table = table_as_text(&pool).await;
    assert!(table.contains("sealed_data"), "the row is read: {table}");
    let hex = |text: &str| text.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    for secret in [REFRESH_TOKEN, cookie_value(&id).as_str(), "p-1"] {
        assert!(!table.contains(secret), "{secret} is in the table in clear");
        assert!(
            !table.contains(&hex(secret)),
            "{secret} is in the table as bytes"
        );
    }

    // The same database read with another key is no session: a changed key signs everyone
    // out rather than failing their requests.
    let other_key = store(pool.clone(), &SessionEncryptionKey::generate());
    assert_eq!(other_key.load(&id, start()).await.unwrap(), None);
    assert_eq!(
        sessions.load(&id, start()).await.unwrap(),
        Some(signed_in_data())
    );
}

#[sqlx::test(migrations = false)]
async fn sealed_data_copied_into_another_session_does_not_open_there(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = session_pool(&pool_options, &connect).await;
    let sessions = store(pool.clone(), &SessionEncryptionKey::generate());
    let victim = sessions.create(signed_in_data(), start()).await.unwrap();
    let attacker = sessions
        .create(SessionData::default(), start())
        .await
        .unwrap();
    assert_eq!(session_count(&pool).await, 2);
    // A database writer who holds the attacker's cookie copies the victim's sealed data into
    // the attacker's row.
    sqlx::query(
        "update frontend_session
         set sealed_data = (select sealed_data from frontend_session where id_hash = $2)
         where id_hash = $1",
    )
    .bind(sha256(&cookie_value(&attacker)))
    .bind(sha256(&cookie_value(&victim)))
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(sessions.load(&attacker, start()).await.unwrap(), None);
    assert_eq!(
        sessions.load(&victim, start()).await.unwrap(),
        Some(signed_in_data())
    );
}

fn sha256(text: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).to_vec()
}

#[sqlx::test(migrations = false)]
async fn an_expired_session_is_refused_and_swept_and_a_live_one_is_kept(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = session_pool(&pool_options, &connect).await;
    let sessions = store(pool.clone(), &SessionEncryptionKey::generate());
    let idle = sessions.create(signed_in_data(), start()).await.unwrap();
    let busy = sessions.create(signed_in_data(), start()).await.unwrap();

    let ten_minutes_later = start() + TimeDelta::minutes(10);
    assert!(sessions
        .load(&busy, ten_minutes_later)
        .await
        .unwrap()
        .is_some());
    let twenty_minutes_later = start() + TimeDelta::minutes(20);
    assert_eq!(
        sessions.load(&idle, twenty_minutes_later).await.unwrap(),
        None,
        "twenty idle minutes end a session"
    );
    assert_eq!(
        sessions
            .save(&idle, SessionData::default(), twenty_minutes_later)
            .await,
        Err(SessionError::NotFound)
    );

    assert_eq!(
        sessions.sweep_expired(twenty_minutes_later).await.unwrap(),
        1,
        "the idle session is swept"
    );
    assert_eq!(session_count(&pool).await, 1);
    assert_eq!(
        sessions.rotate(&idle, twenty_minutes_later).await,
        Err(SessionError::NotFound)
    );
    assert!(
        sessions
            .load(&busy, twenty_minutes_later)
            .await
            .unwrap()
            .is_some(),
        "the busy session, seen ten minutes ago, survives the sweep"
    );
}

#[sqlx::test(migrations = false)]
async fn the_sweep_deletes_expired_sessions_in_batches_until_none_is_left(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = session_pool(&pool_options, &connect).await;
    let sessions = store(pool.clone(), &SessionEncryptionKey::generate());
    let expired = PostgresSessionStore::SWEEP_BATCH + 5;
    sqlx::query(
        "insert into frontend_session
             (id_hash, sealed_data, created_at, last_seen_at, absolute_expires_at, expires_at)
         select sha256(n::text::bytea), decode(repeat('00', 48), 'hex'),
                $1, $1, $1 + interval '8 hours', $1 + interval '15 minutes'
         from generate_series(1, $2) as n",
    )
    .bind(start())
    .bind(expired)
    .execute(&pool)
    .await
    .unwrap();
    let live = sessions.create(signed_in_data(), start()).await.unwrap();
    let later = start() + TimeDelta::minutes(16);
    sessions
        .load(&live, start() + TimeDelta::minutes(10))
        .await
        .unwrap();

    let swept = sessions.sweep_expired(later).await.unwrap();
    assert_eq!(swept, u64::try_from(expired).unwrap());
    assert_eq!(session_count(&pool).await, 1);
    assert!(sessions.load(&live, later).await.unwrap().is_some());
}

#[sqlx::test(migrations = false)]
async fn rotation_keeps_the_absolute_deadline(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let sessions = store(
        session_pool(&pool_options, &connect).await,
        &SessionEncryptionKey::generate(),
    );
    let mut id = sessions.create(signed_in_data(), start()).await.unwrap();
    let mut now = start();
    while now - start() <= TimeDelta::hours(8) {
        now += TimeDelta::minutes(10);
        match sessions.rotate(&id, now).await {
            Ok(new) => id = new,
            Err(error) => {
                assert_eq!(error, SessionError::NotFound);
                assert!(now - start() > TimeDelta::hours(8), "ended at {now}");
                return;
            }
        }
    }
    panic!("rotating every ten minutes must not keep a session alive past eight hours");
}

fn services_at(services: &Services) -> ServiceUrls {
    ServiceUrls {
        onboarding: services.onboarding.url(""),
        applications: services.applications.url(""),
        scoring: "http://127.0.0.1:1".to_owned(),
        disbursement: "http://127.0.0.1:1".to_owned(),
        accounts: "http://127.0.0.1:1".to_owned(),
    }
}

/// A frontend process over the session database: its own pool, its own store.
async fn frontend(
    services: &Services,
    pool_options: &PgPoolOptions,
    connect: &PgConnectOptions,
    key: &SessionEncryptionKey,
) -> TestServer {
    let sessions = store(session_pool(pool_options, connect).await, key);
    let settings = FrontendSettings::new(services_at(services));
    TestServer::start(app_with_sessions(settings, Arc::new(sessions))).await
}

/// The browser's answer for its list of applications: 200 signed in, 303 to the login page
/// otherwise.
async fn applications_page(browser: &mut Browser, frontend: &TestServer) -> reqwest::Response {
    browser.get(&frontend.url("/applications")).await
}

#[sqlx::test(migrations = false)]
async fn a_restarted_frontend_and_a_second_one_keep_the_visitor_signed_in(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let services = Services::start(pool_options.clone(), connect.clone()).await;
    let key = SessionEncryptionKey::generate();
    let before_restart = frontend(&services, &pool_options, &connect, &key).await;
    let mut founder = Browser::speaking("en");
    let signed_in = founder
        .sign_in(
            &before_restart.url(""),
            &services.onboarding_pool,
            &[("username", "founder1"), ("password", "founder1-demo-pass")],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let page = applications_page(&mut founder, &before_restart).await;
    assert_eq!(page.status(), StatusCode::OK);
    drop(before_restart);

    let after_restart = frontend(&services, &pool_options, &connect, &key).await;
    let page = applications_page(&mut founder, &after_restart).await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the restarted frontend still knows the founder's session"
    );

    let beside = frontend(&services, &pool_options, &connect, &key).await;
    let page = applications_page(&mut founder, &beside).await;
    assert_eq!(page.status(), StatusCode::OK, "a second frontend shares it");

    // A visitor without the cookie is still sent to sign in, and logging out on one frontend
    // ends the session on the other.
    let mut stranger = Browser::speaking("en");
    let page = applications_page(&mut stranger, &after_restart).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert!(page.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    let session_cookie = founder.cookie("__Host-imkon_session").unwrap().to_owned();
    let logout = founder.post(&beside.url("/logout"), &[]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let mut headers = HeaderMap::new();
    headers.insert(
        COOKIE,
        HeaderValue::from_str(&format!("__Host-imkon_session={session_cookie}")).unwrap(),
    );
    let replayed = after_restart
        .client
        .get(after_restart.url("/applications"))
        .headers(headers)
        .send()
        .await
        .unwrap();
    assert!(
        replayed.url().path().starts_with("/login"),
        "the old cookie leads to the login page after logout, not to {}",
        replayed.url()
    );
}

#[sqlx::test(migrations = false)]
async fn readiness_follows_the_session_database_and_metrics_count_live_sessions(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = session_pool(&pool_options, &connect).await;
    let key = SessionEncryptionKey::generate();
    let sessions = store(pool, &key);
    sessions
        .create(signed_in_data(), imkon_platform::id::now_utc())
        .await
        .unwrap();
    let unused = ServiceUrls {
        onboarding: "http://127.0.0.1:1".to_owned(),
        applications: "http://127.0.0.1:1".to_owned(),
        scoring: "http://127.0.0.1:1".to_owned(),
        disbursement: "http://127.0.0.1:1".to_owned(),
        accounts: "http://127.0.0.1:1".to_owned(),
    };
    let healthy = TestServer::start(app_with_sessions(
        FrontendSettings::new(unused.clone()),
        Arc::new(sessions),
    ))
    .await;
    let ready = healthy
        .client
        .get(healthy.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let metrics = healthy
        .client
        .get(healthy.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("frontend_sessions_live{service=\"frontend\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("db_pool_connections_max{service=\"frontend\"}"));

    let cut_off = TestServer::start(app_with_sessions(
        FrontendSettings::new(unused),
        Arc::new(store(unreachable_pool(), &key)),
    ))
    .await;
    let not_ready = cut_off
        .client
        .get(cut_off.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let live = cut_off
        .client
        .get(cut_off.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.status(),
        StatusCode::OK,
        "the process lives on while its database is away"
    );
}
