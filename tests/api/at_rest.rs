//! Encryption at rest (security.md "At rest"): a grep of the database file (SQLite, with its
//! write-ahead log) or of a `pg_dump` of the test schema (PostgreSQL) for the known class B
//! values of the demo — TOTP seeds and every value of every sealed column — and for values
//! entered through the app's own forms and functions finds nothing; and `keys rotate`
//! re-encrypts every sealed column under the new key, resumably and idempotently.

use crate::helpers::pupil_data::{self, PupilData};
use crate::helpers::register::school_day_at;
use crate::helpers::{TestApp, TestUser, csrf_of, location, postgres_base_url, spawn_app, text_of};
use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use klassenbuch::crypto::Keyring;
use klassenbuch::db::{DbConnection, DbKind, absences, timetable, users};
use klassenbuch::demo::DemoAccount;
use klassenbuch::sealed::{self, SEALED, SealedColumn};

/// One value of a sealed column, as stored and as plain text.
#[derive(Debug, Clone)]
struct StoredValue {
    table: &'static str,
    column: &'static str,
    id: i64,
    binding: i64,
    stored: String,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    binding: i64,
    #[diesel(sql_type = Text)]
    value: String,
}

/// Every stored value of every sealed column, by table, column and id.
fn stored_values(conn: &mut DbConnection) -> Vec<StoredValue> {
    let mut out = Vec::new();
    for c in SEALED {
        let sql = format!(
            "SELECT id, {b} AS binding, {col} AS value FROM {t} WHERE {col} IS NOT NULL ORDER BY id",
            b = c.binding_sql,
            col = c.column,
            t = c.table
        );
        let rows: Vec<Row> = diesel::sql_query(sql).load(conn).unwrap();
        out.extend(rows.into_iter().map(|r| StoredValue {
            table: c.table,
            column: c.column,
            id: r.id,
            binding: r.binding,
            stored: r.value,
        }));
    }
    out
}

fn sealed_column(v: &StoredValue) -> &'static SealedColumn {
    sealed::column(v.table, v.column).unwrap()
}

/// Decrypts a stored value with `keys`.
fn open(keys: &Keyring, v: &StoredValue) -> Vec<u8> {
    keys.decrypt(&sealed_column(v).purpose(v.binding), &v.stored)
        .unwrap_or_else(|e| panic!("{}.{} row {}: {e}", v.table, v.column, v.id))
}

/// Everything a fixture stored in plain text that must not appear in the database.
#[derive(Debug, Default)]
struct Needles(Vec<(String, Vec<u8>)>);

impl Needles {
    fn text(&mut self, what: &str, value: &str) {
        self.0
            .push((format!("{what}: »{value}«"), value.as_bytes().to_vec()));
    }

    fn bytes(&mut self, what: &str, value: &[u8]) {
        self.0.push((what.to_owned(), value.to_vec()));
    }

