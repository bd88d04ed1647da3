//! Statistics of a class for a term: the report-card figures on a data set computed by hand,
//! across a mid-year time-grid switch; the SVG chart; the CSV export with neutralised cells,
//! behind step-up and audited.

use crate::helpers::{count_of, header, location, text_of};
use crate::register_absences::{Fixture, day};
use scraper::{Html, Selector};

/// The figures of one table row: missed, excused, unexcused, open, missed minutes, late,
/// late minutes, left early.
fn row(page: &str, selector: &str) -> [i64; 8] {
    let doc = Html::parse_document(page);
    let tr = doc
        .select(&Selector::parse(selector).unwrap())
        .next()
        .unwrap_or_else(|| panic!("no row {selector}"));
    let cells: Vec<i64> = tr
        .select(&Selector::parse("td").unwrap())
        .map(|td| td.text().collect::<String>().trim().parse().unwrap())
        .collect();
    cells.try_into().unwrap()
}

/// Lessons and cases of the known data set (see the expectations in the test).
async fn known_data_set(f: &Fixture) {
    let teacher = f.elevated(&f.teacher).await;
    let (a, b, c) = (f.pupils[0], f.pupils[1], f.pupils[2]);
    let (mon, wed) = (f.monday_slot, f.wednesday_slot);
    // First term, old grid.
    f.document(&teacher, mon, day(1, 25), &[(a, "f", 0)]).await;
    // Second term, old grid (45 minutes).
    f.document(&teacher, mon, day(2, 8), &[(a, "f", 0), (b, "v", 5)])
        .await;
    f.document(&teacher, wed, day(2, 10), &[(a, "f", 0), (c, "f", 0)])
        .await;
    // Second term, new grid from 15 February (60 minutes).
    f.document(&teacher, mon, day(2, 15), &[(a, "f", 0), (b, "v", 10)])
        .await;
    f.document(&teacher, wed, day(2, 17), &[(b, "f", 0), (c, "g", 15)])
        .await;
    f.document(&teacher, mon, day(2, 22), &[(a, "f", 0), (c, "f", 0)])
        .await;
    f.case(a, day(2, 8), day(2, 10), (None, None), "entschuldigt");
    f.case(
        a,
        day(2, 15),
        day(2, 15),
        (Some(1), Some(1)),
        "unentschuldigt",
    );
    f.case(b, day(2, 17), day(2, 17), (None, None), "offen");
    // From period 3 on: does not cover Christiansen's period 2 that day.
    f.case(c, day(2, 10), day(2, 10), (Some(3), None), "entschuldigt");
    f.case(c, day(2, 22), day(2, 22), (None, None), "entschuldigt");
}

#[tokio::test]
async fn the_term_statistics_match_the_hand_computed_figures_across_a_time_grid_switch() {
    // Arrange
    let f = Fixture::new().await;
    known_data_set(&f).await;
    let ct = f.elevated(&f.class_teacher).await;
    let path = format!("/klassen/{}/statistik", f.class_id);
    let (a, b, c) = (f.pupils[0], f.pupils[1], f.pupils[2]);

    // Act: today (26 February) lies in the second term, the default.
    let resp = ct.get(&path).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let page = resp.text().await.unwrap();
    // Albers: 8.2. + 10.2. excused (45 + 45 min), 15.2. unexcused, 22.2. open (60 + 60).
    assert_eq!(
        row(&page, &format!("tr#schueler-{a}")),
        [4, 2, 1, 1, 210, 0, 0, 0]
    );
    // Brandt: 17.2. open (60 min); late 5 and 10 minutes.
    assert_eq!(
        row(&page, &format!("tr#schueler-{b}")),
        [1, 0, 0, 1, 60, 2, 15, 0]
    );
    // Christiansen: 10.2. period 2 open (the case starts in period 3, 45 min), 22.2.
    // excused (60 min); left early on 17.2.
    assert_eq!(
        row(&page, &format!("tr#schueler-{c}")),
        [2, 1, 0, 1, 105, 0, 0, 1]
    );
    assert_eq!(row(&page, "tr#summe"), [7, 3, 1, 3, 375, 2, 15, 1]);
    assert_eq!(count_of(&page, "figure.chart svg[role=img][aria-label]"), 1);
    assert_eq!(count_of(&page, "figure.chart svg g.bar"), 3);
    assert_eq!(count_of(&page, "script"), 0);

    // Act: the first term, chosen explicitly.
    let first = ct
        .get(&format!("{path}?halbjahr={}", f.term1_id))
        .await
        .text()
        .await
        .unwrap();

    // Assert
    assert_eq!(
        row(&first, &format!("tr#schueler-{a}")),
        [1, 0, 0, 1, 45, 0, 0, 0]
    );
    assert_eq!(row(&first, "tr#summe"), [1, 0, 0, 1, 45, 0, 0, 0]);

    // Act: the old grid is edited afterwards.
    f.stretch_old_grid();
    let again = ct.get(&path).await.text().await.unwrap();

    // Assert: documented lessons keep the minutes they were given.
    assert_eq!(
        row(&again, &format!("tr#schueler-{a}")),
        [4, 2, 1, 1, 210, 0, 0, 0]
    );
    let reads = f.audits("statistik_angezeigt");
    assert_eq!(reads.len(), 3);
    assert!(
        reads
            .iter()
            .all(|r| r.object == format!("klasse:{}", f.class_id))
    );
    assert!(
        reads[1]
            .detail
            .contains(&format!("halbjahr:{}", f.term1_id))
    );
    assert!(
        reads[0]
            .detail
            .contains(&format!("halbjahr:{}", f.term2_id))
    );
}

