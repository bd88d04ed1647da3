//! The answer to a failed sign-in reveals nothing about whether the account exists.

use crate::helpers::{spawn_app, text_of};
use klassenbuch::auth::roles::Role;

/// Status and error message of a failed sign-in.
async fn failed_sign_in(
    app: &crate::helpers::TestApp,
    login: &str,
    password: &str,
) -> (u16, String) {
    let resp = app.new_browser().login(login, password).await;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    let message = text_of(&body, "#anmeldefehler").expect("an error message");
    (status, message)
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);

    // Act
    let wrong_password = failed_sign_in(&app, &user.login, "Falsches-Passwort-123456").await;
    let unknown_user = failed_sign_in(&app, "niemand.hier", &user.password).await;

    // Assert
    assert_eq!(wrong_password.0, 401);
    assert_eq!(wrong_password, unknown_user);
    assert_eq!(wrong_password.1, "Anmeldename oder Passwort ist falsch.");
}
