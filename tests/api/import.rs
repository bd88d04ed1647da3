//! Master-data import (issue 7): the sample files of `docs/import/` through the web pages
//! and the CLI, idempotent re-import, leavers, broken files that leave the database exactly
//! as it was, the export, the school's own header names, and random CSV fed to the parser.

mod binary;
mod broken;
mod property;

use crate::helpers::{TestApp, TestClient, TestUser, attr_of, location, spawn_app, text_of};
use diesel::prelude::*;
use diesel::sql_types::Text;
use klassenbuch::auth::roles::Role;
use klassenbuch::clock::Clock;
use klassenbuch::db::DbConnection;
use klassenbuch::import::cli::{ImportArgs, run};
use klassenbuch::import::plan::Plan;
use std::collections::BTreeMap;

/// The sample files in import order, with their kind.
pub const SAMPLES: [(&str, &str); 6] = [
    ("personal", "personal.csv"),
    ("faecher", "faecher.csv"),
    ("klassen", "klassen.csv"),
    ("schueler", "schueler.csv"),
    ("erziehungsberechtigte", "erziehungsberechtigte.csv"),
    ("stundenplan", "stundenplan.csv"),
];

/// A sample file of `docs/import/`.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/docs/import/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A sample file of `docs/import/` as text.
pub fn sample_text(name: &str) -> String {
    String::from_utf8(sample(name)).unwrap()
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Every row of every table (but `skip`), each as text, sorted: a full dump to compare.
pub fn dump(app: &TestApp, skip: &[&str]) -> BTreeMap<String, Vec<String>> {
    let mut conn = app.conn();
    let conn: &mut DbConnection = &mut conn;
    let columns: Vec<Column> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
        )
        .load(c),
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name \
             FROM information_schema.columns c \
             JOIN information_schema.tables t \
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
             ORDER BY c.table_name, c.ordinal_position",
        )
        .load(c),
    }
    .unwrap();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in columns {
        if !skip.contains(&c.table_name.as_str()) {
            tables.entry(c.table_name).or_default().push(c.column_name);
        }
    }
    let mut out = BTreeMap::new();
    for (table, cols) in tables {
        let expr = cols
            .iter()
            .map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '∅')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let sql = format!("SELECT {expr} AS line FROM \"{table}\"");
        let mut lines: Vec<String> = diesel::sql_query(sql)
            .load::<Line>(conn)
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect();
        lines.sort();
        out.insert(table, lines);
    }
    out
}

/// A school with an elevated headteacher's browser.
pub async fn headteacher(app: &TestApp) -> (TestUser, TestClient) {
    let user = app.create_user(Role::Schulleitung);
    let b = app.elevated_browser_for(&user).await;
    (user, b)
}

/// Uploads `bytes` as `file` of `kind` through the import form; returns status and page.
pub async fn upload(b: &TestClient, kind: &str, file: &str, bytes: &[u8]) -> (u16, String) {
    let csrf = b.csrf_from("/verwaltung/import").await;
    let boundary = "----klassenbuch-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"art\"\r\n\r\n{kind}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"datei\"; \
             filename=\"{file}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = b
        .client
        .post(format!(
            "{}/verwaltung/import?csrf={}",
            b.address,
            urlencoding::encode(&csrf)
        ))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// Presses »Übernehmen« on a preview page; returns the answer.
pub async fn apply(b: &TestClient, preview: &str) -> reqwest::Response {
    let token = attr_of(preview, "input[name=token]", "value").expect("apply form on preview");
    let csrf = attr_of(
        preview,
        "form[action='/verwaltung/import/anwenden'] input[name=csrf]",
        "value",
    )
    .unwrap();
    b.post_form(
        "/verwaltung/import/anwenden",
        &[("csrf", &csrf), ("token", &token)],
    )
    .await
}

/// Uploads and applies a file through the web pages; asserts both steps worked.
pub async fn import_via_web(b: &TestClient, kind: &str, file: &str, bytes: &[u8]) {
    let (status, page) = upload(b, kind, file, bytes).await;
    assert_eq!(status, 200, "preview of {file}: {page}");
    let resp = apply(b, &page).await;
    assert_eq!(resp.status().as_u16(), 303, "apply of {file}");
    assert_eq!(location(&resp), "/verwaltung/import");
}

/// Runs the CLI import on `bytes` written to a file named `file`.
pub fn cli(
    app: &TestApp,
    school_id: i64,
    kind: &str,
    file: &str,
    bytes: &[u8],
    apply: bool,
) -> (anyhow::Result<Plan>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, bytes).unwrap();
    let args = ImportArgs {
        school: school_id,
        kind: kind.to_owned(),
        file: path,
        apply,
    };
    let mut out = Vec::new();
    let result = run(
        &app.state.db,
        &app.state.keys,
        app.clock.now(),
        &args,
        &mut out,
    );
    (result, String::from_utf8(out).unwrap())
}

