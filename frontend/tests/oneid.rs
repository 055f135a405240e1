//! Sign-in with OneID end to end: the frontend, the real onboarding service, and onboarding's
//! development identity provider speaking OneID's dialect.

mod support;

use std::sync::Arc;

use imkon_auth::Audience;
use imkon_frontend::{app_with, FrontendSettings, ServiceUrls};
use imkon_onboarding::config::{ExternalLoginSettings, ServiceClientSecrets};
use imkon_onboarding::dev_identity_provider::DevIdentityProvider;
use imkon_onboarding::{app, migrator, AppState, ExternalLogin};
use imkon_platform::config::{HttpLimits, Secret};
use imkon_platform::testing::test_tokens;
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{redirect, Response, StatusCode};
use sqlx::PgPool;
use support::browser::Browser;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const FRONTEND_SECRET: &str = "frontend-oneid-test-secret";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// Where a redirect points, resolved against the URL that answered it.
fn location(response: &Response) -> String {
    assert!(
        response.status().is_redirection(),
        "expected a redirect from {}, got {}",
        response.url(),
        response.status()
    );
    let target = response.headers()[LOCATION].to_str().unwrap();
    response.url().join(target).unwrap().to_string()
}

fn cookie_named(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|line| line.to_str().ok())
        .find(|line| line.starts_with(&format!("{name}=")) && !line.contains("Max-Age=0"))
        .map(|line| line.split(';').next().unwrap().to_owned())
}

fn session_cookie(response: &Response) -> Option<String> {
    cookie_named(response, "__Host-imkon_session")
}

fn state_cookie(response: &Response) -> Option<String> {
    cookie_named(response, "__Host-imkon_external_state")
}

#[tokio::test]
async fn a_thousand_anonymous_oneid_starts_store_no_session() {
    let frontend_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let frontend_url = format!("http://{}", frontend_listener.local_addr().unwrap());
    let unused = "http://127.0.0.1:1".to_owned();
    let mut settings = FrontendSettings::new(ServiceUrls {
        onboarding: unused.clone(),
        applications: unused.clone(),
        scoring: unused.clone(),
        disbursement: unused.clone(),
        accounts: unused,
    });
    settings.public_url = frontend_url.clone();
    settings.client_secret = Some(Secret::new(FRONTEND_SECRET.to_owned()));
    let shutdown = CancellationToken::new();
    let frontend_shutdown = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(frontend_listener, app_with(settings))
            .with_graceful_shutdown(frontend_shutdown.cancelled_owned())
            .await
    });
    let browser = client();

    for _ in 0..1_000 {
        let started = browser
            .get(format!("{frontend_url}/auth/oneid"))
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            session_cookie(&started),
            None,
            "an anonymous start must not create a server-side session"
        );
        assert!(state_cookie(&started).is_some());
    }
    shutdown.cancel();
}

