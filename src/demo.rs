//! `klassenbuch demo` and the operator helpers it shares with the CLI: a fresh SQLite
//! database with two realistic demo schools, one account per role, served on localhost.

use crate::auth::roles::Role;
use crate::cli::DemoArgs;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::crypto::{Keyring, random_token, sha256_hex};
use crate::db::calendar;
use crate::db::timetable::{self, NewSlot};
use crate::db::{Db, DbConnection, schools, users};
use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use chrono::{Datelike, Duration, NaiveDate};
use secrecy::SecretString;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Creates a school and its first headteacher (no password yet) and returns the one-time
/// setup link.
pub fn create_school_with_setup_link(
    db: &Db,
    settings: &Settings,
    clock: &dyn Clock,
    name: &str,
    login: &str,
    display_name: &str,
    id: Option<i64>,
) -> anyhow::Result<String> {
    let name = name.trim();
    if name.is_empty() {
        anyhow::bail!("--name darf nicht leer sein.");
    }
    let login = users::normalize_login(login);
    if login.len() < 2 || login.chars().any(char::is_whitespace) {
        anyhow::bail!(
            "--headteacher-login »{login}« ist ungültig (mindestens 2 Zeichen, keine Leerzeichen)."
        );
    }
    // Logins and school numbers are unique across every database of the installation.
    let mut highest = 0;
    for d in db.all() {
        let mut conn = d.get()?;
        if users::find_by_login(&mut conn, &login)?.is_some() {
            anyhow::bail!("Der Anmeldename »{login}« ist bereits vergeben.");
        }
        if let Some(id) = id
            && schools::find(&mut conn, id)?.is_some()
        {
            anyhow::bail!("Die Schulnummer {id} ist bereits vergeben.");
        }
        highest = highest.max(schools::highest_id(&mut conn)?);
    }
    if id.is_some_and(|id| id <= 0) {
        anyhow::bail!("--id muss eine positive Zahl sein.");
    }
    // With a school map, numbers are chosen here (each database's own counter knows only its
    // schools); a number the map reserves for another database is skipped.
    let id = id.or_else(|| {
        db.is_mapped().then(|| {
            (highest + 1..)
                .find(|n| db.for_school(*n).is_same(&db.home()))
                .unwrap_or(highest + 1)
        })
    });
    let target = match id {
        Some(id) => db.for_school(id),
        None => db.home(),
    };
    let mut conn = target.get()?;
    let now = clock.now().naive_utc();
    let token = random_token::<32>();
    let hours = settings.security.setup_link_valid_hours;
    crate::db::write_transaction(&mut conn, |c| {
        let school = match id {
            Some(id) => schools::create_with_id(c, id, name, now)?,
            None => schools::create(c, name, now)?,
        };
        let user = users::create(c, school.id, &login, display_name, now)?;
        users::assign_role(c, school.id, user.id, Role::Schulleitung, None)?;
        users::create_setup_token(
            c,
            school.id,
            user.id,
            &sha256_hex(token.as_bytes()),
            now,
            now + Duration::hours(hours),
        )?;
        Ok(())
    })?;
    Ok(format!("{}/einrichtung/{token}", public_origin(settings)))
}

/// The configured origin, or `http://localhost:<port of bind>`.
pub fn public_origin(settings: &Settings) -> String {
    if settings.server.public_origin.is_empty() {
        let port = settings.server.bind.rsplit(':').next().unwrap_or("8080");
        format!("http://localhost:{port}")
    } else {
        settings
            .server
            .public_origin
            .trim_end_matches('/')
            .to_owned()
    }
}

/// Appends a new key line to a key file (created with mode 0600).
pub fn append_key(path: &Path, id: &str) -> anyhow::Result<()> {
    let line = Keyring::generate_line(id);
    let mut existing = if path.exists() {
        std::fs::read_to_string(path)?
    } else {
        String::new()
    };
    if !existing.is_empty() && !existing.ends_with('\n') {
        existing.push('\n');
    }
    existing.push_str(&line);
    existing.push('\n');
    Keyring::parse(&existing).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| {
        format!(
            "Schlüsseldatei {} kann nicht geschrieben werden",
            path.display()
        )
    })?;
    f.write_all(existing.as_bytes())?;
    Ok(())
}

/// One demo account as written to `demo-accounts.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub school: String,
    pub role: String,
    pub login: String,
    pub password: String,
    pub totp_seed: Option<String>,
}

struct DemoSchool {
    name: &'static str,
    suffix: &'static str,
    staff: [(&'static str, Role, &'static str); 6],
    classes: &'static [&'static str],
}

