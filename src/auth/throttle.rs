//! Sign-in throttles (security.md): per account a growing delay after 5 failures and a
//! temporary lock at 20; per client address 30 failures in 10 minutes give 429. Account
//! counters are keyed by the login as typed, so unknown and known logins behave the same.

use crate::crypto::sha256_hex;
use crate::db::throttles;
use crate::db::users::normalize_login;
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use chrono::{DateTime, Duration, Utc};

pub const ACCOUNT_DELAY_AFTER: i32 = 5;
pub const ACCOUNT_LOCK_AT: i32 = 20;
pub const ACCOUNT_LOCK_MINUTES: i64 = 15;
pub const ADDRESS_LIMIT: i32 = 30;
pub const ADDRESS_WINDOW_MINUTES: i64 = 10;
/// Account failures are forgotten after a day without failure.
const ACCOUNT_WINDOW_HOURS: i64 = 24;

fn account_key(login: &str) -> String {
    format!("konto:{}", sha256_hex(normalize_login(login).as_bytes()))
}

fn address_key(addr: &str) -> String {
    format!("adresse:{addr}")
}

/// The delay after the `failures`-th failure: 1 s after the 5th, doubling, at most 5 min.
pub fn account_delay(failures: i32) -> Duration {
    if failures < ACCOUNT_DELAY_AFTER {
        return Duration::zero();
    }
    let exp = (failures - ACCOUNT_DELAY_AFTER).min(8) as u32;
    Duration::seconds((1i64 << exp).min(300))
}

fn too_many(secs: i64) -> AppError {
    AppError::TooManyRequests {
        retry_after_secs: secs.max(1) as u64,
    }
}

async fn throttled(state: &AppState, key: &str, addr: &str, secs: i64) -> AppError {
    let _ = crate::audit::Event::new("drosselung")
        .result("verweigert")
        .client(addr.to_owned())
        .detail(format!(
            "{}; sekunden={secs}",
            key.split(':').next().unwrap_or("")
        ))
        .record(state)
        .await;
    too_many(secs)
}

/// 429 if this address has failed too often in the current window.
pub async fn check_address(state: &AppState, addr: &str, now: DateTime<Utc>) -> AppResult<()> {
    let key = address_key(addr);
    let k = key.clone();
    let t = state.db.home().run(move |c| throttles::find(c, &k)).await?;
    let now = now.naive_utc();
    if let Some(t) = t {
        let window_end = t.window_start + Duration::minutes(ADDRESS_WINDOW_MINUTES);
        if t.failures >= ADDRESS_LIMIT && now < window_end {
            return Err(throttled(state, &key, addr, (window_end - now).num_seconds()).await);
        }
    }
    Ok(())
}

/// 429 while this login is locked or its growing delay has not passed.
pub async fn check_account(
    state: &AppState,
    login: &str,
    addr: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let key = account_key(login);
    let k = key.clone();
    let t = state.db.home().run(move |c| throttles::find(c, &k)).await?;
    let now = now.naive_utc();
    if let Some(t) = t {
        if let Some(until) = t.locked_until
            && until > now
        {
            return Err(throttled(state, &key, addr, (until - now).num_seconds()).await);
        }
        let ready_at = t.last_failure_at + account_delay(t.failures);
        if ready_at > now {
            return Err(throttled(state, &key, addr, (ready_at - now).num_seconds()).await);
        }
    }
    Ok(())
}

/// Counts a failed password for the login and the address.
pub async fn record_failure(
    state: &AppState,
    login: &str,
    addr: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let account = account_key(login);
    let address = address_key(addr);
    let now = now.naive_utc();
    state
        .db
        .home()
        .run(move |c| {
            throttles::record_failure(
                c,
                &account,
                now,
                Duration::hours(ACCOUNT_WINDOW_HOURS),
                Some((ACCOUNT_LOCK_AT, Duration::minutes(ACCOUNT_LOCK_MINUTES))),
            )?;
            throttles::record_failure(
                c,
                &address,
                now,
                Duration::minutes(ADDRESS_WINDOW_MINUTES),
                None,
            )
        })
        .await?;
    Ok(())
}

/// A correct password clears the login's counter (not the address's).
pub async fn record_success(state: &AppState, login: &str) -> AppResult<()> {
    let key = account_key(login);
    state
        .db
        .home()
        .run(move |c| throttles::clear(c, &key))
        .await?;
    Ok(())
}

/// Counts a failed second-factor code against the address.
pub async fn record_address_failure(
    state: &AppState,
    addr: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let address = address_key(addr);
    let now = now.naive_utc();
    state
        .db
        .home()
        .run(move |c| {
            throttles::record_failure(
                c,
                &address,
                now,
                Duration::minutes(ADDRESS_WINDOW_MINUTES),
                None,
            )
        })
        .await?;
    Ok(())
}