#[tokio::test]
async fn the_headteacher_reads_the_statistics_and_the_office_does_not() {
    // Arrange
    let f = Fixture::new().await;
    let head = f.elevated(&f.head).await;
    let office = f.elevated(&f.office).await;
    let path = format!("/klassen/{}/statistik", f.class_id);

    // Act
    let by_head = head.get(&path).await;
    let by_office = office.get(&path).await;
    let unknown_term = head.get(&format!("{path}?halbjahr=999999")).await;

    // Assert
    assert_eq!(by_head.status().as_u16(), 200);
    let page = by_head.text().await.unwrap();
    assert_eq!(count_of(&page, "table.statistics tbody tr"), 3);
    assert_eq!(by_office.status().as_u16(), 404);
    assert_eq!(unknown_term.status().as_u16(), 404);
}

#[tokio::test]
async fn the_csv_export_needs_step_up_neutralises_formula_cells_and_is_audited() {
    // Arrange: surnames a spreadsheet would run as formulas.
    let hyperlink = "=HYPERLINK(\"http://example.org\";\"x\")";
    let f = Fixture::with_surnames(&[hyperlink, "+1", "-2", "@x", "Müller"]).await;
    let teacher = f.elevated(&f.teacher).await;
    f.document(&teacher, f.monday_slot, day(2, 8), &[(f.pupils[0], "f", 0)])
        .await;
    let path = format!("/klassen/{}/statistik.csv", f.class_id);
    let plain = f.signed_in(&f.class_teacher).await;

    // Act: without a second factor.
    let refused = plain.get(&path).await;

    // Assert
    assert_eq!(refused.status().as_u16(), 303);
    assert!(location(&refused).starts_with("/step-up?next="));
    assert!(f.audits("export").is_empty());

    // Act
    let ct = f.elevated(&f.class_teacher).await;
    let resp = ct.get(&path).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        header(&resp, "content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let disposition = header(&resp, "content-disposition").unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xef\xbb\xbf", "UTF-8 byte order mark");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[2], "Nachname");
    assert_eq!(&headers[4], "Fehlstunden");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let surnames: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
    for expected in [
        format!("'{hyperlink}"),
        "'+1".to_owned(),
        "'-2".to_owned(),
        "'@x".to_owned(),
        "Müller".to_owned(),
        "Klasse gesamt".to_owned(),
    ] {
        assert!(
            surnames.contains(&expected.as_str()),
            "{expected} in {surnames:?}"
        );
    }
    let linked = rows.iter().find(|r| r[2].contains("HYPERLINK")).unwrap();
    assert_eq!((&linked[3], &linked[4], &linked[8]), ("Mia", "1", "45"));
    let audit = f.audits("export");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].object, format!("klasse:{}", f.class_id));
    assert_eq!(audit[0].actor_user_id, Some(f.class_teacher.user_id));
    assert!(!audit[0].detail.contains("HYPERLINK") && !audit[0].detail.contains("Müller"));
    // The page links the export for the term shown.
    let page = ct
        .get(&format!("/klassen/{}/statistik", f.class_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(text_of(&page, "a[download]").is_some());
}
