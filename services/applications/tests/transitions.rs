//! Refused transitions, over HTTP and in the database itself, and the four-eyes rule.

mod common;

use std::collections::BTreeSet;

use common::{grant_answers, Founder, Harness};
use imkon_applications::domain::state::{allowed_transitions, State};
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// Every action on an application, with the body it takes and the token of who may take it.
fn actions(harness: &Harness, founder: &Founder) -> Vec<(&'static str, Value, String)> {
    vec![
        ("submit", json!({}), founder.token.clone()),
        ("withdraw", json!({}), founder.token.clone()),
        (
            "info-requests",
            json!({ "message": "More, please." }),
            harness.officer.clone(),
        ),
        (
            "info-responses",
            json!({ "message": "Here it is." }),
            founder.token.clone(),
        ),
        (
            "decision/proposal",
            json!({ "outcome": "approve", "amount": "100000000.00", "term_months": 12 }),
            harness.officer.clone(),
        ),
        ("decision/confirmation", json!({}), harness.approver.clone()),
        (
            "decision/send-back",
            json!({ "reason": "Check the numbers." }),
            harness.approver.clone(),
        ),
    ]
}

/// An application brought to `state` through the API.
async fn application_in(harness: &Harness, founder: &Founder, state: State) -> Uuid {
    let id = harness
        .draft(
            founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    let act = |action: &'static str, body: Value, token: String| async move {
        harness
            .post_ok(&format!("/v1/applications/{id}/{action}"), &token, &body)
            .await
    };
    match state {
        State::Draft => {}
        State::Withdrawn => {
            act("withdraw", json!({}), founder.token.clone()).await;
        }
        _ => {
            harness.submit(founder, id).await;
        }
    }
    if matches!(state, State::InfoRequested) {
        act(
            "info-requests",
            json!({ "message": "More, please." }),
            harness.officer.clone(),
        )
        .await;
    }
    if matches!(state, State::Decision | State::Approved) {
        harness
            .propose_approval(id, json!({ "amount": "100000000.00", "term_months": 12 }))
            .await;
    }
    if matches!(state, State::Rejected) {
        act(
            "decision/proposal",
            json!({ "outcome": "reject", "reasons": ["The market is too small."] }),
            harness.officer.clone(),
        )
        .await;
    }
    if matches!(state, State::Approved | State::Rejected) {
        harness
            .ok(harness.confirm(id, &harness.approver).await)
            .await;
    }
    let current = harness
        .get_ok(&format!("/v1/applications/{id}"), &founder.token)
        .await;
    assert_eq!(current["state"], state.as_str());
    id
}

#[sqlx::test(migrations = false)]
async fn every_action_the_state_machine_does_not_allow_is_a_409(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let allowed: &[(State, &[&str])] = &[
        (State::Draft, &["submit", "withdraw"]),
        (
            State::InReview,
            &["withdraw", "info-requests", "decision/proposal"],
        ),
        (State::InfoRequested, &["withdraw", "info-responses"]),
        (
            State::Decision,
            &["decision/confirmation", "decision/send-back"],
        ),
        (State::Approved, &[]),
        (State::Rejected, &[]),
        (State::Withdrawn, &[]),
    ];
    for (state, allowed_actions) in allowed {
        let id = application_in(&harness, &founder, *state).await;
        for (action, body, token) in actions(&harness, &founder) {
            if allowed_actions.contains(&action) {
                continue;
            }
            let response = harness
                .post(&format!("/v1/applications/{id}/{action}"), &token, &body)
                .await;
            let problem = assert_problem(response, &[409], None).await;
            assert!(
                ["transition_not_allowed", "no_pending_decision"]
                    .contains(&problem["code"].as_str().unwrap()),
                "{action} while {}: {problem}",
                state.as_str()
            );
        }
        let unchanged = harness
            .get_ok(&format!("/v1/applications/{id}"), &founder.token)
            .await;
        assert_eq!(unchanged["state"], state.as_str());
    }
}