/// The frontend and the real onboarding service with its development OneID, on free ports.
struct Site {
    frontend_url: String,
    onboarding_url: String,
    shutdown: CancellationToken,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn start_site(pool: PgPool) -> Site {
    let frontend_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let frontend_url = format!("http://{}", frontend_listener.local_addr().unwrap());
    let onboarding_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let onboarding_url = format!("http://{}", onboarding_listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();

    migrator().run(&pool).await.unwrap();
    let (issuer, verifier) = test_tokens(Audience::Onboarding);
    let mut state = AppState::new(pool, HttpLimits::default(), issuer, verifier);
    state.service_clients =
        ServiceClientSecrets::from_json(&format!(r#"{{"frontend": "{FRONTEND_SECRET}"}}"#))
            .unwrap();
    state.external = Arc::new(
        ExternalLogin::new(ExternalLoginSettings {
            public_url: Some(onboarding_url.parse().unwrap()),
            redirect_uris: vec![format!("{frontend_url}/auth/callback")],
            providers: Default::default(),
            dev_identity_provider: true,
        })
        .unwrap(),
    );
    tokio::spawn(imkon_platform::http::serve(
        onboarding_listener,
        app(state),
        shutdown.clone(),
    ));

    let unused = "http://127.0.0.1:1".to_owned();
    let mut settings = FrontendSettings::new(ServiceUrls {
        onboarding: onboarding_url.clone(),
        applications: unused.clone(),
        scoring: unused.clone(),
        disbursement: unused.clone(),
        accounts: unused,
    });
    settings.public_url = frontend_url.clone();
    settings.client_secret = Some(Secret::new(FRONTEND_SECRET.to_owned()));
    let frontend_shutdown = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(frontend_listener, app_with(settings))
            .with_graceful_shutdown(frontend_shutdown.cancelled_owned())
            .await
    });
    Site {
        frontend_url,
        onboarding_url,
        shutdown,
    }
}

/// At the development OneID: the first citizen (Nodira Qodirova) allows the sign-in. Returns
/// where the provider sends the browser: onboarding's callback.
async fn allow_at_provider(site: &Site, to_provider: &str) -> String {
    let provider_state = url_param(to_provider, "state");
    let allowed = client()
        .post(format!("{}/dev-idp/authorize", site.onboarding_url))
        .form(&[
            ("citizen", "0"),
            ("decision", "allow"),
            ("state", provider_state.as_str()),
        ])
        .send()
        .await
        .unwrap();
    location(&allowed)
}

#[sqlx::test(migrations = false)]
async fn a_person_signs_in_with_oneid_through_onboarding(pool: PgPool) {
    let site = start_site(pool).await;
    let frontend_url = site.frontend_url.clone();
    let onboarding_url = site.onboarding_url.clone();

    // The button on the login page starts the trip with the frontend's own state.
    let started = client()
        .get(format!("{frontend_url}/auth/oneid"))
        .send()
        .await
        .unwrap();
    assert_eq!(session_cookie(&started), None, "no session before sign-in");
    let before_sign_in = state_cookie(&started).expect("the browser keeps the state");
    let to_onboarding = location(&started);
    assert!(to_onboarding.starts_with(&format!("{onboarding_url}/v1/auth/external/oneid/start?")));

    // Onboarding sends the browser to the provider, where the person allows the sign-in.
    let to_provider = location(&client().get(&to_onboarding).send().await.unwrap());
    let to_onboarding_callback = allow_at_provider(&site, &to_provider).await;
    let to_frontend = location(&client().get(&to_onboarding_callback).send().await.unwrap());
    assert!(
        to_frontend.starts_with(&format!("{frontend_url}/auth/callback?")),
        "{to_frontend}"
    );

    // Back at the frontend: the state matches, the code is traded, and the person is in.
    let back = client()
        .get(&to_frontend)
        .header("cookie", &before_sign_in)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()[LOCATION], "/applications");
    let signed_in = session_cookie(&back).expect("a session after sign-in");
    assert_ne!(signed_in, before_sign_in);
    let page = client()
        .get(format!("{frontend_url}/login"))
        .header("cookie", format!("{signed_in}; __Host-imkon_lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Sign out"),
        "the menu knows the person: {page}"
    );

    assert!(
        back.headers().get_all(SET_COOKIE).iter().any(|line| line
            .to_str()
            .unwrap()
            .starts_with("__Host-imkon_external_state=gone")),
        "the state cookie is cleared"
    );

    // The same callback again is refused: its state was used up.
    let replayed = client()
        .get(&to_frontend)
        .header("cookie", &signed_in)
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.headers()[LOCATION], "/login?refused=1");
}

