//! The forms of the pupil page: each takes only the fields of its data group from users who
//! may change that group for this pupil; ids come from the path and the session. Values are
//! stored encrypted; the change history holds markers, the audit names the group only.

use crate::helpers::{TestClient, count_of, csrf_of, location, text_of};
use crate::pupils_access::{ADDRESS, Fixture, MEASURE, SECRETS, assert_no_secrets};
use diesel::prelude::*;
use klassenbuch::db::schema::{
    change_history, conduct_notes, guardians, health_codes, pupil_profiles, support_measures,
};

async fn csrf(b: &TestClient, f: &Fixture, pupil: i64) -> String {
    csrf_of(&b.get(&f.page(pupil)).await.text().await.unwrap())
}

fn history(f: &Fixture, pupil: i64, field: &str) -> Vec<(String, String)> {
    change_history::table
        .filter(change_history::entity.eq("pupil"))
        .filter(change_history::entity_id.eq(pupil))
        .filter(change_history::field.eq(field))
        .order(change_history::id)
        .select((change_history::old_value, change_history::new_value))
        .load(&mut f.app.conn())
        .unwrap()
}

fn profile_row_count(f: &Fixture, pupil: i64) -> i64 {
    pupil_profiles::table
        .filter(pupil_profiles::pupil_id.eq(pupil))
        .count()
        .get_result(&mut f.app.conn())
        .unwrap()
}

/// Every sealed profile value of `pupil`, joined (to search for plaintext).
fn stored_profile(f: &Fixture, pupil: i64) -> String {
    let rows: Vec<(Option<String>, Option<String>, Option<String>)> = pupil_profiles::table
        .filter(pupil_profiles::pupil_id.eq(pupil))
        .select((
            pupil_profiles::address_enc,
            pupil_profiles::email_enc,
            pupil_profiles::phone_enc,
        ))
        .load(&mut f.app.conn())
        .unwrap();
    format!("{rows:?}")
}

#[tokio::test]
async fn the_office_changes_contact_data_stored_encrypted_and_the_history_holds_only_markers() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.elevated(&f.office).await;
    let token = csrf(&b, &f, f.albers).await;
    let path = format!("/schueler/{}/stammdaten", f.albers);

    // Act
    let resp = b
        .post_form(
            &path,
            &[
                ("csrf", &token),
                ("anschrift", "Lotsenweg 3\n24939 Flensburg"),
                ("email", "neu@example.org"),
                ("telefon", "0461 998877"),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), format!("/schueler/{}#kontakt", f.albers));
    let body = b.get(&f.page(f.albers)).await.text().await.unwrap();
    assert_eq!(
        text_of(&body, "dd[data-field=telefon]").as_deref(),
        Some("0461 998877")
    );
    assert!(body.contains("Lotsenweg 3"));
    assert!(!body.contains(ADDRESS));
    let stored = stored_profile(&f, f.albers);
    for plain in ["Lotsenweg", "neu@example.org", "998877"] {
        assert!(!stored.contains(plain), "»{plain}« is stored in plain text");
    }
    assert_eq!(
        history(&f, f.albers, "kontakt"),
        [("[verschlüsselt]".to_owned(), "[verschlüsselt]".to_owned())]
    );
    let changes = f.audits("schuelerdaten_geaendert", &format!("schueler:{}", f.albers));
    assert_eq!(changes.len(), 1);
    assert!(changes[0].detail.starts_with("datengruppe=kontakt"));
    assert!(!changes[0].detail.contains("Lotsenweg"));
}

