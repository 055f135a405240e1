//! Accounts and transfers over HTTP: opening, reading, booking, and every refusal.

mod common;

use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start, two_legs};

#[sqlx::test(migrations = false)]
async fn opening_an_account_issues_a_valid_number_with_zero_balances(pool: PgPool) {
    let harness = start(pool).await;
    let client_id = new_id();
    let body = json!({"owner": {"kind": "client", "client_id": client_id}, "kind": "client_current",
                      "currency": "UZS", "allow_negative": false, "name": "Main"});
    let token = harness.service_token();
    let first = harness
        .post("/v1/accounts", &token, Some("open-1"), &body)
        .await;
    assert_eq!(first.status(), 201);
    let account: Value = first.json().await.unwrap();
    let number = account["number"].as_str().unwrap();
    assert_eq!(number.len(), 20);
    assert!(
        number.starts_with("20206000"),
        "a person's current account in sums: {number}"
    );
    assert_eq!(account["posted_balance"], "0.00");
    assert_eq!(account["available_balance"], "0.00");
    assert_eq!(account["owner"]["kind"], "client");
    assert_eq!(account["owner"]["client_id"], client_id.to_string());
    assert_eq!(account["name"], "Main");

    let repeat = harness
        .post("/v1/accounts", &token, Some("open-1"), &body)
        .await;
    assert_eq!(repeat.status(), 201);
    let repeated: Value = repeat.json().await.unwrap();
    assert_eq!(
        repeated["id"], account["id"],
        "a repeat returns the same account"
    );

    let second = harness.open_client_current(client_id).await;
    assert_ne!(second, number, "a second account gets the next serial");
}