/// Imports and applies `text` as `kind` through the CLI, from a file named after the kind.
pub fn cli_apply(
    app: &TestApp,
    school_id: i64,
    kind: &str,
    text: &str,
) -> (anyhow::Result<Plan>, String) {
    let file = format!("{kind}.csv");
    cli(app, school_id, kind, &file, text.as_bytes(), true)
}

/// Imports these sample files through the CLI.
fn import_sample_files(app: &TestApp, school_id: i64, samples: &[(&str, &str)]) {
    for (kind, file) in samples {
        let (result, out) = cli(app, school_id, kind, file, &sample(file), true);
        assert!(result.is_ok(), "{file}: {out}");
    }
}

/// Imports every sample file through the CLI.
pub fn import_samples(app: &TestApp, school_id: i64) {
    import_sample_files(app, school_id, &SAMPLES);
}

/// `text` without the lines that start with one of `prefixes`, every line ending in `\n`.
fn without_lines(text: &str, prefixes: &[&str]) -> String {
    text.lines()
        .filter(|l| !prefixes.iter().any(|p| l.starts_with(p)))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A school with the sample data, an elevated headteacher's browser, and its id.
pub async fn school_with_samples() -> (TestApp, TestClient, i64) {
    let app = spawn_app().await;
    let (user, b) = headteacher(&app).await;
    import_samples(&app, user.school_id);
    (app, b, user.school_id)
}

/// Tables that change with every request or import run, not with the school's data.
const BOOKKEEPING: [&str; 3] = ["sessions", "audit_log", "pending_imports"];

#[tokio::test]
async fn each_sample_file_imports_and_importing_it_again_changes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let (user, b) = headteacher(&app).await;

    // Act
    for (kind, file) in SAMPLES {
        import_via_web(&b, kind, file, &sample(file)).await;
    }
    let after_first = dump(&app, &BOOKKEEPING);
    let mut again = Vec::new();
    for (kind, file) in SAMPLES {
        let (status, page) = upload(&b, kind, file, &sample(file)).await;
        assert_eq!(status, 200, "{file}: {page}");
        again.push(text_of(&page, "p.summary").unwrap());
        let (result, out) = cli(&app, user.school_id, kind, file, &sample(file), true);
        assert!(result.unwrap().is_empty(), "{file} a second time: {out}");
    }

    // Assert
    let pupils = &after_first["pupils"];
    assert_eq!(pupils.len(), 12, "{pupils:?}");
    assert_eq!(after_first["guardians"].len(), 5);
    assert_eq!(
        after_first["pupil_profiles"].len(),
        12,
        "dates of birth in the profiles"
    );
    assert!(
        !format!("{after_first:?}").contains("2015-03-14"),
        "dates of birth are stored encrypted"
    );
    assert_eq!(after_first["timetable_slots"].len(), 6);
    assert_eq!(after_first["subjects"].len(), 5);
    assert!(
        after_first["users"]
            .iter()
            .any(|u| u.contains("Jörg Müller"))
    );
    for summary in &again {
        assert!(
            summary.contains("0 neu, 0 geändert, 0 nicht mehr in der Datei"),
            "{summary}"
        );
    }
    assert_eq!(dump(&app, &BOOKKEEPING), after_first);
    assert_eq!(app.audit_with("stammdaten_importiert", None).len(), 6 + 6);
    let page = b.get("/schule/schueler").await.text().await.unwrap();
    assert!(page.contains("Kähler"), "the imported pupils are listed");
}

