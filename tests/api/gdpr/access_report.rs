//! The access report and export of one pupil: every stored item and every recorded view of
//! the pupil's class B data, nothing of another pupil; headteacher only, after step-up.

use super::seed::{self, Lesson, Stored};
use crate::helpers::register::school_day_at;
use crate::helpers::{TestApp, TestUser, location, spawn_app};
use klassenbuch::auth::roles::Role;
use klassenbuch::db::users;
use scraper::{Html, Selector};
use std::io::Read;

/// Albers in 7a and Brandt in 7b, both with data of every kind; the class teacher of 7a
/// and the headteacher.
pub struct Scene {
    pub app: TestApp,
    pub school_id: i64,
    pub albers: i64,
    pub brandt: i64,
    pub class_a: i64,
    pub class_teacher: TestUser,
    pub head: TestUser,
    pub albers_data: Stored,
    pub brandt_data: Stored,
}

impl Scene {
    pub async fn new() -> Scene {
        let app = spawn_app().await;
        app.clock.set(school_day_at(9, 30));
        let school_id = app.create_school("Gymnasium am Deich");
        let reg = app.seed_register(school_id);
        let today = app.school_today();
        let a = reg.class(&app, "7a", &["Albers"]);
        let b = reg.class(&app, "7b", &["Brandt"]);
        let class_teacher = app.create_user_in(school_id, Role::Lehrkraft);
        let head = app.create_user_in(school_id, Role::Schulleitung);
        users::assign_role(
            &mut app.conn(),
            school_id,
            class_teacher.user_id,
            Role::Klassenlehrkraft,
            Some(a.class_id),
        )
        .unwrap();
        let slot_a = reg.slot(&app, a.class_id, reg.maths, class_teacher.user_id, today, 2);
        let slot_b = reg.slot(&app, b.class_id, reg.maths, class_teacher.user_id, today, 3);
        let day = today - chrono::Duration::days(7);
        let lesson = |class_id, slot_id| Lesson {
            school_id,
            class_id,
            slot_id,
            subject_id: reg.maths,
            teacher_id: class_teacher.user_id,
        };
        let albers_data = seed::every_kind(
            &app,
            &lesson(a.class_id, slot_a),
            a.pupils[0],
            day,
            "Albers",
        );
        let brandt_data = seed::every_kind(
            &app,
            &lesson(b.class_id, slot_b),
            b.pupils[0],
            day,
            "Brandt",
        );
        Scene {
            school_id,
            albers: a.pupils[0],
            brandt: b.pupils[0],
            class_a: a.class_id,
            class_teacher,
            head,
            albers_data,
            brandt_data,
            app,
        }
    }
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

#[tokio::test]
async fn the_report_of_a_pupil_holds_everything_stored_and_every_view_and_nothing_of_another_pupil()
{
    // Arrange
    let s = Scene::new().await;
    let teacher = s.app.elevated_browser_for(&s.class_teacher).await;
    let resp = teacher.get(&format!("/schueler/{}", s.albers)).await;
    assert_eq!(resp.status().as_u16(), 200);
    let views = s
        .app
        .audit_with("schuelerdaten_angezeigt", None)
        .into_iter()
        .filter(|r| r.object == format!("schueler:{}", s.albers))
        .filter(|r| r.actor_user_id == Some(s.class_teacher.user_id))
        .count();
    assert!(views >= 5, "the teacher's view left {views} read records");
    let head = s.app.elevated_browser_for(&s.head).await;

    // Act
    let resp = head
        .get(&format!("/verwaltung/auskunft/{}", s.albers))
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().await.unwrap();
    for value in &s.albers_data.values {
        assert!(body.contains(value.as_str()), "the report lacks {value}");
    }
    assert!(body.contains("Albers-Foto".len().to_string().as_str()));
    for value in &s.brandt_data.values {
        assert!(
            !body.contains(value.as_str()),
            "the report shows Brandt's {value}"
        );
    }
    assert!(!body.contains("Brandt"), "the report names the other pupil");
    assert!(
        !body.contains(&s.albers_data.notebook_text),
        "the notebook's text belongs to its teacher"
    );
    assert_eq!(texts(&body, "table.notebook tbody tr").len(), 1);
    assert_eq!(texts(&body, "table.marks tbody tr").len(), 1);
    let viewers: Vec<String> = texts(&body, "table.accesses tbody tr")
        .into_iter()
        .filter(|row| {
            row.contains(&s.class_teacher.display_name) && row.contains("Schülerdaten angezeigt")
        })
        .collect();
    assert_eq!(viewers.len(), views, "every recorded view is listed once");
    let report_records = s.app.audit_with("auskunft_erstellt", None);
    assert_eq!(report_records.len(), 1);
    assert_eq!(report_records[0].object, format!("schueler:{}", s.albers));
}

#[tokio::test]
async fn the_export_is_a_zip_of_json_and_csv_with_the_pupils_data_and_views_and_is_audited() {
    // Arrange
    let s = Scene::new().await;
    let teacher = s.app.elevated_browser_for(&s.class_teacher).await;
    teacher.get(&format!("/schueler/{}", s.albers)).await;
    let head = s.app.elevated_browser_for(&s.head).await;

    // Act
    let resp = head
        .get(&format!("/verwaltung/auskunft/{}/export.zip", s.albers))
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/zip"
    );
    let bytes = resp.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        zip.by_name(name)
            .unwrap_or_else(|_| panic!("{name} missing"))
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let json = read("auskunft.json");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["pupil"]["surname"], "Albers");
    for value in &s.albers_data.values {
        assert!(json.contains(value.as_str()), "the JSON lacks {value}");
    }
    for value in &s.brandt_data.values {
        assert!(
            !json.contains(value.as_str()),
            "the JSON holds Brandt's {value}"
        );
    }
    let views = read("zugriffe.csv");
    assert!(views.contains(&s.class_teacher.display_name));
    assert!(read("anwesenheit.csv").contains("Albers-Thema"));
    assert!(read("erziehungsberechtigte.csv").contains("Albers-Mutter"));
    assert!(read("foto.jpg").contains("Albers-Foto"));
    let exports = s.app.audit_with("export", None);
    assert!(
        exports
            .iter()
            .any(|r| r.object == format!("schueler:{}", s.albers))
    );
}

