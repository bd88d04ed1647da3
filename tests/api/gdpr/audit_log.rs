//! The headteacher's audit viewer filters by actor, pupil, action and time range; a record
//! changed in the database breaks `klassenbuch audit verify`, which names it.

use super::access_report::Scene;
use crate::helpers::spawn_app;
use diesel::prelude::*;
use klassenbuch::db::audit::NewAudit;
use klassenbuch::db::schema::audit_log;
use scraper::{Html, Selector};

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

#[tokio::test]
async fn the_viewer_shows_only_the_records_of_the_chosen_actor_pupil_action_and_days() {
    // Arrange
    let s = Scene::new().await;
    let teacher = s.app.elevated_browser_for(&s.class_teacher).await;
    teacher.get(&format!("/schueler/{}", s.albers)).await;
    let head = s.app.elevated_browser_for(&s.head).await;
    head.get(&format!("/schueler/{}", s.albers)).await;
    head.get(&format!("/schueler/{}", s.brandt)).await;
    let today = s.app.school_today();
    let yesterday = today.pred_opt().unwrap();
    let base = format!(
        "/verwaltung/protokoll?benutzer={}&schueler={}&aktion=schuelerdaten_angezeigt",
        s.class_teacher.user_id, s.albers
    );

    // Act
    let filtered = head.get(&format!("{base}&von={today}&bis={today}")).await;
    assert_eq!(filtered.status().as_u16(), 200);
    let filtered = filtered.text().await.unwrap();
    let earlier = head
        .get(&format!("{base}&von={yesterday}&bis={yesterday}"))
        .await
        .text()
        .await
        .unwrap();
    let unfiltered = head
        .get("/verwaltung/protokoll")
        .await
        .text()
        .await
        .unwrap();

    // Assert
    let expected = s
        .app
        .audit_with("schuelerdaten_angezeigt", None)
        .into_iter()
        .filter(|r| r.actor_user_id == Some(s.class_teacher.user_id))
        .filter(|r| r.object == format!("schueler:{}", s.albers))
        .count();
    let actors = texts(&filtered, "table.audit td.actor");
    assert_eq!(actors.len(), expected);
    assert!(expected > 0);
    assert!(actors.iter().all(|a| a == &s.class_teacher.display_name));
    assert!(
        texts(&filtered, "table.audit td.object")
            .iter()
            .all(|o| o == &format!("schueler:{}", s.albers))
    );
    assert!(
        texts(&filtered, "table.audit td.action")
            .iter()
            .all(|a| a == "schuelerdaten_angezeigt")
    );
    assert_eq!(texts(&earlier, "table.audit tbody tr").len(), 0);
    let all_actors = texts(&unfiltered, "table.audit td.actor");
    assert!(all_actors.contains(&s.head.display_name));
}

#[tokio::test]
async fn changing_one_audit_record_in_the_database_makes_audit_verify_fail_naming_it() {
    // Arrange: records in a school's chain and in the operator chain, interleaved.
    let app = spawn_app().await;
    let school = app.create_school("Schule am Kanal");
    let at = app.now_naive();
    for (i, school_id) in [Some(school), None, Some(school), None, Some(school)]
        .into_iter()
        .enumerate()
    {
        let event = NewAudit {
            school_id,
            action: "anmeldung".into(),
            object: format!("login:lehrkraft{i}"),
            result: "erfolg".into(),
            assurance: "aal1".into(),
            client_addr: "127.0.0.1".into(),
            detail: "faktor=passwort".into(),
            ..Default::default()
        };
        klassenbuch::db::audit::append(&mut app.conn(), at, &event).unwrap();
    }
    let ids: Vec<i64> = audit_log::table
        .filter(audit_log::school_id.eq(school))
        .select(audit_log::id)
        .order(audit_log::id)
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(ids.len(), 3);
    let target = ids[1];
    let verify = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_klassenbuch"))
            .args(["audit", "verify"])
            .env("KLASSENBUCH__DATABASE__URL", &app.db_url)
            .env_remove("KLASSENBUCH_CONFIG")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok_before, before) = verify();
    assert!(ok_before, "{before}");
    assert!(before.contains("5 Einträge geprüft"), "{before}");

    // Act
    diesel::update(audit_log::table.find(target))
        .set(audit_log::detail.eq("faktor=nichts"))
        .execute(&mut *app.conn())
        .unwrap();
    let (ok_after, after) = verify();

    // Assert
    assert!(!ok_after, "the changed record went unnoticed: {after}");
    assert!(
        after.contains(&format!("Eintrag {target} ")),
        "the message names the record {target}: {after}"
    );
}
