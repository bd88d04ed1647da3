//! Classes, subjects, rooms and teaching groups: named things of a school.

use crate::db::DbConnection;
use crate::db::schema::{classes, rooms, subjects, teaching_groups};
use diesel::prelude::*;

/// An id with a name (class, room, teaching group).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

pub fn classes(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<Named>> {
    classes::table
        .filter(classes::school_id.eq(school_id))
        .order(classes::name)
        .select((classes::id, classes::name))
        .load(conn)
}

pub fn class(conn: &mut DbConnection, school_id: i64, id: i64) -> QueryResult<Option<Named>> {
    classes::table
        .filter(classes::school_id.eq(school_id))
        .filter(classes::id.eq(id))
        .select((classes::id, classes::name))
        .first(conn)
        .optional()
}

pub fn rooms(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<Named>> {
    rooms::table
        .filter(rooms::school_id.eq(school_id))
        .order(rooms::name)
        .select((rooms::id, rooms::name))
        .load(conn)
}

pub fn room(conn: &mut DbConnection, school_id: i64, id: i64) -> QueryResult<Option<Named>> {
    rooms::table
        .filter(rooms::school_id.eq(school_id))
        .filter(rooms::id.eq(id))
        .select((rooms::id, rooms::name))
        .first(conn)
        .optional()
}

pub fn insert_room(conn: &mut DbConnection, school_id: i64, name: &str) -> QueryResult<i64> {
    diesel::insert_into(rooms::table)
        .values((rooms::school_id.eq(school_id), rooms::name.eq(name)))
        .returning(rooms::id)
        .get_result(conn)
}

pub fn groups(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<Named>> {
    teaching_groups::table
        .filter(teaching_groups::school_id.eq(school_id))
        .order(teaching_groups::name)
        .select((teaching_groups::id, teaching_groups::name))
        .load(conn)
}

pub fn group(conn: &mut DbConnection, school_id: i64, id: i64) -> QueryResult<Option<Named>> {
    teaching_groups::table
        .filter(teaching_groups::school_id.eq(school_id))
        .filter(teaching_groups::id.eq(id))
        .select((teaching_groups::id, teaching_groups::name))
        .first(conn)
        .optional()
}

pub fn insert_group(conn: &mut DbConnection, school_id: i64, name: &str) -> QueryResult<i64> {
    diesel::insert_into(teaching_groups::table)
        .values((
            teaching_groups::school_id.eq(school_id),
            teaching_groups::name.eq(name),
        ))
        .returning(teaching_groups::id)
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subjects)]
pub struct Subject {
    pub id: i64,
    pub short_name: String,
    pub name: String,
}

pub fn subjects(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<Subject>> {
    subjects::table
        .filter(subjects::school_id.eq(school_id))
        .order(subjects::short_name)
        .select(Subject::as_select())
        .load(conn)
}

pub fn subject(conn: &mut DbConnection, school_id: i64, id: i64) -> QueryResult<Option<Subject>> {
    subjects::table
        .filter(subjects::school_id.eq(school_id))
        .filter(subjects::id.eq(id))
        .select(Subject::as_select())
        .first(conn)
        .optional()
}
