//! Queries of the school structure pages (`crate::school`): school years, terms, holidays,
//! time grids, classes, subjects, rooms, teaching groups and their members, pupils'
//! enrolments, class teacher assignments and timetable slots. Every query takes the school
//! id; a lookup by id answers `None` for another school's row, so callers can answer 404.

mod catalog;
mod grids;
mod people;
mod slots;
mod years;

pub use catalog::*;
pub use grids::*;
pub use people::*;
pub use slots::*;
pub use years::*;

use chrono::NaiveDate;

/// Whether `[a_from, a_to]` and `[b_from, b_to]` share a day (`None` = open end).
pub fn overlaps(
    a_from: NaiveDate,
    a_to: Option<NaiveDate>,
    b_from: NaiveDate,
    b_to: Option<NaiveDate>,
) -> bool {
    a_to.is_none_or(|t| b_from <= t) && b_to.is_none_or(|t| a_from <= t)
}
