//! A running onboarding service set up for external logins, and a browser to drive them.

use std::collections::BTreeMap;
use std::sync::Arc;

use imkon_auth::{Audience, TokenIssuer};
use imkon_onboarding::config::{ExternalLoginSettings, ProviderSettings, ServiceClientSecrets};
use imkon_onboarding::dev_identity_provider::DevIdentityProvider;
use imkon_onboarding::{app, migrator, AppState, ExternalLogin};
use imkon_platform::config::HttpLimits;
use imkon_platform::testing::test_tokens;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The frontend's callback: the one registered redirect URI. Nothing listens there; the tests
/// read the redirects instead of following them.
pub const FRONTEND_CALLBACK: &str = "http://127.0.0.1:9/auth/callback";
pub const FRONTEND_SECRET: &str = "frontend-test-secret";

/// Onboarding bound to its port before it is configured, because its URL is part of its
/// configuration (the callback URL providers are given).
pub struct BoundOnboarding {
    listener: TcpListener,
    pub base_url: String,
}

impl BoundOnboarding {
    pub async fn bind() -> BoundOnboarding {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("a bound address");
        BoundOnboarding {
            listener,
            base_url: format!("http://{address}"),
        }
    }

    pub fn callback_url(&self, provider: &str) -> String {
        format!("{}/v1/auth/external/{provider}/callback", self.base_url)
    }

    /// Serves onboarding with these providers (and the development provider when asked).
    pub async fn serve(
        self,
        pool: PgPool,
        providers: BTreeMap<String, ProviderSettings>,
        dev_identity_provider: bool,
    ) -> ExternalLoginApp {
        migrator()
            .run(&pool)
            .await
            .expect("migrations apply to a fresh database");
        let (issuer, verifier) = test_tokens(Audience::Onboarding);
        let mut state = AppState::new(
            pool.clone(),
            HttpLimits::default(),
            issuer.clone(),
            verifier,
        );
        state.service_clients =
            ServiceClientSecrets::from_json(&format!(r#"{{"frontend": "{FRONTEND_SECRET}"}}"#))
                .expect("valid secrets");
        let external = ExternalLogin::new(ExternalLoginSettings {
            public_url: Some(url::Url::parse(&self.base_url).expect("a URL")),
            redirect_uris: vec![FRONTEND_CALLBACK.to_owned()],
            providers,
            dev_identity_provider,
        })
        .expect("external login is configured");
        let dev_identity_provider = external.dev_identity_provider.clone();
        state.external = Arc::new(external);
        let shutdown = CancellationToken::new();
        tokio::spawn(imkon_platform::http::serve(
            self.listener,
            app(state),
            shutdown.clone(),
        ));
        ExternalLoginApp {
            base_url: self.base_url,
            pool,
            issuer,
            dev_identity_provider,
            browser: browser(),
            shutdown,
        }
    }
}

/// A browser that keeps cookies and never follows redirects on its own, so each hop can be
/// checked.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a test client")
}

pub struct ExternalLoginApp {
    pub base_url: String,
    pub pool: PgPool,
    pub issuer: TokenIssuer,
    pub dev_identity_provider: Option<Arc<DevIdentityProvider>>,
    pub browser: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for ExternalLoginApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The `Location` of a redirect, resolved against the URL that answered.
pub fn location(response: &reqwest::Response) -> url::Url {
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {}",
        response.status()
    );
    let target = response
        .headers()
        .get(reqwest::header::LOCATION)
        .expect("a redirect has a Location")
        .to_str()
        .expect("an ASCII Location");
    response.url().join(target).expect("a URL")
}

pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

impl ExternalLoginApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.browser
            .get(url)
            .send()
            .await
            .expect("the request is sent")
    }

    /// Starts a login at `provider`, asking to come back to `redirect_uri`.
    pub async fn start(
        &self,
        provider: &str,
        redirect_uri: &str,
        state: &str,
    ) -> reqwest::Response {
        let mut url = url::Url::parse(&self.url(&format!("/v1/auth/external/{provider}/start")))
            .expect("a URL");
        url.query_pairs_mut()
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state);
        self.get(url.as_str()).await
    }

    /// The frontend trades onboarding's code at the token endpoint.
    pub async fn trade_code(&self, code: &str) -> reqwest::Response {
        self.browser
            .post(self.url("/v1/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", FRONTEND_CALLBACK),
                ("client_id", "frontend"),
                ("client_secret", FRONTEND_SECRET),
            ])
            .send()
            .await
            .expect("the request is sent")
    }

    /// An access token for onboarding, from a refresh token.
    pub async fn access_token(&self, refresh_token: &str) -> String {
        let response = self
            .browser
            .post(self.url("/v1/oauth/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("audience", "onboarding"),
            ])
            .send()
            .await
            .expect("the request is sent");
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&self.pool)
            .await
            .expect("a count")
    }
}
