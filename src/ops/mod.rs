//! Operations: backup and restore, readiness during shutdown, and request metrics.

pub mod backup;
pub mod metrics;
