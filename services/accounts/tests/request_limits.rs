//! The structural limits each request body declares (with `validator`, shown in the OpenAPI
//! schema): a body over a limit is refused with one 422 `validation_failed` that names the
//! field and the limit's code, before anything is parsed, looked up or written; a caller
//! without the role is refused before the body is read.

mod common;

use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start, two_legs};

/// Asserts a 422 `validation_failed` whose only field error is `field` with `code`.
async fn assert_limit(response: reqwest::Response, field: &str, code: &str) {
    let body = assert_problem(response, &[422], Some("validation_failed")).await;
    let errors = body["errors"]
        .as_array()
        .expect("a validation problem lists its fields");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["field"], field, "{body}");
    assert_eq!(errors[0]["code"], code, "{body}");
}

#[sqlx::test(migrations = false)]
async fn an_account_name_over_two_hundred_characters_is_refused_and_nothing_is_opened(
    pool: PgPool,
) {
    let harness = start(pool).await;
    let client_id = new_id();
    let token = harness.service_token();
    let request = |name: &str| {
        json!({"owner": {"kind": "client", "client_id": client_id}, "kind": "client_current",
               "currency": "UZS", "name": name})
    };
    let long = harness
        .post(
            "/v1/accounts",
            &token,
            Some("long"),
            &request(&"n".repeat(201)),
        )
        .await;
    assert_limit(long, "name", "name_length").await;
    let blank = harness
        .post("/v1/accounts", &token, Some("blank"), &request("   "))
        .await;
    assert_limit(blank, "name", "name_length").await;
    let listed: Value = harness
        .get(&format!("/v1/accounts?client_id={client_id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));

    let longest = harness
        .post(
            "/v1/accounts",
            &token,
            Some("ok"),
            &request(&"n".repeat(200)),
        )
        .await;
    assert_eq!(longest.status(), 201);
}

#[sqlx::test(migrations = false)]
async fn a_founder_cannot_open_an_account_whatever_the_body(pool: PgPool) {
    let harness = start(pool).await;
    let client_id = new_id();
    let over_limit = json!({"owner": {"kind": "client", "client_id": client_id},
                            "kind": "client_current", "currency": "UZS", "name": "n".repeat(201)});
    let response = harness
        .post(
            "/v1/accounts",
            &harness.founder_token(client_id),
            Some("k"),
            &over_limit,
        )
        .await;
    assert_problem(response, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn a_transfer_over_a_declared_limit_is_refused_and_moves_nothing(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    let token = harness.service_token();

    let mut many_legs = two_legs(&settlement, &client, "1.00");
    let leg = many_legs["legs"][0].clone();
    many_legs["legs"] = Value::Array(vec![leg; 33]);
    let response = harness
        .post("/v1/transfers", &token, Some("legs"), &many_legs)
        .await;
    assert_limit(response, "legs", "too_many_legs").await;

    let mut long_reference = two_legs(&settlement, &client, "1.00");
    long_reference["reference"] = json!("r".repeat(256));
    let response = harness
        .post("/v1/transfers", &token, Some("reference"), &long_reference)
        .await;
    assert_limit(response, "reference", "reference_length").await;

    let mut long_amount = two_legs(&settlement, &client, "1.00");
    long_amount["legs"][0]["amount"] = json!(format!("{}1.00", "0".repeat(40)));
    let response = harness
        .post("/v1/transfers", &token, Some("amount"), &long_amount)
        .await;
    assert_limit(response, "legs[0].amount", "not_an_amount").await;

    let mut long_number = two_legs(&settlement, &client, "1.00");
    long_number["legs"][1]["account"] = json!(format!("{client}0"));
    let response = harness
        .post("/v1/transfers", &token, Some("number"), &long_number)
        .await;
    assert_limit(response, "legs[1].account", "account_number_wrong_length").await;

    assert_eq!(harness.account(&client).await["posted_balance"], "0.00");
    assert_eq!(harness.account(&settlement).await["posted_balance"], "0.00");
}

#[sqlx::test(migrations = false)]
async fn a_founder_cannot_book_a_transfer_and_is_refused_before_the_body_is_read(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client_id = new_id();
    let client = harness.open_client_current(client_id).await;
    let mut body = two_legs(&settlement, &client, "1.00");
    body["reference"] = json!("r".repeat(256));
    let response = harness
        .post(
            "/v1/transfers",
            &harness.founder_token(client_id),
            Some("k"),
            &body,
        )
        .await;
    assert_problem(response, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn a_quote_over_a_declared_limit_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let me = new_id();
    let mine = harness.open_client_current(me).await;
    let theirs = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &mine, "100.00").await;
    let token = harness.founder_token(me);

    let long_amount = json!({"from_account": mine, "to_account": theirs,
                             "amount": format!("{}1.00", "0".repeat(40))});
    let response = harness
        .post("/v1/me/transfers/quote", &token, None, &long_amount)
        .await;
    assert_limit(response, "amount", "not_an_amount").await;
    let short_number = json!({"from_account": mine, "to_account": &theirs[..19], "amount": "1.00"});
    let response = harness
        .post("/v1/me/transfers/quote", &token, None, &short_number)
        .await;
    assert_limit(response, "to_account", "account_number_wrong_length").await;

    let staff = harness.staff_token(Role::Finance);
    let response = harness
        .post("/v1/me/transfers/quote", &staff, None, &long_amount)
        .await;
    assert_problem(response, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn a_confirmation_token_longer_than_any_token_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let me = new_id();
    harness.open_client_current(me).await;
    let body = json!({"quote_id": new_id(), "confirmation_token": "a".repeat(65)});
    let response = harness
        .post(
            "/v1/me/transfers/confirm",
            &harness.founder_token(me),
            Some("k"),
            &body,
        )
        .await;
    assert_limit(
        response,
        "confirmation_token",
        "confirmation_token_malformed",
    )
    .await;

    let response = harness
        .post(
            "/v1/me/transfers/confirm",
            &harness.service_token(),
            Some("k"),
            &body,
        )
        .await;
    assert_problem(response, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn posting_a_hold_with_an_amount_over_the_declared_limit_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let body = json!({"amount": format!("{}1.00", "0".repeat(40))});
    let path = format!("/v1/holds/{}/post", new_id());
    let response = harness
        .post(&path, &harness.service_token(), None, &body)
        .await;
    assert_limit(response, "amount", "not_an_amount").await;

    let response = harness
        .post(&path, &harness.founder_token(new_id()), None, &body)
        .await;
    assert_problem(response, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn the_openapi_document_shows_the_declared_limits(pool: PgPool) {
    let harness = start(pool).await;
    let document: Value = harness
        .get("/openapi.json", &harness.service_token())
        .await
        .json()
        .await
        .unwrap();
    let schemas = &document["components"]["schemas"];
    let transfer = &schemas["TransferRequestBody"]["properties"];
    assert_eq!(transfer["reference"]["maxLength"], 255, "{transfer}");
    assert_eq!(transfer["legs"]["maxItems"], 32, "{transfer}");
    let leg = &schemas["LegRequest"]["properties"];
    assert_eq!(leg["account"]["minLength"], 20, "{leg}");
    assert_eq!(leg["account"]["maxLength"], 20, "{leg}");
    assert_eq!(leg["amount"]["maxLength"], 40, "{leg}");
    let account = &schemas["CreateAccountRequest"]["properties"];
    assert_eq!(account["name"]["maxLength"], 200, "{account}");
    let quote = &schemas["QuoteRequest"]["properties"];
    assert_eq!(quote["to_account"]["maxLength"], 20, "{quote}");
    assert_eq!(quote["amount"]["maxLength"], 40, "{quote}");
    let confirm = &schemas["ConfirmRequest"]["properties"];
    assert_eq!(confirm["confirmation_token"]["maxLength"], 64, "{confirm}");
    let hold = &schemas["PostHoldRequest"]["properties"];
    assert_eq!(hold["amount"]["maxLength"], 40, "{hold}");
}

#[sqlx::test(migrations = false)]
async fn a_page_size_outside_one_to_the_configured_maximum_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let finance = harness.staff_token(Role::Finance);
    for limit in [0, 201] {
        let response = harness
            .get(&format!("/v1/transfer-proposals?limit={limit}"), &finance)
            .await;
        assert_limit(response, "limit", "limit_out_of_range").await;
    }
    let largest = harness
        .get("/v1/transfer-proposals?limit=200", &finance)
        .await;
    assert_eq!(largest.status(), 200);
    let founder = harness.founder_token(new_id());
    let response = harness
        .get("/v1/transfer-proposals?limit=0", &founder)
        .await;
    assert_problem(response, &[403], None).await;

    let account = harness.open_client_current(new_id()).await;
    let service = harness.service_token();
    for limit in [0, 201] {
        let response = harness
            .get(
                &format!("/v1/accounts/{account}/statement?limit={limit}"),
                &service,
            )
            .await;
        assert_limit(response, "limit", "limit_out_of_range").await;
    }
    let largest = harness
        .get(
            &format!("/v1/accounts/{account}/statement?limit=200"),
            &service,
        )
        .await;
    assert_eq!(largest.status(), 200);
}
