//! Scheduled jobs of `serve`: the retention job once a day at `retention.run_at` (school
//! time). Every app instance runs the loop; the run-once lock in the database (`job_runs`,
//! one row per job and day, claimed by an atomic insert) lets exactly one instance run the
//! job on each day, even when several start at the same minute.

use crate::clock::school_local;
use crate::db::retention as db;
use crate::startup::AppState;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use std::time::Duration;

/// The job name in `job_runs`.
pub const RETENTION_JOB: &str = "loeschlauf";

/// Claims today's retention run if it is due at `state.clock`'s now and nobody has run it
/// yet, and carries it out for every school. Answers whether this instance ran it.
pub async fn run_retention_if_due(state: &AppState, instance: &str) -> anyhow::Result<bool> {
    let now = state.clock.now();
    let Some(day) = due_day(state, now) else {
        return Ok(false);
    };
    let (instance, started) = (instance.to_owned(), now.naive_utc());
    let claimed = state
        .db
        .home()
        .run(move |c| db::claim_job(c, RETENTION_JOB, day, 0, &instance, started))
        .await?;
    if !claimed {
        return Ok(false);
    }
    let archive_dir = state.settings.retention.archive_dir.clone();
    let db = state.db.clone();
    let outcome = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        // The claim in the default database stands for every database of the school map.
        let mut runs = Vec::new();
        for d in db.all() {
            let mut conn = d.get()?;
            runs.extend(super::retention::run_schools(
                &mut conn,
                None,
                &archive_dir,
                now,
                false,
            )?);
        }
        let deleted: i64 = runs
            .iter()
            .flat_map(|(_, done)| done.iter().map(|d| d.count))
            .sum();
        Ok(format!(
            "erfolg: {deleted} Datensätze in {} Schulen",
            runs.len()
        ))
    })
    .await
    .map_err(|e| anyhow::anyhow!("Löschlauf abgebrochen: {e}"))
    .and_then(|r| r)
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "Löschlauf fehlgeschlagen");
        format!("fehler: {e}")
    });
    let finished = state.clock.now().naive_utc();
    state
        .db
        .home()
        .run(move |c| db::finish_job(c, RETENTION_JOB, day, 0, &outcome, finished))
        .await?;
    Ok(true)
}

/// The school day whose run is due at `now`: today once `retention.run_at` has passed.
fn due_day(state: &AppState, now: DateTime<Utc>) -> Option<NaiveDate> {
    let local = school_local(now);
    let at = NaiveTime::parse_from_str(&state.settings.retention.run_at, "%H:%M")
        .unwrap_or(NaiveTime::MIN);
    (local.time() >= at).then(|| local.date())
}

/// Starts the daily loop (checks once a minute) unless `retention.daily` is off.
pub fn spawn_daily(state: actix_web::web::Data<AppState>) {
    if !state.settings.retention.daily {
        return;
    }
    let instance = format!(
        "{}-{}",
        std::process::id(),
        crate::crypto::random_token::<6>()
    );
    tokio::spawn(async move {
        let every = Duration::from_secs(60);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        // The day whose run this instance has claimed or found claimed: no further attempt
        // (and no refused insert in the database's log) until the next day.
        let mut settled: Option<NaiveDate> = None;
        loop {
            tick.tick().await;
            if !state.ready.load(std::sync::atomic::Ordering::SeqCst) {
                continue;
            }
            let Some(day) = due_day(&state, state.clock.now()) else {
                continue;
            };
            if settled == Some(day) {
                continue;
            }
            match run_retention_if_due(&state, &instance).await {
                Ok(_) => settled = Some(day),
                Err(e) => tracing::error!(error = %e, "Löschlauf: Fehler im Zeitplan"),
            }
        }
    });
}
