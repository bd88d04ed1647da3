//! Failure counters for throttling, shared by all app instances.

use super::DbConnection;
use super::schema::throttles;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = throttles)]
pub struct Throttle {
    pub key: String,
    pub failures: i32,
    pub window_start: NaiveDateTime,
    pub last_failure_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

pub fn find(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Throttle>> {
    throttles::table
        .find(key)
        .select(Throttle::as_select())
        .first(conn)
        .optional()
}

/// Counts one failure. A window older than `window` starts again at one; reaching
/// `lock_at` failures sets `locked_until = now + lock_for`.
pub fn record_failure(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
    window: chrono::Duration,
    lock_at: Option<(i32, chrono::Duration)>,
) -> QueryResult<Throttle> {
    super::write_transaction(conn, |conn| {
        let current = find(conn, key)?;
        let (failures, window_start) = match &current {
            Some(t) if now - t.window_start <= window => (t.failures + 1, t.window_start),
            _ => (1, now),
        };
        let locked_until = match lock_at {
            Some((n, dur)) if failures >= n => Some(now + dur),
            _ => current.as_ref().and_then(|t| t.locked_until),
        };
        if current.is_some() {
            diesel::update(throttles::table.find(key))
                .set((
                    throttles::failures.eq(failures),
                    throttles::window_start.eq(window_start),
                    throttles::last_failure_at.eq(now),
                    throttles::locked_until.eq(locked_until),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(throttles::table)
                .values((
                    throttles::key.eq(key),
                    throttles::failures.eq(failures),
                    throttles::window_start.eq(window_start),
                    throttles::last_failure_at.eq(now),
                    throttles::locked_until.eq(locked_until),
                ))
                .execute(conn)?;
        }
        Ok(Throttle {
            key: key.to_owned(),
            failures,
            window_start,
            last_failure_at: now,
            locked_until,
        })
    })
}

pub fn clear(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(throttles::table.find(key)).execute(conn)
}
