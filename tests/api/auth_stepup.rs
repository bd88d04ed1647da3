//! Step-up before class B data: without elevation a class B page redirects to `/step-up`
//! and holds none of its data; a code elevates with a new session id; the elevation lapses
//! after 15 minutes idle or 60 minutes in all, while the session itself stays.

use crate::helpers::{TestApp, TestUser, count_of, location, spawn_app};
use klassenbuch::auth::roles::Role;
use scraper::{Html, Selector};

const PROTOKOLL: &str = "/verwaltung/protokoll";
const STEP_UP_TO_PROTOKOLL: &str = "/step-up?next=%2Fverwaltung%2Fprotokoll";

/// Action names the audit page would show (all of them are in the trail by then).
const AUDIT_ACTIONS: [&str; 3] = ["anmeldung", "step_up", "protokoll_angezeigt"];

/// A headteacher of a school in lesson mode, signed in with the password only.
async fn headteacher_signed_in() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let head = app.create_user(Role::Schulleitung);
    app.browser.sign_in_as(&head).await;
    (app, head)
}

/// Asserts that a response body holds no audit data: no table, no action names.
fn assert_no_audit_data(body: &str) {
    assert_eq!(
        count_of(body, "table.audit"),
        0,
        "audit table without elevation"
    );
    let doc = Html::parse_document(body);
    let text: String = doc
        .select(&Selector::parse("body").unwrap())
        .flat_map(|b| b.text())
        .collect();
    for action in AUDIT_ACTIONS {
        assert!(!text.contains(action), "audit action {action} shown");
    }
}

/// Elevates the default client for the audit page and returns the redirect target.
async fn step_up_to_protokoll(app: &TestApp, head: &TestUser) -> String {
    let resp = app.browser.step_up(&app.totp_now(head), PROTOKOLL).await;
    assert_eq!(resp.status().as_u16(), 303, "step-up");
    location(&resp)
}

/// GET of the audit page: status, redirect target and body.
async fn open_protokoll(app: &TestApp) -> (u16, String, String) {
    let resp = app.get(PROTOKOLL).await;
    let status = resp.status().as_u16();
    let to = location(&resp);
    (status, to, resp.text().await.unwrap())
}

#[tokio::test]
async fn a_class_b_page_without_elevation_redirects_to_step_up_and_shows_no_audit_data() {
    // Arrange: a failed and a successful sign-in are in the trail already.
    let (app, head) = headteacher_signed_in().await;
    app.new_browser()
        .login(&head.login, "Falsches-Passwort-123456")
        .await;

    // Act
    let (status, to, body) = open_protokoll(&app).await;

    // Assert
    assert_eq!(status, 303);
    assert_eq!(to, STEP_UP_TO_PROTOKOLL);
    assert_no_audit_data(&body);
    let step_up_page = app.get(&to).await;
    assert_eq!(step_up_page.status().as_u16(), 200);
    assert_no_audit_data(&step_up_page.text().await.unwrap());
}

#[tokio::test]
async fn a_valid_code_at_step_up_leads_back_to_the_audit_page() {
    // Arrange
    let (app, head) = headteacher_signed_in().await;

    // Act
    let back_to = step_up_to_protokoll(&app, &head).await;
    let (status, _, body) = open_protokoll(&app).await;

    // Assert
    assert_eq!(back_to, PROTOKOLL);
    assert_eq!(status, 200);
    assert_eq!(count_of(&body, "table.audit"), 1);
    assert!(
        count_of(&body, "table.audit tbody tr") > 0,
        "empty audit table"
    );
    let step_ups = app.audit_with("step_up", Some("erfolg"));
    assert_eq!(step_ups.len(), 1);
    assert_eq!(step_ups[0].detail, "faktor=totp");
    assert_eq!(step_ups[0].assurance, "aal2");
}

#[tokio::test]
async fn step_up_gives_a_new_session_id_and_ends_the_old_one() {
    // Arrange
    let (app, head) = headteacher_signed_in().await;
    let before = app.browser.session_cookie().expect("cookie before step-up");

    // Act
    step_up_to_protokoll(&app, &head).await;
    let after = app.browser.session_cookie().expect("cookie after step-up");

    // Assert
    assert_ne!(before, after);
    let old = app.get_with_cookie("/", &before).await;
    assert_eq!(old.status().as_u16(), 303, "the old session id still works");
    assert_eq!(location(&old), "/anmelden?next=%2F");
}

#[tokio::test]
async fn the_elevation_lapses_after_fifteen_idle_minutes_but_the_session_stays() {
    // Arrange
    let (app, head) = headteacher_signed_in().await;
    step_up_to_protokoll(&app, &head).await;
    assert_eq!(open_protokoll(&app).await.0, 200);

    // Act
    app.advance_minutes(16);
    let (status, to, body) = open_protokoll(&app).await;

    // Assert
    assert_eq!(status, 303);
    assert_eq!(to, STEP_UP_TO_PROTOKOLL);
    assert_no_audit_data(&body);
    assert_eq!(app.get("/").await.status().as_u16(), 200, "session ended");
    assert_eq!(step_up_to_protokoll(&app, &head).await, PROTOKOLL);
    assert_eq!(open_protokoll(&app).await.0, 200);
}

#[tokio::test]
async fn the_elevation_lapses_after_sixty_minutes_even_when_active_every_ten_minutes() {
    // Arrange
    let (app, head) = headteacher_signed_in().await;
    step_up_to_protokoll(&app, &head).await;
    for minutes in (10..=50).step_by(10) {
        app.advance_minutes(10);
        assert_eq!(
            open_protokoll(&app).await.0,
            200,
            "lapsed after {minutes} min"
        );
    }

    // Act: 61 minutes after the step-up, 11 minutes idle.
    app.advance_minutes(11);
    let (status, to, body) = open_protokoll(&app).await;

    // Assert
    assert_eq!(status, 303);
    assert_eq!(to, STEP_UP_TO_PROTOKOLL);
    assert_no_audit_data(&body);
    assert_eq!(app.get("/").await.status().as_u16(), 200, "session ended");
}
