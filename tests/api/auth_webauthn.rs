//! Passkeys over real HTTP, with the software authenticator of webauthn-authenticator-rs
//! on one side and webauthn-rs in the app on the other: registration at the first sign-in
//! and on the account page, step-up and sign-in with a passkey, replayed and expired
//! ceremonies, the persisted signature counter, credentials bound to their user, and the
//! removal of factors.

use crate::helpers::passkey::{
    PasskeyApp, PasskeyClient, SoftKey, allowed_ids, credential_id_of, excluded_ids,
    reregistration_of, stored_counter,
};
use crate::helpers::{
    SESSION_COOKIE, TestApp, TestClient, TestUser, attr_of, count_of, csrf_of, location,
    set_cookies, spawn_app, text_of,
};
use klassenbuch::auth::roles::Role;
use klassenbuch::db::factors::WebauthnCredential;
use klassenbuch::db::{factors, users};
use serde_json::{Value, json};

const STEP_UP_TO_LOG: &str = "/step-up?next=%2Fverwaltung%2Fprotokoll";

/// The `fehler` message of a refused WebAuthn request.
async fn refusal(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("a JSON refusal");
    (
        status,
        body["fehler"].as_str().unwrap_or_default().to_owned(),
    )
}

/// The `weiter` target of an accepted WebAuthn request.
async fn weiter(resp: reqwest::Response) -> String {
    assert_eq!(resp.status().as_u16(), 200, "WebAuthn request accepted");
    let body: Value = resp.json().await.expect("JSON");
    body["weiter"].as_str().expect("weiter").to_owned()
}

/// A headteacher with TOTP and one passkey (enrolled in a browser of its own).
async fn headteacher_with_passkey(app: &TestApp) -> (TestUser, SoftKey) {
    let head = app.create_user(Role::Schulleitung);
    let key = app.enrol_passkey(&app.new_browser(), &head).await;
    (head, key)
}

/// The CSRF token the step-up page hands to the passkey script.
async fn step_up_csrf(client: &TestClient) -> String {
    client.passkey_csrf("/step-up?next=%2F").await
}

#[tokio::test]
async fn a_passkey_registered_at_first_sign_in_completes_the_factor_step() {
    // Arrange
    let app = spawn_app().await;
    let link = app.school_with_setup_link("Grundschule am Priel", "h.schulz", "Hanna Schulz");
    let b = &app.browser;
    assert_eq!(location(&b.redeem(&link).await), "/einrichtung");
    let csrf = b.csrf_from("/einrichtung").await;
    let password = "Ebbe-und-Flut-vor-der-Hallig-2026";
    let resp = b
        .post_form(
            "/einrichtung/passwort",
            &[
                ("csrf", &csrf),
                ("password", password),
                ("password2", password),
            ],
        )
        .await;
    assert_eq!(location(&resp), "/einrichtung");
    let page = b.get("/einrichtung").await.text().await.unwrap();
    assert_eq!(
        attr_of(&page, "form.webauthn-register", "data-done").as_deref(),
        Some("/einrichtung"),
        "the factor step offers a passkey"
    );
    let csrf = attr_of(&page, "form.webauthn-register", "data-csrf").unwrap();
    let mut key = SoftKey::new(&app);

    // Act
    let (credential, resp) = b
        .register_passkey(&csrf, &mut key, "Schlüssel im Lehrerzimmer")
        .await;

    // Assert
    assert_eq!(weiter(resp).await, "/einrichtung");
    let next = b.get("/einrichtung").await;
    assert_eq!(next.status().as_u16(), 200);
    let page = next.text().await.unwrap();
    assert_eq!(
        count_of(&page, "form[action='/einrichtung/codes']"),
        1,
        "the setup continues with the recovery codes"
    );
    assert_eq!(count_of(&page, "form.webauthn-register"), 0);
    let mut conn = app.conn();
    let user = users::find_by_login(&mut conn, "h.schulz")
        .unwrap()
        .unwrap();
    let stored = factors::webauthn_of(&mut conn, user.school_id, user.id).unwrap();
    drop(conn);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].label, "Schlüssel im Lehrerzimmer");
    assert_eq!(stored[0].credential_id, credential_id_of(&credential));
    assert_eq!(app.credential_id_count(&stored[0].credential_id), 1);
    assert!(
        app.audit_with("faktor_hinzugefuegt", Some("erfolg"))
            .iter()
            .any(|r| r.actor_user_id == Some(user.id) && r.detail == "typ=webauthn")
    );
    let codes = b
        .post_form("/einrichtung/codes", &[("csrf", &csrf_of(&page))])
        .await;
    assert_eq!(codes.status().as_u16(), 200);
    assert_eq!(count_of(&codes.text().await.unwrap(), "ol.codes li"), 10);
}

