//! What a password login writes to the logs.

mod common;

use common::spawn;
use imkon_auth::Role;
use sqlx::PgPool;

const PASSWORD: &str = "officer-demo-pass";

/// Everything a test's tracing subscriber writes, for reading back.
#[derive(Clone, Default)]
struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[sqlx::test(migrations = false)]
async fn a_password_typed_into_the_username_box_never_reaches_the_logs(pool: PgPool) {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    // Every span is written with its fields when it closes, so a field on the sign-in span
    // shows even when nothing inside it logs an event. The subscriber is the process's own,
    // which is why this test has a binary to itself: a thread's subscriber races with other
    // tests over tracing's shared cache of which call sites are enabled.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let app = spawn(pool).await;
    let kyc1 = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    assert_eq!(app.login("Tashkent-Spring-2026!", "").await.status(), 401);
    // The password is accepted; a KYC officer then passes the second factor.
    assert_eq!(app.login("kyc1", PASSWORD).await.status(), 202);
    let written = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        written.contains("login_with_password"),
        "the sign-in span was written: {written}"
    );
    assert!(!written.contains("Tashkent-Spring-2026"), "{written}");
    assert!(!written.to_lowercase().contains("tashkent-spring-2026"));
    assert!(
        written.contains(&kyc1.to_string()),
        "the account id is: {written}"
    );
}
