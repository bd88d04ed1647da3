//! `klassenbuch import --school ID --kind ART DATEI [--apply]`: the same pipeline as the web
//! pages. Without `--apply` it only checks and prints the preview; with it, it writes in one
//! transaction and records an audit entry. Any problem ends with a non-zero exit code and
//! nothing written. Large files show a progress bar on a terminal.

use super::plan::{Effect, Plan};
use super::{Kind, MAX_BYTES, Problem, apply, parse};
use crate::clock::school_today;
use crate::crypto::Keyring;
use crate::db::audit::{NewAudit, append};
use crate::db::{Db, schools};
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget};
use std::io::Write;
use std::path::PathBuf;

/// Files with more lines than this get a progress bar.
const PROGRESS_FROM_LINES: usize = 2_000;

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// Kennung (Zahl) der Schule, wie `school create` sie ausgibt.
    #[arg(long)]
    pub school: i64,
    /// Art der Datei: personal, faecher, klassen, schueler, erziehungsberechtigte, stundenplan.
    #[arg(long, value_parser = ["personal", "faecher", "klassen", "schueler", "erziehungsberechtigte", "stundenplan"])]
    pub kind: String,
    /// Die CSV-Datei (UTF-8 oder Windows-1252, Trennzeichen ; oder ,).
    pub file: PathBuf,
    /// Übernimmt die Änderungen; ohne diese Angabe wird nur geprüft und die Vorschau gezeigt.
    #[arg(long)]
    pub apply: bool,
}

/// Prints the problems and fails.
fn fail(out: &mut dyn Write, problems: &[Problem]) -> anyhow::Result<Plan> {
    writeln!(
        out,
        "Die Datei wurde nicht übernommen; es wurde nichts gespeichert."
    )?;
    for p in problems {
        writeln!(out, "  {p}")?;
    }
    anyhow::bail!("{} Fehler in der Datei", problems.len())
}

fn print_plan(out: &mut dyn Write, plan: &Plan) -> std::io::Result<()> {
    for c in &plan.changes {
        match c.line {
            Some(l) => writeln!(out, "  {:<24} Zeile {l}: {}", c.effect.label(), c.text)?,
            None => writeln!(out, "  {:<24} {}", c.effect.label(), c.text)?,
        }
    }
    writeln!(
        out,
        "{} Zeilen geprüft: {} neu, {} geändert, {} nicht mehr in der Datei.",
        plan.rows,
        plan.count(Effect::New),
        plan.count(Effect::Changed),
        plan.count(Effect::Leaving)
    )
}

/// Runs the import; the report goes to `out`. `Err` for any problem (after the report).
pub fn run(
    db: &Db,
    keys: &Keyring,
    now: DateTime<Utc>,
    args: &ImportArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Plan> {
    let kind =
        Kind::from_slug(&args.kind).with_context(|| format!("Unbekannte Art »{}«", args.kind))?;
    let file = args
        .file
        .file_name()
        .map_or_else(|| "Datei".to_owned(), |n| n.to_string_lossy().into_owned());
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("{} kann nicht gelesen werden", args.file.display()))?
        .len();
    if usize::try_from(size).map_or(true, |s| s > MAX_BYTES) {
        let p = Problem::file(
            &file,
            format!(
                "Die Datei ist zu groß ({} MB); erlaubt sind höchstens {} MB.",
                size.div_ceil(1024 * 1024),
                MAX_BYTES / (1024 * 1024)
            ),
        );
        return fail(out, &[p]);
    }
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("{} kann nicht gelesen werden", args.file.display()))?;
    let text = match parse::decode(&file, &bytes) {
        Ok(t) => t,
        Err(p) => return fail(out, &[p]),
    };
    let school_id = args.school;
    let db = &db.for_school(school_id);
    let mut conn = db.get()?;
    if schools::find(&mut conn, school_id)?.is_none() {
        anyhow::bail!("Es gibt keine Schule mit der Kennung {school_id}.");
    }
    let today = school_today(now);
    let lines = text.lines().count();
    let bar = if lines >= PROGRESS_FROM_LINES {
        ProgressBar::with_draw_target(Some(lines as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    let checked = apply::check(
        &mut conn,
        school_id,
        kind,
        &file,
        &text,
        today,
        keys,
        &|n| bar.set_position(n),
    )?;
    bar.finish_and_clear();
    let plan = match checked {
        Ok(plan) => plan,
        Err(problems) => return fail(out, &problems),
    };
    let taken = apply::logins_taken_elsewhere(db, school_id, &file, &plan)?;
    if !taken.is_empty() {
        return fail(out, &taken);
    }
    print_plan(out, &plan)?;
    if !args.apply {
        writeln!(out, "Nur geprüft; mit --apply übernehmen.")?;
        return Ok(plan);
    }
    let at = now.naive_utc();
    let applied = apply::apply(&mut conn, school_id, kind, &file, &text, at, today, keys)?;
    let plan = match applied {
        Ok(plan) => plan,
        Err(problems) => return fail(out, &problems),
    };
    append(
        &mut conn,
        at,
        &NewAudit {
            school_id: Some(school_id),
            action: "stammdaten_importiert".into(),
            object: format!("import:{}", kind.slug()),
            result: "erfolg".into(),
            assurance: "kommandozeile".into(),
            client_addr: "kommandozeile".into(),
            detail: crate::audit::escape_controls(&format!(
                "datei={file}; zeilen={}; neu={}; geaendert={}; nicht_in_datei={}",
                plan.rows,
                plan.count(Effect::New),
                plan.count(Effect::Changed),
                plan.count(Effect::Leaving)
            )),
            ..NewAudit::default()
        },
    )?;
    writeln!(out, "Übernommen.")?;
    Ok(plan)
}
