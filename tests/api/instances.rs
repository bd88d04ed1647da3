//! Several app instances share one database: a session started on one is valid on all.

use crate::helpers::{spawn_app, spawn_app_on, text_of};
use klassenbuch::auth::roles::Role;

#[tokio::test]
async fn a_session_started_on_one_instance_is_valid_on_another() {
    // Arrange: PostgreSQL schema or SQLite file, shared by instances A and B.
    let a = spawn_app().await;
    let b = spawn_app_on(&a.db_url).await;
    assert_ne!(a.port, b.port);
    let user = a.create_user(Role::Lehrkraft);
    a.sign_in(&user).await;
    let cookie = a.browser.session_cookie().expect("session cookie from A");

    // Act
    let resp = b.get_with_cookie("/", &cookie).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().await.unwrap();
    assert_eq!(
        text_of(&body, "header .who .user").as_deref(),
        Some(user.display_name.as_str())
    );
}
