//! `company.kyc_approved` opens the company's own current account in sums, once, which its
//! founder sees among their accounts and nobody else's founder does.

mod common;

use imkon_accounts::default_bank_code;
use imkon_accounts::domain::account_number::{AccountNumber, BalanceAccountCode, BankCode};
use imkon_accounts::opening::seed_demo;
use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::money::Currency;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use common::{start, Harness};

fn event(event_id: Uuid, topic: &str, payload: Value) -> Value {
    json!({
        "id": event_id,
        "topic": topic,
        "occurred_at": "2026-11-26T10:00:00Z",
        "payload": payload,
    })
}

fn company_approved(event_id: Uuid, company_id: Uuid, founder: Uuid) -> Value {
    event(
        event_id,
        "company.kyc_approved",
        json!({
            "company_id": company_id,
            "client_id": founder,
            "stir": "301000101",
            "approved_at": "2026-11-26T10:00:00Z",
        }),
    )
}

/// Delivers an event as onboarding's relay does; answers the receipt's outcome.
async fn deliver(harness: &Harness, event: &Value) -> Value {
    let response = harness
        .post(
            "/v1/events",
            &harness.service_token_of("onboarding"),
            None,
            event,
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["outcome"].clone()
}

async fn my_accounts(harness: &Harness, client_id: Uuid) -> Vec<Value> {
    let response = harness
        .get("/v1/me/accounts", &harness.founder_token(client_id))
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Vec<Value>>().await.unwrap()
}

/// The company's accounts as a service (disbursement) finds them.
async fn company_accounts(harness: &Harness, company_id: Uuid) -> Vec<Value> {
    let response = harness
        .get(
            &format!("/v1/accounts?company_id={company_id}&kind=company_current"),
            &harness.service_token(),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Vec<Value>>().await.unwrap()
}

/// A founder who passed KYC, with a company whose KYC was approved too; answers the company's
/// account.
async fn founder_with_company(harness: &Harness, founder: Uuid, company_id: Uuid) -> Value {
    let person = event(
        new_id(),
        "client.kyc_approved",
        json!({"client_id": founder}),
    );
    assert_eq!(deliver(harness, &person).await, "applied");
    let approval = company_approved(new_id(), company_id, founder);
    assert_eq!(deliver(harness, &approval).await, "applied");
    let accounts = company_accounts(harness, company_id).await;
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    accounts[0].clone()
}

#[sqlx::test(migrations = false)]
async fn a_companys_approval_opens_one_account_of_its_own_however_often_it_arrives(pool: PgPool) {
    let harness = start(pool).await;
    let (founder, company_id) = (new_id(), new_id());
    let person = event(
        new_id(),
        "client.kyc_approved",
        json!({"client_id": founder}),
    );
    assert_eq!(deliver(&harness, &person).await, "applied");
    let approval = company_approved(new_id(), company_id, founder);
    assert_eq!(deliver(&harness, &approval).await, "applied");
    assert_eq!(deliver(&harness, &approval).await, "duplicate");
    let approved_again = company_approved(new_id(), company_id, founder);
    assert_eq!(deliver(&harness, &approved_again).await, "applied");

    let accounts = company_accounts(&harness, company_id).await;
    assert_eq!(
        accounts.len(),
        1,
        "one account however often the event arrives"
    );
    let company_account = &accounts[0];
    assert_eq!(company_account["kind"], "company_current");
    assert_eq!(
        company_account["owner"],
        json!({"kind": "company", "company_id": company_id})
    );
    assert_eq!(company_account["currency"], "UZS");
    assert_eq!(company_account["allow_negative"], false);
    assert_eq!(company_account["posted_balance"], "0.00");
    let number = company_account["number"].as_str().unwrap();
    assert!(
        number.starts_with("20208000"),
        "the legal entities' demand deposits, in sums: {number}"
    );

    let mine = my_accounts(&harness, founder).await;
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert_eq!(mine[0]["kind"], "client_current");
    assert_eq!(
        mine[0]["owner"],
        json!({"kind": "client", "client_id": founder})
    );
    assert_eq!(mine[1], *company_account);
    let personal = mine[0]["number"].as_str().unwrap();
    assert!(personal.starts_with("20206000"), "{personal}");
    assert_ne!(
        &personal[9..17],
        &number[9..17],
        "the company has an owner code of its own, not its founder's"
    );
    let persons_list = harness
        .get(
            &format!("/v1/accounts?client_id={founder}"),
            &harness.staff_token(Role::KycOfficer),
        )
        .await
        .json::<Vec<Value>>()
        .await
        .unwrap();
    assert_eq!(
        persons_list.len(),
        1,
        "a person's own accounts are theirs alone: {persons_list:?}"
    );

    let audited: Vec<(String, i64)> = sqlx::query_as(
        "select action, count(*) from audit_record
         where actor_id is null and (subject_id = $1 or subject_id = $2)
         group by action order by action",
    )
    .bind(company_id.to_string())
    .bind(company_account["id"].as_str().unwrap())
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            ("account.opened".to_owned(), 1),
            ("company.recorded".to_owned(), 1)
        ]
    );
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn another_founder_neither_lists_nor_reads_a_companys_account(pool: PgPool) {
    let harness = start(pool).await;
    let (founder, company_id) = (new_id(), new_id());
    let account = founder_with_company(&harness, founder, company_id).await;
    let number = account["number"].as_str().unwrap();
    let other = new_id();
    let other_person = event(new_id(), "client.kyc_approved", json!({"client_id": other}));
    assert_eq!(deliver(&harness, &other_person).await, "applied");

    let theirs = my_accounts(&harness, other).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["kind"], "client_current");
    let read = harness
        .get(
            &format!("/v1/accounts/{number}"),
            &harness.founder_token(other),
        )
        .await;
    assert_problem(read, &[404], None).await;
    let statement = harness
        .get(
            &format!("/v1/accounts/{number}/statement"),
            &harness.founder_token(other),
        )
        .await;
    assert_problem(statement, &[404], None).await;

    let by_its_founder = harness
        .get(
            &format!("/v1/accounts/{number}"),
            &harness.founder_token(founder),
        )
        .await;
    assert_eq!(by_its_founder.status(), 200);
    let listing = harness
        .get("/v1/accounts", &harness.staff_token(Role::CreditOfficer))
        .await;
    assert_problem(listing, &[422], Some("validation_failed")).await;
}

