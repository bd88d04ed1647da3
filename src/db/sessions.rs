//! Server-side sessions. The row key is the SHA-256 of the cookie value.

use super::DbConnection;
use super::schema::sessions;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id_hash: String,
    pub school_id: Option<i64>,
    pub user_id: Option<i64>,
    pub stage: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub elevated_at: Option<NaiveDateTime>,
    pub elevation_seen_at: Option<NaiveDateTime>,
    pub user_agent: String,
    pub client_addr: String,
    pub flash: Option<String>,
    pub pending: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &SessionRow) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)
}

pub fn find(conn: &mut DbConnection, id_hash: &str) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(id_hash)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConnection, id_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id_hash)).execute(conn)
}

/// Ends every session of a user (deactivation, factor reset, password change).
pub fn delete_for_user(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    except: Option<&str>,
) -> QueryResult<usize> {
    let q = sessions::table
        .filter(sessions::school_id.eq(school_id))
        .filter(sessions::user_id.eq(user_id));
    match except {
        Some(keep) => diesel::delete(q.filter(sessions::id_hash.ne(keep))).execute(conn),
        None => diesel::delete(q).execute(conn),
    }
}

pub fn list_for_user(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::school_id.eq(school_id))
        .filter(sessions::user_id.eq(user_id))
        .order(sessions::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

pub fn touch(conn: &mut DbConnection, id_hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn touch_elevation(
    conn: &mut DbConnection,
    id_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::elevation_seen_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_flash(
    conn: &mut DbConnection,
    id_hash: &str,
    flash: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::flash.eq(flash))
        .execute(conn)
}

pub fn set_pending(
    conn: &mut DbConnection,
    id_hash: &str,
    pending: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::pending.eq(pending))
        .execute(conn)
}

/// Removes sessions idle since before `idle_cutoff` or created before `absolute_cutoff`.
pub fn purge_expired(
    conn: &mut DbConnection,
    idle_cutoff: NaiveDateTime,
    absolute_cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::last_seen_at
                .lt(idle_cutoff)
                .or(sessions::created_at.lt(absolute_cutoff)),
        ),
    )
    .execute(conn)
}
