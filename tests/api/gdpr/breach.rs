//! The breach notification draft: for an account and a time range, which data groups of how
//! many pupils were viewed, from the audit log; the form pre-filled; the 72-hour deadline.

use super::access_report::Scene;
use scraper::{Html, Selector};

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

#[tokio::test]
async fn the_draft_counts_the_pupils_whose_data_an_account_viewed_and_prefills_the_notification() {
    // Arrange: the class teacher views Albers's page; the headteacher views Brandt's.
    let s = Scene::new().await;
    let teacher = s.app.elevated_browser_for(&s.class_teacher).await;
    assert_eq!(
        teacher
            .get(&format!("/schueler/{}", s.albers))
            .await
            .status()
            .as_u16(),
        200
    );
    let head = s.app.elevated_browser_for(&s.head).await;
    assert_eq!(
        head.get(&format!("/schueler/{}", s.brandt))
            .await
            .status()
            .as_u16(),
        200
    );
    let today = s.app.school_today();

    // Act
    let body = head
        .get(&format!(
            "/verwaltung/datenpanne?benutzer={}&von={today}&bis={today}&bekannt={today}T08:00",
            s.class_teacher.user_id
        ))
        .await
        .text()
        .await
        .unwrap();
    let everyone = head
        .get(&format!("/verwaltung/datenpanne?von={today}&bis={today}"))
        .await
        .text()
        .await
        .unwrap();

    // Assert
    assert_eq!(texts(&body, "p.summary strong.pupils"), ["1"]);
    let groups = texts(&body, "table.groups td.group");
    assert!(
        groups.contains(&"Anschrift, E-Mail, Telefon".to_owned()),
        "{groups:?}"
    );
    assert!(
        groups.contains(&"Erziehungsberechtigte".to_owned()),
        "{groups:?}"
    );
    assert!(
        texts(&body, "table.groups td.pupils")
            .iter()
            .all(|n| n == "1")
    );
    let numbers = texts(&body, "textarea#anzahl");
    assert!(numbers[0].starts_with("ca. 1 betroffene"), "{numbers:?}");
    assert!(texts(&body, "textarea#art")[0].contains(&s.class_teacher.display_name));
    let due = texts(&body, "strong.due");
    assert_eq!(
        due,
        [format!(
            "{} 08:00 Uhr",
            (today + chrono::Duration::days(3)).format("%d.%m.%Y")
        )]
    );
    assert_eq!(texts(&everyone, "p.summary strong.pupils"), ["2"]);
    assert_eq!(s.app.audit_with("datenpanne_entwurf", None).len(), 2);
}