#[sqlx::test(migrations = false)]
async fn money_paid_to_a_company_stays_on_the_companys_account(pool: PgPool) {
    let harness = start(pool).await;
    let (founder, company_id) = (new_id(), new_id());
    let account = founder_with_company(&harness, founder, company_id).await;
    let number = account["number"].as_str().unwrap();
    let settlement = harness.open_settlement().await;
    harness.fund(&settlement, number, "2500000.00").await;

    assert_eq!(
        harness.account(number).await["posted_balance"],
        "2500000.00"
    );
    let mine = my_accounts(&harness, founder).await;
    assert_eq!(mine[0]["posted_balance"], "0.00", "the founder's own money");
    assert_eq!(mine[1]["posted_balance"], "2500000.00");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_companys_account_is_not_opened_by_hand(pool: PgPool) {
    let harness = start(pool).await;
    let response = harness
        .post(
            "/v1/accounts",
            &harness.service_token(),
            Some(&new_id().to_string()),
            &json!({
                "owner": {"kind": "company", "company_id": new_id()},
                "kind": "company_current",
                "currency": "UZS",
            }),
        )
        .await;
    let body = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(
        body["errors"][0]["code"],
        "company_account_opens_on_approval"
    );
    let for_a_person = harness
        .post(
            "/v1/accounts",
            &harness.service_token(),
            Some(&new_id().to_string()),
            &json!({
                "owner": {"kind": "client", "client_id": new_id()},
                "kind": "company_current",
                "currency": "UZS",
            }),
        )
        .await;
    assert_problem(for_a_person, &[422], None).await;
}

#[sqlx::test(migrations = false)]
async fn a_company_approval_without_a_proper_stir_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let mut approval = company_approved(new_id(), new_id(), new_id());
    approval["payload"]["stir"] = json!("30100010");
    let response = harness
        .post(
            "/v1/events",
            &harness.service_token_of("onboarding"),
            None,
            &approval,
        )
        .await;
    let body = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(body["errors"][0]["field"], "payload.stir");
    let opened: i64 = sqlx::query_scalar("select count(*) from account")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(opened, 0);
}

