//! Disbursement's news of a founder's loan (a contract to sign, a tranche paid out, an
//! instalment due soon) reaches the founder's inbox once, from disbursement only.

mod common;

use common::{grant_answers, Founder, Harness};
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

async fn submitted(harness: &Harness, founder: &Founder) -> Uuid {
    let id = harness
        .draft(
            founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    harness.submit(founder, id).await;
    id
}

fn disbursement_token(harness: &Harness) -> String {
    imkon_platform::testing::token(
        &harness.issuer,
        &imkon_platform::testing::service_principal("disbursement"),
        imkon_auth::Audience::Applications,
    )
}

/// Each topic, a payload as disbursement writes it, and the kind and English subject of the
/// notification it makes.
fn loan_events(
    founder: &Founder,
    application_id: Uuid,
) -> [(&'static str, Value, &'static str, &'static str); 3] {
    let contract_id = Uuid::now_v7();
    let company_id = Uuid::now_v7();
    let common = json!({
        "contract_id": contract_id, "application_id": application_id,
        "client_id": founder.client_id, "company_id": company_id,
    });
    let with = |extra: Value| {
        let mut payload = common.clone();
        payload
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        payload
    };
    [
        (
            "contract.ready_to_sign",
            common.clone(),
            "contract:ready_to_sign",
            "Imkon: contract ready to sign",
        ),
        (
            "tranche.paid",
            with(json!({"tranche_number": 1, "amount": "50000000.00", "currency": "UZS"})),
            "tranche:paid",
            "Imkon: tranche paid out",
        ),
        (
            "loan.instalment_due",
            with(json!({
                "installment_number": 1, "due_date": "2024-02-01",
                "amount_due": "8611.06", "currency": "UZS",
            })),
            "loan:instalment_due",
            "Imkon: instalment due soon",
        ),
    ]
}

fn envelope(topic: &str, payload: &Value) -> Value {
    json!({
        "id": Uuid::now_v7(),
        "topic": topic,
        "occurred_at": chrono::Utc::now(),
        "payload": payload,
    })
}

#[sqlx::test(migrations = false)]
async fn each_loan_event_from_disbursement_tells_the_founder_once(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let other_founder = harness.founder().await;
    let application_id = submitted(&harness, &founder).await;
    let disbursement = disbursement_token(&harness);

    for (topic, payload, kind, subject) in loan_events(&founder, application_id) {
        let event = envelope(topic, &payload);
        let not_disbursement = harness
            .post("/v1/events", &harness.service_token(), &event)
            .await;
        assert_problem(not_disbursement, &[403], None).await;
        for outcome in ["applied", "duplicate"] {
            let receipt = harness.post_ok("/v1/events", &disbursement, &event).await;
            assert_eq!(receipt["outcome"], outcome, "{topic}");
        }
        let told: Vec<(Uuid, Option<Uuid>, String, Option<String>)> = sqlx::query_as(
            "select id, application_id, subject, kind from notification
             where client_id = $1 and kind = $2",
        )
        .bind(founder.client_id)
        .bind(kind)
        .fetch_all(&harness.pool)
        .await
        .unwrap();
        let event_id: Uuid = event["id"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            told,
            vec![(
                event_id,
                Some(application_id),
                subject.to_owned(),
                Some(kind.to_owned())
            )],
            "{topic}"
        );
    }

    let inbox = harness.get_ok("/v1/inbox", &founder.token).await;
    let subjects: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["subject"].as_str())
        .collect();
    for subject in [
        "Imkon: contract ready to sign",
        "Imkon: tranche paid out",
        "Imkon: instalment due soon",
    ] {
        assert!(subjects.contains(&subject), "{subject} in {inbox}");
    }
    let others = harness.get_ok("/v1/inbox", &other_founder.token).await;
    assert!(
        others["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["application_id"] != json!(application_id)),
        "{others}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_loan_event_without_its_client_is_refused_and_tells_no_one(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let application_id = submitted(&harness, &founder).await;
    let disbursement = disbursement_token(&harness);

    for (topic, mut payload, kind, _) in loan_events(&founder, application_id) {
        payload.as_object_mut().unwrap().remove("client_id");
        let refused = harness
            .post("/v1/events", &disbursement, &envelope(topic, &payload))
            .await;
        assert_problem(refused, &[422], Some("invalid_payload")).await;
        let rows: i64 = sqlx::query_scalar("select count(*) from notification where kind = $1")
            .bind(kind)
            .fetch_one(&harness.pool)
            .await
            .unwrap();
        assert_eq!(rows, 0, "{topic}");
    }
}

/// Accounts' news of a client's money (an exchange, a transfer sent or received, a standing
/// order's payment skipped, cash paid in at a counter, another posting by staff) reaches the client's inbox once, from accounts only; a movement it
/// does not know is refused.
#[sqlx::test(migrations = false)]
async fn each_money_movement_from_accounts_tells_the_client_once(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let accounts = imkon_platform::testing::token(
        &harness.issuer,
        &imkon_platform::testing::service_principal("accounts"),
        imkon_auth::Audience::Applications,
    );
    let movements = [
        ("exchange", "money:exchange", "Imkon: currency exchanged"),
        ("transfer_sent", "money:transfer_sent", "Imkon: money sent"),
        (
            "transfer_received",
            "money:transfer_received",
            "Imkon: money received",
        ),
        (
            "standing_order_skipped",
            "money:standing_order_skipped",
            "Imkon: standing order not paid",
        ),
        (
            "cash_deposit",
            "money:cash_deposit",
            "Imkon: cash deposit booked",
        ),
        (
            "bank_posting",
            "money:bank_posting",
            "Imkon: the bank posted a transfer on your account",
        ),
    ];
    for (movement, kind, subject) in movements {
        let event = envelope(
            "account.money_moved",
            &json!({"client_id": founder.client_id, "movement": movement, "transfer_id": Uuid::now_v7()}),
        );
        let from_disbursement = harness
            .post("/v1/events", &disbursement_token(&harness), &event)
            .await;
        assert_problem(from_disbursement, &[403], None).await;
        for outcome in ["applied", "duplicate"] {
            let receipt = harness.post_ok("/v1/events", &accounts, &event).await;
            assert_eq!(receipt["outcome"], outcome, "{movement}");
        }
        let told: Vec<(String,)> =
            sqlx::query_as("select subject from notification where client_id = $1 and kind = $2")
                .bind(founder.client_id)
                .bind(kind)
                .fetch_all(&harness.pool)
                .await
                .unwrap();
        assert_eq!(told, vec![(subject.to_owned(),)], "{movement}");
    }
    let unknown = harness
        .post(
            "/v1/events",
            &accounts,
            &envelope(
                "account.money_moved",
                &json!({"client_id": founder.client_id, "movement": "teleport"}),
            ),
        )
        .await;
    assert_problem(unknown, &[422], Some("invalid_payload")).await;
}
