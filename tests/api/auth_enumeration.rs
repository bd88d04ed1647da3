//! A failed sign-in reveals nothing about the account: unknown, deactivated and known
//! logins with a wrong password get the same status, message and throttling.

use crate::helpers::{TestApp, retry_after, spawn_app, text_of};
use klassenbuch::auth::roles::Role;
use klassenbuch::auth::throttle::ACCOUNT_DELAY_AFTER;

/// Status and error message of a sign-in attempt from a fresh client.
async fn attempt(app: &TestApp, login: &str, password: &str) -> (u16, Option<String>) {
    let resp = app.new_browser().login(login, password).await;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    (status, text_of(&body, "#anmeldefehler"))
}

#[tokio::test]
async fn unknown_deactivated_and_wrong_password_sign_ins_get_the_same_answer() {
    // Arrange
    let app = spawn_app().await;
    let known = app.create_user(Role::Lehrkraft);
    let deactivated = app.create_user(Role::Lehrkraft);
    app.deactivate_in_db(&deactivated);

    // Act
    let wrong_password = attempt(&app, &known.login, "Falsches-Passwort-123456").await;
    let unknown_user = attempt(&app, "niemand.hier", "Falsches-Passwort-123456").await;
    let deactivated_user = attempt(&app, &deactivated.login, &deactivated.password).await;

    // Assert
    let expected = (
        401,
        Some("Anmeldename oder Passwort ist falsch.".to_owned()),
    );
    assert_eq!(wrong_password, expected);
    assert_eq!(unknown_user, expected);
    assert_eq!(deactivated_user, expected);
}

#[tokio::test]
async fn an_unknown_login_is_throttled_exactly_like_a_known_one() {
    // Arrange
    let app = spawn_app().await;
    let known = app.create_user(Role::Lehrkraft);
    let unknown = "niemand.hier";
    let mut answers = Vec::new();
    for login in [known.login.as_str(), unknown] {
        for _ in 0..ACCOUNT_DELAY_AFTER {
            let (status, _) = attempt(&app, login, "Falsches-Passwort-123456").await;
            assert_eq!(status, 401, "failure of {login}");
        }

        // Act: the next attempt at the same instant (for the known login even with the
        // right password).
        let resp = app.new_browser().login(login, &known.password).await;
        answers.push((resp.status().as_u16(), retry_after(&resp)));
    }

    // Assert
    assert_eq!(answers[0].0, 429, "the known login is not throttled");
    assert!(answers[0].1.is_some_and(|s| s > 0), "no Retry-After");
    assert_eq!(answers[0], answers[1], "known and unknown logins differ");
}
