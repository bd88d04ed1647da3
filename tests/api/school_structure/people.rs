//! Classes with class teachers, subjects, rooms, teaching groups with members, and pupils'
//! enrolments: leaving and changing class.

use super::*;

#[tokio::test]
async fn classes_subjects_rooms_and_class_teachers_are_created_and_listed() {
    // Arrange: the Administration (not only the headteacher) keeps the structure.
    let s = school_with(Role::Verwaltung).await;
    let teacher = s.app.create_user_in(s.school_id, Role::Lehrkraft);

    // Act
    s.post_ok("/schule/klassen", &[("klasse_name", "7a")]).await;
    s.post_ok(
        "/schule/faecher",
        &[("fach_kuerzel", "M"), ("fach_name", "Mathematik")],
    )
    .await;
    s.post_ok("/schule/raeume", &[("raum_name", "A 104")]).await;
    let class_id: i64 = classes::table
        .select(classes::id)
        .first(&mut *s.conn())
        .unwrap();
    s.post_ok(
        "/schule/klassenleitungen",
        &[
            ("kl_klasse", &class_id.to_string()),
            ("kl_lehrkraft", &teacher.user_id.to_string()),
            ("kl_von", "2026-08-01"),
        ],
    )
    .await;

    // Assert
    let body = s.page("/schule/klassen").await;
    assert_eq!(
        rows(&body, "table.classes tbody tr th"),
        vec!["7a".to_owned()]
    );
    assert!(rows(&body, "table.classes tbody tr")[0].contains(&teacher.display_name));
    assert_eq!(
        rows(&body, "table.class-teachers td.valid"),
        vec!["ab 01.08.2026".to_owned()]
    );
    let subjects_page = s.page("/schule/faecher").await;
    assert_eq!(
        rows(&subjects_page, "table.subjects tbody tr"),
        vec!["M Mathematik".to_owned()]
    );
    let rooms_page = s.page("/schule/raeume").await;
    assert_eq!(
        rows(&rooms_page, "table.rooms tbody tr"),
        vec!["A 104".to_owned()]
    );
    // The assignment is a class-scoped role: the teacher is class teacher of 7a now.
    let conn = &mut *s.conn();
    assert!(
        register::is_class_teacher(
            conn,
            s.school_id,
            teacher.user_id,
            class_id,
            day(2027, 3, 10)
        )
        .unwrap()
    );
    assert_eq!(s.app.audit_with("schule_geaendert", None).len(), 4);
}

#[tokio::test]
async fn ending_a_class_teacher_assignment_sets_its_last_day() {
    // Arrange
    let s = school().await;
    let class_id = s.class(s.school_id, "7a");
    let teacher = s.app.create_user_in(s.school_id, Role::Lehrkraft);
    s.post_ok(
        "/schule/klassenleitungen",
        &[
            ("kl_klasse", &class_id.to_string()),
            ("kl_lehrkraft", &teacher.user_id.to_string()),
            ("kl_von", "2026-08-01"),
        ],
    )
    .await;
    let id: i64 = role_assignments::table
        .filter(role_assignments::class_id.eq(class_id))
        .select(role_assignments::id)
        .first(&mut *s.conn())
        .unwrap();

    // Act
    let too_early = s
        .post(
            "/schule/klassenleitungen/beenden",
            &[("eintrag", &id.to_string()), ("ende", "2026-07-01")],
        )
        .await;
    s.post_ok(
        "/schule/klassenleitungen/beenden",
        &[("eintrag", &id.to_string()), ("ende", "2027-03-09")],
    )
    .await;

    // Assert
    assert_eq!(too_early.status().as_u16(), 422);
    let errors = field_errors(&too_early.text().await.unwrap());
    assert!(
        errors[0].starts_with("Feld »Letzter Tag«: liegt vor dem Beginn (01.08.2026)"),
        "{errors:?}"
    );
    let body = s.page("/schule/klassen").await;
    assert_eq!(
        rows(&body, "table.class-teachers td.valid"),
        vec!["01.08.2026 – 09.03.2027".to_owned()]
    );
    let conn = &mut *s.conn();
    assert!(
        !register::is_class_teacher(
            conn,
            s.school_id,
            teacher.user_id,
            class_id,
            day(2027, 3, 10)
        )
        .unwrap()
    );
}

