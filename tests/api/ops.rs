//! Operations, in process: backup under load and restore, restore refusing a newer schema,
//! `/metrics`, readiness, two instances on one database, and a database that disappears
//! under a running instance. Runs on SQLite and, with `KLASSENBUCH_TEST_DATABASE_URL`, on
//! PostgreSQL (backups there need `pg_dump` and `pg_restore`).

use crate::helpers::{
    TestApp, TestClient, TestDatabase, TestUser, location, postgres_base_url, random_hex,
    spawn_app, spawn_app_on, text_of, totp_code,
};
use chrono::{Datelike, Duration, NaiveDate};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::auth::throttle::ACCOUNT_DELAY_AFTER;
use klassenbuch::clock::{Clock, ManualClock, school_today};
use klassenbuch::config::Settings;
use klassenbuch::crypto::Keyring;
use klassenbuch::db::schema::{attendance, change_history, lessons, schools, timetable_slots};
use klassenbuch::db::timetable::{self, NewSlot};
use klassenbuch::db::{Db, DbConnection};
use klassenbuch::ops::backup::{self, BackupMeta, meta_path};
use klassenbuch::startup::Application;
use secrecy::SecretString;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------------------
// Fixtures

/// A teacher's lesson today: one slot of a class with five pupils.
struct LessonFixture {
    teacher: TestUser,
    slot_id: i64,
    date: NaiveDate,
    pupils: Vec<i64>,
}

impl LessonFixture {
    fn path(&self) -> String {
        format!("/unterricht/{}/{}", self.slot_id, self.date)
    }
}

/// A new school with a teacher who gives one lesson today (by the app's clock).
fn seed_lesson(app: &TestApp) -> LessonFixture {
    let teacher = app.create_user(Role::Lehrkraft);
    let school_id = teacher.school_id;
    let date = school_today(app.clock.now());
    let since = date - Duration::days(30);
    let mut conn = app.conn();
    let c: &mut DbConnection = &mut conn;
    let subject = timetable::create_subject(c, school_id, "M", "Mathematik").unwrap();
    let class_id = timetable::create_class(c, school_id, "7a").unwrap();
    let pupils = ["Albers", "Brandt", "Christiansen", "Dittmer", "Ehlers"]
        .iter()
        .map(|s| timetable::create_pupil(c, school_id, class_id, s, "Mia", since).unwrap())
        .collect();
    let weekday = date.weekday().number_from_monday() as i16;
    timetable::create_slot(
        c,
        &NewSlot {
            school_id,
            class_id,
            subject_id: subject,
            teacher_id: teacher.user_id,
            weekday,
            period: 1,
            room: "R 1",
            valid_from: since,
        },
    )
    .unwrap();
    let slot_id = timetable_slots::table
        .filter(timetable_slots::school_id.eq(school_id))
        .filter(timetable_slots::class_id.eq(class_id))
        .select(timetable_slots::id)
        .first(c)
        .unwrap();
    LessonFixture {
        teacher,
        slot_id,
        date,
        pupils,
    }
}

/// What the `n`-th save of a lesson sends and what it must leave in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SaveContent {
    topic: String,
    homework: String,
    /// Pupil → (`attendance.status`, minutes); present pupils have no row.
    marks: BTreeMap<i64, (String, i32)>,
    /// The form fields apart from the CSRF token.
    fields: Vec<(String, String)>,
}

fn save_content(tag: &str, n: usize, pupils: &[i64]) -> SaveContent {
    let topic = format!("Thema {tag}-{n}");
    let homework = format!("Aufgabe {n}");
    let mut fields = vec![
        ("topic".to_owned(), topic.clone()),
        ("homework".to_owned(), homework.clone()),
    ];
    let mut marks = BTreeMap::new();
    for (k, pupil) in pupils.iter().enumerate() {
        let minutes = 1 + ((n * 7 + k) % 45) as i32;
        let (code, stored) = match (n + k) % 4 {
            0 => continue,
            1 => ("f", ("abwesend", 0)),
            2 => ("v", ("verspaetet", minutes)),
            _ => ("g", ("frueh_gegangen", minutes)),
        };
        fields.push((format!("p{pupil}"), code.to_owned()));
        if stored.1 > 0 {
            fields.push((format!("m{pupil}"), stored.1.to_string()));
        }
        marks.insert(*pupil, (stored.0.to_owned(), stored.1));
    }
    SaveContent {
        topic,
        homework,
        marks,
        fields,
    }
}

