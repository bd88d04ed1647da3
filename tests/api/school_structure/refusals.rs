//! What is refused: invalid fields (named, nothing written), ids of another school (404),
//! fields a form does not offer, other roles, anonymous visitors, and no elevation.

use super::*;

#[tokio::test]
async fn validation_errors_name_the_field_and_write_nothing() {
    // Arrange
    let s = school().await;
    let class_id = s.class(s.school_id, "7a").to_string();
    let office = s.app.create_user_in(s.school_id, Role::Sekretariat);
    let office_id = office.user_id.to_string();
    let not_a_teacher = format!(
        "Feld »Lehrkraft«: {} ist nicht als Lehrkraft eingetragen.",
        office.display_name
    );
    let before = structure_rows(&s.app);
    let audit_before = s.app.audit_row_count();
    let cases = [
        (
            "/schule/schuljahre",
            vec![
                ("jahr_name", "2026/27"),
                ("jahr_beginn", "2026-08-01"),
                ("jahr_ende", "2026-07-31"),
            ],
            "Feld »Ende«: liegt vor »Beginn« (01.08.2026).",
        ),
        (
            "/schule/klassen",
            vec![("klasse_name", "  ")],
            "Feld »Bezeichnung«: bitte ausfüllen.",
        ),
        (
            "/schule/klassen",
            vec![("klasse_name", "7a")],
            "Feld »Bezeichnung«: die Klasse »7a« gibt es bereits.",
        ),
        (
            "/schule/schueler",
            vec![
                ("schueler_nachname", "Jensen"),
                ("schueler_vorname", "Ole"),
                ("schueler_klasse", &class_id),
                ("schueler_ab", "31.02.2027"),
            ],
            "Feld »Eingeschrieben ab«: »31.02.2027« ist kein gültiges Datum (TT.MM.JJJJ).",
        ),
        (
            "/schule/faecher",
            vec![
                ("fach_kuerzel", "Mathematik-Kurs"),
                ("fach_name", "Mathematik"),
            ],
            "Feld »Kürzel«: höchstens 10 Zeichen.",
        ),
        (
            "/schule/stundenplan",
            vec![("plan_klasse", &class_id), ("plan_tag", "8")],
            "Feld »Wochentag«: »8« ist keine Zahl von 1 bis 6.",
        ),
        (
            "/schule/klassenleitungen",
            vec![
                ("kl_klasse", &class_id),
                ("kl_lehrkraft", &office_id),
                ("kl_von", "2027-03-10"),
            ],
            &not_a_teacher,
        ),
    ];

    for (path, fields, message) in cases {
        // Act
        let resp = s.post(path, &fields).await;

        // Assert
        assert_eq!(resp.status().as_u16(), 422, "{path} {fields:?}");
        let body = resp.text().await.unwrap();
        let errors = field_errors(&body);
        assert!(
            errors.iter().any(|e| e == message),
            "{path}: expected »{message}« in {errors:?}"
        );
    }
    assert_eq!(structure_rows(&s.app), before);
    assert_eq!(s.app.audit_row_count(), audit_before);
}

#[tokio::test]
async fn ids_of_another_school_in_a_form_are_not_found_and_nothing_is_written() {
    // Arrange
    let s = school().await;
    let own_class = s.class(s.school_id, "7a");
    let own_pupil = s.pupil(s.school_id, own_class, "Albers");
    let other_school = s.app.create_school("Schule am Deich");
    let foreign_class = s.class(other_school, "9c");
    let foreign_pupil = s.pupil(other_school, foreign_class, "Dittmer");
    let foreign_teacher = s.app.create_user_in(other_school, Role::Lehrkraft);
    s.post_ok("/schule/kurse", &[("kurs_name", "Chor")]).await;
    let group: i64 = teaching_groups::table
        .select(teaching_groups::id)
        .first(&mut *s.conn())
        .unwrap();
    let (own_class, own_pupil, foreign_class, foreign_pupil, group) = (
        own_class.to_string(),
        own_pupil.to_string(),
        foreign_class.to_string(),
        foreign_pupil.to_string(),
        group.to_string(),
    );
    let foreign_teacher = foreign_teacher.user_id.to_string();
    let before = structure_rows(&s.app);
    let cases = [
        (
            "/schule/schueler",
            vec![
                ("schueler_nachname", "Jensen"),
                ("schueler_vorname", "Ole"),
                ("schueler_klasse", &foreign_class),
                ("schueler_ab", "2027-03-10"),
            ],
        ),
        (
            "/schule/kurse/mitglieder",
            vec![
                ("mitglied_kurs", &group),
                ("mitglied_schueler", &foreign_pupil),
                ("mitglied_von", "2027-03-10"),
            ],
        ),
        (
            "/schule/klassenleitungen",
            vec![
                ("kl_klasse", &own_class),
                ("kl_lehrkraft", &foreign_teacher),
                ("kl_von", "2027-03-10"),
            ],
        ),
        (
            "/schule/schueler/austritt",
            vec![("eintrag", &foreign_pupil), ("ende", "2027-03-10")],
        ),
        (
            "/schule/schueler/klassenwechsel",
            vec![
                ("eintrag", &own_pupil),
                ("wechsel_klasse", &foreign_class),
                ("wechsel_ab", "2027-03-15"),
            ],
        ),
        (
            "/schule/stundenplan",
            vec![
                ("plan_klasse", &foreign_class),
                ("plan_fach", "1"),
                ("plan_lehrkraft", &foreign_teacher),
                ("plan_tag", "1"),
                ("plan_stunde", "1"),
                ("plan_ab", "2027-03-10"),
            ],
        ),
    ];

    for (path, fields) in cases {
        // Act
        let resp = s.post(path, &fields).await;

        // Assert
        assert_eq!(resp.status().as_u16(), 404, "{path} {fields:?}");
    }
    assert_eq!(structure_rows(&s.app), before);
    let other_enrolment: Option<NaiveDate> = pupils::table
        .find(foreign_pupil.parse::<i64>().unwrap())
        .select(pupils::enrolled_to)
        .first(&mut *s.conn())
        .unwrap();
    assert_eq!(
        other_enrolment, None,
        "the other school's pupil is untouched"
    );
    assert_eq!(
        s.app
            .audit_with("zugriff_verweigert", Some("verweigert"))
            .len(),
        6
    );
    // Nor can the pages of another school's objects be opened.
    let page = s
        .app
        .get(&format!("/schule/schueler?schueler={foreign_pupil}"))
        .await;
    assert_eq!(page.status().as_u16(), 404);
}

