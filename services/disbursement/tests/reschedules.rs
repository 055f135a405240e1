//! Rescheduling with four eyes: a credit officer proposes, an approver who did not propose it
//! confirms or rejects; a confirmation replaces the rows due after the bank's today and keeps
//! the rows it replaced as a schedule version.

mod support;

use imkon_auth::{Principal, Role};
use imkon_platform::testing::assert_problem;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_loan, person, Staffed, TestApp};
use uuid::Uuid;

async fn read(app: &TestApp, path: &str, who: &Principal) -> Value {
    let response = app.get(path, Some(who)).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

fn set_today(app: &TestApp, day: &str) {
    app.clock.set(format!("{day}T12:00:00Z").parse().unwrap());
}

/// A six-month annuity of 1 200.00 paid out on 1 January 2024, first due on 1 February.
async fn loan_paid_out_on_new_year(app: &TestApp, who: &Staffed) -> Uuid {
    set_today(app, "2024-01-01");
    let payload = approved_loan(who.founder.client_id().unwrap(), "1200.00");
    let (id, _) = app
        .disbursed_loan(who, &payload, "2024-01-01", "0.00")
        .await;
    id
}

fn amounts(rows: &Value, field: &str) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| row[field].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_payment_holiday_proposed_by_an_officer_takes_effect_once_another_approver_confirms(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let id = loan_paid_out_on_new_year(&app, &who).await;
    let path = format!("/v1/contracts/{id}/reschedule");
    // Two instalments have fallen due by 15 March; four remain.
    set_today(&app, "2024-03-15");
    let before = read(&app, &format!("/v1/contracts/{id}/schedule"), &who.founder).await;
    let before_rows = before["installments"].clone();
    let holiday = json!({"kind": "payment_holiday", "months": 2, "reason": "a customer paid late"});
    let founder = app.post(&path, Some(&who.founder), &holiday).await;
    assert_problem(founder, &[403], None).await;
    let approver_alone = person(&[Role::Approver]);
    let not_an_officer = app.post(&path, Some(&approver_alone), &holiday).await;
    assert_problem(not_an_officer, &[403], None).await;
    for (body, field) in [
        (json!({"kind": "skip", "months": 2, "reason": "r"}), "kind"),
        (
            json!({"kind": "payment_holiday", "months": 0, "reason": "r"}),
            "months",
        ),
        (
            json!({"kind": "longer_term", "months": 25, "reason": "r"}),
            "months",
        ),
        (
            json!({"kind": "payment_holiday", "months": 2, "reason": "  "}),
            "reason",
        ),
    ] {
        let refused = app.post(&path, Some(&who.requester), &body).await;
        let problem = assert_problem(refused, &[422], None).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }

    // An officer who is also an approver proposes; they may not confirm it themselves.
    let both = person(&[Role::CreditOfficer, Role::Approver]);
    let proposed = app.post(&path, Some(&both), &holiday).await;
    assert_eq!(proposed.status(), 202);
    let proposed: Value = proposed.json().await.unwrap();
    assert_eq!(proposed["status"], "proposed");
    let preview = &proposed["proposed_installments"];
    assert_eq!(preview.as_array().unwrap().len(), 4 + 2);
    assert_eq!(preview[0]["number"], 3);
    assert_eq!(preview[0]["due_date"], "2024-04-01");
    assert_eq!(&amounts(preview, "principal")[..2], ["0.00", "0.00"]);
    assert_eq!(preview[2]["due_date"], "2024-06-01");
    assert_eq!(preview[5]["due_date"], "2024-09-01");
    assert_eq!(preview[5]["balance"], "0.00");
    let again = app.post(&path, Some(&who.requester), &holiday).await;
    assert_problem(again, &[409], Some("reschedule_pending")).await;
    let own = app
        .post(&format!("{path}/confirm"), Some(&both), &json!({}))
        .await;
    assert_problem(own, &[403], Some("four_eyes_violation")).await;
    let unchanged = read(&app, &format!("/v1/contracts/{id}/schedule"), &who.founder).await;
    assert_eq!(
        unchanged["installments"], before_rows,
        "a proposal changes nothing"
    );

    let confirmed = app
        .post(
            &format!("{path}/confirm"),
            Some(&approver_alone),
            &json!({}),
        )
        .await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    let after = read(&app, &format!("/v1/contracts/{id}/schedule"), &who.founder).await;
    let rows = &after["installments"];
    assert_eq!(rows.as_array().unwrap().len(), 2 + 4 + 2);
    assert_eq!(rows[0], before_rows[0], "the rows due already stay");
    assert_eq!(rows[1], before_rows[1]);
    assert_eq!(&amounts(rows, "principal")[2..4], ["0.00", "0.00"]);
    assert_eq!(rows[7]["due_date"], "2024-09-01");
    assert_eq!(after["total_principal"], "1200.00");
    let interest_before: Decimal = before["total_interest"].as_str().unwrap().parse().unwrap();
    let interest_after: Decimal = after["total_interest"].as_str().unwrap().parse().unwrap();
    assert!(interest_after > interest_before, "a holiday costs interest");

    let history = read(
        &app,
        &format!("/v1/contracts/{id}/reschedules"),
        &who.founder,
    )
    .await;
    assert_eq!(history["reschedules"][0]["status"], "confirmed");
    assert_eq!(history["reschedules"][0]["effective_on"], "2024-03-15");
    assert_eq!(
        history["reschedules"][0]["decided_by"],
        approver_alone.subject().to_string()
    );
    assert_eq!(
        history["reschedules"][0]["proposed_installments"],
        Value::Null
    );
    let kept = &history["versions"][0];
    assert_eq!(kept["version"], 1);
    assert_eq!(
        amounts(&kept["installments"], "total"),
        amounts(&json!(before_rows.as_array().unwrap()[2..]), "total"),
        "the replaced rows are kept as they were"
    );
    let stranger = person(&[Role::Client]);
    let hidden = app
        .get(&format!("/v1/contracts/{id}/reschedules"), Some(&stranger))
        .await;
    assert_problem(hidden, &[404], None).await;

    let audited: Vec<String> = sqlx::query_scalar(
        "select action from audit_record where subject_id = $1 and action like 'contract.resched%'
         order by id",
    )
    .bind(id.to_string())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        ["contract.reschedule_proposed", "contract.rescheduled"]
    );
}

