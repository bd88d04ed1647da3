//! Checking a typed second-factor code (TOTP or recovery code) for a user, with the
//! per-factor lock, replay refusal, and an audit record for every attempt.

use crate::auth::{recovery, totp};
use crate::db::factors;
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use chrono::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; the factor type for the audit record.
    Accepted(&'static str),
    /// Wrong code (counted towards the lock).
    Wrong,
    /// The code's time step was already used (replay).
    Replayed,
    /// Every TOTP factor of the user is locked; seconds until the first unlocks.
    Locked(i64),
}

impl Outcome {
    /// The German message for a refused code.
    pub fn message(&self) -> String {
        match self {
            Outcome::Accepted(_) => String::new(),
            Outcome::Wrong => "Der Code ist falsch.".into(),
            Outcome::Replayed => {
                "Dieser Code wurde bereits verwendet. Bitte warten Sie auf den nächsten Code."
                    .into()
            }
            Outcome::Locked(secs) => format!(
                "Zu viele falsche Codes: dieser Faktor ist für {} Minute(n) gesperrt. \
                 Sie können einen anderen Faktor oder einen Wiederherstellungscode verwenden.",
                (secs + 59) / 60
            ),
        }
    }
}

/// Verifies `input` for the user at the state's current time.
pub async fn verify_code(
    state: &AppState,
    school_id: i64,
    user_id: i64,
    input: &str,
) -> AppResult<Outcome> {
    let now = state.clock.now();
    let naive = now.naive_utc();
    if recovery::looks_like_code(input) {
        let h = recovery::hash(input);
        let ok = state
            .db
            .run(move |c| factors::use_recovery_code(c, school_id, user_id, &h, naive))
            .await?;
        return Ok(if ok {
            Outcome::Accepted("wiederherstellungscode")
        } else {
            Outcome::Wrong
        });
    }
    let all = state
        .db
        .run(move |c| factors::totps_of(c, school_id, user_id))
        .await?;
    let active: Vec<_> = all.into_iter().filter(|f| f.active).collect();
    let unlocked: Vec<_> = active
        .iter()
        .filter(|f| f.locked_until.is_none_or(|t| t <= naive))
        .cloned()
        .collect();
    if unlocked.is_empty() {
        if let Some(first_unlock) = active.iter().filter_map(|f| f.locked_until).min() {
            return Ok(Outcome::Locked((first_unlock - naive).num_seconds().max(1)));
        }
        return Ok(Outcome::Wrong);
    }
    for f in &unlocked {
        let secret = totp::open(&state.keys, user_id, &f.secret_enc)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("TOTP-Schlüssel: {e}")))?;
        let t = totp::build(&secret, "x").map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        if let Some(step) = totp::matching_step(&t, input, now) {
            let id = f.id;
            let fresh = state
                .db
                .run(move |c| factors::accept_totp_step(c, id, step, naive))
                .await?;
            return Ok(if fresh {
                Outcome::Accepted("totp")
            } else {
                Outcome::Replayed
            });
        }
    }
    let lock_until = naive + Duration::minutes(totp::LOCK_MINUTES);
    let ids: Vec<i64> = unlocked.iter().map(|f| f.id).collect();
    state
        .db
        .run(move |c| {
            for id in ids {
                factors::totp_failure(c, id, totp::LOCK_AT, lock_until)?;
            }
            Ok(())
        })
        .await?;
    Ok(Outcome::Wrong)
}
