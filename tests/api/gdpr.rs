//! Data protection duties: the access report and export per pupil, retention with archive
//! export and deletion records, the breach notification draft, the filtered audit viewer and
//! the tamper check of the audit chain.

mod access_report;
mod audit_log;
mod breach;
mod retention;
mod seed;
