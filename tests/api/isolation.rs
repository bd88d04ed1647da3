//! Tenant isolation (product § 4.8, style "the school is in the session"): two demo schools,
//! A and B, each with classes, pupils, timetable, lessons, an absence case, social work and
//! a user of every role. Every route of `ROUTES` with path parameters is requested by every
//! role of school A (elevated) with school B's ids — GET, and POST with a valid CSRF token
//! and a plausible form: the answer is 404 (403 for a role refusal), nothing of B is in the
//! body, and nothing of B's rows changes. A path parameter the test cannot fill fails it, so
//! a new route cannot escape. Routes without parameters never show B's data to A, ids of B
//! in forms and query strings change and show nothing, and A's administration cannot
//! administer B's accounts.

use crate::helpers::register::school_day_at;
use crate::helpers::{TestApp, TestClient, TestUser, csrf_of, spawn_app};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Text;
use klassenbuch::auth::roles::Role;
use klassenbuch::db::schema::{
    absence_cases, audit_log, classes, lessons, notebook_entries, pupils, role_assignments,
    social_work_assignments, terms, users,
};
use klassenbuch::db::{DbConnection, DbKind, absences, factors, socialwork};
use klassenbuch::web::routes::{Access, ROUTES, RouteSpec};
use std::collections::BTreeMap;

/// Every name of school B carries this word (the demo gives both schools the same pools of
/// pupil and teacher names, so the test makes B's recognisable).
const MARK: &str = "holstentor";

/// One school of the demo with the ids that fill paths and forms.
struct Side {
    school_id: i64,
    users: Vec<(Role, TestUser)>,
    class_id: i64,
    /// A pupil of `class_id`, assigned to the school's social worker.
    pupil_id: i64,
    case_id: i64,
    /// A slot with a documented lesson on `date`.
    slot: i64,
    date: NaiveDate,
    /// The Lehrkraft (a colleague to deactivate or reset).
    colleague: i64,
    /// A class teacher assignment (role assignment id).
    class_teacher_assignment: i64,
    /// A social work assignment.
    social_work_assignment: i64,
    term_id: i64,
    /// An entry of a teacher's notebook.
    entry_id: i64,
}

impl Side {
    fn user(&self, role: Role) -> &TestUser {
        &self.users.iter().find(|(r, _)| *r == role).unwrap().1
    }

    /// The value of school B for the path parameter `name` of `route`.
    fn value(&self, route: &RouteSpec, name: &str) -> String {
        match name {
            "slot" => self.slot.to_string(),
            "date" => self.date.to_string(),
            "class_id" => self.class_id.to_string(),
            "case_id" => self.case_id.to_string(),
            "pupil_id" => self.pupil_id.to_string(),
            "entry_id" => self.entry_id.to_string(),
            "id" => self.colleague.to_string(),
            // A setup link is a bearer credential of its own, not an id of a school: the
            // test sends one that was never issued.
            "token" => klassenbuch::crypto::random_token::<32>(),
            other => panic!(
                "{} {}: the isolation test has no id of school B for the path parameter \
                 {{{other}}}; add one to isolation::Side::value",
                route.method, route.path
            ),
        }
    }

