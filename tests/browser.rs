//! The browser test: the real app, the real pages and `static/webauthn.js` in headless
//! Chromium, with a virtual authenticator of the Chrome DevTools Protocol standing in for the
//! passkey. The app listens on `127.0.0.1`, the browser opens it as `http://localhost:PORT`
//! (an IP address can never be a WebAuthn RP id).
//!
//! Needs Chromium: `KLASSENBUCH_CHROMIUM` names the binary (default `/usr/bin/chromium`). The
//! test is ignored by default; CI runs it with
//! `cargo test --test browser -- --include-ignored`. When it runs and Chromium is missing, it
//! fails. On failure it prints the current URL and the text of the page's `main`, and keeps a
//! screenshot in its temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/chromium.rs"]
mod chromium;

use anyhow::{Context, anyhow, bail};
use chromium::{Chromium, TestApp};
use chromiumoxide::cdp::browser_protocol::web_authn::{
    AddVirtualAuthenticatorParams, AuthenticatorId, AuthenticatorProtocol, AuthenticatorTransport,
    EnableParams, GetCredentialsParams, SetResponseOverrideBitsParams, SetUserVerifiedParams,
    VirtualAuthenticatorOptions,
};
use serde_json::Value;

const SCHOOL: &str = "Gesamtschule am Deich";
const LOGIN: &str = "s.lindqvist";
const DISPLAY_NAME: &str = "Signe Lindqvist";
const PASSWORD: &str = "Der Kranich fliegt über zwölf grüne Deiche";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium; CI runs it with --include-ignored"]
async fn a_headteacher_enrols_a_passkey_signs_in_and_steps_up_and_without_user_verification_the_step_up_fails()
 {
    let started = std::time::Instant::now();
    // `RUST_LOG=warn` shows the app's log (refused CSRF checks, errors) next to the test's.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
    let tmp = tempfile::tempdir().expect("temporary directory");
    let app = TestApp::start(tmp.path());
    let chromium = Chromium::launch(tmp.path(), (1280, 900), &["disable-quic"])
        .await
        .expect("headless Chromium starts (set KLASSENBUCH_CHROMIUM to its path)");
    // A first look at the app: the browser reaches it under `localhost`.
    chromium
        .goto(&format!("{}/anmelden", app.origin))
        .await
        .expect("the sign-in page opens");

    let outcome = scenario(&chromium, &app).await;

    let diagnosis = match &outcome {
        Ok(()) => String::new(),
        Err(_) => chromium.diagnose(tmp.path()).await,
    };
    chromium.close().await;
    if let Err(e) = outcome {
        let kept = tmp.keep();
        panic!(
            "{e:#}\n{diagnosis}\n(temporary directory kept: {})",
            kept.display()
        );
    }
    eprintln!(
        "browser test passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

async fn scenario(b: &Chromium, app: &TestApp) -> anyhow::Result<()> {
    // 1. First sign-in from the setup link, enrolling a passkey as the second factor.
    let link = app.setup_link()?;
    b.goto(&link).await?;
    // Opening the link only shows whom it is for; the button starts the setup.
    b.wait_for_selector("form[action^='/einrichtung/'] button[type=submit]")
        .await?;
    b.click("form[action^='/einrichtung/'] button[type=submit]")
        .await?;
    b.wait_for_path("the setup page", |p| p == "/einrichtung")
        .await?;
    b.type_into("#password", PASSWORD).await?;
    b.type_into("#password2", PASSWORD).await?;
    b.click("form[action='/einrichtung/passwort'] button[type=submit]")
        .await?;
    b.wait_for_selector("form.webauthn-register").await?;

    let authenticator = b.add_virtual_authenticator().await?;
    b.click("form.webauthn-register button[type=submit]")
        .await?;
    b.wait_until(
        "the recovery-codes step after the passkey registration",
        "!!document.querySelector(\"form[action='/einrichtung/codes'] button\")",
    )
    .await?;
    let button = b.text("form[action='/einrichtung/codes'] button").await?;
    ensure_eq(
        &button,
        "Wiederherstellungscodes erzeugen",
        "recovery-codes button",
    )?;
    ensure_eq(
        &b.credential_count(&authenticator).await?.to_string(),
        "1",
        "credentials in the virtual authenticator",
    )?;
    ensure_eq(
        &app.passkeys_of(LOGIN).await?.to_string(),
        "1",
        "passkeys stored for the headteacher",
    )?;

    b.click("form[action='/einrichtung/codes'] button[type=submit]")
        .await?;
    b.wait_for_selector("ol.codes li").await?;
    let codes = b
        .eval("document.querySelectorAll('ol.codes li').length")
        .await?;
    ensure_eq(&codes.to_string(), "10", "number of recovery codes shown")?;
    b.click("a.button[href='/einrichtung']").await?;
    b.wait_for_selector("input[name=datenschutz]").await?;
    b.click("input[name=datenschutz]").await?;
    b.click("input[name=nutzungsbedingungen]").await?;
    b.click("form[action='/einrichtung/bestaetigen'] button[type=submit]")
        .await?;
    b.wait_for_path("the register after the setup", |p| p == "/")
        .await?;
    b.wait_for_selector(".who .user").await?;
    ensure_eq(&b.text(".who .user").await?, DISPLAY_NAME, "signed-in user")?;

    // 2. Sign out, sign in with the password, and step up with the passkey.
    b.sign_out_and_in().await?;
    b.goto(&format!("{}/verwaltung/protokoll", app.origin))
        .await?;
    b.wait_for_path("the step-up page", |p| p.starts_with("/step-up?next="))
        .await?;
    b.click("form.webauthn-login button[type=submit]").await?;
    b.wait_for_path("the audit log after the step-up", |p| {
        p == "/verwaltung/protokoll"
    })
    .await?;
    b.wait_for_selector("table.audit").await?;
    let rows = audit_rows(b).await?;
    if !has_row(&rows, "step_up", "erfolg", "faktor=webauthn") {
        bail!("the audit log has no successful step_up with faktor=webauthn: {rows}");
    }

    // 3. Without user verification the passkey no longer steps up.
    b.page
        .execute(SetUserVerifiedParams::new(authenticator.clone(), false))
        .await
        .context("WebAuthn.setUserVerified")?;
    b.sign_out_and_in().await?;
    b.goto(&format!("{}/verwaltung/protokoll", app.origin))
        .await?;
    b.wait_for_path("the step-up page", |p| p.starts_with("/step-up?next="))
        .await?;
    b.click("form.webauthn-login button[type=submit]").await?;
    b.wait_until(
        "a failure message of the passkey step-up",
        "(document.querySelector('.webauthn-status') || {}).textContent \
         .includes('fehlgeschlagen')",
    )
    .await?;
    let status = b.text(".webauthn-status").await?;
    eprintln!("step-up without user verification: {status}");
    let path = b.path().await?;
    if !path.starts_with("/step-up") {
        bail!("after the refused passkey the browser left the step-up page for {path}");
    }
    b.goto(&format!("{}/verwaltung/protokoll", app.origin))
        .await?;
    b.wait_for_path("the step-up page again", |p| {
        p.starts_with("/step-up?next=")
    })
    .await?;

    // 4. The server checks user verification itself: an assertion whose UV flag is cleared
    //    is refused there (and audited), and the unchanged passkey works again afterwards.
    b.page
        .execute(SetUserVerifiedParams::new(authenticator.clone(), true))
        .await
        .context("WebAuthn.setUserVerified")?;
    b.set_bad_uv(&authenticator, true).await?;
    b.click("form.webauthn-login button[type=submit]").await?;
    b.wait_until(
        "the server's refusal of an assertion without user verification",
        "(document.querySelector('.webauthn-status') || {}).textContent \
         .includes('Benutzerprüfung erforderlich')",
    )
    .await?;
    let path = b.path().await?;
    if !path.starts_with("/step-up") {
        bail!("after the refused assertion the browser left the step-up page for {path}");
    }
    b.set_bad_uv(&authenticator, false).await?;
    b.goto(&format!("{}/verwaltung/protokoll", app.origin))
        .await?;
    b.wait_for_path("the step-up page", |p| p.starts_with("/step-up?next="))
        .await?;
    b.click("form.webauthn-login button[type=submit]").await?;
    b.wait_for_path("the audit log after the second step-up", |p| {
        p == "/verwaltung/protokoll"
    })
    .await?;
    b.wait_for_selector("table.audit").await?;
    let rows = audit_rows(b).await?;
    if !has_row(&rows, "step_up", "fehlgeschlagen", "faktor=webauthn") {
        bail!("the audit log has no failed step_up with faktor=webauthn: {rows}");
    }
    Ok(())
}

/// The cells of every row of the audit table, as text.
async fn audit_rows(b: &Chromium) -> anyhow::Result<Value> {
    b.eval(
        "Array.from(document.querySelectorAll('table.audit tbody tr')).map(tr => \
         Array.from(tr.cells).map(td => td.textContent.trim()))",
    )
    .await
}

/// Whether the audit table has a row with this action and result whose detail contains
/// `detail` (columns: time, action, user, object, result, assurance, address, detail).
fn has_row(rows: &Value, action: &str, result: &str, detail: &str) -> bool {
    rows.as_array().into_iter().flatten().any(|row| {
        let cell = |i: usize| row.get(i).and_then(Value::as_str).unwrap_or_default();
        cell(1) == action && cell(4) == result && cell(7).contains(detail)
    })
}

fn ensure_eq(actual: &str, expected: &str, what: &str) -> anyhow::Result<()> {
    if actual != expected {
        bail!("{what}: expected »{expected}«, got »{actual}«");
    }
    Ok(())
}

/// What the browser test needs of the app besides the shared harness.
impl TestApp {
    /// A new school with its headteacher, and the one-time setup link on this app's origin.
    fn setup_link(&self) -> anyhow::Result<String> {
        let mut settings = (*self.state.settings).clone();
        settings.server.public_origin = self.origin.clone();
        let link = klassenbuch::demo::create_school_with_setup_link(
            &self.state.db,
            &settings,
            &*self.clock,
            SCHOOL,
            LOGIN,
            DISPLAY_NAME,
            None,
        )?;
        if !link.starts_with(&format!("{}/einrichtung/", self.origin)) {
            bail!("unexpected setup link {link}");
        }
        Ok(link)
    }

    /// How many passkeys the database holds for the user with `login`.
    async fn passkeys_of(&self, login: &'static str) -> anyhow::Result<usize> {
        let count = self
            .state
            .db
            .run(move |c| {
                let Some(user) = klassenbuch::db::users::find_by_login(c, login)? else {
                    return Ok(None);
                };
                klassenbuch::db::factors::webauthn_of(c, user.school_id, user.id)
                    .map(|creds| Some(creds.len()))
            })
            .await?;
        count.ok_or_else(|| anyhow!("no user {login}"))
    }
}

/// The WebAuthn domain of CDP, and signing out and in through the forms.
impl Chromium {
    /// Enables the WebAuthn domain and adds a platform authenticator that holds resident
    /// keys, verifies its user and confirms presence by itself.
    async fn add_virtual_authenticator(&self) -> anyhow::Result<AuthenticatorId> {
        self.page
            .execute(EnableParams::default())
            .await
            .context("WebAuthn.enable")?;
        let options = VirtualAuthenticatorOptions::builder()
            .protocol(AuthenticatorProtocol::Ctap2)
            .transport(AuthenticatorTransport::Internal)
            .has_resident_key(true)
            .has_user_verification(true)
            .is_user_verified(true)
            .automatic_presence_simulation(true)
            .build()
            .map_err(|e| anyhow!("authenticator options: {e}"))?;
        let added = self
            .page
            .execute(AddVirtualAuthenticatorParams::new(options))
            .await
            .context("WebAuthn.addVirtualAuthenticator")?;
        Ok(added.result.authenticator_id.clone())
    }

    /// Makes the authenticator clear (or again set) the UV flag of its responses.
    async fn set_bad_uv(&self, id: &AuthenticatorId, bad: bool) -> anyhow::Result<()> {
        let params = SetResponseOverrideBitsParams::builder()
            .authenticator_id(id.clone())
            .is_bad_uv(bad)
            .build()
            .map_err(|e| anyhow!("{e}"))?;
        self.page
            .execute(params)
            .await
            .context("WebAuthn.setResponseOverrideBits")?;
        Ok(())
    }

    async fn credential_count(&self, id: &AuthenticatorId) -> anyhow::Result<usize> {
        let creds = self
            .page
            .execute(GetCredentialsParams::new(id.clone()))
            .await
            .context("WebAuthn.getCredentials")?;
        Ok(creds.result.credentials.len())
    }

    /// Signs out with the header's button and signs in again with login and password.
    async fn sign_out_and_in(&self) -> anyhow::Result<()> {
        self.click(".who form[action='/abmelden'] button[type=submit]")
            .await?;
        self.wait_for_path("the sign-in page after signing out", |p| {
            p.starts_with("/anmelden")
        })
        .await?;
        self.type_into("#login", LOGIN).await?;
        self.type_into("#password", PASSWORD).await?;
        self.click("form[action='/anmelden'] button[type=submit]")
            .await?;
        self.wait_for_path("the register after signing in", |p| p == "/")
            .await?;
        self.wait_for_selector(".who .user").await?;
        ensure_eq(
            &self.text(".who .user").await?,
            DISPLAY_NAME,
            "signed-in user",
        )
    }
}
