//! WebAuthn ceremony state, kept on the server: one per session and kind, single use.

use super::DbConnection;
use super::schema::webauthn_ceremonies;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webauthn_ceremonies)]
pub struct Ceremony {
    pub id_hash: String,
    pub school_id: i64,
    pub user_id: i64,
    pub session_hash: String,
    pub kind: String,
    pub state: String,
    pub label: String,
    pub created_at: NaiveDateTime,
}

/// Stores a new ceremony, replacing an earlier one of the same session and kind.
pub fn start(conn: &mut DbConnection, c: &Ceremony) -> QueryResult<()> {
    super::write_transaction(conn, |conn| {
        diesel::delete(
            webauthn_ceremonies::table
                .filter(webauthn_ceremonies::session_hash.eq(&c.session_hash))
                .filter(webauthn_ceremonies::kind.eq(&c.kind)),
        )
        .execute(conn)?;
        diesel::insert_into(webauthn_ceremonies::table)
            .values((
                webauthn_ceremonies::id_hash.eq(&c.id_hash),
                webauthn_ceremonies::school_id.eq(c.school_id),
                webauthn_ceremonies::user_id.eq(c.user_id),
                webauthn_ceremonies::session_hash.eq(&c.session_hash),
                webauthn_ceremonies::kind.eq(&c.kind),
                webauthn_ceremonies::state.eq(&c.state),
                webauthn_ceremonies::label.eq(&c.label),
                webauthn_ceremonies::created_at.eq(c.created_at),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Takes (reads and deletes) the ceremony of a session and kind. Exactly one caller can
/// take it: the delete must remove the row this caller read.
pub fn take(
    conn: &mut DbConnection,
    session_hash: &str,
    kind: &str,
) -> QueryResult<Option<Ceremony>> {
    let found = webauthn_ceremonies::table
        .filter(webauthn_ceremonies::session_hash.eq(session_hash))
        .filter(webauthn_ceremonies::kind.eq(kind))
        .select(Ceremony::as_select())
        .first(conn)
        .optional()?;
    let Some(c) = found else { return Ok(None) };
    let n = diesel::delete(webauthn_ceremonies::table.find(&c.id_hash)).execute(conn)?;
    Ok((n == 1).then_some(c))
}

/// Deletes ceremonies older than `cutoff`.
pub fn purge(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(webauthn_ceremonies::table.filter(webauthn_ceremonies::created_at.lt(cutoff)))
        .execute(conn)
}
