//! The append-only, hash-chained audit trail. Each school has its own chain
//! (operator events without a school form chain 0), so schools never wait on each other.

use super::schema::audit_log;
use super::schema_retention::audit_anchors;
use super::{DbConnection, DbKind};
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// An event to record. Never holds secrets, codes, session ids or pupil data.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    pub school_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub action: String,
    pub object: String,
    pub result: String,
    pub assurance: String,
    pub client_addr: String,
    pub detail: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub school_id: Option<i64>,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub action: String,
    pub object: String,
    pub result: String,
    pub assurance: String,
    pub client_addr: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn chain_hash(prev: &str, at: NaiveDateTime, e: &NewAudit) -> String {
    let fields = [
        prev.to_owned(),
        at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        e.school_id.map(|v| v.to_string()).unwrap_or_default(),
        e.actor_user_id.map(|v| v.to_string()).unwrap_or_default(),
        e.action.clone(),
        e.object.clone(),
        e.result.clone(),
        e.assurance.clone(),
        e.client_addr.clone(),
        e.detail.clone(),
    ];
    // Length-prefixed so that no two field lists produce the same input.
    let mut input = String::new();
    for f in fields {
        input.push_str(&format!("{}:{}|", f.len(), f));
    }
    crate::crypto::sha256_hex(input.as_bytes())
}

fn kind(conn: &DbConnection) -> DbKind {
    match conn {
        DbConnection::Sqlite(_) => DbKind::Sqlite,
        DbConnection::Postgres(_) => DbKind::Postgres,
    }
}

fn last_hash(conn: &mut DbConnection, school_id: Option<i64>) -> QueryResult<String> {
    let q = audit_log::table
        .select(audit_log::hash)
        .order(audit_log::id.desc());
    let last = match school_id {
        Some(id) => q.filter(audit_log::school_id.eq(id)).first::<String>(conn),
        None => q
            .filter(audit_log::school_id.is_null())
            .first::<String>(conn),
    }
    .optional()?;
    match last {
        Some(hash) => Ok(hash),
        None => anchor_hash(conn, school_id.unwrap_or(0)),
    }
}

/// Where chain `chain` starts: the hash of its last deleted record, or the genesis value.
fn anchor_hash(conn: &mut DbConnection, chain: i64) -> QueryResult<String> {
    let anchor = audit_anchors::table
        .find(chain)
        .select(audit_anchors::last_hash)
        .first::<String>(conn)
        .optional()?;
    Ok(anchor.unwrap_or_else(|| GENESIS.to_owned()))
}

fn lock_chain(conn: &mut DbConnection, chain: i64) -> QueryResult<()> {
    if kind(conn) == DbKind::Postgres {
        // Two-key form: namespace 7311 for audit chains; ids beyond i32 share a key, which
        // only means they may wait on each other.
        conn.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock(7311, ({chain} % 2147483647)::int)"
        ))?;
    }
    Ok(())
}

