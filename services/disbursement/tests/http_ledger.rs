//! The HTTP ledger client speaks the accounts service's contract: the paths, the
//! Idempotency-Key header, a service token for the accounts audience, the JSON shapes, and
//! refusals turned into errors. The accounts service is played by a small stand-in that
//! records what it receives; the real one is exercised by the end-to-end tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use imkon_auth::{Audience, TokenVerifier};
use imkon_disbursement::ledger::{
    AccountKind, AccountOwner, HttpLedger, Ledger, LedgerError, Leg, OpenAccount, Side,
    TransferRequest,
};
use imkon_platform::client::ServiceClient;
use imkon_platform::money::{Currency, Money};
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::testing::{service_principal, test_tokens};
use serde_json::{json, Value};
use uuid::Uuid;

/// One request the stand-in received: method and path, Idempotency-Key, body or query.
type Received = (String, Option<String>, Value);

#[derive(Clone)]
struct Stand {
    verifier: TokenVerifier,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Stand {
    fn record(&self, path: &str, headers: &HeaderMap, body: Value) {
        let bearer = headers["authorization"].to_str().unwrap();
        let token = bearer.strip_prefix("Bearer ").unwrap();
        let principal = self.verifier.verify(token).unwrap().into_principal();
        assert!(
            principal.is_service(),
            "the ledger is called with a service token"
        );
        let key = headers
            .get("idempotency-key")
            .map(|value| value.to_str().unwrap().to_owned());
        self.received
            .lock()
            .unwrap()
            .push((path.to_owned(), key, body));
    }
}

async fn open_account(
    State(stand): State<Stand>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    stand.record("POST /v1/accounts", &headers, body.clone());
    (
        StatusCode::CREATED,
        Json(
            json!({"id": Uuid::now_v7(), "number": "86000000000000000017", "kind": body["kind"],
            "owner": body["owner"], "currency": body["currency"], "allow_negative": false,
            "posted_balance": "0.00", "available_balance": "0.00"}),
        ),
    )
}

async fn list_accounts(
    State(stand): State<Stand>,
    headers: HeaderMap,
    Query(query): Query<Value>,
) -> impl IntoResponse {
    stand.record("GET /v1/accounts", &headers, query);
    Json(json!([
        {"number": "84000000000000000001", "currency": "USD"},
        {"number": "86000000000000000002", "currency": "UZS"}
    ]))
}

async fn post_transfer(
    State(stand): State<Stand>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    stand.record("POST /v1/transfers", &headers, body.clone());
    if body["legs"][0]["amount"] == "999.00" {
        let problem = json!({"type": "x", "title": "Unprocessable", "status": 422,
            "code": "insufficient_funds", "detail": "not enough money"});
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(problem)).into_response();
    }
    let id = "01938a6c-0000-7000-8000-000000000001";
    (
        StatusCode::CREATED,
        Json(json!({"id": id, "status": "posted", "legs": []})),
    )
        .into_response()
}

