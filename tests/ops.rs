//! Operations against the real `klassenbuch` binary: crash safety under SIGKILL, graceful
//! shutdown on SIGTERM, the backup and restore commands, a full disk, and start-up with an
//! unreachable database. SQLite only: with `KLASSENBUCH_TEST_DATABASE_URL` set (the PostgreSQL run of CI)
//! every test returns at once, so the processes do not run twice.
//!
//! All traffic goes to 127.0.0.1; every loop is bounded in count and time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use argon2::password_hash::PasswordHasher;
use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::clock::{Clock, SystemClock, school_today};
use klassenbuch::crypto::Keyring;
use klassenbuch::db::schema::{attendance, change_history, lessons, timetable_slots};
use klassenbuch::db::timetable::{self, NewSlot};
use klassenbuch::db::{Db, DbConnection, schools, users};
use reqwest::cookie::{CookieStore, Jar};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_klassenbuch");
const SESSION_COOKIE: &str = "__Host-klassenbuch";

/// True (and a note on stderr) when this is the PostgreSQL run of the suite.
fn postgres_run() -> bool {
    let pg = std::env::var("KLASSENBUCH_TEST_DATABASE_URL").is_ok_and(|v| !v.trim().is_empty());
    if pg {
        eprintln!("tests/ops.rs: runs on SQLite only; skipped in the PostgreSQL run");
    }
    pg
}

fn secs(s: f64) -> std::time::Duration {
    std::time::Duration::from_secs_f64(s)
}

// ---------------------------------------------------------------------------------------
// A deployment: a data directory with a SQLite file, a key, a port, and the server process

struct Deployment {
    dir: tempfile::TempDir,
    db_url: String,
    key_line: String,
    port: u16,
    log: PathBuf,
}

