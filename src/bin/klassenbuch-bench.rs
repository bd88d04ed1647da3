//! `klassenbuch-bench`: the benchmark tool of docs/benchmarks.md (performance.md).
//!
//! - `seed`: fills a database (SQLite or PostgreSQL) with large benchmark schools: 120 teachers
//!   with passwords, 60 classes, 1,500 pupils, a full timetable and a history of documented
//!   lessons with attendance marks (multi-row inserts, one write transaction per chunk).
//! - `argon2`: the median time of one argon2id hash with the app's parameters.
//! - `morning-peak`: scenario 1 against a server on localhost (optionally started here).
//! - `throughput` / `ceiling`: scenario 2, the lesson page against a minimal stack ceiling.
//! - `year-of-data`: scenario 3, the class statistics and the lesson page of a school with a
//!   year of history, compared with the same run on a database of ten such schools.
//!
//! Only talks to 127.0.0.1 / localhost; every run is bounded in count and time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::{Context, bail};
use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use chrono::{Datelike, Duration as Days, NaiveDate};
use clap::{Args, Parser, Subcommand};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::clock::{Clock, SystemClock};
use klassenbuch::db::schema::{lessons, timetable_slots};
use klassenbuch::db::timetable::{self, NewSlot};
use klassenbuch::db::{Db, DbConnection, calendar, register, schools, users};
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The password of every seeded benchmark teacher.
pub const BENCH_PASSWORD: &str = "Kranich fliegt über zwölf grüne Deiche";

#[derive(Debug, Parser)]
#[command(name = "klassenbuch-bench", about = "Benchmarks of docs/benchmarks.md")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Seeds benchmark schools (logins s{N}.lehrer001 … s{N}.lehrer120, one shared password).
    Seed(SeedArgs),
    /// Median argon2id hash time with the app's parameters.
    Argon2 {
        #[arg(long, default_value_t = 20)]
        n: usize,
    },
    /// Scenario 1: all teachers of one school log in and document their first lesson at once.
    MorningPeak(PeakArgs),
    /// Scenario 2: signed-in teachers fetch their lesson page at full speed.
    Throughput(ThroughputArgs),
    /// Scenario 3: the class statistics page (after step-up) and the lesson page of a class
    /// teacher, one request at a time; with --baseline, the ratio to an earlier (1×) run.
    YearOfData(YearArgs),
    /// The stack ceiling: a minimal actix + diesel + maud server rendering a class roster.
    Ceiling {
        #[arg(long)]
        db: String,
        #[arg(long, default_value = "127.0.0.1:18081")]
        bind: String,
    },
}

#[derive(Debug, Args)]
struct SeedArgs {
    /// sqlite://PATH or postgres://…
    #[arg(long)]
    db: String,
    #[arg(long, default_value_t = 1)]
    schools: usize,
    /// Days of documented history before today (280 ≈ one school year of 40 weeks).
    #[arg(long, default_value_t = 280)]
    history_days: i64,
    #[arg(long, default_value_t = 120)]
    teachers: usize,
    #[arg(long, default_value_t = 60)]
    classes: usize,
    #[arg(long, default_value_t = 25)]
    pupils_per_class: usize,
    /// Key file (created if missing); the server must be started with the same one.
    #[arg(long, default_value = "bench-data/keys")]
    keys: PathBuf,
}

#[derive(Debug, Args, Clone)]
struct ServerArgs {
    /// Base URL of a running server (http://127.0.0.1:PORT or http://localhost:PORT).
    #[arg(long)]
    url: Option<String>,
    /// Instead: start this server binary (target/release/klassenbuch) on --db and measure it.
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Database of the started server.
    #[arg(long)]
    db: Option<String>,
    #[arg(long, default_value_t = 18080)]
    port: u16,
    /// Extra environment of the started server, e.g. `MALLOC_ARENA_MAX=2` (repeatable).
    #[arg(long = "server-env")]
    server_env: Vec<String>,
    /// Key file of the started server (the one given to `seed`).
    #[arg(long, default_value = "bench-data/keys")]
    keys: PathBuf,
}

#[derive(Debug, Args)]
struct PeakArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Which seeded school (1-based).
    #[arg(long, default_value_t = 1)]
    school: usize,
    #[arg(long, default_value_t = 120)]
    teachers: usize,
    /// Number of schools whose teachers all start at once (scenario 4: 20).
    #[arg(long, default_value_t = 1)]
    schools: usize,
    /// Hard limit of the whole run.
    #[arg(long, default_value_t = 300)]
    timeout_seconds: u64,
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct YearArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Which seeded school (1-based); its teacher 001 is class teacher of its first class.
    #[arg(long, default_value_t = 1)]
    school: usize,
    /// Requests of each page (after 5 unmeasured ones).
    #[arg(long, default_value_t = 100)]
    requests: usize,
    /// The JSON of the run on the 1× database, to compute the ratio (bar: ≤ 1.5).
    #[arg(long)]
    baseline: Option<PathBuf>,
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ThroughputArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[arg(long, default_value_t = 1)]
    school: usize,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Also start `klassenbuch-bench ceiling` on this port and measure it the same way.
    #[arg(long)]
    ceiling_port: Option<u16>,
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Seed(a) => seed(&a),
        Command::Argon2 { n } => {
            let t = argon2_median(n)?;
            println!("argon2id median of {n}: {:.1} ms", t.as_secs_f64() * 1e3);
            Ok(())
        }
        Command::MorningPeak(a) => runtime()?.block_on(morning_peak(a)),
        Command::Throughput(a) => runtime()?.block_on(throughput(a)),
        Command::YearOfData(a) => runtime()?.block_on(year_of_data(a)),
        Command::Ceiling { db, bind } => ceiling(&db, &bind),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