const SCHOOLS: [DemoSchool; 2] = [
    DemoSchool {
        name: "Gymnasium an der Förde",
        suffix: "foerde",
        staff: [
            ("Dr. Maren Petersen", Role::Schulleitung, "m.petersen"),
            ("Jens Hansen", Role::Verwaltung, "j.hansen"),
            ("Anke Carstensen", Role::Klassenlehrkraft, "a.carstensen"),
            ("Ole Jensen", Role::Lehrkraft, "o.jensen"),
            ("Birte Thomsen", Role::Sekretariat, "b.thomsen"),
            ("Katrin Lorenzen", Role::Schulsozialarbeit, "k.lorenzen"),
        ],
        classes: &["5a", "5b", "6a", "7c"],
    },
    DemoSchool {
        name: "Gemeinschaftsschule am Holstentor",
        suffix: "holstentor",
        staff: [
            ("Frank Meier", Role::Schulleitung, "f.meier"),
            ("Sabine Koch", Role::Verwaltung, "s.koch"),
            ("Yasemin Demir", Role::Klassenlehrkraft, "y.demir"),
            ("Lukas Schröder", Role::Lehrkraft, "l.schroeder"),
            ("Heike Wolff", Role::Sekretariat, "h.wolff"),
            ("Tobias Krüger", Role::Schulsozialarbeit, "t.krueger"),
        ],
        classes: &["7a", "8b", "9a"],
    },
];

const SUBJECTS: [(&str, &str); 6] = [
    ("D", "Deutsch"),
    ("M", "Mathematik"),
    ("E", "Englisch"),
    ("BIO", "Biologie"),
    ("GE", "Geschichte"),
    ("SP", "Sport"),
];

const FIRST_NAMES: [&str; 24] = [
    "Mia", "Ben", "Emma", "Paul", "Hannah", "Finn", "Lea", "Jonas", "Sophie", "Elias", "Lina",
    "Noah", "Marie", "Luis", "Ella", "Felix", "Clara", "Anton", "Ida", "Emil", "Frieda", "Mats",
    "Merle", "Hamza",
];
const SURNAMES: [&str; 24] = [
    "Albers",
    "Brandt",
    "Christiansen",
    "Dittmer",
    "Ehlers",
    "Friedrichsen",
    "Gosch",
    "Hinrichs",
    "Iversen",
    "Jürgensen",
    "Kock",
    "Lüders",
    "Möller",
    "Nissen",
    "Ohlsen",
    "Paulsen",
    "Quast",
    "Rathjen",
    "Sievers",
    "Thiessen",
    "Uhl",
    "Vollmer",
    "Wulf",
    "Yilmaz",
];

const TOPICS: [&str; 12] = [
    "Einführung und Wiederholung",
    "Bruchrechnung: Erweitern und Kürzen",
    "Kurzgeschichte: Merkmale",
    "Present Perfect",
    "Die Zelle als Grundbaustein",
    "Das Mittelalter: Lehnswesen",
    "Ballspiele: Passen und Fangen",
    "Übung und Vertiefung",
    "Lineare Funktionen",
    "Erörterung: Aufbau",
    "Reading comprehension",
    "Fotosynthese",
];

/// Three weeks of documented lessons with some absences, a few left open, two absence cases
/// and one Attestpflicht, so every page of the demo shows something.
fn seed_history(
    conn: &mut DbConnection,
    school_id: i64,
    class_ids: &[i64],
    recorder: i64,
    today: NaiveDate,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    use crate::db::register;
    let from = today - Duration::days(21);
    let to = today - Duration::days(1);
    for (ci, class_id) in class_ids.iter().enumerate() {
        let plan = crate::register::plan::class_plan(conn, school_id, *class_id, from, to)?;
        for (i, p) in plan.iter().enumerate() {
            // Leave the most recent few lessons open for the "Offene Stunden" list.
            if p.date >= today - Duration::days(2) && i % 3 == 0 {
                continue;
            }
            let (start, end) = p.times.unwrap_or((0, 0));
            let at = p.date.and_hms_opt(8, 0, 0).unwrap_or(now);
            let lesson_id = register::insert_lesson(
                conn,
                &register::NewLesson {
                    school_id,
                    slot_id: p.slot.id,
                    date: p.date,
                    class_id: *class_id,
                    group_id: None,
                    subject_id: p.slot.subject_id,
                    teacher_id: p.actual_teacher_id,
                    period: p.slot.period,
                    start_minute: start,
                    end_minute: end,
                    status: "dokumentiert",
                    by: p.actual_teacher_id,
                    at,
                },
            )?;
            let topic = TOPICS[(i + ci) % TOPICS.len()];
            register::update_lesson_text(
                conn,
                lesson_id,
                topic,
                if i % 2 == 0 {
                    "Arbeitsblatt fertigstellen"
                } else {
                    ""
                },
                at,
            )?;
            let roster = register::roster(conn, school_id, *class_id, None, p.date)?;
            for (k, pupil) in roster.iter().enumerate() {
                let h = (pupil.id as usize * 31 + i * 17 + k) % 97;
                let mark = match h {
                    0 | 1 => Some(("abwesend", 0)),
                    2 => Some(("verspaetet", 5 + (h % 10) as i32)),
                    _ => None,
                };
                if let Some((status, minutes)) = mark {
                    register::insert_mark(conn, school_id, lesson_id, pupil.id, status, minutes)?;
                }
            }
        }
        if let Some(first) = register::roster(conn, school_id, *class_id, None, today)?.first() {
            calendar::create_absence_case(
                conn,
                &calendar::NewAbsenceCase {
                    school_id,
                    pupil_id: first.id,
                    from_date: today - Duration::days(9),
                    to_date: today - Duration::days(8),
                    from_period: None,
                    to_period: None,
                    reason: "krank",
                    note_enc: None,
                    excuse: "entschuldigt",
                    excuse_received_on: Some(today - Duration::days(7)),
                    created_by: recorder,
                    now,
                },
            )?;
            calendar::create_attest(
                conn,
                school_id,
                first.id,
                today - Duration::days(7),
                today + Duration::days(60),
                recorder,
                now,
            )?;
        }
    }
    Ok(())
}