#[sqlx::test(migrations = false)]
async fn only_admins_and_services_open_accounts(pool: PgPool) {
    let harness = start(pool).await;
    let body = json!({"owner": {"kind": "bank"}, "kind": "grant_fund", "currency": "UZS"});
    for token in [
        harness.staff_token(Role::Finance),
        harness.founder_token(new_id()),
    ] {
        let response = harness.post("/v1/accounts", &token, Some("k"), &body).await;
        assert_problem(response, &[403], Some("forbidden")).await;
    }
    let admin = harness.staff_token(Role::Admin);
    let response = harness.post("/v1/accounts", &admin, Some("k"), &body).await;
    assert_eq!(response.status(), 201);
    let unauthenticated = harness
        .server
        .client
        .post(harness.server.url("/v1/accounts"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(unauthenticated, &[401], None).await;
}

#[sqlx::test(migrations = false)]
async fn an_account_of_the_wrong_owner_for_its_kind_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let token = harness.service_token();
    let bank_current =
        json!({"owner": {"kind": "bank"}, "kind": "client_current", "currency": "UZS"});
    let response = harness
        .post("/v1/accounts", &token, Some("a"), &bank_current)
        .await;
    let body = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(body["errors"][0]["field"], "owner");
    let unknown_kind = json!({"owner": {"kind": "bank"}, "kind": "vault", "currency": "UZS"});
    let response = harness
        .post("/v1/accounts", &token, Some("b"), &unknown_kind)
        .await;
    let body = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(body["errors"][0]["field"], "kind");
    let no_key = harness
        .post("/v1/accounts", &token, None, &bank_current)
        .await;
    assert_problem(no_key, &[400], Some("idempotency_key_required")).await;
}

#[sqlx::test(migrations = false)]
async fn a_transfer_moves_money_and_each_entry_records_the_balance_after_it(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    let response = harness
        .transfer("t-1", &settlement, &client, "150.50")
        .await;
    assert_eq!(response.status(), 201);
    let transfer: Value = response.json().await.unwrap();
    assert_eq!(transfer["status"], "posted");
    assert_eq!(transfer["kind"], "adjustment");
    assert_eq!(transfer["reference"], "test");
    assert_eq!(transfer["legs"][0]["account"], settlement);
    assert_eq!(transfer["legs"][0]["side"], "debit");
    assert_eq!(transfer["legs"][0]["balance_after"], "150.50");
    assert_eq!(transfer["legs"][1]["account"], client);
    assert_eq!(transfer["legs"][1]["amount"], "150.50");
    assert_eq!(transfer["legs"][1]["balance_after"], "150.50");

    let account = harness.account(&client).await;
    assert_eq!(account["posted_balance"], "150.50");
    assert_eq!(account["available_balance"], "150.50");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_repeat_with_the_same_key_returns_the_original_transfer(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    let first: Value = harness
        .transfer("same-key", &settlement, &client, "10.00")
        .await
        .json()
        .await
        .unwrap();
    let repeat = harness
        .transfer("same-key", &settlement, &client, "10.00")
        .await;
    assert_eq!(repeat.status(), 201);
    assert_eq!(repeat.headers()["idempotent-replayed"], "true");
    let repeated: Value = repeat.json().await.unwrap();
    assert_eq!(repeated, first, "the original transfer, unchanged");
    assert_eq!(harness.account(&client).await["posted_balance"], "10.00");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn the_same_key_with_different_content_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    let first = harness.transfer("key", &settlement, &client, "10.00").await;
    assert_eq!(first.status(), 201);
    let different = harness.transfer("key", &settlement, &client, "11.00").await;
    assert_problem(different, &[422], Some("idempotency_key_reused")).await;
    assert_eq!(harness.account(&client).await["posted_balance"], "10.00");
}

#[sqlx::test(migrations = false)]
async fn an_overdraft_is_refused_with_insufficient_funds(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let payer = harness.open_client_current(new_id()).await;
    let payee = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &payer, "100.00").await;
    let response = harness
        .transfer("overdraft", &payer, &payee, "100.01")
        .await;
    let body = assert_problem(response, &[422], Some("insufficient_funds")).await;
    assert_eq!(body["errors"][0]["field"], "legs[0].amount");
    assert_eq!(harness.account(&payer).await["posted_balance"], "100.00");
    assert_eq!(harness.account(&payee).await["posted_balance"], "0.00");

    let exact = harness.transfer("exact", &payer, &payee, "100.00").await;
    assert_eq!(exact.status(), 201, "the whole balance may be spent");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_transfer_with_an_account_in_another_currency_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client_id = new_id();
    let dollars = harness
        .post(
            "/v1/accounts",
            &harness.service_token(),
            Some("usd"),
            &json!({"owner": {"kind": "client", "client_id": client_id}, "kind": "client_current", "currency": "USD"}),
        )
        .await;
    assert_eq!(dollars.status(), 201);
    let dollars: Value = dollars.json().await.unwrap();
    let response = harness
        .transfer(
            "fx",
            &settlement,
            dollars["number"].as_str().unwrap(),
            "5.00",
        )
        .await;
    assert_problem(response, &[422], Some("currency_mismatch")).await;
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn unbalanced_legs_are_refused(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    let body = json!({"kind": "adjustment", "reference": "test", "currency": "UZS", "legs": [
        {"account": settlement, "side": "debit", "amount": "10.00"},
        {"account": client, "side": "credit", "amount": "9.99"},
    ]});
    let response = harness
        .post("/v1/transfers", &harness.service_token(), Some("u"), &body)
        .await;
    assert_problem(response, &[422], Some("unbalanced_transfer")).await;
    let one_leg = json!({"kind": "adjustment", "reference": "test", "currency": "UZS", "legs": [
        {"account": settlement, "side": "debit", "amount": "10.00"},
    ]});
    let response = harness
        .post(
            "/v1/transfers",
            &harness.service_token(),
            Some("v"),
            &one_leg,
        )
        .await;
    assert_problem(response, &[422], Some("too_few_legs")).await;
}

#[sqlx::test(migrations = false)]
async fn an_amount_with_a_fourth_decimal_place_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    let response = harness.transfer("d", &settlement, &client, "1.0001").await;
    let body = assert_problem(response, &[422], Some("too_many_decimals")).await;
    assert_eq!(body["errors"][0]["field"], "legs[0].amount");
    let zero = harness.transfer("z", &settlement, &client, "0.00").await;
    assert_problem(zero, &[422], Some("amount_not_positive")).await;
    let words = harness.transfer("w", &settlement, &client, "ten").await;
    let body = assert_problem(words, &[422], Some("validation_failed")).await;
    assert_eq!(body["errors"][0]["field"], "legs[0].amount");
    assert_eq!(harness.account(&client).await["posted_balance"], "0.00");
}

#[sqlx::test(migrations = false)]
async fn an_unknown_or_malformed_account_number_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    // Another valid number with the next serial, never opened.
    let mut unopened = client.clone();
    unopened.replace_range(17..20, "777");
    let mut wrong_check = client.clone();
    let check = client.as_bytes()[8] - b'0';
    wrong_check.replace_range(8..9, &((check + 1) % 10).to_string());
    let response = harness
        .transfer("bad", &settlement, &wrong_check, "1.00")
        .await;
    let body = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(body["errors"][0]["field"], "legs[1].account");
    assert_eq!(
        body["errors"][0]["code"],
        "account_number_wrong_check_digit"
    );
    let short = harness
        .transfer("short", &settlement, "2020600", "1.00")
        .await;
    assert_problem(short, &[422], Some("validation_failed")).await;

    let number_for_serial = |serial: u16| {
        use imkon_accounts::domain::account_number::{AccountNumber, BalanceAccountCode};
        AccountNumber::issue(
            imkon_accounts::default_bank_code(),
            BalanceAccountCode::CURRENT_ACCOUNT_OF_INDIVIDUAL,
            imkon_platform::money::Currency::Uzs,
            99_999_999,
            serial,
        )
        .unwrap()
        .to_string()
    };
    let response = harness
        .transfer("unknown", &settlement, &number_for_serial(5), "1.00")
        .await;
    let body = assert_problem(response, &[404], Some("unknown_account")).await;
    assert_eq!(body["errors"][0]["field"], "legs[1].account");
}

