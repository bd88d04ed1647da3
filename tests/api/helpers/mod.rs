//! The test harness: every test gets a fresh database, a real server on a random port,
//! a manual clock, and a cookie-keeping HTTP client.

mod auth;
mod client;
mod database;
pub mod passkey;
pub mod pupil_data;
pub mod register;

pub use auth::*;
pub use client::*;
pub use database::*;

use actix_web::web;
use argon2::password_hash::PasswordHasher;
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::clock::{Clock, ManualClock};
use klassenbuch::config::Settings;
use klassenbuch::crypto::Keyring;
use klassenbuch::db::{DbConnection, schema, schools, users};
use klassenbuch::startup::{AppState, Application};
use secrecy::SecretString;
use std::sync::{Arc, LazyLock};

/// One key for every app instance of this test run, so that two instances on one database
/// can open each other's encrypted values.
static KEY_LINE: LazyLock<String> = LazyLock::new(|| Keyring::generate_line("t1"));

/// A running application and a client that talks to it.
pub struct TestApp {
    /// `http://localhost:PORT`, the app's own origin.
    pub address: String,
    pub port: u16,
    pub db_url: String,
    pub clock: Arc<ManualClock>,
    pub state: web::Data<AppState>,
    /// The default client of the test, with its own cookie jar.
    pub browser: TestClient,
    // Declared last: the databases go only after everything that uses them.
    _db: Vec<TestDatabase>,
}

/// Starts the app on a fresh database of the configured backend.
pub async fn spawn_app() -> TestApp {
    let db = TestDatabase::fresh();
    let url = db.url.clone();
    launch(&url, vec![db], &[]).await
}

/// Starts the app with a school map: the default database, and a second database that
/// holds the schools `schools` (`database.schools`). Returns the app and the second URL.
pub async fn spawn_app_with_school_map(schools: &[i64]) -> (TestApp, String) {
    let (home, other) = (TestDatabase::fresh(), TestDatabase::fresh());
    let (url, other_url) = (home.url.clone(), other.url.clone());
    let map: Vec<(i64, String)> = schools.iter().map(|s| (*s, other_url.clone())).collect();
    (launch(&url, vec![home, other], &map).await, other_url)
}

/// The settings every test app starts with.
pub fn test_settings(db_url: &str, schools: &[(i64, String)]) -> Settings {
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.server.public_origin = String::new();
    settings.database.url = SecretString::from(db_url.to_owned());
    settings.database.pool_size = 4;
    settings.database.schools = schools
        .iter()
        .map(|(id, url)| (id.to_string(), url.clone()))
        .collect();
    settings
}

/// The key of every test app.
pub fn test_keys() -> Keyring {
    Keyring::parse(&KEY_LINE).expect("test key")
}

/// Starts another app instance on an existing database (same keys as every test app).
/// The database is not removed when this app is dropped.
pub async fn spawn_app_on(db_url: &str) -> TestApp {
    launch(db_url, Vec::new(), &[]).await
}

async fn launch(db_url: &str, db: Vec<TestDatabase>, schools: &[(i64, String)]) -> TestApp {
    let settings = test_settings(db_url, schools);
    let keys = test_keys();
    let clock = Arc::new(ManualClock::starting_now());
    let app = Application::build(settings, clock.clone(), keys).expect("build the application");
    let port = app.port();
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());
    let address = format!("http://localhost:{port}");
    TestApp {
        browser: TestClient::new(&address),
        address,
        port,
        db_url: db_url.to_owned(),
        clock,
        state,
        _db: db,
    }
}

/// A user created directly in the database, ready to sign in with password and TOTP.
// Not every field is read by the foundation tests; feature tests use the rest.
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct TestUser {
    pub login: String,
    pub password: String,
    pub display_name: String,
    pub totp_secret: Vec<u8>,
    pub user_id: i64,
    pub school_id: i64,
}

impl TestApp {
    /// A new client with an empty cookie jar (another browser).
    pub fn new_browser(&self) -> TestClient {
        TestClient::new(&self.address)
    }

    /// A pooled connection to the app's database.
    pub fn conn(&self) -> klassenbuch::db::PooledConn {
        self.state.db.get().expect("database connection")
    }

    /// A pooled connection to the database that holds `school_id` (see the school map).
    pub fn conn_for(&self, school_id: i64) -> klassenbuch::db::PooledConn {
        self.state
            .db
            .for_school(school_id)
            .get()
            .expect("database connection")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.browser.get(path).await
    }

    /// Opens a setup link and starts the setup (see [`TestClient::redeem`]).
    pub async fn redeem(&self, path: &str) -> reqwest::Response {
        self.browser.redeem(path).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.browser.post_form(path, form).await
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.browser.login(login, password).await
    }

    /// Signs the default client in as `user` and checks that it worked.
    pub async fn sign_in(&self, user: &TestUser) {
        let resp = self.login(&user.login, &user.password).await;
        assert_eq!(resp.status().as_u16(), 303, "sign-in of {}", user.login);
        assert_eq!(location(&resp), "/");
    }

    /// A GET that sends exactly this session cookie value, from a client without a jar.
    pub async fn get_with_cookie(&self, path: &str, cookie_value: &str) -> reqwest::Response {
        plain_client()
            .get(format!("{}{path}", self.address))
            .header(
                reqwest::header::COOKIE,
                format!("{SESSION_COOKIE}={cookie_value}"),
            )
            .send()
            .await
            .expect("request")
    }

    /// Moves the app's clock forward by `minutes`.
    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance(chrono::Duration::minutes(minutes));
    }

    pub fn now_naive(&self) -> chrono::NaiveDateTime {
        self.clock.now().naive_utc()
    }

    /// A new school; returns its id.
    pub fn create_school(&self, name: &str) -> i64 {
        schools::create(&mut self.conn(), name, self.now_naive())
            .expect("create school")
            .id
    }

    /// A user with `role` in a new school.
    pub fn create_user(&self, role: Role) -> TestUser {
        let school_id = self.create_school("Testschule am Deich");
        self.create_user_in(school_id, role)
    }

    /// A user with `role` in `school_id`: password set, setup complete, an active TOTP
    /// factor and the required documents acknowledged.
    pub fn create_user_in(&self, school_id: i64, role: Role) -> TestUser {
        let suffix = random_hex();
        let login = format!("t.{suffix}");
        let display_name = format!("Erika Mustermann {}", &suffix[..4]);
        let password = format!("Wattenmeer-Leuchtturm-{suffix}");
        let hash = argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .expect("hash password")
            .to_string();
        let now = self.now_naive();
        let mut conn = self.conn_for(school_id);
        let conn: &mut DbConnection = &mut conn;
        let user = users::create(conn, school_id, &login, &display_name, now).expect("user");
        users::set_password_hash(conn, user.id, &hash).expect("password");
        users::set_setup_complete(conn, user.id, true).expect("setup complete");
        users::assign_role(conn, school_id, user.id, role, None).expect("role");
        let seed = klassenbuch::auth::demo_enrol(conn, school_id, user.id, now, &self.state.keys)
            .expect("enrol TOTP")
            .expect("TOTP seed");
        let totp_secret = data_encoding::BASE32_NOPAD
            .decode(seed.as_bytes())
            .expect("base32 seed");
        TestUser {
            login,
            password,
            display_name,
            totp_secret,
            user_id: user.id,
            school_id,
        }
    }

    /// Rows in the audit trail.
    pub fn audit_row_count(&self) -> i64 {
        schema::audit_log::table
            .count()
            .get_result(&mut *self.conn())
            .expect("count audit rows")
    }
}
