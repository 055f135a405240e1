//! `company.kyc_approved` opens the company's own current account in sums, once, which its
//! founder sees among their accounts and nobody else's founder does.

mod common;

use imkon_auth::Role;
use imkon_platform::id::new_id;
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