/// Posts a save; returns the status.
async fn post_save(client: &TestClient, path: &str, csrf: &str, content: &SaveContent) -> u16 {
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf)];
    form.extend(content.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    client.post_form(path, &form).await.status().as_u16()
}

/// What the database holds for one lesson.
#[derive(Debug, Default)]
struct StoredLesson {
    topic: Option<String>,
    homework: Option<String>,
    marks: BTreeMap<i64, (String, i32)>,
    /// Every topic the change history records for the lesson.
    topics_in_history: BTreeSet<String>,
}

fn stored_lesson(conn: &mut DbConnection, slot_id: i64, date: NaiveDate) -> StoredLesson {
    let row: Option<(i64, String, String)> = lessons::table
        .filter(lessons::slot_id.eq(slot_id))
        .filter(lessons::date.eq(date))
        .select((lessons::id, lessons::topic, lessons::homework))
        .first(conn)
        .optional()
        .unwrap();
    let Some((id, topic, homework)) = row else {
        return StoredLesson::default();
    };
    let marks = attendance::table
        .filter(attendance::lesson_id.eq(id))
        .select((
            attendance::pupil_id,
            attendance::status,
            attendance::minutes,
        ))
        .load::<(i64, String, i32)>(conn)
        .unwrap()
        .into_iter()
        .map(|(p, s, m)| (p, (s, m)))
        .collect();
    let topics_in_history = change_history::table
        .filter(change_history::entity.eq("lesson"))
        .filter(change_history::entity_id.eq(id))
        .filter(change_history::field.eq("thema"))
        .select(change_history::new_value)
        .load::<String>(conn)
        .unwrap()
        .into_iter()
        .collect();
    StoredLesson {
        topic: Some(topic),
        homework: Some(homework),
        marks,
        topics_in_history,
    }
}

/// A database of its own on the test PostgreSQL server (not a schema of the shared test
/// database): `pg_dump` dumps whole databases. Dropped (with its connections) at the end.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(admin_url: &str, prefix: &str) -> Self {
        let name = format!("{prefix}_{}", random_hex());
        let mut conn = PgConnection::establish(admin_url).expect("connect to the test PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE template0"))
            .execute(&mut conn)
            .expect("create a database");
        let mut url = url::Url::parse(admin_url).expect("PostgreSQL URL");
        url.set_path(&format!("/{name}"));
        url.set_query(None);
        Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        }
    }

    /// Drops the database now, ending every connection to it.
    fn drop_now(&self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        self.drop_now();
    }
}

/// Fails with a clear message if the PostgreSQL client tools are missing.
fn require_pg_tools() {
    for tool in ["pg_dump", "pg_restore"] {
        let ok = std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "{tool} fehlt: die Sicherungstests auf PostgreSQL brauchen die Client-Programme \
             (Debian: apt-get install postgresql-client)"
        );
    }
}

/// An app for the backup tests: on SQLite a fresh file; on PostgreSQL a database of its own.
async fn app_for_backup() -> (TestApp, Option<PgDatabase>) {
    match postgres_base_url() {
        Some(admin) => {
            require_pg_tools();
            let db = PgDatabase::create(&admin, "kb_backup");
            let app = spawn_app_on(&db.url).await;
            (app, Some(db))
        }
        None => (spawn_app().await, None),
    }
}

/// Where a restore may go: a new SQLite file in `dir`, or a new PostgreSQL database.
fn restore_target(dir: &Path) -> (String, Option<PgDatabase>) {
    match postgres_base_url() {
        Some(admin) => {
            let db = PgDatabase::create(&admin, "kb_restore");
            (db.url.clone(), Some(db))
        }
        None => (
            format!("sqlite://{}", dir.join("restored.sqlite").display()),
            None,
        ),
    }
}

fn backup_file(dir: &Path) -> std::path::PathBuf {
    dir.join(match postgres_base_url() {
        Some(_) => "klassenbuch.dump",
        None => "klassenbuch.sqlite",
    })
}

