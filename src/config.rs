//! Typed configuration: defaults, then a TOML file, then environment variables
//! (`KLASSENBUCH__SECTION__KEY`). Validated once at start-up; secrets never print.

use crate::crypto::Keyring;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use url::Url;

/// Everything the application needs to start.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub keys: KeySettings,
    pub session: SessionSettings,
    pub security: SecuritySettings,
    pub log: LogSettings,
    /// The retention job and its archive ([operations.md](../docs/operations.md)).
    #[serde(default)]
    pub retention: RetentionSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Whether `serve` runs the retention job once a day.
    pub daily: bool,
    /// School-local time of the daily run, `HH:MM`.
    pub run_at: String,
    /// Where the archive exports (printed registers as PDF) are written before register
    /// data is deleted.
    pub archive_dir: PathBuf,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            daily: true,
            run_at: "02:30".into(),
            archive_dir: PathBuf::from("archiv"),
        }
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port to listen on.
    pub bind: String,
    /// The address users type into the browser, e.g. `https://klassenbuch.schule-am-meer.de`.
    /// The WebAuthn relying-party id is its host name. Empty means `http://localhost:<port>`
    /// (only for the demo and tests).
    pub public_origin: String,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Worker threads (0 = one per core).
    pub workers: usize,
    /// On SIGTERM, how long `/readyz` reports "not ready" before the server stops accepting
    /// (so a load balancer takes the instance out first), in seconds.
    pub shutdown_drain_seconds: u64,
    /// How long in-flight requests may still finish after that, in seconds.
    pub shutdown_timeout_seconds: u64,
    /// Bearer token for `/metrics`. Empty: `/metrics` answers only requests from loopback.
    #[serde(serialize_with = "serialize_plain_secret", default)]
    pub metrics_token: String,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (e.g. `["127.0.0.1"]`).
    /// Empty: the TCP peer is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

impl std::fmt::Debug for ServerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSettings")
            .field("bind", &self.bind)
            .field("public_origin", &self.public_origin)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("workers", &self.workers)
            .field("shutdown_drain_seconds", &self.shutdown_drain_seconds)
            .field("shutdown_timeout_seconds", &self.shutdown_timeout_seconds)
            .field("trusted_proxies", &self.trusted_proxies)
            .field(
                "metrics_token",
                &if self.metrics_token.is_empty() {
                    ""
                } else {
                    "[verborgen]"
                },
            )
            .finish()
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite:///var/lib/klassenbuch/klassenbuch.sqlite` or `postgres://user@host/db`.
    #[serde(serialize_with = "serialize_secret")]
    pub url: SecretString,
    /// Connections per app instance.
    pub pool_size: u32,
    /// How long SQLite waits for a write lock before giving up, in milliseconds.
    pub busy_timeout_ms: u32,
    /// The school → database map for spreading schools over several databases: school
    /// number → URL. Schools not named here live in `url`. Empty: one database.
    #[serde(default)]
    pub schools: BTreeMap<String, String>,
}

impl DatabaseSettings {
    /// `schools` with the school numbers parsed; names the entry that is not a number.
    pub fn school_map(&self) -> Result<BTreeMap<i64, String>, String> {
        self.schools
            .iter()
            .map(|(school, url)| match school.trim().parse::<i64>() {
                Ok(id) if id > 0 => Ok((id, url.trim().to_owned())),
                _ => Err(format!(
                    "database.schools: »{school}« ist keine Schulnummer (erwartet z. B. \
                     \"12\" = \"postgres://…\")."
                )),
            })
            .collect()
    }
}

fn serialize_plain_secret<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(self.url.expose_secret()))
            .field("pool_size", &self.pool_size)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .field(
                "schools",
                &self
                    .schools
                    .iter()
                    .map(|(k, v)| (k.as_str(), redact_url(v)))
                    .collect::<BTreeMap<_, _>>(),
            )
            .finish()
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    /// Path of the key file (one `key-id base64-key` per line; the last line is the current key).
    pub file: Option<PathBuf>,
    /// Alternatively the same content directly (lines separated by `;`), e.g. from a secret store.
    #[serde(serialize_with = "serialize_secret_opt")]
    pub inline: Option<SecretString>,
}

impl std::fmt::Debug for KeySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySettings")
            .field("file", &self.file)
            .field("inline", &self.inline.as_ref().map(|_| "[verborgen]"))
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_timeout_minutes: i64,
    pub absolute_timeout_hours: i64,
    pub elevation_idle_minutes: i64,
    pub elevation_absolute_minutes: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// How long a one-time setup link stays valid, in hours.
    pub setup_link_valid_hours: i64,
    /// Concurrent password hashes (0 = one per core). Bounds the CPU a login storm can take.
    pub hashing_threads: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `tracing` filter, e.g. `info` or `klassenbuch=debug,info`.
    pub level: String,
    /// `text` or `json`.
    pub format: String,
}

// `Serialize` exists only to hand the defaults to figment; `Debug` is what could reach a
// log, and it redacts.
fn serialize_secret<S: serde::Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.expose_secret())
}

fn serialize_secret_opt<S: serde::Serializer>(
    v: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(v.expose_secret()),
        None => s.serialize_none(),
    }
}

