//! The real onboarding and applications services, in-process on loopback ports, over one
//! PostgreSQL database with a schema each (as each has its own database in production), with
//! their demo data.
//!
//! Onboarding issues every token; applications trusts its key. Applications asks onboarding
//! for KYC status and company facts over HTTP with a service token, as in production. Only the
//! scoring service is a stand-in: a fixed score, so screening always passes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use imkon_applications::peers::{
    OnboardingClient, PeerFuture, ScoreResult, ScoredCharacteristic, Scorer,
};
use imkon_auth::{
    Audience, KeyId, Principal, PublicKeySet, Role, SigningKey, TokenIssuer, TokenVerifier,
};
use imkon_platform::client::ServiceClient;
use imkon_platform::config::HttpLimits;
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::testing::TestServer;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

/// A staff member holding both credit-officer and approver roles, so the four-eyes rule is
/// what stops them confirming their own proposal.
pub const DUAL_ROLE_USERNAME: &str = "dual1";
pub const DUAL_ROLE_PASSWORD: &str = "dual1-demo-pass";

/// Scores every application the same, passing screening.
pub struct FixedScorer;

impl Scorer for FixedScorer {
    fn evaluate(
        &self,
        _scorecard_id: Uuid,
        _inputs: BTreeMap<String, Value>,
    ) -> PeerFuture<'_, ScoreResult> {
        Box::pin(async {
            Ok(ScoreResult {
                evaluation_id: Some(Uuid::now_v7()),
                score: Decimal::from(640),
                probability_of_default: "0.04".to_owned(),
                band: "B".to_owned(),
                recommendation: "approve".to_owned(),
                knockouts: Vec::new(),
                characteristics: vec![ScoredCharacteristic {
                    characteristic: "team_experience_years".to_owned(),
                    bin: "5-10".to_owned(),
                    points: Decimal::from(45),
                    reason_code: "experienced_team".to_owned(),
                }],
            })
        })
    }
}

/// The two services, running.
pub struct Services {
    pub onboarding: TestServer,
    pub applications: TestServer,
    pub onboarding_pool: PgPool,
    pub applications_pool: PgPool,
}

fn signing() -> (TokenIssuer, PublicKeySet) {
    let key = SigningKey::generate(KeyId::parse("frontend-test-key").expect("a valid key id"));
    let keys = PublicKeySet::new([key.public_key()]).expect("one key");
    let issuer = TokenIssuer::new(key, imkon_platform::auth_settings::DEFAULT_TOKEN_ISSUER)
        .expect("an issuer");
    (issuer, keys)
}

fn verifier(keys: &PublicKeySet, audience: Audience) -> TokenVerifier {
    TokenVerifier::new(
        keys.clone(),
        imkon_platform::auth_settings::DEFAULT_TOKEN_ISSUER,
        audience,
    )
    .expect("a verifier")
}

/// A pool whose tables live in `schema` of the database `connect` names.
async fn schema_pool(
    pool_options: &PgPoolOptions,
    connect: &PgConnectOptions,
    schema: &str,
) -> PgPool {
    let admin = pool_options
        .clone()
        .connect_with(connect.clone())
        .await
        .expect("the test database accepts connections");
    sqlx::query(&format!("create schema if not exists {schema}"))
        .execute(&admin)
        .await
        .expect("the schema is created");
    admin.close().await;
    pool_options
        .clone()
        .connect_with(connect.clone().options([("search_path", schema)]))
        .await
        .expect("the schema's pool connects")
}

impl Services {
    /// Both services in one test database, a schema each.
    pub async fn start(pool_options: PgPoolOptions, connect: PgConnectOptions) -> Services {
        let onboarding_pool = schema_pool(&pool_options, &connect, "onboarding").await;
        let applications_pool = schema_pool(&pool_options, &connect, "applications").await;
        Services::start_on(onboarding_pool, applications_pool).await
    }

    /// Migrates the two pools, seeds the demo data, and starts both services.
    pub async fn start_on(onboarding_pool: PgPool, applications_pool: PgPool) -> Services {
        imkon_onboarding::migrator()
            .run(&onboarding_pool)
            .await
            .expect("onboarding migrates");
        imkon_applications::migrator()
            .run(&applications_pool)
            .await
            .expect("applications migrates");
        imkon_onboarding::seed_demo(&onboarding_pool)
            .await
            .expect("onboarding's demo data loads");
        imkon_applications::seed::seed_demo(&applications_pool)
            .await
            .expect("applications' demo data loads");
        create_dual_role_officer(&onboarding_pool).await;

        let (issuer, keys) = signing();
        let onboarding = TestServer::start(imkon_onboarding::app(imkon_onboarding::AppState::new(
            onboarding_pool.clone(),
            HttpLimits::default(),
            issuer.clone(),
            verifier(&keys, Audience::Onboarding),
        )))
        .await;
        let service = Principal::service(Uuid::now_v7(), Some("applications".to_owned()))
            .expect("a service principal");
        let kyc = OnboardingClient::new(
            ServiceClient::new(Duration::from_secs(10)).expect("an HTTP client"),
            &onboarding.url(""),
            ServiceTokens::local(issuer, service),
        );
        let applications =
            TestServer::start(imkon_applications::app(imkon_applications::AppState {
                pool: applications_pool.clone(),
                limits: HttpLimits::default(),
                verifier: verifier(&keys, Audience::Applications),
                kyc: Arc::new(kyc),
                scorer: Arc::new(FixedScorer),
            }))
            .await;
        Services {
            onboarding,
            applications,
            onboarding_pool,
            applications_pool,
        }
    }
}

async fn create_dual_role_officer(pool: &PgPool) {
    use imkon_onboarding::accounts::{create_local_account, NewLocalAccount};
    use imkon_onboarding::domain::credentials::{NewPassword, Username};
    let username = Username::parse(DUAL_ROLE_USERNAME).expect("a valid username");
    let password = NewPassword::parse(DUAL_ROLE_PASSWORD).expect("a valid password");
    let hash = imkon_onboarding::password::hash_password(&password)
        .await
        .expect("hashing works");
    let mut connection = pool.acquire().await.expect("a connection");
    create_local_account(
        &mut connection,
        &NewLocalAccount {
            username: &username,
            password_hash: &hash,
            display_name: "Dual Role Officer",
            roles: &[Role::CreditOfficer, Role::Approver],
            client_id: None,
            granted_by: None,
        },
    )
    .await
    .expect("the account is created");
}
