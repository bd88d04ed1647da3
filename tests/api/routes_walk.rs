//! The route table walked as everybody: every entry of `ROUTES`, as an anonymous visitor and
//! as every role without and with a second factor, with real ids in the paths. The expected
//! answer follows from the route's `Access` (one function); the few routes whose answer
//! depends on the data asked for are listed in a small table with the reason.

use crate::helpers::register::school_day_at;
use crate::helpers::{TestApp, TestClient, TestUser, csrf_of, location, plain_client, spawn_app};
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::crypto::{random_token, sha256_hex};
use klassenbuch::db::schema::role_assignments;
use klassenbuch::db::{DbConnection, calendar, pupils, users};
use klassenbuch::sealed;
use klassenbuch::web::routes::{Access, ROUTES, RouteSpec};
use reqwest::header::{CONTENT_TYPE, COOKIE};
use std::fmt::Write as _;

const SESSION_COOKIE: &str = crate::helpers::SESSION_COOKIE;

/// Who sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    User { role: Role, elevated: bool },
}

impl Who {
    fn label(self) -> String {
        match self {
            Who::Anonymous => "anonym".into(),
            Who::User { role, elevated } => {
                let short = match role {
                    Role::Schulleitung => "SL",
                    Role::Verwaltung => "VW",
                    Role::Klassenlehrkraft => "KL",
                    Role::Lehrkraft => "LK",
                    Role::Sekretariat => "SK",
                    Role::Schulsozialarbeit => "SSA",
                };
                format!("{short}{}", if elevated { "+" } else { "" })
            }
        }
    }

    fn role(self) -> Option<Role> {
        match self {
            Who::Anonymous => None,
            Who::User { role, .. } => Some(role),
        }
    }

    fn elevated(self) -> bool {
        matches!(self, Who::User { elevated: true, .. })
    }
}

/// Every requester of the walk: anonymous, then each role without and with elevation.
fn everybody() -> Vec<Who> {
    let mut all = vec![Who::Anonymous];
    for role in Role::ALL {
        for elevated in [false, true] {
            all.push(Who::User { role, elevated });
        }
    }
    all
}

/// The class of answer a route should give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 200 (a GET the requester may see).
    Page,
    /// A POST the route handled: 2xx, a redirect that is neither to sign-in nor to step-up,
    /// or a 4xx of validation (never 403, 404 or 5xx).
    Handled,
    /// 303 to `/anmelden?next=…`.
    SignIn,
    /// 303 to `/step-up?next=…`.
    StepUp,
    /// A POST of a role holder without elevation: 303 to step-up, or 400 / 422 when the
    /// empty form is refused before the elevation is checked (nothing is read or written
    /// either way; a complete form is sent to step-up).
    StepUpOrInvalid,
    /// 403 or 404.
    Denied,
    /// A public route: anything but a redirect to sign-in, the generic 404 or a 5xx.
    Public,
    /// A step of a half-done sign-in or setup: without a session of that stage it starts
    /// over at sign-in; with one it handles the request. Never 404 or 5xx.
    Stage,
    /// Exactly this status (e.g. 403 for a read-only lesson's POST).
    Status(u16),
}

/// What came back.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    location: String,
}

impl Answer {
    fn short(&self) -> String {
        match self.status {
            303 if self.location.starts_with("/anmelden?next=") => "303a".into(),
            303 if self.location.starts_with("/step-up?next=") => "303s".into(),
            s => s.to_string(),
        }
    }

    fn to_sign_in(&self) -> bool {
        self.status == 303 && self.location.starts_with("/anmelden?next=")
    }

    fn to_step_up(&self) -> bool {
        self.status == 303 && self.location.starts_with("/step-up?next=")
    }

    fn meets(&self, want: Expect) -> bool {
        let s = self.status;
        match want {
            Expect::Page => s == 200,
            Expect::Handled => {
                (200..300).contains(&s)
                    || (s == 303 && !self.to_sign_in() && !self.to_step_up())
                    || ((400..500).contains(&s) && s != 403 && s != 404)
            }
            Expect::SignIn => self.to_sign_in(),
            Expect::StepUp => self.to_step_up(),
            Expect::StepUpOrInvalid => self.to_step_up() || s == 400 || s == 422,
            Expect::Denied => s == 403 || s == 404,
            Expect::Public => !self.to_sign_in() && s != 404 && s < 500,
            Expect::Stage => s != 404 && s < 500,
            Expect::Status(want) => s == want,
        }
    }
}