#[tokio::test]
async fn a_file_with_one_pupil_removed_marks_that_pupil_as_left_and_keeps_their_attendance() {
    // Arrange
    let (app, b, school_id) = school_with_samples().await;
    let (pupil_id, lessons_before) = record_an_absence_of(&app, school_id, "1003");
    let pupils = sample_text("schueler.csv");
    let without = without_lines(&pupils, &["1003;"]);

    // Act
    let (status, page) = upload(&b, "schueler", "schueler.csv", without.as_bytes()).await;
    assert_eq!(status, 200, "{page}");
    let summary = text_of(&page, "p.summary").unwrap();
    let leaving = text_of(&page, "tr[data-effect='nicht mehr in der Datei']").unwrap();
    let resp = apply(&b, &page).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert!(
        summary.contains("0 neu, 0 geändert, 1 nicht mehr in der Datei"),
        "{summary}"
    );
    assert!(leaving.contains("Carstensen, Emma"), "{leaving}");
    let yesterday = app.school_today() - chrono::Duration::days(1);
    let enrolled_to: Option<chrono::NaiveDate> = klassenbuch::db::schema::pupils::table
        .find(pupil_id)
        .select(klassenbuch::db::schema::pupils::enrolled_to)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(enrolled_to, Some(yesterday), "marked as left, not deleted");
    assert_eq!(
        attendance_of(&app, pupil_id),
        lessons_before,
        "history kept"
    );
    let flash = b.get("/verwaltung/import").await.text().await.unwrap();
    assert!(flash.contains("1 nicht mehr in der Datei"), "{flash}");
    let (again, _) = cli_apply(&app, school_id, "schueler", &without);
    assert!(again.unwrap().is_empty(), "the leaver is not marked twice");
}

/// Records one documented lesson of the pupil with the school software's id `ext`, in
/// which they were absent; returns the pupil row and the number of attendance marks.
fn record_an_absence_of(app: &TestApp, school_id: i64, ext: &str) -> (i64, i64) {
    use klassenbuch::db::schema::pupils as ip;
    use klassenbuch::db::schema::{attendance, lessons, timetable_slots as ts};
    let mut conn = app.conn();
    let (pupil_id, class_id): (i64, i64) = ip::table
        .filter(ip::external_id.eq(ext))
        .select((ip::id, ip::class_id))
        .first(&mut *conn)
        .unwrap();
    let (slot_id, subject_id, teacher_id): (i64, i64, i64) = ts::table
        .filter(ts::class_id.eq(class_id))
        .select((ts::id, ts::subject_id, ts::teacher_id))
        .first(&mut *conn)
        .unwrap();
    let now = app.now_naive();
    let lesson_id: i64 = diesel::insert_into(lessons::table)
        .values((
            lessons::school_id.eq(school_id),
            lessons::slot_id.eq(slot_id),
            lessons::date.eq(app.school_today() - chrono::Duration::days(7)),
            lessons::class_id.eq(class_id),
            lessons::subject_id.eq(subject_id),
            lessons::teacher_id.eq(teacher_id),
            lessons::period.eq(1i16),
            lessons::start_minute.eq(480),
            lessons::end_minute.eq(525),
            lessons::topic.eq("Bruchrechnung"),
            lessons::homework.eq(""),
            lessons::status.eq("dokumentiert"),
            lessons::documented_by.eq(teacher_id),
            lessons::documented_at.eq(now),
            lessons::updated_at.eq(now),
        ))
        .returning(lessons::id)
        .get_result(&mut *conn)
        .unwrap();
    diesel::insert_into(attendance::table)
        .values((
            attendance::school_id.eq(school_id),
            attendance::lesson_id.eq(lesson_id),
            attendance::pupil_id.eq(pupil_id),
            attendance::status.eq("abwesend"),
        ))
        .execute(&mut *conn)
        .unwrap();
    (pupil_id, attendance_of(app, pupil_id))
}

