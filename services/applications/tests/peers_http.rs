//! The HTTP clients of onboarding and scoring read the contracts' JSON and send service
//! tokens; here against stand-ins that answer exactly as the contracts say.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use imkon_applications::mailer::RecipientDirectory;
use imkon_applications::peers::{KycSource, OnboardingClient, PeerError, Scorer, ScoringClient};
use imkon_auth::Audience;
use imkon_platform::client::ServiceClient;
use imkon_platform::language::Language;
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::testing::{self, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

fn bearer(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("Bearer "))
}

fn stand_in() -> Router {
    Router::new()
        .route(
            "/v1/clients/{client_id}/kyc",
            get(|headers: HeaderMap, Path(client_id): Path<Uuid>| async move {
                assert!(bearer(&headers));
                Json(json!({ "client_id": client_id, "status": "approved" }))
            }),
        )
        .route(
            "/v1/clients/{client_id}",
            get(|headers: HeaderMap, Path(client_id): Path<Uuid>| async move {
                assert!(bearer(&headers));
                if client_id.is_nil() {
                    return StatusCode::NOT_FOUND.into_response();
                }
                if client_id == Uuid::from_u128(42) {
                    // A founder who gave an address and reads Uzbek in Cyrillic script.
                    return Json(json!({ "client_id": client_id, "email": "aziz@example.uz",
                                        "language": "uz-Cyrl", "companies": [] }))
                    .into_response();
                }
                // Onboarding's summary: the person and the companies they own.
                Json(json!({
                    "client_id": client_id,
                    "full_name": "Karimov Aziz",
                    "birth_date": "1998-03-01",
                    "kyc_status": "approved",
                    "companies": [{
                        "company_id": Uuid::nil(),
                        "stir": "301234567",
                        "name": "Demo LLC",
                        "legal_form": "llc",
                        "registration_date": "2024-05-01",
                        "kyc_status": "pending_review",
                        "it_park_resident": false,
                        "it_park_valid_until": null,
                        "founders": [
                            { "client_id": client_id, "birth_date": "1998-03-01", "share_percent": "60.00" },
                            { "client_id": null, "birth_date": "1988-02-03", "share_percent": "40.00" }
                        ],
                    }, {
                        "company_id": Uuid::from_u128(1),
                        "stir": "301234568",
                        "name": "Resident LLC",
                        "legal_form": "llc",
                        "registration_date": "2023-01-10",
                        "kyc_status": "approved",
                        "it_park_resident": true,
                        "it_park_valid_until": "2027-12-31",
                        "founders": [
                            { "client_id": Uuid::from_u128(9), "birth_date": null, "share_percent": "100.00" }
                        ],
                    }]
                }))
                .into_response()
            }),
        )
        .route(
            "/v1/scorecards/{scorecard_id}/evaluate",
            post(|headers: HeaderMap, Path(scorecard_id): Path<Uuid>, Json(body): Json<Value>| async move {
                assert!(bearer(&headers));
                if body["inputs"]["team_experience_years"] == json!("many") {
                    let problem = json!({ "type": "about:blank", "title": "Invalid", "status": 422,
                        "code": "validation_failed",
                        "errors": [{ "field": "inputs.team_experience_years", "code": "wrong_input_type",
                                     "message": "must be a number" }] });
                    return (StatusCode::UNPROCESSABLE_ENTITY, Json(problem)).into_response();
                }
                assert_eq!(body["inputs"]["team_experience_years"], json!(4));
                Json(json!({
                    "id": Uuid::from_u128(7), "scorecard_id": scorecard_id, "version": 1,
                    "version_status": "active", "evaluated_at": "2026-01-05T10:00:00Z",
                    "score": 575.5, "base_points": 500, "probability_of_default": 0.0123,
                    "band": "B", "recommendation": "approve", "knockouts": [],
                    "characteristics": [{ "characteristic": "team_experience_years", "value": 4,
                                          "bin": "[3,6)", "points": 30, "reason_code": "TEAM_EXPERIENCED" }],
                    "inputs": body["inputs"].clone()
                }))
                .into_response()
            }),
        )
}

