//! The audit trail of authentication: records for sign-in (with the factor), step-up,
//! factor enrolment, deactivation and access reset; and no record holds a password, a
//! code, a setup token or a session id.

use crate::auth_setup::{PASSWORD, complete_setup};
use crate::helpers::{TestApp, TestClient, location, setup_path, spawn_app, text_of, totp_code};
use klassenbuch::auth::recovery;
use klassenbuch::auth::roles::Role;
use klassenbuch::db::audit::AuditRow;
use klassenbuch::db::users;

const WRONG_PASSWORD: &str = "Falsches-Passwort-123456";

/// Audit records with this action and result whose detail starts with `detail`.
fn records(app: &TestApp, action: &str, result: &str, detail: &str) -> Vec<AuditRow> {
    app.audit_with(action, Some(result))
        .into_iter()
        .filter(|r| r.detail.starts_with(detail))
        .collect()
}

#[tokio::test]
async fn sign_ins_leave_records_that_name_the_factor() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);

    // Act: a wrong password, a password sign-in, and a sign-in with a code.
    app.new_browser().login(&user.login, WRONG_PASSWORD).await;
    app.browser.sign_in_as(&user).await;
    let other = app.new_browser();
    let resp = other.login_to(&user.login, &user.password, "/", true).await;
    assert_eq!(location(&resp), "/anmelden/faktor?next=%2F");
    let resp = other.submit_login_code(&app.totp_now(&user), "/").await;
    assert_eq!(resp.status().as_u16(), 303);

    // Assert
    let failed = records(&app, "anmeldung", "fehlgeschlagen", "faktor=passwort");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].actor_user_id, Some(user.user_id));
    let by_password = records(&app, "anmeldung", "erfolg", "faktor=passwort");
    assert_eq!(by_password.len(), 1);
    assert_eq!(by_password[0].assurance, "aal1");
    assert_eq!(
        records(&app, "anmeldung", "passwort_ok", "faktor=passwort").len(),
        1
    );
    let by_code = records(&app, "anmeldung", "erfolg", "faktor=totp");
    assert_eq!(by_code.len(), 1);
    assert_eq!(by_code[0].assurance, "aal2");
    assert_eq!(by_code[0].school_id, Some(user.school_id));
}

#[tokio::test]
async fn step_ups_leave_records_for_success_and_failure() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    app.browser.sign_in_as(&user).await;

    // Act
    let wrong = app.browser.step_up(&app.wrong_totp(&user), "/").await;
    let right = app.browser.step_up(&app.totp_now(&user), "/").await;

    // Assert
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(right.status().as_u16(), 303);
    assert_eq!(
        records(&app, "step_up", "fehlgeschlagen", "faktor=code").len(),
        1
    );
    assert_eq!(records(&app, "step_up", "erfolg", "faktor=totp").len(), 1);
}

/// Everything secret the scenario handled, to look for in the audit trail.
#[derive(Default)]
struct Secrets {
    /// Passwords, recovery codes, setup tokens and session cookie values.
    long: Vec<String>,
    /// Six-digit TOTP codes.
    codes: Vec<String>,
}

impl Secrets {
    fn cookie_of(&mut self, client: &TestClient) {
        if let Some(c) = client.session_cookie() {
            self.long.push(c);
        }
    }
}

