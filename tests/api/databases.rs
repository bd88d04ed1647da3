//! Schools spread over several databases (`database.schools`): a teacher of a school in the
//! second database signs in, documents a lesson and administers accounts exactly as on one
//! database, every row lands in that school's database, logins stay unique across databases,
//! and a map that does not match the databases stops the start. Runs on both backends (two
//! SQLite files, or two PostgreSQL schemas).

use crate::helpers::register::school_day_at;
use crate::helpers::{
    TestApp, TestClient, location, setup_path, spawn_app_with_school_map, test_keys, test_settings,
    text_of,
};
use crate::register_lessons::submit_lesson;
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::clock::ManualClock;
use klassenbuch::db::schema::{attendance, audit_log, lessons, sessions, users as users_t};
use klassenbuch::db::{DbConnection, schools, users};
use klassenbuch::startup::Application;
use std::sync::Arc;

/// The school number the map puts into the second database.
const MAPPED: i64 = 101;

/// An app with a school in the default database and school [`MAPPED`] in the second one.
async fn two_databases() -> (TestApp, i64) {
    let (app, _) = spawn_app_with_school_map(&[MAPPED]).await;
    let home_school = app.create_school("Schule am Deich");
    schools::create_with_id(
        &mut app.conn_for(MAPPED),
        MAPPED,
        "Gymnasium an der Förde",
        app.now_naive(),
    )
    .expect("school in the second database");
    (app, home_school)
}

/// The cookie tag of the database that holds `school`.
fn tag_of(app: &TestApp, school: i64) -> String {
    let db = app.state.db.for_school(school);
    db.cookie_tag().expect("several databases").to_owned()
}

#[tokio::test]
async fn a_teacher_of_a_school_in_the_second_database_documents_a_lesson_there_and_only_there() {
    // Arrange: school MAPPED with a class, a lesson today, and its teacher.
    let (app, home_school) = two_databases().await;
    app.clock.set(school_day_at(9, 30));
    let reg = app.seed_register(MAPPED);
    let class = reg.class(&app, "7a", &["Albers", "Brandt", "Christiansen"]);
    let teacher = app.create_user_in(MAPPED, Role::Lehrkraft);
    let today = app.school_today();
    let slot = reg.slot(&app, class.class_id, reg.maths, teacher.user_id, today, 3);
    let other_teacher = app.create_user_in(home_school, Role::Lehrkraft);

    // Act
    let b = app.browser_for(&teacher).await;
    let path = format!("/unterricht/{slot}/{today}");
    let saved = submit_lesson(
        &b,
        &path,
        &[
            (format!("p{}", class.pupils[0]), "f"),
            ("topic".into(), "Bruchrechnung"),
        ],
    )
    .await;

    // Assert: saved like on one database ...
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(location(&saved), "/");
    let heute = b.get("/").await.text().await.unwrap();
    let flash = text_of(&heute, "p.flash.ok").expect("a success message");
    assert!(flash.contains("1 fehlen"), "flash: {flash}");
    // ... the session cookie names the second database ...
    let tag = tag_of(&app, MAPPED);
    let cookie = b.session_cookie().expect("a session cookie");
    assert!(cookie.starts_with(&format!("{tag}.")), "cookie {cookie}");
    // ... and every row is in the second database, none in the default one.
    let mut second = app.conn_for(MAPPED);
    let mut home = app.state.db.home().get().unwrap();
    let topics: Vec<(i64, String)> = lessons::table
        .select((lessons::school_id, lessons::topic))
        .load(&mut second)
        .unwrap();
    assert_eq!(topics, vec![(MAPPED, "Bruchrechnung".to_owned())]);
    let marks: Vec<(i64, String)> = attendance::table
        .select((attendance::pupil_id, attendance::status))
        .load(&mut second)
        .unwrap();
    assert_eq!(marks, vec![(class.pupils[0], "abwesend".to_owned())]);
    assert_eq!(lessons::table.count().get_result::<i64>(&mut home), Ok(0));
    assert_eq!(
        attendance::table.count().get_result::<i64>(&mut home),
        Ok(0)
    );
    let sessions_of = |conn: &mut DbConnection, user: i64| -> i64 {
        sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::school_id.eq(MAPPED))
            .count()
            .get_result(conn)
            .unwrap()
    };
    assert_eq!(sessions_of(&mut second, teacher.user_id), 1);
    assert_eq!(sessions_of(&mut home, teacher.user_id), 0);
    let audit_in = |conn: &mut DbConnection| -> i64 {
        audit_log::table
            .filter(audit_log::school_id.eq(MAPPED))
            .count()
            .get_result(conn)
            .unwrap()
    };
    assert!(
        audit_in(&mut second) > 0,
        "the sign-in is in the school's chain"
    );
    assert_eq!(audit_in(&mut home), 0);
    // The teacher of the default database's school works there as before.
    let a = app.browser_for(&other_teacher).await;
    let home_cookie = a.session_cookie().unwrap();
    let home_tag = app.state.db.home().cookie_tag().unwrap().to_owned();
    assert!(home_cookie.starts_with(&format!("{home_tag}.")));
    assert_ne!(home_tag, tag);
}

