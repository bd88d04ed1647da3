//! Acknowledgements of the versioned documents (privacy notice, terms, Dienstanweisung).

use super::DbConnection;
use super::schema::acknowledgements;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn record(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    document: &str,
    version: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if has(conn, user_id, document, version)? {
        return Ok(());
    }
    diesel::insert_into(acknowledgements::table)
        .values((
            acknowledgements::school_id.eq(school_id),
            acknowledgements::user_id.eq(user_id),
            acknowledgements::document.eq(document),
            acknowledgements::version.eq(version),
            acknowledgements::acknowledged_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn has(
    conn: &mut DbConnection,
    user_id: i64,
    document: &str,
    version: &str,
) -> QueryResult<bool> {
    let n: i64 = acknowledgements::table
        .filter(acknowledgements::user_id.eq(user_id))
        .filter(acknowledgements::document.eq(document))
        .filter(acknowledgements::version.eq(version))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Which of `required` (document, version) pairs the user has acknowledged, in one query.
pub fn missing<'a>(
    conn: &mut DbConnection,
    user_id: i64,
    required: &'a [(&'a str, &'a str)],
) -> QueryResult<Vec<(&'a str, &'a str)>> {
    // All of the user's acknowledgements (a handful of rows): a fixed-shape statement, which
    // the connection prepares once, unlike an `IN` list.
    let done: Vec<(String, String)> = acknowledgements::table
        .filter(acknowledgements::user_id.eq(user_id))
        .select((acknowledgements::document, acknowledgements::version))
        .load(conn)?;
    Ok(required
        .iter()
        .filter(|(d, v)| !done.iter().any(|(dd, vv)| dd == d && vv == v))
        .copied()
        .collect())
}

/// One acknowledgement of a document in a school.
#[derive(Debug, Clone)]
pub struct Ack {
    pub user_id: i64,
    pub version: String,
    pub acknowledged_at: NaiveDateTime,
}

/// Every acknowledgement of `document` in the school, oldest first.
pub fn of_document(
    conn: &mut DbConnection,
    school_id: i64,
    document: &str,
) -> QueryResult<Vec<Ack>> {
    let rows: Vec<(i64, String, NaiveDateTime)> = acknowledgements::table
        .filter(acknowledgements::school_id.eq(school_id))
        .filter(acknowledgements::document.eq(document))
        .order(acknowledgements::acknowledged_at)
        .select((
            acknowledgements::user_id,
            acknowledgements::version,
            acknowledgements::acknowledged_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, version, acknowledged_at)| Ack {
            user_id,
            version,
            acknowledged_at,
        })
        .collect())
}
