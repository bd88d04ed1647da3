//! The lesson page issues a bounded number of SQL statements whatever the size of the class
//! (performance.md): opening it and saving it with 2 absent and 1 late costs the same number of
//! statements for 5 pupils as for 30. Not timed.
//!
//! Counting needs no hook in the app: diesel's process-wide default instrumentation is given
//! to every connection established after it is set. Each connection remembers the URL it was
//! opened for (every test has its own database), so concurrent tests do not disturb the
//! count. Connection set-up PRAGMAs are not counted (the pool may open a connection at any
//! time); `BEGIN`/`COMMIT` and the pool's `SELECT 1` check on checkout (PostgreSQL only) are.

use crate::helpers::register::school_day_at;
use crate::helpers::{TestApp, TestClient, csrf_of, location, spawn_app};
use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use klassenbuch::auth::roles::Role;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, Once};

/// Statements per database URL, and the statements themselves while recording.
static COUNTS: LazyLock<Mutex<HashMap<String, Vec<String>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

struct Counter {
    url: Option<String>,
}

impl Instrumentation for Counter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartEstablishConnection { url, .. } => {
                self.url = Some(url.to_owned());
            }
            InstrumentationEvent::StartQuery { query, .. } => {
                let sql = query.to_string();
                if sql.trim_start().starts_with("PRAGMA") {
                    return;
                }
                if let Some(url) = &self.url {
                    COUNTS
                        .lock()
                        .unwrap()
                        .entry(url.clone())
                        .or_default()
                        .push(sql);
                }
            }
            _ => {}
        }
    }
}

fn install_counter() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        set_default_instrumentation(|| Some(Box::new(Counter { url: None })))
            .expect("default instrumentation");
    });
}

/// The statements the app has issued on its database so far.
fn statements(app: &TestApp) -> Vec<String> {
    let counts = COUNTS.lock().unwrap();
    counts
        .iter()
        // SQLite connections are opened with the file path, PostgreSQL ones with the URL.
        .filter(|(url, _)| app.db_url == **url || app.db_url.ends_with(url.as_str()))
        .flat_map(|(_, v)| v.iter().cloned())
        .collect()
}

/// Statements issued by the app while `f` runs (after in-flight work has settled).
async fn measure<F, Fut, T>(app: &TestApp, f: F) -> (T, Vec<String>)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let before = statements(app).len();
    let out = f().await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let after = statements(app);
    (out, after[before..].to_vec())
}

/// The form of the lesson page with the first two pupils absent and the third 10 minutes late.
fn attendance_form(html: &str, pupils: &[i64]) -> Vec<(String, String)> {
    let mut form = vec![
        ("csrf".to_owned(), csrf_of(html)),
        ("topic".to_owned(), "Bruchrechnung: Kürzen".to_owned()),
        ("homework".to_owned(), String::new()),
    ];
    for (k, id) in pupils.iter().enumerate() {
        let (status, minutes) = match k {
            0 | 1 => ("f", ""),
            2 => ("v", "10"),
            _ => ("a", ""),
        };
        form.push((format!("p{id}"), status.to_owned()));
        form.push((format!("m{id}"), minutes.to_owned()));
    }
    form
}

struct Counts {
    get_open: Vec<String>,
    save: Vec<String>,
    get_documented: Vec<String>,
}

async fn lesson_flow(app: &TestApp, b: &TestClient, path: &str, pupils: &[i64]) -> Counts {
    // Any flash of an earlier save is taken by "Heute" first, so both flows start alike.
    assert_eq!(b.get("/").await.status().as_u16(), 200);
    let (html, get_open) = measure(app, || async {
        let resp = b.get(path).await;
        assert_eq!(resp.status().as_u16(), 200, "GET {path}");
        resp.text().await.unwrap()
    })
    .await;
    let form = attendance_form(&html, pupils);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (_, save) = measure(app, || async {
        let resp = b.post_form(path, &pairs).await;
        assert_eq!(resp.status().as_u16(), 303, "POST {path}");
        assert_eq!(location(&resp), "/");
    })
    .await;
    assert_eq!(b.get("/").await.status().as_u16(), 200);
    let (_, get_documented) = measure(app, || async {
        assert_eq!(b.get(path).await.status().as_u16(), 200, "GET {path}");
    })
    .await;
    Counts {
        get_open,
        save,
        get_documented,
    }
}