async fn start_stand() -> (HttpLedger, Stand) {
    let (issuer, verifier) = test_tokens(Audience::Accounts);
    let stand = Stand {
        verifier,
        received: Arc::default(),
    };
    let router = Router::new()
        .route("/v1/accounts", post(open_account).get(list_accounts))
        .route("/v1/transfers", post(post_transfer))
        .with_state(stand.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let tokens = ServiceTokens::local(issuer, service_principal("disbursement"));
    let client = ServiceClient::new(Duration::from_secs(5)).unwrap();
    (HttpLedger::new(client, tokens, &url), stand)
}

fn uzs(text: &str) -> Money {
    Money::parse(text, Currency::Uzs).unwrap()
}

fn transfer(amount: &str) -> TransferRequest {
    TransferRequest {
        idempotency_key: "tranche:42:disburse".to_owned(),
        kind: "disbursement",
        reference: "tranche:42".to_owned(),
        currency: Currency::Uzs,
        legs: vec![
            Leg {
                account: "86000000000000000001".to_owned(),
                side: Side::Debit,
                amount: uzs(amount),
            },
            Leg {
                account: "86000000000000000002".to_owned(),
                side: Side::Credit,
                amount: uzs(amount),
            },
        ],
    }
}

#[tokio::test]
async fn an_account_is_opened_with_its_key_and_the_agreed_body() {
    let (ledger, stand) = start_stand().await;
    let client_id = Uuid::now_v7();
    let number = ledger
        .open_account(OpenAccount {
            idempotency_key: "contract:1:loan-account".to_owned(),
            owner: AccountOwner::Client(client_id),
            kind: AccountKind::Loan,
            currency: Currency::Uzs,
            allow_negative: false,
            name: "Loan".to_owned(),
        })
        .await
        .unwrap();
    assert_eq!(number, "86000000000000000017");
    let received = stand.received.lock().unwrap().clone();
    let (path, key, body) = &received[0];
    assert_eq!(path, "POST /v1/accounts");
    assert_eq!(key.as_deref(), Some("contract:1:loan-account"));
    assert_eq!(
        *body,
        json!({"owner": {"kind": "client", "client_id": client_id}, "kind": "loan",
            "currency": "UZS", "allow_negative": false, "name": "Loan"})
    );
}

#[tokio::test]
async fn the_current_account_in_the_contracts_currency_is_found() {
    let (ledger, stand) = start_stand().await;
    let client_id = Uuid::now_v7();
    let number = ledger
        .client_current_account(client_id, Currency::Uzs)
        .await
        .unwrap();
    assert_eq!(number.as_deref(), Some("86000000000000000002"));
    let received = stand.received.lock().unwrap().clone();
    assert_eq!(
        received[0].2,
        json!({"client_id": client_id.to_string(), "kind": "client_current"})
    );
}

#[tokio::test]
async fn a_companys_current_account_is_asked_for_by_the_companys_id() {
    let (ledger, stand) = start_stand().await;
    let company_id = Uuid::now_v7();
    let number = ledger
        .company_current_account(company_id, Currency::Uzs)
        .await
        .unwrap();
    assert_eq!(number.as_deref(), Some("86000000000000000002"));
    let received = stand.received.lock().unwrap().clone();
    assert_eq!(received[0].0, "GET /v1/accounts");
    assert_eq!(
        received[0].2,
        json!({"company_id": company_id.to_string(), "kind": "company_current"})
    );
}

#[tokio::test]
async fn a_transfer_is_posted_with_its_key_and_a_refusal_keeps_its_code() {
    let (ledger, stand) = start_stand().await;
    let id = ledger.post_transfer(transfer("100.00")).await.unwrap();
    assert_eq!(id.to_string(), "01938a6c-0000-7000-8000-000000000001");
    let received = stand.received.lock().unwrap().clone();
    let (path, key, body) = &received[0];
    assert_eq!(path, "POST /v1/transfers");
    assert_eq!(key.as_deref(), Some("tranche:42:disburse"));
    assert_eq!(
        *body,
        json!({"kind": "disbursement", "reference": "tranche:42", "currency": "UZS", "legs": [
            {"account": "86000000000000000001", "side": "debit", "amount": "100.00"},
            {"account": "86000000000000000002", "side": "credit", "amount": "100.00"}]})
    );
    let refused = ledger.post_transfer(transfer("999.00")).await.unwrap_err();
    assert_eq!(
        refused,
        LedgerError::Refused {
            status: 422,
            code: "insufficient_funds".to_owned(),
            detail: "not enough money".to_owned()
        }
    );
}

#[tokio::test]
async fn an_unreachable_ledger_is_unavailable_not_a_refusal() {
    let (issuer, _) = test_tokens(Audience::Accounts);
    let tokens = ServiceTokens::local(issuer, service_principal("disbursement"));
    let client = ServiceClient::new(Duration::from_secs(2)).unwrap();
    let ledger = HttpLedger::new(client, tokens, "http://127.0.0.1:1");
    let error = ledger.post_transfer(transfer("1.00")).await.unwrap_err();
    assert!(matches!(error, LedgerError::Unavailable(_)), "{error:?}");
}
