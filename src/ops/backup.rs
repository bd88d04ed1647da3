//! `klassenbuch backup` and `klassenbuch restore`.
//!
//! SQLite: an online, consistent copy with `VACUUM INTO` while the app serves. PostgreSQL:
//! `pg_dump --format=custom` / `pg_restore`. Every backup gets a sidecar `FILE.meta.json`
//! with backend, schema version and time; restore refuses a backup from a newer schema and
//! verifies integrity (SQLite `PRAGMA integrity_check`) and the audit chains afterwards.
//! Class B values and TOTP seeds are in the backup only as ciphertext; the key file is not
//! part of it and must be backed up separately.

use crate::db::{Db, DbConnection, DbKind, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, sqlite_path};
use anyhow::{Context, bail};
use diesel::QueryableByName;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the sidecar file records about a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackupMeta {
    pub backend: String,
    pub schema_version: String,
    pub created_at: String,
    pub app_version: String,
}

pub fn meta_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".meta.json");
    PathBuf::from(name)
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The newest applied migration of a connection's database.
pub fn schema_version(conn: &mut DbConnection) -> anyhow::Result<String> {
    let rows: Vec<VersionRow> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version DESC")
            .load(conn)
            .context("Schemaversion nicht lesbar (ist die Datenbank migriert?)")?;
    rows.into_iter()
        .next()
        .map(|r| r.version)
        .ok_or_else(|| anyhow::anyhow!("Die Datenbank hat noch kein Schema."))
}

/// The migration versions this build knows, oldest first.
pub fn known_versions(kind: DbKind) -> anyhow::Result<Vec<String>> {
    let err = |e: Box<dyn std::error::Error + Send + Sync>| anyhow::anyhow!("{e}");
    let mut v: Vec<String> = match kind {
        DbKind::Sqlite => MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .map_err(err)?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect(),
        DbKind::Postgres => MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
            .map_err(err)?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect(),
    };
    v.sort();
    Ok(v)
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Takes a consistent online backup into `to` (which must not exist yet).
pub fn backup(
    db: &Db,
    to: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<BackupMeta> {
    if to.exists() {
        bail!(
            "Die Zieldatei »{}« existiert bereits; bitte einen neuen Namen wählen.",
            to.display()
        );
    }
    let mut conn = db.get()?;
    let version = schema_version(&mut conn)?;
    let backend = match db.kind() {
        DbKind::Sqlite => {
            let target = to
                .to_str()
                .context("Der Pfad der Zieldatei ist kein gültiges UTF-8.")?;
            // VACUUM INTO writes a transactionally consistent copy while others keep writing.
            diesel::sql_query(format!("VACUUM INTO {}", sql_string(target)))
                .execute(&mut conn)
                .with_context(|| format!("Sicherung nach »{}« fehlgeschlagen", to.display()))?;
            "sqlite"
        }
        DbKind::Postgres => {
            let status = Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(to)
                .arg(db.url())
                .status()
                .context(
                    "pg_dump konnte nicht gestartet werden (Paket postgresql-client installiert?)",
                )?;
            if !status.success() {
                bail!("pg_dump ist mit {status} fehlgeschlagen.");
            }
            "postgres"
        }
    };
    let meta = BackupMeta {
        backend: backend.into(),
        schema_version: version,
        created_at: now.to_rfc3339(),
        app_version: env!("CARGO_PKG_VERSION").into(),
    };
    std::fs::write(meta_path(to), serde_json::to_string_pretty(&meta)?)
        .context("Die Begleitdatei der Sicherung konnte nicht geschrieben werden")?;
    Ok(meta)
}

/// What a restore verified.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub schema_version: String,
    pub audit_records: usize,
}

/// Restores `from` into the configured database. The app must be stopped. Refuses a backup
/// whose schema is newer than this build; migrates an older one; verifies integrity and the
/// audit chains.
pub fn restore(url: &str, from: &Path) -> anyhow::Result<RestoreReport> {
    let kind = DbKind::from_url(url)?;
    let meta_file = meta_path(from);
    let meta: BackupMeta =
        serde_json::from_str(&std::fs::read_to_string(&meta_file).with_context(|| {
            format!(
                "Begleitdatei »{}« fehlt oder ist nicht lesbar",
                meta_file.display()
            )
        })?)
        .with_context(|| format!("Begleitdatei »{}« ist beschädigt", meta_file.display()))?;
    let expected = match kind {
        DbKind::Sqlite => "sqlite",
        DbKind::Postgres => "postgres",
    };
    if meta.backend != expected {
        bail!(
            "Die Sicherung stammt von {}, konfiguriert ist {expected}.",
            meta.backend
        );
    }
    let known = known_versions(kind)?;
    if !known.contains(&meta.schema_version) {
        bail!(
            "Die Sicherung hat die Schemaversion {}, die diese Version von Klassenbuch nicht kennt \
             (neueste bekannte: {}). Bitte mit einer neueren Version wiederherstellen.",
            meta.schema_version,
            known.last().cloned().unwrap_or_default()
        );
    }
    match kind {
        DbKind::Sqlite => restore_sqlite(url, from)?,
        DbKind::Postgres => {
            let status = Command::new("pg_restore")
                .args([
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--dbname",
                ])
                .arg(url)
                .arg(from)
                .status()
                .context("pg_restore konnte nicht gestartet werden")?;
            if !status.success() {
                bail!("pg_restore ist mit {status} fehlgeschlagen.");
            }
        }
    }
    let db = Db::connect(url, 1, 5000)?;
    db.migrate()?;
    let mut conn = db.get()?;
    let audit_records = match crate::db::audit::verify_chains(&mut conn)? {
        Ok(n) => n,
        Err(id) => bail!("Nach der Wiederherstellung passt Protokolleintrag {id} nicht zur Kette."),
    };
    Ok(RestoreReport {
        schema_version: schema_version(&mut conn)?,
        audit_records,
    })
}

fn integrity_ok(path: &str) -> anyhow::Result<()> {
    let mut conn = diesel::sqlite::SqliteConnection::establish(path)?;
    let rows: Vec<IntegrityRow> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    let result: Vec<String> = rows.into_iter().map(|r| r.integrity_check).collect();
    if result != ["ok"] {
        bail!("Integritätsprüfung fehlgeschlagen: {}", result.join("; "));
    }
    Ok(())
}

#[derive(QueryableByName)]
struct IntegrityRow {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

fn restore_sqlite(url: &str, from: &Path) -> anyhow::Result<()> {
    let source = from
        .to_str()
        .context("Der Pfad der Sicherung ist kein gültiges UTF-8.")?;
    integrity_ok(source).context("Die Sicherung selbst ist beschädigt")?;
    let target = PathBuf::from(sqlite_path(url));
    // Copy next to the target, then rename: a crash leaves either the old or the new file.
    let staging = target.with_extension("restore-tmp");
    std::fs::copy(from, &staging)
        .with_context(|| format!("Kopieren nach »{}« fehlgeschlagen", staging.display()))?;
    for suffix in ["-wal", "-shm"] {
        let mut p = target.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.exists() {
            std::fs::remove_file(&p)?;
        }
    }
    std::fs::rename(&staging, &target)
        .with_context(|| format!("Ersetzen von »{}« fehlgeschlagen", target.display()))?;
    integrity_ok(sqlite_path(url))
}