struct Server {
    child: Child,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (what `Child::kill` sends on unix), then reap the process.
    fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `limit` for the process to exit.
    fn wait_exit(&mut self, limit: std::time::Duration) -> Option<ExitStatus> {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(secs(0.02));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A free port below the kernel's ephemeral range, so that no outgoing connection and no
/// `bind(…:0)` elsewhere takes it while the server restarts on it.
fn free_port() -> u16 {
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let (from, to) = (10_000u16, low.max(10_100));
    for _ in 0..200 {
        let r = u16::from_le_bytes(klassenbuch::crypto::random_bytes::<2>());
        let port = from + r % (to - from);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Deployment {
    fn new() -> Self {
        Self::new_in(tempfile::tempdir().unwrap())
    }

    /// A deployment whose data directory is `dir`.
    fn new_in(dir: tempfile::TempDir) -> Self {
        let db_url = format!(
            "sqlite://{}",
            dir.path().join("klassenbuch.sqlite").display()
        );
        let log = dir.path().join("server.log");
        Self {
            db_url,
            key_line: Keyring::generate_line("t1"),
            port: free_port(),
            log,
            dir,
        }
    }

    fn address(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// `klassenbuch ARGS` with this deployment's settings and nothing from the environment
    /// of the test run.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        for (name, _) in std::env::vars() {
            if name.starts_with("KLASSENBUCH") || name == "RUST_LOG" {
                cmd.env_remove(name);
            }
        }
        cmd.args(args)
            .env("KLASSENBUCH__DATABASE__URL", &self.db_url)
            .env("KLASSENBUCH__KEYS__INLINE", &self.key_line)
            .env(
                "KLASSENBUCH__SERVER__BIND",
                format!("127.0.0.1:{}", self.port),
            )
            .env("KLASSENBUCH__SERVER__PUBLIC_ORIGIN", self.address())
            .env("KLASSENBUCH__SERVER__WORKERS", "2")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs a command to its end; returns (exit status, stdout, stderr).
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (ExitStatus, String, String) {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Starts `klassenbuch serve`; its stderr is appended to the deployment's log.
    fn start(&self, env: &[(&str, &str)]) -> Server {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut cmd = self.command(&["serve"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start klassenbuch serve");
        Server { child }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (at most 20 s) until `/readyz` answers 200.
    async fn wait_ready(&self, server: &mut Server) {
        let client = plain_client();
        let url = format!("{}/readyz", self.address());
        let until = Instant::now() + secs(20.0);
        while Instant::now() < until {
            if let Ok(r) = client.get(&url).send().await
                && r.status().as_u16() == 200
            {
                return;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("the server exited with {status}:\n{}", self.log_text());
            }
            tokio::time::sleep(secs(0.025)).await;
        }
        panic!("the server did not get ready in 20 s:\n{}", self.log_text());
    }

    fn db(&self) -> Db {
        Db::connect(&self.db_url, 2, 5000).unwrap()
    }

    fn sqlite_file(&self) -> PathBuf {
        self.dir.path().join("klassenbuch.sqlite")
    }
}

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .timeout(secs(5.0))
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Seeding through the library, before the server starts

/// A teacher with one class of five pupils and a lesson in period 1 on every weekday, so
/// that there is a lesson "today" whatever the day.
#[derive(Debug, Clone)]
struct Teacher {
    login: String,
    password: String,
    slots: BTreeMap<i16, i64>,
    pupils: Vec<i64>,
}

impl Teacher {
    /// The lesson of today (the school's date) and its path.
    fn lesson_today(&self) -> (i64, NaiveDate, String) {
        let date = school_today(SystemClock.now());
        let slot = self.slots[&(date.weekday().number_from_monday() as i16)];
        (slot, date, format!("/unterricht/{slot}/{date}"))
    }
}

fn seed(d: &Deployment, teachers: usize) -> Vec<Teacher> {
    let db = d.db();
    db.migrate().unwrap();
    let keys = Keyring::parse(&d.key_line).unwrap();
    let mut conn = db.get().unwrap();
    let c: &mut DbConnection = &mut conn;
    let now = SystemClock.now();
    let since = school_today(now) - Duration::days(30);
    let now = now.naive_utc();
    let school = schools::create(c, "Gymnasium am Deich", now).unwrap();
    let subject = timetable::create_subject(c, school.id, "M", "Mathematik").unwrap();
    (0..teachers)
        .map(|t| {
            let login = format!("lehrkraft{t}");
            let password = format!("Wattenmeer-Leuchtturm-{t}-Deichgraf");
            let hash = argon2::Argon2::default()
                .hash_password(password.as_bytes())
                .unwrap()
                .to_string();
            let user = users::create(c, school.id, &login, &format!("Lehrkraft {t}"), now).unwrap();
            users::set_password_hash(c, user.id, &hash).unwrap();
            users::set_setup_complete(c, user.id, true).unwrap();
            users::assign_role(c, school.id, user.id, Role::Lehrkraft, None).unwrap();
            klassenbuch::auth::demo_enrol(c, school.id, user.id, now, &keys).unwrap();
            let class_id = timetable::create_class(c, school.id, &format!("{}a", 5 + t)).unwrap();
            let pupils = ["Albers", "Brandt", "Christiansen", "Dittmer", "Ehlers"]
                .iter()
                .map(|s| timetable::create_pupil(c, school.id, class_id, s, "Ida", since).unwrap())
                .collect();
            let slots = (1..=7)
                .map(|weekday| {
                    timetable::create_slot(
                        c,
                        &NewSlot {
                            school_id: school.id,
                            class_id,
                            subject_id: subject,
                            teacher_id: user.id,
                            weekday,
                            period: 1,
                            room: "R 1",
                            valid_from: since,
                        },
                    )
                    .unwrap();
                    let id = timetable_slots::table
                        .filter(timetable_slots::class_id.eq(class_id))
                        .filter(timetable_slots::weekday.eq(weekday))
                        .select(timetable_slots::id)
                        .first(c)
                        .unwrap();
                    (weekday, id)
                })
                .collect();
            Teacher {
                login,
                password,
                slots,
                pupils,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Browsers and saves

struct Browser {
    client: reqwest::Client,
    jar: Arc<Jar>,
    address: String,
}

fn csrf_of(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[name=csrf]").unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("a CSRF field")
        .to_owned()
}

impl Browser {
    fn new(address: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(secs(10.0))
            .build()
            .unwrap();
        Self {
            client,
            jar,
            address: address.to_owned(),
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    async fn csrf_from(&self, path: &str) -> String {
        let resp = self.get(path).await;
        assert_eq!(resp.status().as_u16(), 200, "GET {path}");
        csrf_of(&resp.text().await.unwrap())
    }

    async fn sign_in(&self, t: &Teacher) {
        let csrf = self.csrf_from("/anmelden").await;
        let resp = self
            .client
            .post(format!("{}/anmelden", self.address))
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", &t.login),
                ("password", &t.password),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 303, "sign-in of {}", t.login);
    }

    fn session_cookie(&self) -> String {
        let url = reqwest::Url::parse(&self.address).unwrap();
        let header = self.jar.cookies(&url).expect("cookies");
        header
            .to_str()
            .unwrap()
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(n, _)| *n == SESSION_COOKIE)
            .map(|(_, v)| v.to_owned())
            .expect("the session cookie")
    }
}

/// What the `n`-th save of a lesson sends and must leave behind.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SaveContent {
    topic: String,
    homework: String,
    marks: BTreeMap<i64, (String, i32)>,
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
        let (code, status, minutes) = match (n + k) % 4 {
            0 => continue,
            1 => ("f", "abwesend", 0),
            2 => ("v", "verspaetet", minutes),
            _ => ("g", "frueh_gegangen", minutes),
        };
        fields.push((format!("p{pupil}"), code.to_owned()));
        if minutes > 0 {
            fields.push((format!("m{pupil}"), minutes.to_string()));
        }
        marks.insert(*pupil, (status.to_owned(), minutes));
    }
    SaveContent {
        topic,
        homework,
        marks,
        fields,
    }
}

fn form_body(csrf: &str, content: &SaveContent) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    ser.append_pair("csrf", csrf);
    for (k, v) in &content.fields {
        ser.append_pair(k, v);
    }
    ser.finish()
}

/// The database's state of one lesson.
#[derive(Debug, Default)]
struct StoredLesson {
    rows: usize,
    topic: Option<String>,
    homework: Option<String>,
    marks: BTreeMap<i64, (String, i32)>,
    topics_in_history: BTreeSet<String>,
}

fn stored_lesson(conn: &mut DbConnection, slot_id: i64, date: NaiveDate) -> StoredLesson {
    let rows: Vec<(i64, String, String)> = lessons::table
        .filter(lessons::slot_id.eq(slot_id))
        .filter(lessons::date.eq(date))
        .select((lessons::id, lessons::topic, lessons::homework))
        .load(conn)
        .unwrap();
    let Some((id, topic, homework)) = rows.first().cloned() else {
        return StoredLesson::default();
    };
    StoredLesson {
        rows: rows.len(),
        topic: Some(topic),
        homework: Some(homework),
        marks: attendance::table
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
            .collect(),
        topics_in_history: change_history::table
            .filter(change_history::entity.eq("lesson"))
            .filter(change_history::entity_id.eq(id))
            .filter(change_history::field.eq("thema"))
            .select(change_history::new_value)
            .load::<String>(conn)
            .unwrap()
            .into_iter()
            .collect(),
    }
}

#[derive(QueryableByName)]
struct Single {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

fn query_texts(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Single>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.value)
        .collect()
}

/// Rows that would show a save half done: attendance without its lesson, lesson history
/// without its lesson, a lesson without the history row of its creation.
fn half_done_rows(conn: &mut DbConnection) -> Vec<String> {
    let mut found = query_texts(
        conn,
        "SELECT 'attendance ' || a.id AS value FROM attendance a \
         LEFT JOIN lessons l ON l.id = a.lesson_id WHERE l.id IS NULL",
    );
    found.extend(query_texts(
        conn,
        "SELECT 'change_history ' || h.id AS value FROM change_history h \
         LEFT JOIN lessons l ON l.id = h.entity_id \
         WHERE h.entity IN ('lesson', 'attendance') AND l.id IS NULL",
    ));
    found.extend(query_texts(
        conn,
        "SELECT 'lesson ' || l.id AS value FROM lessons l WHERE NOT EXISTS \
         (SELECT 1 FROM change_history h WHERE h.entity = 'lesson' AND h.entity_id = l.id \
          AND h.field = 'status')",
    ));
    found
}

fn integrity_check(path: &Path) -> Vec<String> {
    let mut conn = diesel::sqlite::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    diesel::sql_query("PRAGMA integrity_check")
        .load::<Row>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.integrity_check)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Crash safety

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// 303: the save is confirmed.
    Confirmed,
    /// No answer (the server died or was down): the save may or may not be there.
    Unknown,
    /// Any other status: a save refused while the server was up (must not happen).
    Refused(u16),
}

#[derive(Debug, Clone)]
struct Attempt {
    n: usize,
    slot: i64,
    date: NaiveDate,
    outcome: Outcome,
}

const CRASH_CYCLES: usize = 20;

fn topic_number(topic: &str) -> usize {
    topic.rsplit('-').next().unwrap().parse().unwrap()
}

/// Checks the database while no server runs. Every lesson holds exactly one save (topic,
/// homework and attendance of the same save, and that save's history), every save confirmed
/// so far is in the history, the history holds only saves that were sent, and nothing is
/// half there. Returns what is wrong.
fn consistency_violations(
    d: &Deployment,
    teachers: &[Teacher],
    attempts: &[Vec<Attempt>],
) -> Vec<String> {
    let db = d.db();
    let mut conn = db.get().unwrap();
    let mut wrong: Vec<String> = half_done_rows(&mut conn)
        .into_iter()
        .map(|r| format!("half there: {r}"))
        .collect();
    for (i, (t, attempts)) in teachers.iter().zip(attempts).enumerate() {
        let tag = format!("T{i}");
        let lessons: BTreeSet<(i64, NaiveDate)> =
            attempts.iter().map(|a| (a.slot, a.date)).collect();
        for (slot, date) in lessons {
            let of_lesson: Vec<&Attempt> = attempts
                .iter()
                .filter(|a| a.slot == slot && a.date == date)
                .collect();
            let stored = stored_lesson(&mut conn, slot, date);
            for a in of_lesson.iter().filter(|a| a.outcome == Outcome::Confirmed) {
                let topic = save_content(&tag, a.n, &t.pupils).topic;
                if !stored.topics_in_history.contains(&topic) {
                    wrong.push(format!("teacher {i}: confirmed save {} is lost", a.n));
                }
            }
            for topic in &stored.topics_in_history {
                // A save still on its way when the list was taken is not in it yet.
                let n = topic_number(topic);
                if n > of_lesson.last().map_or(0, |a| a.n) + 1 {
                    wrong.push(format!(
                        "teacher {i}: history has a save nobody sent: {topic}"
                    ));
                }
            }
            let Some(topic) = stored.topic.clone() else {
                continue;
            };
            let n = topic_number(&topic);
            let expected = save_content(&tag, n, &t.pupils);
            if stored.rows != 1
                || stored.homework.as_deref() != Some(expected.homework.as_str())
                || stored.marks != expected.marks
                || !stored.topics_in_history.contains(&topic)
            {
                wrong.push(format!(
                    "teacher {i}: the lesson is not exactly save {n}: {stored:?}, expected {expected:?}"
                ));
            }
        }
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_confirmed_save_survives_repeated_sigkill() {
    if postgres_run() {
        return;
    }
    let started = Instant::now();
    // Arrange: four teachers, each saving their own lesson in a loop.
    let d = Deployment::new();
    let teachers = seed(&d, 4);
    let mut server = d.start(&[]);
    d.wait_ready(&mut server).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut logs: Vec<Arc<Mutex<Vec<Attempt>>>> = Vec::new();
    let mut tasks = Vec::new();
    for (i, t) in teachers.iter().enumerate() {
        let browser = Browser::new(&d.address());
        browser.sign_in(t).await;
        let csrf = browser.csrf_from(&t.lesson_today().2).await;
        let log: Arc<Mutex<Vec<Attempt>>> = Arc::default();
        logs.push(log.clone());
        let (t, stop) = (t.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let deadline = Instant::now() + secs(240.0);
            for n in 0..20_000 {
                if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                    break;
                }
                let (slot, date, path) = t.lesson_today();
                let content = save_content(&format!("T{i}"), n, &t.pupils);
                let resp = browser
                    .client
                    .post(format!("{}{path}", browser.address))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form_body(&csrf, &content))
                    .send()
                    .await;
                let outcome = match resp {
                    Ok(r) if r.status().as_u16() == 303 => Outcome::Confirmed,
                    Ok(r) => Outcome::Refused(r.status().as_u16()),
                    Err(_) => Outcome::Unknown,
                };
                log.lock().unwrap().push(Attempt {
                    n,
                    slot,
                    date,
                    outcome,
                });
                if outcome == Outcome::Unknown {
                    tokio::time::sleep(secs(0.02)).await;
                }
            }
        }));
    }
    let snapshot = |logs: &[Arc<Mutex<Vec<Attempt>>>]| -> Vec<Vec<Attempt>> {
        logs.iter().map(|l| l.lock().unwrap().clone()).collect()
    };

    // Act: SIGKILL at varying moments; while the server is down, check the database; restart
    // on the same port. 20 times.
    let mut after_crash = Vec::new();
    for cycle in 0..CRASH_CYCLES {
        tokio::time::sleep(secs(0.15 + ((cycle * 137) % 300) as f64 / 1000.0)).await;
        server.kill_hard();
        let wrong = consistency_violations(&d, &teachers, &snapshot(&logs));
        after_crash.extend(
            wrong
                .into_iter()
                .map(|w| format!("after kill {cycle}: {w}")),
        );
        server = d.start(&[]);
        d.wait_ready(&mut server).await;
    }
    tokio::time::sleep(secs(0.2)).await;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    server.kill_hard();
    let all = snapshot(&logs);

    // Assert: consistent after every kill and at the end.
    assert_eq!(
        after_crash,
        Vec::<String>::new(),
        "consistency after each SIGKILL"
    );
    assert_eq!(
        consistency_violations(&d, &teachers, &all),
        Vec::<String>::new(),
        "consistency at the end"
    );
    let db = d.db();
    let mut conn = db.get().unwrap();
    let mut confirmed_total = 0;
    for (i, attempts) in all.iter().enumerate() {
        let refused: Vec<_> = attempts
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Refused(_)))
            .collect();
        assert!(refused.is_empty(), "teacher {i}: refused saves {refused:?}");
        confirmed_total += attempts
            .iter()
            .filter(|a| a.outcome == Outcome::Confirmed)
            .count();
        // The lesson ends on the last confirmed save, or on one sent after it whose answer
        // was lost in a crash.
        let last = attempts.last().expect("attempts");
        let stored = stored_lesson(&mut conn, last.slot, last.date);
        let of_lesson: Vec<&Attempt> = attempts
            .iter()
            .filter(|a| a.slot == last.slot && a.date == last.date)
            .collect();
        let last_confirmed = of_lesson
            .iter()
            .rfind(|a| a.outcome == Outcome::Confirmed)
            .map(|a| a.n);
        let shown = stored.topic.as_deref().map(topic_number);
        let shown_ok = match shown {
            None => last_confirmed.is_none(),
            Some(n) => {
                Some(n) == last_confirmed
                    || (last_confirmed.is_none_or(|l| n > l)
                        && of_lesson
                            .iter()
                            .any(|a| a.n == n && a.outcome == Outcome::Unknown))
            }
        };
        assert!(
            shown_ok,
            "teacher {i}: the lesson shows save {shown:?}, the last confirmed is {last_confirmed:?}"
        );
    }
    assert!(
        confirmed_total >= 20,
        "too few confirmed saves to mean anything: {confirmed_total}"
    );
    drop(conn);
    drop(db);
    assert_eq!(integrity_check(&d.sqlite_file()), vec!["ok".to_owned()]);
    let (status, out, err) = d.run(&["audit", "verify"], &[]);
    assert!(status.success(), "audit verify: {out}{err}");
    assert!(out.contains("Protokoll unversehrt"), "{out}");
    let log = d.log_text();
    assert!(
        !log.contains("panicked"),
        "a panic in the server log:\n{log}"
    );
    let unknown = all
        .iter()
        .flatten()
        .filter(|a| a.outcome == Outcome::Unknown)
        .count();
    eprintln!(
        "crash safety: {CRASH_CYCLES} SIGKILLs, {confirmed_total} confirmed saves, {unknown} \
         unanswered, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// Graceful shutdown

const DRAIN_SECONDS: u64 = 1;
const TIMEOUT_SECONDS: u64 = 5;

/// Reads a whole HTTP/1.1 answer (the request said `Connection: close`).
async fn read_response(stream: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    tokio::time::timeout(secs(15.0), stream.read_to_end(&mut buf))
        .await
        .expect("the answer came in time")
        .expect("read the answer");
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn sigterm_drains_readiness_finishes_the_request_in_flight_and_exits_zero() {
    if postgres_run() {
        return;
    }
    // Arrange: a teacher with a session and the lesson form's token.
    let d = Deployment::new();
    let teacher = seed(&d, 1).remove(0);
    let drain = DRAIN_SECONDS.to_string();
    let timeout = TIMEOUT_SECONDS.to_string();
    let env = [
        (
            "KLASSENBUCH__SERVER__SHUTDOWN_DRAIN_SECONDS",
            drain.as_str(),
        ),
        (
            "KLASSENBUCH__SERVER__SHUTDOWN_TIMEOUT_SECONDS",
            timeout.as_str(),
        ),
    ];
    let mut server = d.start(&env);
    d.wait_ready(&mut server).await;
    let (slot, date, path) = teacher.lesson_today();
    let (cookie, csrf) = {
        let browser = Browser::new(&d.address());
        browser.sign_in(&teacher).await;
        (browser.session_cookie(), browser.csrf_from(&path).await)
    };
    let content = save_content("G", 1, &teacher.pupils);
    let body = form_body(&csrf, &content);
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", d.port))
        .await
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nCookie: {SESSION_COOKIE}={cookie}\r\nConnection: close\r\n\r\n",
        d.port,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(secs(0.2)).await;

    // Act: SIGTERM while the save is half sent.
    let term_at = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let client = plain_client();
    let mut during_drain = None;
    while term_at.elapsed() < secs(DRAIN_SECONDS as f64 * 0.8) {
        if let Ok(r) = client.get(format!("{}/readyz", d.address())).send().await
            && r.status().as_u16() == 503
        {
            during_drain = Some(r.text().await.unwrap());
            break;
        }
        tokio::time::sleep(secs(0.02)).await;
    }
    // Past the drain the server stops accepting; the half-sent request is still in flight.
    tokio::time::sleep(secs(DRAIN_SECONDS as f64 + 0.3).saturating_sub(term_at.elapsed())).await;
    let mut refused_after_drain = false;
    while term_at.elapsed() < secs(DRAIN_SECONDS as f64 + 3.0) {
        match tokio::net::TcpStream::connect(("127.0.0.1", d.port)).await {
            Err(_) => {
                refused_after_drain = true;
                break;
            }
            // Still accepting: close at once (an idle connection would delay the stop).
            Ok(probe) => drop(probe),
        }
        tokio::time::sleep(secs(0.05)).await;
    }
    stream.write_all(rest.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    let answer = read_response(&mut stream).await;
    let exit = tokio::task::spawn_blocking(move || {
        let status = server.wait_exit(secs((DRAIN_SECONDS + TIMEOUT_SECONDS) as f64 + 5.0));
        (status, server)
    })
    .await
    .unwrap()
    .0;
    let stopped_after = term_at.elapsed();

    // Assert
    assert_eq!(
        during_drain.as_deref(),
        Some("wird beendet"),
        "/readyz answers 503 during the drain"
    );
    assert!(refused_after_drain, "no new connections after the drain");
    assert!(
        answer.starts_with("HTTP/1.1 303"),
        "the request in flight completes:\n{answer}"
    );
    let status = exit.expect("the server exits");
    assert!(status.success(), "exit status {status}:\n{}", d.log_text());
    assert!(
        stopped_after <= secs((DRAIN_SECONDS + TIMEOUT_SECONDS) as f64 + 1.0),
        "stopped after {stopped_after:?}, allowed drain {DRAIN_SECONDS} s + timeout {TIMEOUT_SECONDS} s"
    );
    let stored = stored_lesson(&mut d.db().get().unwrap(), slot, date);
    assert_eq!(stored.topic.as_deref(), Some(content.topic.as_str()));
    assert_eq!(stored.marks, content.marks);
    let log = d.log_text();
    assert!(log.contains("Beenden angefordert"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    eprintln!("graceful shutdown: exited {stopped_after:?} after SIGTERM");
}

// ---------------------------------------------------------------------------------------
// Backup and restore commands

#[tokio::test]
async fn backup_while_serving_and_restore_commands_round_trip() {
    if postgres_run() {
        return;
    }
    // Arrange: a serving instance with a saved lesson.
    let d = Deployment::new();
    let teacher = seed(&d, 1).remove(0);
    let mut server = d.start(&[]);
    d.wait_ready(&mut server).await;
    let (slot, date, path) = teacher.lesson_today();
    let browser = Browser::new(&d.address());
    browser.sign_in(&teacher).await;
    let csrf = browser.csrf_from(&path).await;
    let content = save_content("B", 3, &teacher.pupils);
    let saved = browser
        .client
        .post(format!("{}{path}", d.address()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&csrf, &content))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status().as_u16(), 303);
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("2026-11-23.sqlite");
    let file_arg = file.to_str().unwrap();

    // Act
    let (backup, backup_out, backup_err) = d.run(&["backup", "--to", file_arg], &[]);
    let (again, _, again_err) = d.run(&["backup", "--to", file_arg], &[]);
    server.kill_hard();
    let restored_url = format!(
        "sqlite://{}",
        backups.path().join("restored.sqlite").display()
    );
    let target = [("KLASSENBUCH__DATABASE__URL", restored_url.as_str())];
    let (restore, restore_out, restore_err) = d.run(&["restore", file_arg], &target);
    let (verify, verify_out, verify_err) = d.run(&["audit", "verify"], &target);

    // Assert
    assert!(backup.success(), "{backup_out}{backup_err}");
    assert!(backup_out.contains("Sicherung geschrieben"), "{backup_out}");
    assert!(
        backup_out.contains("Schlüsseldatei ist nicht enthalten"),
        "{backup_out}"
    );
    let meta: klassenbuch::ops::backup::BackupMeta = serde_json::from_str(
        &std::fs::read_to_string(klassenbuch::ops::backup::meta_path(&file)).unwrap(),
    )
    .unwrap();
    assert_eq!(meta.backend, "sqlite");
    assert!(!again.success(), "an existing backup is never overwritten");
    assert!(again_err.contains("existiert bereits"), "{again_err}");
    assert!(restore.success(), "{restore_out}{restore_err}");
    assert!(
        restore_out.contains(&format!("Schemaversion {}", meta.schema_version)),
        "{restore_out}"
    );
    assert!(verify.success(), "{verify_out}{verify_err}");
    let restored = Db::connect(&restored_url, 1, 5000).unwrap();
    let stored = stored_lesson(&mut restored.get().unwrap(), slot, date);
    assert_eq!(stored.topic.as_deref(), Some(content.topic.as_str()));
    assert_eq!(stored.marks, content.marks);
    assert_eq!(
        integrity_check(&backups.path().join("restored.sqlite")),
        vec!["ok".to_owned()]
    );
}

// ---------------------------------------------------------------------------------------
// Faults at start-up

#[test]
fn serve_with_an_unreachable_database_exits_with_a_german_message() {
    if postgres_run() {
        return;
    }
    // Arrange: nothing listens on port 1.
    let d = Deployment::new();
    let mut cmd = d.command(&["serve"]);
    cmd.env(
        "KLASSENBUCH__DATABASE__URL",
        "postgres://postgres@127.0.0.1:1/klassenbuch",
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());

    // Act
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    // Read stderr on a thread so that a chatty process cannot block on a full pipe.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut server = Server { child };
    let status = server.wait_exit(secs(30.0));
    let took = started.elapsed();
    drop(server);
    let stderr = reader.join().unwrap();

    // Assert
    let status = status.expect("serve gives up within 30 s");
    assert!(!status.success(), "exit status {status}");
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("Datenbank nicht erreichbar"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    eprintln!("unreachable database: exit {status} after {took:?}");
}

// ---------------------------------------------------------------------------------------
// A full disk

/// A small tmpfs mounted over a temporary directory, unmounted on drop.
struct SmallDisk {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `mb` MiB, or returns `None` when this process may not mount
    /// (not root); as root a failing mount fails the test.
    fn mount(mb: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status();
        let root = std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
        match status {
            Ok(s) if s.success() => Some(Self {
                dir: Some(dir),
                path,
            }),
            _ if !root => None,
            other => panic!("mount -t tmpfs failed as root: {other:?}"),
        }
    }

    /// Writes a file until the disk refuses more.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0x5au8; 64 * 1024];
        loop {
            match f.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(28), "ENOSPC expected: {e}");
                    break;
                }
            }
        }
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        drop(self.dir.take());
    }
}

#[tokio::test]
async fn a_save_on_a_full_disk_is_refused_with_a_german_message_and_nothing_is_half_written() {
    if postgres_run() {
        return;
    }
    let Some(disk) = SmallDisk::mount(32) else {
        eprintln!("NOTE: not root, cannot mount a small tmpfs; the full-disk test is skipped");
        return;
    };
    // Arrange: a serving instance on the small disk, and one confirmed save.
    let d = Deployment::new_in(tempfile::tempdir_in(&disk.path).unwrap());
    let teacher = seed(&d, 1).remove(0);
    let mut server = d.start(&[]);
    d.wait_ready(&mut server).await;
    let (slot, date, path) = teacher.lesson_today();
    let browser = Browser::new(&d.address());
    browser.sign_in(&teacher).await;
    let save = |n: usize, csrf: String| {
        let content = save_content("D", n, &teacher.pupils);
        let request = browser
            .client
            .post(format!("{}{path}", d.address()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&csrf, &content));
        async move { (request.send().await.unwrap(), content) }
    };
    let csrf = browser.csrf_from(&path).await;
    let (first, first_content) = save(1, csrf.clone()).await;
    assert_eq!(
        first.status().as_u16(),
        303,
        "the save before the disk is full"
    );
    // An empty write-ahead log, so that the next write needs new space on the disk.
    {
        let mut conn =
            diesel::sqlite::SqliteConnection::establish(d.sqlite_file().to_str().unwrap()).unwrap();
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .unwrap();
    }
    let filler = disk.fill();

    // Act: a save on the full disk, then the same teacher again once space is freed.
    let (refused, refused_content) = save(2, csrf.clone()).await;
    let refused_status = refused.status().as_u16();
    let refused_page = refused.text().await.unwrap();
    let health = plain_client()
        .get(format!("{}/healthz", d.address()))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    let still_running = server.child.try_wait().unwrap().is_none();
    std::fs::remove_file(&filler).unwrap();
    let (after, after_content) = save(3, csrf).await;
    let after_status = after.status().as_u16();
    let stored_after = stored_lesson(&mut d.db().get().unwrap(), slot, date);
    let kill = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let exit = server.wait_exit(secs(30.0));
    let (verify, verify_out, verify_err) = d.run(&["audit", "verify"], &[]);

    // Assert
    assert_eq!(refused_status, 507, "{refused_page}");
    assert!(
        refused_page.contains("Ihre Eingaben wurden nicht gespeichert")
            && refused_page.contains("Speicherplatz"),
        "the teacher is told that nothing was saved and why:\n{refused_page}"
    );
    assert!(still_running, "the server survives the full disk");
    assert_eq!(health, 200);
    assert_eq!(after_status, 303, "once space is free, saving works again");
    assert_eq!(stored_after.rows, 1);
    assert_eq!(
        stored_after.topic.as_deref(),
        Some(after_content.topic.as_str())
    );
    assert_eq!(stored_after.marks, after_content.marks);
    assert!(
        stored_after
            .topics_in_history
            .contains(&first_content.topic)
    );
    assert!(
        !stored_after
            .topics_in_history
            .contains(&refused_content.topic),
        "the refused save left nothing behind: {stored_after:?}"
    );
    assert!(exit.is_some_and(|s| s.success()), "{:?}", exit);
    assert_eq!(integrity_check(&d.sqlite_file()), vec!["ok".to_owned()]);
    assert!(
        half_done_rows(&mut d.db().get().unwrap()).is_empty(),
        "nothing is half there"
    );
    assert!(verify.success(), "{verify_out}{verify_err}");
}

// ---------------------------------------------------------------------------------------
// The school → database map from the command line

#[test]
fn the_commands_cover_every_database_of_the_school_map() {
    if postgres_run() {
        return;
    }
    // Arrange: a deployment whose school 101 lives in a second SQLite file.
    let d = Deployment::new();
    let second = format!("sqlite://{}", d.dir.path().join("sued.sqlite").display());
    let map = [("KLASSENBUCH__DATABASE__SCHOOLS__101", second.as_str())];
    let create = |login: &str, id: Option<&str>| {
        let mut args = vec![
            "school",
            "create",
            "--name",
            "Schule",
            "--headteacher-login",
            login,
        ];
        if let Some(id) = id {
            args.extend(["--id", id]);
        }
        d.run(&args, &map)
    };

    // Act 1: one school with the mapped number, one without, one with a taken login.
    let (mapped, mapped_out, mapped_err) = create("sl.sued", Some("101"));
    let (free, free_out, free_err) = create("sl.nord", None);
    let (twice, _, twice_err) = create("sl.sued", None);

    // Assert 1
    assert!(mapped.success(), "{mapped_out}{mapped_err}");
    assert!(mapped_out.contains("/einrichtung/"), "{mapped_out}");
    assert!(free.success(), "{free_out}{free_err}");
    assert!(!twice.success());
    assert!(
        twice_err.contains("»sl.sued« ist bereits vergeben"),
        "{twice_err}"
    );
    let school_ids = |url: &str| -> Vec<i64> {
        let db = Db::connect(url, 1, 5000).unwrap();
        klassenbuch::db::schema::schools::table
            .select(klassenbuch::db::schema::schools::id)
            .load(&mut db.get().unwrap())
            .unwrap()
    };
    assert_eq!(school_ids(&second), vec![101]);
    assert_eq!(school_ids(&d.db_url), vec![102]);

    // Act 2: audit records in both databases, then verify, change one in the second, verify.
    let at = SystemClock.now().naive_utc();
    for (url, school) in [(&d.db_url, 102), (&second, 101), (&second, 101)] {
        let db = Db::connect(url, 1, 5000).unwrap();
        let event = klassenbuch::db::audit::NewAudit {
            school_id: Some(school),
            action: "anmeldung".into(),
            result: "erfolg".into(),
            ..Default::default()
        };
        klassenbuch::db::audit::append(&mut db.get().unwrap(), at, &event).unwrap();
    }
    let (intact, intact_out, intact_err) = d.run(&["audit", "verify"], &map);
    let second_db = Db::connect(&second, 1, 5000).unwrap();
    use klassenbuch::db::schema::audit_log;
    let last: i64 = audit_log::table
        .select(diesel::dsl::max(audit_log::id))
        .first::<Option<i64>>(&mut second_db.get().unwrap())
        .unwrap()
        .unwrap();
    diesel::update(audit_log::table.find(last))
        .set(audit_log::result.eq("fehlgeschlagen"))
        .execute(&mut second_db.get().unwrap())
        .unwrap();
    let (broken, broken_out, broken_err) = d.run(&["audit", "verify"], &map);

    // Assert 2: all three records checked; the change is found in the second database.
    assert!(intact.success(), "{intact_out}{intact_err}");
    assert!(intact_out.contains("3 Einträge geprüft"), "{intact_out}");
    assert!(!broken.success(), "{broken_out}");
    assert!(
        broken_err.contains(&format!("Eintrag {last} in der Datenbank sqlite://")),
        "{broken_err}"
    );
    assert!(broken_err.contains("sued.sqlite"), "{broken_err}");

    // Act 2b: the retention run of a school looks in the school's database only.
    let (run, run_out, run_err) =
        d.run(&["retention", "run", "--dry-run", "--school", "101"], &map);
    let (unknown, _, unknown_err) =
        d.run(&["retention", "run", "--dry-run", "--school", "999"], &map);
    assert!(run.success(), "{run_out}{run_err}");
    assert!(run_out.contains("Schule 101:"), "{run_out}");
    assert!(!unknown.success());
    assert!(
        unknown_err.contains("keine Schule mit der Kennung 999"),
        "{unknown_err}"
    );

    // Act 3: a backup of the installation.
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("sicherung.sqlite");
    let (backup, backup_out, backup_err) = d.run(&["backup", "--to", file.to_str().unwrap()], &map);

    // Assert 3: one file per database, each a copy of its database.
    assert!(backup.success(), "{backup_out}{backup_err}");
    let copies: Vec<PathBuf> = std::fs::read_dir(backups.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "json"))
        .collect();
    assert_eq!(copies.len(), 2, "{copies:?}");
    let second_copy = copies.iter().find(|p| **p != file).expect("a second file");
    assert!(
        second_copy
            .to_str()
            .unwrap()
            .starts_with(file.to_str().unwrap()),
        "{second_copy:?}"
    );
    assert_eq!(
        school_ids(&format!("sqlite://{}", file.display())),
        vec![102]
    );
    assert_eq!(
        school_ids(&format!("sqlite://{}", second_copy.display())),
        vec![101]
    );
}