/// The roles a route's description admits ("Klassenlehrkraft, Sekretariat oder
/// Schulleitung"). "Lehrkraft" includes class teachers, who teach too (the `Teacher` rule);
/// "angemeldet" is everybody signed in.
fn holders(description: &str) -> Vec<Role> {
    description
        .split(", ")
        .flat_map(|part| part.split(" oder "))
        .flat_map(|label| match label.trim().trim_end_matches(" der Klasse") {
            "angemeldet" => Role::ALL.to_vec(),
            "Lehrkraft" => vec![Role::Lehrkraft, Role::Klassenlehrkraft],
            other => vec![
                Role::ALL
                    .into_iter()
                    .find(|r| r.label() == other)
                    .unwrap_or_else(|| panic!("unknown role »{other}« in ROUTES")),
            ],
        })
        .collect()
}

/// The expectation that follows from the route's `Access` alone.
fn by_access(route: &RouteSpec, who: Who) -> Expect {
    let served = if route.method == "GET" {
        Expect::Page
    } else {
        Expect::Handled
    };
    let (roles, needs_elevation) = match route.access {
        Access::Public => return Expect::Public,
        Access::SignedIn => (Role::ALL.to_vec(), false),
        Access::Role(d) => (holders(d), false),
        Access::Elevated(d) => (holders(d), true),
    };
    let Some(role) = who.role() else {
        return Expect::SignIn;
    };
    if !roles.contains(&role) {
        Expect::Denied
    } else if needs_elevation && !who.elevated() {
        if route.method == "GET" {
            Expect::StepUp
        } else {
            Expect::StepUpOrInvalid
        }
    } else {
        served
    }
}

/// Routes whose answer legitimately depends on more than the route's `Access`.
/// Returns `None` where [`by_access`] applies.
fn exception(route: &RouteSpec, who: Who) -> Option<Expect> {
    let (role, elevated) = match who {
        Who::Anonymous => (None, false),
        Who::User { role, elevated } => (Some(role), elevated),
    };
    let read_after_step_up = if elevated {
        Expect::Page
    } else {
        Expect::StepUp
    };
    match (route.method, route.path) {
        // Steps of a sign-in or setup in progress: without a session of that stage they
        // start over at sign-in, whoever asks.
        (
            _,
            "/einrichtung"
            | "/einrichtung/fertig"
            | "/einrichtung/passwort"
            | "/einrichtung/totp"
            | "/einrichtung/codes"
            | "/einrichtung/bestaetigen"
            | "/anmelden/faktor",
        ) => Some(Expect::Stage),
        // Signing out ends at the sign-in form (without `next`), as it should.
        ("POST", "/abmelden") => Some(Expect::Status(303)),
        // The lesson page admits by the lesson, not by the role: the Lehrkraft gives
        // today's lesson and documents it with the first factor (class A); the class
        // teacher of the class and the headteacher may read it after step-up, not write
        // it; everybody else gets 404 so that guessed ids reveal nothing.
        ("GET", "/unterricht/{slot}/{date}") => match role {
            Some(Role::Lehrkraft) => Some(Expect::Page),
            Some(Role::Klassenlehrkraft | Role::Schulleitung) => Some(read_after_step_up),
            Some(_) => Some(Expect::Denied),
            None => None,
        },
        ("POST", "/unterricht/{slot}/{date}" | "/unterricht/{slot}/{date}/eintrag") => match role {
            Some(Role::Lehrkraft) => Some(Expect::Handled),
            Some(Role::Klassenlehrkraft | Role::Schulleitung) if elevated => {
                Some(Expect::Status(403))
            }
            Some(Role::Klassenlehrkraft | Role::Schulleitung) => Some(Expect::StepUp),
            Some(_) => Some(Expect::Denied),
            None => None,
        },
        // The notebook is its owner's alone: the entry is the Lehrkraft's, so another
        // teacher gets 404 for it.
        ("POST", "/notizbuch/{entry_id}/loeschen")
            if role == Some(Role::Klassenlehrkraft) && elevated =>
        {
            Some(Expect::Denied)
        }
        _ => None,
    }
}

fn expected(route: &RouteSpec, who: Who) -> Expect {
    exception(route, who).unwrap_or_else(|| by_access(route, who))
}

