//! Server-side sessions: idle and absolute expiry (by the manual clock), ended sessions,
//! sign-out, and a new session id at sign-in.

use crate::helpers::{TestApp, TestUser, header, location, spawn_app};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::crypto::sha256_hex;
use klassenbuch::db::schema::sessions;

async fn signed_in_app() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    app.sign_in(&user).await;
    (app, user)
}

/// The status of `GET /` for the default client.
async fn home_status(app: &TestApp) -> u16 {
    app.get("/").await.status().as_u16()
}

#[tokio::test]
async fn a_session_idle_for_more_than_thirty_minutes_is_refused() {
    // Arrange
    let (app, _user) = signed_in_app().await;
    app.advance_minutes(31);

    // Act
    let resp = app.get("/").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden?next=%2F");
}

#[tokio::test]
async fn staying_active_keeps_the_session_alive() {
    // Arrange
    let (app, _user) = signed_in_app().await;

    // Act
    app.advance_minutes(20);
    let first = home_status(&app).await;
    app.advance_minutes(20);
    let second = home_status(&app).await;

    // Assert
    assert_eq!(first, 200);
    assert_eq!(second, 200, "signed out 40 minutes in despite activity");
}

#[tokio::test]
async fn a_session_ends_twelve_hours_after_sign_in_however_active() {
    // Arrange: active every 20 minutes for 11 h 59 min.
    let (app, _user) = signed_in_app().await;
    for step in 1..=35 {
        app.advance_minutes(20);
        assert_eq!(
            home_status(&app).await,
            200,
            "refused after {step} × 20 min"
        );
    }
    app.advance_minutes(19);
    assert_eq!(home_status(&app).await, 200, "refused before 12 h");

    // Act: two minutes later (idle only 2 min), 12 h 01 min after sign-in.
    app.advance_minutes(2);
    let resp = app.get("/").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden?next=%2F");
}

#[tokio::test]
async fn the_cookie_of_a_session_deleted_on_the_server_is_refused() {
    // Arrange
    let (app, user) = signed_in_app().await;
    let cookie = app.browser.session_cookie().expect("session cookie");
    let deleted = diesel::delete(sessions::table.find(sha256_hex(cookie.as_bytes())))
        .execute(&mut *app.conn())
        .unwrap();
    assert_eq!(deleted, 1, "the session row of {}", user.login);

    // Act
    let resp = app.get_with_cookie("/", &cookie).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden?next=%2F");
}

#[tokio::test]
async fn the_cookie_of_a_signed_out_session_is_refused() {
    // Arrange
    let (app, _user) = signed_in_app().await;
    let cookie = app.browser.session_cookie().expect("session cookie");
    let csrf = app.browser.csrf_from("/").await;
    let out = app.post_form("/abmelden", &[("csrf", &csrf)]).await;
    assert_eq!(out.status().as_u16(), 303);

    // Act: replay the old cookie from another client.
    let resp = app.get_with_cookie("/", &cookie).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden?next=%2F");
}

#[tokio::test]
async fn signing_out_tells_the_browser_to_clear_site_data() {
    // Arrange
    let (app, _user) = signed_in_app().await;
    let csrf = app.browser.csrf_from("/").await;

    // Act
    let resp = app.post_form("/abmelden", &[("csrf", &csrf)]).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden");
    let clear = header(&resp, "clear-site-data").expect("Clear-Site-Data header");
    for directive in ["\"cache\"", "\"cookies\"", "\"storage\""] {
        assert!(
            clear.split(',').any(|d| d.trim() == directive),
            "Clear-Site-Data lacks {directive}: {clear}"
        );
    }
    assert_eq!(app.browser.session_cookie(), None, "cookie not removed");
    assert_eq!(home_status(&app).await, 303);
}

#[tokio::test]
async fn signing_in_gives_a_new_session_id() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    assert_eq!(app.get("/anmelden").await.status().as_u16(), 200);
    let before = app
        .browser
        .session_cookie()
        .expect("anonymous session cookie");

    // Act
    app.sign_in(&user).await;
    let after = app
        .browser
        .session_cookie()
        .expect("signed-in session cookie");

    // Assert
    assert_ne!(before, after);
    let old_row = sessions::table
        .find(sha256_hex(before.as_bytes()))
        .count()
        .get_result::<i64>(&mut *app.conn())
        .unwrap();
    assert_eq!(old_row, 0, "the anonymous session still exists");
    assert_eq!(
        app.get_with_cookie("/", &before).await.status().as_u16(),
        303
    );
}

#[tokio::test]
async fn loading_the_stylesheet_and_scripts_keeps_the_session_cookie() {
    // Arrange: a browser loads a page's assets with the session cookie.
    let (app, _user) = signed_in_app().await;

    // Act
    let css = app.get("/static/app.css").await;
    let js = app.get("/static/webauthn.js").await;

    // Assert: no asset response touches the cookie, and the session still works.
    assert_eq!(css.status().as_u16(), 200);
    assert!(css.headers().get("set-cookie").is_none());
    assert!(js.headers().get("set-cookie").is_none());
    assert_eq!(home_status(&app).await, 200);
}