// ---------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------

const SUBJECTS: [(&str, &str); 6] = [
    ("D", "Deutsch"),
    ("M", "Mathematik"),
    ("E", "Englisch"),
    ("BIO", "Biologie"),
    ("GE", "Geschichte"),
    ("SP", "Sport"),
];
const FIRST: [&str; 16] = [
    "Mia", "Ben", "Emma", "Paul", "Hannah", "Finn", "Lea", "Jonas", "Sophie", "Elias", "Lina",
    "Noah", "Marie", "Luis", "Ella", "Felix",
];
const LAST: [&str; 16] = [
    "Albers", "Brandt", "Dittmer", "Ehlers", "Gosch", "Hinrichs", "Iversen", "Kock", "Möller",
    "Nissen", "Ohlsen", "Paulsen", "Rathjen", "Sievers", "Thiessen", "Wulf",
];
const TOPICS: [&str; 6] = [
    "Einführung und Wiederholung",
    "Bruchrechnung: Erweitern und Kürzen",
    "Present Perfect",
    "Die Zelle als Grundbaustein",
    "Lineare Funktionen",
    "Übung und Vertiefung",
];
/// Periods 1–8 from 07:55 (45 minutes each).
const GRID: [(i16, i32, i32); 8] = [
    (1, 475, 520),
    (2, 520, 565),
    (3, 585, 630),
    (4, 630, 675),
    (5, 695, 740),
    (6, 740, 785),
    (7, 810, 855),
    (8, 855, 900),
];

fn login_of(school: usize, teacher: usize) -> String {
    format!("s{school}.lehrer{teacher:03}")
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn dberr(e: anyhow::Error) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(e.into())
}

struct SlotRow {
    id: i64,
    class_id: i64,
    subject_id: i64,
    teacher_id: i64,
    weekday: i16,
    period: i16,
}

