//! Timetable slots: validity, ending with a last day, and the clashes that are refused.

use super::*;

/// A school with what a timetable slot needs: grid, class, subject, room, two teachers.
struct Plan {
    s: School,
    class_id: i64,
    subject_id: i64,
    room_id: i64,
    teacher: TestUser,
    colleague: TestUser,
}

async fn plan() -> Plan {
    let s = school().await;
    let class_id = s.class(s.school_id, "7a");
    let (subject_id, room_id) = {
        let mut conn = s.conn();
        let c: &mut DbConnection = &mut conn;
        register::create_time_grid(
            c,
            s.school_id,
            "Standard",
            day(2026, 8, 1),
            None,
            &[(1, 480, 525), (2, 530, 575), (3, 595, 640)],
        )
        .unwrap();
        let subject = timetable::create_subject(c, s.school_id, "M", "Mathematik").unwrap();
        let room = diesel::insert_into(rooms::table)
            .values((rooms::school_id.eq(s.school_id), rooms::name.eq("A 104")))
            .returning(rooms::id)
            .get_result::<i64>(c)
            .unwrap();
        (subject, room)
    };
    let teacher = s.app.create_user_in(s.school_id, Role::Lehrkraft);
    let colleague = s.app.create_user_in(s.school_id, Role::Lehrkraft);
    Plan {
        s,
        class_id,
        subject_id,
        room_id,
        teacher,
        colleague,
    }
}

impl Plan {
    async fn post_slot(&self, teacher: &TestUser, period: &str, room: bool) -> reqwest::Response {
        let (class, subject, teacher, room_id) = (
            self.class_id.to_string(),
            self.subject_id.to_string(),
            teacher.user_id.to_string(),
            self.room_id.to_string(),
        );
        self.s
            .post(
                "/schule/stundenplan",
                &[
                    ("plan_klasse", &class),
                    ("plan_kurs", ""),
                    ("plan_fach", &subject),
                    ("plan_lehrkraft", &teacher),
                    ("plan_tag", "1"),
                    ("plan_stunde", period),
                    ("plan_raum", if room { &room_id } else { "" }),
                    ("plan_ab", "2026-08-03"),
                    ("plan_bis", ""),
                ],
            )
            .await
    }
}

#[tokio::test]
async fn timetable_slots_are_created_with_validity_and_ended_with_a_last_day() {
    // Arrange
    let p = plan().await;

    // Act
    let created = p.post_slot(&p.teacher, "2", true).await;
    let slot: i64 = timetable_slots::table
        .select(timetable_slots::id)
        .first(&mut *p.s.conn())
        .unwrap();
    let ended =
        p.s.post(
            "/schule/stundenplan/beenden",
            &[("eintrag", &slot.to_string()), ("ende", "2027-03-12")],
        )
        .await;

    // Assert
    assert_eq!(created.status().as_u16(), 303);
    assert_eq!(
        location(&created),
        format!("/schule/stundenplan?klasse={}", p.class_id)
    );
    assert_eq!(ended.status().as_u16(), 303);
    let body = p.s.page(&location(&ended)).await;
    let row = &rows(&body, "table.slots tbody tr")[0];
    assert!(row.starts_with("Montag 2. 7a M"), "{row}");
    assert!(row.contains(&p.teacher.display_name), "{row}");
    assert!(row.contains("A 104 03.08.2026 – 12.03.2027"), "{row}");
    let stored: (i16, i16, String, Option<NaiveDate>) = timetable_slots::table
        .find(slot)
        .select((
            timetable_slots::weekday,
            timetable_slots::period,
            timetable_slots::room,
            timetable_slots::valid_to,
        ))
        .first(&mut *p.s.conn())
        .unwrap();
    assert_eq!(stored, (1, 2, "A 104".into(), Some(day(2027, 3, 12))));
    // Nothing is deleted: the ended slot is still there for the register's history.
    assert_eq!(
        timetable_slots::table
            .count()
            .get_result::<i64>(&mut *p.s.conn())
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_slot_that_clashes_or_has_no_period_in_the_grid_is_refused_with_the_field_named() {
    // Arrange
    let p = plan().await;
    assert_eq!(
        p.post_slot(&p.teacher, "1", true).await.status().as_u16(),
        303
    );
    let before = structure_rows(&p.s.app);

    // Act
    let clash = p.post_slot(&p.teacher, "1", false).await;
    let room_taken = p.post_slot(&p.colleague, "1", true).await;
    let no_period = p.post_slot(&p.colleague, "7", false).await;

    // Assert
    let errors_of = |body: &str| field_errors(body).join(" | ");
    assert_eq!(clash.status().as_u16(), 422);
    let clash = errors_of(&clash.text().await.unwrap());
    assert!(
        clash.contains("Feld »Lehrkraft«:")
            && clash.contains("unterrichtet Montag, 1. Stunde bereits"),
        "{clash}"
    );
    assert!(
        clash.contains("Feld »Stunde«: die Klasse 7a hat"),
        "{clash}"
    );
    let room_taken = errors_of(&room_taken.text().await.unwrap());
    assert!(
        room_taken.contains("Feld »Raum«: A 104 ist Montag, 1. Stunde bereits belegt"),
        "{room_taken}"
    );
    let no_period = errors_of(&no_period.text().await.unwrap());
    assert!(
        no_period.contains(
            "Feld »Stunde«: das Zeitraster »Standard« (gültig ab 01.08.2026) hat keine 7. Stunde."
        ),
        "{no_period}"
    );
    assert_eq!(structure_rows(&p.s.app), before);
}
