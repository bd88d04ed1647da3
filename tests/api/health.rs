//! Liveness and readiness.

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let resp = app.get("/healthz").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn readyz_answers_ok_when_the_database_answers() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let resp = app.get("/readyz").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
}