fn cloned_client(c: &TestClient) -> TestClient {
    TestClient {
        address: c.address.clone(),
        client: c.client.clone(),
        jar: c.jar.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Backup and restore

#[derive(Debug, Clone)]
struct Attempt {
    n: usize,
    status: u16,
    /// Sent only after the backup had returned.
    after_backup: bool,
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_every_save_confirmed_before_it() {
    // Arrange: a teacher keeps saving the same lesson through HTTP.
    let (app, _source_db) = app_for_backup().await;
    let lesson = seed_lesson(&app);
    let teacher = app.browser_for_ops(&lesson.teacher).await;
    let csrf = teacher.csrf_from(&lesson.path()).await;
    let attempts: Arc<Mutex<Vec<Attempt>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let backup_done = Arc::new(AtomicBool::new(false));
    let saver = {
        let (client, path, pupils) = (
            cloned_client(&teacher),
            lesson.path(),
            lesson.pupils.clone(),
        );
        let (attempts, stop, backup_done) = (attempts.clone(), stop.clone(), backup_done.clone());
        tokio::spawn(async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            for n in 0..2000 {
                if stop.load(Ordering::SeqCst) || std::time::Instant::now() > deadline {
                    break;
                }
                let after_backup = backup_done.load(Ordering::SeqCst);
                let status = post_save(&client, &path, &csrf, &save_content("L", n, &pupils)).await;
                attempts.lock().unwrap().push(Attempt {
                    n,
                    status,
                    after_backup,
                });
            }
        })
    };
    let confirmed = |attempts: &Arc<Mutex<Vec<Attempt>>>| {
        attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.status == 303)
            .map(|a| a.n)
            .collect::<Vec<_>>()
    };
    for _ in 0..600 {
        if confirmed(&attempts).len() >= 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = backup_file(dir.path());

    // Act: back up while the saves go on.
    let before_backup = confirmed(&attempts);
    assert!(before_backup.len() >= 10, "the saves did not get going");
    let meta = {
        let (db, file) = (app.state.db.clone(), file.clone());
        let now = app.clock.now();
        tokio::task::spawn_blocking(move || backup::backup(&db, &file, now))
            .await
            .unwrap()
            .expect("backup under load")
    };
    backup_done.store(true, Ordering::SeqCst);
    let total_before = attempts.lock().unwrap().len();
    for _ in 0..600 {
        if attempts.lock().unwrap().len() >= total_before + 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    saver.await.unwrap();
    let (target_url, _target_db) = restore_target(dir.path());
    let report = {
        let (url, file) = (target_url.clone(), file.clone());
        tokio::task::spawn_blocking(move || backup::restore(&url, &file))
            .await
            .unwrap()
            .expect("restore into a fresh database")
    };

    // Assert: the sidecar, the checks of the restore, and the content.
    let attempts = attempts.lock().unwrap().clone();
    assert!(
        attempts.iter().all(|a| a.status == 303),
        "every save under load is confirmed: {attempts:?}"
    );
    let on_disk: BackupMeta =
        serde_json::from_str(&std::fs::read_to_string(meta_path(&file)).unwrap()).unwrap();
    assert_eq!(on_disk, meta);
    assert_eq!(report.schema_version, meta.schema_version);
    assert!(report.audit_records > 0, "the sign-in left audit records");
    let restored = Db::connect(&target_url, 1, 5000).unwrap();
    let mut conn = restored.get().unwrap();
    assert!(
        klassenbuch::db::audit::verify_chains(&mut conn)
            .unwrap()
            .is_ok(),
        "the restored audit chains verify"
    );
    let stored = stored_lesson(&mut conn, lesson.slot_id, lesson.date);
    for n in &before_backup {
        let topic = save_content("L", *n, &lesson.pupils).topic;
        assert!(
            stored.topics_in_history.contains(&topic),
            "save {n}, confirmed before the backup started, is missing from the restore"
        );
    }
    for a in attempts.iter().filter(|a| a.after_backup) {
        let topic = save_content("L", a.n, &lesson.pupils).topic;
        assert!(
            !stored.topics_in_history.contains(&topic),
            "save {} was sent after the backup returned, yet it is in the backup",
            a.n
        );
    }
    // The restored lesson is exactly one save, not a mix of two.
    let topic = stored.topic.clone().expect("the lesson is in the restore");
    let n: usize = topic.rsplit('-').next().unwrap().parse().unwrap();
    let expected = save_content("L", n, &lesson.pupils);
    assert_eq!(stored.homework.as_deref(), Some(expected.homework.as_str()));
    assert_eq!(stored.marks, expected.marks, "attendance of save {n}");
    if restored.kind() == klassenbuch::db::DbKind::Sqlite {
        assert_eq!(
            integrity_check(&mut conn),
            vec!["ok".to_owned()],
            "PRAGMA integrity_check of the restored file"
        );
    }
}

#[derive(QueryableByName)]
struct IntegrityRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

fn integrity_check(conn: &mut DbConnection) -> Vec<String> {
    diesel::sql_query("PRAGMA integrity_check")
        .load::<IntegrityRow>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.integrity_check)
        .collect()
}

fn school_names(conn: &mut DbConnection) -> Vec<String> {
    schools::table
        .order(schools::id)
        .select(schools::name)
        .load(conn)
        .unwrap()
}

#[tokio::test]
async fn restore_refuses_a_backup_of_a_newer_schema_and_changes_nothing() {
    // Arrange: a real backup whose sidecar claims a schema this build does not know, and a
    // target database with content of its own.
    let (app, _source_db) = app_for_backup().await;
    app.create_school("Schule der Sicherung");
    let dir = tempfile::tempdir().unwrap();
    let file = backup_file(dir.path());
    let mut meta = backup::backup(&app.state.db, &file, app.clock.now()).unwrap();
    meta.schema_version = "29991231235959".into();
    std::fs::write(
        meta_path(&file),
        serde_json::to_string_pretty(&meta).unwrap(),
    )
    .unwrap();
    let (target_url, _target_db) = restore_target(dir.path());
    let target = Db::connect(&target_url, 1, 5000).unwrap();
    target.migrate().unwrap();
    klassenbuch::db::schools::create(
        &mut target.get().unwrap(),
        "Schule des Ziels",
        app.now_naive(),
    )
    .unwrap();
    let version_before = backup::schema_version(&mut target.get().unwrap()).unwrap();
    drop(target);
    let target_file = klassenbuch::db::sqlite_path(&target_url).to_owned();
    let bytes_before = std::fs::read(&target_file).ok();

    // Act
    let err = backup::restore(&target_url, &file).expect_err("a newer schema is refused");

    // Assert: a German message naming the version; the target is untouched.
    let msg = format!("{err:#}");
    assert!(msg.contains("Schemaversion 29991231235959"), "{msg}");
    assert!(msg.contains("neueren Version"), "{msg}");
    if bytes_before.is_some() {
        assert_eq!(
            std::fs::read(&target_file).ok(),
            bytes_before,
            "file unchanged"
        );
        assert!(
            !Path::new(&target_file)
                .with_extension("restore-tmp")
                .exists(),
            "no staging file left behind"
        );
    }
    let target = Db::connect(&target_url, 1, 5000).unwrap();
    let mut conn = target.get().unwrap();
    assert_eq!(school_names(&mut conn), vec!["Schule des Ziels".to_owned()]);
    assert_eq!(backup::schema_version(&mut conn).unwrap(), version_before);
}

#[tokio::test]
async fn an_instance_refuses_to_start_on_a_database_of_a_newer_schema() {
    // Arrange: the database says a migration ran that this build does not know.
    let app = spawn_app().await;
    diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231235959')")
        .execute(&mut *app.conn())
        .unwrap();
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.database.url = SecretString::from(app.db_url.clone());
    settings.database.pool_size = 2;
    let keys = Keyring::parse(&Keyring::generate_line("t1")).unwrap();

    // Act: e.g. a rolled-back binary after an upgrade.
    let built = Application::build(settings, Arc::new(ManualClock::starting_now()), keys);

    // Assert
    let err = built.err().expect("an older build refuses a newer schema");
    let msg = format!("{err:#}");
    assert!(msg.contains("29991231235959"), "{msg}");
}

// ---------------------------------------------------------------------------------------
// /metrics and /readyz

/// An app with its own settings (the common harness has no way to change them).
struct CustomApp {
    address: String,
    _db: TestDatabase,
}

async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> CustomApp {
    let db = TestDatabase::fresh();
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.database.url = SecretString::from(db.url.clone());
    settings.database.pool_size = 4;
    change(&mut settings);
    let keys = Keyring::parse(&Keyring::generate_line("t1")).unwrap();
    let app = Application::build(settings, Arc::new(ManualClock::starting_now()), keys).unwrap();
    let address = format!("http://localhost:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    CustomApp { address, _db: db }
}

/// `value` of the metric line that starts with `series` (`name{labels}`).
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_never_by_concrete_path() {
    // Arrange: no token, so loopback may read.
    let app = spawn_app().await;
    for _ in 0..3 {
        assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    }
    let lesson = app.get("/unterricht/4711/2027-03-10").await;
    assert_eq!(lesson.status().as_u16(), 303, "anonymous: to the sign-in");
    app.get("/klassen/4712/fehlzeiten").await;
    app.get("/einrichtung/geheimes-token-4713").await;
    assert_eq!(app.get("/gibt-es-nicht/4714").await.status().as_u16(), 404);

    // Act
    let resp = app.get("/metrics").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = resp.text().await.unwrap();
    assert_eq!(
        metric(
            &text,
            r#"klassenbuch_requests_total{method="GET",route="/healthz",status="200"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"klassenbuch_requests_total{method="GET",route="/unterricht/{slot}/{date}",status="303"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/klassen/{class_id}/fehlzeiten""#),
        "{text}"
    );
    assert!(text.contains(r#"route="/einrichtung/{token}""#), "{text}");
    assert_eq!(
        metric(
            &text,
            r#"klassenbuch_request_duration_seconds_count{method="GET",route="/healthz"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"klassenbuch_requests_total{method="GET",route="unbekannt",status="404"}"#
        ),
        Some(1.0),
        "{text}"
    );
    for concrete in ["4711", "4712", "geheimes-token", "4714", "2027-03-10"] {
        assert!(
            !text.contains(concrete),
            "»{concrete}« must not appear:\n{text}"
        );
    }
}

#[tokio::test]
async fn metrics_need_the_configured_bearer_token() {
    // Arrange
    let app = spawn_app_with(|s| s.server.metrics_token = "kb-metrics-7f3a9c".into()).await;
    let client = crate::helpers::plain_client();
    let url = format!("{}/metrics", app.address);

    // Act
    let missing = client.get(&url).send().await.unwrap();
    let wrong = client
        .get(&url)
        .bearer_auth("kb-metrics-0000")
        .send()
        .await
        .unwrap();
    let not_bearer = client
        .get(&url)
        .header("authorization", "kb-metrics-7f3a9c")
        .send()
        .await
        .unwrap();
    let right = client
        .get(&url)
        .bearer_auth("kb-metrics-7f3a9c")
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(
        missing.status().as_u16(),
        403,
        "no token, even from loopback"
    );
    assert_eq!(wrong.status().as_u16(), 403, "wrong token");
    assert_eq!(not_bearer.status().as_u16(), 403, "token without »Bearer«");
    assert_eq!(right.status().as_u16(), 200);
    let text = right.text().await.unwrap();
    assert!(
        text.contains("# TYPE klassenbuch_requests_total counter"),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/metrics",status="403""#),
        "refused scrapes are counted too:\n{text}"
    );
    assert!(!text.contains("kb-metrics"), "the token never appears");
}

#[tokio::test]
async fn readyz_turns_503_while_the_instance_is_not_ready() {
    // Arrange
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);

    // Act
    app.state.ready.store(false, Ordering::SeqCst);
    let draining = app.get("/readyz").await;
    let live = app.get("/healthz").await;
    app.state.ready.store(true, Ordering::SeqCst);
    let back = app.get("/readyz").await;

    // Assert
    assert_eq!(draining.status().as_u16(), 503);
    assert_eq!(draining.text().await.unwrap(), "wird beendet");
    assert_eq!(
        live.status().as_u16(),
        200,
        "liveness stays up while draining"
    );
    assert_eq!(back.status().as_u16(), 200);
}

// ---------------------------------------------------------------------------------------
// Scale-out: two instances, one database

impl TestApp {
    /// A new browser signed in as `user` with the password only.
    async fn browser_for_ops(&self, user: &TestUser) -> TestClient {
        let b = self.new_browser();
        b.sign_in_as(user).await;
        b
    }
}

/// The same browser (cookie jar) talking to another instance.
fn same_browser_on(b: &TestClient, other: &TestApp) -> TestClient {
    TestClient {
        address: other.address.clone(),
        client: b.client.clone(),
        jar: b.jar.clone(),
    }
}

#[tokio::test]
async fn two_instances_share_sessions_step_up_csrf_and_throttles() {
    // Arrange: A and B on one database (PostgreSQL schema or SQLite file), clocks in step.
    let a = spawn_app().await;
    let b = spawn_app_on(&a.db_url).await;
    b.clock.set(a.clock.now());
    let user = a.create_user(Role::Lehrkraft);
    let on_a = a.new_browser();
    on_a.sign_in_as(&user).await;
    let on_b = same_browser_on(&on_a, &b);
    let cookie_before = on_a.session_cookie().expect("session cookie from A");
    let next = "/konto/faktoren";
    assert_eq!(
        location(&on_a.get(next).await),
        format!("/step-up?next={}", urlencoding::encode(next)),
        "class B needs the step-up first"
    );

    // Act 1: the step-up form comes from A, the code goes to B.
    let csrf_from_a = on_a
        .csrf_from(&format!("/step-up?next={}", urlencoding::encode(next)))
        .await;
    let code = totp_code(&user.totp_secret, b.clock.now());
    let stepped_up = on_b
        .post_form(
            "/step-up",
            &[("csrf", &csrf_from_a), ("code", &code), ("next", next)],
        )
        .await;

    // Assert 1: B elevated the session; A honours the new cookie.
    assert_eq!(stepped_up.status().as_u16(), 303, "step-up on B");
    assert_eq!(location(&stepped_up), next);
    let cookie_after = on_a.session_cookie().expect("session cookie after step-up");
    assert_ne!(cookie_after, cookie_before, "step-up renews the session id");
    let elevated = on_a.get(next).await;
    assert_eq!(elevated.status().as_u16(), 200, "the elevated page on A");
    let page = elevated.text().await.unwrap();
    assert!(page.contains("Faktoren") || page.contains("TOTP"), "{page}");

    // Act 2: a form of A, submitted to B (sign-out of the renewed session).
    let csrf_a = on_a.csrf_from("/konto").await;
    let signed_out = on_b.post_form("/abmelden", &[("csrf", &csrf_a)]).await;

    // Assert 2
    assert_eq!(
        signed_out.status().as_u16(),
        303,
        "B accepts A's CSRF token"
    );
    let after = a.get_with_cookie("/", &cookie_after).await;
    assert_eq!(after.status().as_u16(), 303, "the session ended on A too");
    assert!(location(&after).starts_with("/anmelden"));

    // Act 3: wrong passwords alternate between A and B.
    let victim = a.create_user(Role::Lehrkraft);
    for n in 0..ACCOUNT_DELAY_AFTER {
        let app = if n % 2 == 0 { &a } else { &b };
        let resp = app
            .new_browser()
            .login(&victim.login, "Falsch-Falsch-123")
            .await;
        assert_eq!(
            resp.status().as_u16(),
            401,
            "failure {} on {}",
            n + 1,
            app.port
        );
    }
    let on_a_now = a.new_browser().login(&victim.login, &victim.password).await;
    let on_b_now = b.new_browser().login(&victim.login, &victim.password).await;

    // Assert 3: both instances count the same failures.
    assert_eq!(
        on_a_now.status().as_u16(),
        429,
        "A after 5 failures on A and B"
    );
    assert_eq!(
        on_b_now.status().as_u16(),
        429,
        "B after 5 failures on A and B"
    );
}

// ---------------------------------------------------------------------------------------
// A database that disappears under a running instance

/// Signs a teacher in and opens the lesson page once, so the app has warm connections.
async fn signed_in_teacher(app: &TestApp) -> (TestClient, LessonFixture) {
    let lesson = seed_lesson(app);
    let teacher = app.browser_for_ops(&lesson.teacher).await;
    assert_eq!(teacher.get(&lesson.path()).await.status().as_u16(), 200);
    (teacher, lesson)
}

/// The answer of a page after the database went away: a German error page, no panic.
async fn assert_german_error_page(resp: reqwest::Response, what: &str) -> u16 {
    let status = resp.status().as_u16();
    assert!(
        status == 503 || status == 500,
        "{what}: expected the maintenance or error page, got {status}"
    );
    let body = resp.text().await.unwrap();
    let title = text_of(&body, "h1").unwrap_or_default();
    assert!(
        title == "Wartung" || title == "Interner Fehler",
        "{what}: German page expected, got »{title}«:\n{body}"
    );
    status
}

#[tokio::test]
async fn when_the_postgres_schema_is_dropped_readyz_fails_and_pages_show_the_error_page() {
    let Some(admin) = postgres_base_url() else {
        return; // PostgreSQL only; SQLite: the next test.
    };
    // Arrange
    let app = spawn_app().await;
    let (teacher, lesson) = signed_in_teacher(&app).await;
    let schema = app
        .db_url
        .rsplit("search_path%3D")
        .next()
        .unwrap()
        .to_owned();

    // Act: the tables go away under the running instance.
    let mut conn = PgConnection::establish(&admin).unwrap();
    diesel::sql_query(format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut conn)
        .unwrap();
    let ready = app.get("/readyz").await;
    let page = teacher.get(&lesson.path()).await;

    // Assert
    assert_eq!(
        ready.status().as_u16(),
        503,
        "/readyz reports the lost tables"
    );
    assert_german_error_page(page, "lesson page").await;
    assert_eq!(
        app.get("/healthz").await.status().as_u16(),
        200,
        "the process lives"
    );
}

#[tokio::test]
async fn when_the_sqlite_file_is_deleted_readyz_fails_and_pages_and_saves_are_refused() {
    if postgres_base_url().is_some() {
        return; // SQLite only; PostgreSQL: the test above.
    }
    // Arrange
    let app = spawn_app().await;
    let (teacher, lesson) = signed_in_teacher(&app).await;
    let csrf = teacher.csrf_from(&lesson.path()).await;

    // Act: the file goes away with its directory (a lost volume, a mistaken `rm`). Removing
    // write permission instead would prove nothing: tests and CI run as root.
    let file = Path::new(klassenbuch::db::sqlite_path(&app.db_url)).to_owned();
    std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
    let ready = app.get("/readyz").await;
    let page = teacher.get(&lesson.path()).await;
    let save = post_save(
        &teacher,
        &lesson.path(),
        &csrf,
        &save_content("X", 1, &lesson.pupils),
    )
    .await;

    // Assert
    assert_eq!(
        ready.status().as_u16(),
        503,
        "/readyz reports the lost file"
    );
    assert_german_error_page(page, "lesson page").await;
    assert_ne!(
        save, 303,
        "a save into a deleted file must not be confirmed"
    );
    assert_eq!(
        app.get("/healthz").await.status().as_u16(),
        200,
        "the process lives"
    );
}

#[tokio::test]
async fn when_the_postgres_database_is_dropped_readyz_fails_and_pages_show_maintenance() {
    let Some(admin) = postgres_base_url() else {
        return; // PostgreSQL only.
    };
    // Arrange: an instance on a database of its own.
    let db = PgDatabase::create(&admin, "kb_gone");
    let app = spawn_app_on(&db.url).await;
    let (teacher, lesson) = signed_in_teacher(&app).await;

    // Act: the database goes away with every connection to it.
    db.drop_now();
    let ready = app.get("/readyz").await;
    let page = teacher.get(&lesson.path()).await;
    let save = post_save(
        &teacher,
        &lesson.path(),
        "egal",
        &save_content("X", 1, &lesson.pupils),
    )
    .await;

    // Assert: not ready, the German maintenance page, and the process lives on.
    assert_eq!(ready.status().as_u16(), 503);
    assert_eq!(ready.text().await.unwrap(), "Datenbank nicht erreichbar");
    assert_eq!(assert_german_error_page(page, "lesson page").await, 503);
    assert_eq!(save, 503, "a save is refused, not half done");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}
