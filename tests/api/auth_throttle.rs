//! The throttles of security.md, driven by the manual clock (never by sleeping): a growing
//! delay after 5 wrong passwords per login, a 15-minute lock at 20, 30 failures in 10
//! minutes per client address, and a 5-minute lock of a second factor after 5 wrong codes.
//! Each throttle leaves an audit record.

use crate::helpers::{TestApp, TestUser, location, retry_after, spawn_app, text_of};
use klassenbuch::auth::roles::Role;
use klassenbuch::auth::throttle::{
    ACCOUNT_DELAY_AFTER, ACCOUNT_LOCK_AT, ACCOUNT_LOCK_MINUTES, ADDRESS_LIMIT,
    ADDRESS_WINDOW_MINUTES, account_delay,
};
use klassenbuch::auth::totp::{LOCK_AT, LOCK_MINUTES};

const WRONG_PASSWORD: &str = "Falsches-Passwort-123456";

/// Status of a sign-in attempt from a fresh client, and its `Retry-After`.
async fn attempt(app: &TestApp, login: &str, password: &str) -> (u16, Option<i64>) {
    let resp = app.new_browser().login(login, password).await;
    (resp.status().as_u16(), retry_after(&resp))
}

/// `drosselung` audit records whose detail starts with `kind` (`konto` or `adresse`).
fn throttle_records(app: &TestApp, kind: &str) -> usize {
    app.audit_with("drosselung", Some("verweigert"))
        .iter()
        .filter(|r| r.detail.starts_with(kind))
        .count()
}

async fn app_with_teacher() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    (app, user)
}

#[tokio::test]
async fn after_five_wrong_passwords_the_next_attempt_within_the_delay_gets_429() {
    // Arrange
    let (app, user) = app_with_teacher().await;
    for n in 1..=ACCOUNT_DELAY_AFTER {
        assert_eq!(
            attempt(&app, &user.login, WRONG_PASSWORD).await.0,
            401,
            "failure {n}"
        );
    }

    // Act: even the right password waits.
    let (status, retry) = attempt(&app, &user.login, &user.password).await;

    // Assert
    assert_eq!(status, 429);
    let retry = retry.expect("Retry-After");
    assert!(
        (1..=account_delay(ACCOUNT_DELAY_AFTER).num_seconds()).contains(&retry),
        "Retry-After {retry}"
    );
    assert_eq!(throttle_records(&app, "konto"), 1);
}

#[tokio::test]
async fn after_the_delay_has_passed_the_right_password_works_again() {
    // Arrange
    let (app, user) = app_with_teacher().await;
    for _ in 1..=ACCOUNT_DELAY_AFTER {
        attempt(&app, &user.login, WRONG_PASSWORD).await;
    }
    assert_eq!(attempt(&app, &user.login, &user.password).await.0, 429);

    // Act
    app.advance_seconds(account_delay(ACCOUNT_DELAY_AFTER).num_seconds() + 1);
    let resp = app.login(&user.login, &user.password).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/");
    assert_eq!(app.get("/").await.status().as_u16(), 200);
}

#[tokio::test]
async fn at_twenty_failures_the_login_is_locked_for_fifteen_minutes_even_with_the_right_password() {
    // Arrange: 20 wrong passwords, each after the previous delay has passed.
    let (app, user) = app_with_teacher().await;
    for n in 1..=ACCOUNT_LOCK_AT {
        assert_eq!(
            attempt(&app, &user.login, WRONG_PASSWORD).await.0,
            401,
            "failure {n}"
        );
        if n < ACCOUNT_LOCK_AT {
            app.advance_seconds(account_delay(n).num_seconds() + 1);
        }
    }
    let locked_at = app.now();

    // Act: past the growing delay (at most 5 minutes), well inside the lock.
    app.advance_seconds(account_delay(ACCOUNT_LOCK_AT).num_seconds() + 1);
    let during_lock = attempt(&app, &user.login, &user.password).await;
    app.advance_seconds(ACCOUNT_LOCK_MINUTES * 60 - (app.now() - locked_at).num_seconds() - 5);
    let just_before_the_end = attempt(&app, &user.login, &user.password).await;
    app.advance_seconds(10);
    let after_the_lock = attempt(&app, &user.login, &user.password).await;

    // Assert
    assert_eq!(during_lock.0, 429, "not locked after 20 failures");
    let retry = during_lock.1.expect("Retry-After");
    assert!(
        retry > account_delay(ACCOUNT_LOCK_AT).num_seconds() && retry <= ACCOUNT_LOCK_MINUTES * 60,
        "Retry-After {retry} is not the lock's"
    );
    assert_eq!(just_before_the_end.0, 429, "the lock ended early");
    assert_eq!(after_the_lock.0, 303, "still locked after 15 minutes");
    assert!(throttle_records(&app, "konto") >= 2);
}