    /// `route.path` with school B's ids.
    fn path(&self, route: &RouteSpec) -> String {
        let mut out = String::new();
        let mut rest = route.path;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').unwrap() + open;
            out.push_str(&rest[..open]);
            out.push_str(&self.value(route, &rest[open + 1..close]));
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A form every POST route accepts the shape of, with school B's ids (handlers read only
    /// the fields they allow).
    fn form(&self, csrf: &str) -> Vec<(String, String)> {
        let (pupil, date) = (self.pupil_id.to_string(), self.date.to_string());
        vec![
            ("csrf".into(), csrf.into()),
            ("pupil".into(), pupil.clone()),
            ("from".into(), date.clone()),
            ("to".into(), date.clone()),
            ("reason".into(), "krank".into()),
            ("note".into(), "Isolationstest".into()),
            ("excuse".into(), "entschuldigt".into()),
            ("received".into(), date.clone()),
            ("topic".into(), "Isolationstest".into()),
            ("homework".into(), "Isolationstest".into()),
            (format!("p{pupil}"), "f".into()),
            ("eintrag".into(), pupil),
            ("ende".into(), date),
        ]
    }
}

/// The demo's two schools in one app, with browsers of school A.
struct World {
    app: TestApp,
    a: Side,
    b: Side,
}

fn conn(app: &TestApp) -> klassenbuch::db::PooledConn {
    app.conn()
}

fn side(app: &TestApp, accounts: &[klassenbuch::demo::DemoAccount], school: &str) -> Side {
    let today = app.school_today();
    let mut pooled = conn(app);
    let c: &mut DbConnection = &mut pooled;
    let users: Vec<(Role, TestUser)> = accounts
        .iter()
        .filter(|a| a.school == school)
        .map(|a| {
            let role = Role::ALL.into_iter().find(|r| r.label() == a.role).unwrap();
            let u = klassenbuch::db::users::find_by_login(c, &a.login)
                .unwrap()
                .unwrap();
            let secret = a.totp_seed.as_ref().unwrap();
            let user = TestUser {
                login: a.login.clone(),
                password: a.password.clone(),
                display_name: u.display_name,
                totp_secret: data_encoding::BASE32_NOPAD
                    .decode(secret.as_bytes())
                    .unwrap(),
                user_id: u.id,
                school_id: u.school_id,
            };
            (role, user)
        })
        .collect();
    assert_eq!(
        users.len(),
        Role::ALL.len(),
        "{school}: one account per role"
    );
    let school_id = users[0].1.school_id;
    let of = |role: Role| users.iter().find(|(r, _)| *r == role).unwrap().1.user_id;
    let class_id =
        absences::classes_of_class_teacher(c, school_id, of(Role::Klassenlehrkraft), today)
            .unwrap()[0]
            .id;
    let pupil_id = socialwork::assigned_on(c, school_id, of(Role::Schulsozialarbeit), today)
        .unwrap()[0]
        .pupil_id;
    let (slot, date): (i64, NaiveDate) = lessons::table
        .filter(lessons::school_id.eq(school_id))
        .filter(lessons::class_id.eq(class_id))
        .order(lessons::id)
        .select((lessons::slot_id, lessons::date))
        .first(c)
        .unwrap();
    let first = |q: Option<i64>| q.unwrap_or_else(|| panic!("{school}: demo data missing"));
    Side {
        case_id: first(
            absence_cases::table
                .filter(absence_cases::school_id.eq(school_id))
                .select(absence_cases::id)
                .first(c)
                .optional()
                .unwrap(),
        ),
        class_teacher_assignment: first(
            role_assignments::table
                .filter(role_assignments::school_id.eq(school_id))
                .filter(role_assignments::role.eq("klassenlehrkraft"))
                .select(role_assignments::id)
                .first(c)
                .optional()
                .unwrap(),
        ),
        social_work_assignment: first(
            social_work_assignments::table
                .filter(social_work_assignments::school_id.eq(school_id))
                .select(social_work_assignments::id)
                .first(c)
                .optional()
                .unwrap(),
        ),
        term_id: first(
            terms::table
                .filter(terms::school_id.eq(school_id))
                .select(terms::id)
                .first(c)
                .optional()
                .unwrap(),
        ),
        entry_id: notebook_entry(app, c, school_id, of(Role::Lehrkraft), pupil_id, class_id),
        colleague: of(Role::Lehrkraft),
        school_id,
        users,
        class_id,
        pupil_id,
        slot,
        date,
    }
}

/// A notebook entry of the school (one of `owner` about `pupil` if the demo has none).
fn notebook_entry(
    app: &TestApp,
    c: &mut DbConnection,
    school_id: i64,
    owner: i64,
    pupil: i64,
    class_id: i64,
) -> i64 {
    let existing = notebook_entries::table
        .filter(notebook_entries::school_id.eq(school_id))
        .select(notebook_entries::id)
        .first(c)
        .optional()
        .unwrap();
    existing.unwrap_or_else(|| {
        let text = klassenbuch::sealed::column("notebook_entries", "text_enc")
            .unwrap()
            .seal(&app.state.keys, owner, "Gute Mitarbeit")
            .unwrap();
        diesel::insert_into(notebook_entries::table)
            .values((
                notebook_entries::school_id.eq(school_id),
                notebook_entries::owner_id.eq(owner),
                notebook_entries::pupil_id.eq(pupil),
                notebook_entries::class_id.eq(class_id),
                notebook_entries::date.eq(app.school_today()),
                notebook_entries::kind.eq("beitrag"),
                notebook_entries::text_enc.eq(text),
                notebook_entries::created_at.eq(app.now_naive()),
            ))
            .returning(notebook_entries::id)
            .get_result(c)
            .unwrap()
    })
}

impl World {
    async fn new() -> World {
        let app = spawn_app().await;
        app.clock.set(school_day_at(9, 30));
        let accounts = klassenbuch::demo::seed(&app.state.db, app.clock.as_ref(), &app.state.keys)
            .expect("demo seed");
        let a = side(&app, &accounts, "Gymnasium an der Förde");
        let b = side(&app, &accounts, "Gemeinschaftsschule am Holstentor");
        assert_ne!(a.school_id, b.school_id);
        // Make every name of B recognisable.
        let mut pooled = conn(&app);
        let c: &mut DbConnection = &mut pooled;
        diesel::update(pupils::table.filter(pupils::school_id.eq(b.school_id)))
            .set(pupils::surname.eq(pupils::surname.concat("-Holstentor")))
            .execute(c)
            .unwrap();
        diesel::update(classes::table.filter(classes::school_id.eq(b.school_id)))
            .set(classes::name.eq(classes::name.concat("-Holstentor")))
            .execute(c)
            .unwrap();
        diesel::update(users::table.filter(users::school_id.eq(b.school_id)))
            .set(users::display_name.eq(users::display_name.concat(" (Holstentor)")))
            .execute(c)
            .unwrap();
        drop(pooled);
        World { app, a, b }
    }