#[tokio::test]
async fn a_passkey_step_up_opens_class_b_data_in_a_new_session() {
    // Arrange
    let app = spawn_app().await;
    let (head, mut key) = headteacher_with_passkey(&app).await;
    let b = &app.browser;
    b.sign_in_as(&head).await;
    let gate = b.get("/verwaltung/protokoll").await;
    assert_eq!(gate.status().as_u16(), 303);
    assert_eq!(location(&gate), STEP_UP_TO_LOG);
    let page = b.get(STEP_UP_TO_LOG).await.text().await.unwrap();
    let csrf = attr_of(&page, "form.webauthn-login", "data-csrf").unwrap();
    let next = attr_of(&page, "form.webauthn-login", "data-next").unwrap();
    assert_eq!(next, "/verwaltung/protokoll");
    let before = b.session_cookie().unwrap();

    // Act
    let options = b.authentication_options(&csrf).await;
    let offered = allowed_ids(&options);
    let assertion = key.authenticate(options);
    let resp = b.finish_authentication(&csrf, &next, &assertion).await;

    // Assert
    assert_eq!(
        offered,
        vec![app.passkeys_of(&head)[0].credential_id.clone()]
    );
    assert!(
        set_cookies(&resp)
            .iter()
            .any(|c| c.starts_with(&format!("{SESSION_COOKIE}="))),
        "the answer sets a new session cookie"
    );
    assert_eq!(weiter(resp).await, "/verwaltung/protokoll");
    let after = b.session_cookie().unwrap();
    assert_ne!(before, after, "elevation renews the session id");
    let log = b.get("/verwaltung/protokoll").await;
    assert_eq!(log.status().as_u16(), 200);
    assert_eq!(count_of(&log.text().await.unwrap(), "table.audit"), 1);
    let old = app.get_with_cookie("/", &before).await;
    assert_eq!(old.status().as_u16(), 303, "the old session id is dead");
    assert!(location(&old).starts_with("/anmelden"));
    let step_ups = app.audit_with("step_up", Some("erfolg"));
    assert!(
        step_ups
            .iter()
            .any(|r| r.detail == "faktor=webauthn" && r.assurance == "aal2")
    );
}

#[tokio::test]
async fn a_passkey_is_the_second_factor_at_sign_in_under_policy_always() {
    // Arrange
    let app = spawn_app().await;
    let (head, mut key) = headteacher_with_passkey(&app).await;
    app.set_policy(head.school_id, "always");
    let b = app.new_browser();
    let resp = b.login(&head.login, &head.password).await;
    assert_eq!(resp.status().as_u16(), 303);
    let factor_step = location(&resp);
    assert_eq!(factor_step, "/anmelden/faktor?next=%2F");
    assert_ne!(b.get("/").await.status().as_u16(), 200, "not signed in yet");
    let page = b.get(&factor_step).await.text().await.unwrap();
    let csrf = attr_of(&page, "form.webauthn-login", "data-csrf").unwrap();
    let before = b.session_cookie().unwrap();

    // Act
    let resp = b.authenticate_with_passkey(&csrf, &mut key, "/").await;

    // Assert
    assert_eq!(weiter(resp).await, "/");
    assert_ne!(b.session_cookie().unwrap(), before);
    assert_eq!(b.get("/").await.status().as_u16(), 200, "signed in");
    assert!(b.sees_audit_log().await, "and elevated by the passkey");
    assert!(
        app.audit_with("anmeldung", Some("erfolg"))
            .iter()
            .any(|r| r.actor_user_id == Some(head.user_id) && r.detail == "faktor=webauthn")
    );
}