#[sqlx::test(migrations = false)]
async fn finance_staff_who_founded_a_company_cannot_move_its_money(pool: PgPool) {
    let harness = start(pool).await;
    let (founder, company_id) = (new_id(), new_id());
    let account = founder_with_company(&harness, founder, company_id).await;
    let number = account["number"].as_str().unwrap();
    let settlement = harness.open_settlement().await;
    let insider = harness.token_for(
        &imkon_auth::Principal::user(new_id(), [Role::Finance], Some(founder), None).unwrap(),
    );
    let response = harness
        .post(
            "/v1/transfers",
            &insider,
            Some(&new_id().to_string()),
            &common::two_legs(&settlement, number, "1000.00"),
        )
        .await;
    assert_problem(response, &[403], Some("own_account")).await;
    assert_eq!(harness.account(number).await["posted_balance"], "0.00");
}

/// A client who passed KYC, with a funded account of their own.
async fn client_with_money(harness: &Harness, settlement: &str, amount: &str) -> (Uuid, String) {
    let client = new_id();
    let person = event(
        new_id(),
        "client.kyc_approved",
        json!({"client_id": client}),
    );
    assert_eq!(deliver(harness, &person).await, "applied");
    let number = my_accounts(harness, client).await[0]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    harness.fund(settlement, &number, amount).await;
    (client, number)
}

/// Quotes and confirms a client's transfer; answers the confirmation's response.
async fn pay(
    harness: &Harness,
    client: Uuid,
    from: &str,
    to: &str,
    amount: &str,
) -> reqwest::Response {
    let token = harness.founder_token(client);
    let quote = harness
        .post(
            "/v1/me/transfers/quote",
            &token,
            None,
            &json!({"from_account": from, "to_account": to, "amount": amount}),
        )
        .await;
    if quote.status() != 201 {
        return quote;
    }
    let quote: Value = quote.json().await.unwrap();
    harness
        .post(
            "/v1/me/transfers/confirm",
            &token,
            Some(&new_id().to_string()),
            &json!({
                "quote_id": quote["quote_id"],
                "confirmation_token": quote["confirmation_token"],
            }),
        )
        .await
}

