//! Administration of accounts by an elevated Schulleitung or Administration: new users get
//! a setup link, deactivation and access reset end the user's sessions at once, the list
//! marks who has not enrolled; others are refused.

use crate::helpers::{
    TestApp, TestClient, TestUser, count_of, location, setup_path, spawn_app, text_of,
};
use klassenbuch::auth::roles::Role;
use klassenbuch::db::users;
use scraper::{Html, Selector};

const USERS: &str = "/verwaltung/benutzer";

/// A school with an elevated administrator (on the default client) and a teacher signed in
/// on a client of their own.
async fn admin_and_signed_in_teacher(admin_role: Role) -> (TestApp, TestUser, TestClient) {
    let app = spawn_app().await;
    let school = app.create_school("Gymnasium an der Förde");
    let admin = app.create_user_in(school, admin_role);
    let teacher = app.create_user_in(school, Role::Lehrkraft);
    app.browser
        .sign_in_elevated(&admin, &app.totp_now(&admin))
        .await;
    let teacher_client = app.new_browser();
    teacher_client.sign_in_as(&teacher).await;
    (app, teacher, teacher_client)
}

/// Posts an admin form (with the CSRF token of the user list).
async fn admin_post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.browser.csrf_from(USERS).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(path, &form).await
}

/// The entries of the list of users not yet enrolled.
async fn not_enrolled(app: &TestApp) -> Vec<String> {
    let body = app.get(USERS).await.text().await.unwrap();
    let doc = Html::parse_document(&body);
    doc.select(&Selector::parse("ul.not-enrolled li").unwrap())
        .map(|li| li.text().collect::<String>().trim().to_owned())
        .collect()
}

/// The path of the setup link shown on an admin page.
fn setup_link_of(body: &str) -> String {
    let link = text_of(body, "code.setup-link").expect("a setup link on the page");
    setup_path(&link)
}

#[tokio::test]
async fn creating_a_user_shows_a_one_time_setup_link_that_opens_the_setup() {
    // Arrange
    let (app, _teacher, _) = admin_and_signed_in_teacher(Role::Verwaltung).await;

    // Act
    let resp = admin_post(
        &app,
        "/verwaltung/benutzer/neu",
        &[
            ("display_name", "Ole Jensen"),
            ("login", "o.jensen"),
            ("role", "lehrkraft"),
        ],
    )
    .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let path = setup_link_of(&resp.text().await.unwrap());
    let newcomer = app.new_browser();
    let redeemed = newcomer.redeem(&path).await;
    assert_eq!(redeemed.status().as_u16(), 303);
    assert_eq!(location(&redeemed), "/einrichtung");
    assert_eq!(app.audit_with("benutzer_angelegt", Some("erfolg")).len(), 1);
}

#[tokio::test]
async fn the_user_list_marks_users_not_yet_enrolled() {
    // Arrange
    let (app, teacher, _) = admin_and_signed_in_teacher(Role::Schulleitung).await;
    admin_post(
        &app,
        "/verwaltung/benutzer/neu",
        &[
            ("display_name", "Ole Jensen"),
            ("login", "o.jensen"),
            ("role", "lehrkraft"),
        ],
    )
    .await;

    // Act
    let pending = not_enrolled(&app).await;

    // Assert
    assert_eq!(pending, vec!["Ole Jensen (o.jensen)".to_owned()]);
    assert!(!pending.iter().any(|p| p.contains(&teacher.login)));
}

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions_at_once() {
    // Arrange
    let (app, teacher, teacher_client) = admin_and_signed_in_teacher(Role::Schulleitung).await;
    assert_eq!(teacher_client.get("/").await.status().as_u16(), 200);

    // Act
    let resp = admin_post(
        &app,
        &format!("/verwaltung/benutzer/{}/deaktivieren", teacher.user_id),
        &[],
    )
    .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), USERS);
    let home = teacher_client.get("/").await;
    assert_eq!(
        home.status().as_u16(),
        303,
        "the deactivated user is still in"
    );
    assert_eq!(location(&home), "/anmelden?next=%2F");
    let list = app.get(USERS).await.text().await.unwrap();
    let row = format!("tr[data-login=\"{}\"] td.status", teacher.login);
    assert_eq!(text_of(&list, &row).as_deref(), Some("deaktiviert"));
    let records = app.audit_with("benutzer_deaktiviert", Some("erfolg"));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].object, format!("benutzer:{}", teacher.user_id));
}

#[tokio::test]
async fn a_deactivated_user_fails_to_sign_in_like_an_unknown_login() {
    // Arrange
    let (app, teacher, _) = admin_and_signed_in_teacher(Role::Schulleitung).await;
    admin_post(
        &app,
        &format!("/verwaltung/benutzer/{}/deaktivieren", teacher.user_id),
        &[],
    )
    .await;

    // Act
    let deactivated = app
        .new_browser()
        .login(&teacher.login, &teacher.password)
        .await;
    let unknown = app
        .new_browser()
        .login("niemand.hier", &teacher.password)
        .await;

    // Assert
    let deactivated = (
        deactivated.status().as_u16(),
        text_of(&deactivated.text().await.unwrap(), "#anmeldefehler"),
    );
    let unknown = (
        unknown.status().as_u16(),
        text_of(&unknown.text().await.unwrap(), "#anmeldefehler"),
    );
    assert_eq!(deactivated.0, 401);
    assert_eq!(deactivated, unknown);
}