/// The school every requester belongs to, with the ids that fill the paths.
struct World {
    app: TestApp,
    school_id: i64,
    users: Vec<(Role, TestUser)>,
    slot: i64,
    today: NaiveDate,
    class_id: i64,
    case_id: i64,
    /// A pupil of 7a, assigned to the social worker.
    pupil: i64,
    /// An entry of the Lehrkraft's notebook (about `pupil`).
    entry_id: i64,
    /// A colleague whom the administration may deactivate or reset.
    victim: i64,
    /// A new colleague with a setup link still to redeem.
    newcomer: i64,
}

impl World {
    async fn new() -> World {
        let app = spawn_app().await;
        app.clock.set(school_day_at(9, 30));
        let school_id = app.create_school("Gymnasium an der Förde");
        let reg = app.seed_register(school_id);
        let today = app.school_today();
        let class = reg.class(&app, "7a", &["Albers", "Brandt", "Christiansen"]);
        let users: Vec<(Role, TestUser)> = Role::ALL
            .into_iter()
            .map(|role| (role, app.create_user_in(school_id, role)))
            .collect();
        let user_of = |role: Role| &users.iter().find(|(r, _)| *r == role).unwrap().1;
        let (class_teacher, teacher) = (
            user_of(Role::Klassenlehrkraft).clone(),
            user_of(Role::Lehrkraft).clone(),
        );
        let victim = app.create_user_in(school_id, Role::Lehrkraft).user_id;
        let now = app.now_naive();
        let (case_id, newcomer) = {
            let mut conn = app.conn();
            let c: &mut DbConnection = &mut conn;
            // The class teacher's role is scoped to 7a.
            diesel::update(
                role_assignments::table
                    .filter(role_assignments::user_id.eq(class_teacher.user_id))
                    .filter(role_assignments::role.eq(Role::Klassenlehrkraft.as_str())),
            )
            .set(role_assignments::class_id.eq(class.class_id))
            .execute(c)
            .unwrap();
            let year_start = reg.since;
            calendar::create_school_year(
                c,
                school_id,
                "2026/27",
                year_start,
                today + Duration::days(140),
                &[
                    ("1. Halbjahr", year_start, today - Duration::days(40)),
                    (
                        "2. Halbjahr",
                        today - Duration::days(39),
                        today + Duration::days(140),
                    ),
                ],
            )
            .unwrap();
            let case_id = calendar::create_absence_case(
                c,
                &calendar::NewAbsenceCase {
                    school_id,
                    pupil_id: class.pupils[0],
                    from_date: today,
                    to_date: today,
                    from_period: None,
                    to_period: None,
                    reason: "krank",
                    note_enc: None,
                    excuse: "offen",
                    excuse_received_on: None,
                    created_by: class_teacher.user_id,
                    now,
                },
            )
            .unwrap();
            klassenbuch::db::socialwork::insert(
                c,
                &klassenbuch::db::socialwork::NewAssignment {
                    school_id,
                    user_id: user_of(Role::Schulsozialarbeit).user_id,
                    pupil_id: class.pupils[0],
                    valid_from: year_start,
                    valid_to: None,
                    created_by: class_teacher.user_id,
                    created_at: now,
                },
            )
            .unwrap();
            let newcomer = users::create(c, school_id, "neu.kollegin", "Nina Neu", now)
                .unwrap()
                .id;
            users::assign_role(c, school_id, newcomer, Role::Lehrkraft, None).unwrap();
            // The pupil has a photo (class B).
            let photo_column = sealed::column("pupil_photos", "data_enc").unwrap();
            let photo = app
                .state
                .keys
                .encrypt(
                    &photo_column.purpose(class.pupils[0]),
                    b"\x89PNG\r\n\x1a\nwalk",
                )
                .unwrap();
            pupils::save_photo(c, school_id, class.pupils[0], &photo, now).unwrap();
            (case_id, newcomer)
        };
        // The Lehrkraft's lesson in 7a today, already documented (so it has a history).
        let slot = reg.slot(&app, class.class_id, reg.maths, teacher.user_id, today, 3);
        let b = app.browser_for(&teacher).await;
        let path = format!("/unterricht/{slot}/{today}");
        let csrf = b.csrf_from(&path).await;
        let saved = b
            .post_form(&path, &[("csrf", &csrf), ("topic", "Bruchrechnung")])
            .await;
        assert_eq!(saved.status().as_u16(), 303, "documenting the lesson");
        let entry_id = pupils::add_notebook_entry(
            &mut app.conn(),
            &pupils::NewNotebookEntry {
                school_id,
                owner_id: teacher.user_id,
                pupil_id: class.pupils[0],
                class_id: class.class_id,
                subject_id: Some(reg.maths),
                date: today,
                kind: "beitrag",
                text_enc: sealed::column("notebook_entries", "text_enc")
                    .unwrap()
                    .seal(&app.state.keys, teacher.user_id, "Gute Mitarbeit")
                    .unwrap(),
                now,
            },
        )
        .unwrap();
        World {
            app,
            school_id,
            users,
            slot,
            today,
            class_id: class.class_id,
            case_id,
            pupil: class.pupils[0],
            entry_id,
            victim,
            newcomer,
        }
    }

