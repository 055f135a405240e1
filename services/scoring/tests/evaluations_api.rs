//! Evaluations over HTTP: one (stored and read back), a batch, a what-if; exact numbers; who
//! may; what is refused; the seeded scorecards.

mod common;

use common::{definition_value, Harness};
use imkon_platform::testing::assert_problem;
use imkon_scoring::domain::evaluation::{evaluate, InputValue, Inputs};
use imkon_scoring::domain::seeds::{startup_loan_scorecard, synthetic_scorecard};
use imkon_scoring::{seed_demo, GRANT_SCORECARD_ID, LOAN_SCORECARD_ID};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

async fn evaluation_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from evaluation")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn loan_inputs() -> Value {
    json!({
        "debt_service_coverage_ratio": 1.4,
        "debt_to_ebitda_ratio": 2.5,
        "revenue_trend": "growing",
        "years_in_business": 4,
        "collateral_coverage_percent": 160,
        "worst_days_overdue": null,
        "owners_equity_share_percent": 25,
    })
}

/// The score the domain gives, as a JSON number's text.
fn domain_score(inputs: &Inputs) -> Decimal {
    evaluate(&startup_loan_scorecard(), inputs)
        .unwrap()
        .total_score
}

#[sqlx::test(migrations = false)]
async fn an_evaluation_is_explained_stored_and_read_back_unchanged(pool: PgPool) {
    let harness = Harness::start(pool).await;
    seed_demo(&harness.pool).await.unwrap();
    let response = harness
        .post(
            &format!("/v1/scorecards/{LOAN_SCORECARD_ID}/evaluate"),
            Some(&harness.officer()),
            &json!({ "inputs": loan_inputs() }).to_string(),
        )
        .await;
    assert_eq!(response.status(), 201);
    let text = response.text().await.unwrap();
    let result: Value = serde_json::from_str(&text).unwrap();

    let inputs: Inputs = [
        (
            "debt_service_coverage_ratio",
            InputValue::Number(Decimal::new(14, 1)),
        ),
        (
            "debt_to_ebitda_ratio",
            InputValue::Number(Decimal::new(25, 1)),
        ),
        ("revenue_trend", InputValue::Category("growing".to_owned())),
        ("years_in_business", InputValue::Number(Decimal::from(4))),
        (
            "collateral_coverage_percent",
            InputValue::Number(Decimal::from(160)),
        ),
        ("worst_days_overdue", InputValue::Absent),
        (
            "owners_equity_share_percent",
            InputValue::Number(Decimal::from(25)),
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    assert!(result["score"].is_number(), "{result}");
    assert_eq!(
        result["score"].to_string(),
        domain_score(&inputs).normalize().to_string()
    );
    assert!(result["probability_of_default"].is_number());
    assert_eq!(result["version"], 1);
    assert_eq!(result["version_status"], "active");
    assert!(result["band"].is_string());
    assert!(["approve", "review", "decline"].contains(&result["recommendation"].as_str().unwrap()));
    let characteristics = result["characteristics"].as_array().unwrap();
    assert_eq!(
        characteristics.len(),
        startup_loan_scorecard().characteristics().len()
    );
    let dscr = &characteristics[0];
    assert_eq!(dscr["characteristic"], "debt_service_coverage_ratio");
    assert_eq!(dscr["value"].to_string(), "1.4");
    assert_eq!(dscr["bin"], "[1.25,1.50)");
    assert_eq!(dscr["points"], 20);
    assert_eq!(dscr["reason_code"], "DSCR_ADEQUATE");
    let overdue = characteristics
        .iter()
        .find(|c| c["characteristic"] == "worst_days_overdue")
        .unwrap();
    assert_eq!(overdue["value"], Value::Null);
    assert_eq!(overdue["reason_code"], "NO_CREDIT_HISTORY");

    let id = result["id"].as_str().unwrap();
    let stored = harness
        .get(&format!("/v1/evaluations/{id}"), Some(&harness.service()))
        .await;
    assert_eq!(stored.status(), 200);
    let stored: Value = stored.json().await.unwrap();
    assert_eq!(stored, result);
    assert_eq!(stored["inputs"], loan_inputs());
    let (version, score): (i32, Decimal) =
        sqlx::query_as("select version, score from evaluation where id = $1")
            .bind(id.parse::<Uuid>().unwrap())
            .fetch_one(&harness.pool)
            .await
            .unwrap();
    assert_eq!(version, 1);
    assert_eq!(score, domain_score(&inputs));

    let unknown = harness
        .get(
            &format!("/v1/evaluations/{}", Uuid::now_v7()),
            Some(&harness.officer()),
        )
        .await;
    assert_problem(unknown, &[404], Some("evaluation_not_found")).await;
}

#[sqlx::test(migrations = false)]
async fn a_service_may_evaluate_but_a_founder_or_nobody_may_not(pool: PgPool) {
    let harness = Harness::start(pool).await;
    seed_demo(&harness.pool).await.unwrap();
    let path = format!("/v1/scorecards/{LOAN_SCORECARD_ID}/evaluate");
    let body = json!({ "inputs": loan_inputs() }).to_string();
    let service = harness.post(&path, Some(&harness.service()), &body).await;
    assert_eq!(service.status(), 201);
    let founder = harness.post(&path, Some(&harness.founder()), &body).await;
    assert_problem(founder, &[403], Some("forbidden")).await;
    let nobody = harness.post(&path, None, &body).await;
    assert_problem(nobody, &[401], Some("unauthenticated")).await;
    let bad_token = harness.post(&path, Some("not-a-token"), &body).await;
    assert_problem(bad_token, &[401], None).await;
    assert_eq!(evaluation_count(&harness.pool).await, 1);

    let stored: Value = service.json().await.unwrap();
    let evaluation_path = format!("/v1/evaluations/{}", stored["id"].as_str().unwrap());
    let read_by_founder = harness
        .get(&evaluation_path, Some(&harness.founder()))
        .await;
    assert_problem(read_by_founder, &[403], Some("forbidden")).await;
    let read_anonymously = harness.get(&evaluation_path, None).await;
    assert_problem(read_anonymously, &[401], Some("unauthenticated")).await;
    let what_if = json!({ "inputs": loan_inputs(), "changes": {} }).to_string();
    let what_if_path = format!("/v1/scorecards/{LOAN_SCORECARD_ID}/what-if");
    let founder_what_if = harness
        .post(&what_if_path, Some(&harness.founder()), &what_if)
        .await;
    assert_problem(founder_what_if, &[403], Some("forbidden")).await;
    let service_what_if = harness
        .post(&what_if_path, Some(&harness.service()), &what_if)
        .await;
    assert_eq!(service_what_if.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn an_input_of_the_wrong_type_is_a_422_naming_it(pool: PgPool) {
    let harness = Harness::start(pool).await;
    seed_demo(&harness.pool).await.unwrap();
    let path = format!("/v1/scorecards/{LOAN_SCORECARD_ID}/evaluate");
    let officer = harness.officer();
    let cases = [
        ("revenue_trend", json!(3), "wrong_input_type"),
        ("years_in_business", json!("four"), "wrong_input_type"),
        ("years_in_business", json!(true), "unreadable_input"),
        ("years_in_business", json!([4]), "unreadable_input"),
        ("shoe_size", json!(42), "unknown_input"),
    ];
    for (input, value, code) in cases {
        let mut inputs = loan_inputs();
        inputs[input] = value;
        let response = harness
            .post(
                &path,
                Some(&officer),
                &json!({ "inputs": inputs }).to_string(),
            )
            .await;
        let problem = assert_problem(response, &[422], Some("validation_failed")).await;
        assert_eq!(problem["errors"][0]["field"], format!("inputs.{input}"));
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    assert_eq!(evaluation_count(&harness.pool).await, 0);
}

#[sqlx::test(migrations = false)]
async fn numbers_are_scored_from_their_exact_text(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = harness.create_active(&synthetic_scorecard()).await;
    // As an f64 this input is 25.0 and would fall in the [25,50) bin; as the decimal it is
    // written as, it is below 25.
    let body = r#"{"inputs": {"x02": 24.99999999999999999999}}"#;
    let response = harness
        .post(
            &format!("/v1/scorecards/{id}/evaluate"),
            Some(&harness.officer()),
            body,
        )
        .await;
    assert_eq!(response.status(), 201);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#""value":24.99999999999999999999"#),
        "{text}"
    );
    let result: Value = serde_json::from_str(&text).unwrap();
    let x02 = &result["characteristics"][1];
    assert_eq!(x02["bin"], "[0,25)");
    assert_eq!(x02["reason_code"], "X02_LOW");
    let stored: String = sqlx::query_scalar("select inputs::text from evaluation")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert!(stored.contains("24.99999999999999999999"), "{stored}");
}

#[sqlx::test(migrations = false)]
async fn a_scorecard_without_an_active_version_is_scored_only_on_a_named_version(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = harness.create(&synthetic_scorecard()).await;
    let officer = harness.officer();
    let body = r#"{"inputs": {"x01": 10}}"#;
    let implicit = harness
        .post(
            &format!("/v1/scorecards/{id}/evaluate"),
            Some(&officer),
            body,
        )
        .await;
    assert_problem(implicit, &[409], Some("no_active_version")).await;
    let trial = harness
        .post(
            &format!("/v1/scorecards/{id}/evaluate?version=1"),
            Some(&officer),
            body,
        )
        .await;
    assert_eq!(trial.status(), 200);
    let trial: Value = trial.json().await.unwrap();
    assert_eq!(trial["id"], Value::Null);
    assert_eq!(trial["version_status"], "draft");
    assert!(trial["score"].is_number());
    let missing_version = harness
        .post(
            &format!("/v1/scorecards/{id}/evaluate?version=9"),
            Some(&officer),
            body,
        )
        .await;
    assert_problem(missing_version, &[404], Some("scorecard_version_not_found")).await;
    let unknown = harness
        .post(
            &format!("/v1/scorecards/{}/evaluate", Uuid::now_v7()),
            Some(&officer),
            body,
        )
        .await;
    assert_problem(unknown, &[404], Some("scorecard_not_found")).await;
    assert_eq!(evaluation_count(&harness.pool).await, 0);
}

#[sqlx::test(migrations = false)]
async fn an_evaluation_uses_the_version_active_at_that_moment(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let officer = harness.officer();
    let id = harness.create_active(&synthetic_scorecard()).await;
    let body = r#"{"inputs": {"x01": 10}}"#;
    let first: Value = harness
        .post(
            &format!("/v1/scorecards/{id}/evaluate"),
            Some(&officer),
            body,
        )
        .await
        .json()
        .await
        .unwrap();
    let mut second = definition_value(&synthetic_scorecard());
    second["base_points"] = json!(500);
    let created = harness
        .post(
            &format!("/v1/scorecards/{id}/versions"),
            Some(&officer),
            &second.to_string(),
        )
        .await;
    assert_eq!(created.status(), 201);
    // The author proposes; another officer confirms the version this one wrote (four eyes).
    assert_eq!(harness.propose(id, 2, &officer).await.status(), 200);
    let activated = harness
        .post(
            &format!("/v1/scorecards/{id}/activate"),
            Some(&harness.officer()),
            "",
        )
        .await;
    assert_eq!(activated.status(), 200);
    let later: Value = harness
        .post(
            &format!("/v1/scorecards/{id}/evaluate"),
            Some(&officer),
            body,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["version"], 1);
    assert_eq!(later["version"], 2);
    assert_eq!(
        later["score"].as_i64().unwrap() - first["score"].as_i64().unwrap(),
        50
    );
    let replayed: Value = harness
        .get(
            &format!("/v1/evaluations/{}", first["id"].as_str().unwrap()),
            Some(&officer),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(replayed, first);
}

#[sqlx::test(migrations = false)]
async fn a_batch_returns_every_row_in_order_and_stores_nothing(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = harness.create_active(&synthetic_scorecard()).await;
    let officer = harness.officer();
    let rows: Vec<Value> = (0..50)
        .map(|index| json!({ "x01": index * 3 - 20, "x02": null, "x03": index }))
        .collect();
    let response = harness
        .post(
            &format!("/v1/scorecards/{id}/evaluate-batch?explain=full"),
            Some(&harness.service()),
            &json!({ "rows": rows }).to_string(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let batch: Value = response.json().await.unwrap();
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results.len(), rows.len());
    for (row, result) in rows.iter().zip(results) {
        let single: Value = harness
            .post(
                &format!("/v1/scorecards/{id}/evaluate?version=1"),
                Some(&officer),
                &json!({ "inputs": row }).to_string(),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(result["score"], single["score"]);
        assert_eq!(result["characteristics"], single["characteristics"]);
    }
    // The fifty single evaluations above are stored; the batch added none.
    assert_eq!(evaluation_count(&harness.pool).await, 50);
}

#[sqlx::test(migrations = false)]
async fn a_batch_with_bad_rows_or_too_many_rows_is_a_422_naming_them(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = harness.create_active(&synthetic_scorecard()).await;
    let officer = harness.officer();
    let path = format!("/v1/scorecards/{id}/evaluate-batch");
    let body = json!({ "rows": [{ "x01": 1 }, { "x02": "high" }, { "x03": 2 }, { "x04": false }] });
    let problem = assert_problem(
        harness.post(&path, Some(&officer), &body.to_string()).await,
        &[422],
        Some("validation_failed"),
    )
    .await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rows[1].x02", "rows[3].x04"]);

    let too_many = format!(
        r#"{{"rows": [{}]}}"#,
        vec![r#"{"x01": 1}"#; 10_001].join(",")
    );
    let problem = assert_problem(
        harness.post(&path, Some(&officer), &too_many).await,
        &[422],
        Some("validation_failed"),
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "rows");
    assert_eq!(problem["errors"][0]["code"], "too_many_rows");

    let founder = harness
        .post(&path, Some(&harness.founder()), r#"{"rows": []}"#)
        .await;
    assert_problem(founder, &[403], Some("forbidden")).await;
}

/// Loan applicants that reach the kinds of value and the knockouts of the start-up loan
/// scorecard: categories, missing values, both numeric knockouts, and decimals written with
/// exponents.
fn varied_loan_rows() -> Vec<Value> {
    let trends = [json!("growing"), json!("stable"), json!("declining")];
    (0..24)
        .map(|index: i64| {
            let mut row = loan_inputs();
            row["debt_service_coverage_ratio"] =
                serde_json::from_str(&Decimal::new(index * 17 % 300, 2).to_string()).unwrap();
            row["revenue_trend"] = trends[index as usize % trends.len()].clone();
            if index % 4 == 0 {
                row["debt_to_ebitda_ratio"] = Value::Null;
            }
            row["collateral_coverage_percent"] = if index % 6 == 1 {
                json!(100)
            } else {
                serde_json::from_str(&format!("{}.50e1", 12 + index)).unwrap()
            };
            row["worst_days_overdue"] = if index % 5 == 0 {
                json!(120)
            } else {
                Value::Null
            };
            row
        })
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_batch_unexplained_or_explained_by_bins_gives_the_explained_batchs_figures_exactly(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    let id = harness.create_active(&startup_loan_scorecard()).await;
    let officer = harness.officer();
    let body = json!({ "rows": varied_loan_rows() }).to_string();
    let path = format!("/v1/scorecards/{id}/evaluate-batch");
    let full = harness
        .post(&format!("{path}?explain=full"), Some(&officer), &body)
        .await;
    let status = full.status();
    let full_text = full.text().await.unwrap();
    assert_eq!(status, 200, "{full_text}");
    let unexplained = harness
        .post(
            &format!("{path}?explain=none"),
            Some(&harness.service()),
            &body,
        )
        .await;
    assert_eq!(unexplained.status(), 200);
    let unexplained_text = unexplained.text().await.unwrap();
    assert!(unexplained_text.len() * 3 < full_text.len());

    let full: Value = serde_json::from_str(&full_text).unwrap();
    let unexplained: Value = serde_json::from_str(&unexplained_text).unwrap();
    for key in ["scorecard_id", "version", "version_status"] {
        assert_eq!(unexplained[key], full[key]);
    }
    let full_results = full["results"].as_array().unwrap();
    let unexplained_results = unexplained["results"].as_array().unwrap();
    assert_eq!(unexplained_results.len(), full_results.len());
    let mut knocked_out = 0;
    for (explained, unexplained) in full_results.iter().zip(unexplained_results) {
        let mut expected = explained.clone();
        expected.as_object_mut().unwrap().remove("characteristics");
        // Compared as text, so that a number is the same number written the same way.
        assert_eq!(unexplained.to_string(), expected.to_string());
        assert_eq!(explained["characteristics"].as_array().unwrap().len(), 7);
        if !unexplained["knockouts"].as_array().unwrap().is_empty() {
            knocked_out += 1;
        }
    }
    assert!(knocked_out > 0 && knocked_out < full_results.len());

    // explain=bins: each row's explanation is the legend's bin at each index, and the rest
    // of each result is the explained one's.
    let by_bins = harness
        .post(&format!("{path}?explain=bins"), Some(&officer), &body)
        .await;
    assert_eq!(by_bins.status(), 200);
    let by_bins_text = by_bins.text().await.unwrap();
    let by_default = harness.post(&path, Some(&officer), &body).await;
    assert_eq!(by_default.status(), 200);
    assert_eq!(
        by_default.text().await.unwrap(),
        by_bins_text,
        "explain=bins is the default, byte for byte"
    );
    assert!(by_bins_text.len() * 2 < full_text.len());
    let by_bins: Value = serde_json::from_str(&by_bins_text).unwrap();
    let legend = by_bins["characteristics"].as_array().unwrap();
    assert_eq!(legend.len(), 7);
    let by_bins_results = by_bins["results"].as_array().unwrap();
    assert_eq!(by_bins_results.len(), full_results.len());
    for (explained, by_bins) in full_results.iter().zip(by_bins_results) {
        let mut rest = by_bins.clone();
        let indices = rest.as_object_mut().unwrap().remove("bins").unwrap();
        let mut expected = explained.clone();
        let characteristics = expected
            .as_object_mut()
            .unwrap()
            .remove("characteristics")
            .unwrap();
        assert_eq!(rest.to_string(), expected.to_string());
        let characteristics = characteristics.as_array().unwrap();
        let indices = indices.as_array().unwrap();
        assert_eq!(indices.len(), characteristics.len());
        for ((characteristic, index), legend) in characteristics.iter().zip(indices).zip(legend) {
            assert_eq!(legend["characteristic"], characteristic["characteristic"]);
            let bin = &legend["bins"][index.as_u64().unwrap() as usize];
            for key in ["bin", "points", "reason_code"] {
                assert_eq!(bin[key].to_string(), characteristic[key].to_string());
            }
        }
    }

    let unknown = harness
        .post(&format!("{path}?explain=reasons"), Some(&officer), &body)
        .await;
    assert_problem(unknown, &[400], Some("malformed_query")).await;
    let founder = harness
        .post(
            &format!("{path}?explain=none"),
            Some(&harness.founder()),
            &body,
        )
        .await;
    assert_problem(founder, &[403], Some("forbidden")).await;
    let mut bad_row = loan_inputs();
    bad_row["revenue_trend"] = json!(3);
    let bad_row = harness
        .post(
            &format!("{path}?explain=none"),
            Some(&officer),
            &json!({ "rows": [loan_inputs(), bad_row] }).to_string(),
        )
        .await;
    let problem = assert_problem(bad_row, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "rows[1].revenue_trend");
}

#[sqlx::test(migrations = false)]
async fn a_full_batch_of_ten_thousand_rows_is_accepted(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = harness.create_active(&synthetic_scorecard()).await;
    let row: serde_json::Map<String, Value> = imkon_scoring::domain::seeds::synthetic_input_names()
        .into_iter()
        .enumerate()
        .map(|(index, name)| (name, json!(index * 5)))
        .collect();
    let body = json!({ "rows": vec![Value::Object(row); 10_000] }).to_string();
    assert!(
        body.len() > 1024 * 1024,
        "larger than the default body limit"
    );
    let response = harness
        .post(
            &format!("/v1/scorecards/{id}/evaluate-batch"),
            Some(&harness.officer()),
            &body,
        )
        .await;
    assert_eq!(response.status(), 200);
    let batch: Value = response.json().await.unwrap();
    assert_eq!(batch["results"].as_array().unwrap().len(), 10_000);
}

#[sqlx::test(migrations = false)]
async fn a_what_if_shows_both_results_and_the_difference_and_stores_nothing(pool: PgPool) {
    let harness = Harness::start(pool).await;
    seed_demo(&harness.pool).await.unwrap();
    let body = json!({
        "inputs": loan_inputs(),
        "changes": { "debt_service_coverage_ratio": 2.1, "revenue_trend": "declining" },
    });
    let response = harness
        .post(
            &format!("/v1/scorecards/{LOAN_SCORECARD_ID}/what-if"),
            Some(&harness.officer()),
            &body.to_string(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let what_if: Value = response.json().await.unwrap();
    let baseline = what_if["baseline"]["score"].as_f64().unwrap();
    let changed = what_if["changed"]["score"].as_f64().unwrap();
    // DSCR moves from 20 to 45 points, the revenue trend from 30 to -20: 25 - 50 = -25.
    assert_eq!(what_if["score_difference"], -25);
    assert_eq!(changed - baseline, -25.0);
    let differences = what_if["differences"].as_array().unwrap();
    let dscr = &differences[0];
    assert_eq!(dscr["characteristic"], "debt_service_coverage_ratio");
    assert_eq!(dscr["baseline_bin"], "[1.25,1.50)");
    assert_eq!(dscr["changed_bin"], "[2,inf)");
    assert_eq!(dscr["points_difference"], 25);
    let trend = differences
        .iter()
        .find(|d| d["characteristic"] == "revenue_trend")
        .unwrap();
    assert_eq!(trend["points_difference"], -50);
    let unchanged = differences
        .iter()
        .find(|d| d["characteristic"] == "years_in_business")
        .unwrap();
    assert_eq!(unchanged["points_difference"], 0);
    assert_eq!(evaluation_count(&harness.pool).await, 0);

    let wrong = json!({ "inputs": loan_inputs(), "changes": { "revenue_trend": 1 } });
    let problem = assert_problem(
        harness
            .post(
                &format!("/v1/scorecards/{LOAN_SCORECARD_ID}/what-if"),
                Some(&harness.officer()),
                &wrong.to_string(),
            )
            .await,
        &[422],
        Some("validation_failed"),
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "changes.revenue_trend");
}

#[sqlx::test(migrations = false)]
async fn seeding_is_idempotent_and_leaves_both_demo_scorecards_active(pool: PgPool) {
    let harness = Harness::start(pool).await;
    seed_demo(&harness.pool).await.unwrap();
    seed_demo(&harness.pool).await.unwrap();
    let counts: (i64, i64) = sqlx::query_as(
        "select (select count(*) from scorecard), (select count(*) from scorecard_version)",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(counts, (2, 2));
    for id in [GRANT_SCORECARD_ID, LOAN_SCORECARD_ID] {
        let scorecard: Value = harness
            .get(&format!("/v1/scorecards/{id}"), Some(&harness.officer()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(scorecard["active_version"], 1);
        assert_eq!(scorecard["versions"][0]["status"], "active");
    }
}

#[sqlx::test(migrations = false)]
async fn a_stored_evaluation_replays_to_the_same_result_and_a_tampered_one_does_not(pool: PgPool) {
    let harness = Harness::start(pool).await;
    seed_demo(&harness.pool).await.unwrap();
    let officer = harness.officer();
    let evaluation: Value = harness
        .post(
            &format!("/v1/scorecards/{LOAN_SCORECARD_ID}/evaluate"),
            Some(&officer),
            &json!({ "inputs": loan_inputs() }).to_string(),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = evaluation["id"].as_str().unwrap();
    let replay = harness
        .get(
            &format!("/v1/evaluations/{id}/replay"),
            Some(&harness.service()),
        )
        .await;
    assert_eq!(replay.status(), 200);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["matches"], true, "{replay}");
    assert_eq!(replay["version"], 1);
    assert_eq!(replay["score"], evaluation["score"]);
    assert_eq!(replay["characteristics"], evaluation["characteristics"]);

    // The table is append-only; only a test that lifts the guard can change a stored result,
    // and the replay must notice a difference of a single hundredth.
    sqlx::query("alter table evaluation disable trigger evaluation_append_only")
        .execute(&harness.pool)
        .await
        .unwrap();
    sqlx::query(
        "update evaluation set result = jsonb_set(result, '{score}', to_jsonb(score + 0.01))
         where id = $1",
    )
    .bind(id.parse::<Uuid>().unwrap())
    .execute(&harness.pool)
    .await
    .unwrap();
    let tampered: Value = harness
        .get(&format!("/v1/evaluations/{id}/replay"), Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tampered["matches"], false, "{tampered}");

    let founder = harness
        .get(
            &format!("/v1/evaluations/{id}/replay"),
            Some(&harness.founder()),
        )
        .await;
    assert_problem(founder, &[403], Some("forbidden")).await;
    let unknown = harness
        .get(
            &format!("/v1/evaluations/{}/replay", Uuid::now_v7()),
            Some(&officer),
        )
        .await;
    assert_problem(unknown, &[404], Some("evaluation_not_found")).await;
}