#[sqlx::test(migrations = false)]
async fn a_founder_pays_from_names_and_adds_accounts_to_their_companys_and_nobody_else_does(
    pool: PgPool,
) {
    let harness = start(pool).await;
    let (founder, company_id) = (new_id(), new_id());
    let account = founder_with_company(&harness, founder, company_id).await;
    let company = account["number"].as_str().unwrap().to_owned();
    let settlement = harness.open_settlement().await;
    harness.fund(&settlement, &company, "2500000.00").await;
    let (supplier, supplier_account) = client_with_money(&harness, &settlement, "1.00").await;
    let personal = my_accounts(&harness, founder).await[0]["number"]
        .as_str()
        .unwrap()
        .to_owned();

    let paid = pay(&harness, founder, &company, &supplier_account, "400000.00").await;
    assert_eq!(paid.status(), 201, "{}", paid.text().await.unwrap());
    assert_eq!(
        harness.account(&company).await["posted_balance"],
        "2100000.00"
    );
    assert_eq!(
        harness.account(&supplier_account).await["posted_balance"],
        "400001.00"
    );
    let to_founder = pay(&harness, founder, &company, &personal, "100000.00").await;
    assert_eq!(to_founder.status(), 201, "the company may pay its founder");
    let told: Vec<String> = sqlx::query_scalar(
        "select payload->>'client_id' from outbox_event
         where topic = 'account.money_moved' and payload->>'movement' = 'transfer_received'
         order by created_at",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(
        told,
        [supplier.to_string()],
        "a transfer to oneself tells nobody it arrived"
    );

    let stranger = pay(&harness, supplier, &company, &supplier_account, "1.00").await;
    assert_problem(stranger, &[404], None).await;
    let too_much = pay(&harness, founder, &company, &supplier_account, "2000000.01").await;
    assert_problem(too_much, &[422], Some("insufficient_funds")).await;
    assert_eq!(
        harness.account(&company).await["posted_balance"],
        "2000000.00"
    );

    let rename = |client: Uuid, name: &str| {
        let request = harness
            .server
            .client
            .patch(harness.server.url(&format!("/v1/me/accounts/{company}")))
            .bearer_auth(harness.founder_token(client))
            .json(&json!({ "name": name }));
        async move { request.send().await.unwrap() }
    };
    let renamed = rename(founder, "Payroll").await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Payroll");
    let renamed_by_stranger = rename(supplier, "Mine now").await;
    assert_problem(renamed_by_stranger, &[404], None).await;

    let open_for = |client: Uuid, currency: &str| {
        let harness = &harness;
        let body = json!({"currency": currency, "company_id": company_id});
        async move {
            harness
                .post(
                    "/v1/me/accounts",
                    &harness.founder_token(client),
                    Some(&new_id().to_string()),
                    &body,
                )
                .await
        }
    };
    assert_problem(open_for(supplier, "USD").await, &[404], None).await;
    let dollars = open_for(founder, "USD").await;
    assert_eq!(dollars.status(), 201);
    let dollars: Value = dollars.json().await.unwrap();
    assert_eq!(dollars["kind"], "company_current");
    assert_eq!(
        dollars["owner"],
        json!({"kind": "company", "company_id": company_id})
    );
    assert_problem(
        open_for(founder, "USD").await,
        &[409],
        Some("current_account_limit"),
    )
    .await;
    let personal_dollars = harness
        .post(
            "/v1/me/accounts",
            &harness.founder_token(founder),
            Some(&new_id().to_string()),
            &json!({"currency": "USD"}),
        )
        .await;
    assert_eq!(
        personal_dollars.status(),
        201,
        "the founder's own count apart"
    );
    let personal_dollars: Value = personal_dollars.json().await.unwrap();
    let exchange = harness
        .post(
            "/v1/me/exchanges/quote",
            &harness.founder_token(founder),
            None,
            &json!({
                "from_account": company,
                "to_account": personal_dollars["number"],
                "sell_amount": "100000.00",
            }),
        )
        .await;
    let body = assert_problem(exchange, &[422], None).await;
    assert_eq!(body["errors"][0]["code"], "different_holder", "{body}");

    let close = |number: String| {
        let harness = &harness;
        async move {
            harness
                .post(
                    &format!("/v1/me/accounts/{number}/close"),
                    &harness.founder_token(founder),
                    None,
                    &json!({}),
                )
                .await
        }
    };
    assert_problem(
        close(company.clone()).await,
        &[409],
        Some("last_company_account"),
    )
    .await;
    let closed = close(dollars["number"].as_str().unwrap().to_owned()).await;
    assert_eq!(
        closed.status(),
        200,
        "an empty company account in dollars closes"
    );
    assert!(closed.json::<Value>().await.unwrap()["closed_at"].is_string());

    let audited: Vec<String> = sqlx::query_scalar(
        "select action from audit_record
         where 'client' = any(actor_roles) and subject_type = 'account'
         order by occurred_at, action",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "account.renamed",
            "account.opened",
            "account.opened",
            "account.closed"
        ]
    );
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn money_from_another_bank_for_a_company_is_credited_to_its_account_and_its_founder_told(
    pool: PgPool,
) {
    let harness = start(pool).await;
    harness.clock.set("2027-03-10T10:10:00Z".parse().unwrap());
    seed_demo(&harness.pool, default_bank_code(), harness.calendar.now())
        .await
        .unwrap();
    let (founder, company_id) = (new_id(), new_id());
    let account = founder_with_company(&harness, founder, company_id).await;
    let company = account["number"].as_str().unwrap();
    let payer = AccountNumber::issue(
        BankCode::parse("00440").unwrap(),
        BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
        Currency::Uzs,
        4_242,
        1,
    )
    .unwrap();
    let file = format!(
        "IMKON-CLEARING 1 INCOMING 2027-03-10\n\
         CLR-0101|00873|{payer}|OOO Customer|{company}|750000.00|Invoice 7\n\
         TOTAL 1|750000.00\n"
    );
    let received = harness
        .post(
            "/v1/clearing/incoming-files",
            &harness.staff_token(Role::Finance),
            None,
            &json!({"file_name": "incoming-2027-03-10-1.txt", "content": file}),
        )
        .await;
    assert_eq!(received.status(), 200);
    let report: Value = received.json().await.unwrap();
    assert_eq!(report["credited"], 1, "{report}");
    assert_eq!(
        harness.account(company).await["posted_balance"],
        "750000.00"
    );
    let told: Vec<String> = sqlx::query_scalar(
        "select payload->>'client_id' from outbox_event
         where topic = 'account.money_moved' and payload->>'movement' = 'interbank_payment'",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(told, [founder.to_string()]);
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_company_pays_another_bank_but_funds_no_deposit_of_its_founder(pool: PgPool) {
    let harness = start(pool).await;
    harness.clock.set("2027-03-10T10:10:00Z".parse().unwrap());
    seed_demo(&harness.pool, default_bank_code(), harness.calendar.now())
        .await
        .unwrap();
    let (founder, company_id) = (new_id(), new_id());
    let account = founder_with_company(&harness, founder, company_id).await;
    let company = account["number"].as_str().unwrap().to_owned();
    let settlement = harness.open_settlement().await;
    harness.fund(&settlement, &company, "1000000.00").await;
    let (stranger, _) = client_with_money(&harness, &settlement, "1.00").await;
    let payee = AccountNumber::issue(
        BankCode::parse("00440").unwrap(),
        BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
        Currency::Uzs,
        12_345_678,
        1,
    )
    .unwrap()
    .to_string();
    let payment = json!({
        "from_account": company,
        "to_bank": "00440",
        "to_account": payee,
        "recipient_name": "OOO Silk Road Software",
        "purpose": "Invoice 42 for software development",
        "amount": "250000.00",
    });
    let by_stranger = harness
        .post(
            "/v1/me/interbank-payments",
            &harness.founder_token(stranger),
            Some(&new_id().to_string()),
            &payment,
        )
        .await;
    assert_problem(by_stranger, &[404], None).await;
    let accepted = harness
        .post(
            "/v1/me/interbank-payments",
            &harness.founder_token(founder),
            Some(&new_id().to_string()),
            &payment,
        )
        .await;
    assert_eq!(accepted.status(), 201);
    let held = harness.account(&company).await;
    assert_eq!(held["posted_balance"], "1000000.00");
    assert_eq!(
        held["available_balance"], "750000.00",
        "held until the cut-off"
    );

    let product = harness
        .post(
            "/v1/deposit-products",
            &harness.staff_token(Role::Admin),
            None,
            &json!({
                "name": "12 months",
                "currency": "UZS",
                "term_months": 12,
                "annual_rate": "20",
                "early_withdrawal_rate": "5",
                "min_amount": "100000",
                "interest_payout": "maturity",
                "capitalised": false,
            }),
        )
        .await;
    assert_eq!(product.status(), 201);
    let product: Value = product.json().await.unwrap();
    let deposit = harness
        .post(
            "/v1/me/deposits",
            &harness.founder_token(founder),
            Some(&new_id().to_string()),
            &json!({"product_id": product["id"], "from_account": company, "amount": "100000.00"}),
        )
        .await;
    let body = assert_problem(deposit, &[422], None).await;
    assert_eq!(
        body["errors"][0]["code"], "not_a_personal_account",
        "{body}"
    );
    assert_eq!(
        harness.account(&company).await["available_balance"],
        "750000.00"
    );
    harness.assert_invariants().await;
}