#[sqlx::test(migrations = false)]
async fn a_rejected_longer_term_leaves_the_schedule_and_a_second_one_spreads_what_is_owed(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let id = loan_paid_out_on_new_year(&app, &who).await;
    let path = format!("/v1/contracts/{id}/reschedule");
    set_today(&app, "2024-02-10");
    let longer = json!({"kind": "longer_term", "months": 6, "reason": "seasonal income"});
    let approver = person(&[Role::Approver]);

    let nothing = app
        .post(&format!("{path}/confirm"), Some(&approver), &json!({}))
        .await;
    assert_problem(nothing, &[409], Some("no_reschedule_proposal")).await;
    assert_eq!(
        app.post(&path, Some(&who.requester), &longer)
            .await
            .status(),
        202
    );
    let before = read(&app, &format!("/v1/contracts/{id}/schedule"), &who.founder).await;
    let rejected = app
        .post(&format!("{path}/reject"), Some(&approver), &json!({}))
        .await;
    assert_eq!(rejected.status(), 200);
    let rejected: Value = rejected.json().await.unwrap();
    assert_eq!(rejected["status"], "rejected");
    let unchanged = read(&app, &format!("/v1/contracts/{id}/schedule"), &who.founder).await;
    assert_eq!(unchanged["installments"], before["installments"]);

    assert_eq!(
        app.post(&path, Some(&who.requester), &longer)
            .await
            .status(),
        202
    );
    let confirmed = app
        .post(&format!("{path}/confirm"), Some(&approver), &json!({}))
        .await;
    assert_eq!(confirmed.status(), 200);
    let after = read(&app, &format!("/v1/contracts/{id}/schedule"), &who.founder).await;
    let rows = after["installments"].as_array().unwrap();
    assert_eq!(rows.len(), 1 + 5 + 6);
    assert_eq!(rows[11]["due_date"], "2025-01-01");
    assert_eq!(after["total_principal"], "1200.00");
    let old_level: Decimal = before["installments"][1]["total"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let new_level: Decimal = rows[2]["total"].as_str().unwrap().parse().unwrap();
    assert!(new_level < old_level, "{new_level} < {old_level}");

    // After the last due date there is nothing left to reschedule.
    set_today(&app, "2025-01-02");
    let late = app.post(&path, Some(&who.requester), &longer).await;
    assert_problem(late, &[409], Some("nothing_to_reschedule")).await;
}
