//! The harness shared by the browser tests: the app in this process on a fresh SQLite file,
//! and headless Chromium driven over CDP. Included with `#[path]` by `tests/browser.rs` and
//! `tests/screenshot.rs`; each uses part of it.

#![allow(dead_code)]

use anyhow::{Context, anyhow, bail};
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::page::{Page, ScreenshotParams};
use futures_util::StreamExt;
use klassenbuch::clock::{Clock, SystemClock};
use klassenbuch::config::Settings;
use klassenbuch::crypto::Keyring;
use klassenbuch::startup::{AppState, Application};
use secrecy::SecretString;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How long one browser step may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// How often a condition is polled.
pub const POLL: Duration = Duration::from_millis(100);

/// The application, running in this process on a fresh SQLite database.
pub struct TestApp {
    /// `http://localhost:PORT`.
    pub origin: String,
    pub state: actix_web::web::Data<AppState>,
    pub clock: Arc<dyn Clock>,
}

impl TestApp {
    pub fn start(dir: &Path) -> Self {
        let mut settings = Settings::default();
        settings.server.bind = "127.0.0.1:0".into();
        settings.server.workers = 1;
        settings.server.public_origin = String::new();
        settings.database.url = SecretString::from(format!(
            "sqlite://{}",
            dir.join("klassenbuch.sqlite").display()
        ));
        let keys = Keyring::parse(&Keyring::generate_line("t1")).expect("test key");
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let app = Application::build(settings, clock.clone(), keys).expect("build the app");
        let origin = format!("http://localhost:{}", app.port());
        let state = app.state.clone();
        tokio::spawn(app.run_until_stopped());
        Self {
            origin,
            state,
            clock,
        }
    }
}

/// Headless Chromium with one tab.
pub struct Chromium {
    browser: Browser,
    handler: JoinHandle<()>,
    pub page: Page,
}