#[tokio::test]
async fn a_replayed_passkey_response_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let (head, mut key) = headteacher_with_passkey(&app).await;
    let b = app.new_browser();
    b.sign_in_as(&head).await;
    let csrf = step_up_csrf(&b).await;
    let options = b.authentication_options(&csrf).await;
    let assertion = key.authenticate(options);
    let first = b.finish_authentication(&csrf, "/", &assertion).await;
    assert_eq!(first.status().as_u16(), 200);
    let other = app.new_browser();
    other.sign_in_as(&head).await;
    let other_csrf = step_up_csrf(&other).await;
    // The fresh session has a ceremony of its own waiting (a new challenge).
    let _ = other.authentication_options(&other_csrf).await;
    let other_cookie = other.session_cookie().unwrap();

    // Act
    let same_session = b
        .finish_authentication(&step_up_csrf(&b).await, "/", &assertion)
        .await;
    let fresh_session = other
        .finish_authentication(&other_csrf, "/", &assertion)
        .await;

    // Assert
    let (status, _) = refusal(same_session).await;
    assert_eq!(status, 400, "the ceremony was used up");
    assert!(
        set_cookies(&fresh_session).is_empty(),
        "no new session for a replay"
    );
    let (status, _) = refusal(fresh_session).await;
    assert!((400..500).contains(&status), "replay refused with {status}");
    assert_eq!(other.session_cookie().unwrap(), other_cookie);
    assert!(
        !other.sees_audit_log().await,
        "the fresh session is not elevated"
    );
    assert_eq!(stored_counter(&app.passkeys_of(&head)[0].passkey), 1);
}

#[tokio::test]
async fn an_expired_passkey_ceremony_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let (head, mut key) = headteacher_with_passkey(&app).await;
    let b = app.new_browser();
    b.sign_in_as(&head).await;
    let csrf = step_up_csrf(&b).await;
    let options = b.authentication_options(&csrf).await;
    app.advance_minutes(6);
    let assertion = key.authenticate(options);
    let cookie = b.session_cookie().unwrap();

    // Act
    let late = b.finish_authentication(&csrf, "/", &assertion).await;

    // Assert
    let (status, message) = refusal(late).await;
    assert_eq!(status, 400);
    assert!(message.contains("abgelaufen"), "{message}");
    assert_eq!(b.session_cookie().unwrap(), cookie);
    assert!(!b.sees_audit_log().await, "not elevated");
    assert!(app.passkeys_of(&head)[0].last_used_at.is_none());
    // Within the five minutes the same steps succeed.
    let options = b.authentication_options(&csrf).await;
    app.advance_minutes(4);
    let assertion = key.authenticate(options);
    let in_time = b.finish_authentication(&csrf, "/", &assertion).await;
    assert_eq!(weiter(in_time).await, "/");
    assert!(b.sees_audit_log().await);
}

/// True if the passkey was last used at the app's current time (PostgreSQL keeps
/// microseconds, the clock has nanoseconds).
fn used_at(passkey: &WebauthnCredential, app: &TestApp) -> bool {
    passkey
        .last_used_at
        .is_some_and(|at| (at - app.now_naive()).abs() < chrono::Duration::milliseconds(1))
}

#[tokio::test]
async fn the_signature_counter_and_last_use_are_persisted() {
    // Arrange
    let app = spawn_app().await;
    let (head, mut key) = headteacher_with_passkey(&app).await;
    let registered = app.passkeys_of(&head).remove(0);
    assert_eq!(stored_counter(&registered.passkey), 0);
    assert!(registered.last_used_at.is_none());
    let b = app.new_browser();
    b.sign_in_as(&head).await;

    // Act
    let resp = b
        .authenticate_with_passkey(&step_up_csrf(&b).await, &mut key, "/")
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let used = app.passkeys_of(&head).remove(0);
    assert_ne!(
        used.passkey, registered.passkey,
        "the stored passkey changed"
    );
    assert_eq!(stored_counter(&used.passkey), 1);
    assert!(used_at(&used, &app), "last use: {:?}", used.last_used_at);
    // A later use in another session raises it again.
    app.advance_minutes(1);
    let c = app.new_browser();
    c.sign_in_as(&head).await;
    let resp = c
        .authenticate_with_passkey(&step_up_csrf(&c).await, &mut key, "/")
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let again = app.passkeys_of(&head).remove(0);
    assert_eq!(stored_counter(&again.passkey), 2);
    assert!(used_at(&again, &app), "last use: {:?}", again.last_used_at);
}