fn attendance_of(app: &TestApp, pupil_id: i64) -> i64 {
    use klassenbuch::db::schema::attendance;
    attendance::table
        .filter(attendance::pupil_id.eq(pupil_id))
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

#[tokio::test]
async fn the_uploaded_file_waits_for_apply_only_encrypted_and_is_gone_after_apply() {
    // Arrange
    let (app, b, school_id) = school_with_samples().await;
    let file = sample_text("schueler.csv").replace(
        "1005;Ehlers;Sophie;5b;30.05.2015;",
        "1005;Ehlers;Sophie;5b;31.05.2015;",
    );

    // Act
    let (status, preview) = upload(&b, "schueler", "schueler.csv", file.as_bytes()).await;
    let waiting: Vec<String> = {
        use klassenbuch::db::schema_import::pending_imports as pi;
        pi::table
            .select(pi::content)
            .load(&mut *app.conn())
            .unwrap()
    };
    let applied = apply(&b, &preview).await;
    let left: i64 = {
        use klassenbuch::db::schema_import::pending_imports as pi;
        pi::table.count().get_result(&mut *app.conn()).unwrap()
    };

    // Assert
    assert_eq!(status, 200, "{preview}");
    assert_eq!(waiting.len(), 1);
    assert!(
        !waiting[0].contains("Ehlers") && !waiting[0].contains("31.05.2015"),
        "the waiting file is stored in plain text"
    );
    assert!(
        klassenbuch::sealed::pending_import()
            .open(&app.state.keys, school_id, &waiting[0])
            .unwrap()
            .contains("1005;Ehlers;Sophie;5b;31.05.2015;")
    );
    assert_eq!(applied.status().as_u16(), 303);
    assert_eq!(left, 0, "nothing of the file remains after apply");
}

#[tokio::test]
async fn a_pupil_who_changes_class_keeps_the_old_enrolment_and_gets_a_new_one() {
    // Arrange
    let (app, _b, school_id) = school_with_samples().await;
    let moved = sample_text("schueler.csv")
        .replace("1004;Dethlefsen;Paul;5a;", "1004;Dethlefsen;Paul;5b;")
        .replace(
            "1005;Ehlers;Sophie;5b;30.05.2015;",
            "1005;Ehlers;Sophie;5b;31.05.2015;",
        );

    // Act
    let (result, out) = cli_apply(&app, school_id, "schueler", &moved);

    // Assert
    let plan = result.unwrap();
    assert_eq!(plan.changes.len(), 2, "{out}");
    assert!(out.contains("Klasse 5a → 5b"), "{out}");
    assert!(out.contains("Ehlers, Sophie: Geburtsdatum"), "{out}");
    assert!(
        !out.contains("31.05.2015"),
        "class B values stay out of the report: {out}"
    );
    assert_eq!(
        dump(&app, &BOOKKEEPING)["pupil_profiles"].len(),
        13,
        "the new enrolment keeps the date of birth"
    );
    let rows = dump(&app, &BOOKKEEPING)["pupils"]
        .iter()
        .filter(|r| r.contains("Dethlefsen"))
        .count();
    assert_eq!(rows, 2, "old enrolment kept, new one added");
    let (again, _) = cli_apply(&app, school_id, "schueler", &moved);
    assert!(again.unwrap().is_empty());
}

#[tokio::test]
async fn the_cli_without_apply_only_reports_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Schulleitung);
    let before = dump(&app, &[]);

    // Act
    let (result, out) = cli(
        &app,
        user.school_id,
        "personal",
        "personal.csv",
        &sample("personal.csv"),
        false,
    );

    // Assert
    let plan = result.unwrap();
    assert_eq!(plan.changes.len(), 5);
    assert!(
        out.contains("Jörg Müller (MÜL), Anmeldename j.mueller"),
        "{out}"
    );
    assert!(
        out.contains("5 neu, 0 geändert, 0 nicht mehr in der Datei"),
        "{out}"
    );
    assert!(out.contains("mit --apply übernehmen"), "{out}");
    assert_eq!(dump(&app, &[]), before);
}

