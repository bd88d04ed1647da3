//! Conduct notes about a pupil and the teachers' notebooks (owner only).

use crate::auth::extract::Elevation;
use crate::db::DbConnection;
use crate::db::schema::{classes, conduct_notes, notebook_entries, pupils, subjects, users};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
pub struct ConductRow {
    pub id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub date: NaiveDate,
    pub text_enc: String,
}

/// A pupil's conduct notes, newest first; with `only_author`, only that author's.
pub fn conduct_notes_of(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
    only_author: Option<i64>,
) -> QueryResult<Vec<ConductRow>> {
    let mut q = conduct_notes::table
        .inner_join(users::table.on(users::id.eq(conduct_notes::author_id)))
        .filter(conduct_notes::school_id.eq(school_id))
        .filter(conduct_notes::pupil_id.eq(pupil_id))
        .into_boxed();
    if let Some(author) = only_author {
        q = q.filter(conduct_notes::author_id.eq(author));
    }
    q.order((conduct_notes::date.desc(), conduct_notes::id.desc()))
        .select((
            conduct_notes::id,
            conduct_notes::author_id,
            users::display_name,
            conduct_notes::date,
            conduct_notes::text_enc,
        ))
        .load(conn)
}

/// A conduct note to store, the text sealed.
#[derive(Debug, Clone)]
pub struct NewConductNote {
    pub school_id: i64,
    pub pupil_id: i64,
    pub author_id: i64,
    pub date: NaiveDate,
    pub text_enc: String,
    pub now: NaiveDateTime,
}

pub fn add_conduct_note(conn: &mut DbConnection, n: &NewConductNote) -> QueryResult<i64> {
    diesel::insert_into(conduct_notes::table)
        .values((
            conduct_notes::school_id.eq(n.school_id),
            conduct_notes::pupil_id.eq(n.pupil_id),
            conduct_notes::author_id.eq(n.author_id),
            conduct_notes::date.eq(n.date),
            conduct_notes::text_enc.eq(&n.text_enc),
            conduct_notes::created_at.eq(n.now),
        ))
        .returning(conduct_notes::id)
        .get_result(conn)
}

// The teacher's notebook (owner only).

#[derive(Debug, Clone, Queryable)]
pub struct NotebookRow {
    pub id: i64,
    pub pupil_id: i64,
    pub surname: String,
    pub first_name: String,
    pub class_name: String,
    pub subject_name: Option<String>,
    pub date: NaiveDate,
    pub kind: String,
    pub text_enc: String,
}

/// Every entry of `owner_id`'s notebook, by class, pupil and date (newest first). There is no
/// query for anybody else's entries.
pub fn notebook_of(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    owner_id: i64,
) -> QueryResult<Vec<NotebookRow>> {
    notebook_entries::table
        .inner_join(pupils::table.on(pupils::id.eq(notebook_entries::pupil_id)))
        .inner_join(classes::table.on(classes::id.eq(notebook_entries::class_id)))
        .left_join(subjects::table.on(subjects::id.nullable().eq(notebook_entries::subject_id)))
        .filter(notebook_entries::school_id.eq(school_id))
        .filter(notebook_entries::owner_id.eq(owner_id))
        .order((
            classes::name,
            pupils::surname,
            pupils::first_name,
            pupils::id,
            notebook_entries::date.desc(),
            notebook_entries::id.desc(),
        ))
        .select((
            notebook_entries::id,
            notebook_entries::pupil_id,
            pupils::surname,
            pupils::first_name,
            classes::name,
            subjects::name.nullable(),
            notebook_entries::date,
            notebook_entries::kind,
            notebook_entries::text_enc,
        ))
        .load(conn)
}

/// A notebook entry to store, the text sealed.
#[derive(Debug, Clone)]
pub struct NewNotebookEntry {
    pub school_id: i64,
    pub owner_id: i64,
    pub pupil_id: i64,
    pub class_id: i64,
    pub subject_id: Option<i64>,
    pub date: NaiveDate,
    pub kind: &'static str,
    pub text_enc: String,
    pub now: NaiveDateTime,
}

pub fn add_notebook_entry(conn: &mut DbConnection, e: &NewNotebookEntry) -> QueryResult<i64> {
    diesel::insert_into(notebook_entries::table)
        .values((
            notebook_entries::school_id.eq(e.school_id),
            notebook_entries::owner_id.eq(e.owner_id),
            notebook_entries::pupil_id.eq(e.pupil_id),
            notebook_entries::class_id.eq(e.class_id),
            notebook_entries::subject_id.eq(e.subject_id),
            notebook_entries::date.eq(e.date),
            notebook_entries::kind.eq(e.kind),
            notebook_entries::text_enc.eq(&e.text_enc),
            notebook_entries::created_at.eq(e.now),
        ))
        .returning(notebook_entries::id)
        .get_result(conn)
}

/// Deletes an entry of `owner_id`'s notebook; returns its pupil, or `None` if the id names no
/// entry of this owner (another teacher's entry included).
pub fn delete_notebook_entry(
    conn: &mut DbConnection,
    school_id: i64,
    owner_id: i64,
    entry_id: i64,
) -> QueryResult<Option<i64>> {
    let mine = notebook_entries::table
        .filter(notebook_entries::school_id.eq(school_id))
        .filter(notebook_entries::owner_id.eq(owner_id))
        .filter(notebook_entries::id.eq(entry_id));
    let pupil: Option<i64> = mine
        .select(notebook_entries::pupil_id)
        .first(conn)
        .optional()?;
    if pupil.is_some() {
        diesel::delete(mine).execute(conn)?;
    }
    Ok(pupil)
}