#[tokio::test]
async fn resetting_access_ends_the_sessions_and_gives_a_new_setup_link() {
    // Arrange
    let (app, teacher, teacher_client) = admin_and_signed_in_teacher(Role::Schulleitung).await;

    // Act
    let resp = admin_post(
        &app,
        &format!("/verwaltung/benutzer/{}/zuruecksetzen", teacher.user_id),
        &[],
    )
    .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let path = setup_link_of(&resp.text().await.unwrap());
    let home = teacher_client.get("/").await;
    assert_eq!(home.status().as_u16(), 303, "the reset user is still in");
    assert_eq!(location(&home), "/anmelden?next=%2F");
    assert_eq!(
        app.new_browser()
            .login(&teacher.login, &teacher.password)
            .await
            .status()
            .as_u16(),
        401,
        "the old password still works"
    );
    assert_eq!(app.active_factor_count(&teacher), 0);
    let pending = not_enrolled(&app).await;
    assert!(
        pending.iter().any(|p| p.contains(&teacher.login)),
        "{pending:?}"
    );
    let again = app.new_browser();
    let redeemed = again.redeem(&path).await;
    assert_eq!(redeemed.status().as_u16(), 303);
    assert_eq!(location(&redeemed), "/einrichtung");
    let setup = again.get("/einrichtung").await.text().await.unwrap();
    assert_eq!(
        text_of(&setup, "ol.progress li[aria-current=step]").as_deref(),
        Some("Passwort")
    );
    assert_eq!(
        app.audit_with("zugang_zurueckgesetzt", Some("erfolg"))
            .len(),
        1
    );
}

#[tokio::test]
async fn a_teacher_gets_403_on_the_user_administration_even_after_step_up() {
    // Arrange
    let app = spawn_app().await;
    let teacher = app.create_user(Role::Lehrkraft);
    app.browser
        .sign_in_elevated(&teacher, &app.totp_now(&teacher))
        .await;

    // Act
    let resp = app.get(USERS).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 403);
    let body = resp.text().await.unwrap();
    assert_eq!(
        text_of(&body, "main h1").as_deref(),
        Some("Keine Berechtigung")
    );
    assert_eq!(count_of(&body, "table.users"), 0);
    let denied = app.audit_with("zugriff_verweigert", Some("verweigert"));
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].object, USERS);
}

#[tokio::test]
async fn an_anonymous_visitor_of_the_user_administration_is_sent_to_sign_in() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let resp = app.get(USERS).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/anmelden?next=%2Fverwaltung%2Fbenutzer");
}

#[tokio::test]
async fn an_administrator_without_elevation_is_sent_to_step_up() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_user(Role::Verwaltung);
    app.browser.sign_in_as(&admin).await;

    // Act
    let resp = app.get(USERS).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/step-up?next=%2Fverwaltung%2Fbenutzer");
    assert_eq!(count_of(&resp.text().await.unwrap(), "table.users"), 0);
}

/// Creates `o.jensen` through the admin form; returns the user id and the setup link path.
async fn create_newcomer(app: &TestApp) -> (i64, String) {
    let resp = admin_post(
        app,
        "/verwaltung/benutzer/neu",
        &[
            ("display_name", "Ole Jensen"),
            ("login", "o.jensen"),
            ("role", "lehrkraft"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200, "create o.jensen");
    let path = setup_link_of(&resp.text().await.unwrap());
    let id = users::find_by_login(&mut app.conn(), "o.jensen")
        .unwrap()
        .expect("o.jensen")
        .id;
    (id, path)
}

#[tokio::test]
async fn resetting_access_revokes_the_setup_link_issued_before() {
    // Arrange: a new user whose first link was never redeemed (say, it went astray).
    let (app, _teacher, _) = admin_and_signed_in_teacher(Role::Schulleitung).await;
    let (id, first_link) = create_newcomer(&app).await;

    // Act
    let reset = admin_post(
        &app,
        &format!("/verwaltung/benutzer/{id}/zuruecksetzen"),
        &[],
    )
    .await;
    let second_link = setup_link_of(&reset.text().await.unwrap());
    let old = app.new_browser().redeem(&first_link).await;

    // Assert
    assert_eq!(old.status().as_u16(), 410, "the astray link still works");
    assert_eq!(
        app.new_browser()
            .redeem(&second_link)
            .await
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn deactivating_a_user_invalidates_their_unused_setup_link() {
    // Arrange
    let (app, _teacher, _) = admin_and_signed_in_teacher(Role::Schulleitung).await;
    let (id, link) = create_newcomer(&app).await;

    // Act
    admin_post(
        &app,
        &format!("/verwaltung/benutzer/{id}/deaktivieren"),
        &[],
    )
    .await;
    let resp = app.new_browser().redeem(&link).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 410);
}