#[tokio::test]
async fn the_export_gives_the_import_format_with_formulas_neutralised_and_is_audited() {
    // Arrange
    let (app, b, school_id) = school_with_samples().await;
    let tricky =
        sample_text("schueler.csv").replace("1012;Lorenzen;", "1012;=HYPERLINK(\"http://x\");");
    let (result, out) = cli_apply(&app, school_id, "schueler", &tricky);
    assert!(result.is_ok(), "{out}");
    let audits = app.audit_with("export", None).len();

    // Act
    let resp = b.get("/verwaltung/export?art=schueler").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        crate::helpers::header(&resp, "content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    let body = resp.text().await.unwrap();
    assert!(
        body.starts_with("\u{feff}Schüler-ID;Nachname;Vorname;Klasse;"),
        "{body}"
    );
    assert!(body.contains("1001;Albers;Mia;5a;;01.08.2025;"), "{body}");
    assert!(body.contains("'=HYPERLINK"), "formula neutralised: {body}");
    assert_eq!(app.audit_with("export", None).len(), audits + 1);
    let (again, out) = cli(
        &app,
        school_id,
        "schueler",
        "export.csv",
        body.replace("'=HYPERLINK", "=HYPERLINK").as_bytes(),
        false,
    );
    assert!(
        again.unwrap().is_empty(),
        "the export imports without changes: {out}"
    );
}

#[tokio::test]
async fn a_school_can_name_its_own_column_header() {
    // Arrange
    let app = spawn_app().await;
    let (_user, b) = headteacher(&app).await;
    let page = b
        .get("/verwaltung/import/zuordnung")
        .await
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::csrf_of(&page);
    let resp = b
        .post_form(
            "/verwaltung/import/zuordnung",
            &[("csrf", &csrf), ("personal.kuerzel", "Lehrerzeichen")],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303);
    let file = "Lehrerzeichen;Nachname;Vorname\nABC;Thomsen;Kai\n";

    // Act
    let (status, page) = upload(&b, "personal", "lehrer.csv", file.as_bytes()).await;
    let (old_status, old_page) = upload(
        &b,
        "personal",
        "lehrer.csv",
        sample("personal.csv").as_slice(),
    )
    .await;

    // Assert
    assert_eq!(status, 200, "{page}");
    assert!(text_of(&page, "p.summary").unwrap().contains("1 neu"));
    assert_eq!(old_status, 422);
    assert!(
        old_page.contains("Die Pflichtspalte »Kürzel« fehlt (erkannt werden: »Lehrerzeichen«)"),
        "{old_page}"
    );
}

#[tokio::test]
async fn a_timetable_without_a_slot_ends_it_and_a_new_room_starts_a_new_slot() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Schulleitung);
    import_sample_files(&app, user.school_id, &SAMPLES[..5]);
    // Slots valid since the start of the school year.
    let dated = sample_text("stundenplan.csv").replace(";\n", ";01.09.2026\n");
    let (r, out) = cli_apply(&app, user.school_id, "stundenplan", &dated);
    assert_eq!(r.unwrap().changes.len(), 6, "{out}");
    let changed = without_lines(
        &dated.replace("5a;Mo;2;M;SCH;A 101;", "5a;Mo;2;M;SCH;A 303;"),
        &["6a;Do;2;"],
    );

    // Act
    let (result, out) = cli_apply(&app, user.school_id, "stundenplan", &changed);

    // Assert
    let plan = result.unwrap();
    assert_eq!(plan.changes.len(), 2, "{out}");
    assert!(
        out.contains("5a Mo 2. Stunde: M bei SCH: Raum A 101 → A 303"),
        "{out}"
    );
    assert!(
        out.contains("6a Do 2. Stunde: WiPo bei Maren Petersen: endet"),
        "{out}"
    );
    let slots = dump(&app, &BOOKKEEPING)["timetable_slots"].clone();
    assert_eq!(slots.len(), 7, "ended slots stay: {slots:?}");
    let (again, out) = cli_apply(&app, user.school_id, "stundenplan", &changed);
    assert!(again.unwrap().is_empty(), "{out}");
}

