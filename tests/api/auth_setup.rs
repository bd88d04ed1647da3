//! The first sign-in from a one-time setup link, end to end: password, TOTP (from the
//! manual key), recovery codes, acknowledgements, then the register. Nobody reaches the
//! register early; the link works once and expires.

use crate::helpers::{
    TestApp, TestClient, count_of, csrf_of, location, spawn_app, text_of, totp_code,
};
use klassenbuch::auth::recovery;
use scraper::{Html, Selector};

pub const PASSWORD: &str = "Der Kranich fliegt über zwölf grüne Deiche";
const SCHOOL: &str = "Gemeinschaftsschule am Holstentor";
const NAME: &str = "Frank Meier";

/// The step of the setup page the client is on (the current item of `ol.progress`).
async fn current_step(client: &TestClient) -> String {
    let resp = client.get("/einrichtung").await;
    assert_eq!(resp.status().as_u16(), 200, "setup page");
    text_of(
        &resp.text().await.unwrap(),
        "ol.progress li[aria-current=step]",
    )
    .expect("a current step")
}

/// Asserts that the client does not reach the register.
async fn assert_register_closed(client: &TestClient, when: &str) {
    let resp = client.get("/").await;
    assert_eq!(resp.status().as_u16(), 303, "register open {when}");
    assert!(
        location(&resp).starts_with("/anmelden"),
        "{when}: redirected to {}",
        location(&resp)
    );
}

/// The TOTP secret behind the manual key of the factor step.
fn secret_from_manual_key(page: &str) -> Vec<u8> {
    let key = text_of(page, "code.manual-key").expect("a manual key");
    let compact: String = key.chars().filter(|c| !c.is_whitespace()).collect();
    data_encoding::BASE32_NOPAD
        .decode(compact.as_bytes())
        .expect("a base32 key")
}

/// The recovery codes of the page that shows them once.
fn codes_of(page: &str) -> Vec<String> {
    let doc = Html::parse_document(page);
    doc.select(&Selector::parse("ol.codes li").unwrap())
        .map(|li| li.text().collect::<String>().trim().to_owned())
        .collect()
}

/// What a finished setup handed out.
pub struct Enrolled {
    /// The ten recovery codes shown once.
    pub codes: Vec<String>,
    /// The TOTP secret read from the manual key.
    pub secret: Vec<u8>,
    /// The TOTP code that activated the factor.
    pub first_code: String,
}

