//! A pupil's guardians, every value sealed.

use crate::auth::extract::Elevation;
use crate::db::DbConnection;
use crate::db::schema::guardians;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = guardians)]
pub struct GuardianRow {
    pub id: i64,
    pub name_enc: String,
    pub relation_enc: String,
    pub custody_enc: String,
    pub contact_enc: String,
}

pub fn guardians_of(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Vec<GuardianRow>> {
    guardians::table
        .filter(guardians::school_id.eq(school_id))
        .filter(guardians::pupil_id.eq(pupil_id))
        .order(guardians::id)
        .select(GuardianRow::as_select())
        .load(conn)
}

/// A guardian to store, every value sealed.
#[derive(Debug, Clone)]
pub struct NewGuardian {
    pub school_id: i64,
    pub pupil_id: i64,
    pub name_enc: String,
    pub relation_enc: String,
    pub custody_enc: String,
    pub contact_enc: String,
    pub now: NaiveDateTime,
}

pub fn add_guardian(conn: &mut DbConnection, g: &NewGuardian) -> QueryResult<i64> {
    diesel::insert_into(guardians::table)
        .values((
            guardians::school_id.eq(g.school_id),
            guardians::pupil_id.eq(g.pupil_id),
            guardians::name_enc.eq(&g.name_enc),
            guardians::relation_enc.eq(&g.relation_enc),
            guardians::custody_enc.eq(&g.custody_enc),
            guardians::contact_enc.eq(&g.contact_enc),
            guardians::created_at.eq(g.now),
        ))
        .returning(guardians::id)
        .get_result(conn)
}

/// Removes a guardian of this pupil; 0 if the id names no guardian of this pupil.
pub fn remove_guardian(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    guardian_id: i64,
) -> QueryResult<usize> {
    diesel::delete(
        guardians::table
            .filter(guardians::school_id.eq(school_id))
            .filter(guardians::pupil_id.eq(pupil_id))
            .filter(guardians::id.eq(guardian_id)),
    )
    .execute(conn)
}