#[sqlx::test(migrations = false)]
async fn a_founder_signed_in_with_their_password_links_oneid_and_oneid_then_opens_their_account(
    pool: PgPool,
) {
    let site = start_site(pool).await;
    let nodira = DevIdentityProvider::new("c", "s", "http://127.0.0.1/").citizens()[0].clone();
    let registered = client()
        .post(format!("{}/v1/registrations", site.onboarding_url))
        .json(&serde_json::json!({
            "username": "nodira",
            "password": "nodira-own-pass-1",
            "pinfl": nodira.pin,
            "birth_date": nodira.birth_date,
            "latin_name": { "surname": nodira.sur_name, "given_name": nodira.first_name },
            "passport": { "number": nodira.pport_no, "issue_date": imkon_platform::testing::years_from_today(-5), "expiry_date": imkon_platform::testing::years_from_today(5) },
            "phone": nodira.mob_phone_no,
            "address": { "region": "Toshkent", "district": "Yunusobod", "street_line": "Amir Temur 108" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let mut browser = Browser::speaking("en");
    browser.get(&format!("{}/login", site.frontend_url)).await;
    let signed_in = browser
        .post(
            &format!("{}/login", site.frontend_url),
            &[("username", "nodira"), ("password", "nodira-own-pass-1")],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);

    // The identity check page offers the link; the form goes to onboarding, then OneID.
    let (_, page) = browser.page(&format!("{}/kyc", site.frontend_url)).await;
    assert!(page.contains("action=\"/auth/oneid/link\""), "{page}");
    let linking = browser
        .post(&format!("{}/auth/oneid/link", site.frontend_url), &[])
        .await;
    let to_provider = location(&linking);
    assert!(to_provider.starts_with(&format!("{}/dev-idp/authorize?", site.onboarding_url)));
    let to_onboarding_callback = allow_at_provider(&site, &to_provider).await;
    let to_frontend = location(&client().get(&to_onboarding_callback).send().await.unwrap());
    let back = browser.get(&to_frontend).await;
    assert_eq!(back.headers()[LOCATION], "/applications");

    // A later sign-in with OneID alone, in a fresh browser, opens the same account.
    let mut later = Browser::speaking("en");
    let started = later
        .get(&format!("{}/auth/oneid", site.frontend_url))
        .await;
    let to_provider = location(&client().get(location(&started)).send().await.unwrap());
    let to_onboarding_callback = allow_at_provider(&site, &to_provider).await;
    let to_frontend = location(&client().get(&to_onboarding_callback).send().await.unwrap());
    let back = later.get(&to_frontend).await;
    assert_eq!(back.headers()[LOCATION], "/applications");
    let (_, profile) = later.page(&format!("{}/profile", site.frontend_url)).await;
    assert!(
        profile.contains("Amir Temur 108"),
        "the profile registered with the password, not a new one from OneID: {profile}"
    );
}

fn url_param(url: &str, name: &str) -> String {
    let query = url
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("{url} has no {name}"))
}

#[sqlx::test(migrations = false)]
async fn a_first_oneid_sign_in_does_not_open_an_account_someone_registered_with_the_citizens_pinfl(
    pool: PgPool,
) {
    let site = start_site(pool).await;
    let nodira = DevIdentityProvider::new("c", "s", "http://127.0.0.1/").citizens()[0].clone();
    let attacker = client()
        .post(format!("{}/v1/registrations", site.onboarding_url))
        .json(&serde_json::json!({
            "username": "mallory",
            "password": "mallory-pass-1",
            "pinfl": nodira.pin,
            "birth_date": nodira.birth_date,
            "latin_name": { "surname": "Hacker", "given_name": "Mallory" },
            "passport": { "number": "AC1111111", "issue_date": imkon_platform::testing::years_from_today(-5), "expiry_date": imkon_platform::testing::years_from_today(5) },
            "phone": "998935550000",
            "address": { "region": "Toshkent", "district": "Chilonzor", "street_line": "Attacker street 1" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(attacker.status(), StatusCode::CREATED);

    let mut browser = Browser::speaking("en");
    let started = browser
        .get(&format!("{}/auth/oneid", site.frontend_url))
        .await;
    let to_provider = location(&client().get(location(&started)).send().await.unwrap());
    let to_onboarding_callback = allow_at_provider(&site, &to_provider).await;
    let to_frontend = location(&client().get(&to_onboarding_callback).send().await.unwrap());
    let back = browser.get(&to_frontend).await;
    assert_eq!(back.headers()[LOCATION], "/applications");

    let (_, profile) = browser
        .page(&format!("{}/profile", site.frontend_url))
        .await;
    assert!(!profile.contains("Attacker street 1"), "{profile}");
    assert!(!profile.contains("Mallory"), "{profile}");
    assert!(profile.contains("Yunusobod tumani"), "{profile}");
}