#[tokio::test]
async fn only_the_elevated_headteacher_gets_the_report_and_another_schools_pupil_is_not_found() {
    // Arrange
    let s = Scene::new().await;
    let path = format!("/verwaltung/auskunft/{}", s.albers);
    let teacher = s.app.elevated_browser_for(&s.class_teacher).await;
    let head = s.app.browser_for(&s.head).await;
    let other_school = s.app.create_school("Andere Schule");
    let other_head = s.app.create_user_in(other_school, Role::Schulleitung);
    let stranger = s.app.elevated_browser_for(&other_head).await;

    // Act
    let by_teacher = teacher.get(&path).await;
    let without_step_up = head.get(&path).await;
    let by_stranger = stranger.get(&path).await;

    // Assert
    assert_eq!(by_teacher.status().as_u16(), 403);
    assert_eq!(without_step_up.status().as_u16(), 303);
    assert!(location(&without_step_up).starts_with("/step-up"));
    assert_eq!(by_stranger.status().as_u16(), 404);
    let refusals = s.app.audit_with("zugriff_verweigert", Some("verweigert"));
    assert!(
        refusals
            .iter()
            .any(|r| r.actor_user_id == Some(other_head.user_id)
                && r.object == format!("schueler:{}", s.albers)),
        "the refusal is audited"
    );
    let _ = (s.class_a, s.school_id, s.brandt);
}

#[tokio::test]
async fn a_view_of_the_class_absences_appears_in_the_report_of_its_pupils_and_not_of_others() {
    // Arrange
    let s = Scene::new().await;
    let teacher = s.app.elevated_browser_for(&s.class_teacher).await;
    let resp = teacher
        .get(&format!("/klassen/{}/fehlzeiten", s.class_a))
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let head = s.app.elevated_browser_for(&s.head).await;

    // Act
    let albers = head
        .get(&format!("/verwaltung/auskunft/{}", s.albers))
        .await
        .text()
        .await
        .unwrap();
    let brandt = head
        .get(&format!("/verwaltung/auskunft/{}", s.brandt))
        .await
        .text()
        .await
        .unwrap();

    // Assert
    let class_views = |body: &str| {
        texts(body, "table.accesses td.action")
            .into_iter()
            .filter(|a| a == "Fehlzeiten der Klasse angezeigt")
            .count()
    };
    assert_eq!(class_views(&albers), 1);
    assert_eq!(class_views(&brandt), 0);
}