async fn clients() -> (TestServer, OnboardingClient, ScoringClient) {
    let server = TestServer::start(stand_in()).await;
    let (issuer, _verifier) = testing::test_tokens(Audience::Onboarding);
    let tokens = ServiceTokens::local(issuer, testing::service_principal("applications"));
    let client = ServiceClient::new(Duration::from_secs(5)).unwrap();
    let base_url = server.url("");
    let onboarding = OnboardingClient::new(client.clone(), &base_url, tokens.clone());
    let scoring = ScoringClient::new(client, &base_url, tokens);
    (server, onboarding, scoring)
}

#[tokio::test]
async fn onboardings_kyc_status_and_client_summary_are_read_as_onboarding_serves_them() {
    let (_server, onboarding, _) = clients().await;
    let client_id = Uuid::now_v7();
    assert_eq!(onboarding.kyc_status(client_id).await.unwrap(), "approved");
    let profile = onboarding.client_profile(client_id).await.unwrap();
    assert_eq!(profile.client_id, client_id);
    let company = &profile.companies[0];
    assert_eq!(company.registration_date.to_string(), "2024-05-01");
    assert_eq!(company.it_park_resident_until, None);
    assert!(!company.kyc_approved, "a company whose KYC is under review");
    assert!(profile.companies[1].kyc_approved);
    assert_eq!(
        profile.companies[1]
            .it_park_resident_until
            .unwrap()
            .to_string(),
        "2027-12-31"
    );
    let [owner, partner] = &company.founders[..] else {
        panic!("two founders: {:?}", company.founders);
    };
    assert_eq!(owner.client_id, Some(client_id));
    assert_eq!(owner.birth_date.unwrap().to_string(), "1998-03-01");
    assert_eq!(owner.share_percent.to_string(), "60.00");
    assert_eq!(partner.client_id, None, "a founder known only by PINFL");
    assert_eq!(partner.birth_date.unwrap().to_string(), "1988-02-03");
    let holding = &profile.companies[1].founders[0];
    assert_eq!(holding.birth_date, None, "a company that founded another");
    let unknown = onboarding.client_profile(Uuid::nil()).await.unwrap_err();
    assert!(matches!(unknown, PeerError::NotFound { .. }));
}

#[tokio::test]
async fn a_founders_address_and_language_are_read_from_the_client_summary() {
    let (_server, onboarding, _) = clients().await;
    let recipient = onboarding
        .recipient(Uuid::from_u128(42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(recipient.email, "aziz@example.uz");
    assert_eq!(recipient.language, Language::UzCyrl);
    // A summary without an address gives no recipient: nothing can be sent.
    assert_eq!(onboarding.recipient(Uuid::now_v7()).await.unwrap(), None);
}

#[tokio::test]
async fn a_score_is_read_as_scoring_answers_it_and_a_refused_input_is_named() {
    let (_server, _, scoring) = clients().await;
    let scorecard_id = Uuid::now_v7();
    let inputs = BTreeMap::from([("team_experience_years".to_owned(), json!(4))]);
    let score = scoring.evaluate(scorecard_id, inputs).await.unwrap();
    assert_eq!(score.evaluation_id, Some(Uuid::from_u128(7)));
    assert_eq!(score.score.to_string(), "575.5");
    assert_eq!(score.probability_of_default, "0.0123");
    assert_eq!(score.band, "B");
    assert_eq!(score.characteristics[0].reason_code, "TEAM_EXPERIENCED");

    let bad = BTreeMap::from([("team_experience_years".to_owned(), json!("many"))]);
    match scoring.evaluate(scorecard_id, bad).await.unwrap_err() {
        PeerError::InvalidInput { field, .. } => assert_eq!(field, "inputs.team_experience_years"),
        other => panic!("expected the input to be named, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_peer_is_reported_as_such() {
    let tokens = ServiceTokens::local(
        testing::test_tokens(Audience::Onboarding).0,
        testing::service_principal("applications"),
    );
    let client = ServiceClient::new(Duration::from_secs(2)).unwrap();
    let onboarding = OnboardingClient::new(client, "http://127.0.0.1:9", tokens);
    let error = onboarding.kyc_status(Uuid::now_v7()).await.unwrap_err();
    assert!(matches!(error, PeerError::Unreachable { .. }), "{error:?}");
}
