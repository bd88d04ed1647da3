//! The teacher's notebook: entries about pupils of the own lessons, encrypted, visible to the
//! owner only — not to a colleague, not to the class teacher, not to the headteacher.

use crate::helpers::{TestClient, count_of, csrf_of, text_of};
use crate::pupils_access::Fixture;
use diesel::prelude::*;
use klassenbuch::db::schema::{change_history, notebook_entries};

const ENTRY: &str = "Zwischennote 2+ nach Referat über Brüche";

async fn write(b: &TestClient, pupil: i64, kind: &str, text: &str) -> reqwest::Response {
    let token = csrf_of(&b.get("/notizbuch").await.text().await.unwrap());
    b.post_form(
        "/notizbuch",
        &[
            ("csrf", &token),
            ("schueler", &pupil.to_string()),
            ("art", kind),
            ("text", text),
        ],
    )
    .await
}

fn entry_ids(f: &Fixture) -> Vec<i64> {
    notebook_entries::table
        .select(notebook_entries::id)
        .order(notebook_entries::id)
        .load(&mut f.app.conn())
        .unwrap()
}

#[tokio::test]
async fn a_teacher_writes_an_entry_about_a_pupil_of_the_own_lessons_and_only_the_teacher_sees_it() {
    // Arrange
    let f = Fixture::new().await;
    let teacher = f.elevated(&f.teacher).await;

    // Act
    let resp = write(&teacher, f.albers, "zwischennote", ENTRY).await;
    let own = teacher.get("/notizbuch").await.text().await.unwrap();
    let colleague = f
        .elevated(&f.class_teacher)
        .await
        .get("/notizbuch")
        .await
        .text()
        .await
        .unwrap();
    let head = f.elevated(&f.head).await.get("/notizbuch").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        count_of(
            &own,
            &format!("article.pupil[data-pupil='{}'] li", f.albers)
        ),
        1
    );
    assert!(text_of(&own, "article.pupil li").unwrap().contains(ENTRY));
    assert!(!colleague.contains(ENTRY));
    assert_eq!(count_of(&colleague, "article.pupil"), 0);
    assert_eq!(head.status().as_u16(), 404);
    assert!(!head.text().await.unwrap().contains(ENTRY));
    let stored: Vec<String> = notebook_entries::table
        .select(notebook_entries::text_enc)
        .load(&mut f.app.conn())
        .unwrap();
    assert!(!stored[0].contains("Referat"));
}

#[tokio::test]
async fn a_colleague_or_the_headteacher_guessing_an_entry_id_gets_404_and_the_entry_stays() {
    // Arrange
    let f = Fixture::new().await;
    let teacher = f.elevated(&f.teacher).await;
    write(&teacher, f.albers, "beitrag", ENTRY).await;
    let id = entry_ids(&f)[0];

    for user in [&f.class_teacher, &f.outsider, &f.head] {
        // Act
        let b = f.elevated(user).await;
        let token = csrf_of(&b.get("/konto").await.text().await.unwrap());
        let resp = b
            .post_form(&format!("/notizbuch/{id}/loeschen"), &[("csrf", &token)])
            .await;

        // Assert
        assert_eq!(resp.status().as_u16(), 404, "as {}", user.login);
    }
    assert_eq!(entry_ids(&f), [id]);
    assert_eq!(
        f.audits("zugriff_verweigert", &format!("notizbuch:{id}"))
            .len(),
        3
    );
}

#[tokio::test]
async fn the_owner_deletes_an_own_entry_and_the_history_keeps_only_a_marker() {
    // Arrange
    let f = Fixture::new().await;
    let teacher = f.elevated(&f.teacher).await;
    write(&teacher, f.brandt, "lernverhalten", ENTRY).await;
    let id = entry_ids(&f)[0];
    let token = csrf_of(&teacher.get("/notizbuch").await.text().await.unwrap());

    // Act
    let resp = teacher
        .post_form(&format!("/notizbuch/{id}/loeschen"), &[("csrf", &token)])
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert!(entry_ids(&f).is_empty());
    let rows: Vec<(String, String)> = change_history::table
        .filter(change_history::field.eq("notizbuch"))
        .filter(change_history::entity_id.eq(f.brandt))
        .order(change_history::id)
        .select((change_history::old_value, change_history::new_value))
        .load(&mut f.app.conn())
        .unwrap();
    assert_eq!(
        rows,
        [
            (String::new(), "[verschlüsselt]".to_owned()),
            ("[verschlüsselt]".to_owned(), String::new())
        ]
    );
}

#[tokio::test]
async fn an_entry_about_a_pupil_of_someone_elses_lessons_is_refused_naming_the_field() {
    // Arrange
    let f = Fixture::new().await;
    let teacher = f.elevated(&f.teacher).await;

    // Act
    let foreign = write(&teacher, f.dittmer, "beitrag", ENTRY).await;
    let no_kind = write(&teacher, f.albers, "kopfnote", ENTRY).await;

    // Assert
    assert_eq!(foreign.status().as_u16(), 422);
    assert!(
        text_of(&foreign.text().await.unwrap(), "#nb-schueler-fehler")
            .unwrap()
            .starts_with("Schülerin/Schüler:")
    );
    assert_eq!(no_kind.status().as_u16(), 422);
    assert!(
        text_of(&no_kind.text().await.unwrap(), "#nb-art-fehler")
            .unwrap()
            .starts_with("Art:")
    );
    assert!(entry_ids(&f).is_empty());
}

#[tokio::test]
async fn the_notebook_needs_a_second_factor_and_its_list_is_audited_per_pupil() {
    // Arrange
    let f = Fixture::new().await;
    let teacher = f.elevated(&f.teacher).await;
    write(&teacher, f.albers, "beitrag", "erster Eintrag").await;
    write(&teacher, f.albers, "beitrag", "zweiter Eintrag").await;
    write(&teacher, f.brandt, "beitrag", "dritter Eintrag").await;
    let aal1 = f.app.browser_for(&f.teacher).await;

    // Act
    let without = aal1.get("/notizbuch").await;
    let before = f
        .audits("schuelerdaten_angezeigt", &format!("schueler:{}", f.albers))
        .len();
    teacher.get("/notizbuch").await;
    let after_albers = f.audits("schuelerdaten_angezeigt", &format!("schueler:{}", f.albers));

    // Assert
    assert_eq!(without.status().as_u16(), 303);
    assert!(!without.text().await.unwrap().contains("Eintrag"));
    assert_eq!(after_albers.len(), before + 1);
    assert_eq!(after_albers.last().unwrap().detail, "datengruppe=notizbuch");
    assert!(f.read_groups(f.brandt).contains(&"notizbuch".to_owned()));
}