#[tokio::test]
async fn teaching_groups_take_members_from_and_to_a_date() {
    // Arrange
    let s = school().await;
    let class_id = s.class(s.school_id, "7a");
    let albers = s.pupil(s.school_id, class_id, "Albers");
    let brandt = s.pupil(s.school_id, class_id, "Brandt");

    // Act
    let to = s
        .post_ok("/schule/kurse", &[("kurs_name", "Religion ev. 7")])
        .await;
    let group: i64 = teaching_groups::table
        .select(teaching_groups::id)
        .first(&mut *s.conn())
        .unwrap();
    for (pupil, from, until) in [
        (albers, "2026-08-01", ""),
        (brandt, "2026-08-01", "2027-01-31"),
    ] {
        s.post_ok(
            "/schule/kurse/mitglieder",
            &[
                ("mitglied_kurs", &group.to_string()),
                ("mitglied_schueler", &pupil.to_string()),
                ("mitglied_von", from),
                ("mitglied_bis", until),
            ],
        )
        .await;
    }

    // Assert
    assert_eq!(to, format!("/schule/kurse?kurs={group}"));
    let body = s.page(&to).await;
    assert_eq!(
        rows(&body, "table.members tbody tr th"),
        vec!["Albers, Mia", "Brandt, Mia"]
    );
    assert_eq!(
        rows(&body, "table.members td.valid"),
        vec!["ab 01.08.2026", "01.08.2026 – 31.01.2027"]
    );
    let list = s.page("/schule/kurse").await;
    assert_eq!(
        rows(&list, "table.groups tbody tr"),
        vec!["Religion ev. 7 1".to_owned()]
    );
    // The register's roster of a group lesson follows the memberships.
    let roster = register::roster(
        &mut s.conn(),
        s.school_id,
        class_id,
        Some(group),
        day(2027, 3, 10),
    )
    .unwrap();
    assert_eq!(
        roster.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![albers]
    );
}

#[tokio::test]
async fn pupils_are_enrolled_and_leaving_ends_the_enrolment_without_deleting_it() {
    // Arrange
    let s = school().await;
    let class_id = s.class(s.school_id, "7a");
    let class = class_id.to_string();

    // Act
    let to = s
        .post_ok(
            "/schule/schueler",
            &[
                ("schueler_nachname", "Jensen"),
                ("schueler_vorname", "Ole"),
                ("schueler_klasse", &class),
                ("schueler_ab", "2026-08-01"),
            ],
        )
        .await;
    let pupil: i64 = pupils::table
        .select(pupils::id)
        .first(&mut *s.conn())
        .unwrap();
    s.post_ok(
        "/schule/schueler/austritt",
        &[("eintrag", &pupil.to_string()), ("ende", "2027-03-12")],
    )
    .await;

    // Assert
    assert_eq!(to, format!("/schule/schueler?klasse={class_id}"));
    let body = s.page(&to).await;
    assert_eq!(
        rows(&body, "table.pupils tbody tr"),
        vec!["Jensen, Ole 7a 01.08.2026 – 12.03.2027".to_owned()]
    );
    let stored: (NaiveDate, Option<NaiveDate>) = pupils::table
        .find(pupil)
        .select((pupils::enrolled_from, pupils::enrolled_to))
        .first(&mut *s.conn())
        .unwrap();
    assert_eq!(stored, (day(2026, 8, 1), Some(day(2027, 3, 12))));
    // Ended once, the enrolment cannot be ended again.
    let again = s
        .post(
            "/schule/schueler/austritt",
            &[("eintrag", &pupil.to_string()), ("ende", "2027-03-20")],
        )
        .await;
    assert_eq!(again.status().as_u16(), 422);
    assert!(
        field_errors(&again.text().await.unwrap())[0].contains("bereits beendet"),
        "ended twice"
    );
}

#[tokio::test]
async fn a_class_change_ends_the_enrolment_the_day_before_and_keeps_the_groups() {
    // Arrange
    let s = school().await;
    let class_a = s.class(s.school_id, "7a");
    let class_b = s.class(s.school_id, "7b");
    let pupil = s.pupil(s.school_id, class_a, "Albers");
    s.post_ok("/schule/kurse", &[("kurs_name", "Spanisch")])
        .await;
    let group: i64 = teaching_groups::table
        .select(teaching_groups::id)
        .first(&mut *s.conn())
        .unwrap();
    s.post_ok(
        "/schule/kurse/mitglieder",
        &[
            ("mitglied_kurs", &group.to_string()),
            ("mitglied_schueler", &pupil.to_string()),
            ("mitglied_von", "2026-08-01"),
        ],
    )
    .await;

    // Act
    let to = s
        .post_ok(
            "/schule/schueler/klassenwechsel",
            &[
                ("eintrag", &pupil.to_string()),
                ("wechsel_klasse", &class_b.to_string()),
                ("wechsel_ab", "2027-03-15"),
            ],
        )
        .await;

    // Assert
    let enrolments: Vec<(i64, i64, NaiveDate, Option<NaiveDate>)> = pupils::table
        .order(pupils::id)
        .select((
            pupils::id,
            pupils::class_id,
            pupils::enrolled_from,
            pupils::enrolled_to,
        ))
        .load(&mut *s.conn())
        .unwrap();
    assert_eq!(enrolments.len(), 2, "the old enrolment stays");
    assert_eq!(
        enrolments[0],
        (pupil, class_a, day(2026, 8, 1), Some(day(2027, 3, 14)))
    );
    let new = enrolments[1].0;
    assert_eq!(enrolments[1], (new, class_b, day(2027, 3, 15), None));
    assert_eq!(to, format!("/schule/schueler?schueler={new}"));
    let roster_on = |d: NaiveDate| {
        register::roster(&mut s.conn(), s.school_id, class_a, Some(group), d)
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(roster_on(day(2027, 3, 12)), vec![pupil]);
    assert_eq!(roster_on(day(2027, 3, 15)), vec![new]);
    let body = s.page(&to).await;
    assert!(
        text_of(&body, "dd.valid")
            .unwrap()
            .contains("ab 15.03.2027"),
        "{body}"
    );
}