/// Walks the whole setup from the link with the password [`PASSWORD`].
pub async fn complete_setup(app: &TestApp, client: &TestClient, path: &str) -> Enrolled {
    let resp = client.redeem(path).await;
    assert_eq!(resp.status().as_u16(), 303, "redeem");
    assert_eq!(location(&resp), "/einrichtung");
    assert_register_closed(client, "after redeeming the link").await;

    assert_eq!(current_step(client).await, "Passwort");
    let csrf = client.csrf_from("/einrichtung").await;
    let resp = client
        .post_form(
            "/einrichtung/passwort",
            &[
                ("csrf", &csrf),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303, "password step");
    assert_register_closed(client, "after the password").await;

    let page = client.get("/einrichtung").await.text().await.unwrap();
    assert_eq!(
        text_of(&page, "ol.progress li[aria-current=step]").as_deref(),
        Some("Zweiter Faktor")
    );
    let secret = secret_from_manual_key(&page);
    let code = totp_code(&secret, app.now());
    let resp = client
        .post_form(
            "/einrichtung/totp",
            &[("csrf", &csrf_of(&page)), ("code", &code)],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303, "TOTP step");
    assert_register_closed(client, "after the second factor").await;

    assert_eq!(current_step(client).await, "Wiederherstellungscodes");
    let csrf = client.csrf_from("/einrichtung").await;
    let resp = client
        .post_form("/einrichtung/codes", &[("csrf", &csrf)])
        .await;
    assert_eq!(resp.status().as_u16(), 200, "recovery codes");
    let codes = codes_of(&resp.text().await.unwrap());
    assert_register_closed(client, "after the recovery codes").await;

    assert_eq!(current_step(client).await, "Hinweise bestätigen");
    let csrf = client.csrf_from("/einrichtung").await;
    let resp = client
        .post_form(
            "/einrichtung/bestaetigen",
            &[
                ("csrf", &csrf),
                ("datenschutz", "ja"),
                ("nutzungsbedingungen", "ja"),
            ],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303, "acknowledgements");
    assert_register_closed(client, "before /einrichtung/fertig").await;

    let done = client.get("/einrichtung").await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(location(&done), "/einrichtung/fertig");
    let finished = client.get("/einrichtung/fertig").await;
    assert_eq!(finished.status().as_u16(), 303);
    assert_eq!(location(&finished), "/");
    Enrolled {
        codes,
        secret,
        first_code: code,
    }
}

#[tokio::test]
async fn the_setup_link_leads_through_every_step_into_the_register() {
    // Arrange
    let app = spawn_app().await;
    let path = app.school_with_setup_link(SCHOOL, "f.meier", NAME);

    // Act
    let codes = complete_setup(&app, &app.browser, &path).await.codes;
    let home = app.get("/").await;

    // Assert
    assert_eq!(home.status().as_u16(), 200);
    let body = home.text().await.unwrap();
    assert_eq!(text_of(&body, "header .who .user").as_deref(), Some(NAME));
    assert_eq!(
        text_of(&body, "header .who .school").as_deref(),
        Some(SCHOOL)
    );
    assert_eq!(codes.len(), 10, "{codes:?}");
    assert!(
        codes.iter().all(|c| recovery::looks_like_code(c)),
        "{codes:?}"
    );
    assert_eq!(
        app.audit_with("faktor_hinzugefuegt", Some("erfolg")).len(),
        1
    );
    assert_eq!(
        app.audit_with("einrichtung_abgeschlossen", Some("erfolg"))
            .len(),
        1
    );
}

#[tokio::test]
async fn after_setup_the_new_password_signs_in() {
    // Arrange
    let app = spawn_app().await;
    let path = app.school_with_setup_link(SCHOOL, "f.meier", NAME);
    complete_setup(&app, &app.browser, &path).await;

    // Act
    let resp = app.new_browser().login("f.meier", PASSWORD).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/");
}

#[tokio::test]
async fn before_the_setup_link_is_redeemed_the_register_redirects_to_sign_in() {
    // Arrange
    let app = spawn_app().await;
    app.school_with_setup_link(SCHOOL, "f.meier", NAME);

    // Act
    let resp = app.get("/").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden?next=%2F");
}

#[tokio::test]
async fn a_half_finished_setup_cannot_sign_in_with_the_password() {
    // Arrange: the password is set, no second factor yet.
    let app = spawn_app().await;
    let path = app.school_with_setup_link(SCHOOL, "f.meier", NAME);
    assert_eq!(app.redeem(&path).await.status().as_u16(), 303);
    let csrf = app.browser.csrf_from("/einrichtung").await;
    app.post_form(
        "/einrichtung/passwort",
        &[
            ("csrf", &csrf),
            ("password", PASSWORD),
            ("password2", PASSWORD),
        ],
    )
    .await;

    // Act: the password from another browser leads back into the setup, not the register.
    let other = app.new_browser();
    let resp = other.login("f.meier", PASSWORD).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/einrichtung");
    assert_register_closed(&other, "with a half-finished setup").await;
    assert_eq!(current_step(&other).await, "Zweiter Faktor");
}

#[tokio::test]
async fn a_setup_link_works_only_once() {
    // Arrange
    let app = spawn_app().await;
    let path = app.school_with_setup_link(SCHOOL, "f.meier", NAME);
    assert_eq!(app.redeem(&path).await.status().as_u16(), 303);

    // Act
    let again = app.new_browser().redeem(&path).await;

    // Assert
    assert_eq!(again.status().as_u16(), 410);
    let body = again.text().await.unwrap();
    assert_eq!(
        text_of(&body, "main h1").as_deref(),
        Some("Einrichtungslink ungültig")
    );
    assert_eq!(count_of(&body, "input[name=csrf]"), 0);
}

#[tokio::test]
async fn a_setup_link_expires_after_seventy_two_hours() {
    // Arrange
    let app = spawn_app().await;
    let path = app.school_with_setup_link(SCHOOL, "f.meier", NAME);

    // Act
    app.advance_minutes(72 * 60 + 1);
    let resp = app.redeem(&path).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 410);
    assert_register_closed(&app.browser, "with an expired link").await;
}

#[tokio::test]
async fn a_setup_link_still_works_shortly_before_it_expires() {
    // Arrange
    let app = spawn_app().await;
    let path = app.school_with_setup_link(SCHOOL, "f.meier", NAME);

    // Act
    app.advance_minutes(72 * 60 - 1);
    let resp = app.redeem(&path).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/einrichtung");
}