fn seed_school(
    conn: &mut DbConnection,
    school: &DemoSchool,
    today: NaiveDate,
    now: chrono::NaiveDateTime,
    keys: &Keyring,
) -> anyhow::Result<Vec<DemoAccount>> {
    let mut accounts = Vec::new();
    let s = schools::create(conn, school.name, now)?;
    let term_start =
        NaiveDate::from_ymd_opt(today.year() - i32::from(today.month() < 8), 8, 1).unwrap_or(today);
    // The usual grid of a German secondary school: 45-minute periods from 07:55.
    let grid: Vec<(i16, i32, i32)> = [
        (1, 7 * 60 + 55),
        (2, 8 * 60 + 40),
        (3, 9 * 60 + 45),
        (4, 10 * 60 + 30),
        (5, 11 * 60 + 35),
        (6, 12 * 60 + 20),
        (7, 13 * 60 + 30),
        (8, 14 * 60 + 15),
    ]
    .into_iter()
    .map(|(n, start)| (n, start, start + 45))
    .collect();
    crate::db::register::create_time_grid(conn, s.id, "Standard", term_start, None, &grid)?;
    let mut class_ids = Vec::new();
    for name in school.classes {
        class_ids.push(timetable::create_class(conn, s.id, name)?);
    }
    let mut subject_ids = Vec::new();
    for (short, name) in SUBJECTS {
        subject_ids.push(timetable::create_subject(conn, s.id, short, name)?);
    }
    for (ci, class_id) in class_ids.iter().enumerate() {
        for p in 0..22 {
            let first = FIRST_NAMES[(p * 7 + ci * 3) % FIRST_NAMES.len()];
            let last = SURNAMES[(p * 5 + ci * 11) % SURNAMES.len()];
            timetable::create_pupil(conn, s.id, *class_id, last, first, term_start)?;
        }
    }
    let mut teachers = Vec::new();
    for (display, role, login) in school.staff {
        let login = format!("{login}.{}", school.suffix);
        let password = random_token::<12>();
        let user = users::create(conn, s.id, &login, display, now)?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .to_string();
        users::set_password_hash(conn, user.id, &hash)?;
        users::set_setup_complete(conn, user.id, true)?;
        let class_scope = (role == Role::Klassenlehrkraft).then(|| class_ids[0]);
        users::assign_role(conn, s.id, user.id, role, class_scope)?;
        if role == Role::Klassenlehrkraft {
            users::assign_role(conn, s.id, user.id, Role::Lehrkraft, None)?;
        }
        if matches!(role, Role::Klassenlehrkraft | Role::Lehrkraft) {
            teachers.push(user.id);
        }
        let seed = crate::auth::demo_enrol(conn, s.id, user.id, now, keys)?;
        accounts.push(DemoAccount {
            school: school.name.to_owned(),
            role: role.label().to_owned(),
            login,
            password,
            totp_seed: seed,
        });
    }
    // More teachers than demo accounts, so that every class has a full week.
    for (i, name) in [
        "Hauke Bruhn",
        "Sönke Reimers",
        "Inga Frahm",
        "Wiebke Nommensen",
    ]
    .iter()
    .enumerate()
    {
        let login = format!("lehrkraft{}.{}", i + 1, school.suffix);
        let u = users::create(conn, s.id, &login, name, now)?;
        users::assign_role(conn, s.id, u.id, Role::Lehrkraft, None)?;
        teachers.push(u.id);
    }
    let school_year_end = NaiveDate::from_ymd_opt(term_start.year() + 1, 7, 31).unwrap_or(today);
    let term_switch = NaiveDate::from_ymd_opt(term_start.year() + 1, 2, 1).unwrap_or(today);
    calendar::create_school_year(
        conn,
        s.id,
        &format!("{}/{}", term_start.year(), (term_start.year() + 1) % 100),
        term_start,
        school_year_end,
        &[
            (
                "1. Halbjahr",
                term_start,
                term_switch.pred_opt().unwrap_or(term_switch),
            ),
            ("2. Halbjahr", term_switch, school_year_end),
        ],
    )?;
    for (name, from, to) in [
        (
            "Herbstferien",
            (term_start.year(), 10, 12),
            (term_start.year(), 10, 24),
        ),
        (
            "Weihnachtsferien",
            (term_start.year(), 12, 21),
            (term_start.year() + 1, 1, 6),
        ),
    ] {
        if let (Some(f), Some(t)) = (
            NaiveDate::from_ymd_opt(from.0, from.1, from.2),
            NaiveDate::from_ymd_opt(to.0, to.1, to.2),
        ) {
            calendar::create_holiday(conn, s.id, name, f, t)?;
        }
    }
    for weekday in 1..=5i16 {
        for period in 1..=6i16 {
            for (ci, class_id) in class_ids.iter().enumerate() {
                let n = ci + weekday as usize + period as usize;
                // Distinct teacher per class in the same period: the index differs by ci.
                let teacher = teachers[n % teachers.len()];
                let subject_id = subject_ids[(n + ci) % subject_ids.len()];
                timetable::create_slot(
                    conn,
                    &NewSlot {
                        school_id: s.id,
                        class_id: *class_id,
                        subject_id,
                        teacher_id: teacher,
                        weekday,
                        period,
                        room: &format!("R{}", 101 + ci),
                        valid_from: term_start,
                    },
                )?;
            }
        }
    }
    seed_history(conn, s.id, &class_ids, teachers[0], today, now)?;
    // Profile, guardians, support and conduct data for the pupils of the first class.
    crate::pupils::demo::seed(conn, keys, s.id, class_ids[0], today, now)?;
    crate::socialwork::seed_demo(conn, s.id, now)?;
    Ok(accounts)
}