/// A headteacher set up from a link, who elevates (TOTP and recovery code), creates a user,
/// and deactivates and resets colleagues; a teacher who fails and then signs in with a code.
async fn busy_school_day(app: &TestApp) -> Secrets {
    let mut secrets = Secrets::default();
    let head_path =
        app.school_with_setup_link("Gymnasium an der Förde", "m.petersen", "Dr. Maren Petersen");
    secrets
        .long
        .push(head_path.trim_start_matches("/einrichtung/").to_owned());
    secrets.cookie_of(&app.browser);
    let head = complete_setup(app, &app.browser, &head_path).await;
    secrets.long.push(PASSWORD.to_owned());
    secrets.codes.push(head.first_code.clone());
    secrets.cookie_of(&app.browser);

    // The head elevates with a later TOTP code, and from a second browser with a recovery code.
    app.advance_minutes(1);
    let code = totp_code(&head.secret, app.now());
    let resp = app.browser.step_up(&code, "/verwaltung/benutzer").await;
    assert_eq!(resp.status().as_u16(), 303, "step-up of the head");
    secrets.codes.push(code);
    secrets.cookie_of(&app.browser);
    let second = app.new_browser();
    let resp = second.login("m.petersen", PASSWORD).await;
    assert_eq!(location(&resp), "/", "the head's second sign-in");
    let resp = second.step_up(&head.codes[0], "/").await;
    assert_eq!(resp.status().as_u16(), 303, "step-up with a recovery code");
    secrets.long.push(head.codes[0].clone());
    secrets.long.push(recovery::normalize(&head.codes[0]));
    secrets.cookie_of(&second);

    // A teacher fails once, then signs in with a code.
    let school_id = users::find_by_login(&mut app.conn(), "m.petersen")
        .unwrap()
        .expect("the head")
        .school_id;
    let teacher = app.create_user_in(school_id, Role::Lehrkraft);
    let teacher_client = app.new_browser();
    teacher_client.login(&teacher.login, WRONG_PASSWORD).await;
    secrets.long.push(WRONG_PASSWORD.to_owned());
    secrets.cookie_of(&teacher_client);
    teacher_client
        .login_to(&teacher.login, &teacher.password, "/", true)
        .await;
    secrets.long.push(teacher.password.clone());
    secrets.cookie_of(&teacher_client);
    let code = app.totp_now(&teacher);
    let resp = teacher_client.submit_login_code(&code, "/").await;
    assert_eq!(resp.status().as_u16(), 303, "teacher's code");
    secrets.codes.push(code);
    secrets.cookie_of(&teacher_client);

    // The head creates a user, resets them, and deactivates the teacher.
    let csrf = app.browser.csrf_from("/verwaltung/benutzer").await;
    let created = app
        .post_form(
            "/verwaltung/benutzer/neu",
            &[
                ("csrf", &csrf),
                ("display_name", "Ole Jensen"),
                ("login", "o.jensen"),
                ("role", "lehrkraft"),
            ],
        )
        .await;
    let link = text_of(&created.text().await.unwrap(), "code.setup-link").expect("setup link");
    secrets.long.push(
        setup_path(&link)
            .trim_start_matches("/einrichtung/")
            .to_owned(),
    );
    let newcomer = users::find_by_login(&mut app.conn(), "o.jensen")
        .unwrap()
        .expect("the new user");
    let reset = app
        .post_form(
            &format!("/verwaltung/benutzer/{}/zuruecksetzen", newcomer.id),
            &[("csrf", &csrf)],
        )
        .await;
    let link = text_of(&reset.text().await.unwrap(), "code.setup-link").expect("new setup link");
    secrets.long.push(
        setup_path(&link)
            .trim_start_matches("/einrichtung/")
            .to_owned(),
    );
    let deactivated = app
        .post_form(
            &format!("/verwaltung/benutzer/{}/deaktivieren", teacher.user_id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(deactivated.status().as_u16(), 303, "deactivation");
    secrets
}

#[tokio::test]
async fn factor_enrolment_deactivation_and_reset_leave_records() {
    // Arrange
    let app = spawn_app().await;

    // Act
    busy_school_day(&app).await;

    // Assert
    let added = app.audit_with("faktor_hinzugefuegt", Some("erfolg"));
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].detail, "typ=totp");
    assert_eq!(records(&app, "step_up", "erfolg", "faktor=totp").len(), 1);
    assert_eq!(
        records(&app, "step_up", "erfolg", "faktor=wiederherstellungscode").len(),
        1
    );
    assert_eq!(records(&app, "anmeldung", "erfolg", "faktor=totp").len(), 1);
    assert_eq!(
        records(&app, "anmeldung", "fehlgeschlagen", "faktor=passwort").len(),
        1
    );
    assert_eq!(
        app.audit_with("zugang_zurueckgesetzt", Some("erfolg"))
            .len(),
        1
    );
    assert_eq!(
        app.audit_with("benutzer_deaktiviert", Some("erfolg")).len(),
        1
    );
}

#[tokio::test]
async fn no_audit_record_holds_a_password_a_code_a_token_or_a_session_id() {
    // Arrange
    let app = spawn_app().await;
    let secrets = busy_school_day(&app).await;
    assert!(secrets.long.len() >= 10 && secrets.codes.len() == 3);

    // Act
    let rows = app.audit_records();

    // Assert
    assert!(rows.len() > 10, "too few records to be meaningful");
    for row in &rows {
        let readable = [
            &row.action,
            &row.object,
            &row.result,
            &row.assurance,
            &row.client_addr,
            &row.detail,
        ];
        // The chain hashes are hex digests: six digits can occur in them by chance, so codes
        // are looked for in the readable columns only; everything else in all of them.
        let all = [readable.as_slice(), &[&row.prev_hash, &row.hash]].concat();
        for secret in &secrets.long {
            assert!(
                all.iter().all(|text| !text.contains(secret.as_str())),
                "audit record {} ({}) holds a secret",
                row.id,
                row.action
            );
        }
        for code in &secrets.codes {
            assert!(
                readable.iter().all(|text| !text.contains(code.as_str())),
                "audit record {} ({}) holds a TOTP code",
                row.id,
                row.action
            );
        }
    }
}

#[tokio::test]
async fn control_characters_in_a_typed_login_are_escaped_in_the_audit_record() {
    // Arrange: a login that would forge a second line in an exported trail.
    let app = spawn_app().await;
    let forged = "eve\r\n2026-01-01 anmeldung erfolg admin";

    // Act
    let resp = app.new_browser().login(forged, WRONG_PASSWORD).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 401);
    let failed = app.audit_with("anmeldung", Some("fehlgeschlagen"));
    assert_eq!(failed.len(), 1);
    let row = &failed[0];
    for text in [&row.object, &row.detail] {
        assert!(
            !text.chars().any(char::is_control),
            "control character stored: {text:?}"
        );
    }
    assert!(row.object.contains("eve"), "{:?}", row.object);
}

#[tokio::test]
async fn audit_details_keep_german_text_readable() {
    // Arrange
    let app = spawn_app().await;
    let teacher = app.create_user(Role::Lehrkraft);
    app.browser.sign_in_as(&teacher).await;

    // Act
    let resp = app.get("/verwaltung/benutzer").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 403);
    let denied = app.audit_with("zugriff_verweigert", Some("verweigert"));
    assert_eq!(denied.len(), 1);
    assert_eq!(
        denied[0].detail,
        "benötigt: Schulleitung oder Administration"
    );
}
