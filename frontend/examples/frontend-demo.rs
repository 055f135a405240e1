//! The frontend with a schedule preview answered by the disbursement domain, both on loopback
//! ports: the server the browser tests drive, and a quick look at the pages for a developer.
//!
//! `cargo run -p imkon-frontend --example frontend-demo` prints
//! `frontend listening on http://127.0.0.1:PORT` once it accepts connections, and serves until
//! interrupted. `FRONTEND_DEMO_PORT` picks the port (a free one by default).

#[path = "../tests/support/mod.rs"]
mod support;

use std::error::Error;
use std::io::Write;

use imkon_frontend::ServiceUrls;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

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

    // The demo runs no other service; their pages are not built yet, so nothing calls them.
    let unused = "http://127.0.0.1:1".to_owned();
    let services = ServiceUrls {
        onboarding: unused.clone(),
        applications: unused.clone(),
        scoring: unused.clone(),
        disbursement: preview_url,
        accounts: unused,
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("frontend listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;

    let interrupt = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupt.cancel();
        }
    });
    imkon_frontend::run_on(listener, services, shutdown).await?;
    Ok(())
}
