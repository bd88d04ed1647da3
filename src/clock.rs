//! Injected time. Domain code takes `now` from a [`Clock`], never from the system directly,
//! so that expiry rules can be tested without sleeping.

use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Used by tests (and nowhere in production code).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// Starts at the current wall-clock time, so that time-based codes (TOTP) still line up.
    pub fn starting_now() -> Self {
        Self::at(SystemClock.now())
    }

    pub fn at(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }

    pub fn set(&self, to: DateTime<Utc>) {
        if let Ok(mut now) = self.now.lock() {
            *now = to;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match self.now.lock() {
            Ok(now) => *now,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

/// Schools keep German time: the register's "today" and "now" are in Europe/Berlin.
pub fn school_local(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    now.with_timezone(&chrono_tz::Europe::Berlin).naive_local()
}

/// The school's calendar date at `now`.
pub fn school_today(now: DateTime<Utc>) -> chrono::NaiveDate {
    school_local(now).date()
}
