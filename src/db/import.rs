//! Queries of the master-data import (`crate::import`): the current master data with the
//! school software's stable ids, the writes an import applies, pending uploads and the
//! school's header mapping. Every query takes the school id.

use crate::db::DbConnection;
use crate::db::schema::{
    classes as ic, guardians, pupils as ip, role_assignments as ra, users as iu,
};
use crate::db::schema_import::{import_mappings as im, pending_imports as pi};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// The row `$id` of table module `$t`, if it belongs to the school `$school_id`: the target
/// of every update and delete here.
macro_rules! school_row {
    ($t:ident, $school_id:expr, $id:expr) => {
        $t::table
            .filter($t::school_id.eq($school_id))
            .filter($t::id.eq($id))
    };
}

/// One enrolment row of `pupils`, with the stable id.
#[derive(Debug, Clone, Queryable)]
pub struct PupilRecord {
    pub id: i64,
    pub class_id: i64,
    pub surname: String,
    pub first_name: String,
    pub enrolled_from: NaiveDate,
    pub enrolled_to: Option<NaiveDate>,
    pub external_id: Option<String>,
}

/// Every enrolment row of the school, oldest first.
pub fn pupil_rows(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<PupilRecord>> {
    ip::table
        .filter(ip::school_id.eq(school_id))
        .order((ip::enrolled_from, ip::id))
        .select((
            ip::id,
            ip::class_id,
            ip::surname,
            ip::first_name,
            ip::enrolled_from,
            ip::enrolled_to,
            ip::external_id,
        ))
        .load(conn)
}

/// An enrolment to store.
#[derive(Debug, Clone)]
pub struct NewPupilRecord {
    pub class_id: i64,
    pub surname: String,
    pub first_name: String,
    pub enrolled_from: NaiveDate,
    pub enrolled_to: Option<NaiveDate>,
    pub external_id: Option<String>,
}

pub fn insert_pupil(
    conn: &mut DbConnection,
    school_id: i64,
    p: &NewPupilRecord,
) -> QueryResult<i64> {
    diesel::insert_into(ip::table)
        .values((
            ip::school_id.eq(school_id),
            ip::class_id.eq(p.class_id),
            ip::surname.eq(&p.surname),
            ip::first_name.eq(&p.first_name),
            ip::enrolled_from.eq(p.enrolled_from),
            ip::enrolled_to.eq(p.enrolled_to),
            ip::external_id.eq(&p.external_id),
        ))
        .returning(ip::id)
        .get_result(conn)
}

/// Sets class, names, stable id and last day of one enrolment row.
pub fn update_pupil(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    p: &NewPupilRecord,
) -> QueryResult<usize> {
    diesel::update(school_row!(ip, school_id, id))
        .set((
            ip::class_id.eq(p.class_id),
            ip::surname.eq(&p.surname),
            ip::first_name.eq(&p.first_name),
            ip::enrolled_to.eq(p.enrolled_to),
            ip::external_id.eq(&p.external_id),
        ))
        .execute(conn)
}

/// A user of the school with the stable id.
#[derive(Debug, Clone, Queryable)]
pub struct StaffRecord {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub active: bool,
    pub external_id: Option<String>,
}

pub fn staff_rows(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<StaffRecord>> {
    iu::table
        .filter(iu::school_id.eq(school_id))
        .order(iu::id)
        .select((
            iu::id,
            iu::login,
            iu::display_name,
            iu::active,
            iu::external_id,
        ))
        .load(conn)
}

pub fn update_staff(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    display_name: &str,
    active: bool,
    external_id: &str,
) -> QueryResult<usize> {
    diesel::update(school_row!(iu, school_id, id))
        .set((
            iu::display_name.eq(display_name),
            iu::active.eq(active),
            iu::external_id.eq(Some(external_id)),
        ))
        .execute(conn)
}

/// A class with the stable id.
#[derive(Debug, Clone, Queryable)]
pub struct ClassRecord {
    pub id: i64,
    pub name: String,
    pub external_id: Option<String>,
}

pub fn class_rows(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<ClassRecord>> {
    ic::table
        .filter(ic::school_id.eq(school_id))
        .order(ic::id)
        .select((ic::id, ic::name, ic::external_id))
        .load(conn)
}

pub fn insert_class(
    conn: &mut DbConnection,
    school_id: i64,
    name: &str,
    external_id: Option<&str>,
) -> QueryResult<i64> {
    diesel::insert_into(ic::table)
        .values((
            ic::school_id.eq(school_id),
            ic::name.eq(name),
            ic::external_id.eq(external_id),
        ))
        .returning(ic::id)
        .get_result(conn)
}

pub fn update_class(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    name: &str,
    external_id: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(school_row!(ic, school_id, id))
        .set((ic::name.eq(name), ic::external_id.eq(external_id)))
        .execute(conn)
}

/// Sets a subject's long name.
pub fn rename_subject(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    name: &str,
) -> QueryResult<usize> {
    use crate::db::schema::subjects;
    diesel::update(school_row!(subjects, school_id, id))
        .set(subjects::name.eq(name))
        .execute(conn)
}

/// Sets the room of a timetable slot (one that has not started yet).
pub fn set_slot_room(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    room: &str,
) -> QueryResult<usize> {
    use crate::db::schema::timetable_slots as ts;
    diesel::update(school_row!(ts, school_id, id))
        .set(ts::room.eq(room))
        .execute(conn)
}

/// Users holding Schulleitung or Verwaltung (ever): an import never deactivates them.
pub fn administrator_ids(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<i64>> {
    ra::table
        .filter(ra::school_id.eq(school_id))
        .filter(ra::role.eq_any(["schulleitung", "verwaltung"]))
        .select(ra::user_id)
        .load(conn)
}

/// A guardian row (every value sealed) with its pupil row.
#[derive(Debug, Clone, Queryable)]
pub struct GuardianRecord {
    pub id: i64,
    pub pupil_id: i64,
    pub name_enc: String,
    pub relation_enc: String,
    pub custody_enc: String,
    pub contact_enc: String,
}

pub fn guardian_rows(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<GuardianRecord>> {
    guardians::table
        .filter(guardians::school_id.eq(school_id))
        .order(guardians::id)
        .select((
            guardians::id,
            guardians::pupil_id,
            guardians::name_enc,
            guardians::relation_enc,
            guardians::custody_enc,
            guardians::contact_enc,
        ))
        .load(conn)
}

/// Replaces the sealed relation, custody and contact of a guardian.
pub fn update_guardian(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    relation_enc: &str,
    custody_enc: &str,
    contact_enc: &str,
) -> QueryResult<usize> {
    diesel::update(school_row!(guardians, school_id, id))
        .set((
            guardians::relation_enc.eq(relation_enc),
            guardians::custody_enc.eq(custody_enc),
            guardians::contact_enc.eq(contact_enc),
        ))
        .execute(conn)
}

/// The sealed dates of birth of the school's pupil profiles, by enrolment row.
pub fn birth_dates(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<(i64, String)>> {
    use crate::db::schema::pupil_profiles as pp;
    let rows: Vec<(i64, Option<String>)> = pp::table
        .filter(pp::school_id.eq(school_id))
        .select((pp::pupil_id, pp::birth_date_enc))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, enc)| enc.map(|e| (id, e)))
        .collect())
}

/// An upload that passed validation, waiting for apply.
#[derive(Debug, Clone, Queryable)]
pub struct PendingImport {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub content: String,
    pub created_by: i64,
    pub expires_at: NaiveDateTime,
}

/// A pending upload to store.
#[derive(Debug, Clone)]
pub struct NewPending<'a> {
    pub school_id: i64,
    pub token_hash: &'a str,
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content: &'a str,
    pub created_by: i64,
    pub now: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Stores a pending upload and removes the school's expired ones.
pub fn insert_pending(conn: &mut DbConnection, p: &NewPending<'_>) -> QueryResult<i64> {
    diesel::delete(
        pi::table
            .filter(pi::school_id.eq(p.school_id))
            .filter(pi::expires_at.lt(p.now)),
    )
    .execute(conn)?;
    diesel::insert_into(pi::table)
        .values((
            pi::school_id.eq(p.school_id),
            pi::token_hash.eq(p.token_hash),
            pi::kind.eq(p.kind),
            pi::file_name.eq(p.file_name),
            pi::content.eq(p.content),
            pi::created_by.eq(p.created_by),
            pi::created_at.eq(p.now),
            pi::expires_at.eq(p.expires_at),
        ))
        .returning(pi::id)
        .get_result(conn)
}

/// The school's pending upload with this token hash, if it has not expired.
pub fn pending(
    conn: &mut DbConnection,
    school_id: i64,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<PendingImport>> {
    pi::table
        .filter(pi::school_id.eq(school_id))
        .filter(pi::token_hash.eq(token_hash))
        .filter(pi::expires_at.ge(now))
        .select((
            pi::id,
            pi::kind,
            pi::file_name,
            pi::content,
            pi::created_by,
            pi::expires_at,
        ))
        .first(conn)
        .optional()
}

pub fn delete_pending(conn: &mut DbConnection, school_id: i64, id: i64) -> QueryResult<usize> {
    diesel::delete(school_row!(pi, school_id, id)).execute(conn)
}

/// The school's header names as `(kind, field, header)`.
pub fn mappings(
    conn: &mut DbConnection,
    school_id: i64,
) -> QueryResult<Vec<(String, String, String)>> {
    im::table
        .filter(im::school_id.eq(school_id))
        .order((im::kind, im::field))
        .select((im::kind, im::field, im::header))
        .load(conn)
}

/// Sets (or, with an empty header, removes) the school's header name of one field.
pub fn set_mapping(
    conn: &mut DbConnection,
    school_id: i64,
    kind: &str,
    field: &str,
    header: &str,
) -> QueryResult<()> {
    diesel::delete(
        im::table
            .filter(im::school_id.eq(school_id))
            .filter(im::kind.eq(kind))
            .filter(im::field.eq(field)),
    )
    .execute(conn)?;
    if !header.is_empty() {
        diesel::insert_into(im::table)
            .values((
                im::school_id.eq(school_id),
                im::kind.eq(kind),
                im::field.eq(field),
                im::header.eq(header),
            ))
            .execute(conn)?;
    }
    Ok(())
}
