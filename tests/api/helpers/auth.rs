//! Helpers for the authentication tests: TOTP codes by the app's clock, the second-factor
//! step at sign-in and at step-up, setup links, recovery codes, and the audit trail.

use super::{TestApp, TestClient, TestUser, csrf_of, location};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use klassenbuch::auth::{recovery, totp};
use klassenbuch::clock::Clock;
use klassenbuch::db::audit::AuditRow;
use klassenbuch::db::{factors, schema, schools, users};

/// The TOTP code of `secret` at `at`.
pub fn totp_code(secret: &[u8], at: DateTime<Utc>) -> String {
    totp::code_at(secret, at).expect("TOTP code")
}

/// A six-digit code that matches none of the steps the app accepts at `at` (t-1, t, t+1).
pub fn wrong_totp_code(secret: &[u8], at: DateTime<Utc>) -> String {
    let valid: Vec<String> = (-1..=1)
        .map(|k| totp_code(secret, at + Duration::seconds(30 * k)))
        .collect();
    (0..)
        .map(|n| format!("{:06}", 314_159 + n))
        .find(|c| !valid.contains(c))
        .expect("a wrong code")
}

/// The path (`/einrichtung/<token>`) of a setup link the app printed with its origin.
pub fn setup_path(link: &str) -> String {
    let at = link.find("/einrichtung/").expect("a setup link");
    link[at..].to_owned()
}

/// The first value of the response's `Retry-After` header, in seconds.
pub fn retry_after(resp: &reqwest::Response) -> Option<i64> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

impl TestApp {
    /// Moves the app's clock forward by `seconds`.
    pub fn advance_seconds(&self, seconds: i64) {
        self.clock.advance(Duration::seconds(seconds));
    }

    /// The app's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The user's TOTP code for the current step of the app's clock.
    pub fn totp_now(&self, user: &TestUser) -> String {
        totp_code(&user.totp_secret, self.now())
    }

    /// The user's TOTP code `steps` time steps (of 30 s) before the app's current time.
    pub fn totp_steps_ago(&self, user: &TestUser, steps: i64) -> String {
        totp_code(
            &user.totp_secret,
            self.now() - Duration::seconds(30 * steps),
        )
    }

    /// A code the app refuses for `user` now.
    pub fn wrong_totp(&self, user: &TestUser) -> String {
        wrong_totp_code(&user.totp_secret, self.now())
    }

    /// Sets the school's second-factor policy (`lesson_mode` or `always`) in the database.
    pub fn set_policy(&self, school_id: i64, policy: &str) {
        schools::set_policy(&mut self.conn(), school_id, policy).expect("set policy");
    }

    /// Deactivates a user directly in the database.
    pub fn deactivate_in_db(&self, user: &TestUser) {
        users::set_active(&mut self.conn(), user.user_id, false).expect("deactivate");
    }

    /// Gives the user ten fresh recovery codes (replacing any old ones) and returns them.
    pub fn give_recovery_codes(&self, user: &TestUser) -> Vec<String> {
        let (codes, hashes) = recovery::generate();
        factors::replace_recovery_codes(&mut self.conn(), user.school_id, user.user_id, &hashes)
            .expect("recovery codes");
        codes
    }

    /// Number of usable second factors of the user.
    pub fn active_factor_count(&self, user: &TestUser) -> i64 {
        factors::active_factor_count(&mut self.conn(), user.school_id, user.user_id)
            .expect("count factors")
    }

    /// A new school with a headteacher who has nothing set up yet; returns the path of the
    /// one-time setup link.
    pub fn school_with_setup_link(&self, school: &str, login: &str, display_name: &str) -> String {
        let link = klassenbuch::demo::create_school_with_setup_link(
            &self.state.db,
            &self.state.settings,
            self.clock.as_ref(),
            school,
            login,
            display_name,
            None,
        )
        .expect("school with setup link");
        setup_path(&link)
    }

    /// Every audit record, oldest first.
    pub fn audit_records(&self) -> Vec<AuditRow> {
        schema::audit_log::table
            .order(schema::audit_log::id)
            .select(AuditRow::as_select())
            .load(&mut *self.conn())
            .expect("audit records")
    }

    /// Audit records with this action (and, if given, this result).
    pub fn audit_with(&self, action: &str, result: Option<&str>) -> Vec<AuditRow> {
        self.audit_records()
            .into_iter()
            .filter(|r| r.action == action && result.is_none_or(|want| r.result == want))
            .collect()
    }
}

impl TestClient {
    /// Opens the sign-in form, then submits it with `next` and, if asked, the box for an
    /// immediate second factor.
    pub async fn login_to(
        &self,
        login: &str,
        password: &str,
        next: &str,
        second_factor: bool,
    ) -> reqwest::Response {
        let form = self.get("/anmelden").await;
        assert_eq!(form.status().as_u16(), 200, "sign-in form");
        let csrf = csrf_of(&form.text().await.expect("body"));
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("login", login),
            ("password", password),
            ("next", next),
        ];
        if second_factor {
            fields.push(("zweiter_faktor", "ja"));
        }
        self.post_form("/anmelden", &fields).await
    }

    /// On the second-factor step of sign-in: submits `code` from the factor form.
    pub async fn submit_login_code(&self, code: &str, next: &str) -> reqwest::Response {
        let path = format!("/anmelden/faktor?next={}", urlencoding::encode(next));
        let csrf = self.csrf_from(&path).await;
        self.post_form(
            "/anmelden/faktor",
            &[("csrf", &csrf), ("code", code), ("next", next)],
        )
        .await
    }

    /// Signed in: submits `code` on the step-up form for `next`.
    pub async fn step_up(&self, code: &str, next: &str) -> reqwest::Response {
        let path = format!("/step-up?next={}", urlencoding::encode(next));
        let csrf = self.csrf_from(&path).await;
        self.post_form(
            "/step-up",
            &[("csrf", &csrf), ("code", code), ("next", next)],
        )
        .await
    }

    /// Signs in with the password only and checks that the register opened.
    pub async fn sign_in_as(&self, user: &TestUser) {
        let resp = self.login(&user.login, &user.password).await;
        assert_eq!(resp.status().as_u16(), 303, "sign-in of {}", user.login);
        assert_eq!(location(&resp), "/");
    }

    /// Signs in with the password and elevates with `code`; checks both steps.
    pub async fn sign_in_elevated(&self, user: &TestUser, code: &str) {
        self.sign_in_as(user).await;
        let resp = self.step_up(code, "/").await;
        assert_eq!(resp.status().as_u16(), 303, "step-up of {}", user.login);
        assert_eq!(location(&resp), "/");
    }
}
