//! KYC: submission and checks, the officers' queue, assignment, decisions, screening, events.

mod common;

use common::{company, pdf_bytes, registration, spawn, RegisteredFounder, TestApp};
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const OFFICER_PASSWORD: &str = "officer-demo-pass";

struct Officer {
    id: Uuid,
    token: String,
}

async fn officer(app: &TestApp, username: &str) -> Officer {
    let id = app
        .create_account(username, OFFICER_PASSWORD, &[Role::KycOfficer])
        .await;
    Officer {
        id,
        token: app.token_for(id, &[Role::KycOfficer], None),
    }
}

/// A founder with a passport scan uploaded and the case submitted; the case id and the
/// document id.
async fn submitted_case(app: &TestApp, founder: &RegisteredFounder) -> (Uuid, Uuid) {
    let upload = app
        .upload(
            &founder.token,
            "passport_scan",
            "p.pdf",
            &pdf_bytes("scan"),
            None,
        )
        .await;
    assert_eq!(upload.status(), 201);
    let document: Value = upload.json().await.unwrap();
    let submitted = app
        .post_json("/v1/me/kyc/submit", Some(&founder.token), &json!({}))
        .await;
    assert_eq!(submitted.status(), 200);
    let case: Value = submitted.json().await.unwrap();
    assert_eq!(case["status"], "pending_review");
    (
        case["case_id"].as_str().unwrap().parse().unwrap(),
        document["document_id"].as_str().unwrap().parse().unwrap(),
    )
}

async fn act(
    app: &TestApp,
    token: &str,
    case_id: Uuid,
    action: &str,
    body: Value,
) -> reqwest::Response {
    app.post_json(
        &format!("/v1/kyc/cases/{case_id}/{action}"),
        Some(token),
        &body,
    )
    .await
}

async fn decide(
    app: &TestApp,
    token: &str,
    case_id: Uuid,
    document_id: Uuid,
    body: Value,
) -> reqwest::Response {
    act(
        app,
        token,
        case_id,
        &format!("documents/{document_id}/decision"),
        body,
    )
    .await
}