#[sqlx::test(migrations = false)]
async fn only_services_admins_and_finance_move_money_and_staff_only_by_proposal(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client_id = new_id();
    let client = harness.open_client_current(client_id).await;
    let body = two_legs(&settlement, &client, "1.00");
    for token in [
        harness.founder_token(client_id),
        harness.staff_token(Role::CreditOfficer),
    ] {
        let response = harness
            .post("/v1/transfers", &token, Some("x"), &body)
            .await;
        assert_problem(response, &[403], Some("forbidden")).await;
    }
    for (key, role) in [("f", Role::Finance), ("a", Role::Admin)] {
        let response = harness
            .post(
                "/v1/transfers",
                &harness.staff_token(role),
                Some(key),
                &body,
            )
            .await;
        assert_eq!(
            response.status(),
            202,
            "a second member of staff must confirm"
        );
    }
    let no_key = harness
        .post("/v1/transfers", &harness.service_token(), None, &body)
        .await;
    assert_problem(no_key, &[400], Some("idempotency_key_required")).await;
}

#[sqlx::test(migrations = false)]
async fn a_transfer_with_many_legs_applies_all_or_none(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let payer = harness.open_client_current(new_id()).await;
    let loan_owner = new_id();
    let loan = harness
        .open(
            json!({"kind": "client", "client_id": loan_owner}),
            "loan",
            false,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let income = harness
        .open(json!({"kind": "bank"}), "interest_income", false)
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    harness.fund(&settlement, &payer, "100.00").await;
    // A loan is debit-normal: disbursing it debits the loan, so it holds what is owed.
    let disbursement = harness.transfer("loan", &loan, &payer, "500.00").await;
    assert_eq!(disbursement.status(), 201);
    let repayment = |principal: &str, interest: &str, total: &str| {
        json!({"kind": "repayment", "reference": "contract:1", "currency": "UZS", "legs": [
            {"account": payer, "side": "debit", "amount": total},
            {"account": loan, "side": "credit", "amount": principal},
            {"account": income, "side": "credit", "amount": interest},
        ]})
    };
    let too_much = harness
        .post(
            "/v1/transfers",
            &harness.service_token(),
            Some("r1"),
            &repayment("590.00", "20.00", "610.00"),
        )
        .await;
    assert_problem(too_much, &[422], Some("insufficient_funds")).await;
    assert_eq!(harness.account(&loan).await["posted_balance"], "500.00");
    assert_eq!(harness.account(&income).await["posted_balance"], "0.00");

    let fits = harness
        .post(
            "/v1/transfers",
            &harness.service_token(),
            Some("r2"),
            &repayment("80.00", "20.00", "100.00"),
        )
        .await;
    assert_eq!(fits.status(), 201);
    assert_eq!(harness.account(&payer).await["posted_balance"], "500.00");
    assert_eq!(harness.account(&loan).await["posted_balance"], "420.00");
    assert_eq!(harness.account(&income).await["posted_balance"], "20.00");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_founder_sees_their_own_account_and_not_another_clients(pool: PgPool) {
    let harness = start(pool).await;
    let mine = new_id();
    let theirs = new_id();
    let my_account = harness.open_client_current(mine).await;
    let their_account = harness.open_client_current(theirs).await;
    let founder = harness.founder_token(mine);
    let own = harness
        .get(&format!("/v1/accounts/{my_account}"), &founder)
        .await;
    assert_eq!(own.status(), 200);
    let other = harness
        .get(&format!("/v1/accounts/{their_account}"), &founder)
        .await;
    assert_problem(other, &[404], Some("not_found")).await;

    let listed: Value = harness
        .get("/v1/me/accounts", &founder)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["number"], my_account);

    let by_client = harness
        .get(
            &format!("/v1/accounts?client_id={theirs}&kind=client_current"),
            &harness.staff_token(Role::CreditOfficer),
        )
        .await;
    assert_eq!(by_client.status(), 200);
    let by_client: Value = by_client.json().await.unwrap();
    assert_eq!(by_client[0]["number"], their_account);
    let founder_listing = harness
        .get(&format!("/v1/accounts?client_id={theirs}"), &founder)
        .await;
    assert_problem(founder_listing, &[403], Some("forbidden")).await;
}

#[sqlx::test(migrations = false)]
async fn concurrent_repeats_of_a_key_all_answer_with_the_one_transfer(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    // Repeats of a key booked in an earlier batch, and repeats of a fresh key, arriving
    // together so that the writer meets several of them in one batch.
    let booked: Value = harness
        .transfer("earlier", &settlement, &client, "1.00")
        .await
        .json()
        .await
        .unwrap();
    let repeats = (0..24).map(|attempt| {
        let key = if attempt % 2 == 0 { "earlier" } else { "fresh" };
        harness.transfer(key, &settlement, &client, "1.00")
    });
    let answers = futures::future::join_all(repeats).await;
    let mut fresh_ids = std::collections::HashSet::new();
    for (attempt, answer) in answers.into_iter().enumerate() {
        assert_eq!(answer.status(), 201);
        let transfer: Value = answer.json().await.unwrap();
        if attempt % 2 == 0 {
            assert_eq!(transfer["id"], booked["id"]);
        } else {
            fresh_ids.insert(transfer["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(fresh_ids.len(), 1, "the fresh key booked one transfer");
    assert_eq!(harness.account(&client).await["posted_balance"], "2.00");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn one_key_sent_at_once_from_many_accounts_books_once_whichever_writers_take_it(
    pool: PgPool,
) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let payee = harness.open_client_current(new_id()).await;
    // Each request debits another account, so the requests go to the writers of different
    // accounts and race for the one key in batches of their own.
    let mut payers = Vec::new();
    for index in 0..8 {
        let payer = harness.open_client_current(new_id()).await;
        let funded = harness
            .transfer(&format!("fund-{index}"), &settlement, &payer, "10.00")
            .await;
        assert_eq!(funded.status(), 201);
        payers.push(payer);
    }
    let answers = futures::future::join_all(
        payers
            .iter()
            .map(|payer| harness.transfer("shared", payer, &payee, "1.00")),
    )
    .await;
    let mut booked = 0;
    for answer in answers {
        if answer.status() == 201 {
            booked += 1;
        } else {
            assert_problem(answer, &[422], Some("idempotency_key_reused")).await;
        }
    }
    assert_eq!(
        booked, 1,
        "one request booked the key, every other was refused"
    );
    assert_eq!(harness.account(&payee).await["posted_balance"], "1.00");
    let mut left = Vec::new();
    for payer in &payers {
        left.push(harness.account(payer).await["posted_balance"].clone());
    }
    assert_eq!(left.iter().filter(|balance| *balance == "9.00").count(), 1);
    assert_eq!(left.iter().filter(|balance| *balance == "10.00").count(), 7);
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn the_database_itself_refuses_to_rewrite_an_entry_or_overdraw_an_account(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &client, "5.00").await;
    let rewrite = sqlx::query("update entry set amount = amount + 1")
        .execute(&harness.pool)
        .await;
    assert!(
        rewrite.unwrap_err().to_string().contains("append-only"),
        "entries are append-only"
    );
    let erase = sqlx::query("delete from entry")
        .execute(&harness.pool)
        .await;
    assert!(erase.is_err(), "entries cannot be deleted");
    let overdraw = sqlx::query("update account set posted_balance = -1 where number = $1")
        .bind(&client)
        .execute(&harness.pool)
        .await;
    assert!(
        overdraw
            .unwrap_err()
            .to_string()
            .contains("account_not_overdrawn"),
        "an account that may not go below zero never does"
    );
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_caller_without_the_role_is_refused_before_the_request_is_read(pool: PgPool) {
    let harness = start(pool).await;
    let founder = harness.founder_token(new_id());
    let garbage = json!({"not": "a transfer"});

    for path in ["/v1/transfers", "/v1/accounts"] {
        let response = harness.post(path, &founder, None, &garbage).await;
        assert_problem(response, &[403], Some("forbidden")).await;
    }
    let listed = harness.get("/v1/accounts?kind=nonsense", &founder).await;
    assert_problem(listed, &[403], Some("forbidden")).await;
}

#[sqlx::test(migrations = false)]
async fn a_loan_written_off_moves_its_principal_to_the_bank_loan_loss_account(pool: PgPool) {
    let harness = start(pool).await;
    let client_id = new_id();
    let loan = harness
        .open(
            json!({"kind": "client", "client_id": client_id}),
            "loan",
            false,
        )
        .await;
    let loan = loan["number"].as_str().unwrap();
    let current = harness.open_client_current(client_id).await;
    let loss = harness
        .open(json!({"kind": "bank"}), "loan_loss", false)
        .await;
    let loss = loss["number"].as_str().unwrap();
    assert_eq!(
        &loss[..5],
        "56802",
        "the chart of accounts' code for loan losses"
    );

    // The loan was paid out: the loan account (debit-normal) holds what the client owes.
    let paid_out = harness.transfer("payout", loan, &current, "700.00").await;
    assert_eq!(paid_out.status(), 201);

    let written_off = harness
        .post(
            "/v1/transfers",
            &harness.service_token(),
            Some("write-off"),
            &json!({
                "kind": "write_off",
                "reference": "contract:test",
                "currency": "UZS",
                "legs": [
                    {"account": loss, "side": "debit", "amount": "700.00"},
                    {"account": loan, "side": "credit", "amount": "700.00"},
                ],
            }),
        )
        .await;
    assert_eq!(written_off.status(), 201);
    assert_eq!(harness.account(loan).await["posted_balance"], "0.00");
    assert_eq!(
        harness.account(loss).await["posted_balance"],
        "700.00",
        "a loss is an expense: a debit makes it grow"
    );
    harness.assert_invariants().await;
}

/// The service remembers which id an account number resolves to; that is sound only because an
/// account's id and number never change and an account is never deleted, which the database
/// itself refuses whoever asks.
#[sqlx::test(migrations = false)]
async fn an_accounts_number_and_id_never_change_and_it_is_never_deleted(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let number = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &number, "10.00").await;

    let renumbered =
        sqlx::query("update account set number = '20206000000000000001' where number = $1")
            .bind(&number)
            .execute(&harness.pool)
            .await;
    assert!(renumbered.is_err(), "an account cannot be renumbered");
    let new_id_given = sqlx::query("update account set id = gen_random_uuid() where number = $1")
        .bind(&number)
        .execute(&harness.pool)
        .await;
    assert!(new_id_given.is_err(), "an account's id cannot change");
    let unused = harness.open_client_current(new_id()).await;
    let deleted = sqlx::query("delete from account where number = $1")
        .bind(&unused)
        .execute(&harness.pool)
        .await;
    assert!(
        deleted.is_err(),
        "an account without entries cannot be deleted either"
    );
    let renamed = sqlx::query("update account set name = 'Savings' where number = $1")
        .bind(&number)
        .execute(&harness.pool)
        .await
        .expect("the rest of an account may change");
    assert_eq!(renamed.rows_affected(), 1);

    // A number remembered from one transfer and a number opened after it both resolve.
    let later = harness.open_client_current(new_id()).await;
    let moved = harness
        .transfer("after-open", &number, &later, "4.00")
        .await;
    assert_eq!(moved.status(), 201);
    assert_eq!(harness.account(&later).await["posted_balance"], "4.00");
    assert_eq!(harness.account(&number).await["posted_balance"], "6.00");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn the_ledger_reports_how_many_transfers_each_batch_booked(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    for key in ["m-1", "m-2", "m-3"] {
        let response = harness.transfer(key, &settlement, &client, "1.00").await;
        assert_eq!(response.status(), 201);
    }
    let scrape = harness.get("/metrics", "").await.text().await.unwrap();
    // Other tests in this process book batches too: the figures only grow.
    let booked: f64 = scrape
        .lines()
        .find_map(|line| line.strip_prefix("ledger_batch_transfers_sum{service=\"accounts\"} "))
        .unwrap_or_else(|| panic!("no ledger batch figures in:\n{scrape}"))
        .parse()
        .unwrap();
    assert!(booked >= 3.0, "{scrape}");
    assert!(
        scrape.contains("ledger_batch_transfers_bucket{service=\"accounts\",le=\"512\"}"),
        "{scrape}"
    );
}