#[sqlx::test(migrations = false)]
async fn withdrawal_after_a_decision_is_refused(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    for state in [State::Approved, State::Rejected] {
        let id = application_in(&harness, &founder, state).await;
        let response = harness
            .post(
                &format!("/v1/applications/{id}/withdraw"),
                &founder.token,
                &json!({}),
            )
            .await;
        assert_problem(response, &[409], Some("transition_not_allowed")).await;
    }
    let in_decision = application_in(&harness, &founder, State::Decision).await;
    let response = harness
        .post(
            &format!("/v1/applications/{in_decision}/withdraw"),
            &founder.token,
            &json!({}),
        )
        .await;
    assert_problem(response, &[409], Some("transition_not_allowed")).await;
}

#[sqlx::test(migrations = false)]
async fn a_draft_is_changed_only_while_it_is_a_draft(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = application_in(&harness, &founder, State::InReview).await;
    let response = harness
        .patch(
            &format!("/v1/applications/{id}"),
            &founder.token,
            &json!({ "term_months": 13 }),
        )
        .await;
    assert_problem(response, &[409], Some("not_a_draft")).await;
}

#[sqlx::test(migrations = false)]
async fn the_officer_who_proposed_can_never_confirm_even_holding_the_approver_role(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let id = application_in(&harness, &founder, State::InReview).await;
    let both_roles_id = Uuid::now_v7();
    let both_roles = harness.staff(both_roles_id, &[Role::CreditOfficer, Role::Approver]);
    harness
        .post_ok(
            &format!("/v1/applications/{id}/decision/proposal"),
            &both_roles,
            &json!({ "outcome": "approve", "amount": "100000000.00", "term_months": 12 }),
        )
        .await;

    let same_person = harness.confirm(id, &both_roles).await;
    assert_problem(same_person, &[403], Some("four_eyes_violation")).await;
    let sending_back = harness
        .post(
            &format!("/v1/applications/{id}/decision/send-back"),
            &both_roles,
            &json!({ "reason": "On second thoughts." }),
        )
        .await;
    assert_problem(sending_back, &[403], Some("four_eyes_violation")).await;
    let still = harness
        .get_ok(&format!("/v1/applications/{id}"), &harness.officer)
        .await;
    assert_eq!(still["state"], "decision");

    let credit_officer_only = harness.confirm(id, &harness.officer).await;
    assert_problem(credit_officer_only, &[403], None).await;
    let confirmed = harness
        .ok(harness.confirm(id, &harness.approver).await)
        .await;
    assert_eq!(confirmed["state"], "approved");

    let same_person_in_database = sqlx::query(
        "update application_decision set resolved_by = proposed_by where application_id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap_err();
    assert_eq!(
        same_person_in_database
            .as_database_error()
            .unwrap()
            .constraint(),
        Some("application_decision_four_eyes")
    );
}

#[sqlx::test(migrations = false)]
async fn a_retried_confirmation_replays_the_first_answer_and_commits_once(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let id = application_in(&harness, &founder, State::Decision).await;
    let path = format!("/v1/applications/{id}/decision/confirmation");
    let confirm_with = |key: Option<&'static str>| {
        let mut request = harness
            .server
            .client
            .post(harness.server.url(&path))
            .bearer_auth(&harness.approver)
            .json(&json!({}));
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send()
    };
    let without_key = confirm_with(None).await.unwrap();
    assert_problem(without_key, &[400], Some("idempotency_key_required")).await;
    let first = confirm_with(Some("confirm-once")).await.unwrap();
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let retried = confirm_with(Some("confirm-once")).await.unwrap();
    assert_eq!(retried.status(), 200);
    assert_eq!(retried.headers()["idempotent-replayed"], "true");
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried, first);
    let committed: rust_decimal::Decimal =
        sqlx::query_scalar("select committed_amount from programme where id = $1")
            .bind(INNOVATIVE_IDEA_GRANT_ID)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(committed.to_string(), "100000000.00");
    let events: i64 = sqlx::query_scalar(
        "select count(*) from outbox_event where topic = 'application.approved'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, 1);
}

