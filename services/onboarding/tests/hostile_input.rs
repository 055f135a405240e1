//! Text PostgreSQL cannot store, sent by an anonymous caller or a founder, is refused at the
//! boundary with a 422 naming where it is, never a 500 from the database.

mod common;

use common::{pdf_bytes, registration, spawn};
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn a_nul_in_the_username_of_a_password_sign_in_is_refused_naming_the_username(pool: PgPool) {
    let app = spawn(pool).await;
    let response = app.login("founder\u{0}1", "any-password-at-all").await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "/username");
    assert_eq!(problem["errors"][0]["code"], "control_character");
}

#[sqlx::test(migrations = false)]
async fn a_nul_in_a_nested_field_of_an_anonymous_registration_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let mut body = registration("aziz", 11);
    body["address"]["street_line"] = "Amir Temur 1\u{0}".into();
    let response = app.post_json("/v1/registrations", None, &body).await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "/address/street_line");
    assert_eq!(app.count("login_account").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_nul_in_a_query_parameter_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("aziz", 12).await;
    let response = app
        .get("/v1/staff?role=kyc_officer%00", Some(&founder.token))
        .await;
    assert_problem(response, &[422], Some("validation_failed")).await;
}

#[sqlx::test(migrations = false)]
async fn an_upload_whose_file_name_holds_a_control_character_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("aziz", 13).await;
    let response = app
        .upload(
            &founder.token,
            "passport_scan",
            "pass\u{85}port.pdf",
            &pdf_bytes("x"),
            None,
        )
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "file");
    assert_eq!(app.count("document").await, 0);
}
