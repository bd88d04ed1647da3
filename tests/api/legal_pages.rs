//! The legal documents are readable by anyone and linked from every page.

use crate::helpers::{count_of, spawn_app, text_of};

const DOCUMENTS: [(&str, &str); 3] = [
    ("/datenschutz", "Datenschutzhinweise"),
    ("/nutzungsbedingungen", "Nutzungsbedingungen"),
    ("/dienstanweisung", "Dienstanweisung"),
];

#[tokio::test]
async fn the_legal_documents_are_readable_without_signing_in() {
    // Arrange
    let app = spawn_app().await;

    for (path, title) in DOCUMENTS {
        // Act
        let resp = app.get(path).await;

        // Assert
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let body = resp.text().await.unwrap();
        assert_eq!(text_of(&body, "main h1").as_deref(), Some(title), "{path}");
    }
}

#[tokio::test]
async fn the_footer_of_the_sign_in_page_links_to_every_legal_document() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = app.get("/anmelden").await.text().await.unwrap();

    // Assert
    for (path, _) in DOCUMENTS {
        let selector = format!("footer a[href=\"{path}\"]");
        assert_eq!(count_of(&body, &selector), 1, "{selector}");
    }
}

#[tokio::test]
async fn the_privacy_notice_names_the_school_its_headteacher_and_the_data_protection_officer() {
    // Arrange
    let app = spawn_app().await;
    let school_id = app.create_school("Gemeinschaftsschule am Deich");
    let head = app.create_user_in(school_id, klassenbuch::auth::roles::Role::Schulleitung);
    let b = app.elevated_browser_for(&head).await;
    let csrf = b.csrf_from("/verwaltung/schulangaben").await;
    let saved = b
        .post_form(
            "/verwaltung/schulangaben",
            &[
                ("csrf", &csrf),
                ("school_address", "Deichstraße 5, 25813 Husum"),
                ("dpo_name", "Jens Hansen"),
                ("dpo_email", "dsb@deich.example"),
                ("dpo_phone", "04841 1234"),
                ("operator", ""),
            ],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);

    // Act
    let own = b.get("/datenschutz").await.text().await.unwrap();
    let anonymous = app
        .new_browser()
        .get("/datenschutz")
        .await
        .text()
        .await
        .unwrap();

    // Assert
    let own = squeeze(&text_of(&own, "main").unwrap());
    assert!(
        own.contains("Gemeinschaftsschule am Deich, Deichstraße 5, 25813 Husum"),
        "{own}"
    );
    assert!(own.contains(&head.display_name), "{own}");
    assert!(
        own.contains("Jens Hansen, dsb@deich.example, Telefon 04841 1234"),
        "{own}"
    );
    let anonymous = squeeze(&text_of(&anonymous, "main").unwrap());
    assert!(
        anonymous.contains("DatenschutzbeauftragterSchule@bimi.landsh.de"),
        "without a school the central DPO is named: {anonymous}"
    );
    assert!(!anonymous.contains("{{"), "every placeholder is filled");
}

#[tokio::test]
async fn the_privacy_notice_and_the_terms_show_their_version() {
    // Arrange
    let app = spawn_app().await;

    for (path, doc) in [
        ("/datenschutz", klassenbuch::legal::Document::Datenschutz),
        (
            "/nutzungsbedingungen",
            klassenbuch::legal::Document::Nutzungsbedingungen,
        ),
    ] {
        // Act
        let body = app.get(path).await.text().await.unwrap();

        // Assert
        assert_eq!(
            text_of(&body, "main p.version"),
            Some(format!("Fassung {}", klassenbuch::legal::version(doc))),
            "{path}"
        );
    }
}

#[tokio::test]
async fn without_a_school_the_dienstanweisung_page_explains_where_to_find_it() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = app.get("/dienstanweisung").await.text().await.unwrap();

    // Assert
    let text = squeeze(&text_of(&body, "main").unwrap());
    assert!(
        text.contains("erlässt die Schulleitung jeder Schule"),
        "{text}"
    );
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
