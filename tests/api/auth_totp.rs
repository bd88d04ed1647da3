//! Sign-in with a second factor (policy `always`): password, then a TOTP code that is
//! accepted once (replays refused, also from another session), ±1 time step, and recovery
//! codes that work once.

use crate::helpers::{TestApp, TestClient, TestUser, location, spawn_app, text_of};
use klassenbuch::auth::roles::Role;

const REPLAYED: &str =
    "Dieser Code wurde bereits verwendet. Bitte warten Sie auf den nächsten Code.";
const WRONG: &str = "Der Code ist falsch.";

/// An app whose school has the policy `always`, with a teacher of that school.
async fn app_with_policy_always() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    app.set_policy(user.school_id, "always");
    (app, user)
}

/// Signs `client` in with the password and checks that the second factor is asked for.
async fn password_step(client: &TestClient, user: &TestUser, next: &str) {
    let resp = client
        .login_to(&user.login, &user.password, next, false)
        .await;
    assert_eq!(resp.status().as_u16(), 303, "password of {}", user.login);
    assert_eq!(
        location(&resp),
        format!("/anmelden/faktor?next={}", urlencoding::encode(next))
    );
}

/// Submits a code on the factor step; returns the status and the error message, if any.
async fn submit(client: &TestClient, code: &str) -> (u16, Option<String>) {
    let resp = client.submit_login_code(code, "/").await;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    (status, text_of(&body, "#faktorfehler"))
}

async fn sign_out(client: &TestClient) {
    let csrf = client.csrf_from("/").await;
    let resp = client.post_form("/abmelden", &[("csrf", &csrf)]).await;
    assert_eq!(resp.status().as_u16(), 303);
}

#[tokio::test]
async fn with_policy_always_the_password_alone_does_not_open_the_register() {
    // Arrange
    let (app, user) = app_with_policy_always().await;

    // Act
    password_step(&app.browser, &user, "/konto").await;
    let home = app.get("/").await;

    // Assert
    assert_eq!(home.status().as_u16(), 303);
    assert_eq!(location(&home), "/anmelden?next=%2F");
}

#[tokio::test]
async fn with_policy_always_password_then_code_signs_in_and_goes_to_next() {
    // Arrange
    let (app, user) = app_with_policy_always().await;
    password_step(&app.browser, &user, "/konto").await;

    // Act
    let resp = app
        .browser
        .submit_login_code(&app.totp_now(&user), "/konto")
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/konto");
    let home = app.get("/").await;
    assert_eq!(home.status().as_u16(), 200);
    let body = home.text().await.unwrap();
    assert_eq!(
        text_of(&body, "header .who .user").as_deref(),
        Some(user.display_name.as_str())
    );
    assert_eq!(text_of(&body, "header .who .badge").as_deref(), Some("2FA"));
}

#[tokio::test]
async fn the_policy_set_on_the_settings_page_asks_every_sign_in_for_a_code() {
    // Arrange: the headteacher, elevated, sets the policy.
    let app = spawn_app().await;
    let school = app.create_school("Gymnasium an der Förde");
    let head = app.create_user_in(school, Role::Schulleitung);
    let teacher = app.create_user_in(school, Role::Lehrkraft);
    app.browser
        .sign_in_elevated(&head, &app.totp_now(&head))
        .await;
    let csrf = app.browser.csrf_from("/verwaltung/einstellungen").await;

    // Act
    let saved = app
        .post_form(
            "/verwaltung/einstellungen",
            &[("csrf", &csrf), ("second_factor", "always")],
        )
        .await;
    let teacher_client = app.new_browser();
    let resp = teacher_client
        .login_to(&teacher.login, &teacher.password, "/", false)
        .await;

    // Assert
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(location(&saved), "/verwaltung/einstellungen");
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden/faktor?next=%2F");
    let (status, _) = submit(&teacher_client, &app.totp_now(&teacher)).await;
    assert_eq!(status, 303);
    assert_eq!(teacher_client.get("/").await.status().as_u16(), 200);
    let changed = app.audit_with("einstellung_geaendert", Some("erfolg"));
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].detail, "lesson_mode -> always");
}