#[tokio::test]
async fn registering_a_passkey_on_the_account_page_needs_the_factor_change_release() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    let b = &app.browser;
    let label = json!({ "label": "Dienstlaptop" });
    b.sign_in_as(&user).await;
    let csrf = b.csrf_from("/konto").await;
    let signed_in = b
        .post_webauthn("/webauthn/registrierung/start", &csrf, &label)
        .await;
    let resp = b.step_up(&app.totp_now(&user), "/").await;
    assert_eq!(resp.status().as_u16(), 303);
    let csrf = b.csrf_from("/konto/faktoren").await;

    // Act
    let elevated = b
        .post_webauthn("/webauthn/registrierung/start", &csrf, &label)
        .await;
    let release = b
        .post_form(
            "/konto/freigabe",
            &[("csrf", &csrf), ("password", &user.password)],
        )
        .await;
    let csrf = b.passkey_csrf("/konto/faktoren").await;
    let mut key = SoftKey::new(&app);
    let (credential, released) = b.register_passkey(&csrf, &mut key, "Dienstlaptop").await;

    // Assert
    assert_eq!(refusal(signed_in).await.0, 403, "signed in, not elevated");
    assert_eq!(
        refusal(elevated).await.0,
        403,
        "elevated, without the release"
    );
    assert_eq!(location(&release), "/konto/faktoren");
    assert_eq!(weiter(released).await, "/konto/faktoren");
    let stored = app.passkeys_of(&user);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].label, "Dienstlaptop");
    assert_eq!(stored[0].credential_id, credential_id_of(&credential));
    let page = b.get("/konto/faktoren").await.text().await.unwrap();
    assert_eq!(
        count_of(&page, "table.factors tbody tr"),
        2,
        "TOTP and passkey"
    );
}

#[tokio::test]
async fn the_same_credential_cannot_be_registered_twice() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    let b = &app.browser;
    app.release_factor_changes(b, &user).await;
    let csrf = b.passkey_csrf("/konto/faktoren").await;
    let mut key = SoftKey::new(&app);
    let (first, resp) = b.register_passkey(&csrf, &mut key, "Erster").await;
    assert_eq!(resp.status().as_u16(), 200);
    let first_id = credential_id_of(&first);

    // Act
    let options = b.registration_options(&csrf, "Noch einmal").await;
    let excluded = excluded_ids(&options);
    let duplicate = reregistration_of(&first, &options, &app.address);
    let resp = b
        .post_webauthn("/webauthn/registrierung/ende", &csrf, &duplicate)
        .await;

    // Assert
    assert_eq!(
        excluded,
        vec![first_id.clone()],
        "the exclude list names it"
    );
    assert_eq!(refusal(resp).await.0, 400);
    assert_eq!(app.passkeys_of(&user).len(), 1);
    assert_eq!(app.credential_id_count(&first_id), 1);
    // Control: the same kind of response for a credential not stored yet is accepted, so
    // the refusal is about the duplicate and not about the form of the response.
    let options = b.registration_options(&csrf, "Zweiter").await;
    let unsent = SoftKey::new(&app).register(options.clone());
    let resp = b
        .post_webauthn(
            "/webauthn/registrierung/ende",
            &csrf,
            &reregistration_of(&unsent, &options, &app.address),
        )
        .await;
    assert_eq!(weiter(resp).await, "/konto/faktoren");
    assert_eq!(app.passkeys_of(&user).len(), 2);
}