/// Appends one record to its school's chain. Runs in its own transaction and serialises
/// writers of the same chain (an advisory lock on PostgreSQL; SQLite has one writer anyway).
pub fn append(conn: &mut DbConnection, at: NaiveDateTime, e: &NewAudit) -> QueryResult<()> {
    let chain = e.school_id.unwrap_or(0);
    super::write_transaction(conn, |conn| {
        lock_chain(conn, chain)?;
        let prev = last_hash(conn, e.school_id)?;
        let hash = chain_hash(&prev, at, e);
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::school_id.eq(e.school_id),
                audit_log::at.eq(at),
                audit_log::actor_user_id.eq(e.actor_user_id),
                audit_log::action.eq(&e.action),
                audit_log::object.eq(&e.object),
                audit_log::result.eq(&e.result),
                audit_log::assurance.eq(&e.assurance),
                audit_log::client_addr.eq(&e.client_addr),
                audit_log::detail.eq(&e.detail),
                audit_log::prev_hash.eq(&prev),
                audit_log::hash.eq(&hash),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Recent records of one school, newest first.
pub fn recent(conn: &mut DbConnection, school_id: i64, limit: i64) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::school_id.eq(school_id))
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// Verifies every chain; returns the id of the first broken record, if any. Reads the log in
/// batches, keeping only the last hash of each chain in memory.
pub fn verify_chains(conn: &mut DbConnection) -> QueryResult<Result<usize, i64>> {
    const BATCH: i64 = 5_000;
    // A chain whose oldest records were deleted by retention starts at its anchor.
    let anchors: Vec<(i64, String)> = audit_anchors::table
        .select((audit_anchors::school_id, audit_anchors::last_hash))
        .load(conn)?;
    let mut last: std::collections::HashMap<Option<i64>, String> = anchors
        .into_iter()
        .map(|(chain, hash)| ((chain != 0).then_some(chain), hash))
        .collect();
    let mut after = 0i64;
    let mut count = 0usize;
    loop {
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::id.gt(after))
            .order(audit_log::id.asc())
            .limit(BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        let Some(tail) = rows.last() else { break };
        after = tail.id;
        for r in &rows {
            let prev = last
                .get(&r.school_id)
                .cloned()
                .unwrap_or_else(|| GENESIS.to_owned());
            let e = NewAudit {
                school_id: r.school_id,
                actor_user_id: r.actor_user_id,
                action: r.action.clone(),
                object: r.object.clone(),
                result: r.result.clone(),
                assurance: r.assurance.clone(),
                client_addr: r.client_addr.clone(),
                detail: r.detail.clone(),
            };
            if r.prev_hash != prev || chain_hash(&prev, r.at, &e) != r.hash {
                return Ok(Err(r.id));
            }
            last.insert(r.school_id, r.hash.clone());
        }
        count += rows.len();
    }
    Ok(Ok(count))
}

/// Deletes the records of chain `school_id` (`None`: the operator chain) created before
/// `before`, as a prefix of the chain: everything before the first record that is not yet
/// due. The hash of the last deleted record becomes the chain's anchor, so `verify_chains`
/// checks the remaining records from there. Answers how many records went.
pub fn delete_prefix_before(
    conn: &mut DbConnection,
    school_id: Option<i64>,
    before: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let chain = school_id.unwrap_or(0);
    super::write_transaction(conn, |conn| {
        lock_chain(conn, chain)?;
        let (first_kept, last_due) = prefix_bounds(conn, school_id, before)?;
        let Some(last_due) = last_due else {
            return Ok(0);
        };
        let last_id = match first_kept {
            Some(kept) if kept <= last_due => kept - 1,
            _ => last_due,
        };
        let mine = chain_filter(school_id);
        let last_row: Option<(i64, String)> = audit_log::table
            .filter(mine)
            .filter(audit_log::id.le(last_id))
            .order(audit_log::id.desc())
            .select((audit_log::id, audit_log::hash))
            .first(conn)
            .optional()?;
        let Some((last_id, last_hash)) = last_row else {
            return Ok(0);
        };
        let n = diesel::delete(
            audit_log::table
                .filter(chain_filter(school_id))
                .filter(audit_log::id.le(last_id)),
        )
        .execute(conn)? as i64;
        let previous: i64 = audit_anchors::table
            .find(chain)
            .select(audit_anchors::deleted_total)
            .first(conn)
            .optional()?
            .unwrap_or(0);
        diesel::delete(audit_anchors::table.find(chain)).execute(conn)?;
        diesel::insert_into(audit_anchors::table)
            .values((
                audit_anchors::school_id.eq(chain),
                audit_anchors::last_deleted_id.eq(last_id),
                audit_anchors::last_hash.eq(&last_hash),
                audit_anchors::deleted_total.eq(previous + n),
                audit_anchors::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(n)
    })
}

/// How many records of chain `school_id` were created before `before` and would go with
/// [`delete_prefix_before`].
pub fn count_prefix_before(
    conn: &mut DbConnection,
    school_id: Option<i64>,
    before: NaiveDateTime,
) -> QueryResult<i64> {
    let (first_kept, last_due) = prefix_bounds(conn, school_id, before)?;
    let Some(last_due) = last_due else {
        return Ok(0);
    };
    let last_id = match first_kept {
        Some(kept) if kept <= last_due => kept - 1,
        _ => last_due,
    };
    audit_log::table
        .filter(chain_filter(school_id))
        .filter(audit_log::id.le(last_id))
        .count()
        .get_result(conn)
}

type Backend = <DbConnection as diesel::Connection>::Backend;
type ChainFilter =
    Box<dyn BoxableExpression<audit_log::table, Backend, SqlType = diesel::sql_types::Bool>>;

fn chain_filter(school_id: Option<i64>) -> ChainFilter {
    match school_id {
        Some(id) => Box::new(audit_log::school_id.eq(id).assume_not_null()),
        None => Box::new(audit_log::school_id.is_null()),
    }
}

/// The first record of the chain that is not due and the last one that is.
fn prefix_bounds(
    conn: &mut DbConnection,
    school_id: Option<i64>,
    before: NaiveDateTime,
) -> QueryResult<(Option<i64>, Option<i64>)> {
    let first_kept: Option<i64> = audit_log::table
        .filter(chain_filter(school_id))
        .filter(audit_log::at.ge(before))
        .select(diesel::dsl::min(audit_log::id))
        .first(conn)?;
    let last_due: Option<i64> = audit_log::table
        .filter(chain_filter(school_id))
        .filter(audit_log::at.lt(before))
        .select(diesel::dsl::max(audit_log::id))
        .first(conn)?;
    Ok((first_kept, last_due))
}

/// What the audit viewer filters by; every part optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_user_id: Option<i64>,
    /// An exact object, e.g. `schueler:17`.
    pub object: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    /// Exclusive.
    pub to: Option<NaiveDateTime>,
}

/// Records of one school matching `f`, newest first, at most `limit`.
pub fn search(
    conn: &mut DbConnection,
    school_id: i64,
    f: &AuditFilter,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_log::table
        .filter(audit_log::school_id.eq(school_id))
        .into_boxed();
    if let Some(actor) = f.actor_user_id {
        q = q.filter(audit_log::actor_user_id.eq(actor));
    }
    if let Some(object) = &f.object {
        q = q.filter(audit_log::object.eq(object.clone()));
    }
    if let Some(action) = &f.action {
        q = q.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(audit_log::at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(audit_log::at.lt(to));
    }
    q.order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// The distinct actions recorded for a school (for the viewer's choice list).
pub fn actions_of(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<String>> {
    audit_log::table
        .filter(audit_log::school_id.eq(school_id))
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action.asc())
        .load(conn)
}

/// Records of one school whose object is one of `objects`, oldest first.
pub fn about_objects(
    conn: &mut DbConnection,
    school_id: i64,
    objects: &[String],
) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::school_id.eq(school_id))
        .filter(audit_log::object.eq_any(objects))
        .order(audit_log::id.asc())
        .select(AuditRow::as_select())
        .load(conn)
}