#[sqlx::test(migrations = false)]
async fn a_proposal_sent_back_returns_to_review_and_can_be_proposed_again(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = application_in(&harness, &founder, State::Decision).await;
    let sent_back = harness
        .post_ok(
            &format!("/v1/applications/{id}/decision/send-back"),
            &harness.approver,
            &json!({ "reason": "Check the numbers." }),
        )
        .await;
    assert_eq!(sent_back["state"], "in_review");
    let again = harness
        .propose_approval(id, json!({ "amount": "100000000.00", "term_months": 24 }))
        .await;
    assert_eq!(again["state"], "decision");
}

#[sqlx::test(migrations = false)]
async fn the_transition_table_is_the_domains_allowed_transitions(pool: PgPool) {
    imkon_applications::migrator().run(&pool).await.unwrap();
    let rows: Vec<(String, String)> =
        sqlx::query_as("select from_state, to_state from application_transition")
            .fetch_all(&pool)
            .await
            .unwrap();
    let stored: BTreeSet<(String, String)> = rows.into_iter().collect();
    let domain: BTreeSet<(String, String)> = allowed_transitions()
        .iter()
        .map(|(from, to)| (from.as_str().to_owned(), to.as_str().to_owned()))
        .collect();
    assert_eq!(stored, domain);
}

#[sqlx::test(migrations = false)]
async fn the_database_refuses_every_state_change_outside_the_table(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let allowed: BTreeSet<(State, State)> = allowed_transitions().iter().copied().collect();
    let id = application_in(&harness, &founder, State::Draft).await;
    for from in State::ALL {
        for to in State::ALL {
            if from == to {
                continue;
            }
            let mut transaction = pool.begin().await.unwrap();
            sqlx::query("alter table application disable trigger application_transition_allowed")
                .execute(&mut *transaction)
                .await
                .unwrap();
            sqlx::query("update application set state = $2 where id = $1")
                .bind(id)
                .bind(from.as_str())
                .execute(&mut *transaction)
                .await
                .unwrap();
            sqlx::query("alter table application enable trigger application_transition_allowed")
                .execute(&mut *transaction)
                .await
                .unwrap();
            let changed = sqlx::query("update application set state = $2 where id = $1")
                .bind(id)
                .bind(to.as_str())
                .execute(&mut *transaction)
                .await;
            match changed {
                Ok(_) => assert!(
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?} was let through"
                ),
                Err(error) => {
                    assert!(
                        !allowed.contains(&(from, to)),
                        "{from:?} → {to:?} was refused"
                    );
                    assert_eq!(
                        error.as_database_error().unwrap().constraint(),
                        Some("application_transition_allowed")
                    );
                }
            }
            transaction.rollback().await.unwrap();
        }
    }
    let created_approved = sqlx::query(
        "insert into application (id, programme_id, client_id, company_id, state)
         values ($1, $2, $3, $4, 'approved')",
    )
    .bind(Uuid::now_v7())
    .bind(INNOVATIVE_IDEA_GRANT_ID)
    .bind(founder.client_id)
    .bind(founder.company_id)
    .execute(&pool)
    .await
    .unwrap_err();
    assert_eq!(
        created_approved.as_database_error().unwrap().constraint(),
        Some("application_transition_allowed")
    );
}

#[sqlx::test(migrations = false)]
async fn each_role_may_only_do_its_own_part(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = application_in(&harness, &founder, State::InReview).await;

    let anonymous = harness
        .server
        .client
        .get(harness.server.url("/v1/programmes"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, &[401], None).await;
    let founder_defining = harness
        .post("/v1/programmes", &founder.token, &json!({}))
        .await;
    assert_problem(founder_defining, &[403], None).await;
    let founder_proposing = harness
        .post(
            &format!("/v1/applications/{id}/decision/proposal"),
            &founder.token,
            &json!({ "outcome": "reject", "reasons": ["Mine is bad."] }),
        )
        .await;
    assert_problem(founder_proposing, &[403], None).await;
    let officer_drafting = harness
        .post(
            "/v1/applications",
            &harness.officer,
            &json!({ "programme_id": INNOVATIVE_IDEA_GRANT_ID, "company_id": founder.company_id }),
        )
        .await;
    assert_problem(officer_drafting, &[403], None).await;
    let admin_reading = harness
        .get(&format!("/v1/applications/{id}"), &harness.admin)
        .await;
    assert_problem(admin_reading, &[403], None).await;
}