fn seed(a: &SeedArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if !a.keys.exists() {
        if let Some(dir) = a.keys.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        klassenbuch::demo::append_key(&a.keys, "bench1")?;
    }
    let keys = klassenbuch::crypto::Keyring::parse(&std::fs::read_to_string(&a.keys)?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = Db::connect(&a.db, 2, 30_000)?;
    db.migrate()?;
    let mut conn = db.get()?;
    let existing: i64 = klassenbuch::db::schema::schools::table
        .filter(klassenbuch::db::schema::schools::name.like("Benchmark-Schule %"))
        .count()
        .get_result(&mut *conn)?;
    let today = klassenbuch::clock::school_today(SystemClock.now());
    let from = today - Days::days(a.history_days);
    // One hash for all: seeding stays fast; every login still verifies a full argon2id hash.
    let hash = Argon2::default()
        .hash_password(BENCH_PASSWORD.as_bytes())
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string();
    let (mut total_lessons, mut total_marks) = (0usize, 0usize);
    for n in 0..a.schools {
        let number = existing as usize + n + 1;
        let t0 = Instant::now();
        let (school_id, slots, pupils) = klassenbuch::db::write_transaction(&mut conn, |c| {
            seed_structure(c, a, number, from, today, &hash, &keys).map_err(dberr)
        })?;
        let (l, m) = seed_history(&mut conn, school_id, &slots, &pupils, from, today)?;
        total_lessons += l;
        total_marks += m;
        println!(
            "Benchmark-Schule {number} (id {school_id}): {} teachers s{number}.lehrer001…, {} classes, {} pupils, {} slots, {l} lessons, {m} marks in {:.1} s",
            a.teachers,
            a.classes,
            a.classes * a.pupils_per_class,
            slots.len(),
            t0.elapsed().as_secs_f64()
        );
    }
    // Fresh statistics for the planner after a bulk load.
    match &mut *conn {
        DbConnection::Sqlite(c) => c.batch_execute("ANALYZE;")?,
        DbConnection::Postgres(c) => c.batch_execute("ANALYZE;")?,
    }
    println!(
        "Done: {} school(s), {total_lessons} lessons, {total_marks} attendance marks in {:.1} s. Password of every teacher: »{BENCH_PASSWORD}«",
        a.schools,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

type Structure = (i64, Vec<SlotRow>, HashMap<i64, Vec<i64>>);

fn seed_structure(
    c: &mut DbConnection,
    a: &SeedArgs,
    number: usize,
    from: NaiveDate,
    today: NaiveDate,
    hash: &str,
    keys: &klassenbuch::crypto::Keyring,
) -> anyhow::Result<Structure> {
    let now = SystemClock.now().naive_utc();
    let s = schools::create(c, &format!("Benchmark-Schule {number}"), now)?;
    register::create_time_grid(c, s.id, "Standard", from, None, &GRID)?;
    let year_start = NaiveDate::from_ymd_opt(today.year() - i32::from(today.month() < 8), 8, 1)
        .context("date")?
        .min(from);
    let year_end = NaiveDate::from_ymd_opt(year_start.year() + 1, 7, 31).context("date")?;
    let switch = NaiveDate::from_ymd_opt(year_start.year() + 1, 2, 1).context("date")?;
    calendar::create_school_year(
        c,
        s.id,
        &format!("{}/{}", year_start.year(), (year_start.year() + 1) % 100),
        year_start,
        year_end.max(today),
        &[
            ("1. Halbjahr", year_start, switch - Days::days(1)),
            ("2. Halbjahr", switch, year_end.max(today)),
        ],
    )?;
    let mut subjects = Vec::new();
    for (short, name) in SUBJECTS {
        subjects.push(timetable::create_subject(c, s.id, short, name)?);
    }
    let mut classes = Vec::new();
    let mut pupils: HashMap<i64, Vec<i64>> = HashMap::new();
    for ci in 0..a.classes {
        let name = format!("{}{}", 5 + ci / 10, (b'a' + (ci % 10) as u8) as char);
        let class_id = timetable::create_class(c, s.id, &name)?;
        classes.push(class_id);
        for p in 0..a.pupils_per_class {
            let id = timetable::create_pupil(
                c,
                s.id,
                class_id,
                LAST[(p * 5 + ci) % LAST.len()],
                FIRST[(p * 7 + ci * 3) % FIRST.len()],
                from,
            )?;
            pupils.entry(class_id).or_default().push(id);
        }
    }
    let mut teachers = Vec::new();
    for t in 1..=a.teachers {
        let u = users::create(
            c,
            s.id,
            &login_of(number, t),
            &format!("Lehrkraft {t:03}"),
            now,
        )?;
        users::set_password_hash(c, u.id, hash)?;
        users::set_setup_complete(c, u.id, true)?;
        users::assign_role(c, s.id, u.id, Role::Lehrkraft, None)?;
        // A TOTP factor and the acknowledged documents, as for every real account.
        klassenbuch::auth::demo_enrol(c, s.id, u.id, now, keys)?;
        if t <= classes.len() {
            users::assign_role(c, s.id, u.id, Role::Klassenlehrkraft, Some(classes[t - 1]))?;
        }
        teachers.push(u.id);
    }
    // Periods 1–6, Monday to Friday: within one period every class has another teacher.
    for (ci, class_id) in classes.iter().enumerate() {
        for weekday in 1..=5i16 {
            for period in 1..=6i16 {
                let n = ci + 7 * weekday as usize + 13 * period as usize;
                timetable::create_slot(
                    c,
                    &NewSlot {
                        school_id: s.id,
                        class_id: *class_id,
                        subject_id: subjects[(ci + weekday as usize + period as usize) % 6],
                        teacher_id: teachers[n % teachers.len()],
                        weekday,
                        period,
                        room: &format!("R{}", 101 + ci),
                        valid_from: from,
                    },
                )?;
            }
        }
    }
    let slots = timetable_slots::table
        .filter(timetable_slots::school_id.eq(s.id))
        .select((
            timetable_slots::id,
            timetable_slots::class_id,
            timetable_slots::subject_id,
            timetable_slots::teacher_id,
            timetable_slots::weekday,
            timetable_slots::period,
        ))
        .load::<(i64, i64, i64, i64, i16, i16)>(c)?
        .into_iter()
        .map(
            |(id, class_id, subject_id, teacher_id, weekday, period)| SlotRow {
                id,
                class_id,
                subject_id,
                teacher_id,
                weekday,
                period,
            },
        )
        .collect();
    Ok((s.id, slots, pupils))
}

/// Documented lessons from `from` to yesterday, chunked by 14 days (one transaction each).
fn seed_history(
    conn: &mut DbConnection,
    school_id: i64,
    slots: &[SlotRow],
    pupils: &HashMap<i64, Vec<i64>>,
    from: NaiveDate,
    today: NaiveDate,
) -> anyhow::Result<(usize, usize)> {
    let (mut n_lessons, mut n_marks) = (0, 0);
    let mut chunk_start = from;
    while chunk_start < today {
        let chunk_end = (chunk_start + Days::days(13)).min(today - Days::days(1));
        let mut rows = Vec::new();
        for d in chunk_start.iter_days().take_while(|d| *d <= chunk_end) {
            let wd = d.weekday().number_from_monday() as i16;
            for (i, s) in slots.iter().filter(|s| s.weekday == wd).enumerate() {
                let (_, start, end) = GRID[(s.period - 1) as usize];
                let at = format!("{} 14:00:00", d.format("%Y-%m-%d"));
                rows.push(format!(
                    "({school_id},{},'{}',{},NULL,{},{},{},{start},{end},{},'',\
                     'dokumentiert',{},'{at}','{at}')",
                    s.id,
                    d.format("%Y-%m-%d"),
                    s.class_id,
                    s.subject_id,
                    s.teacher_id,
                    s.period,
                    q(TOPICS[(i + d.ordinal() as usize) % TOPICS.len()]),
                    s.teacher_id,
                ));
            }
        }
        let (l, m) = klassenbuch::db::write_transaction(conn, |c| {
            for part in rows.chunks(500) {
                c.batch_execute(&format!(
                    "INSERT INTO lessons (school_id, slot_id, date, class_id, group_id, \
                     subject_id, teacher_id, period, start_minute, end_minute, topic, homework, \
                     status, documented_by, documented_at, updated_at) VALUES {}",
                    part.join(",")
                ))?;
            }
            let ids: Vec<(i64, i64)> = lessons::table
                .filter(lessons::school_id.eq(school_id))
                .filter(lessons::date.ge(chunk_start))
                .filter(lessons::date.le(chunk_end))
                .select((lessons::id, lessons::class_id))
                .load(c)?;
            let mut marks = Vec::new();
            for (lesson_id, class_id) in &ids {
                for pupil in pupils.get(class_id).map(Vec::as_slice).unwrap_or(&[]) {
                    // Deterministic and spread: ≈ 4 % absent, ≈ 1.5 % late per pupil-lesson.
                    let h = (lesson_id.wrapping_mul(2_654_435_761) ^ pupil.wrapping_mul(40_503))
                        .rem_euclid(1000);
                    let mark = match h {
                        0..40 => Some(("abwesend", 0)),
                        40..55 => Some(("verspaetet", 5 + h % 10)),
                        _ => None,
                    };
                    if let Some((status, minutes)) = mark {
                        marks.push(format!(
                            "({school_id},{lesson_id},{pupil},'{status}',{minutes})"
                        ));
                    }
                }
            }
            for part in marks.chunks(1000) {
                c.batch_execute(&format!(
                    "INSERT INTO attendance (school_id, lesson_id, pupil_id, status, minutes) \
                     VALUES {}",
                    part.join(",")
                ))?;
            }
            Ok((ids.len(), marks.len()))
        })?;
        n_lessons += l;
        n_marks += m;
        chunk_start = chunk_end + Days::days(1);
    }
    Ok((n_lessons, n_marks))
}

// ---------------------------------------------------------------------------------------------
// Machine, argon2, server process
// ---------------------------------------------------------------------------------------------

fn argon2_median(n: usize) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let t = Instant::now();
        Argon2::default()
            .hash_password(b"klassenbuch-benchmark-passwort")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

#[derive(Debug, Clone, Serialize)]
struct Machine {
    cores: usize,
    cpu_model: String,
    mem_total_mb: u64,
    mem_available_mb: u64,
    note: &'static str,
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cores = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("")
        .trim()
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kb = |key: &str| {
        meminfo
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Machine {
        cores: cores.max(1),
        cpu_model,
        mem_total_mb: kb("MemTotal:") / 1024,
        mem_available_mb: kb("MemAvailable:") / 1024,
        note: "shared machine (other builds may run concurrently); client and server on the same cores",
    }
}

/// A server process started by the benchmark (killed on drop).
struct Server {
    child: std::process::Child,
    base: String,
    _dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// utime + stime of a process in seconds (clock ticks of 100 Hz).
fn proc_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

async fn start_server(args: &ServerArgs) -> anyhow::Result<Option<Server>> {
    let Some(bin) = &args.server_bin else {
        return Ok(None);
    };
    let db = args.db.as_deref().context("--server-bin needs --db")?;
    let dir = std::env::temp_dir().join(format!("klassenbuch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let keys = std::fs::canonicalize(&args.keys)
        .with_context(|| format!("key file {} (run `seed` first)", args.keys.display()))?;
    let log = std::fs::File::create(dir.join("server.log"))?;
    let base = format!("http://localhost:{}", args.port);
    let mut cmd = std::process::Command::new(bin);
    for kv in &args.server_env {
        let (k, v) = kv.split_once('=').context("--server-env KEY=VALUE")?;
        cmd.env(k, v);
    }
    let child = cmd
        .arg("serve")
        .env("KLASSENBUCH__DATABASE__URL", db)
        .env(
            "KLASSENBUCH__SERVER__BIND",
            format!("127.0.0.1:{}", args.port),
        )
        .env("KLASSENBUCH__SERVER__PUBLIC_ORIGIN", &base)
        .env("KLASSENBUCH__KEYS__FILE", &keys)
        .env("RUST_LOG", "warn")
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("{} cannot be started", bin.display()))?;
    let server = Server {
        child,
        base: base.clone(),
        _dir: dir,
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(Some(server));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("server did not answer /healthz within 30 s (see its log in the temp dir)")
}

fn base_url(args: &ServerArgs, server: &Option<Server>) -> anyhow::Result<String> {
    let base = match (server, &args.url) {
        (Some(s), _) => s.base.clone(),
        (None, Some(u)) => u.trim_end_matches('/').to_owned(),
        (None, None) => bail!("either --url or --server-bin with --db"),
    };
    let host = url::Url::parse(&base)?
        .host_str()
        .unwrap_or_default()
        .to_owned();
    if host != "127.0.0.1" && host != "localhost" {
        bail!("only localhost / 127.0.0.1 may be benchmarked");
    }
    Ok(base)
}

// ---------------------------------------------------------------------------------------------
// Scenario 1: morning peak
// ---------------------------------------------------------------------------------------------

const STEPS: [&str; 5] = ["login_page", "login_post", "today", "lesson_page", "save"];

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct Percentiles {
    n: usize,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

fn percentiles(mut v: Vec<Duration>) -> Percentiles {
    v.sort();
    let at = |p: f64| {
        if v.is_empty() {
            return 0.0;
        }
        let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[i].as_secs_f64() * 1e3
    };
    Percentiles {
        n: v.len(),
        p50_ms: at(0.50),
        p95_ms: at(0.95),
        p99_ms: at(0.99),
        max_ms: v.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    }
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()?)
}

fn attr_after<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    let i = html.find(marker)? + marker.len();
    let rest = &html[i..];
    Some(&rest[..rest.find('"')?])
}

fn csrf(html: &str) -> Option<String> {
    attr_after(html, "name=\"csrf\" value=\"").map(str::to_owned)
}

/// The pupil ids of a lesson form (`name="p123"`), in page order, without repeats.
fn pupil_ids(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in html.split("name=\"p").skip(1) {
        let id: String = part.chars().take_while(char::is_ascii_digit).collect();
        if !id.is_empty() && part[id.len()..].starts_with('"') && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

type StepTimes = Vec<(usize, Duration)>;

async fn teacher_flow(base: &str, login: &str) -> Result<StepTimes, String> {
    let c = client().map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    let mut step = |i: usize, t: Instant| times.push((i, t.elapsed()));
    let expect = |r: &reqwest::Response, code: u16, what: &str| {
        if r.status().as_u16() == code {
            Ok(())
        } else {
            Err(format!("{what}: HTTP {} (expected {code})", r.status()))
        }
    };
    let err = |e: reqwest::Error| e.to_string();

    let t = Instant::now();
    let r = c
        .get(format!("{base}/anmelden"))
        .send()
        .await
        .map_err(err)?;
    expect(&r, 200, "GET /anmelden")?;
    let page = r.text().await.map_err(err)?;
    step(0, t);
    let token = csrf(&page).ok_or("no csrf on /anmelden")?;

    let t = Instant::now();
    let r = c
        .post(format!("{base}/anmelden"))
        .form(&[
            ("csrf", token.as_str()),
            ("next", "/"),
            ("login", login),
            ("password", BENCH_PASSWORD),
        ])
        .send()
        .await
        .map_err(err)?;
    expect(&r, 303, "POST /anmelden")?;
    let _ = r.bytes().await;
    step(1, t);

    let t = Instant::now();
    let r = c.get(format!("{base}/")).send().await.map_err(err)?;
    expect(&r, 200, "GET /")?;
    let today = r.text().await.map_err(err)?;
    step(2, t);
    let path = attr_after(&today, "href=\"/unterricht/")
        .map(|p| format!("/unterricht/{p}"))
        .ok_or("no lesson today on / (seeded weekdays are Monday–Friday)")?;

    let t = Instant::now();
    let r = c.get(format!("{base}{path}")).send().await.map_err(err)?;
    expect(&r, 200, "GET lesson")?;
    let lesson = r.text().await.map_err(err)?;
    step(3, t);
    let token = csrf(&lesson).ok_or("no csrf on the lesson page")?;
    let ids = pupil_ids(&lesson);
    if ids.len() < 3 {
        return Err(format!("lesson page lists {} pupils", ids.len()));
    }
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), token),
        ("topic".into(), "Bruchrechnung: Kürzen".into()),
        ("homework".into(), "S. 42 Nr. 3".into()),
    ];
    for (k, id) in ids.iter().enumerate() {
        let (status, minutes) = match k {
            0 | 1 => ("f", ""),
            2 => ("v", "10"),
            _ => ("a", ""),
        };
        form.push((format!("p{id}"), status.into()));
        form.push((format!("m{id}"), minutes.into()));
    }

    let t = Instant::now();
    let r = c
        .post(format!("{base}{path}"))
        .form(&form)
        .send()
        .await
        .map_err(err)?;
    expect(&r, 303, "POST lesson")?;
    let _ = r.bytes().await;
    step(4, t);
    Ok(times)
}

#[derive(Debug, Serialize)]
struct PeakReport {
    scenario: &'static str,
    date_utc: String,
    backend: String,
    machine: Machine,
    teachers: usize,
    completed: usize,
    errors: usize,
    error_samples: Vec<String>,
    wall_s: f64,
    argon2_median_ms: f64,
    bound_wall_s: f64,
    steps: Vec<(String, Percentiles)>,
    server_cpu_s: Option<f64>,
    server_cpu_ms_per_flow: Option<f64>,
    server_rss_idle_mb: Option<f64>,
    server_peak_rss_mb: Option<f64>,
    bar_errors_zero: bool,
    bar_wall: bool,
    bar_save_p99_50ms: bool,
}

async fn morning_peak(a: PeakArgs) -> anyhow::Result<()> {
    let m = machine();
    // The unavoidable cost, measured in this run before the load starts.
    let argon2 = argon2_median(20)?;
    let server = start_server(&a.server).await?;
    let base = base_url(&a.server, &server)?;
    let pid = server.as_ref().map(|s| s.child.id());
    let rss_idle = pid.and_then(|p| proc_status_kb(p, "VmRSS:"));
    let cpu0 = pid.and_then(proc_cpu_seconds);
    let logins: Vec<String> = (0..a.schools)
        .flat_map(|s| (1..=a.teachers).map(move |t| login_of(a.school + s, t)))
        .collect();
    let n = logins.len();
    let start = Arc::new(tokio::sync::Barrier::new(n + 1));
    let mut tasks = Vec::new();
    for login in logins {
        let (base, start) = (base.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            teacher_flow(&base, &login)
                .await
                .map_err(|e| format!("{login}: {e}"))
        }));
    }
    start.wait().await;
    let t0 = Instant::now();
    let all = tokio::time::timeout(
        Duration::from_secs(a.timeout_seconds),
        futures_util::future::join_all(tasks),
    )
    .await
    .context("the run exceeded --timeout-seconds")?;
    let wall = t0.elapsed();
    let cpu = match (pid.and_then(proc_cpu_seconds), cpu0) {
        (Some(b), Some(a)) => Some(b - a),
        _ => None,
    };
    let peak = pid.and_then(|p| proc_status_kb(p, "VmHWM:"));

    let mut per_step: Vec<Vec<Duration>> = vec![Vec::new(); STEPS.len()];
    let (mut completed, mut errors) = (0, Vec::new());
    for r in all {
        match r {
            Ok(Ok(times)) => {
                completed += 1;
                for (i, d) in times {
                    per_step[i].push(d);
                }
            }
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let bound = 1.3 * n as f64 * argon2.as_secs_f64() / m.cores as f64;
    let steps: Vec<(String, Percentiles)> = STEPS
        .iter()
        .zip(per_step)
        .map(|(s, v)| ((*s).to_owned(), percentiles(v)))
        .collect();
    let save_p99 = steps[4].1.p99_ms;
    let report = PeakReport {
        scenario: "morning-peak",
        date_utc: SystemClock.now().to_rfc3339(),
        backend: a
            .server
            .db
            .as_deref()
            .map(|d| d.split(':').next().unwrap_or("").to_owned())
            .unwrap_or_else(|| "unknown (--url)".into()),
        machine: m.clone(),
        teachers: n,
        completed,
        errors: errors.len(),
        error_samples: errors.iter().take(5).cloned().collect(),
        wall_s: wall.as_secs_f64(),
        argon2_median_ms: argon2.as_secs_f64() * 1e3,
        bound_wall_s: bound,
        server_cpu_s: cpu,
        server_cpu_ms_per_flow: cpu.map(|c| c * 1e3 / completed.max(1) as f64),
        server_rss_idle_mb: rss_idle.map(|k| k as f64 / 1024.0),
        server_peak_rss_mb: peak.map(|k| k as f64 / 1024.0),
        bar_errors_zero: errors.is_empty(),
        bar_wall: wall.as_secs_f64() <= bound && completed == n,
        bar_save_p99_50ms: save_p99 <= 50.0 && completed > 0,
        steps,
    };
    print_peak(&report);
    if let Some(path) = &a.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        println!("JSON: {}", path.display());
    }
    Ok(())
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

fn print_peak(r: &PeakReport) {
    println!(
        "morning-peak · backend {} · {} cores ({}) · {} MB RAM ({} MB available)",
        r.backend,
        r.machine.cores,
        r.machine.cpu_model,
        r.machine.mem_total_mb,
        r.machine.mem_available_mb
    );
    println!(
        "teachers {} · completed {} · errors {} · wall {:.2} s · argon2 median {:.1} ms",
        r.teachers, r.completed, r.errors, r.wall_s, r.argon2_median_ms
    );
    for e in &r.error_samples {
        println!("  error: {e}");
    }
    println!(
        "{:<12} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "step", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for (name, p) in &r.steps {
        println!(
            "{name:<12} {:>6} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            p.n, p.p50_ms, p.p95_ms, p.p99_ms, p.max_ms
        );
    }
    if let Some(c) = r.server_cpu_s {
        println!(
            "server CPU {c:.2} s = {:.1} ms per completed flow",
            r.server_cpu_ms_per_flow.unwrap_or(0.0)
        );
    }
    if let (Some(i), Some(p)) = (r.server_rss_idle_mb, r.server_peak_rss_mb) {
        println!("server RSS idle {i:.1} MB · peak {p:.1} MB");
    }
    println!("bar errors = 0: {}", verdict(r.bar_errors_zero));
    println!(
        "bar wall {:.2} s ≤ 1.3 × ({} × {:.1} ms ÷ {} cores) = {:.2} s: {}",
        r.wall_s,
        r.teachers,
        r.argon2_median_ms,
        r.machine.cores,
        r.bound_wall_s,
        verdict(r.bar_wall)
    );
    println!(
        "bar p99(save) {:.1} ms ≤ 50 ms: {}",
        r.steps[4].1.p99_ms,
        verdict(r.bar_save_p99_50ms)
    );
}

// ---------------------------------------------------------------------------------------------
// Scenario 2: lesson-page throughput and the stack ceiling
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct Load {
    target: String,
    requests: usize,
    errors: usize,
    seconds: f64,
    rps: f64,
    latency: Percentiles,
}

/// `connections` tasks, each with its own client, GET their path until `seconds` are over.
async fn hammer(target: &str, clients: Vec<(reqwest::Client, String)>, seconds: u64) -> Load {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let t0 = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(c, url)| {
            tokio::spawn(async move {
                let (mut lat, mut errs) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match c.get(&url).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            lat.push(t.elapsed());
                        }
                        _ => errs += 1,
                    }
                }
                (lat, errs)
            })
        })
        .collect();
    let (mut lat, mut errors) = (Vec::new(), 0);
    for (l, e) in futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .flatten()
    {
        lat.extend(l);
        errors += e;
    }

    let secs = t0.elapsed().as_secs_f64();
    Load {
        target: target.to_owned(),
        requests: lat.len(),
        errors,
        seconds: secs,
        rps: lat.len() as f64 / secs,
        latency: percentiles(lat),
    }
}

async fn sign_in(base: &str, login: &str) -> anyhow::Result<(reqwest::Client, String)> {
    let c = client()?;
    let page = c
        .get(format!("{base}/anmelden"))
        .send()
        .await?
        .text()
        .await?;
    let token = csrf(&page).context("csrf")?;
    let r = c
        .post(format!("{base}/anmelden"))
        .form(&[
            ("csrf", token.as_str()),
            ("next", "/"),
            ("login", login),
            ("password", BENCH_PASSWORD),
        ])
        .send()
        .await?;
    if r.status().as_u16() != 303 {
        bail!("login of {login}: HTTP {}", r.status());
    }
    let today = c.get(format!("{base}/")).send().await?.text().await?;
    let path = attr_after(&today, "href=\"/unterricht/").context("no lesson today")?;
    Ok((c, format!("{base}/unterricht/{path}")))
}

#[derive(Debug, Serialize)]
struct ThroughputReport {
    scenario: &'static str,
    date_utc: String,
    machine: Machine,
    connections: usize,
    app: Load,
    ceiling: Option<Load>,
    ratio: Option<f64>,
    bar_ratio_0_5: Option<bool>,
}

async fn throughput(a: ThroughputArgs) -> anyhow::Result<()> {
    let m = machine();
    let server = start_server(&a.server).await?;
    let base = base_url(&a.server, &server)?;
    // Sign in (sequentially: the hashing is not what this scenario measures).
    let mut clients = Vec::new();
    for t in 1..=a.connections {
        clients.push(sign_in(&base, &login_of(a.school, (t - 1) % 120 + 1)).await?);
    }
    let app = hammer("lesson page", clients, a.seconds).await;
    let mut ceiling_load = None;
    if let (Some(port), Some(db)) = (a.ceiling_port, a.server.db.as_deref()) {
        let exe = std::env::current_exe()?;
        let mut child = std::process::Command::new(exe)
            .args([
                "ceiling",
                "--db",
                db,
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(std::process::Stdio::null())
            .spawn()?;
        let cbase = format!("http://127.0.0.1:{port}");
        let mut up = false;
        for _ in 0..100 {
            if reqwest::get(format!("{cbase}/klasse/1")).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if up {
            let class_list = reqwest::get(format!("{cbase}/klassen"))
                .await?
                .text()
                .await?;
            let ids: Vec<&str> = class_list.split_whitespace().collect();
            let mut cl = Vec::new();
            for i in 0..a.connections {
                cl.push((
                    reqwest::Client::new(),
                    format!(
                        "{cbase}/klasse/{}",
                        ids.get(i % ids.len().max(1)).unwrap_or(&"1")
                    ),
                ));
            }
            ceiling_load = Some(hammer("stack ceiling", cl, a.seconds).await);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let ratio = ceiling_load.as_ref().map(|c| app.rps / c.rps.max(1e-9));
    let report = ThroughputReport {
        scenario: "lesson-page-throughput",
        date_utc: SystemClock.now().to_rfc3339(),
        machine: m,
        connections: a.connections,
        app,
        ceiling: ceiling_load,
        ratio,
        bar_ratio_0_5: ratio.map(|r| r >= 0.5),
    };
    println!(
        "lesson page: {:.0} req/s, p99 {:.1} ms, errors {}",
        report.app.rps, report.app.latency.p99_ms, report.app.errors
    );
    if let (Some(c), Some(r)) = (&report.ceiling, report.ratio) {
        println!(
            "stack ceiling: {:.0} req/s, p99 {:.1} ms · ratio {r:.2} ≥ 0.5: {}",
            c.rps,
            c.latency.p99_ms,
            verdict(r >= 0.5)
        );
    }
    if let Some(path) = &a.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        println!("JSON: {}", path.display());
    }
    drop(server);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Scenario 3: a year of data, 1× and 10×
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize, serde::Deserialize)]
struct YearReport {
    scenario: String,
    date_utc: String,
    backend: String,
    schools_in_database: i64,
    lessons_in_database: i64,
    statistics: Percentiles,
    lesson_page: Percentiles,
    /// Median of this run ÷ median of the baseline run (bar: ≤ 1.5 each).
    ratio_statistics: Option<f64>,
    ratio_lesson_page: Option<f64>,
    bar_ratio_1_5: Option<bool>,
}

/// Login, class and current TOTP code of teacher 001 of school `school` (class teacher of
/// the school's first class), read from the database with the key file.
fn class_teacher(
    db_url: &str,
    keys: &std::path::Path,
    school: usize,
) -> anyhow::Result<(String, i64, String, i64, i64)> {
    use klassenbuch::db::schema::{
        lessons as l, role_assignments as ra, schools as sc, users as u,
    };
    let keys = klassenbuch::crypto::Keyring::parse(&std::fs::read_to_string(keys)?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = Db::connect(db_url, 1, 30_000)?;
    let mut conn = db.get()?;
    let login = login_of(school, 1);
    let (user_id, school_id): (i64, i64) = u::table
        .filter(u::login.eq(&login))
        .select((u::id, u::school_id))
        .first(&mut *conn)
        .with_context(|| format!("no teacher {login} (seed first)"))?;
    let class_id: i64 = ra::table
        .filter(ra::user_id.eq(user_id))
        .filter(ra::role.eq(Role::Klassenlehrkraft.as_str()))
        .select(ra::class_id.assume_not_null())
        .first(&mut *conn)?;
    let sealed = klassenbuch::db::factors::totps_of(&mut conn, school_id, user_id)?
        .into_iter()
        .next()
        .context("no TOTP factor")?
        .secret_enc;
    let secret = klassenbuch::auth::totp::open(&keys, user_id, &sealed)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let code = klassenbuch::auth::totp::code_at(&secret, SystemClock.now())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let schools_n: i64 = sc::table.count().get_result(&mut *conn)?;
    let lessons_n: i64 = l::table.count().get_result(&mut *conn)?;
    Ok((login, class_id, code, schools_n, lessons_n))
}

/// Requests `url` `n` times one after the other (after 5 unmeasured ones); every answer
/// must be 200.
async fn timed_gets(c: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<Percentiles> {
    let mut times = Vec::with_capacity(n);
    for i in 0..n + 5 {
        let t0 = Instant::now();
        let r = c.get(url).send().await?;
        let status = r.status();
        let _ = r.bytes().await?;
        if !status.is_success() {
            bail!("{url}: HTTP {status}");
        }
        if i >= 5 {
            times.push(t0.elapsed());
        }
    }
    Ok(percentiles(times))
}

async fn year_of_data(a: YearArgs) -> anyhow::Result<()> {
    let db_url = a.server.db.clone().context("year-of-data needs --db")?;
    let (login, class_id, code, schools_n, lessons_n) =
        class_teacher(&db_url, &a.server.keys, a.school)?;
    let server = start_server(&a.server).await?;
    let base = base_url(&a.server, &server)?;
    let (c, lesson) = sign_in(&base, &login).await?;
    let stats = format!("/klassen/{class_id}/statistik");
    let form = c
        .get(format!(
            "{base}/step-up?next={}",
            urlencoding::encode(&stats)
        ))
        .send()
        .await?
        .text()
        .await?;
    let token = csrf(&form).context("csrf of the step-up form")?;
    let r = c
        .post(format!("{base}/step-up"))
        .form(&[
            ("csrf", token.as_str()),
            ("next", stats.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await?;
    if r.status().as_u16() != 303 {
        bail!("step-up of {login}: HTTP {}", r.status());
    }
    let statistics = timed_gets(&c, &format!("{base}{stats}"), a.requests).await?;
    let lesson_page = timed_gets(&c, &lesson, a.requests).await?;
    let baseline: Option<YearReport> = match &a.baseline {
        Some(p) => Some(serde_json::from_str(&std::fs::read_to_string(p)?)?),
        None => None,
    };
    let ratio = |now: &Percentiles, then: &Percentiles| now.p50_ms / then.p50_ms.max(1e-9);
    let ratio_statistics = baseline.as_ref().map(|b| ratio(&statistics, &b.statistics));
    let ratio_lesson_page = baseline
        .as_ref()
        .map(|b| ratio(&lesson_page, &b.lesson_page));
    let report = YearReport {
        scenario: "year-of-data".into(),
        date_utc: SystemClock.now().to_rfc3339(),
        backend: if db_url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        }
        .into(),
        schools_in_database: schools_n,
        lessons_in_database: lessons_n,
        ratio_statistics,
        ratio_lesson_page,
        bar_ratio_1_5: ratio_statistics
            .zip(ratio_lesson_page)
            .map(|(s, l)| s <= 1.5 && l <= 1.5),
        statistics,
        lesson_page,
    };
    println!(
        "{} school(s), {} lessons in the database",
        report.schools_in_database, report.lessons_in_database
    );
    for (what, p, r) in [
        (
            "class statistics",
            &report.statistics,
            report.ratio_statistics,
        ),
        ("lesson page", &report.lesson_page, report.ratio_lesson_page),
    ] {
        print!(
            "{what}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            p.p50_ms, p.p95_ms, p.max_ms
        );
        match r {
            Some(r) => println!(" · {r:.2} × the baseline, ≤ 1.5: {}", verdict(r <= 1.5)),
            None => println!(),
        }
    }
    if let Some(path) = &a.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        println!("JSON: {}", path.display());
    }
    drop(server);
    Ok(())
}

/// The stack ceiling: same crates, same roster query, same table, nothing else.
fn ceiling(db_url: &str, bind: &str) -> anyhow::Result<()> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let db = Db::connect(db_url, 8, 5000)?;
    let today = klassenbuch::clock::school_today(SystemClock.now());
    let sys = actix_web::rt::System::new();
    sys.block_on(async move {
        let data = web::Data::new(db);
        HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/klassen",
                    web::get().to(|db: web::Data<Db>| async move {
                        let ids = db
                            .run(|c| {
                                klassenbuch::db::schema::classes::table
                                    .select(klassenbuch::db::schema::classes::id)
                                    .limit(64)
                                    .load::<i64>(c)
                            })
                            .await
                            .unwrap_or_default();
                        let s: Vec<String> = ids.iter().map(i64::to_string).collect();
                        HttpResponse::Ok().body(s.join(" "))
                    }),
                )
                .route(
                    "/klasse/{id}",
                    web::get().to(move |db: web::Data<Db>, id: web::Path<i64>| async move {
                        let id = id.into_inner();
                        let roster = db
                            .run(move |c| {
                                let school: i64 = klassenbuch::db::schema::classes::table
                                    .find(id)
                                    .select(klassenbuch::db::schema::classes::school_id)
                                    .first(c)?;
                                register::roster(c, school, id, None, today)
                            })
                            .await;
                        match roster {
                            Ok(r) => HttpResponse::Ok()
                                .content_type("text/html; charset=utf-8")
                                .body(ceiling_page(&r).into_string()),
                            Err(_) => HttpResponse::NotFound().finish(),
                        }
                    }),
                )
        })
        .workers(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
        .bind(bind)?
        .run()
        .await
    })?;
    Ok(())
}

fn ceiling_page(roster: &[register::RosterPupil]) -> maud::Markup {
    use klassenbuch::register::save::Status;
    maud::html! {
        (maud::DOCTYPE)
        html lang="de" { head { meta charset="utf-8"; title { "Stunde" } }
        body { main { form method="post" {
            table.roster {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Anwesenheit" } th scope="col" { "Min." } } }
                tbody {
                    @for p in roster {
                        @let name = format!("{}, {}", p.surname, p.first_name);
                        @let pid = format!("p{}", p.id);
                        tr {
                            th scope="row" { (name) }
                            td { fieldset.st {
                                legend.sr { "Anwesenheit " (name) }
                                @for s in [Status::Present, Status::Absent, Status::Late, Status::LeftEarly] {
                                    label { input type="radio" name=(pid) value=(s.code()) checked[s == Status::Present]; (s.label()) }
                                }
                            } }
                            td { input.min name={ "m" (p.id) } inputmode="numeric" size="3" maxlength="3" aria-label={ "Minuten " (name) }; }
                        }
                    }
                }
            }
            textarea name="topic" {} textarea name="homework" {}
            button type="submit" { "Speichern" }
        } } } }
    }
}