#[tokio::test]
async fn extra_fields_naming_another_school_or_pupil_are_ignored_and_nothing_changes_for_another_pupil()
 {
    // Arrange
    let f = Fixture::new().await;
    let b = f.elevated(&f.office).await;
    let token = csrf(&b, &f, f.albers).await;
    let other_school = f.app.create_school("Schule am Strand").to_string();
    let brandt = f.brandt.to_string();

    // Act
    let resp = b
        .post_form(
            &format!("/schueler/{}/stammdaten", f.albers),
            &[
                ("csrf", &token),
                ("telefon", "0461 123456"),
                ("school_id", &other_school),
                ("pupil_id", &brandt),
                ("schueler", &brandt),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(profile_row_count(&f, f.brandt), 0);
    let school_of_profile: i64 = pupil_profiles::table
        .filter(pupil_profiles::pupil_id.eq(f.albers))
        .select(pupil_profiles::school_id)
        .first(&mut f.app.conn())
        .unwrap();
    assert_eq!(school_of_profile, f.school_id);
    let body = b.get(&f.page(f.albers)).await.text().await.unwrap();
    assert_eq!(
        text_of(&body, "dd[data-field=telefon]").as_deref(),
        Some("0461 123456")
    );
}

#[tokio::test]
async fn the_headteacher_changes_the_date_of_birth_but_contact_fields_in_the_same_post_are_ignored()
{
    // Arrange
    let f = Fixture::new().await;
    let b = f.elevated(&f.head).await;
    let token = csrf(&b, &f, f.albers).await;

    // Act
    let resp = b
        .post_form(
            &format!("/schueler/{}/stammdaten", f.albers),
            &[
                ("csrf", &token),
                ("geburtsdatum", "2014-06-01"),
                ("anschrift", "Überschrieben 1"),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    let body = b.get(&f.page(f.albers)).await.text().await.unwrap();
    assert_eq!(
        text_of(&body, "dd[data-field=geburtsdatum]").as_deref(),
        Some("01.06.2014")
    );
    assert!(body.contains(ADDRESS));
    assert!(!body.contains("Überschrieben"));
    assert_eq!(history(&f, f.albers, "stammdaten").len(), 1);
    assert!(history(&f, f.albers, "kontakt").is_empty());
}

#[tokio::test]
async fn an_invalid_email_and_a_future_date_of_birth_are_refused_with_messages_that_name_the_field()
{
    // Arrange
    let f = Fixture::new().await;
    let b = f.elevated(&f.office).await;
    let token = csrf(&b, &f, f.albers).await;
    let before = stored_profile(&f, f.albers);

    // Act
    let resp = b
        .post_form(
            &format!("/schueler/{}/stammdaten", f.albers),
            &[
                ("csrf", &token),
                ("email", "kein at-zeichen"),
                ("geburtsdatum", "2099-01-01"),
                ("telefon", "0461 5"),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 422);
    let body = resp.text().await.unwrap();
    assert!(
        text_of(&body, "#email-fehler")
            .unwrap()
            .starts_with("E-Mail:")
    );
    assert!(
        text_of(&body, "#geburtsdatum-fehler")
            .unwrap()
            .starts_with("Geburtsdatum:")
    );
    assert_eq!(count_of(&body, "#email[aria-invalid=true]"), 1);
    assert_eq!(
        stored_profile(&f, f.albers),
        before,
        "nothing is half-written"
    );
}

#[tokio::test]
async fn a_subject_teacher_cannot_post_profile_data_or_support_data() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.elevated(&f.teacher).await;
    let token = csrf(&b, &f, f.albers).await;
    let before = stored_profile(&f, f.albers);

    // Act
    let profile = b
        .post_form(
            &format!("/schueler/{}/stammdaten", f.albers),
            &[("csrf", &token), ("anschrift", "Irgendwo 1")],
        )
        .await;
    let support = b
        .post_form(
            &format!("/schueler/{}/foerderung", f.albers),
            &[
                ("csrf", &token),
                ("aktion", "massnahme_anlegen"),
                ("art", "notenschutz"),
                ("beschreibung", "x"),
                ("gueltig_ab", "2027-03-01"),
            ],
        )
        .await;

    // Assert
    assert_eq!(profile.status().as_u16(), 404);
    assert_eq!(support.status().as_u16(), 404);
    assert_eq!(stored_profile(&f, f.albers), before);
    let measures: i64 = support_measures::table
        .count()
        .get_result(&mut f.app.conn())
        .unwrap();
    assert_eq!(measures, 1);
}

#[tokio::test]
async fn the_office_adds_a_guardian_and_cannot_remove_another_pupils_guardian_through_this_pupil() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.elevated(&f.office).await;
    let token = csrf(&b, &f, f.albers).await;
    let path = format!("/schueler/{}/erziehungsberechtigte", f.albers);

    // Act
    let added = b
        .post_form(
            &path,
            &[
                ("csrf", &token),
                ("name", "Kai Albers"),
                ("beziehung", "Vater"),
                ("sorgerecht", "teilweise"),
                ("kontakt", "kai@example.org"),
                ("pupil_id", &f.brandt.to_string()),
            ],
        )
        .await;
    let foreign = b
        .post_form(
            &path,
            &[
                ("csrf", &token),
                ("entfernen", &f.brandt_guardian.to_string()),
            ],
        )
        .await;

    // Assert
    assert_eq!(added.status().as_u16(), 303);
    let body = b.get(&f.page(f.albers)).await.text().await.unwrap();
    assert_eq!(count_of(&body, "section#erziehungsberechtigte tbody tr"), 2);
    assert!(body.contains("Kai Albers"));
    assert_eq!(foreign.status().as_u16(), 404);
    let of_brandt: i64 = guardians::table
        .filter(guardians::pupil_id.eq(f.brandt))
        .count()
        .get_result(&mut f.app.conn())
        .unwrap();
    assert_eq!(of_brandt, 1);
    let stored: Vec<String> = guardians::table
        .select(guardians::name_enc)
        .load(&mut f.app.conn())
        .unwrap();
    assert!(stored.iter().all(|s| !s.contains("Kai Albers")));
    assert_eq!(
        history(&f, f.albers, "erziehungsberechtigte"),
        [(String::new(), "[verschlüsselt]".to_owned())]
    );
}

#[tokio::test]
async fn a_guardian_without_name_or_custody_is_refused_naming_the_fields() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.elevated(&f.office).await;
    let token = csrf(&b, &f, f.albers).await;

    // Act
    let resp = b
        .post_form(
            &format!("/schueler/{}/erziehungsberechtigte", f.albers),
            &[
                ("csrf", &token),
                ("name", " "),
                ("beziehung", "Mutter"),
                ("sorgerecht", "vielleicht"),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 422);
    let body = resp.text().await.unwrap();
    assert!(
        text_of(&body, "#ezb-name-fehler")
            .unwrap()
            .starts_with("Name:")
    );
    assert!(
        text_of(&body, "#ezb-sorgerecht-fehler")
            .unwrap()
            .starts_with("Sorgerecht:")
    );
    let n: i64 = guardians::table
        .count()
        .get_result(&mut f.app.conn())
        .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn the_headteacher_who_only_reads_guardians_cannot_remove_one() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.elevated(&f.head).await;
    let token = csrf(&b, &f, f.albers).await;

    // Act
    let resp = b
        .post_form(
            &format!("/schueler/{}/erziehungsberechtigte", f.albers),
            &[
                ("csrf", &token),
                ("entfernen", &f.brandt_guardian.to_string()),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 404);
    let n: i64 = guardians::table
        .count()
        .get_result(&mut f.app.conn())
        .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn the_class_teacher_records_a_measure_encrypted_and_the_subject_teacher_reads_it() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let token = csrf(&ct, &f, f.brandt).await;
    let path = format!("/schueler/{}/foerderung", f.brandt);

    // Act
    let measure = ct
        .post_form(
            &path,
            &[
                ("csrf", &token),
                ("aktion", "massnahme_anlegen"),
                ("art", "notenschutz"),
                ("beschreibung", "Keine Bewertung des Vorlesens"),
                ("gueltig_ab", "2027-03-01"),
                ("gueltig_bis", "2027-07-31"),
            ],
        )
        .await;
    let code = ct
        .post_form(
            &path,
            &[
                ("csrf", &token),
                ("aktion", "code_zuordnen"),
                ("code", &f.health_code.to_string()),
            ],
        )
        .await;

    // Assert
    assert_eq!(measure.status().as_u16(), 303);
    assert_eq!(code.status().as_u16(), 303);
    let stored: Vec<String> = support_measures::table
        .filter(support_measures::pupil_id.eq(f.brandt))
        .select(support_measures::detail_enc)
        .load(&mut f.app.conn())
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains("Vorlesen"));
    let teacher_view = f.page_as(&f.teacher, f.brandt).await;
    assert!(teacher_view.contains("Keine Bewertung des Vorlesens"));
    assert!(teacher_view.contains("01.03.2027 bis 31.07.2027"));
    assert!(teacher_view.contains("G7"));
    assert_eq!(history(&f, f.brandt, "foerderung").len(), 2);
}

#[tokio::test]
async fn a_measure_ending_before_it_starts_is_refused_naming_the_field() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let token = csrf(&ct, &f, f.brandt).await;

    // Act
    let resp = ct
        .post_form(
            &format!("/schueler/{}/foerderung", f.brandt),
            &[
                ("csrf", &token),
                ("aktion", "massnahme_anlegen"),
                ("art", "notenschutz"),
                ("beschreibung", "x"),
                ("gueltig_ab", "2027-03-01"),
                ("gueltig_bis", "2027-02-01"),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 422);
    let body = resp.text().await.unwrap();
    assert!(
        text_of(&body, "#fm-bis-fehler")
            .unwrap()
            .starts_with("Gültig bis:")
    );
}

#[tokio::test]
async fn a_class_teacher_cannot_change_support_data_of_a_pupil_of_another_class() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let token = csrf(&ct, &f, f.albers).await;

    // Act
    let resp = ct
        .post_form(
            &format!("/schueler/{}/foerderung", f.dittmer),
            &[
                ("csrf", &token),
                ("aktion", "code_zuordnen"),
                ("code", &f.health_code.to_string()),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 404);
}

#[tokio::test]
async fn the_headteacher_keeps_the_health_code_list_with_the_meaning_encrypted() {
    // Arrange
    let f = Fixture::new().await;
    let head = f.elevated(&f.head).await;
    let token = csrf_of(
        &head
            .get("/schule/gesundheitscodes")
            .await
            .text()
            .await
            .unwrap(),
    );

    // Act
    let added = head
        .post_form(
            "/schule/gesundheitscodes",
            &[
                ("csrf", &token),
                ("code", "H2"),
                ("bedeutung", "Hörbeeinträchtigung links"),
            ],
        )
        .await;
    let twice = head
        .post_form(
            "/schule/gesundheitscodes",
            &[
                ("csrf", &token),
                ("code", "H2"),
                ("bedeutung", "noch einmal"),
            ],
        )
        .await;
    let office = f.elevated(&f.office).await;
    let office_view = office.get("/schule/gesundheitscodes").await;

    // Assert
    assert_eq!(added.status().as_u16(), 303);
    assert_eq!(twice.status().as_u16(), 422);
    assert!(
        text_of(&twice.text().await.unwrap(), "#gc-code-fehler")
            .unwrap()
            .starts_with("Code:")
    );
    let meanings: Vec<String> = health_codes::table
        .select(health_codes::meaning_enc)
        .load(&mut f.app.conn())
        .unwrap();
    assert!(meanings.iter().all(|m| !m.contains("Hörbeeinträchtigung")));
    let list = head
        .get("/schule/gesundheitscodes")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("Hörbeeinträchtigung links"));
    assert_eq!(office_view.status().as_u16(), 404);
}

#[tokio::test]
async fn a_teacher_of_the_pupil_writes_a_conduct_note_and_one_who_does_not_teach_the_pupil_cannot()
{
    // Arrange
    let f = Fixture::new().await;
    let teacher = f.elevated(&f.teacher).await;
    let token = csrf(&teacher, &f, f.brandt).await;
    let outsider = f.elevated(&f.outsider).await;
    let outsider_token = csrf_of(&outsider.get("/konto").await.text().await.unwrap());

    // Act
    let empty = teacher
        .post_form(
            &format!("/schueler/{}/verhalten", f.brandt),
            &[("csrf", &token), ("text", "")],
        )
        .await;
    let written = teacher
        .post_form(
            &format!("/schueler/{}/verhalten", f.brandt),
            &[
                ("csrf", &token),
                ("text", "Arbeitet konzentriert mit"),
                ("author_id", &f.head.user_id.to_string()),
            ],
        )
        .await;
    let refused = outsider
        .post_form(
            &format!("/schueler/{}/verhalten", f.brandt),
            &[("csrf", &outsider_token), ("text", "Fremde Notiz")],
        )
        .await;

    // Assert
    assert_eq!(empty.status().as_u16(), 422);
    assert!(
        text_of(&empty.text().await.unwrap(), "#vn-text-fehler")
            .unwrap()
            .starts_with("Notiz:")
    );
    assert_eq!(written.status().as_u16(), 303);
    assert_eq!(refused.status().as_u16(), 404);
    let notes: Vec<(i64, String)> = conduct_notes::table
        .filter(conduct_notes::pupil_id.eq(f.brandt))
        .select((conduct_notes::author_id, conduct_notes::text_enc))
        .load(&mut f.app.conn())
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].0, f.teacher.user_id);
    assert!(!notes[0].1.contains("konzentriert"));
    // The class teacher reads it; the office does not.
    assert!(
        f.page_as(&f.class_teacher, f.brandt)
            .await
            .contains("Arbeitet konzentriert mit")
    );
    assert!(
        !f.page_as(&f.office, f.brandt)
            .await
            .contains("Arbeitet konzentriert mit")
    );
}

