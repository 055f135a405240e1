//! Documents backing collateral and guarantors: attached by the founder to a security of their
//! draft loan application, judged by their bytes and size, opened by the founder and the
//! officers who review the application and by no one else, fixed once the application is
//! submitted, and referenced by the approval.

mod common;

use common::{assert_problem_field, loan_answers, Founder, Harness};
use imkon_applications::seed::SMALL_BUSINESS_START_LOAN_ID;
use imkon_platform::testing::assert_problem;
use reqwest::Response;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {text}\n%%EOF\n").into_bytes()
}

/// Posts `kind` and `content` as `multipart/form-data`, built by hand, declared as a PDF
/// whatever it is (the service ignores the declaration).
async fn attach(
    harness: &Harness,
    path: &str,
    token: Option<&str>,
    kind: &str,
    content: &[u8],
) -> Response {
    let boundary = "imkon-test-boundary-5c2e";
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"valuation.pdf\"\r\n\
         content-type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut request = harness
        .server
        .client
        .post(harness.server.url(path))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// A founder's draft loan application with one collateral; its securities path and the
/// collateral's documents path.
async fn secured_draft(harness: &Harness, founder: &Founder) -> (Uuid, String, String) {
    let id = harness
        .draft(
            founder,
            SMALL_BUSINESS_START_LOAN_ID,
            json!({ "requested_amount": "200000000.00", "term_months": 24, "answers": loan_answers() }),
        )
        .await;
    let securities = format!("/v1/applications/{id}/securities");
    let security = harness
        .post_ok(
            &securities,
            &founder.token,
            &json!({
                "kind": "collateral", "collateral_type": "real_estate",
                "description": "Office, 12 Amir Temur street, Tashkent", "value": "350000000.00"
            }),
        )
        .await;
    let documents = format!(
        "{securities}/{}/documents",
        security["id"].as_str().unwrap()
    );
    (id, securities, documents)
}

#[sqlx::test(migrations = false)]
async fn a_founder_attaches_documents_to_a_security_and_its_officers_open_them(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let (_, securities, documents) = secured_draft(&harness, &founder).await;

    let report = pdf("valuation report");
    let attached = harness
        .ok(attach(
            &harness,
            &documents,
            Some(&founder.token),
            "valuation_report",
            &report,
        )
        .await)
        .await;
    assert_eq!(attached["kind"], "valuation_report");
    assert_eq!(attached["content_type"], "application/pdf");
    assert_eq!(attached["size_bytes"], report.len());
    assert_eq!(attached["original_file_name"], "valuation.pdf");
    harness
        .ok(attach(
            &harness,
            &documents,
            Some(&founder.token),
            "title_deed",
            PNG,
        )
        .await)
        .await;

    // The founder and the officers see each security with its documents.
    for token in [&founder.token, &harness.officer, &harness.approver] {
        let seen: Value = harness.get_ok(&securities, token).await;
        let listed = seen[0]["documents"].as_array().unwrap();
        assert_eq!(listed.len(), 2, "{seen}");
        assert_eq!(listed[0]["id"], attached["id"]);
        assert_eq!(listed[1]["kind"], "title_deed");
        assert_eq!(listed[1]["content_type"], "image/png");
    }

    // Both open it, always as an attachment; only the officer's look is audited.
    let document = format!("{documents}/{}", attached["id"].as_str().unwrap());
    for token in [&founder.token, &harness.officer] {
        let opened = harness.get(&document, token).await;
        assert_eq!(opened.status(), 200);
        let headers = opened.headers();
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        assert_eq!(opened.bytes().await.unwrap().as_ref(), report.as_slice());
    }
    let audited: Vec<(String, Uuid)> = sqlx::query_as(
        "select action, actor_id from audit_record where subject_type = 'security_document'
         order by occurred_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let actions: Vec<&str> = audited.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "security_document.attach",
            "security_document.attach",
            "security_document.open"
        ]
    );
    assert_eq!(audited[2].1, harness.officer_id);

    // Another founder neither reads, opens nor attaches; their own security is no way in.
    let stranger = harness.founder().await;
    assert_problem(
        harness.get(&securities, &stranger.token).await,
        &[404],
        None,
    )
    .await;
    assert_problem(harness.get(&document, &stranger.token).await, &[404], None).await;
    assert_problem(
        attach(
            &harness,
            &documents,
            Some(&stranger.token),
            "other",
            &report,
        )
        .await,
        &[404],
        None,
    )
    .await;
    let (_, _, strangers_documents) = secured_draft(&harness, &stranger).await;
    let strangers_security = strangers_documents.split('/').nth(5).unwrap();
    let crossed = documents.replace(documents.split('/').nth(5).unwrap(), strangers_security);
    assert_problem(
        attach(&harness, &crossed, Some(&founder.token), "other", &report).await,
        &[404],
        Some("not_found"),
    )
    .await;
    let crossed_document = format!("{crossed}/{}", attached["id"].as_str().unwrap());
    assert_problem(
        harness.get(&crossed_document, &harness.officer).await,
        &[404],
        None,
    )
    .await;

    // Staff who do not review applications are refused, and so is a caller without a token.
    assert_problem(harness.get(&document, &harness.admin).await, &[403], None).await;
    assert_problem(
        attach(
            &harness,
            &documents,
            Some(&harness.officer),
            "other",
            &report,
        )
        .await,
        &[403],
        None,
    )
    .await;
    let anonymous = harness
        .server
        .client
        .get(harness.server.url(&document))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, &[401], None).await;
    assert_problem(
        attach(&harness, &documents, None, "other", &report).await,
        &[401],
        None,
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn a_document_is_refused_for_its_content_kind_size_or_number(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let (_, _, documents) = secured_draft(&harness, &founder).await;
    let token = Some(founder.token.as_str());

    // An executable named valuation.pdf and declared a PDF is judged by its bytes.
    let program = b"MZ\x90\x00\x03\x00\x00\x00";
    let refused = attach(&harness, &documents, token, "valuation_report", program).await;
    assert_problem_field(refused, 422, "file", "unrecognised_content").await;
    let refused = attach(&harness, &documents, token, "valuation_report", b"").await;
    assert_problem_field(refused, 422, "file", "empty_file").await;
    let refused = attach(&harness, &documents, token, "passport_scan", &pdf("x")).await;
    assert_problem_field(refused, 422, "kind", "unknown_kind").await;

    // Just over 10 MiB is refused by the size rule; far over it, by the route's body limit.
    let mut large = pdf("large");
    large.resize(10 * 1024 * 1024 + 1, b' ');
    let refused = attach(&harness, &documents, token, "valuation_report", &large).await;
    assert_problem_field(refused, 422, "file", "too_large").await;
    large.resize(12 * 1024 * 1024, b' ');
    let refused = attach(&harness, &documents, token, "valuation_report", &large).await;
    assert_problem(refused, &[413], Some("payload_too_large")).await;

    // Five documents at most per security.
    for number in 0..5 {
        harness
            .ok(attach(
                &harness,
                &documents,
                token,
                "other",
                &pdf(&number.to_string()),
            )
            .await)
            .await;
    }
    let refused = attach(&harness, &documents, token, "other", &pdf("sixth")).await;
    assert_problem(refused, &[409], Some("too_many_documents")).await;
}

#[sqlx::test(migrations = false)]
async fn documents_are_fixed_once_submitted_and_the_approval_references_them(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let (id, securities, documents) = secured_draft(&harness, &founder).await;
    let token = Some(founder.token.as_str());

    // Removing a security from the draft removes its documents with it.
    harness
        .ok(attach(
            &harness,
            &documents,
            token,
            "valuation_report",
            &pdf("first"),
        )
        .await)
        .await;
    let removed = harness
        .server
        .client
        .delete(harness.server.url(documents.trim_end_matches("/documents")))
        .bearer_auth(&founder.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let left: i64 = sqlx::query_scalar("select count(*) from security_document")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);

    let guarantor = harness
        .post_ok(
            &securities,
            &founder.token,
            &json!({
                "kind": "guarantor", "guarantor_name": "Dilshod Karimov",
                "description": "Co-founder's father", "value": "100000000"
            }),
        )
        .await;
    let documents = format!(
        "{securities}/{}/documents",
        guarantor["id"].as_str().unwrap()
    );
    let guarantee = pdf("signed guarantee");
    let attached = harness
        .ok(attach(&harness, &documents, token, "signed_guarantee", &guarantee).await)
        .await;

    harness.submit(&founder, id).await;
    let late = attach(&harness, &documents, token, "other", &pdf("late")).await;
    assert_problem(late, &[409], Some("not_a_draft")).await;
    // The officers still open what was attached before.
    let document = format!("{documents}/{}", attached["id"].as_str().unwrap());
    let opened = harness.get(&document, &harness.officer).await;
    assert_eq!(opened.status(), 200);

    harness
        .propose_approval(
            id,
            json!({ "amount": "180000000.00", "term_months": 24, "annual_rate_percent": "26", "grace_months": 0 }),
        )
        .await;
    harness
        .ok(harness.confirm(id, &harness.approver).await)
        .await;
    let event: Value =
        sqlx::query_scalar("select payload from outbox_event where topic = 'application.approved'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        event["securities"][0]["documents"],
        json!([{
            "document_id": attached["id"], "kind": "signed_guarantee",
            "content_type": "application/pdf", "sha256": attached["sha256"]
        }])
    );
}
