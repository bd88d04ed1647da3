//! The register: which lessons take place, the lesson page with attendance, topic and
//! homework, the day's overview and the open lessons, history and amendments.

pub mod absences;
pub mod access;
pub mod lesson;
pub mod plan;
pub mod print;
pub mod save;
pub mod stats;
pub mod substitutions;
pub mod today;
