//! `klassenbuch school create` prints a one-time setup link that works once.

use crate::helpers::{TestDatabase, location, spawn_app_on};
use std::process::Command;

/// Runs `klassenbuch school create` against the SQLite database at `url`; returns stdout.
fn create_school_via_cli(url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_klassenbuch"))
        .args([
            "school",
            "create",
            "--name",
            "Testschule",
            "--headteacher-login",
            "chef",
        ])
        .env_remove("KLASSENBUCH_CONFIG")
        .env("KLASSENBUCH__DATABASE__URL", url)
        .output()
        .expect("run the klassenbuch binary");
    assert!(
        output.status.success(),
        "school create failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[tokio::test]
async fn the_setup_link_of_school_create_starts_the_setup_once() {
    // Arrange
    let db = TestDatabase::sqlite();
    let stdout = create_school_via_cli(&db.url);
    let link = stdout
        .split_whitespace()
        .find(|word| word.contains("/einrichtung/"))
        .unwrap_or_else(|| panic!("no setup link in: {stdout}"));
    let path = url::Url::parse(link)
        .expect("the link is a URL")
        .path()
        .to_owned();
    let app = spawn_app_on(&db.url).await;

    // Act
    let first = app.redeem(&path).await;
    let second = app.new_browser().redeem(&path).await;

    // Assert
    assert_eq!(first.status().as_u16(), 303);
    assert_eq!(location(&first), "/einrichtung");
    assert_eq!(app.get("/einrichtung").await.status().as_u16(), 200);
    assert_eq!(second.status().as_u16(), 410);
}