#[tokio::test]
async fn a_school_id_in_the_form_is_ignored_and_the_session_school_is_used() {
    // Arrange
    let s = school().await;
    let other_school = s.app.create_school("Schule am Deich").to_string();

    // Act
    s.post_ok(
        "/schule/klassen",
        &[("klasse_name", "5b"), ("school_id", &other_school)],
    )
    .await;

    // Assert
    let stored: Vec<(i64, String)> = classes::table
        .select((classes::school_id, classes::name))
        .load(&mut *s.conn())
        .unwrap();
    assert_eq!(stored, vec![(s.school_id, "5b".to_owned())]);
}

#[tokio::test]
async fn a_teacher_is_refused_and_an_anonymous_visitor_is_sent_to_sign_in() {
    // Arrange
    let s = school().await;
    let teacher = s.app.create_user_in(s.school_id, Role::Klassenlehrkraft);
    let b = s.app.new_browser();
    b.sign_in_elevated(&teacher, &s.app.totp_now(&teacher))
        .await;
    let anonymous = s.app.new_browser();
    let before = structure_rows(&s.app);

    // Act
    let page = b.get("/schule/klassen").await;
    let csrf = b.csrf_from("/konto").await;
    let post = b
        .post_form("/schule/klassen", &[("csrf", &csrf), ("klasse_name", "8c")])
        .await;
    let visitor = anonymous.get("/schule/stundenplan").await;

    // Assert
    assert_eq!(page.status().as_u16(), 403);
    assert_eq!(post.status().as_u16(), 403);
    assert_eq!(visitor.status().as_u16(), 303);
    assert_eq!(location(&visitor), "/anmelden?next=%2Fschule%2Fstundenplan");
    assert_eq!(structure_rows(&s.app), before);
    // The teacher's navigation offers neither the school pages nor the import; the
    // headteacher's offers both.
    let own = b.get("/konto").await.text().await.unwrap();
    let head = s.page("/konto").await;
    for link in ["nav a[href='/schule']", "nav a[href='/verwaltung/import']"] {
        assert_eq!(count_of(&own, link), 0, "{link}");
        assert_eq!(count_of(&head, link), 1, "{link}");
    }
}

#[tokio::test]
async fn without_elevation_the_headteacher_is_sent_to_step_up_first() {
    // Arrange
    let app = spawn_app().await;
    set_today(&app);
    let school_id = app.create_school("Gymnasium an der Förde");
    let head = app.create_user_in(school_id, Role::Schulleitung);
    app.browser.sign_in_as(&head).await;
    let before = structure_rows(&app);

    // Act
    let page = app.get("/schule/zeitraster").await;
    let csrf = app.browser.csrf_from("/konto").await;
    let post = app
        .post_form("/schule/klassen", &[("csrf", &csrf), ("klasse_name", "8c")])
        .await;

    // Assert
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(location(&page), "/step-up?next=%2Fschule%2Fzeitraster");
    assert_eq!(post.status().as_u16(), 303);
    assert!(location(&post).starts_with("/step-up?next="));
    assert_eq!(structure_rows(&app), before);
    // After the second factor the page opens.
    let resp = app
        .browser
        .step_up(&app.totp_now(&head), "/schule/zeitraster")
        .await;
    assert_eq!(location(&resp), "/schule/zeitraster");
    assert_eq!(app.get("/schule/zeitraster").await.status().as_u16(), 200);
}