    /// A browser of A's `role`, signed in and elevated.
    async fn browser(&self, role: Role) -> TestClient {
        self.app.elevated_browser_for(self.a.user(role)).await
    }

    /// Denial records of `actor` so far.
    fn denials_of(&self, actor: i64) -> i64 {
        audit_log::table
            .filter(audit_log::action.eq("zugriff_verweigert"))
            .filter(audit_log::actor_user_id.eq(actor))
            .count()
            .get_result(&mut *conn(&self.app))
            .unwrap()
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Every row of school B in every table, as text: tables with `school_id` by that column,
/// `schools` by id, tables with only a `user_id` by B's users. Tables with neither (the
/// throttles, the migrations) are not B's.
fn rows_of(app: &TestApp, school_id: i64) -> BTreeMap<String, Vec<String>> {
    let mut pooled = conn(app);
    let c: &mut DbConnection = &mut pooled;
    let kind = app.state.db.kind();
    let tables_sql = match kind {
        DbKind::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' \
                           AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_\\_diesel%' ESCAPE '\\' \
                           ORDER BY name"
            .to_owned(),
        DbKind::Postgres => "SELECT table_name::text AS name FROM information_schema.tables \
                             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                             AND table_name NOT LIKE '\\_\\_diesel%' ORDER BY table_name"
            .to_owned(),
    };
    let tables: Vec<Name> = diesel::sql_query(tables_sql).load(c).unwrap();
    let mut out = BTreeMap::new();
    for t in tables.iter().map(|t| t.name.as_str()) {
        let columns_sql = match kind {
            DbKind::Sqlite => format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid"),
            DbKind::Postgres => format!(
                "SELECT column_name::text AS name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{t}' \
                 ORDER BY ordinal_position"
            ),
        };
        let columns: Vec<String> = diesel::sql_query(columns_sql)
            .load::<Name>(c)
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect();
        let has = |col: &str| columns.iter().any(|c| c == col);
        let scope = if has("school_id") {
            format!("school_id = {school_id}")
        } else if t == "schools" {
            format!("id = {school_id}")
        } else if has("user_id") {
            format!("user_id IN (SELECT id FROM users WHERE school_id = {school_id})")
        } else {
            continue;
        };
        let line = columns
            .iter()
            .map(|col| format!("COALESCE(CAST(\"{col}\" AS TEXT), '∅')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let sql = format!("SELECT {line} AS line FROM \"{t}\" WHERE {scope} ORDER BY 1");
        let lines: Vec<Line> = diesel::sql_query(sql).load(c).unwrap();
        out.insert(t.to_owned(), lines.into_iter().map(|l| l.line).collect());
    }
    out
}

/// The tables whose rows differ.
fn changed(
    before: &BTreeMap<String, Vec<String>>,
    after: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    before
        .keys()
        .chain(after.keys())
        .filter(|t| before.get(*t) != after.get(*t))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// One request: GET, or POST of `form`.
async fn send(
    b: &TestClient,
    method: &str,
    path: &str,
    form: &[(String, String)],
) -> (u16, String) {
    let resp = match method {
        "GET" => b.get(path).await,
        "POST" => {
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            b.post_form(path, &pairs).await
        }
        other => panic!("method {other} is not walked"),
    };
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// What one request of an A user with B's ids came to.
struct Probe {
    route: &'static RouteSpec,
    role: Role,
    status: u16,
    leaked: bool,
    audited: bool,
}

/// Requests every route with path parameters as every role of A, with B's ids. Also
/// returns the routes after which B's rows differed.
async fn walk(w: &World) -> (Vec<Probe>, Vec<String>) {
    let mut browsers = Vec::new();
    for role in Role::ALL {
        let b = w.browser(role).await;
        let csrf = csrf_of(&b.get("/konto").await.text().await.unwrap());
        browsers.push((role, b, csrf));
    }
    let mut probes = Vec::new();
    let mut changes = Vec::new();
    let routes: Vec<&'static RouteSpec> = ROUTES.iter().filter(|r| r.path.contains('{')).collect();
    assert!(
        routes.len() >= 10,
        "the route table lost its parameter routes?"
    );
    for route in routes {
        let before = rows_of(&w.app, w.b.school_id);
        for (role, b, csrf) in &browsers {
            let actor = w.a.user(*role).user_id;
            let denials = w.denials_of(actor);
            let path = w.b.path(route);
            let (status, body) = send(b, route.method, &path, &w.b.form(csrf)).await;
            probes.push(Probe {
                route,
                role: *role,
                status,
                leaked: body.to_lowercase().contains(MARK),
                audited: w.denials_of(actor) > denials,
            });
        }
        let diff = changed(&before, &rows_of(&w.app, w.b.school_id));
        if !diff.is_empty() {
            changes.push(format!(
                "{} {}: {}",
                route.method,
                route.path,
                diff.join(", ")
            ));
        }
    }
    (probes, changes)
}

fn allowed(route: &RouteSpec, status: u16) -> bool {
    if route.path.contains("{token}") {
        // An unknown setup link is gone, whoever asks.
        status == 404 || status == 410
    } else {
        status == 404 || status == 403
    }
}

fn short(role: Role) -> &'static str {
    match role {
        Role::Schulleitung => "SL",
        Role::Verwaltung => "VW",
        Role::Klassenlehrkraft => "KL",
        Role::Lehrkraft => "LK",
        Role::Sekretariat => "SK",
        Role::Schulsozialarbeit => "SSA",
    }
}

#[tokio::test]
async fn every_route_with_ids_answers_the_users_of_school_a_404_for_the_ids_of_school_b() {
    // Arrange
    let w = World::new().await;
    let rows = rows_of(&w.app, w.b.school_id);
    for table in [
        "schools",
        "users",
        "role_assignments",
        "totp_factors",
        "classes",
        "pupils",
        "timetable_slots",
        "lessons",
        "attendance",
        "absence_cases",
        "social_work_assignments",
        "notebook_entries",
    ] {
        assert!(
            rows.get(table).is_some_and(|r| !r.is_empty()),
            "no rows of B in {table}"
        );
    }

    // Act
    let (probes, changes) = walk(&w).await;

    // Assert
    let wrong: Vec<String> = probes
        .iter()
        .filter(|p| !allowed(p.route, p.status) || p.leaked)
        .map(|p| {
            format!(
                "{} {} as {} of A: {}{}",
                p.route.method,
                p.route.path,
                short(p.role),
                p.status,
                if p.leaked { ", shows data of B" } else { "" }
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "answers to A with B's ids:\n{}",
        wrong.join("\n")
    );
    assert!(
        changes.is_empty(),
        "rows of B changed:\n{}",
        changes.join("\n")
    );
    assert_eq!(probes.len() % Role::ALL.len(), 0);
}

#[tokio::test]
async fn every_refusal_of_an_id_of_school_b_is_audited() {
    // Arrange
    let w = World::new().await;

    // Act
    let (probes, _) = walk(&w).await;

    // Assert: each refusal left a denial record of its actor (public token routes aside).
    let silent: Vec<String> = probes
        .iter()
        .filter(|p| p.route.access != Access::Public && !p.audited)
        .map(|p| {
            format!(
                "{} {} as {}: {}",
                p.route.method,
                p.route.path,
                short(p.role),
                p.status
            )
        })
        .collect();
    assert!(
        silent.is_empty(),
        "refusals without an audit record:\n{}",
        silent.join("\n")
    );
}

#[tokio::test]
async fn no_page_without_ids_shows_data_of_school_b_to_any_role_of_school_a() {
    // Arrange
    let w = World::new().await;
    let routes: Vec<&RouteSpec> = ROUTES
        .iter()
        .filter(|r| r.method == "GET" && !r.path.contains('{'))
        .collect();

    // Act
    let mut leaks = Vec::new();
    let mut pages = 0;
    for role in Role::ALL {
        let b = w.browser(role).await;
        for route in &routes {
            let (status, body) = send(&b, "GET", route.path, &[]).await;
            pages += usize::from(status == 200);
            if body.to_lowercase().contains(MARK) {
                leaks.push(format!("GET {} as {}: {status}", route.path, short(role)));
            }
        }
    }

    // Assert
    assert!(
        leaks.is_empty(),
        "pages of A showing B's data:\n{}",
        leaks.join("\n")
    );
    assert!(
        pages > 2 * routes.len(),
        "too few pages were shown: {pages}"
    );
}

/// A form post: browser, path (`{a}`: A's class), CSRF token, fields.
type Post<'a> = (
    &'a TestClient,
    &'static str,
    String,
    Vec<(&'static str, String)>,
);

#[tokio::test]
async fn ids_of_school_b_in_forms_and_query_strings_change_nothing_and_show_nothing() {
    // Arrange
    let w = World::new().await;
    let (a, b) = (&w.a, &w.b);
    let head = w.browser(Role::Schulleitung).await;
    let class_teacher = w.browser(Role::Klassenlehrkraft).await;
    let csrf = |page: String| csrf_of(&page);
    let head_csrf = csrf(head.get("/konto").await.text().await.unwrap());
    let ct_csrf = csrf(class_teacher.get("/konto").await.text().await.unwrap());
    let date = w.app.school_today().to_string();
    let s = |v: i64| v.to_string();
    let a_worker = s(a.user(Role::Schulsozialarbeit).user_id);
    let b_worker = s(b.user(Role::Schulsozialarbeit).user_id);
    let (b_pupil, b_class) = (s(b.pupil_id), s(b.class_id));
    let posts: Vec<Post> = vec![
        (
            &head,
            "/schule/schueler/austritt",
            head_csrf.clone(),
            vec![("eintrag", b_pupil.clone()), ("ende", date.clone())],
        ),
        (
            &head,
            "/schule/schueler/klassenwechsel",
            head_csrf.clone(),
            vec![
                ("eintrag", b_pupil.clone()),
                ("wechsel_klasse", s(a.class_id)),
                ("wechsel_ab", date.clone()),
            ],
        ),
        (
            &head,
            "/schule/schueler",
            head_csrf.clone(),
            vec![
                ("schueler_nachname", "Eindringling".into()),
                ("schueler_vorname", "Erik".into()),
                ("schueler_klasse", b_class.clone()),
                ("schueler_ab", date.clone()),
            ],
        ),
        (
            &head,
            "/schule/klassenleitungen",
            head_csrf.clone(),
            vec![
                ("kl_klasse", b_class.clone()),
                ("kl_lehrkraft", s(a.colleague)),
                ("kl_von", date.clone()),
            ],
        ),
        (
            &head,
            "/schule/klassenleitungen",
            head_csrf.clone(),
            vec![
                ("kl_klasse", s(a.class_id)),
                ("kl_lehrkraft", s(b.colleague)),
                ("kl_von", date.clone()),
            ],
        ),
        (
            &head,
            "/schule/klassenleitungen/beenden",
            head_csrf.clone(),
            vec![
                ("eintrag", s(b.class_teacher_assignment)),
                ("ende", date.clone()),
            ],
        ),
        (
            &head,
            "/schule/stundenplan/beenden",
            head_csrf.clone(),
            vec![("eintrag", s(b.slot)), ("ende", date.clone())],
        ),
        (
            &head,
            "/verwaltung/sozialarbeit",
            head_csrf.clone(),
            vec![
                ("sa_fachkraft", a_worker.clone()),
                ("sa_schueler", b_pupil.clone()),
                ("sa_von", date.clone()),
            ],
        ),
        (
            &head,
            "/verwaltung/sozialarbeit",
            head_csrf.clone(),
            vec![
                ("sa_fachkraft", b_worker),
                ("sa_schueler", s(a.pupil_id)),
                ("sa_von", date.clone()),
            ],
        ),
        (
            &head,
            "/verwaltung/sozialarbeit/beenden",
            head_csrf.clone(),
            vec![
                ("eintrag", s(b.social_work_assignment)),
                ("ende", date.clone()),
            ],
        ),
        (
            &class_teacher,
            "/klassen/{a}/fehlzeiten",
            ct_csrf.clone(),
            vec![
                ("pupil", b_pupil.clone()),
                ("from", date.clone()),
                ("to", date.clone()),
                ("reason", "krank".into()),
                ("note", "Isolationstest".into()),
            ],
        ),
        (
            &class_teacher,
            "/klassen/{a}/attestpflicht",
            ct_csrf.clone(),
            vec![
                ("pupil", b_pupil.clone()),
                ("from", date.clone()),
                ("to", date.clone()),
            ],
        ),
    ];
    let gets = [
        format!("/schule/schueler?schueler={b_pupil}"),
        format!("/schule/schueler?klasse={b_class}"),
        format!("/schule/stundenplan?klasse={b_class}"),
        format!("/klassen/{}/statistik?halbjahr={}", a.class_id, b.term_id),
    ];
    let before = rows_of(&w.app, b.school_id);

    // Act
    let mut answers = Vec::new();
    for (browser, path, token, fields) in &posts {
        let path = path.replace("{a}", &s(a.class_id));
        let mut form = vec![("csrf".to_owned(), token.clone())];
        form.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let (status, body) = send(browser, "POST", &path, &form).await;
        answers.push((format!("POST {path} {fields:?}"), status, body));
    }
    for path in &gets {
        let (status, body) = send(&head, "GET", path, &[]).await;
        answers.push((format!("GET {path}"), status, body));
    }

    // Assert: refused (or the id ignored), nothing of B shown, nothing of B changed.
    let wrong: Vec<String> = answers
        .iter()
        .filter(|(_, status, body)| {
            !(400..500).contains(status) || body.to_lowercase().contains(MARK)
        })
        .map(|(what, status, _)| format!("{what}: {status}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "requests of A with B's ids:\n{}",
        wrong.join("\n")
    );
    let diff = changed(&before, &rows_of(&w.app, b.school_id));
    assert!(diff.is_empty(), "rows of B changed: {diff:?}");
}

#[tokio::test]
async fn the_administration_of_school_a_cannot_deactivate_or_reset_an_account_of_school_b() {
    // Arrange
    let w = World::new().await;
    let victim = w.b.user(Role::Lehrkraft);
    let active_factors = |app: &TestApp| {
        factors::active_factor_count(&mut conn(app), w.b.school_id, victim.user_id).unwrap()
    };
    let factors_before = active_factors(&w.app);
    let before = rows_of(&w.app, w.b.school_id);

    for role in [Role::Verwaltung, Role::Schulleitung] {
        let admin = w.browser(role).await;
        let csrf = csrf_of(
            &admin
                .get("/verwaltung/benutzer")
                .await
                .text()
                .await
                .unwrap(),
        );
        for action in ["deaktivieren", "zuruecksetzen"] {
            // Act
            let path = format!("/verwaltung/benutzer/{}/{action}", victim.user_id);
            let (status, body) =
                send(&admin, "POST", &path, &[("csrf".into(), csrf.clone())]).await;

            // Assert
            assert_eq!(status, 404, "{path} as {}", short(role));
            assert!(!body.to_lowercase().contains(MARK));
        }
        let list = admin
            .get("/verwaltung/benutzer")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !list.to_lowercase().contains(MARK),
            "B's accounts in A's list"
        );
    }

    // Assert: B's colleague is untouched and still signs in.
    assert_eq!(
        changed(&before, &rows_of(&w.app, w.b.school_id)),
        Vec::<String>::new()
    );
    assert_eq!(active_factors(&w.app), factors_before);
    let b_browser = w.app.new_browser();
    b_browser.sign_in_as(victim).await;
}
