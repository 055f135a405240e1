//! The frontend with the disbursement service's real schedule preview and, when
//! `DATABASE_URL` is set, the real onboarding and applications services with their demo data:
//! the server the browser tests drive, and a quick look at the pages for a developer.
//!
//! `cargo run -p imkon-frontend --example frontend-demo` prints
//! `frontend listening on http://127.0.0.1:PORT` once it accepts connections, and serves until
//! interrupted (SIGINT or SIGTERM). `FRONTEND_DEMO_PORT` picks the port (a free one by default).
//!
//! With `DATABASE_URL` (a server where the user may create databases), the demo creates five
//! fresh databases, `frontend_demo_<random>_onboarding`, `…_applications`, `…_scoring`,
//! `…_accounts` and `…_disbursement`, migrates and seeds them (the real scoring service scores
//! every application with the demo scorecards), and drops them when it stops. founder1 then has
//! a current account with money in it, a loan paid out into it and a loan awaiting signature;
//! the real disbursement service answers the schedule preview too. Onboarding's and
//! applications' events are relayed as in a deployment, so a founder who registers through the
//! pages gets an account once KYC approves them, and an approved loan becomes a contract to
//! sign. The demo logins are those of
//! `imkon_onboarding::demo_logins()` (founder1 / founder1-demo-pass and so on) and `dual1` /
//! `dual1-demo-pass`, a credit officer who is also an approver. Staff then enter a TOTP code:
//! each login's secret is `imkon_onboarding::demo_totp_secret(username)`, printed below.
//!
//! The demo sends no email: onboarding's outgoing mail (a password reset link) is printed
//! instead, one line per email, `mail to RECIPIENT: LINK`, and marked sent. The browser tests
//! read the reset link from that line, as a person would from their inbox.

#[path = "../tests/support/mod.rs"]
mod support;

use std::error::Error;
use std::io::Write;

use imkon_frontend::ServiceUrls;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use support::demo::DemoDatabases;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let port: u16 = match std::env::var("FRONTEND_DEMO_PORT") {
        Ok(text) => text.parse()?,
        Err(_) => 0,
    };
    let preview_listener = TcpListener::bind("127.0.0.1:0").await?;
    let preview_url = format!("http://{}", preview_listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let preview_shutdown = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(preview_listener, support::schedule_preview::router())
            .with_graceful_shutdown(preview_shutdown.cancelled_owned())
            .await
    });

    let unused = "http://127.0.0.1:1".to_owned();
    let databases = match std::env::var("DATABASE_URL") {
        Ok(url) => Some(DemoDatabases::create(&url).await?),
        Err(_) => None,
    };
    let started = match &databases {
        Some(databases) => Some(databases.start_services(&shutdown).await),
        None => None,
    };
    let services = match started {
        Some(Ok(services)) => Some(services),
        Some(Err(error)) => {
            if let Some(databases) = databases {
                databases.drop_all().await?;
            }
            return Err(error);
        }
        None => None,
    };
    let service_urls = ServiceUrls {
        onboarding: services
            .as_ref()
            .map_or(unused.clone(), |(services, _)| services.onboarding.url("")),
        applications: services.as_ref().map_or(unused.clone(), |(services, _)| {
            services.applications.url("")
        }),
        scoring: services
            .as_ref()
            .map_or(unused.clone(), |(services, _)| services.scoring.url("")),
        disbursement: services
            .as_ref()
            .map_or(preview_url, |(_, money)| money.disbursement.url("")),
        accounts: services
            .as_ref()
            .map_or(unused, |(_, money)| money.accounts.url("")),
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("frontend listening on http://{}", listener.local_addr()?);
    for login in imkon_onboarding::demo_logins().0 {
        if let Some(secret) = login.totp_secret {
            println!(
                "  {:<10} second factor (TOTP) secret: {secret}",
                login.username
            );
        }
    }
    println!(
        "  {:<10} second factor (TOTP) secret: {}",
        "dual1",
        imkon_onboarding::demo_totp_secret("dual1").to_base32()
    );
    std::io::stdout().flush()?;

    if let Some((services, _)) = &services {
        tokio::spawn(print_mail(
            services.onboarding_pool.clone(),
            shutdown.clone(),
        ));
    }

    let interrupt = shutdown.clone();
    tokio::spawn(async move {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(terminate) => terminate,
                Err(_) => return,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        interrupt.cancel();
    });
    let served = imkon_frontend::run_on(listener, service_urls, shutdown).await;
    drop(services);
    if let Some(databases) = databases {
        databases.drop_all().await?;
    }
    served?;
    Ok(())
}

/// How often the demo looks for new outgoing mail.
const MAIL_POLL_INTERVAL_MILLISECONDS: u64 = 200;

/// Prints each email onboarding queues as `mail to RECIPIENT: LINK` (its first link, or its
/// subject when it has none) and marks it sent, until `shutdown`.
async fn print_mail(pool: PgPool, shutdown: CancellationToken) {
    let mut interval = tokio::time::interval(std::time::Duration::from_millis(
        MAIL_POLL_INTERVAL_MILLISECONDS,
    ));
    while !shutdown.is_cancelled() {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = interval.tick() => {}
        }
        let sent: Result<Vec<(String, String, String)>, sqlx::Error> = sqlx::query_as(
            "update mail_outbox set sent_at = now(), attempts = attempts + 1
             where sent_at is null returning recipient, subject, text_body",
        )
        .fetch_all(&pool)
        .await;
        let Ok(sent) = sent else {
            continue;
        };
        for (recipient, subject, text) in sent {
            let link = text
                .split_whitespace()
                .find(|word| word.starts_with("http://") || word.starts_with("https://"))
                .unwrap_or(&subject);
            println!("mail to {recipient}: {link}");
        }
        if std::io::stdout().flush().is_err() {
            return;
        }
    }
}
