//! Security headers on every kind of response, and the attributes of the session cookie.

use crate::helpers::{SESSION_COOKIE, TestApp, header, set_cookies, spawn_app};
use actix_web::cookie::{Cookie, SameSite};
use klassenbuch::auth::roles::Role;

/// Asserts the headers every response must carry.
fn assert_security_headers(resp: &reqwest::Response, what: &str) {
    let csp = header(resp, "content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(
        !csp.contains("unsafe-inline"),
        "{what}: CSP allows inline code: {csp}"
    );
    assert!(
        csp.split(';').any(|d| d.trim() == "frame-ancestors 'none'"),
        "{what}: CSP lacks frame-ancestors 'none': {csp}"
    );
    assert_eq!(
        header(resp, "x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(resp, "referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(
        header(resp, "server"),
        None,
        "{what}: reveals a Server header"
    );
}

async fn signed_in(app: &TestApp) {
    let user = app.create_user(Role::Lehrkraft);
    app.sign_in(&user).await;
}

#[tokio::test]
async fn a_public_page_carries_the_security_headers() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let resp = app.get("/anmelden").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    assert_security_headers(&resp, "GET /anmelden");
}

#[tokio::test]
async fn a_signed_in_page_carries_the_security_headers_and_is_never_cached() {
    // Arrange
    let app = spawn_app().await;
    signed_in(&app).await;

    // Act
    let resp = app.get("/").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    assert_security_headers(&resp, "GET / signed in");
    assert_eq!(header(&resp, "cache-control").as_deref(), Some("no-store"));
}

#[tokio::test]
async fn a_not_found_page_carries_the_security_headers() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let resp = app.get("/gibt-es-nicht").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 404);
    assert_security_headers(&resp, "404 page");
}

#[tokio::test]
async fn a_csrf_refusal_carries_the_security_headers() {
    // Arrange
    let app = spawn_app().await;
    signed_in(&app).await;

    // Act
    let resp = app.post_form("/abmelden", &[]).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 403);
    assert_security_headers(&resp, "403 CSRF refusal");
}

/// Asserts the attributes of a `Set-Cookie` header that sets the session cookie.
fn assert_session_cookie_attributes(raw: &str) {
    let cookie = Cookie::parse(raw.to_owned()).expect("a valid Set-Cookie header");
    assert_eq!(cookie.name(), SESSION_COOKIE, "{raw}");
    assert!(!cookie.value().is_empty(), "{raw}");
    assert_eq!(cookie.secure(), Some(true), "not Secure: {raw}");
    assert_eq!(cookie.http_only(), Some(true), "not HttpOnly: {raw}");
    assert_eq!(cookie.same_site(), Some(SameSite::Strict), "{raw}");
    assert_eq!(cookie.path(), Some("/"), "{raw}");
    assert_eq!(
        cookie.domain(),
        None,
        "a __Host- cookie has no Domain: {raw}"
    );
    assert_eq!(cookie.max_age(), None, "has Max-Age: {raw}");
    assert_eq!(cookie.expires(), None, "has Expires: {raw}");
}

#[tokio::test]
async fn the_session_cookie_is_host_only_secure_http_only_strict_and_ends_with_the_browser() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);

    // Act
    let form = app.get("/anmelden").await;
    let anonymous = set_cookies(&form);
    let csrf = crate::helpers::csrf_of(&form.text().await.unwrap());
    let signed_in = app
        .post_form(
            "/anmelden",
            &[
                ("csrf", &csrf),
                ("login", &user.login),
                ("password", &user.password),
                ("next", "/"),
            ],
        )
        .await;
    let full = set_cookies(&signed_in);

    // Assert
    assert_eq!(anonymous.len(), 1, "{anonymous:?}");
    assert_session_cookie_attributes(&anonymous[0]);
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(full.len(), 1, "{full:?}");
    assert_session_cookie_attributes(&full[0]);
}