    /// A TOTP seed: raw, base32 and as the app shows it to type in.
    fn seed(&mut self, who: &str, raw: &[u8]) {
        let b32 = data_encoding::BASE32_NOPAD.encode(raw);
        self.bytes(&format!("TOTP seed of {who} (raw)"), raw);
        self.text(&format!("TOTP seed of {who} (base32)"), &b32);
        self.text(
            &format!("TOTP seed of {who} (typed)"),
            &klassenbuch::auth::totp::manual_key(raw),
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The raw bytes of the database: SQLite file and write-ahead log after a checkpoint, or the
/// `pg_dump` of the test's schema.
fn database_bytes(app: &TestApp) -> Vec<u8> {
    match app.state.db.kind() {
        DbKind::Sqlite => {
            app.conn()
                .batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
            let path = klassenbuch::db::sqlite_path(&app.db_url).to_owned();
            let mut bytes = std::fs::read(&path).unwrap();
            for suffix in ["-wal", "-shm", "-journal"] {
                if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
                    bytes.extend(more);
                }
            }
            bytes
        }
        DbKind::Postgres => {
            let base = postgres_base_url().unwrap();
            let schema = app
                .db_url
                .split("search_path%3D")
                .nth(1)
                .and_then(|s| s.split('&').next())
                .expect("the test schema in the URL");
            let out = std::process::Command::new("pg_dump")
                .arg("--dbname")
                .arg(&base)
                .arg("--schema")
                .arg(schema)
                .arg("--no-owner")
                .output()
                .expect("pg_dump (package postgresql-client) must be installed for this test");
            assert!(
                out.status.success(),
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    }
}

/// The demo schools, seeded into the app's database with `keys`.
fn seed_demo(app: &TestApp, keys: &Keyring) -> Vec<DemoAccount> {
    app.clock.set(school_day_at(9, 30));
    klassenbuch::demo::seed(&app.state.db, app.clock.as_ref(), keys).expect("demo seed")
}

/// A demo account as a test user (for signing in).
fn demo_user(app: &TestApp, accounts: &[DemoAccount], login: &str) -> TestUser {
    let a = accounts.iter().find(|a| a.login == login).unwrap();
    let u = users::find_by_login(&mut app.conn(), login)
        .unwrap()
        .unwrap();
    TestUser {
        login: a.login.clone(),
        password: a.password.clone(),
        display_name: u.display_name,
        totp_secret: data_encoding::BASE32_NOPAD
            .decode(a.totp_seed.as_ref().unwrap().as_bytes())
            .unwrap(),
        user_id: u.id,
        school_id: u.school_id,
    }
}

/// Ids the fill-in needs: a school, a new pupil of its first class, a staff member.
struct Target {
    school_id: i64,
    class_id: i64,
    pupil_id: i64,
    user_id: i64,
    today: NaiveDate,
}

fn target(app: &TestApp, user: &TestUser) -> Target {
    let today = app.school_today();
    let mut conn = app.conn();
    let c: &mut DbConnection = &mut conn;
    let class_id =
        absences::classes_of_class_teacher(c, user.school_id, user.user_id, today).unwrap()[0].id;
    let pupil_id =
        timetable::create_pupil(c, user.school_id, class_id, "Verschlüsselt", "Vera", today)
            .unwrap();
    Target {
        school_id: user.school_id,
        class_id,
        pupil_id,
        user_id: user.user_id,
        today,
    }
}

/// Writes one row into every table with a sealed column other than the TOTP factors, every
/// sealed column filled with `keys` (as the pupil pages do), and returns the plain texts.
fn fill_sealed_columns(
    app: &TestApp,
    keys: &Keyring,
    t: &Target,
    tag: &str,
) -> Vec<(String, String)> {
    let mut plain = Vec::new();
    let mut seal = |table: &str, column: &str, binding: i64| {
        let value = format!("{tag} {table}.{column} Klartext");
        let sealed = sealed::column(table, column)
            .unwrap_or_else(|| panic!("{table}.{column} is not in SEALED"))
            .seal(keys, binding, &value)
            .unwrap();
        plain.push((format!("{table}.{column}"), value));
        sealed
    };
    let (s, now) = (t.school_id, app.now_naive());
    let mut conn = app.conn();
    let c: &mut DbConnection = &mut conn;
    pupil_data::write_sealed(
        c,
        &PupilData {
            school_id: s,
            class_id: t.class_id,
            pupil_id: t.pupil_id,
            user_id: t.user_id,
            date: t.today,
            now,
            health_code: &format!("T-{}", crate::helpers::random_hex()),
        },
        &mut seal,
    );
    klassenbuch::db::import::insert_pending(
        c,
        &klassenbuch::db::import::NewPending {
            school_id: s,
            token_hash: &format!("{tag}-token"),
            kind: "schueler",
            file_name: "schueler.csv",
            content: &seal("pending_imports", "content", s),
            created_by: t.user_id,
            now,
            expires_at: now + chrono::Duration::hours(1),
        },
    )
    .unwrap();
    plain
}

/// The demo's class teacher of the first school.
const CLASS_TEACHER: &str = "a.carstensen.foerde";

#[tokio::test]
async fn a_dump_of_the_database_holds_none_of_the_known_class_b_values_in_plain_text() {
    // Arrange: the demo, seeded with the app's key.
    let app = spawn_app().await;
    let accounts = seed_demo(&app, &app.state.keys);
    let mut needles = Needles::default();
    for a in &accounts {
        let seed = a
            .totp_seed
            .as_ref()
            .expect("every demo account has a TOTP seed");
        let raw = data_encoding::BASE32_NOPAD.decode(seed.as_bytes()).unwrap();
        needles.seed(&a.login, &raw);
    }
    // A confidential note entered through the absence form.
    let ct = demo_user(&app, &accounts, CLASS_TEACHER);
    let t = target(&app, &ct);
    let b = app.elevated_browser_for(&ct).await;
    let note = format!(
        "Notiz {}: Vater in Haft, bitte nicht ansprechen",
        crate::helpers::random_hex()
    );
    let path = format!("/klassen/{}/fehlzeiten", t.class_id);
    let csrf = b.csrf_from(&path).await;
    let resp = b
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("pupil", &t.pupil_id.to_string()),
                ("from", &t.today.to_string()),
                ("to", &t.today.to_string()),
                ("reason", "krank"),
                ("note", &note),
            ],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303, "recording the case");
    needles.text("absence note (form)", &note);
    // A second authenticator added on the account page.
    let page = b.get("/konto/faktoren").await.text().await.unwrap();
    let released = b
        .post_form(
            "/konto/freigabe",
            &[("csrf", &csrf_of(&page)), ("password", &ct.password)],
        )
        .await;
    assert_eq!(released.status().as_u16(), 303, "factor-change release");
    let new_totp = b.post_form("/konto/totp/neu", &[("csrf", &csrf)]).await;
    assert_eq!(new_totp.status().as_u16(), 200, "a new authenticator");
    let key = text_of(&new_totp.text().await.unwrap(), "code.manual-key").unwrap();
    let raw = data_encoding::BASE32_NOPAD
        .decode(key.replace(' ', "").as_bytes())
        .unwrap();
    app.advance_seconds(31);
    let activated = b
        .post_form(
            "/konto/totp/aktivieren",
            &[
                ("csrf", &csrf),
                ("code", &crate::helpers::totp_code(&raw, app.now())),
            ],
        )
        .await;
    assert_eq!(location(&activated), "/konto/faktoren");
    needles.seed("the new authenticator", &raw);
    // Every sealed column, filled through the functions the pupil pages use.
    for (what, value) in
        fill_sealed_columns(&app, &app.state.keys, &t, &crate::helpers::random_hex())
    {
        needles.text(&what, &value);
    }
    // And whatever else the demo sealed: the plain text of every stored value.
    let stored = stored_values(&mut app.conn());
    for v in &stored {
        let plain = open(&app.state.keys, v);
        if plain.len() >= 8 {
            needles.bytes(
                &format!("{}.{} row {} (decrypted)", v.table, v.column, v.id),
                &plain,
            );
        }
    }

    // Act
    let dump = database_bytes(&app);

    // Assert: the dump is the right one (plain master data and the ciphertexts are in it) …
    assert!(
        contains(&dump, "Gymnasium an der Förde".as_bytes()),
        "the dump lacks the school name"
    );
    assert!(
        stored.len() > accounts.len() + 16,
        "too few sealed values: {}",
        stored.len()
    );
    for v in &stored {
        assert!(
            contains(&dump, v.stored.as_bytes()),
            "the dump lacks the ciphertext of {}.{}",
            v.table,
            v.column
        );
    }
    // … and holds none of the plain texts.
    let found: Vec<&str> = needles
        .0
        .iter()
        .filter(|(_, n)| contains(&dump, n))
        .map(|(what, _)| what.as_str())
        .collect();
    assert!(
        found.is_empty(),
        "found in plain text in the database:\n{}",
        found.join("\n")
    );
    assert!(
        needles.0.len() > 3 * accounts.len() + 20,
        "too few values checked"
    );
}

/// Stops a rotation after its first batch (a crash after a commit).
struct Interrupted;

#[tokio::test]
async fn key_rotation_re_encrypts_every_sealed_value_resumably_and_idempotently() {
    // Arrange: the demo and every sealed column, sealed under the old key.
    let app = spawn_app().await;
    let old_line = Keyring::generate_line("alt");
    let new_line = Keyring::generate_line("neu");
    let old = Keyring::parse(&old_line).unwrap();
    let both = Keyring::parse(&format!("{old_line}\n{new_line}")).unwrap();
    let new_only = Keyring::parse(&new_line).unwrap();
    let accounts = seed_demo(&app, &old);
    let ct = demo_user(&app, &accounts, CLASS_TEACHER);
    let t = target(&app, &ct);
    fill_sealed_columns(&app, &old, &t, "Rotation");
    let before = stored_values(&mut app.conn());
    for c in SEALED {
        assert!(
            before
                .iter()
                .any(|v| v.table == c.table && v.column == c.column),
            "no value in {}.{}: extend fill_sealed_columns",
            c.table,
            c.column
        );
    }
    assert!(before.iter().all(|v| v.stored.starts_with("alt$")));
    let plain: Vec<Vec<u8>> = before.iter().map(|v| open(&old, v)).collect();
    let total = before.len();

    // Act: a rotation in batches of one that stops after its first batch.
    let mut conn = app.conn();
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        klassenbuch::sealed::rotate(&mut conn, &both, 1, |_, _| {
            std::panic::resume_unwind(Box::new(Interrupted))
        })
    }));

    // Assert: exactly the first batch is under the new key.
    assert!(stopped.is_err(), "the rotation was not interrupted");
    let after_crash = stored_values(&mut conn);
    let moved = after_crash
        .iter()
        .filter(|v| v.stored.starts_with("neu$"))
        .count();
    assert_eq!(moved, 1, "one batch of one value");

    // Arrange: some values re-encrypted by hand in the meantime (as by another run).
    let by_hand: Vec<StoredValue> = after_crash
        .iter()
        .filter(|v| v.table == "guardians" && v.stored.starts_with("alt$"))
        .cloned()
        .collect();
    assert!(!by_hand.is_empty());
    for v in &by_hand {
        let fresh = both
            .encrypt(&sealed_column(v).purpose(v.binding), &open(&old, v))
            .unwrap();
        diesel::sql_query(format!(
            "UPDATE {} SET {} = '{fresh}' WHERE id = {}",
            v.table, v.column, v.id
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    let rotated_by_hand = stored_values(&mut conn);

    // Act: the rotation runs again to the end.
    let mut batches = Vec::new();
    let report = klassenbuch::sealed::rotate(&mut conn, &both, 3, |table, n| {
        batches.push((table.to_owned(), n));
    })
    .unwrap();

    // Assert: it went on where it stopped and left the current values alone.
    assert_eq!(report.rotated, total - 1 - by_hand.len());
    assert!(!report.already_current);
    assert!(batches.iter().all(|(_, n)| *n <= 3));
    let after = stored_values(&mut conn);
    assert_eq!(after.len(), total);
    for v in &after {
        assert!(
            v.stored.starts_with("neu$"),
            "{}.{} row {} is not under the new key",
            v.table,
            v.column,
            v.id
        );
        assert!(!v.stored.starts_with("alt$"));
    }
    for v in rotated_by_hand
        .iter()
        .filter(|v| v.stored.starts_with("neu$"))
    {
        let now = after
            .iter()
            .find(|a| a.table == v.table && a.column == v.column && a.id == v.id)
            .unwrap();
        assert_eq!(now.stored, v.stored, "a current value was encrypted again");
    }
    // Every value opens with the new key alone, unchanged.
    for (v, p) in after.iter().zip(&plain) {
        assert_eq!(
            &open(&new_only, v),
            p,
            "{}.{} row {}",
            v.table,
            v.column,
            v.id
        );
    }

    // Act: once more.
    let again = klassenbuch::sealed::rotate(&mut conn, &both, 100, |_, _| {}).unwrap();

    // Assert: nothing left to do.
    assert_eq!(again.rotated, 0);
    assert!(again.already_current);
    assert_eq!(
        stored_values(&mut conn)
            .iter()
            .map(|v| &v.stored)
            .collect::<Vec<_>>(),
        after.iter().map(|v| &v.stored).collect::<Vec<_>>()
    );
}
