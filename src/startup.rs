//! Assembling the application: state, middleware, routes, and the HTTP server.

use crate::auth::password::Hasher;
use crate::clock::Clock;
use crate::config::{ConfigError, Settings, parse_origin};
use crate::crypto::Keyring;
use crate::db::Db;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing_actix_web::TracingLogger;
use url::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// Shared, read-only application state. Everything mutable lives in the database.
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub keys: Arc<Keyring>,
    pub origin: Url,
    pub webauthn: Arc<Webauthn>,
    pub hasher: Hasher,
    /// False while the instance shuts down (so `/readyz` fails before it stops accepting).
    pub ready: Arc<AtomicBool>,
    pub metrics: Arc<crate::ops::metrics::Metrics>,
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    pub state: web::Data<AppState>,
}

/// Builds the one `Webauthn` instance; refuses to start if origin and RP id disagree.
pub fn build_webauthn(origin: &Url) -> Result<Webauthn, ConfigError> {
    let rp_id = origin
        .host_str()
        .ok_or_else(|| ConfigError("server.public_origin hat keinen Hostnamen.".into()))?;
    WebauthnBuilder::new(rp_id, origin)
        .and_then(|b| b.rp_name("Klassenbuch").build())
        .map_err(|e| {
            ConfigError(format!(
                "WebAuthn: Herkunft »{origin}« und RP-ID »{rp_id}« passen nicht zusammen ({e})."
            ))
        })
}

impl Application {
    /// Binds the listener, connects and migrates the database, and prepares the server.
    pub fn build(
        settings: Settings,
        clock: Arc<dyn Clock>,
        keys: Keyring,
    ) -> Result<Self, anyhow::Error> {
        let listener = TcpListener::bind(&settings.server.bind).map_err(|e| {
            ConfigError(format!(
                "Kann nicht auf {} lauschen: {e}",
                settings.server.bind
            ))
        })?;
        let port = listener.local_addr()?.port();
        let origin = if settings.server.public_origin.is_empty() {
            parse_origin(&format!("http://localhost:{port}"))?
        } else {
            parse_origin(&settings.server.public_origin)?
        };
        let webauthn = build_webauthn(&origin)?;
        let db = Db::from_settings(&settings.database)?;
        db.migrate()?;
        db.check_school_map()?;
        let hasher = Hasher::new(settings.security.hashing_threads)?;
        let state = web::Data::new(AppState {
            db,
            clock,
            keys: Arc::new(keys),
            origin,
            webauthn: Arc::new(webauthn),
            hasher,
            ready: Arc::new(AtomicBool::new(true)),
            metrics: Arc::new(crate::ops::metrics::Metrics::default()),
            settings: Arc::new(settings),
        });
        let workers = match state.settings.server.workers {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        };
        let max_body = state.settings.server.max_body_bytes;
        let data = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::FormConfig::default().limit(max_body))
                .app_data(web::JsonConfig::default().limit(max_body))
                .app_data(web::PayloadConfig::default().limit(max_body))
                .wrap(from_fn(crate::web::middleware::session_and_csrf))
                .wrap(from_fn(crate::web::middleware::database_scope))
                .wrap(from_fn(crate::web::middleware::security_headers))
                .wrap(from_fn(crate::web::middleware::request_id_scope))
                .wrap(from_fn(crate::ops::metrics::track))
                .wrap(TracingLogger::default())
                .configure(crate::web::routes::configure)
        })
        .workers(workers)
        .shutdown_timeout(state.settings.server.shutdown_timeout_seconds)
        // Signals are handled in `run_with_signals`, which first turns readiness off.
        .disable_signals()
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until the server is stopped (SIGTERM / SIGINT end it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Runs until SIGTERM or SIGINT; then `/readyz` fails for `shutdown_drain_seconds`, the
    /// server stops accepting, lets in-flight requests finish (up to
    /// `shutdown_timeout_seconds`) and the pools close.
    pub async fn run_with_signals(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        crate::gdpr::jobs::spawn_daily(self.state.clone());
        let state = self.state.clone();
        tokio::spawn(async move {
            wait_for_stop_signal().await;
            state.ready.store(false, Ordering::SeqCst);
            let drain = state.settings.server.shutdown_drain_seconds;
            tracing::info!(
                drain_seconds = drain,
                "Beenden angefordert: nicht mehr bereit"
            );
            tokio::time::sleep(std::time::Duration::from_secs(drain)).await;
            handle.stop(true).await;
        });
        self.server.await
    }
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
