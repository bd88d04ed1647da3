//! Password rules at the first sign-in (setup link) and on `/konto/passwort`: at least 15
//! characters, no common or predictable passwords, no words of the school or the product,
//! each refusal with a German reason; changing the password needs the current one and can
//! end the other sessions.

use crate::helpers::{TestApp, TestUser, location, spawn_app, text_of};
use klassenbuch::auth::roles::Role;

const GOOD_SENTENCE: &str = "Der Kranich fliegt über zwölf grüne Deiche";
const SCHOOL: &str = "Gymnasium Nordseeküste";

/// The start of every refusal of a weak (but long enough) password.
const NOT_STRONG: &str = "Dieses Passwort ist nicht sicher genug.";

/// Redeems a fresh setup link of a new school with the default client; the client is then
/// on the password step of the first sign-in.
async fn at_the_first_password_step(app: &TestApp) {
    let path = app.school_with_setup_link(SCHOOL, "m.petersen", "Dr. Maren Petersen");
    let resp = app.redeem(&path).await;
    assert_eq!(resp.status().as_u16(), 303, "redeem the setup link");
    assert_eq!(location(&resp), "/einrichtung");
}

/// Submits the password step; returns the status and, on a refusal, the error message.
async fn choose_first_password(app: &TestApp, password: &str) -> (u16, Option<String>) {
    let csrf = app.browser.csrf_from("/einrichtung").await;
    let resp = app
        .post_form(
            "/einrichtung/passwort",
            &[
                ("csrf", &csrf),
                ("password", password),
                ("password2", password),
            ],
        )
        .await;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    (status, text_of(&body, "main p.flash.err"))
}

/// Submits the password change form of `/konto`; returns the flash message shown next.
async fn change_password(
    app: &TestApp,
    current: &str,
    new: &str,
    end_others: bool,
) -> (Option<String>, Option<String>) {
    let csrf = app.browser.csrf_from("/konto").await;
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("current", current),
        ("new", new),
        ("new2", new),
    ];
    if end_others {
        form.push(("andere_beenden", "ja"));
    }
    let resp = app.post_form("/konto/passwort", &form).await;
    assert_eq!(resp.status().as_u16(), 303, "password change answers");
    assert_eq!(location(&resp), "/konto");
    let page = app.get("/konto").await.text().await.unwrap();
    (
        text_of(&page, "main p.flash.err"),
        text_of(&page, "main p.flash.ok"),
    )
}

async fn signed_in_teacher() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    app.sign_in(&user).await;
    (app, user)
}

