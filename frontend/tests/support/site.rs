//! The frontend in front of every service it calls but scoring, in-process on fresh
//! databases, and demo users signed in through its login page.

use imkon_frontend::{app_with, FrontendSettings, ServiceUrls};
use imkon_platform::testing::TestServer;
use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::browser::Browser;
use super::services::{MoneyServices, Services, DUAL_ROLE_PASSWORD, DUAL_ROLE_USERNAME};

/// The frontend and every service it calls but scoring.
pub struct Site {
    pub frontend: TestServer,
    pub services: Services,
    pub money: MoneyServices,
}

impl Site {
    pub async fn start(pool_options: PgPoolOptions, connect: PgConnectOptions) -> Site {
        let services = Services::start(pool_options.clone(), connect.clone()).await;
        let money = MoneyServices::start(&services, pool_options, connect).await;
        let settings = FrontendSettings::new(ServiceUrls {
            onboarding: services.onboarding.url(""),
            applications: services.applications.url(""),
            scoring: services.scoring.url(""),
            disbursement: money.disbursement.url(""),
            accounts: money.accounts.url(""),
        });
        Site {
            frontend: TestServer::start(app_with(settings)).await,
            services,
            money,
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.frontend.url(path)
    }

    /// A browser signed in as the demo user `username` (the demo password), in `language`.
    pub async fn signed_in(&self, username: &str, language: &str) -> Browser {
        let password = if username == DUAL_ROLE_USERNAME {
            DUAL_ROLE_PASSWORD.to_owned()
        } else {
            format!("{username}-demo-pass")
        };
        let mut browser = Browser::speaking(language);
        let response = browser
            .sign_in(
                &self.url(""),
                &self.services.onboarding_pool,
                &[("username", username), ("password", &password)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{username} signs in"
        );
        browser
    }

    /// The status of a contract, as the disbursement service stores it.
    pub async fn contract_status(&self, id: &str) -> String {
        sqlx::query_scalar("select status from contract where id = $1::uuid")
            .bind(id)
            .fetch_one(&self.money.disbursement_pool)
            .await
            .expect("the contract exists")
    }

    /// The founder signs the contract at `path` as the page's form does: with the SHA-256 and
    /// language of the contract document the page offered (its hidden fields).
    pub async fn sign(&self, founder: &mut Browser, path: &str) -> reqwest::Response {
        let (_, html) = founder.page(&self.url(path)).await;
        let hidden = |name: &str| {
            let marker = format!("name=\"{name}\" value=\"");
            html.split_once(&marker)
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(value, _)| value.to_owned())
                .unwrap_or_else(|| panic!("the contract page offers {name} with its sign form"))
        };
        let (sha256, language) = (hidden("document_sha256"), hidden("language"));
        founder
            .post(
                &self.url(&format!("{path}/sign")),
                &[("document_sha256", &sha256), ("language", &language)],
            )
            .await
    }
}