#[tokio::test]
async fn a_code_used_once_is_refused_in_the_same_window_from_another_session() {
    // Arrange: two clients reach the factor step; the first uses the code.
    let (app, user) = app_with_policy_always().await;
    let second = app.new_browser();
    password_step(&app.browser, &user, "/").await;
    password_step(&second, &user, "/").await;
    let code = app.totp_now(&user);
    assert_eq!(submit(&app.browser, &code).await.0, 303);

    // Act
    let replay = submit(&second, &code).await;

    // Assert
    assert_eq!(replay, (401, Some(REPLAYED.to_owned())));
    assert_eq!(second.get("/").await.status().as_u16(), 303);
    assert_eq!(app.audit_with("anmeldung", Some("wiederholt")).len(), 1);
}

#[tokio::test]
async fn a_code_used_once_is_refused_at_the_next_sign_in_in_the_same_window() {
    // Arrange
    let (app, user) = app_with_policy_always().await;
    password_step(&app.browser, &user, "/").await;
    let code = app.totp_now(&user);
    assert_eq!(submit(&app.browser, &code).await.0, 303);
    sign_out(&app.browser).await;
    password_step(&app.browser, &user, "/").await;

    // Act
    let replay = submit(&app.browser, &code).await;

    // Assert
    assert_eq!(replay, (401, Some(REPLAYED.to_owned())));
    assert_eq!(app.get("/").await.status().as_u16(), 303);
}

#[tokio::test]
async fn the_code_of_the_previous_time_step_is_accepted_once() {
    // Arrange: a fresh user, so the current step has not been used.
    let (app, user) = app_with_policy_always().await;
    let previous = app.totp_steps_ago(&user, 1);
    password_step(&app.browser, &user, "/").await;

    // Act
    let first = submit(&app.browser, &previous).await;
    sign_out(&app.browser).await;
    password_step(&app.browser, &user, "/").await;
    let second = submit(&app.browser, &previous).await;

    // Assert
    assert_eq!(first.0, 303, "t-1 refused: {:?}", first.1);
    assert_eq!(second, (401, Some(REPLAYED.to_owned())));
}

#[tokio::test]
async fn the_code_of_two_time_steps_ago_is_refused() {
    // Arrange: a moment at which the code of t-2 differs from every accepted code (six
    // digits collide by chance once in a few hundred thousand).
    let (app, user) = app_with_policy_always().await;
    let too_old = loop {
        let too_old = app.totp_steps_ago(&user, 2);
        let accepted: Vec<String> = (-1..=1).map(|k| app.totp_steps_ago(&user, k)).collect();
        if !accepted.contains(&too_old) {
            break too_old;
        }
        app.advance_seconds(30);
    };
    password_step(&app.browser, &user, "/").await;

    // Act
    let answer = submit(&app.browser, &too_old).await;

    // Assert
    assert_eq!(answer, (401, Some(WRONG.to_owned())));
    assert_eq!(app.get("/").await.status().as_u16(), 303);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_is_refused_the_second_time() {
    // Arrange
    let (app, user) = app_with_policy_always().await;
    let codes = app.give_recovery_codes(&user);
    password_step(&app.browser, &user, "/").await;

    // Act
    let first = submit(&app.browser, &codes[0]).await;
    sign_out(&app.browser).await;
    password_step(&app.browser, &user, "/").await;
    let second = submit(&app.browser, &codes[0]).await;

    // Assert
    assert_eq!(first.0, 303, "recovery code refused: {:?}", first.1);
    assert_eq!(second, (401, Some(WRONG.to_owned())));
    assert_eq!(app.get("/").await.status().as_u16(), 303);
    let used = app.audit_with("anmeldung", Some("erfolg"));
    assert!(
        used.iter()
            .any(|r| r.detail == "faktor=wiederherstellungscode"),
        "no audit record of the recovery code"
    );
}