/// Fills an empty database with the demo schools; returns every account.
pub fn seed(db: &Db, clock: &dyn Clock, keys: &Keyring) -> anyhow::Result<Vec<DemoAccount>> {
    let mut conn = db.get()?;
    let now = clock.now();
    let mut all = Vec::new();
    for school in &SCHOOLS {
        let accounts = crate::db::write_transaction(&mut conn, |c| {
            seed_school(
                c,
                school,
                crate::clock::school_today(now),
                now.naive_utc(),
                keys,
            )
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))
        })?;
        all.extend(accounts);
    }
    Ok(all)
}

/// `klassenbuch demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = &args.data_dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("Verzeichnis {} kann nicht angelegt werden", dir.display()))?;
    let db_path = dir.join("klassenbuch.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let p = dir.join(format!("klassenbuch.sqlite{suffix}"));
        if p.exists() {
            std::fs::remove_file(&p)?;
        }
    }
    let key_path = dir.join("keys");
    if !key_path.exists() {
        append_key(&key_path, "demo1")?;
    }
    let mut settings = Settings::default();
    settings.server.bind = format!("127.0.0.1:{}", args.port);
    settings.server.public_origin = format!("http://localhost:{}", args.port);
    settings.database.url = SecretString::from(format!("sqlite://{}", db_path.display()));
    settings.keys.file = Some(key_path);
    settings.validate()?;
    let keys = settings.keyring()?;
    let db = crate::cli_connect(&settings)?;
    db.migrate()?;
    let accounts = seed(&db, &SystemClock, &keys)?;
    drop(db);
    let json_path = dir.join("demo-accounts.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&accounts)?)?;
    println!("Klassenbuch-Demo: http://localhost:{}", args.port);
    println!(
        "Beispielkonten (mit Passwort und TOTP-Schlüssel): {}",
        json_path.display()
    );
    for a in accounts.iter().take(6) {
        println!("  {:<18} {:<32} {}", a.role, a.login, a.password);
    }
    println!("Beenden mit Strg+C.");
    crate::cli::serve_app(settings, keys)
}