fn assert_same(what: &str, small: &[String], large: &[String]) {
    assert_eq!(
        small.len(),
        large.len(),
        "{what}: {} statements for 5 pupils but {} for 30.\n5 pupils:\n  {}\n30 pupils:\n  {}",
        small.len(),
        large.len(),
        small.join("\n  "),
        large.join("\n  ")
    );
}

#[tokio::test]
async fn the_lesson_page_issues_the_same_number_of_statements_for_5_and_30_pupils() {
    // Arrange: one teacher, two lessons today, in a class of 5 and a class of 30.
    install_counter();
    let app = spawn_app().await;
    app.clock.set(school_day_at(9, 30));
    let school_id = app.create_school("Gymnasium an der Förde");
    let reg = app.seed_register(school_id);
    let small_names: Vec<String> = (0..5).map(|i| format!("Klein{i:02}")).collect();
    let large_names: Vec<String> = (0..30).map(|i| format!("Gross{i:02}")).collect();
    let small_refs: Vec<&str> = small_names.iter().map(String::as_str).collect();
    let large_refs: Vec<&str> = large_names.iter().map(String::as_str).collect();
    let small = reg.class(&app, "5a", &small_refs);
    let large = reg.class(&app, "9c", &large_refs);
    let teacher = app.create_user_in(school_id, Role::Lehrkraft);
    let today = app.school_today();
    let slot_small = reg.slot(&app, small.class_id, reg.maths, teacher.user_id, today, 3);
    let slot_large = reg.slot(&app, large.class_id, reg.maths, teacher.user_id, today, 4);
    let b = app.browser_for(&teacher).await;
    assert!(
        !statements(&app).is_empty(),
        "the counting instrumentation sees the app's connections"
    );

    // Act
    let s = lesson_flow(
        &app,
        &b,
        &format!("/unterricht/{slot_small}/{today}"),
        &small.pupils,
    )
    .await;
    let l = lesson_flow(
        &app,
        &b,
        &format!("/unterricht/{slot_large}/{today}"),
        &large.pupils,
    )
    .await;

    // Assert: the same count, and a small one (no statement per pupil).
    assert_same("GET of an open lesson", &s.get_open, &l.get_open);
    assert_same("POST saving attendance", &s.save, &l.save);
    assert_same(
        "GET of a documented lesson",
        &s.get_documented,
        &l.get_documented,
    );
    // Measured on 24 Nov 2026 (after the lesson page's GET looked its session up in its own
    // one trip, so one pool checkout per GET): SQLite 14 / 18 / 15, PostgreSQL 15 / 21 / 16 (a
    // `SELECT 1` check per pool checkout, and the advisory lock of the save). On 23 Nov:
    // PostgreSQL 16 / 21 / 17; before that: SQLite 16 / 27 / 17, PostgreSQL 20 / 33 / 21. The
    // save writes its marks and its change rows with one statement each, whatever the number
    // of changes. The ceilings leave room for one more read but catch anything per pupil or
    // per change.
    for (what, n, ceiling) in [
        ("GET of an open lesson", s.get_open.len(), 16),
        ("POST saving attendance", s.save.len(), 22),
        ("GET of a documented lesson", s.get_documented.len(), 17),
    ] {
        assert!(
            n <= ceiling,
            "{what} issues {n} statements (ceiling {ceiling}):\n  {}",
            match what {
                "POST saving attendance" => s.save.join("\n  "),
                _ => s.get_open.join("\n  "),
            }
        );
    }
    eprintln!(
        "statements: GET open {}, POST save {}, GET documented {}",
        s.get_open.len(),
        s.save.len(),
        s.get_documented.len()
    );
}
