//! The command line: `serve`, `demo`, `migrate`, `school create`, `keys generate`,
//! `audit verify`, `retention run`. Errors are printed in German and end with a non-zero exit code.

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::startup::Application;
use clap::{Args, Parser, Subcommand};
use secrecy::ExposeSecret;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "klassenbuch",
    version,
    about = "Digitales Klassenbuch für Schulen – mit zweitem Faktor nach § 13 SchulDSVO",
    long_about = "Digitales Klassenbuch für Schulen.\n\n\
        Einstellungen kommen aus einer TOML-Datei (--config) und aus Umgebungsvariablen der \
        Form KLASSENBUCH__ABSCHNITT__SCHLÜSSEL, z. B. KLASSENBUCH__DATABASE__URL. \
        Alle Einstellungen mit ihren Standardwerten stehen in docs/configuration.md."
)]
pub struct Cli {
    /// Konfigurationsdatei (TOML). Ohne Angabe gelten Standardwerte und Umgebungsvariablen.
    #[arg(long, short, global = true, env = "KLASSENBUCH_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Startet den Server für den Echtbetrieb (Einstellungen aus --config und Umgebung).
    Serve,
    /// Startet eine Vorführung mit zwei Beispielschulen auf http://localhost:PORT.
    ///
    /// Legt eine neue SQLite-Datenbank im Datenverzeichnis an und schreibt alle
    /// Beispielkonten (Anmeldename, Passwort, TOTP-Schlüssel) nach DIR/demo-accounts.json.
    /// Nicht für echte Schülerdaten verwenden.
    Demo(DemoArgs),
    /// Bringt das Datenbankschema auf den neuesten Stand (geschieht auch beim Start).
    Migrate,
    /// Verwaltet Schulen.
    #[command(subcommand)]
    School(SchoolCommand),
    /// Verwaltet die Schlüssel für die Verschlüsselung sensibler Daten.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Prüft das Protokoll.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Löscht nach den Löschfristen der Schulen (vorher Archivexport der Klassenbücher).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Erstellt im laufenden Betrieb eine konsistente Sicherung der Datenbank (SQLite:
    /// VACUUM INTO; PostgreSQL: pg_dump) und daneben DATEI.meta.json mit der Schemaversion.
    /// Der Schlüssel ist nicht enthalten: sichern Sie die Schlüsseldatei getrennt. Mit
    /// database.schools wird jede Datenbank gesichert: die Standarddatenbank nach DATEI, jede
    /// weitere nach DATEI-KENNUNG.
    Backup {
        /// Zieldatei, z. B. /var/backups/klassenbuch/2026-11-23.sqlite
        #[arg(long)]
        to: PathBuf,
    },
    /// Stellt eine Sicherung wieder her (Server vorher anhalten). Lehnt Sicherungen eines
    /// neueren Schemas ab und prüft danach Integrität und Protokollkette.
    Restore {
        /// Die Sicherungsdatei (DATEI.meta.json muss daneben liegen).
        file: PathBuf,
        /// Ziel-Datenbank (Standard: database.url). Mit database.schools für die Sicherung
        /// einer weiteren Datenbank deren URL angeben.
        #[arg(long)]
        database: Option<String>,
    },
    /// Importiert Stammdaten aus einer CSV-Datei der Schulverwaltung (siehe
    /// docs/import/README.md). Ohne --apply wird nur geprüft und die Vorschau gezeigt; bei
    /// einem Fehler wird nichts gespeichert und der Exit-Code ist nicht 0.
    Import(crate::import::cli::ImportArgs),
    /// Gibt die SQL-Befehle aus, die ein migriertes PostgreSQL-Schema auf einem
    /// Citus-Cluster nach Schulen verteilt (Verteilungsspalte school_id; siehe
    /// docs/operations.md). Ändert selbst nichts.
    CitusSql,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Port auf localhost.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Verzeichnis für Datenbank, Schlüssel und demo-accounts.json (wird neu angelegt).
    #[arg(long, default_value = "demo-data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum SchoolCommand {
    /// Legt eine Schule an und gibt einen einmaligen Einrichtungslink für die erste
    /// Schulleitung aus. Es gibt keine voreingestellten Konten.
    Create {
        /// Name der Schule, z. B. "Gymnasium an der Förde".
        #[arg(long)]
        name: String,
        /// Anmeldename der ersten Schulleitung, z. B. "m.petersen".
        #[arg(long)]
        headteacher_login: String,
        /// Angezeigter Name der Schulleitung (Standard: der Anmeldename).
        #[arg(long)]
        headteacher_name: Option<String>,
        /// Schulnummer. Mit database.schools legt sie fest, in welcher Datenbank die Schule
        /// liegt (erst die Zuordnung eintragen, dann anlegen). Ohne Angabe: die nächste
        /// freie Nummer, die keiner anderen Datenbank zugeordnet ist (Standarddatenbank).
        #[arg(long)]
        id: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Erzeugt eine neue Schlüsseldatei (oder hängt einen neuen Schlüssel an eine bestehende an).
    Generate {
        /// Ziel-Datei, z. B. /etc/klassenbuch/keys.
        #[arg(long)]
        out: PathBuf,
        /// Kennung des neuen Schlüssels (Standard: k + Datum).
        #[arg(long)]
        id: Option<String>,
    },
    /// Verschlüsselt alle sensiblen Werte neu unter dem aktuellen (letzten) Schlüssel der
    /// Schlüsseldatei. Kann unterbrochen und erneut gestartet werden; danach kann der alte
    /// Schlüssel aus der Datei entfernt werden.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Prüft die Hash-Kette des Protokolls aller Schulen.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Wendet die Löschfristen an: schreibt zuerst die fälligen Klassenbücher als PDF ins
    /// Archivverzeichnis (retention.archive_dir), löscht dann und hinterlässt je Regel
    /// einen Löschnachweis.
    Run {
        /// Nur anzeigen, was gelöscht würde; nichts ändern.
        #[arg(long)]
        dry_run: bool,
        /// Nur diese Schule (Nummer); ohne Angabe alle Schulen.
        #[arg(long)]
        school: Option<i64>,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Fehler: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logging: `RUST_LOG` wins over `log.level`; `log.format = "json"` writes one JSON object
/// per line; colours only on a terminal.
fn init_tracing(settings: &Settings) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&settings.log.level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if settings.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => crate::demo::run(args),
        Command::CitusSql => {
            print!("{}", crate::db::distribution::citus_sql());
            Ok(())
        }
        Command::Keys(KeysCommand::Generate { out, id }) => {
            let id = id.unwrap_or_else(|| format!("k{}", SystemClock.now().format("%Y%m%d%H%M")));
            crate::demo::append_key(&out, &id)?;
            println!("Neuer Schlüssel »{id}« in {} gespeichert.", out.display());
            println!("Sichern Sie diese Datei getrennt von den Datenbank-Sicherungen.");
            Ok(())
        }
        command => {
            let settings = Settings::load(cli.config.as_deref())?;
            init_tracing(&settings);
            match command {
                Command::Serve => serve(settings),
                Command::Migrate => {
                    let db = crate::cli_connect(&settings)?;
                    let n = db.migrate()?;
                    println!("{n} Migration(en) angewendet.");
                    Ok(())
                }
                Command::School(SchoolCommand::Create {
                    name,
                    headteacher_login,
                    headteacher_name,
                    id,
                }) => {
                    let db = crate::cli_connect(&settings)?;
                    db.migrate()?;
                    let link = crate::demo::create_school_with_setup_link(
                        &db,
                        &settings,
                        &SystemClock,
                        &name,
                        &headteacher_login,
                        headteacher_name.as_deref().unwrap_or(&headteacher_login),
                        id,
                    )?;
                    println!("Schule »{name}« angelegt.");
                    println!(
                        "Einmaliger Einrichtungslink für {headteacher_login} (gültig {} Stunden):",
                        settings.security.setup_link_valid_hours
                    );
                    println!("{link}");
                    Ok(())
                }
                Command::Backup { to } => {
                    let db = crate::cli_connect(&settings)?;
                    for (i, one) in db.all().iter().enumerate() {
                        let target = match one.cookie_tag() {
                            Some(tag) if i > 0 => {
                                let mut name = to.as_os_str().to_owned();
                                name.push(format!("-{tag}"));
                                PathBuf::from(name)
                            }
                            _ => to.clone(),
                        };
                        let meta = crate::ops::backup::backup(one, &target, SystemClock.now())?;
                        let of = if db.is_mapped() {
                            format!(" (Datenbank {})", one.label())
                        } else {
                            String::new()
                        };
                        println!(
                            "Sicherung geschrieben{of}: {} (Schemaversion {}).",
                            target.display(),
                            meta.schema_version
                        );
                    }
                    println!("Die Schlüsseldatei ist nicht enthalten; sichern Sie sie getrennt.");
                    Ok(())
                }
                Command::Restore { file, database } => {
                    let url = database
                        .unwrap_or_else(|| settings.database.url.expose_secret().to_owned());
                    let report = crate::ops::backup::restore(&url, &file)?;
                    println!(
                        "Wiederhergestellt: Schemaversion {}, {} Protokolleinträge geprüft.",
                        report.schema_version, report.audit_records
                    );
                    Ok(())
                }
                Command::Keys(KeysCommand::Rotate) => {
                    let keys = settings.keyring()?;
                    let db = crate::cli_connect(&settings)?;
                    db.migrate()?;
                    let mut rotated = 0;
                    for d in db.all() {
                        let mut conn = d.get()?;
                        let report = crate::sealed::rotate(&mut conn, &keys, 500, |table, n| {
                            println!("  {table}: {n} Werte neu verschlüsselt");
                        })?;
                        rotated += report.rotated;
                    }
                    println!(
                        "Fertig: {rotated} Werte stehen jetzt unter Schlüssel »{}«.",
                        keys.current_id()
                    );
                    Ok(())
                }
                Command::Import(args) => {
                    let keys = settings.keyring()?;
                    let db = crate::cli_connect(&settings)?;
                    db.migrate()?;
                    let mut out = std::io::stdout();
                    crate::import::cli::run(&db, &keys, SystemClock.now(), &args, &mut out)?;
                    Ok(())
                }
                Command::Audit(AuditCommand::Verify) => {
                    let db = crate::cli_connect(&settings)?;
                    let mut checked = 0;
                    for d in db.all() {
                        let mut conn = d.get()?;
                        match crate::db::audit::verify_chains(&mut conn)? {
                            Ok(n) => checked += n,
                            Err(id) if db.is_mapped() => anyhow::bail!(
                                "Protokoll verändert: Eintrag {id} in der Datenbank {} passt \
                                 nicht zur Kette.",
                                d.label()
                            ),
                            Err(id) => anyhow::bail!(
                                "Protokoll verändert: Eintrag {id} passt nicht zur Kette."
                            ),
                        }
                    }
                    println!("Protokoll unversehrt: {checked} Einträge geprüft.");
                    Ok(())
                }
                Command::Retention(RetentionCommand::Run { dry_run, school }) => {
                    let db = crate::cli_connect(&settings)?;
                    db.migrate()?;
                    let ids = school.map(|s| vec![s]);
                    let databases = match school {
                        Some(s) => {
                            let d = db.for_school(s);
                            if crate::db::schools::find(&mut *d.get()?, s)?.is_none() {
                                anyhow::bail!("Es gibt keine Schule mit der Kennung {s}.");
                            }
                            vec![d]
                        }
                        None => db.all(),
                    };
                    let mut runs = Vec::new();
                    for d in databases {
                        let mut conn = d.get()?;
                        runs.extend(crate::gdpr::retention::run_schools(
                            &mut conn,
                            ids.as_deref(),
                            &settings.retention.archive_dir,
                            SystemClock.now(),
                            dry_run,
                        )?);
                    }
                    for (plan, done) in &runs {
                        println!("Schule {}:", plan.school_id);
                        if plan.items.is_empty() {
                            println!("  nichts fällig");
                        }
                        for item in &plan.items {
                            let verb = if dry_run {
                                "würde löschen"
                            } else {
                                "fällig"
                            };
                            println!("  [{}] {verb}: {} ({})", item.rule, item.what, item.count);
                        }
                        for d in done {
                            println!("  [{}] gelöscht: {} Datensätze", d.rule, d.count);
                            for f in &d.archive {
                                println!("    Archiv: {}", f.display());
                            }
                        }
                    }
                    Ok(())
                }
                Command::Demo(_)
                | Command::CitusSql
                | Command::Keys(KeysCommand::Generate { .. }) => Ok(()),
            }
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    if settings.server.public_origin.is_empty() {
        anyhow::bail!(
            "server.public_origin ist nicht gesetzt (z. B. https://klassenbuch.schule.de); \
             ohne sie funktionieren Anmeldung mit Sicherheitsschlüssel und CSRF-Schutz nicht."
        );
    }
    let keys = settings.keyring()?;
    runtime()?.block_on(async move {
        let app = Application::build(settings, Arc::new(SystemClock), keys)?;
        tracing::info!(port = app.port(), "Klassenbuch gestartet");
        app.run_with_signals().await?;
        Ok(())
    })
}

/// Runs a built application on a fresh runtime (used by `demo`).
pub fn serve_app(settings: Settings, keys: crate::crypto::Keyring) -> anyhow::Result<()> {
    init_tracing(&settings);
    runtime()?.block_on(async move {
        let app = Application::build(settings, Arc::new(SystemClock), keys)?;
        app.run_with_signals().await?;
        Ok(())
    })
}
