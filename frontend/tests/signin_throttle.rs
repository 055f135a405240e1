//! Sign-in throttling through the website: each visitor on its own loopback address, the
//! frontend in front of the real onboarding service with the bank's lockout policy. One
//! visitor's guesses must throttle that visitor and lock the guessed account, never everyone.

mod support;

use imkon_auth::Audience;
use imkon_frontend::web::visitor::TrustedProxies;
use imkon_frontend::{app_with, FrontendSettings, ServiceUrls};
use imkon_onboarding::config::ServiceClientSecrets;
use imkon_onboarding::{app, migrator, seed_demo, AppState};
use imkon_platform::config::{HttpLimits, Secret};
use imkon_platform::testing::{test_tokens, TestServer};
use reqwest::StatusCode;
use sqlx::PgPool;
use support::browser::Browser;

const FRONTEND_SECRET: &str = "frontend-throttle-test-secret";

/// The website and onboarding with its demo logins, the frontend holding its client secret.
struct Website {
    frontend: TestServer,
    _onboarding: TestServer,
    pool: PgPool,
}

impl Website {
    async fn start(pool: PgPool, configure: impl FnOnce(&mut FrontendSettings)) -> Website {
        migrator().run(&pool).await.unwrap();
        let (issuer, verifier) = test_tokens(Audience::Onboarding);
        let mut state = AppState::new(pool.clone(), HttpLimits::default(), issuer, verifier);
        seed_demo(&pool, &state.second_factor_key).await.unwrap();
        state.service_clients =
            ServiceClientSecrets::from_json(&format!(r#"{{"frontend": "{FRONTEND_SECRET}"}}"#))
                .unwrap();
        let onboarding = TestServer::start(app(state)).await;
        let unused = "http://127.0.0.1:1".to_owned();
        let mut settings = FrontendSettings::new(ServiceUrls {
            onboarding: onboarding.url(""),
            applications: unused.clone(),
            scoring: unused.clone(),
            disbursement: unused.clone(),
            accounts: unused,
        });
        settings.client_secret = Some(Secret::new(FRONTEND_SECRET.to_owned()));
        configure(&mut settings);
        Website {
            frontend: TestServer::start(app_with(settings)).await,
            _onboarding: onboarding,
            pool,
        }
    }

    fn url(&self, path: &str) -> String {
        self.frontend.url(path)
    }

    /// The status of one sign-in through the login page by `browser`.
    async fn sign_in(&self, browser: &mut Browser, username: &str, password: &str) -> StatusCode {
        if browser.cookie("__Host-imkon_csrf").is_none() {
            browser.get(&self.url("/login")).await;
        }
        browser
            .post(
                &self.url("/login"),
                &[("username", username), ("password", password)],
            )
            .await
            .status()
    }

    /// The addresses onboarding counted attempts against, each with its number of attempts.
    async fn counted_addresses(&self) -> Vec<(String, i64)> {
        sqlx::query_as(
            "select source_address, count(*) from login_attempt
             group by source_address order by source_address",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }
}

#[sqlx::test(migrations = false)]
async fn twenty_five_wrong_passwords_from_one_visitor_do_not_stop_another_visitor_signing_in(
    pool: PgPool,
) {
    let website = Website::start(pool, |_| {}).await;
    let mut guesser = Browser::speaking_from("en", [127, 0, 0, 2]);
    let mut statuses = Vec::new();
    for attempt in 0..25 {
        let username = format!("made-up-user-{attempt}");
        statuses.push(
            website
                .sign_in(&mut guesser, &username, "wrong-password")
                .await,
        );
    }
    // The bank's policy allows twenty attempts from an address in ten minutes: the guesser
    // is throttled after that, and only the guesser.
    assert!(
        statuses[..20]
            .iter()
            .all(|status| *status == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[20..]
            .iter()
            .all(|status| *status == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );

    let mut founder = Browser::speaking_from("en", [127, 0, 0, 3]);
    assert_eq!(
        website
            .sign_in(&mut founder, "founder2", "founder2-demo-pass")
            .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        website.counted_addresses().await,
        vec![("127.0.0.2".to_owned(), 25), ("127.0.0.3".to_owned(), 1)]
    );
}

#[sqlx::test(migrations = false)]
async fn five_wrong_passwords_for_founder1_lock_founder1_only_and_founder2_still_signs_in(
    pool: PgPool,
) {
    let website = Website::start(pool, |_| {}).await;
    let mut guesser = Browser::speaking_from("en", [127, 0, 0, 4]);
    for _ in 0..5 {
        assert_eq!(
            website
                .sign_in(&mut guesser, "founder1", "wrong-password")
                .await,
            StatusCode::UNAUTHORIZED
        );
    }
    // founder1 is locked wherever they come from, even with the right password.
    let mut founder1 = Browser::speaking_from("en", [127, 0, 0, 5]);
    assert_eq!(
        website
            .sign_in(&mut founder1, "founder1", "founder1-demo-pass")
            .await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // founder2 is not, from another address or even from the guesser's.
    let mut founder2 = Browser::speaking_from("en", [127, 0, 0, 6]);
    assert_eq!(
        website
            .sign_in(&mut founder2, "founder2", "founder2-demo-pass")
            .await,
        StatusCode::SEE_OTHER
    );
    let mut beside_the_guesser = Browser::speaking_from("en", [127, 0, 0, 4]);
    assert_eq!(
        website
            .sign_in(&mut beside_the_guesser, "founder2", "founder2-demo-pass")
            .await,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test(migrations = false)]
async fn x_forwarded_for_names_the_visitor_only_when_the_peer_is_a_trusted_proxy(pool: PgPool) {
    let website = Website::start(pool, |settings| {
        settings.trusted_proxies = TrustedProxies::parse("127.0.0.7").unwrap();
    })
    .await;
    let forwarding = |address: [u8; 4], forwarded_for: &str| {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded_for.parse().unwrap());
        Browser::speaking_with(
            "en",
            reqwest::Client::builder()
                .local_address(std::net::IpAddr::from(address))
                .default_headers(headers),
        )
    };
    // The proxy in front of the frontend says who its visitor is; the leftmost entry is one
    // the visitor wrote and is not believed past the first untrusted hop.
    let mut behind_the_proxy = forwarding([127, 0, 0, 7], "192.0.2.1, 203.0.113.9");
    assert_eq!(
        website
            .sign_in(&mut behind_the_proxy, "made-up-user", "wrong-password")
            .await,
        StatusCode::UNAUTHORIZED
    );
    // A visitor who is not the proxy cannot choose their address with the header.
    let mut forger = forwarding([127, 0, 0, 8], "203.0.113.10");
    assert_eq!(
        website
            .sign_in(&mut forger, "made-up-user", "wrong-password")
            .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        website.counted_addresses().await,
        vec![("127.0.0.8".to_owned(), 1), ("203.0.113.9".to_owned(), 1)]
    );
}
