//! Uploading documents (typed by content, size-limited) and downloading them safely.

mod common;

use common::{pdf_bytes, spawn};
use imkon_auth::Role;
use imkon_onboarding::domain::document::sha256_hex;
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn a_founder_uploads_a_pdf_and_downloads_it_only_as_an_attachment(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let content = pdf_bytes("passport scan");
    let response = app
        .upload(
            &founder.token,
            "passport_scan",
            "passport.pdf",
            &content,
            None,
        )
        .await;
    assert_eq!(response.status(), 201);
    let document: serde_json::Value = response.json().await.unwrap();
    assert_eq!(document["content_type"], "application/pdf");
    assert_eq!(document["sha256"], sha256_hex(&content));
    assert_eq!(document["size_bytes"], content.len());

    let path = format!(
        "/v1/documents/{}",
        document["document_id"].as_str().unwrap()
    );
    let download = app.get(&path, Some(&founder.token)).await;
    assert_eq!(download.status(), 200);
    let headers = download.headers().clone();
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(download.bytes().await.unwrap().as_ref(), content.as_slice());
    assert_eq!(app.audit_count("document.upload").await, 1);
}

#[sqlx::test(migrations = false)]
async fn an_executable_or_html_named_pdf_is_refused_and_nothing_is_stored(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let executable = b"\x7fELF\x02\x01\x01\x00 definitely not a pdf".to_vec();
    let html = b"  <html><script>alert(1)</script></html>".to_vec();
    for content in [executable, html] {
        let response = app
            .upload(&founder.token, "passport_scan", "scan.pdf", &content, None)
            .await;
        let problem = assert_problem(response, &[422], Some("validation_failed")).await;
        assert_eq!(problem["errors"][0]["field"], "file");
        assert_eq!(problem["errors"][0]["code"], "refused_content");
    }
    let unknown_kind = app
        .upload(&founder.token, "selfie", "scan.pdf", &pdf_bytes("x"), None)
        .await;
    let problem = assert_problem(unknown_kind, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "kind");
    assert_eq!(app.count("document").await, 0);
}

#[sqlx::test(migrations = false)]
async fn an_eleven_megabyte_upload_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let mut content = pdf_bytes("large");
    content.resize(11 * 1024 * 1024, b' ');
    let response = app
        .upload(&founder.token, "passport_scan", "large.pdf", &content, None)
        .await;
    assert_problem(response, &[413, 422], None).await;
    assert_eq!(app.count("document").await, 0);
}

#[sqlx::test(migrations = false)]
async fn only_the_owner_and_the_staff_who_judge_the_client_may_download_a_document(pool: PgPool) {
    let app = spawn(pool).await;
    let owner = app.register_founder("founder1", 1).await;
    let other = app.register_founder("founder2", 2).await;
    let response = app
        .upload(
            &owner.token,
            "passport_scan",
            "p.pdf",
            &pdf_bytes("p"),
            None,
        )
        .await;
    let document: serde_json::Value = response.json().await.unwrap();
    let path = format!(
        "/v1/documents/{}",
        document["document_id"].as_str().unwrap()
    );

    assert_problem(app.get(&path, Some(&other.token)).await, &[404], None).await;
    // Finance and admin never read a client's papers: refused whatever the id, so a 403 tells
    // them nothing about which documents exist.
    for role in [Role::Finance, Role::Admin] {
        let staff = app.token_for(uuid::Uuid::now_v7(), &[role], None);
        assert_problem(
            app.get(&path, Some(&staff)).await,
            &[403],
            Some("forbidden"),
        )
        .await;
    }
    assert_problem(app.get(&path, None).await, &[401], None).await;
    for role in [Role::KycOfficer, Role::CreditOfficer, Role::Approver] {
        let reader = app.token_for(uuid::Uuid::now_v7(), &[role], None);
        assert_eq!(
            app.get(&path, Some(&reader)).await.status(),
            200,
            "{role:?}"
        );
    }
    assert_eq!(
        app.audit_count("document.download").await,
        3,
        "every staff download is recorded; the owner's own are not"
    );

    let listed: serde_json::Value = app
        .get("/v1/me/documents", Some(&other.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = false)]
async fn a_clients_documents_are_listed_for_them_and_the_staff_who_judge_them_only(pool: PgPool) {
    let app = spawn(pool).await;
    let owner = app.register_founder("founder1", 1).await;
    let other = app.register_founder("founder2", 2).await;
    for (kind, name) in [("passport_scan", "p.pdf"), ("other", "plan.pdf")] {
        let uploaded = app
            .upload(&owner.token, kind, name, &pdf_bytes(name), None)
            .await;
        assert_eq!(uploaded.status(), 201);
    }
    let path = format!("/v1/clients/{}/documents", owner.client_id);

    let credit_officer = app.token_for(uuid::Uuid::now_v7(), &[Role::CreditOfficer], None);
    let listed: serde_json::Value = app
        .get(&path, Some(&credit_officer))
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|document| document["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{listed}");
    assert!(kinds.contains(&"passport_scan") && kinds.contains(&"other"));
    assert!(listed[0].get("content").is_none(), "metadata only");
    assert_eq!(app.get(&path, Some(&owner.token)).await.status(), 200);

    assert_problem(app.get(&path, Some(&other.token)).await, &[404], None).await;
    let finance = app.token_for(uuid::Uuid::now_v7(), &[Role::Finance], None);
    assert_problem(
        app.get(&path, Some(&finance)).await,
        &[403],
        Some("forbidden"),
    )
    .await;
    assert_problem(app.get(&path, None).await, &[401], None).await;
}