#[tokio::test]
async fn a_session_cookie_retagged_for_the_other_database_is_no_session() {
    // Arrange
    let (app, _) = two_databases().await;
    let teacher = app.create_user_in(MAPPED, Role::Lehrkraft);
    let b = app.browser_for(&teacher).await;
    let cookie = b.session_cookie().unwrap();
    let (_, token) = cookie.split_once('.').unwrap();
    let home_tag = app.state.db.home().cookie_tag().unwrap().to_owned();

    // Act
    let genuine = app.get_with_cookie("/", &cookie).await;
    let retagged = app
        .get_with_cookie("/", &format!("{home_tag}.{token}"))
        .await;
    let untagged = app.get_with_cookie("/", token).await;

    // Assert
    assert_eq!(genuine.status().as_u16(), 200);
    for resp in [retagged, untagged] {
        assert_eq!(resp.status().as_u16(), 303);
        assert_eq!(location(&resp), "/anmelden?next=%2F");
    }
}

/// Posts the administration form for a new teacher account with `login`.
async fn new_teacher_account(admin: &TestClient, login: &str) -> reqwest::Response {
    let csrf = admin.csrf_from("/verwaltung/benutzer").await;
    admin
        .post_form(
            "/verwaltung/benutzer/neu",
            &[
                ("csrf", csrf.as_str()),
                ("display_name", "Ole Jensen"),
                ("login", login),
                ("role", "lehrkraft"),
            ],
        )
        .await
}

#[tokio::test]
async fn an_account_made_in_one_database_takes_its_login_in_every_database() {
    // Arrange: elevated headteachers of both schools.
    let (app, home_school) = two_databases().await;
    let head_mapped = app.create_user_in(MAPPED, Role::Schulleitung);
    let head_home = app.create_user_in(home_school, Role::Schulleitung);
    let mapped = app.elevated_browser_for(&head_mapped).await;
    let home = app.elevated_browser_for(&head_home).await;
    // Act 1: the school in the second database makes o.jensen.
    let made = new_teacher_account(&mapped, "o.jensen").await;

    // Assert 1: the account is in the second database only, and its setup link works.
    assert_eq!(made.status().as_u16(), 200);
    let link = text_of(&made.text().await.unwrap(), "code.setup-link").expect("a setup link");
    let in_db = |conn: &mut DbConnection| -> Vec<i64> {
        users_t::table
            .filter(users_t::login.eq("o.jensen"))
            .select(users_t::school_id)
            .load(conn)
            .unwrap()
    };
    assert_eq!(in_db(&mut app.conn_for(MAPPED)), vec![MAPPED]);
    assert!(in_db(&mut app.state.db.home().get().unwrap()).is_empty());
    let newcomer = app.new_browser();
    let redeemed = newcomer.redeem(&setup_path(&link)).await;
    assert_eq!(redeemed.status().as_u16(), 303);
    assert_eq!(location(&redeemed), "/einrichtung");
    let tag = tag_of(&app, MAPPED);
    assert!(
        newcomer
            .session_cookie()
            .unwrap()
            .starts_with(&format!("{tag}."))
    );

    // Act 2: the other school wants the same login.
    let refused = new_teacher_account(&home, "o.jensen").await;

    // Assert 2: refused naming the field; still no such account in the default database.
    assert_eq!(refused.status().as_u16(), 303);
    let list = home.get("/verwaltung/benutzer").await.text().await.unwrap();
    let flash = text_of(&list, "p.flash.err").expect("an error message");
    assert!(flash.contains("Anmeldename"), "flash: {flash}");
    assert!(flash.contains("bereits vergeben"), "flash: {flash}");
    assert!(in_db(&mut app.state.db.home().get().unwrap()).is_empty());
}

