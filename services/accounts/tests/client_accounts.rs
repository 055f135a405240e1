//! A client's own current accounts in three currencies: opened after KYC from the client's
//! page, one per currency unless the bank allows more, named, and closed when empty. A closed
//! account takes no new money.

mod common;

use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start, start_with, Harness};

async fn open_mine(harness: &Harness, token: &str, key: &str, body: Value) -> reqwest::Response {
    harness
        .post("/v1/me/accounts", token, Some(key), &body)
        .await
}

async fn patch(harness: &Harness, path: &str, token: &str, body: &Value) -> reqwest::Response {
    harness
        .server
        .client
        .patch(harness.server.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

#[sqlx::test(migrations = false)]
async fn a_client_opens_names_and_closes_accounts_in_three_currencies(pool: PgPool) {
    let harness = start(pool).await;
    let client_id = new_id();
    let token = harness.founder_token(client_id);

    // Before KYC the client has no account, and may not open one.
    assert_problem(
        open_mine(
            &harness,
            &token,
            &new_id().to_string(),
            json!({"currency": "USD"}),
        )
        .await,
        &[403],
        Some("kyc_required"),
    )
    .await;

    let sums = harness.open_client_current(client_id).await;
    let key = new_id().to_string();
    let response = open_mine(
        &harness,
        &token,
        &key,
        json!({"currency": "USD", "name": "  Travel  "}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let dollars: Value = response.json().await.unwrap();
    assert_eq!(dollars["currency"], "USD");
    assert_eq!(dollars["kind"], "client_current");
    assert_eq!(dollars["name"], "Travel");
    assert_eq!(dollars["closed_at"], Value::Null);
    let number = dollars["number"].as_str().unwrap().to_owned();
    assert_eq!(
        &number[5..8],
        "840",
        "the number carries the dollar's ISO code"
    );

    // A retry with the same key opens nothing new; a second dollar account is refused.
    let again: Value = open_mine(
        &harness,
        &token,
        &key,
        json!({"currency": "USD", "name": "  Travel  "}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(again["number"], dollars["number"]);
    let refused = assert_problem(
        open_mine(
            &harness,
            &token,
            &new_id().to_string(),
            json!({"currency": "USD"}),
        )
        .await,
        &[409],
        Some("current_account_limit"),
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "currency");
    for (body, code) in [
        (json!({"currency": "GBP"}), "unknown_currency"),
        (json!({"currency": "EUR", "name": " "}), "name_length"),
        (
            json!({"currency": "EUR", "owner": "someone"}),
            "invalid_body",
        ),
    ] {
        let problem = assert_problem(
            open_mine(&harness, &token, &new_id().to_string(), body).await,
            &[422],
            None,
        )
        .await;
        assert!(
            problem["code"] == code || problem["errors"][0]["code"] == code,
            "{code}: {problem}"
        );
    }
    let euros: Value = open_mine(
        &harness,
        &token,
        &new_id().to_string(),
        json!({"currency": "EUR"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let mine: Value = harness
        .get("/v1/me/accounts", &token)
        .await
        .json()
        .await
        .unwrap();
    let currencies: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["currency"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, ["UZS", "USD", "EUR"]);

    // Naming: trimmed, cleared with null; another client's account is not found.
    let renamed = patch(
        &harness,
        &format!("/v1/me/accounts/{number}"),
        &token,
        &json!({"name": "Holidays"}),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Holidays");
    let cleared: Value = patch(
        &harness,
        &format!("/v1/me/accounts/{number}"),
        &token,
        &json!({"name": null}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(cleared["name"], Value::Null);
    let stranger = harness.founder_token(new_id());
    assert_problem(
        patch(
            &harness,
            &format!("/v1/me/accounts/{number}"),
            &stranger,
            &json!({"name": "Mine now"}),
        )
        .await,
        &[404],
        None,
    )
    .await;
    assert_problem(
        harness
            .post(
                &format!("/v1/me/accounts/{number}/close"),
                &stranger,
                None,
                &json!({}),
            )
            .await,
        &[404],
        None,
    )
    .await;

    // Only an empty account closes.
    let settlement = harness.open_settlement().await;
    harness.fund(&settlement, &sums, "10.00").await;
    assert_problem(
        harness
            .post(
                &format!("/v1/me/accounts/{sums}/close"),
                &token,
                None,
                &json!({}),
            )
            .await,
        &[409],
        Some("account_not_empty"),
    )
    .await;
    let closed = harness
        .post(
            &format!("/v1/me/accounts/{number}/close"),
            &token,
            None,
            &json!({}),
        )
        .await;
    assert_eq!(closed.status(), 200);
    let closed: Value = closed.json().await.unwrap();
    assert!(closed["closed_at"].is_string());
    assert_problem(
        harness
            .post(
                &format!("/v1/me/accounts/{number}/close"),
                &token,
                None,
                &json!({}),
            )
            .await,
        &[409],
        Some("account_closed"),
    )
    .await;
    assert_problem(
        patch(
            &harness,
            &format!("/v1/me/accounts/{number}"),
            &token,
            &json!({"name": "Back"}),
        )
        .await,
        &[409],
        Some("account_closed"),
    )
    .await;

    // A closed account takes no money, from a service or another client.
    let dollar_settlement = {
        let response = harness
            .post(
                "/v1/accounts",
                &harness.service_token(),
                Some(&new_id().to_string()),
                &json!({"owner": {"kind": "bank"}, "kind": "bank_settlement", "currency": "USD", "allow_negative": true}),
            )
            .await;
        response.json::<Value>().await.unwrap()["number"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let deposit = json!({
        "kind": "deposit", "reference": "late wire", "currency": "USD",
        "legs": [
            {"account": dollar_settlement, "side": "debit", "amount": "5"},
            {"account": number, "side": "credit", "amount": "5"},
        ],
    });
    assert_problem(
        harness
            .post(
                "/v1/transfers",
                &harness.service_token(),
                Some(&new_id().to_string()),
                &deposit,
            )
            .await,
        &[422],
        Some("account_closed"),
    )
    .await;
    // The client may now open a dollar account again: the closed one no longer counts.
    let reopened = open_mine(
        &harness,
        &token,
        &new_id().to_string(),
        json!({"currency": "USD"}),
    )
    .await;
    assert_eq!(reopened.status(), 201);
    assert_ne!(
        reopened.json::<Value>().await.unwrap()["number"],
        dollars["number"]
    );
    assert_eq!(euros["currency"], "EUR");

    let audited: Vec<(String,)> = sqlx::query_as(
        "select action from audit_record where subject_type = 'account'
         and 'client' = any(actor_roles) order by occurred_at",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = audited.iter().map(|(action,)| action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.opened",
            "account.opened",
            "account.renamed",
            "account.renamed",
            "account.closed",
            "account.opened"
        ],
        "the client's own dollar and euro accounts, two names, a closing and a second dollar account"
    );
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn the_bank_may_allow_more_than_one_account_per_currency(pool: PgPool) {
    let harness = start_with(pool, |mut state| {
        state.current_accounts_per_currency = 2;
        state
    })
    .await;
    let client_id = new_id();
    let token = harness.founder_token(client_id);
    harness.open_client_current(client_id).await;
    let second = open_mine(
        &harness,
        &token,
        &new_id().to_string(),
        json!({"currency": "UZS"}),
    )
    .await;
    assert_eq!(second.status(), 201);
    assert_problem(
        open_mine(
            &harness,
            &token,
            &new_id().to_string(),
            json!({"currency": "UZS"}),
        )
        .await,
        &[409],
        Some("current_account_limit"),
    )
    .await;
}