impl Chromium {
    /// Starts Chromium with a window of `size` and, besides the usual flags for a closed
    /// network, `extra_args`.
    pub async fn launch(dir: &Path, size: (u32, u32), extra_args: &[&str]) -> anyhow::Result<Self> {
        let executable = std::env::var_os("KLASSENBUCH_CHROMIUM")
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
        if !executable.is_file() {
            bail!("Chromium not found at {}", executable.display());
        }
        let profile = dir.join("chromium-profile");
        std::fs::create_dir_all(&profile)?;
        let config = BrowserConfig::builder()
            .chrome_executable(&executable)
            .disable_default_args()
            .new_headless_mode()
            .no_sandbox()
            .user_data_dir(&profile)
            .args(
                [
                    "disable-gpu",
                    "disable-dev-shm-usage",
                    "disable-quic",
                    "no-first-run",
                    "no-default-browser-check",
                    "disable-background-networking",
                    "disable-component-update",
                    "disable-sync",
                    "disable-extensions",
                ]
                .iter()
                .chain(extra_args)
                .copied(),
            )
            .window_size(size.0, size.1)
            .launch_timeout(TIMEOUT)
            .request_timeout(TIMEOUT)
            .build()
            .map_err(|e| anyhow!("browser configuration: {e}"))?;
        let (browser, mut handler) = Browser::launch(config)
            .await
            .with_context(|| format!("launching {}", executable.display()))?;
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if let Err(e) = event {
                    eprintln!("CDP handler: {e}");
                }
            }
        });
        let page = browser
            .new_page("about:blank")
            .await
            .context("opening a tab")?;
        Ok(Self {
            browser,
            handler,
            page,
        })
    }

    pub async fn close(mut self) {
        match tokio::time::timeout(Duration::from_secs(10), self.browser.close()).await {
            Ok(Ok(_)) => {}
            _ => {
                let _ = self.browser.kill().await;
            }
        }
        if tokio::time::timeout(Duration::from_secs(10), self.browser.wait())
            .await
            .is_err()
        {
            let _ = self.browser.kill().await;
        }
        self.handler.abort();
    }

    /// Navigates and waits for the page to load.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        tokio::time::timeout(TIMEOUT, self.page.goto(url))
            .await
            .map_err(|_| anyhow!("opening {url} took longer than {TIMEOUT:?}"))?
            .with_context(|| format!("opening {url}"))?;
        Ok(())
    }

    /// Evaluates `expression` in the page (CDP, so the page's CSP does not apply) and
    /// returns its value.
    pub async fn eval(&self, expression: &str) -> anyhow::Result<Value> {
        let params = EvaluateParams::builder()
            .expression(expression)
            .return_by_value(true)
            .await_promise(true)
            .build()
            .map_err(|e| anyhow!("{e}"))?;
        let resp = tokio::time::timeout(TIMEOUT, self.page.execute(params))
            .await
            .map_err(|_| anyhow!("evaluating took longer than {TIMEOUT:?}"))??;
        if let Some(ex) = &resp.result.exception_details {
            bail!("{expression}: {}", ex.text);
        }
        Ok(resp.result.result.value.clone().unwrap_or(Value::Null))
    }

    /// Polls `condition` (a JavaScript expression) until it is `true`.
    pub async fn wait_until(&self, what: &str, condition: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let last = match self.eval(condition).await {
                Ok(Value::Bool(true)) => return Ok(()),
                Ok(v) => format!("last value {v}"),
                // Evaluating during a navigation may fail: try again.
                Err(e) => format!("last error {e:#}"),
            };
            if Instant::now() >= deadline {
                bail!("waited {TIMEOUT:?} for {what} ({condition}; {last})");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the page has loaded and shows an element matching `selector`.
    pub async fn wait_for_selector(&self, selector: &str) -> anyhow::Result<()> {
        let sel = serde_json::to_string(selector)?;
        self.wait_until(
            &format!("»{selector}«"),
            &format!(
                "document.readyState === 'complete' && (() => {{ \
                   const el = document.querySelector({sel}); \
                   return !!el && !el.closest('[hidden]') && el.getClientRects().length > 0; \
                 }})()"
            ),
        )
        .await
    }

    /// Path and query of the current page.
    pub async fn path(&self) -> anyhow::Result<String> {
        let v = self.eval("location.pathname + location.search").await?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("location is {v}"))
    }

    /// Waits until the loaded page's path and query satisfy `ok`.
    pub async fn wait_for_path(&self, what: &str, ok: impl Fn(&str) -> bool) -> anyhow::Result<()> {
        let deadline = Instant::now() + TIMEOUT;
        let mut last = String::new();
        loop {
            match self
                .eval("document.readyState === 'complete' ? location.pathname + location.search : null")
                .await
            {
                Ok(Value::String(p)) if ok(&p) => return Ok(()),
                Ok(Value::String(p)) => last = p,
                Ok(_) => {}
                Err(e) => last = format!("{e:#}"),
            }
            if Instant::now() >= deadline {
                bail!("waited {TIMEOUT:?} for {what}; the browser is at {last}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Clicks the element like a person: a real mouse click at its centre.
    pub async fn click(&self, selector: &str) -> anyhow::Result<()> {
        self.wait_for_selector(selector).await?;
        self.page
            .find_element(selector)
            .await
            .with_context(|| format!("finding »{selector}«"))?
            .click()
            .await
            .with_context(|| format!("clicking »{selector}«"))?;
        Ok(())
    }

    /// Focuses a field and types `text` into it (as text input, so umlauts work).
    pub async fn type_into(&self, selector: &str, text: &str) -> anyhow::Result<()> {
        self.click(selector).await?;
        self.page
            .execute(InsertTextParams::new(text))
            .await
            .context("Input.insertText")?;
        let sel = serde_json::to_string(selector)?;
        let value = self
            .eval(&format!("document.querySelector({sel}).value"))
            .await?;
        if value.as_str() != Some(text) {
            bail!("»{selector}« holds {value} after typing");
        }
        Ok(())
    }

    /// The trimmed text of the first element matching `selector`.
    pub async fn text(&self, selector: &str) -> anyhow::Result<String> {
        let sel = serde_json::to_string(selector)?;
        let v = self
            .eval(&format!(
                "(document.querySelector({sel}) || {{}}).textContent"
            ))
            .await?;
        v.as_str()
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| anyhow!("no element »{selector}«"))
    }

    /// The current URL and the text of `main`, and a screenshot in `dir`.
    pub async fn diagnose(&self, dir: &Path) -> String {
        let url = self
            .eval("location.href")
            .await
            .map_or_else(|e| format!("unknown ({e:#})"), |v| v.to_string());
        let main = self
            .eval("(document.querySelector('main') || document.body || {}).innerText")
            .await
            .map_or_else(
                |e| format!("unknown ({e:#})"),
                |v| v.as_str().unwrap_or_default().to_owned(),
            );
        let shot = dir.join("failure.png");
        let saved = tokio::time::timeout(
            TIMEOUT,
            self.page.save_screenshot(
                ScreenshotParams::builder()
                    .format(CaptureScreenshotFormat::Png)
                    .full_page(true)
                    .build(),
                &shot,
            ),
        )
        .await;
        let shot = match saved {
            Ok(Ok(_)) => format!("screenshot: {}", shot.display()),
            Ok(Err(e)) => format!("no screenshot: {e}"),
            Err(_) => "no screenshot: timed out".to_owned(),
        };
        format!("current URL: {url}\n--- main ---\n{main}\n------------\n{shot}")
    }

    /// Saves a PNG screenshot of the page (or of the whole page) to `path`.
    pub async fn screenshot(&self, path: &Path, full_page: bool) -> anyhow::Result<()> {
        let params = ScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .full_page(full_page)
            .build();
        tokio::time::timeout(TIMEOUT, self.page.save_screenshot(params, path))
            .await
            .map_err(|_| anyhow!("the screenshot took longer than {TIMEOUT:?}"))?
            .with_context(|| format!("screenshot {}", path.display()))?;
        Ok(())
    }
}
