//! Time grids and their periods. A grid is valid from a date until the day before the next
//! one starts; lessons copy their times when documented, so a switch never re-counts the past.

use crate::db::DbConnection;
use crate::db::schema::{periods, time_grids};
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = time_grids)]
pub struct Grid {
    pub id: i64,
    pub name: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

impl Grid {
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|t| date <= t)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = periods)]
pub struct PeriodRow {
    pub time_grid_id: i64,
    pub number: i16,
    pub start_minute: i32,
    pub end_minute: i32,
}

/// The school's grids, newest first.
pub fn time_grids(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<Grid>> {
    time_grids::table
        .filter(time_grids::school_id.eq(school_id))
        .order(time_grids::valid_from.desc())
        .select(Grid::as_select())
        .load(conn)
}

/// Every period of every grid of the school, by grid and number.
pub fn grid_periods(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<PeriodRow>> {
    periods::table
        .filter(periods::school_id.eq(school_id))
        .order((periods::time_grid_id, periods::number))
        .select(PeriodRow::as_select())
        .load(conn)
}

/// Ends every grid that is still valid on `from` (and began before it) on the day before;
/// returns the ids of the grids ended.
pub fn end_grids_before(
    conn: &mut DbConnection,
    school_id: i64,
    from: NaiveDate,
) -> QueryResult<Vec<i64>> {
    let open = || {
        time_grids::table
            .filter(time_grids::school_id.eq(school_id))
            .filter(time_grids::valid_from.lt(from))
            .filter(
                time_grids::valid_to
                    .is_null()
                    .or(time_grids::valid_to.ge(from)),
            )
    };
    let ids: Vec<i64> = open().select(time_grids::id).load(conn)?;
    if !ids.is_empty() {
        diesel::update(open())
            .set(time_grids::valid_to.eq(from - Duration::days(1)))
            .execute(conn)?;
    }
    Ok(ids)
}