#[tokio::test]
async fn a_credential_of_one_user_cannot_be_registered_for_another() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.create_user(Role::Lehrkraft);
    let bob = app.create_user(Role::Lehrkraft);
    let a = app.new_browser();
    app.release_factor_changes(&a, &alice).await;
    let csrf_a = a.passkey_csrf("/konto/faktoren").await;
    let (alices, resp) = a
        .register_passkey(&csrf_a, &mut SoftKey::new(&app), "Alice")
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let b = app.new_browser();
    app.release_factor_changes(&b, &bob).await;
    let csrf_b = b.passkey_csrf("/konto/faktoren").await;

    // Act
    let options = b.registration_options(&csrf_b, "Geliehen").await;
    let resp = b
        .post_webauthn(
            "/webauthn/registrierung/ende",
            &csrf_b,
            &reregistration_of(&alices, &options, &app.address),
        )
        .await;

    // Assert
    let (status, message) = refusal(resp).await;
    assert_eq!(status, 400);
    assert_eq!(message, "Dieser Passkey ist bereits registriert.");
    assert!(app.passkeys_of(&bob).is_empty());
    assert_eq!(app.passkeys_of(&alice).len(), 1);
    assert_eq!(app.credential_id_count(&credential_id_of(&alices)), 1);
}

/// Two headteachers of one school, each with TOTP and a passkey; their enrolment browsers
/// stay released for factor changes.
struct Colleagues {
    alice: TestUser,
    alice_key: SoftKey,
    bob: TestUser,
    bob_key: SoftKey,
    bob_browser: TestClient,
}

async fn colleagues(app: &TestApp) -> Colleagues {
    let school = app.create_school("Gymnasium an der Schlei");
    let alice = app.create_user_in(school, Role::Schulleitung);
    let bob = app.create_user_in(school, Role::Schulleitung);
    let alice_key = app.enrol_passkey(&app.new_browser(), &alice).await;
    let bob_browser = app.new_browser();
    let bob_key = app.enrol_passkey(&bob_browser, &bob).await;
    Colleagues {
        alice,
        alice_key,
        bob,
        bob_key,
        bob_browser,
    }
}

#[tokio::test]
async fn a_passkey_of_one_user_cannot_step_up_another() {
    // Arrange
    let app = spawn_app().await;
    let Colleagues {
        alice,
        mut alice_key,
        bob,
        mut bob_key,
        ..
    } = colleagues(&app).await;
    let alices_id = app.passkeys_of(&alice)[0].credential_id.clone();
    let bobs_id = app.passkeys_of(&bob)[0].credential_id.clone();
    let b = app.new_browser();
    b.sign_in_as(&bob).await;
    let csrf = step_up_csrf(&b).await;

    // Act
    let options = b.authentication_options(&csrf).await;
    let offered = allowed_ids(&options);
    let alice_declines = alice_key.try_authenticate(options.clone()).is_err();
    // A manipulated client names Alice's credential in Bob's ceremony.
    let mut forged = serde_json::to_value(&options).unwrap();
    forged["publicKey"]["allowCredentials"] = json!([{ "type": "public-key", "id": alices_id }]);
    let assertion = alice_key.authenticate(serde_json::from_value(forged).unwrap());
    let resp = b.finish_authentication(&csrf, "/", &assertion).await;

    // Assert
    assert_eq!(offered, vec![bobs_id], "only Bob's credential is offered");
    assert!(alice_declines, "Alice's authenticator has nothing for it");
    assert!(set_cookies(&resp).is_empty());
    let (status, _) = refusal(resp).await;
    assert_eq!(status, 401);
    assert!(!b.sees_audit_log().await, "Bob is not elevated");
    assert!(app.passkeys_of(&alice)[0].last_used_at.is_none());
    // Bob's own passkey works in a new ceremony.
    let resp = b.authenticate_with_passkey(&csrf, &mut bob_key, "/").await;
    assert_eq!(weiter(resp).await, "/");
    assert!(b.sees_audit_log().await);
}