#[tokio::test]
async fn a_login_that_exists_in_two_databases_signs_nobody_in() {
    // Arrange: the same login written into both databases behind the app's back.
    let (app, home_school) = two_databases().await;
    let teacher = app.create_user_in(MAPPED, Role::Lehrkraft);
    let now = app.now_naive();
    let twin = users::create(
        &mut app.state.db.home().get().unwrap(),
        home_school,
        &teacher.login,
        "Doppelgänger",
        now,
    )
    .unwrap();
    assert!(twin.id > 0);

    // Act
    let resp = app.login(&teacher.login, &teacher.password).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 401);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Anmeldename oder Passwort ist falsch."));
}

#[tokio::test]
async fn school_create_with_a_number_puts_the_school_into_the_mapped_database() {
    // Arrange
    let (app, _) = spawn_app_with_school_map(&[MAPPED, 2]).await;
    let settings = (*app.state.settings).clone();

    // Act: one school with the mapped number, one without a number.
    let mapped_link = klassenbuch::demo::create_school_with_setup_link(
        &app.state.db,
        &settings,
        app.clock.as_ref(),
        "Gymnasium an der Förde",
        "sl.foerde",
        "Schulleitung Förde",
        Some(MAPPED),
    )
    .expect("school MAPPED");
    let free_link = klassenbuch::demo::create_school_with_setup_link(
        &app.state.db,
        &settings,
        app.clock.as_ref(),
        "Schule am Deich",
        "sl.deich",
        "Schulleitung Deich",
        None,
    )
    .expect("school without a number");
    let taken = klassenbuch::demo::create_school_with_setup_link(
        &app.state.db,
        &settings,
        app.clock.as_ref(),
        "Noch eine Schule",
        "sl.foerde",
        "Doppelt",
        None,
    );

    // Assert: MAPPED in the second database; the free number skips 2 (reserved for the
    // second database) and lands in the default one; the login is taken everywhere.
    let ids = |conn: &mut DbConnection| -> Vec<i64> {
        klassenbuch::db::schema::schools::table
            .select(klassenbuch::db::schema::schools::id)
            .order(klassenbuch::db::schema::schools::id)
            .load(conn)
            .unwrap()
    };
    assert_eq!(ids(&mut app.conn_for(MAPPED)), vec![MAPPED]);
    assert_eq!(ids(&mut app.state.db.home().get().unwrap()), vec![102]);
    let err = taken.expect_err("the login is taken").to_string();
    assert!(err.contains("»sl.foerde« ist bereits vergeben"), "{err}");
    // Both setup links open their school's setup.
    for link in [mapped_link, free_link] {
        let b = app.new_browser();
        let resp = b.redeem(&setup_path(&link)).await;
        assert_eq!(resp.status().as_u16(), 303, "{link}");
        assert_eq!(location(&resp), "/einrichtung");
    }
}

#[tokio::test]
async fn the_app_does_not_start_when_a_school_is_not_in_the_database_the_map_names() {
    // Arrange: school MAPPED is written into the default database, the map says otherwise.
    let (app, other_url) = spawn_app_with_school_map(&[]).await;
    schools::create_with_id(&mut app.conn(), MAPPED, "Verirrte Schule", app.now_naive()).unwrap();
    let settings = test_settings(&app.db_url, &[(MAPPED, other_url)]);

    // Act
    let built = Application::build(settings, Arc::new(ManualClock::starting_now()), test_keys());

    // Assert
    let err = built.err().expect("the start is refused").to_string();
    assert!(err.contains("Schule 101"), "{err}");
    assert!(err.contains("database.schools"), "{err}");
}

#[tokio::test]
async fn readiness_fails_when_one_of_the_databases_is_gone() {
    // Arrange
    let (app, other_url) = spawn_app_with_school_map(&[MAPPED]).await;
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);

    // Act: the second database loses its schema (PostgreSQL) or its file (SQLite).
    match other_url.split_once("search_path%3D") {
        Some((_, schema)) => {
            diesel::sql_query(format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&mut app.conn_for(MAPPED))
                .unwrap();
        }
        None => {
            std::fs::remove_file(klassenbuch::db::sqlite_path(&other_url)).unwrap();
        }
    }

    // Assert
    let resp = app.get("/readyz").await;
    assert_eq!(resp.status().as_u16(), 503);
}
