//! A service's client credentials reach a token endpoint that reads OAuth2's form encoding,
//! as onboarding's does.

use std::collections::HashMap;
use std::time::Duration;

use axum::routing::post;
use axum::{Form, Json, Router};
use imkon_auth::Audience;
use imkon_platform::client::ServiceClient;
use imkon_platform::config::Secret;
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::testing::TestServer;
use serde_json::{json, Value};

/// Answers a token naming what it was asked, and only for a form-encoded request.
async fn token_endpoint(Form(request): Form<HashMap<String, String>>) -> Json<Value> {
    let field = |name: &str| request.get(name).cloned().unwrap_or_default();
    Json(json!({
        "access_token": format!(
            "{}|{}|{}|{}",
            field("grant_type"),
            field("client_id"),
            field("client_secret"),
            field("audience"),
        ),
        "token_type": "Bearer",
        "expires_in": 900,
    }))
}

#[tokio::test]
async fn client_credentials_are_sent_form_encoded_to_the_token_endpoint() {
    let server =
        TestServer::start(Router::new().route("/v1/oauth/token", post(token_endpoint))).await;
    let tokens = ServiceTokens::remote(
        ServiceClient::new(Duration::from_secs(5)).unwrap(),
        server.url("/v1/oauth/token"),
        "applications".to_owned(),
        Secret::new("s3cret&=".to_owned()),
    );

    let token = tokens.token_for(Audience::Scoring).await.unwrap();

    assert_eq!(token, "client_credentials|applications|s3cret&=|scoring");
}