/// Removes the password from a database URL for display.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "[ungültige URL]".to_owned(),
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            server: ServerSettings {
                bind: "127.0.0.1:8080".into(),
                public_origin: String::new(),
                max_body_bytes: 256 * 1024,
                workers: 0,
                shutdown_drain_seconds: 5,
                shutdown_timeout_seconds: 20,
                metrics_token: String::new(),
                trusted_proxies: Vec::new(),
            },
            database: DatabaseSettings {
                url: SecretString::from("sqlite://klassenbuch.sqlite"),
                pool_size: 8,
                busy_timeout_ms: 5000,
                schools: BTreeMap::new(),
            },
            keys: KeySettings {
                file: None,
                inline: None,
            },
            session: SessionSettings {
                idle_timeout_minutes: 30,
                absolute_timeout_hours: 12,
                elevation_idle_minutes: 15,
                elevation_absolute_minutes: 60,
            },
            security: SecuritySettings {
                setup_link_valid_hours: 72,
                hashing_threads: 0,
            },
            log: LogSettings {
                level: "info".into(),
                format: "text".into(),
            },
            retention: RetentionSettings::default(),
        }
    }
}

/// A configuration problem, described for the operator in German.
#[derive(Debug, thiserror::Error)]
#[error("Konfigurationsfehler: {0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// Loads defaults, then `file` (if given), then `KLASSENBUCH__…` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "Die Konfigurationsdatei »{}« existiert nicht.",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("KLASSENBUCH__").split("__"));
        let settings: Settings = figment.extract().map_err(|e| ConfigError(format!("{e}")))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks everything that can be checked without touching the database.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.server.public_origin.is_empty() {
            parse_origin(&self.server.public_origin)?;
        }
        for p in &self.server.trusted_proxies {
            if p.parse::<std::net::IpAddr>().is_err() {
                return Err(ConfigError(format!(
                    "server.trusted_proxies: »{p}« ist keine IP-Adresse."
                )));
            }
        }
        let kind = crate::db::DbKind::from_url(self.database.url.expose_secret())
            .map_err(|e| ConfigError(e.to_string()))?;
        for (school, url) in self.database.school_map().map_err(ConfigError)? {
            match crate::db::DbKind::from_url(&url) {
                Ok(k) if k == kind => {}
                Ok(_) => {
                    return Err(ConfigError(format!(
                        "database.schools.{school}: alle Datenbanken müssen von derselben Art \
                         sein wie database.url (SQLite oder PostgreSQL)."
                    )));
                }
                Err(e) => return Err(ConfigError(format!("database.schools.{school}: {e}"))),
            }
        }
        if self.database.pool_size == 0 {
            return Err(ConfigError(
                "database.pool_size muss mindestens 1 sein.".into(),
            ));
        }
        let s = &self.session;
        for (name, v) in [
            ("session.idle_timeout_minutes", s.idle_timeout_minutes),
            ("session.absolute_timeout_hours", s.absolute_timeout_hours),
            ("session.elevation_idle_minutes", s.elevation_idle_minutes),
            (
                "session.elevation_absolute_minutes",
                s.elevation_absolute_minutes,
            ),
            (
                "security.setup_link_valid_hours",
                self.security.setup_link_valid_hours,
            ),
        ] {
            if v <= 0 {
                return Err(ConfigError(format!("{name} muss größer als 0 sein.")));
            }
        }
        if chrono::NaiveTime::parse_from_str(&self.retention.run_at, "%H:%M").is_err() {
            return Err(ConfigError(format!(
                "retention.run_at »{}« ist keine Uhrzeit der Form HH:MM.",
                self.retention.run_at
            )));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError(
                "log.format muss »text« oder »json« sein.".into(),
            ));
        }
        Ok(())
    }

    /// Loads the encryption keys named by `keys.file` / `keys.inline`.
    pub fn keyring(&self) -> Result<Keyring, ConfigError> {
        match (&self.keys.file, &self.keys.inline) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!(
                        "Die Schlüsseldatei »{}« kann nicht gelesen werden: {e}",
                        path.display()
                    ))
                })?;
                Keyring::parse(&text)
                    .map_err(|e| ConfigError(format!("Schlüsseldatei »{}«: {e}", path.display())))
            }
            (None, Some(inline)) => Keyring::parse(&inline.expose_secret().replace(';', "\n"))
                .map_err(|e| ConfigError(format!("keys.inline: {e}"))),
            (None, None) => Err(ConfigError(
                "Kein Schlüssel konfiguriert: keys.file (Pfad zur Schlüsseldatei) oder \
                 KLASSENBUCH__KEYS__INLINE setzen. Eine neue Datei erzeugt \
                 »klassenbuch keys generate --out DATEI«."
                    .into(),
            )),
        }
    }
}

/// Parses and checks a public origin: `https://host[:port]`, or `http://localhost[:port]`.
pub fn parse_origin(origin: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(origin).map_err(|e| {
        ConfigError(format!(
            "server.public_origin »{origin}« ist keine gültige Adresse ({e})."
        ))
    })?;
    let host = url.host_str().unwrap_or_default().to_owned();
    if url.path() != "/" || url.query().is_some() {
        return Err(ConfigError(format!(
            "server.public_origin »{origin}« darf keinen Pfad enthalten (nur Schema, Host, Port)."
        )));
    }
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return Err(ConfigError(format!(
            "server.public_origin »{origin}«: eine IP-Adresse kann keine WebAuthn-Domain sein; \
             bitte einen Hostnamen verwenden."
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if host == "localhost" => Ok(url),
        _ => Err(ConfigError(format!(
            "server.public_origin »{origin}« muss mit https:// beginnen \
             (http:// nur für localhost)."
        ))),
    }
}
