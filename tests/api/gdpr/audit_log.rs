//! The headteacher's audit viewer filters by actor, pupil, action and time range; a record
//! changed in the database breaks `klassenbuch audit verify`, which names it.

use super::access_report::Scene;
use crate::helpers::spawn_app;
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
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
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    app.browser.sign_in_as(&user).await;
    app.new_browser()
        .login(&user.login, "Falsches-Passwort-123456")
        .await;
    let ids: Vec<i64> = audit_log::table
        .select(audit_log::id)
        .order(audit_log::id)
        .load(&mut *app.conn())
        .unwrap();
    assert!(ids.len() >= 2);
    let target = ids[ids.len() / 2];
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_klassenbuch"))
            .args(["audit", "verify"])
            .env("KLASSENBUCH__DATABASE__URL", &app.db_url)
            .env_remove("KLASSENBUCH_CONFIG")
            .output()
            .unwrap()
    };
    let before = verify();
    assert!(
        before.status.success(),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );

    // Act
    diesel::sql_query(format!(
        "UPDATE audit_log SET detail = 'faktor=nichts' WHERE id = {target}"
    ))
    .execute(&mut *app.conn())
    .unwrap();
    let after = verify();

    // Assert
    assert!(!after.status.success());
    let err = String::from_utf8_lossy(&after.stderr);
    assert!(
        err.contains(&format!("Eintrag {target} ")),
        "the message names the record: {err}"
    );
}
