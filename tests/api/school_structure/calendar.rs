//! School years with terms and holidays, closing a year, and time grids.

use super::*;

#[tokio::test]
async fn school_years_terms_and_holidays_are_created_through_the_forms_and_listed() {
    // Arrange
    let s = school().await;

    // Act
    s.post_ok(
        "/schule/schuljahre",
        &[
            ("jahr_name", "2026/27"),
            ("jahr_beginn", "2026-08-01"),
            ("jahr_ende", "2027-07-31"),
        ],
    )
    .await;
    let year: i64 = school_years::table
        .select(school_years::id)
        .first(&mut *s.conn())
        .unwrap();
    s.post_ok(
        "/schule/schuljahre/abschnitte",
        &[
            ("abschnitt_jahr", &year.to_string()),
            ("abschnitt_name", "1. Halbjahr"),
            ("abschnitt_beginn", "2026-08-01"),
            ("abschnitt_ende", "2027-01-31"),
        ],
    )
    .await;
    let to = s
        .post_ok(
            "/schule/ferien",
            &[
                ("ferien_name", "Osterferien"),
                ("ferien_beginn", "2027-03-29"),
                ("ferien_ende", "2027-04-10"),
            ],
        )
        .await;

    // Assert
    assert_eq!(to, "/schule/schuljahre");
    let body = s.page(&to).await;
    assert_eq!(
        rows(&body, "table.years tbody tr th"),
        vec!["2026/27".to_owned()]
    );
    let year_row = &rows(&body, "table.years tbody tr")[0];
    assert!(year_row.contains("01.08.2026 – 31.07.2027"), "{year_row}");
    assert!(
        year_row.contains("1. Halbjahr: 01.08.2026 – 31.01.2027"),
        "{year_row}"
    );
    assert_eq!(
        rows(&body, "table.holidays tbody tr"),
        vec!["Osterferien 29.03.2027 – 10.04.2027".to_owned()]
    );
    assert!(flash(&body).contains("Osterferien"), "{}", flash(&body));
    assert_eq!(s.app.audit_with("schule_geaendert", None).len(), 3);
}

#[tokio::test]
async fn a_school_year_can_be_closed_after_its_last_day_but_not_before() {
    // Arrange
    let s = school().await;
    for (name, from, to) in [
        ("2025/26", "2025-08-01", "2026-07-31"),
        ("2026/27", "2026-08-01", "2027-07-31"),
    ] {
        s.post_ok(
            "/schule/schuljahre",
            &[
                ("jahr_name", name),
                ("jahr_beginn", from),
                ("jahr_ende", to),
            ],
        )
        .await;
    }
    let ids: Vec<(String, i64)> = school_years::table
        .select((school_years::name, school_years::id))
        .load(&mut *s.conn())
        .unwrap();
    let id_of = |name: &str| ids.iter().find(|(n, _)| n == name).unwrap().1.to_string();

    // Act
    s.post_ok(
        "/schule/schuljahre/abschliessen",
        &[("jahr", &id_of("2025/26"))],
    )
    .await;
    s.post_ok(
        "/schule/schuljahre/abschliessen",
        &[("jahr", &id_of("2026/27"))],
    )
    .await;

    // Assert
    let closed: Vec<(String, bool)> = school_years::table
        .order(school_years::starts_on)
        .select((school_years::name, school_years::closed_at.is_not_null()))
        .load(&mut *s.conn())
        .unwrap();
    assert_eq!(
        closed,
        vec![("2025/26".to_owned(), true), ("2026/27".to_owned(), false)]
    );
    let body = s.page("/schule/schuljahre").await;
    assert!(
        flash(&body).contains("endet am 31.07.2027"),
        "{}",
        flash(&body)
    );
    let statuses = rows(&body, "table.years td.status");
    assert!(statuses[0].starts_with("offen"), "{statuses:?}");
    assert!(
        statuses[1].starts_with("abgeschlossen am 10.03.2027"),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_new_time_grid_ends_the_previous_one_the_day_before() {
    // Arrange
    let s = school().await;
    s.post_ok(
        "/schule/zeitraster",
        &[
            ("raster_name", "45 Minuten"),
            ("raster_ab", "2026-08-01"),
            ("beginn_1", "08:00"),
            ("ende_1", "08:45"),
            ("beginn_2", "08:50"),
            ("ende_2", "09:35"),
        ],
    )
    .await;

    // Act
    s.post_ok(
        "/schule/zeitraster",
        &[
            ("raster_name", "60 Minuten"),
            ("raster_ab", "2027-02-15"),
            ("beginn_1", "08:00"),
            ("ende_1", "09:00"),
            ("beginn_2", "09:05"),
            ("ende_2", "10:05"),
            ("beginn_3", "10:25"),
            ("ende_3", "11:25"),
        ],
    )
    .await;

    // Assert
    let grids: Vec<(String, NaiveDate, Option<NaiveDate>)> = time_grids::table
        .order(time_grids::valid_from)
        .select((
            time_grids::name,
            time_grids::valid_from,
            time_grids::valid_to,
        ))
        .load(&mut *s.conn())
        .unwrap();
    assert_eq!(
        grids,
        vec![
            ("45 Minuten".into(), day(2026, 8, 1), Some(day(2027, 2, 14))),
            ("60 Minuten".into(), day(2027, 2, 15), None),
        ]
    );
    let body = s.page("/schule/zeitraster").await;
    assert_eq!(
        rows(&body, "table.grids td.valid"),
        vec!["ab 15.02.2027", "01.08.2026 – 14.02.2027"]
    );
    assert!(
        rows(&body, "table.grids tbody tr")[0].contains("3. 10:25–11:25"),
        "{body}"
    );
    assert!(
        flash(&body).contains("endet am 14.02.2027"),
        "{}",
        flash(&body)
    );
    // The register reads the new times from the switch on, the old ones before it.
    let periods = register::grid_periods_in(
        &mut s.conn(),
        s.school_id,
        day(2027, 2, 14),
        day(2027, 2, 15),
    )
    .unwrap();
    let first = |d: NaiveDate| {
        periods
            .iter()
            .find(|p| p.number == 1 && p.valid_from <= d && p.valid_to.is_none_or(|t| d <= t))
            .map(|p| p.end_minute)
    };
    assert_eq!(first(day(2027, 2, 14)), Some(525));
    assert_eq!(first(day(2027, 2, 15)), Some(540));
}

#[tokio::test]
async fn a_time_that_is_no_time_is_named_with_its_field_and_nothing_is_written() {
    // Arrange
    let s = school().await;
    let before = structure_rows(&s.app);

    // Act
    let resp = s
        .post(
            "/schule/zeitraster",
            &[
                ("raster_name", "Neu"),
                ("raster_ab", "2027-04-01"),
                ("beginn_1", "25:00"),
                ("ende_1", "08:45"),
                ("beginn_2", "09:00"),
                ("ende_2", "08:50"),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 422);
    let body = resp.text().await.unwrap();
    let errors = field_errors(&body);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("Feld »Beginn«: »25:00« ist keine Uhrzeit")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("2. Stunde, Feld »Ende«: liegt nicht nach dem Beginn")),
        "{errors:?}"
    );
    // The form comes back with what was typed, and the field is marked.
    assert_eq!(
        crate::helpers::attr_of(&body, "#beginn_1", "value").as_deref(),
        Some("25:00")
    );
    assert_eq!(
        crate::helpers::attr_of(&body, "#beginn_1", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(structure_rows(&s.app), before);
    assert!(s.app.audit_with("schule_geaendert", None).is_empty());
}