#[tokio::test]
async fn a_user_cannot_remove_the_passkey_of_another() {
    // Arrange
    let app = spawn_app().await;
    let team = colleagues(&app).await;
    let alices = app.passkeys_of(&team.alice).remove(0);
    let csrf = team.bob_browser.csrf_from("/konto/faktoren").await;

    // Act
    let resp = team
        .bob_browser
        .post_form(
            "/konto/faktor/entfernen",
            &[
                ("csrf", &csrf),
                ("art", "webauthn"),
                ("id", &alices.id.to_string()),
            ],
        )
        .await;

    // Assert
    assert_eq!(location(&resp), "/konto/faktoren");
    assert_eq!(app.passkeys_of(&team.alice).len(), 1);
    assert_eq!(app.passkeys_of(&team.bob).len(), 1);
    let page = team.bob_browser.get("/konto/faktoren").await;
    let page = page.text().await.unwrap();
    assert_eq!(
        text_of(&page, "p.flash.err").as_deref(),
        Some("Dieser Faktor wurde nicht gefunden.")
    );
}

/// `POST /konto/faktor/entfernen` for the factor `art`/`id`; returns the flash shown next.
async fn remove_factor(client: &TestClient, art: &str, id: i64) -> Option<String> {
    let csrf = client.csrf_from("/konto/faktoren").await;
    let resp = client
        .post_form(
            "/konto/faktor/entfernen",
            &[("csrf", &csrf), ("art", art), ("id", &id.to_string())],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/konto/faktoren");
    let page = client.get("/konto/faktoren").await.text().await.unwrap();
    text_of(&page, "p.flash")
}

fn active_totp_ids(app: &TestApp, user: &TestUser) -> Vec<i64> {
    factors::totps_of(&mut app.conn(), user.school_id, user.user_id)
        .unwrap()
        .into_iter()
        .filter(|f| f.active)
        .map(|f| f.id)
        .collect()
}

#[tokio::test]
async fn removing_a_passkey_works_but_the_last_factor_stays() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    let b = &app.browser;
    let _key = app.enrol_passkey(b, &user).await;
    let page = b.get("/konto/faktoren").await.text().await.unwrap();
    assert_eq!(count_of(&page, "table.factors tbody tr"), 2);
    let passkey = app.passkeys_of(&user)[0].id;
    let totp = active_totp_ids(&app, &user)[0];

    // Act
    let removed = remove_factor(b, "webauthn", passkey).await;
    let last = remove_factor(b, "totp", totp).await;

    // Assert
    assert_eq!(removed.as_deref(), Some("Der Faktor wurde entfernt."));
    assert!(app.passkeys_of(&user).is_empty());
    assert!(
        last.as_deref()
            .is_some_and(|m| m.starts_with("Der letzte zweite Faktor kann nicht entfernt werden")),
        "{last:?}"
    );
    assert_eq!(active_totp_ids(&app, &user), vec![totp]);
    assert_eq!(app.active_factor_count(&user), 1);
    // The removed passkey can no longer be asked for.
    let other = app.new_browser();
    other.sign_in_as(&user).await;
    let csrf = other.csrf_from("/konto").await;
    let start = other
        .post_webauthn("/webauthn/anmeldung/start", &csrf, &json!({}))
        .await;
    assert_eq!(refusal(start).await.0, 400);
}

#[tokio::test]
async fn a_passkey_that_is_the_last_factor_cannot_be_removed() {
    // Arrange
    let app = spawn_app().await;
    let head = app.create_user(Role::Schulleitung);
    let b = app.new_browser();
    let mut key = app.enrol_passkey(&b, &head).await;
    let totp = active_totp_ids(&app, &head)[0];
    let passkey = app.passkeys_of(&head)[0].id;

    // Act
    let removed = remove_factor(&b, "totp", totp).await;
    let last = remove_factor(&b, "webauthn", passkey).await;

    // Assert
    assert_eq!(removed.as_deref(), Some("Der Faktor wurde entfernt."));
    assert!(active_totp_ids(&app, &head).is_empty());
    assert!(
        last.as_deref()
            .is_some_and(|m| m.starts_with("Der letzte zweite Faktor kann nicht entfernt werden")),
        "{last:?}"
    );
    assert_eq!(app.passkeys_of(&head).len(), 1);
    // The remaining passkey still steps up.
    let c = app.new_browser();
    c.sign_in_as(&head).await;
    let resp = c
        .authenticate_with_passkey(&step_up_csrf(&c).await, &mut key, "/")
        .await;
    assert_eq!(weiter(resp).await, "/");
    assert!(c.sees_audit_log().await);
}