#[tokio::test]
async fn thirty_failures_from_one_address_in_ten_minutes_give_429_for_any_login() {
    // Arrange: different logins, so that no login's own throttle starts first.
    let (app, user) = app_with_teacher().await;
    for n in 0..ADDRESS_LIMIT {
        let login = format!("unbekannt.{n}");
        assert_eq!(
            attempt(&app, &login, WRONG_PASSWORD).await.0,
            401,
            "failure {n}"
        );
    }

    // Act
    let known = attempt(&app, &user.login, &user.password).await;
    let unknown = attempt(&app, "noch.jemand", WRONG_PASSWORD).await;

    // Assert
    for (status, retry) in [known, unknown] {
        assert_eq!(status, 429);
        let retry = retry.expect("Retry-After");
        assert!(
            (1..=ADDRESS_WINDOW_MINUTES * 60).contains(&retry),
            "Retry-After {retry}"
        );
    }
    assert!(throttle_records(&app, "adresse") >= 2);
    assert_eq!(throttle_records(&app, "konto"), 0);
}

#[tokio::test]
async fn ten_minutes_after_the_address_throttle_signing_in_works_again() {
    // Arrange
    let (app, user) = app_with_teacher().await;
    for n in 0..ADDRESS_LIMIT {
        attempt(&app, &format!("unbekannt.{n}"), WRONG_PASSWORD).await;
    }
    assert_eq!(attempt(&app, &user.login, &user.password).await.0, 429);

    // Act
    app.advance_seconds(ADDRESS_WINDOW_MINUTES * 60 + 1);
    let resp = app.login(&user.login, &user.password).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/");
}

/// Signs the default client in with the password up to the second-factor step.
async fn at_the_factor_step(app: &TestApp, user: &TestUser) {
    let resp = app
        .browser
        .login_to(&user.login, &user.password, "/", true)
        .await;
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden/faktor?next=%2F");
}

#[tokio::test]
async fn after_five_wrong_codes_even_the_right_code_gets_429_with_a_german_lock_message() {
    // Arrange
    let (app, user) = app_with_teacher().await;
    at_the_factor_step(&app, &user).await;
    for n in 1..=LOCK_AT {
        let resp = app
            .browser
            .submit_login_code(&app.wrong_totp(&user), "/")
            .await;
        assert_eq!(resp.status().as_u16(), 401, "wrong code {n}");
    }

    // Act
    let resp = app
        .browser
        .submit_login_code(&app.totp_now(&user), "/")
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 429);
    let retry = retry_after(&resp).expect("Retry-After");
    assert!(
        (1..=LOCK_MINUTES * 60).contains(&retry),
        "Retry-After {retry}"
    );
    let body = resp.text().await.unwrap();
    let message = text_of(&body, "#faktorfehler").expect("a lock message");
    assert!(message.starts_with("Zu viele falsche Codes"), "{message}");
    assert!(message.contains("gesperrt"), "{message}");
    assert_eq!(
        app.get("/").await.status().as_u16(),
        303,
        "signed in while locked"
    );
    assert_eq!(app.audit_with("anmeldung", Some("gesperrt")).len(), 1);
    assert_eq!(
        app.audit_with("anmeldung", Some("fehlgeschlagen"))
            .iter()
            .filter(|r| r.detail == "faktor=code")
            .count(),
        usize::try_from(LOCK_AT).unwrap()
    );
}

#[tokio::test]
async fn five_minutes_after_the_factor_lock_the_right_code_works() {
    // Arrange
    let (app, user) = app_with_teacher().await;
    at_the_factor_step(&app, &user).await;
    for _ in 1..=LOCK_AT {
        app.browser
            .submit_login_code(&app.wrong_totp(&user), "/")
            .await;
    }
    let locked = app
        .browser
        .submit_login_code(&app.totp_now(&user), "/")
        .await;
    assert_eq!(locked.status().as_u16(), 429);

    // Act
    app.advance_seconds(LOCK_MINUTES * 60 + 1);
    let resp = app
        .browser
        .submit_login_code(&app.totp_now(&user), "/")
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/");
    assert_eq!(app.get("/").await.status().as_u16(), 200);
}