async fn import_watch_list(app: &TestApp, token: &str, csv: &str) -> reqwest::Response {
    app.server
        .client
        .post(app.url("/v1/kyc/watchlist"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

/// A watch list that matches none of the test founders.
const UNRELATED_WATCH_LIST: &str =
    "full_name,birth_date,list_name,reference\nPetrov Sergey Ivanovich,1965-01-30,sanctions,S-9\n";

async fn outbox_payloads(app: &TestApp, topic: &str) -> Vec<Value> {
    sqlx::query_scalar("select payload from outbox_event where topic = $1")
        .bind(topic)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// The case as `officer` reads it.
async fn case_seen_by(app: &TestApp, officer: &Officer, case_id: Uuid) -> Value {
    app.get(&format!("/v1/kyc/cases/{case_id}"), Some(&officer.token))
        .await
        .json()
        .await
        .unwrap()
}

/// The case's automatic check called `name`.
fn check_named(case: &Value, name: &str) -> Value {
    case["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {case}"))
        .clone()
}

#[sqlx::test(migrations = false)]
async fn a_case_is_submitted_checked_assigned_decided_and_approved_and_the_approval_is_announced(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let kyc1 = officer(&app, "kyc1").await;
    let imported = import_watch_list(&app, &kyc1.token, UNRELATED_WATCH_LIST).await;
    assert_eq!(imported.status(), 201);
    let (case_id, document_id) = submitted_case(&app, &founder).await;

    let queue: Value = app
        .get(
            "/v1/kyc/cases?status=pending_review&assignee=none",
            Some(&kyc1.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue[0]["case_id"], case_id.to_string());
    let checks = queue[0]["checks"].as_array().unwrap();
    for name in [
        "format",
        "pinfl_birth_date",
        "passport_validity",
        "duplicates",
        "screening",
    ] {
        let check = checks.iter().find(|check| check["name"] == name).unwrap();
        assert_eq!(check["passed"], true, "{check}");
    }

    let assigned = act(&app, &kyc1.token, case_id, "assign", json!({})).await;
    assert_eq!(assigned.status(), 200);
    let decided = decide(
        &app,
        &kyc1.token,
        case_id,
        document_id,
        json!({ "decision": "accepted" }),
    )
    .await;
    assert_eq!(decided.status(), 200);
    let approved = act(&app, &kyc1.token, case_id, "approve", json!({})).await;
    assert_eq!(approved.status(), 200);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["status"], "approved");

    let events = outbox_payloads(&app, "client.kyc_approved").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["client_id"], founder.client_id.to_string());
    assert!(events[0]["approved_at"].is_string());

    let status: Value = app
        .get(
            &format!("/v1/clients/{}/kyc", founder.client_id),
            Some(&app.service_token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "approved");
    assert!(status["approved_at"].is_string());
    for action in [
        "kyc.submit",
        "kyc.assign",
        "kyc.decide_document",
        "kyc.approve",
    ] {
        assert_eq!(app.audit_count(action).await, 1, "{action}");
    }
    let again = act(&app, &kyc1.token, case_id, "approve", json!({})).await;
    assert_problem(again, &[409], Some("kyc_wrong_status")).await;
}

#[sqlx::test(migrations = false)]
async fn approval_is_refused_until_every_required_document_is_accepted(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let kyc1 = officer(&app, "kyc1").await;
    let (case_id, document_id) = submitted_case(&app, &founder).await;
    act(&app, &kyc1.token, case_id, "assign", json!({})).await;

    let undecided = act(&app, &kyc1.token, case_id, "approve", json!({})).await;
    let problem = assert_problem(undecided, &[422], None).await;
    assert_eq!(problem["errors"][0]["code"], "document_undecided");

    decide(
        &app,
        &kyc1.token,
        case_id,
        document_id,
        json!({ "decision": "rejected", "reason": "illegible" }),
    )
    .await;
    let rejected_document = act(&app, &kyc1.token, case_id, "approve", json!({})).await;
    let problem = assert_problem(rejected_document, &[422], None).await;
    assert_eq!(problem["errors"][0]["code"], "document_not_accepted");
    assert_eq!(problem["errors"][0]["field"], "documents[passport_scan]");
    assert!(outbox_payloads(&app, "client.kyc_approved")
        .await
        .is_empty());
}

#[sqlx::test(migrations = false)]
async fn only_the_assigned_officer_acts_on_a_case(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let kyc1 = officer(&app, "kyc1").await;
    let kyc2 = officer(&app, "kyc2").await;
    let (case_id, document_id) = submitted_case(&app, &founder).await;

    let unassigned = decide(
        &app,
        &kyc1.token,
        case_id,
        document_id,
        json!({ "decision": "accepted" }),
    )
    .await;
    assert_problem(unassigned, &[403], Some("not_assigned_officer")).await;

    let assigned = act(
        &app,
        &kyc1.token,
        case_id,
        "assign",
        json!({ "officer_id": kyc2.id }),
    )
    .await;
    assert_eq!(assigned.status(), 200);
    let other = decide(
        &app,
        &kyc1.token,
        case_id,
        document_id,
        json!({ "decision": "accepted" }),
    )
    .await;
    assert_problem(other, &[403], Some("not_assigned_officer")).await;
    let other = act(
        &app,
        &kyc1.token,
        case_id,
        "reject",
        json!({ "reason": "false_information" }),
    )
    .await;
    assert_problem(other, &[403], Some("not_assigned_officer")).await;
    let mine: Value = app
        .get("/v1/kyc/cases?assignee=me", Some(&kyc2.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
}

#[sqlx::test(migrations = false)]
async fn a_founder_cannot_decide_their_own_case_nor_can_staff_without_the_kyc_role(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let (case_id, _) = submitted_case(&app, &founder).await;

    let as_founder = act(&app, &founder.token, case_id, "approve", json!({})).await;
    assert_problem(as_founder, &[403], None).await;
    let credit_officer = app.token_for(Uuid::now_v7(), &[Role::CreditOfficer], None);
    let as_credit_officer = act(&app, &credit_officer, case_id, "assign", json!({})).await;
    assert_problem(as_credit_officer, &[403], None).await;
    let queue = app.get("/v1/kyc/cases", Some(&credit_officer)).await;
    assert_problem(queue, &[403], None).await;

    // A KYC officer who is also this client is refused the case itself.
    let own_officer = app.token_for(
        founder.account_id,
        &[Role::Client, Role::KycOfficer],
        Some(founder.client_id),
    );
    let self_assigned = act(&app, &own_officer, case_id, "assign", json!({})).await;
    assert_problem(self_assigned, &[403], Some("conflict_of_interest")).await;
}

#[sqlx::test(migrations = false)]
async fn a_case_sent_back_for_revision_is_resubmitted_and_then_rejected(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let kyc1 = officer(&app, "kyc1").await;
    let (case_id, _) = submitted_case(&app, &founder).await;
    act(&app, &kyc1.token, case_id, "assign", json!({})).await;

    let early = app
        .post_json("/v1/me/kyc/submit", Some(&founder.token), &json!({}))
        .await;
    assert_problem(early, &[409], Some("kyc_wrong_status")).await;
    let blank = act(
        &app,
        &kyc1.token,
        case_id,
        "request-revision",
        json!({ "note": "  " }),
    )
    .await;
    let problem = assert_problem(blank, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "note");

    let sent_back = act(
        &app,
        &kyc1.token,
        case_id,
        "request-revision",
        json!({ "note": "The scan is cut off" }),
    )
    .await;
    assert_eq!(sent_back.status(), 200);
    let mine: Value = app
        .get("/v1/me/kyc", Some(&founder.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["status"], "revision_requested");
    assert_eq!(mine[0]["revision_note"], "The scan is cut off");
    assert!(mine[0].get("checks").is_none());

    let upload = app
        .upload(
            &founder.token,
            "passport_scan",
            "p2.pdf",
            &pdf_bytes("second scan"),
            None,
        )
        .await;
    assert_eq!(upload.status(), 201);
    let resubmitted = app
        .post_json("/v1/me/kyc/submit", Some(&founder.token), &json!({}))
        .await;
    assert_eq!(resubmitted.status(), 200);
    let resubmitted: Value = resubmitted.json().await.unwrap();
    assert_eq!(resubmitted["documents"].as_array().unwrap().len(), 2);

    let rejected = act(
        &app,
        &kyc1.token,
        case_id,
        "reject",
        json!({ "reason": "false_information" }),
    )
    .await;
    assert_eq!(rejected.status(), 200);
    let events = outbox_payloads(&app, "client.kyc_rejected").await;
    assert_eq!(events[0]["reason"], "false_information");
    let late_upload = app
        .upload(
            &founder.token,
            "passport_scan",
            "p3.pdf",
            &pdf_bytes("third"),
            None,
        )
        .await;
    assert_problem(late_upload, &[409], Some("kyc_wrong_status")).await;
}

#[sqlx::test(migrations = false)]
async fn submitting_without_the_passport_scan_is_refused_and_stores_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let response = app
        .post_json("/v1/me/kyc/submit", Some(&founder.token), &json!({}))
        .await;
    let problem = assert_problem(response, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "documents[passport_scan]");
    assert_eq!(app.count("kyc_case").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_cyrillic_watch_list_name_is_found_against_the_same_name_in_latin(pool: PgPool) {
    let app = spawn(pool).await;
    let kyc1 = officer(&app, "kyc1").await;
    let mut body = registration("founder1", 1);
    body["cyrillic_name"] = Value::Null;
    let response = app.post_json("/v1/registrations", None, &body).await;
    let registered: Value = response.json().await.unwrap();
    let founder = RegisteredFounder {
        account_id: registered["account_id"].as_str().unwrap().parse().unwrap(),
        client_id: registered["client_id"].as_str().unwrap().parse().unwrap(),
        token: String::new(),
    };
    let founder = RegisteredFounder {
        token: app.token_for(founder.account_id, &[Role::Client], Some(founder.client_id)),
        ..founder
    };

    let csv = "full_name,birth_date,list_name,reference\nКаримов Азиз Ботирович,1990-05-15,national_sanctions,NS-0042\nБошқа Одам,,national_sanctions,NS-0043\n";
    let refused = app
        .server
        .client
        .post(app.url("/v1/kyc/watchlist"))
        .bearer_auth(&founder.token)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_problem(refused, &[403], None).await;
    let bad = app
        .server
        .client
        .post(app.url("/v1/kyc/watchlist"))
        .bearer_auth(&kyc1.token)
        .body("full_name,list_name\nSomeone,x\n")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "lines[1].reference");
    let imported = app
        .server
        .client
        .post(app.url("/v1/kyc/watchlist"))
        .bearer_auth(&kyc1.token)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 201);

    let (case_id, _) = submitted_case(&app, &founder).await;
    let case: Value = case_seen_by(&app, &kyc1, case_id).await;
    let hits = case["screening_hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{case}");
    assert_eq!(hits[0]["reference"], "NS-0042");
    assert_eq!(hits[0]["screened_name"], "Karimov Aziz Botirovich");
    let screening = check_named(&case, "screening");
    assert_eq!(screening["passed"], false);
}

#[sqlx::test(migrations = false)]
async fn a_company_case_needs_its_papers_and_its_approval_is_announced_with_the_stir(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let kyc1 = officer(&app, "kyc1").await;
    let created: Value = app
        .post_json(
            "/v1/me/companies",
            Some(&founder.token),
            &company(founder.client_id, "301234567"),
        )
        .await
        .json()
        .await
        .unwrap();
    let company_id: Uuid = created["company_id"].as_str().unwrap().parse().unwrap();

    let mut document_ids = Vec::new();
    for kind in ["company_charter", "registration_certificate"] {
        let upload = app
            .upload(
                &founder.token,
                kind,
                "c.pdf",
                &pdf_bytes(kind),
                Some(company_id),
            )
            .await;
        let document: Value = upload.json().await.unwrap();
        document_ids.push(
            document["document_id"]
                .as_str()
                .unwrap()
                .parse::<Uuid>()
                .unwrap(),
        );
    }
    let missing = app
        .post_json(
            "/v1/me/kyc/submit",
            Some(&founder.token),
            &json!({ "company_id": company_id }),
        )
        .await;
    let problem = assert_problem(missing, &[422], None).await;
    assert_eq!(
        problem["errors"][0]["field"],
        "documents[it_park_certificate]"
    );

    let upload = app
        .upload(
            &founder.token,
            "it_park_certificate",
            "itp.pdf",
            &pdf_bytes("itp"),
            Some(company_id),
        )
        .await;
    let document: Value = upload.json().await.unwrap();
    document_ids.push(document["document_id"].as_str().unwrap().parse().unwrap());
    let submitted = app
        .post_json(
            "/v1/me/kyc/submit",
            Some(&founder.token),
            &json!({ "company_id": company_id }),
        )
        .await;
    let case: Value = submitted.json().await.unwrap();
    let case_id: Uuid = case["case_id"].as_str().unwrap().parse().unwrap();

    act(&app, &kyc1.token, case_id, "assign", json!({})).await;
    for document_id in document_ids {
        let decided = decide(
            &app,
            &kyc1.token,
            case_id,
            document_id,
            json!({ "decision": "accepted" }),
        )
        .await;
        assert_eq!(decided.status(), 200);
    }
    assert_eq!(
        act(&app, &kyc1.token, case_id, "approve", json!({}))
            .await
            .status(),
        200
    );
    let events = outbox_payloads(&app, "company.kyc_approved").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["stir"], "301234567");
    assert_eq!(events[0]["company_id"], company_id.to_string());
    assert_eq!(events[0]["client_id"], founder.client_id.to_string());
    let status: Value = app
        .get(
            &format!("/v1/clients/{}/kyc", founder.client_id),
            Some(&app.service_token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "new");
    assert_eq!(status["companies"][0]["status"], "approved");
}

#[sqlx::test(migrations = false)]
async fn a_founder_cannot_reach_another_founders_company_or_case(pool: PgPool) {
    let app = spawn(pool).await;
    let owner = app.register_founder("founder1", 1).await;
    let other = app.register_founder("founder2", 2).await;
    let created: Value = app
        .post_json(
            "/v1/me/companies",
            Some(&owner.token),
            &company(owner.client_id, "301234567"),
        )
        .await
        .json()
        .await
        .unwrap();
    let company_id: Uuid = created["company_id"].as_str().unwrap().parse().unwrap();
    let (case_id, _) = submitted_case(&app, &owner).await;

    let submit = app
        .post_json(
            "/v1/me/kyc/submit",
            Some(&other.token),
            &json!({ "company_id": company_id }),
        )
        .await;
    assert_problem(submit, &[404], None).await;
    let upload = app
        .upload(
            &other.token,
            "company_charter",
            "c.pdf",
            &pdf_bytes("c"),
            Some(company_id),
        )
        .await;
    let problem = assert_problem(upload, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "company_id");
    let case = app
        .get(&format!("/v1/kyc/cases/{case_id}"), Some(&other.token))
        .await;
    assert_problem(case, &[403], None).await;
    let status = app
        .get(
            &format!("/v1/clients/{}/kyc", owner.client_id),
            Some(&other.token),
        )
        .await;
    assert_problem(status, &[404], None).await;
    let mine: Value = app
        .get("/v1/me/kyc", Some(&other.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = false)]
async fn a_profile_stating_another_clients_pinfl_is_flagged_by_the_duplicates_check(pool: PgPool) {
    let app = spawn(pool).await;
    app.register_founder("founder1", 1).await;
    let mut claim = registration("claimant", 2);
    claim["pinfl"] = common::pinfl_for(common::date("1990-05-15"), 1).into();
    let registered = app.post_json("/v1/registrations", None, &claim).await;
    assert_eq!(registered.status(), 201);
    let registered: Value = registered.json().await.unwrap();
    let account_id: Uuid = registered["account_id"].as_str().unwrap().parse().unwrap();
    let client_id: Uuid = registered["client_id"].as_str().unwrap().parse().unwrap();
    let claimant = RegisteredFounder {
        account_id,
        client_id,
        token: app.token_for(account_id, &[Role::Client], Some(client_id)),
    };

    let (case_id, _) = submitted_case(&app, &claimant).await;

    let kyc1 = officer(&app, "kyc1").await;
    let case: Value = case_seen_by(&app, &kyc1, case_id).await;
    let duplicates = check_named(&case, "duplicates");
    assert_eq!(duplicates["passed"], false, "{case}");
    assert!(duplicates["detail"]
        .as_str()
        .unwrap()
        .contains("1 other profiles share this PINFL or passport"));
}

/// The matching list entry for the test founders (Karimov Aziz Botirovich, 1990-05-15).
const MATCHING_WATCH_LIST: &str = "full_name,birth_date,list_name,reference\n\
    Каримов Азиз Ботирович,1990-05-15,national_sanctions,NS-0042\n";

/// A founder's submitted case with its one hit, assigned to `officer` with the passport
/// accepted: everything done but the screening judgement. The case id and the hit id.
async fn case_with_a_hit(
    app: &TestApp,
    founder: &RegisteredFounder,
    officer: &Officer,
) -> (Uuid, Uuid) {
    let imported = import_watch_list(app, &officer.token, MATCHING_WATCH_LIST).await;
    assert_eq!(imported.status(), 201);
    let (case_id, document_id) = submitted_case(app, founder).await;
    assert_eq!(
        act(app, &officer.token, case_id, "assign", json!({}))
            .await
            .status(),
        200
    );
    let decided = decide(
        app,
        &officer.token,
        case_id,
        document_id,
        json!({ "decision": "accepted" }),
    )
    .await;
    assert_eq!(decided.status(), 200);
    let case: Value = case_seen_by(app, officer, case_id).await;
    let hits = case["screening_hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{case}");
    assert!(hits[0]["resolution"].is_null());
    assert_eq!(hits[0]["entry_full_name"], "Каримов Азиз Ботирович");
    assert_eq!(hits[0]["entry_birth_date"], "1990-05-15");
    let screening = check_named(&case, "screening");
    assert_eq!(screening["outcome"], "possible_match");
    (
        case_id,
        hits[0]["hit_id"].as_str().unwrap().parse().unwrap(),
    )
}

async fn resolve(
    app: &TestApp,
    token: &str,
    case_id: Uuid,
    hit_id: Uuid,
    body: Value,
) -> reqwest::Response {
    app.post_json(
        &format!("/v1/kyc/cases/{case_id}/screening-hits/{hit_id}/resolution"),
        Some(token),
        &body,
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn without_a_watch_list_the_screening_check_fails_as_cannot_screen(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let kyc1 = officer(&app, "kyc1").await;
    let (case_id, _) = submitted_case(&app, &founder).await;
    let case: Value = case_seen_by(&app, &kyc1, case_id).await;
    let screening = check_named(&case, "screening");
    assert_eq!(screening["passed"], false, "{screening}");
    assert_eq!(screening["outcome"], "cannot_screen");
    assert_eq!(case["screening_hits"], json!([]));
}

#[sqlx::test(migrations = false)]
async fn a_hit_judged_a_false_positive_by_the_assigned_officer_clears_the_way_and_is_audited(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let kyc1 = officer(&app, "kyc1").await;
    let kyc2 = officer(&app, "kyc2").await;
    let (case_id, hit_id) = case_with_a_hit(&app, &founder, &kyc1).await;

    let open = act(&app, &kyc1.token, case_id, "approve", json!({})).await;
    assert_problem(open, &[409], Some("screening_review_open")).await;

    let judgement = json!({ "resolution": "false_positive", "reason": "Listed person born elsewhere; passport photo differs." });
    let not_assigned = resolve(&app, &kyc2.token, case_id, hit_id, judgement.clone()).await;
    assert_problem(not_assigned, &[403], Some("not_assigned_officer")).await;
    let by_founder = resolve(&app, &founder.token, case_id, hit_id, judgement.clone()).await;
    assert_problem(by_founder, &[403], None).await;
    let unknown = resolve(
        &app,
        &kyc1.token,
        case_id,
        hit_id,
        json!({ "resolution": "maybe", "reason": "x" }),
    )
    .await;
    let problem = assert_problem(unknown, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "resolution");
    let no_reason = resolve(
        &app,
        &kyc1.token,
        case_id,
        hit_id,
        json!({ "resolution": "false_positive", "reason": "  " }),
    )
    .await;
    let problem = assert_problem(no_reason, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "reason");
    let other_case = resolve(&app, &kyc1.token, Uuid::now_v7(), hit_id, judgement.clone()).await;
    assert_problem(other_case, &[404], None).await;
    assert_eq!(app.audit_count("kyc.resolve_screening_hit").await, 0);

    let cleared = resolve(&app, &kyc1.token, case_id, hit_id, judgement.clone()).await;
    assert_eq!(cleared.status(), 200);
    let cleared: Value = cleared.json().await.unwrap();
    assert_eq!(cleared["resolution"], "false_positive");
    assert_eq!(cleared["resolved_by"], kyc1.id.to_string());
    let again = resolve(
        &app,
        &kyc1.token,
        case_id,
        hit_id,
        json!({ "resolution": "true_match", "reason": "changed my mind" }),
    )
    .await;
    assert_problem(again, &[409], Some("hit_already_resolved")).await;

    let (before, after): (Value, Value) = sqlx::query_as(
        "select before, after from audit_record where action = 'kyc.resolve_screening_hit' and subject_id = $1",
    )
    .bind(hit_id.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(before["resolution"].is_null(), "{before}");
    assert_eq!(after["resolution"], "false_positive");
    assert_eq!(
        after["reason"],
        "Listed person born elsewhere; passport photo differs."
    );

    let approved = act(&app, &kyc1.token, case_id, "approve", json!({})).await;
    assert_eq!(approved.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn a_true_match_blocks_approval_and_the_case_can_be_rejected_for_it(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let kyc1 = officer(&app, "kyc1").await;
    let (case_id, hit_id) = case_with_a_hit(&app, &founder, &kyc1).await;
    let confirmed = resolve(&app, &kyc1.token, case_id, hit_id, json!({ "resolution": "true_match", "reason": "Same birth date and passport series as the listing." })).await;
    assert_eq!(confirmed.status(), 200);
    let (after,): (Value,) =
        sqlx::query_as("select after from audit_record where action = 'kyc.resolve_screening_hit'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(after["resolution"], "true_match");

    let refused = act(&app, &kyc1.token, case_id, "approve", json!({})).await;
    assert_problem(refused, &[409], Some("screening_true_match")).await;
    assert_eq!(app.audit_count("kyc.approve").await, 0);
    assert!(outbox_payloads(&app, "client.kyc_approved")
        .await
        .is_empty());
    let rejected = act(
        &app,
        &kyc1.token,
        case_id,
        "reject",
        json!({ "reason": "screening_list_match" }),
    )
    .await;
    assert_eq!(rejected.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn a_new_watch_list_screens_approved_clients_again_and_opens_a_review_per_new_hit(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let kyc1 = officer(&app, "kyc1").await;
    assert_eq!(
        import_watch_list(&app, &kyc1.token, UNRELATED_WATCH_LIST)
            .await
            .status(),
        201
    );
    let (case_id, document_id) = submitted_case(&app, &founder).await;
    assert_eq!(
        act(&app, &kyc1.token, case_id, "assign", json!({}))
            .await
            .status(),
        200
    );
    let accepted = decide(
        &app,
        &kyc1.token,
        case_id,
        document_id,
        json!({ "decision": "accepted" }),
    )
    .await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(
        act(&app, &kyc1.token, case_id, "approve", json!({}))
            .await
            .status(),
        200
    );
    let reviews: Value = app
        .get("/v1/kyc/screening-reviews", Some(&kyc1.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reviews, json!([]));

    let imported = import_watch_list(&app, &kyc1.token, MATCHING_WATCH_LIST).await;
    assert_eq!(imported.status(), 201);
    let imported: Value = imported.json().await.unwrap();
    assert_eq!(imported["rescreened_cases"], 1);
    assert_eq!(imported["new_hits"], 1);
    let reviews: Value = app
        .get("/v1/kyc/screening-reviews", Some(&kyc1.token))
        .await
        .json()
        .await
        .unwrap();
    let reviews = reviews.as_array().unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0]["case_id"], case_id.to_string());
    assert_eq!(reviews[0]["reference"], "NS-0042");

    // The same list again finds nothing new: the open review is not duplicated.
    let again: Value = import_watch_list(&app, &kyc1.token, MATCHING_WATCH_LIST)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["new_hits"], 0);
    assert_eq!(app.count("screening_hit").await, 1);
    let by_founder = app
        .get("/v1/kyc/screening-reviews", Some(&founder.token))
        .await;
    assert_problem(by_founder, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn every_bad_line_of_a_watch_list_is_reported_and_nothing_is_stored(pool: PgPool) {
    let app = spawn(pool).await;
    let kyc1 = officer(&app, "kyc1").await;
    let csv = "full_name,birth_date,list_name,reference\n\
        Ivanov Ivan,1970-01-01,L,R1\n\
        ,,L,R2\n\
        Petrov Petr,12.03.1970,L,R3\n\
        Sidorov Ivan,,L\n\
        Orlov Oleg,,L,R5\n";
    let refused = import_watch_list(&app, &kyc1.token, csv).await;
    let problem = assert_problem(refused, &[422], Some("validation_failed")).await;
    let fields: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["field"].as_str().unwrap(),
                error["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("lines[3].full_name", "empty_value"),
            ("lines[4].birth_date", "invalid_birth_date"),
            ("lines[5].file", "malformed_line")
        ]
    );
    assert_eq!(app.count("watch_list_import").await, 0);
    assert_eq!(app.audit_count("kyc.import_watch_list").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_name_typed_with_a_combining_breve_matches_the_composed_letter(pool: PgPool) {
    let app = spawn(pool).await;
    let kyc1 = officer(&app, "kyc1").await;
    let mut body = registration("founder1", 1);
    body["latin_name"]["given_name"] = json!("Husayn");
    body["cyrillic_name"]["given_name"] = json!("Ҳусайн");
    let founder = app.register_founder_with(&body).await;
    // "й" typed as "и" followed by U+0306 COMBINING BREVE.
    let csv = "full_name,birth_date,list_name,reference\n\
        Каримов Ҳусаи\u{0306}н Ботирович,1990-05-15,national_sanctions,NS-0042\n";
    assert_eq!(
        import_watch_list(&app, &kyc1.token, csv).await.status(),
        201
    );
    let (case_id, _) = submitted_case(&app, &founder).await;
    let case: Value = case_seen_by(&app, &kyc1, case_id).await;
    let hits = case["screening_hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{case}");
    // Composed first, the names are the same letters: a perfect score.
    assert_eq!(hits[0]["score"], 100, "{case}");
}