#[tokio::test]
async fn staff_missing_from_the_file_are_deactivated_but_never_the_headteacher() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Schulleitung);
    let with_head = format!(
        "Kürzel;Nachname;Vorname;Anmeldename\nMÜL;Müller;Jörg;j.mueller\n\
         PET;Petersen;Maren;m.petersen\nCHE;Chefin;Carla;{}\n",
        user.login
    );
    let (r, out) = cli_apply(&app, user.school_id, "personal", &with_head);
    assert!(r.is_ok(), "{out}");
    let without = without_lines(&with_head, &["PET;", "CHE;"]);

    // Act
    let (result, out) = cli_apply(&app, user.school_id, "personal", &without);

    // Assert
    let plan = result.unwrap();
    assert_eq!(plan.changes.len(), 1, "{out}");
    assert!(
        out.contains("Maren Petersen (PET): Konto wird deaktiviert"),
        "{out}"
    );
    let users = dump(&app, &BOOKKEEPING)["users"].clone();
    let petersen = users.iter().find(|u| u.contains("m.petersen")).unwrap();
    let head = users.iter().find(|u| u.contains(&user.login)).unwrap();
    assert!(
        petersen.contains("|0|") || petersen.contains("|false|"),
        "{petersen}"
    );
    assert!(head.contains("|1|") || head.contains("|true|"), "{head}");
}

#[tokio::test]
async fn the_administration_imports_too_and_another_school_cannot_apply_its_preview() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_user(Role::Verwaltung);
    let b = app.elevated_browser_for(&admin).await;
    let other = app.create_user(Role::Schulleitung);
    let intruder = app.elevated_browser_for(&other).await;
    let (status, preview) = upload(&b, "personal", "personal.csv", &sample("personal.csv")).await;
    assert_eq!(status, 200, "{preview}");
    let before = dump(&app, &BOOKKEEPING);

    // Act
    let token = attr_of(&preview, "input[name=token]", "value").unwrap();
    let csrf = intruder.csrf_from("/verwaltung/import").await;
    let foreign = intruder
        .post_form(
            "/verwaltung/import/anwenden",
            &[("csrf", &csrf), ("token", &token)],
        )
        .await;
    let after_foreign = dump(&app, &BOOKKEEPING);
    let own = apply(&b, &preview).await;

    // Assert
    assert_eq!(foreign.status().as_u16(), 303);
    let page = intruder
        .get("/verwaltung/import")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Die Vorschau ist abgelaufen"), "{page}");
    assert_eq!(
        after_foreign, before,
        "nothing written for the other school"
    );
    assert_eq!(own.status().as_u16(), 303);
    let users = dump(&app, &BOOKKEEPING)["users"].clone();
    assert!(users.iter().any(|u| u.contains("j.mueller")));
}