    fn user(&self, role: Role) -> &TestUser {
        &self.users.iter().find(|(r, _)| *r == role).unwrap().1
    }

    /// A new, unused setup link of the newcomer.
    fn setup_token(&self) -> String {
        let token = random_token::<32>();
        let now = self.app.now_naive();
        users::create_setup_token(
            &mut self.app.conn(),
            self.school_id,
            self.newcomer,
            &sha256_hex(token.as_bytes()),
            now,
            now + Duration::hours(48),
        )
        .unwrap();
        token
    }

    /// `route.path` with a real id for every `{…}`.
    fn path(&self, route: &RouteSpec) -> String {
        let mut out = String::new();
        let mut rest = route.path;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').unwrap() + open;
            out.push_str(&rest[..open]);
            let value = match &rest[open + 1..close] {
                "slot" => self.slot.to_string(),
                "date" => self.today.to_string(),
                "class_id" => self.class_id.to_string(),
                "case_id" => self.case_id.to_string(),
                "pupil_id" => self.pupil.to_string(),
                "entry_id" => self.entry_id.to_string(),
                "id" => self.victim.to_string(),
                "token" => self.setup_token(),
                other => panic!(
                    "{} {}: no real value for the path parameter {{{other}}}; add one to \
                     routes_walk::World::path",
                    route.method, route.path
                ),
            };
            out.push_str(&value);
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// A session to send requests with: its cookie value and CSRF token.
struct Credentials {
    cookie: Option<String>,
    csrf: String,
}

/// Signs `who` in (and elevates) in a new browser and returns its session.
async fn credentials(world: &World, who: Who) -> Credentials {
    let b: TestClient = world.app.new_browser();
    match who {
        Who::Anonymous => {
            // The sign-in form gives an anonymous session with a CSRF token.
            let csrf = b.csrf_from("/anmelden").await;
            Credentials {
                cookie: b.session_cookie(),
                csrf,
            }
        }
        Who::User { role, elevated } => {
            let user = world.user(role);
            b.sign_in_as(user).await;
            if elevated {
                world.app.elevate(&b, user).await;
            }
            let csrf = csrf_of(&b.get("/konto").await.text().await.unwrap());
            Credentials {
                cookie: b.session_cookie(),
                csrf,
            }
        }
    }
}

/// True while the session still is what `who` needs (signed in, and elevated if asked).
async fn still_valid(world: &World, who: Who, creds: &Credentials) -> bool {
    let probe = if who.elevated() {
        "/konto/faktoren"
    } else {
        "/konto"
    };
    send(world, "GET", probe, creds.cookie.as_deref(), "")
        .await
        .status
        == 200
}

/// One request without a cookie jar: GET, or POST of a form holding only the CSRF token.
async fn send(world: &World, method: &str, path: &str, cookie: Option<&str>, csrf: &str) -> Answer {
    let url = format!("{}{path}", world.app.address);
    let client = plain_client();
    let mut req = match method {
        "GET" => client.get(url),
        "POST" => client
            .post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("csrf={}", urlencoding::encode(csrf))),
        other => panic!("method {other} is not walked"),
    };
    if let Some(value) = cookie {
        req = req.header(COOKIE, format!("{SESSION_COOKIE}={value}"));
    }
    let resp = req.send().await.unwrap();
    Answer {
        status: resp.status().as_u16(),
        location: location(&resp),
    }
}

/// One cell of the result table.
struct Cell {
    route: usize,
    who: Who,
    want: Expect,
    got: Answer,
}

/// Walks `routes` as each of `requesters`; returns every answer and notes on sessions that
/// had to be renewed.
async fn walk(world: &World, routes: &[RouteSpec], requesters: &[Who]) -> (Vec<Cell>, Vec<String>) {
    let mut cells = Vec::new();
    let mut notes = Vec::new();
    for &who in requesters {
        let mut creds = credentials(world, who).await;
        for (i, route) in routes.iter().enumerate() {
            let path = world.path(route);
            let got = match (who, route.method) {
                // An anonymous GET comes from a browser that has never been here.
                (Who::Anonymous, "GET") => send(world, "GET", &path, None, "").await,
                // An anonymous POST carries the token of a fresh anonymous session.
                (Who::Anonymous, method) => {
                    let fresh = credentials(world, who).await;
                    send(world, method, &path, fresh.cookie.as_deref(), &fresh.csrf).await
                }
                (_, method) => {
                    send(world, method, &path, creds.cookie.as_deref(), &creds.csrf).await
                }
            };
            cells.push(Cell {
                route: i,
                who,
                want: expected(route, who),
                got,
            });
            // Some routes end or replace the session (sign-out, a redeemed setup link);
            // the walk goes on with a new one.
            if who != Who::Anonymous && !still_valid(world, who, &creds).await {
                notes.push(format!(
                    "{} {} as {}: session ended, signed in again",
                    route.method,
                    route.path,
                    who.label()
                ));
                creds = credentials(world, who).await;
            }
        }
    }
    (cells, notes)
}

/// The compact table of all answers, with `✗` after each one that missed its expectation.
fn table(cells: &[Cell], routes: &[RouteSpec], requesters: &[Who]) -> String {
    let mut out = format!("{:<48}", "route");
    for who in requesters {
        let _ = write!(out, " {:>6}", who.label());
    }
    out.push('\n');
    for (i, route) in routes.iter().enumerate() {
        let _ = write!(out, "{:<48}", format!("{} {}", route.method, route.path));
        for who in requesters {
            let cell = cells
                .iter()
                .find(|c| c.route == i && c.who == *who)
                .unwrap();
            let mark = if cell.got.meets(cell.want) {
                " "
            } else {
                "✗"
            };
            let _ = write!(out, " {:>5}{mark}", cell.got.short());
        }
        out.push('\n');
    }
    out
}

/// The answers that missed their expectation, one line each.
fn misses(cells: &[Cell], routes: &[RouteSpec]) -> Vec<String> {
    cells
        .iter()
        .filter(|c| !c.got.meets(c.want))
        .map(|c| {
            let route = &routes[c.route];
            format!(
                "{} {} as {}: expected {:?}, got {} {}",
                route.method,
                route.path,
                c.who.label(),
                c.want,
                c.got.status,
                c.got.location
            )
        })
        .collect()
}

#[tokio::test]
async fn every_route_answers_everybody_as_the_route_table_says() {
    // Arrange
    let world = World::new().await;
    let requesters = everybody();

    // Act
    let (cells, notes) = walk(&world, ROUTES, &requesters).await;

    // Assert
    let misses = misses(&cells, ROUTES);
    assert!(
        misses.is_empty(),
        "{} of {} answers off:\n{}\n\n{}\n(303a = to sign-in, 303s = to step-up, \
         ✗ = unexpected)\n{}",
        misses.len(),
        cells.len(),
        misses.join("\n"),
        table(&cells, ROUTES, &requesters),
        notes.join("\n"),
    );
}

#[tokio::test]
async fn a_route_in_the_table_that_the_app_does_not_serve_fails_the_walk() {
    // Arrange: a table with one route the app does not know.
    let world = World::new().await;
    let unserved = [
        RouteSpec {
            method: "GET",
            path: "/verwaltung/gibt-es-nicht",
            access: Access::Elevated("Schulleitung"),
        },
        RouteSpec {
            method: "POST",
            path: "/verwaltung/gibt-es-nicht/{id}",
            access: Access::Role("Schulleitung"),
        },
        RouteSpec {
            method: "GET",
            path: "/gibt-es-nicht",
            access: Access::Public,
        },
    ];
    let requesters = [
        Who::Anonymous,
        Who::User {
            role: Role::Schulleitung,
            elevated: true,
        },
    ];

    // Act
    let (cells, _) = walk(&world, &unserved, &requesters).await;

    // Assert: the generic 404 misses every expectation, for the anonymous visitor (no
    // sign-in redirect) as for the role holder (no page), and on the public route.
    let misses = misses(&cells, &unserved);
    assert_eq!(
        misses.len(),
        cells.len(),
        "{misses:#?}\n{}",
        table(&cells, &unserved, &requesters)
    );
    assert!(cells.iter().all(|c| c.got.status == 404));
}
