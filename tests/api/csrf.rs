//! The central CSRF and origin check: a refused request changes nothing.

use crate::helpers::{TestApp, TestUser, attr_of, count_of, location, spawn_app, text_of};
use klassenbuch::auth::roles::Role;

async fn signed_in_app() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    app.sign_in(&user).await;
    (app, user)
}

/// Asserts that the default client is still signed in as `user`.
async fn assert_still_signed_in(app: &TestApp, user: &TestUser) {
    let resp = app.get("/").await;
    assert_eq!(resp.status().as_u16(), 200, "no longer signed in");
    let body = resp.text().await.unwrap();
    assert_eq!(
        text_of(&body, "header .who .user").as_deref(),
        Some(user.display_name.as_str())
    );
}

#[tokio::test]
async fn a_sign_out_without_csrf_token_is_refused_and_the_session_survives() {
    // Arrange
    let (app, user) = signed_in_app().await;

    // Act
    let resp = app.post_form("/abmelden", &[]).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 403);
    assert_still_signed_in(&app, &user).await;
}

#[tokio::test]
async fn a_sign_in_without_csrf_token_is_refused_and_writes_no_audit_record() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    assert_eq!(app.get("/anmelden").await.status().as_u16(), 200);
    let audit_before = app.audit_row_count();

    // Act
    let resp = app
        .post_form(
            "/anmelden",
            &[
                ("login", &user.login),
                ("password", &user.password),
                ("next", "/"),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(app.audit_row_count(), audit_before);
    let home = app.get("/").await;
    assert_eq!(home.status().as_u16(), 303, "signed in without a token");
    assert_eq!(location(&home), "/anmelden?next=%2F");
}

#[tokio::test]
async fn a_post_with_a_wrong_csrf_token_is_refused() {
    // Arrange
    let (app, user) = signed_in_app().await;

    // Act
    let resp = app
        .post_form("/abmelden", &[("csrf", "nicht-das-richtige-token")])
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 403);
    assert_still_signed_in(&app, &user).await;
}

#[tokio::test]
async fn a_post_from_another_origin_is_refused_even_with_a_valid_token() {
    // Arrange
    let (app, user) = signed_in_app().await;
    let csrf = app.browser.csrf_from("/").await;

    // Act
    let resp = app
        .browser
        .post_form_with_headers(
            "/abmelden",
            &[("csrf", &csrf)],
            &[("Origin", "http://evil.example")],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 403);
    assert_still_signed_in(&app, &user).await;
}

#[tokio::test]
async fn a_cross_site_post_is_refused_even_with_a_valid_token() {
    // Arrange
    let (app, user) = signed_in_app().await;
    let csrf = app.browser.csrf_from("/").await;

    // Act
    let resp = app
        .browser
        .post_form_with_headers(
            "/abmelden",
            &[("csrf", &csrf)],
            &[("Sec-Fetch-Site", "cross-site")],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 403);
    assert_still_signed_in(&app, &user).await;
}

#[tokio::test]
async fn a_post_from_the_apps_own_origin_with_a_valid_token_is_accepted() {
    // Arrange
    let (app, _user) = signed_in_app().await;
    let csrf = app.browser.csrf_from("/").await;
    let origin = app.address.clone();

    // Act
    let resp = app
        .browser
        .post_form_with_headers(
            "/abmelden",
            &[("csrf", &csrf)],
            &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden");
}

#[tokio::test]
async fn the_csrf_refusal_page_is_german_and_shows_the_request_id() {
    // Arrange
    let (app, _user) = signed_in_app().await;

    // Act
    let resp = app.post_form("/abmelden", &[]).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 403);
    let body = resp.text().await.unwrap();
    assert_eq!(attr_of(&body, "html", "lang").as_deref(), Some("de"));
    assert_eq!(
        text_of(&body, "main h1").as_deref(),
        Some("Sicherheitsprüfung fehlgeschlagen")
    );
    let request_id = text_of(&body, ".request-id code").unwrap_or_default();
    assert!(!request_id.is_empty(), "no request id on the page");
    // The refusal hands out no token that a forged form could reuse.
    assert_eq!(count_of(&body, "input[name=csrf]"), 0);
}