#[tokio::test]
async fn no_history_row_or_audit_record_of_a_change_holds_a_value() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let token = csrf(&ct, &f, f.brandt).await;

    // Act
    ct.post_form(
        &format!("/schueler/{}/foerderung", f.brandt),
        &[
            ("csrf", &token),
            ("aktion", "massnahme_anlegen"),
            ("art", "nachteilsausgleich"),
            ("beschreibung", MEASURE),
            ("gueltig_ab", "2027-03-01"),
        ],
    )
    .await;
    ct.post_form(
        &format!("/schueler/{}/verhalten", f.brandt),
        &[("csrf", &token), ("text", SECRETS[7])],
    )
    .await;

    // Assert
    let rows: Vec<(String, String, String)> = change_history::table
        .filter(change_history::entity.eq("pupil"))
        .select((
            change_history::field,
            change_history::old_value,
            change_history::new_value,
        ))
        .load(&mut f.app.conn())
        .unwrap();
    assert_eq!(rows.len(), 2);
    for (field, old, new) in &rows {
        assert!(["foerderung", "verhalten"].contains(&field.as_str()));
        assert!(old.is_empty() && new == "[verschlüsselt]");
    }
    for r in f.all_audits() {
        assert_no_secrets(
            &format!("{} {} {}", r.action, r.object, r.detail),
            "an audit record",
        );
    }
}