/// Status of a fresh client's sign-in attempt.
async fn sign_in_status(app: &TestApp, login: &str, password: &str) -> u16 {
    app.new_browser()
        .login(login, password)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_first_password_shorter_than_fifteen_characters_is_refused_naming_the_length() {
    // Arrange
    let app = spawn_app().await;
    at_the_first_password_step(&app).await;

    // Act
    let (status, error) = choose_first_password(&app, "Kurz-und-gut!").await;

    // Assert
    assert_eq!(status, 200);
    let error = error.expect("a German reason");
    assert_eq!(
        error,
        "Das Passwort ist zu kurz: mindestens 15 Zeichen, es hat 13."
    );
}

#[tokio::test]
async fn a_common_first_password_is_refused_with_a_reason() {
    // Arrange
    let app = spawn_app().await;
    at_the_first_password_step(&app).await;

    // Act
    let (status, error) = choose_first_password(&app, "passwortpasswort1").await;

    // Assert
    assert_eq!(status, 200);
    let error = error.expect("a German reason");
    let reason = error.strip_prefix(NOT_STRONG).expect(&error).trim();
    assert!(reason.len() > 20, "no reason given: {error}");
}

#[tokio::test]
async fn a_repeated_character_first_password_is_refused_as_predictable() {
    // Arrange
    let app = spawn_app().await;
    at_the_first_password_step(&app).await;

    // Act
    let (status, error) = choose_first_password(&app, "aaaaaaaaaaaaaaaaaa").await;

    // Assert
    assert_eq!(status, 200);
    let error = error.expect("a German reason");
    assert!(error.starts_with(NOT_STRONG), "{error}");
    assert!(error.contains("zu leicht zu erraten"), "{error}");
}

#[tokio::test]
async fn a_first_password_made_of_the_school_name_and_the_product_is_refused() {
    // Arrange
    let app = spawn_app().await;
    at_the_first_password_step(&app).await;

    // Act
    let (status, error) = choose_first_password(&app, "Gymnasium Nordseeküste Klassenbuch").await;

    // Assert
    assert_eq!(status, 200);
    let error = error.expect("a German reason");
    assert!(error.starts_with(NOT_STRONG), "{error}");
    assert!(error.contains("Namen der Schule"), "{error}");
    assert!(error.contains("Klassenbuch"), "{error}");
}

#[tokio::test]
async fn a_first_password_that_is_a_sentence_is_accepted() {
    // Arrange
    let app = spawn_app().await;
    at_the_first_password_step(&app).await;

    // Act
    let (status, error) = choose_first_password(&app, GOOD_SENTENCE).await;

    // Assert
    assert_eq!(status, 303, "refused: {error:?}");
    let next = app.get("/einrichtung").await.text().await.unwrap();
    assert_eq!(
        text_of(&next, "ol.progress li[aria-current=step]").as_deref(),
        Some("Zweiter Faktor")
    );
}

#[tokio::test]
async fn a_new_password_shorter_than_fifteen_characters_is_refused_naming_the_length() {
    // Arrange
    let (app, user) = signed_in_teacher().await;

    // Act
    let (error, ok) = change_password(&app, &user.password, "Nur-14-Zeichen", true).await;

    // Assert
    assert_eq!(ok, None);
    assert_eq!(
        error.as_deref(),
        Some("Das Passwort ist zu kurz: mindestens 15 Zeichen, es hat 14.")
    );
    assert_eq!(sign_in_status(&app, &user.login, &user.password).await, 303);
}

#[tokio::test]
async fn a_common_or_predictable_new_password_is_refused_with_a_reason() {
    // Arrange
    let (app, user) = signed_in_teacher().await;

    for weak in ["passwortpasswort1", "aaaaaaaaaaaaaaaaaa"] {
        // Act
        let (error, ok) = change_password(&app, &user.password, weak, true).await;

        // Assert
        assert_eq!(ok, None, "{weak} accepted");
        let error = error.expect("a German reason");
        let reason = error.strip_prefix(NOT_STRONG).expect(&error).trim();
        assert!(reason.len() > 20, "no reason for {weak}: {error}");
        assert_eq!(sign_in_status(&app, &user.login, weak).await, 401);
    }
}

#[tokio::test]
async fn a_new_password_made_of_the_school_name_is_refused_naming_the_school() {
    // Arrange: `create_user` puts the user into "Testschule am Deich".
    let (app, user) = signed_in_teacher().await;

    // Act
    let (error, ok) = change_password(
        &app,
        &user.password,
        "Testschule am Deich Klassenbuch",
        true,
    )
    .await;

    // Assert
    assert_eq!(ok, None);
    let error = error.expect("a German reason");
    assert!(error.starts_with(NOT_STRONG), "{error}");
    assert!(error.contains("Namen der Schule"), "{error}");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    // Arrange
    let (app, user) = signed_in_teacher().await;

    // Act
    let (error, ok) =
        change_password(&app, "Nicht-das-aktuelle-Passwort", GOOD_SENTENCE, true).await;

    // Assert
    assert_eq!(ok, None);
    assert_eq!(error.as_deref(), Some("Das aktuelle Passwort ist falsch."));
    assert_eq!(sign_in_status(&app, &user.login, GOOD_SENTENCE).await, 401);
    assert_eq!(sign_in_status(&app, &user.login, &user.password).await, 303);
}

#[tokio::test]
async fn a_good_new_password_replaces_the_old_one() {
    // Arrange
    let (app, user) = signed_in_teacher().await;

    // Act
    let (error, ok) = change_password(&app, &user.password, GOOD_SENTENCE, false).await;

    // Assert
    assert_eq!(error, None);
    assert_eq!(ok.as_deref(), Some("Ihr Passwort wurde geändert."));
    assert_eq!(sign_in_status(&app, &user.login, &user.password).await, 401);
    assert_eq!(sign_in_status(&app, &user.login, GOOD_SENTENCE).await, 303);
}

#[tokio::test]
async fn changing_the_password_with_andere_beenden_ends_the_other_sessions_only() {
    // Arrange
    let (app, user) = signed_in_teacher().await;
    let other = app.new_browser();
    other.sign_in_as(&user).await;
    let other_cookie = other.session_cookie().expect("the other session's cookie");
    let own_cookie = app.browser.session_cookie().expect("own cookie");

    // Act
    let (error, ok) = change_password(&app, &user.password, GOOD_SENTENCE, true).await;

    // Assert
    assert_eq!(error, None);
    assert!(ok.is_some());
    let refused = app.get_with_cookie("/", &other_cookie).await;
    assert_eq!(refused.status().as_u16(), 303, "the other session survived");
    assert_eq!(location(&refused), "/anmelden?next=%2F");
    assert_eq!(
        app.get("/").await.status().as_u16(),
        200,
        "own session ended"
    );
    assert_eq!(app.browser.session_cookie(), Some(own_cookie));
}

#[tokio::test]
async fn changing_the_password_without_andere_beenden_keeps_the_other_sessions() {
    // Arrange
    let (app, user) = signed_in_teacher().await;
    let other = app.new_browser();
    other.sign_in_as(&user).await;

    // Act
    let (error, _) = change_password(&app, &user.password, GOOD_SENTENCE, false).await;

    // Assert
    assert_eq!(error, None);
    assert_eq!(other.get("/").await.status().as_u16(), 200);
    assert_eq!(app.get("/").await.status().as_u16(), 200);
}
