//! Second factors: TOTP secrets (encrypted), WebAuthn credentials, recovery codes.

use super::DbConnection;
use super::schema::{recovery_codes, totp_factors, webauthn_credentials};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = totp_factors)]
pub struct TotpFactor {
    pub id: i64,
    pub school_id: i64,
    pub user_id: i64,
    pub label: String,
    pub secret_enc: String,
    pub active: bool,
    pub last_step: i64,
    pub failed_count: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webauthn_credentials)]
pub struct WebauthnCredential {
    pub id: i64,
    pub school_id: i64,
    pub user_id: i64,
    pub label: String,
    pub credential_id: String,
    pub passkey: String,
    pub failed_count: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

pub fn create_totp(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    label: &str,
    secret_enc: &str,
    active: bool,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(totp_factors::table)
        .values((
            totp_factors::school_id.eq(school_id),
            totp_factors::user_id.eq(user_id),
            totp_factors::label.eq(label),
            totp_factors::secret_enc.eq(secret_enc),
            totp_factors::active.eq(active),
            totp_factors::last_step.eq(0i64),
            totp_factors::failed_count.eq(0),
            totp_factors::created_at.eq(now),
        ))
        .returning(totp_factors::id)
        .get_result(conn)
}

pub fn totps_of(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<Vec<TotpFactor>> {
    totp_factors::table
        .filter(totp_factors::school_id.eq(school_id))
        .filter(totp_factors::user_id.eq(user_id))
        .order(totp_factors::id)
        .select(TotpFactor::as_select())
        .load(conn)
}

/// Accepts time step `step` for the factor if it is later than every step accepted before
/// (one atomic compare-and-set: two parallel submits of one code cannot both pass).
/// Activates a pending factor. Returns false if the step was already used.
pub fn accept_totp_step(
    conn: &mut DbConnection,
    factor_id: i64,
    step: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        totp_factors::table
            .filter(totp_factors::id.eq(factor_id))
            .filter(totp_factors::last_step.lt(step)),
    )
    .set((
        totp_factors::last_step.eq(step),
        totp_factors::active.eq(true),
        totp_factors::failed_count.eq(0),
        totp_factors::locked_until.eq(None::<NaiveDateTime>),
        totp_factors::last_used_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Counts a wrong code; at `lock_at` failures the factor locks until `lock_until`.
pub fn totp_failure(
    conn: &mut DbConnection,
    factor_id: i64,
    lock_at: i32,
    lock_until: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(totp_factors::table.find(factor_id))
        .set(totp_factors::failed_count.eq(totp_factors::failed_count + 1))
        .execute(conn)?;
    diesel::update(
        totp_factors::table
            .find(factor_id)
            .filter(totp_factors::failed_count.ge(lock_at)),
    )
    .set((
        totp_factors::locked_until.eq(Some(lock_until)),
        totp_factors::failed_count.eq(0),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn delete_totp(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    id: i64,
) -> QueryResult<usize> {
    diesel::delete(
        totp_factors::table
            .filter(totp_factors::school_id.eq(school_id))
            .filter(totp_factors::user_id.eq(user_id))
            .filter(totp_factors::id.eq(id)),
    )
    .execute(conn)
}

/// Removes pending (never activated) TOTP enrolments.
pub fn delete_pending_totps(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<usize> {
    diesel::delete(
        totp_factors::table
            .filter(totp_factors::school_id.eq(school_id))
            .filter(totp_factors::user_id.eq(user_id))
            .filter(totp_factors::active.eq(false)),
    )
    .execute(conn)
}

pub fn create_webauthn(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    label: &str,
    credential_id: &str,
    passkey: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(webauthn_credentials::table)
        .values((
            webauthn_credentials::school_id.eq(school_id),
            webauthn_credentials::user_id.eq(user_id),
            webauthn_credentials::label.eq(label),
            webauthn_credentials::credential_id.eq(credential_id),
            webauthn_credentials::passkey.eq(passkey),
            webauthn_credentials::failed_count.eq(0),
            webauthn_credentials::created_at.eq(now),
        ))
        .returning(webauthn_credentials::id)
        .get_result(conn)
}

pub fn webauthn_of(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<Vec<WebauthnCredential>> {
    webauthn_credentials::table
        .filter(webauthn_credentials::school_id.eq(school_id))
        .filter(webauthn_credentials::user_id.eq(user_id))
        .order(webauthn_credentials::id)
        .select(WebauthnCredential::as_select())
        .load(conn)
}

pub fn credential_id_taken(conn: &mut DbConnection, credential_id: &str) -> QueryResult<bool> {
    let n: i64 = webauthn_credentials::table
        .filter(webauthn_credentials::credential_id.eq(credential_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn update_passkey(
    conn: &mut DbConnection,
    id: i64,
    passkey: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(webauthn_credentials::table.find(id))
        .set((
            webauthn_credentials::passkey.eq(passkey),
            webauthn_credentials::last_used_at.eq(now),
        ))
        .execute(conn)
}

pub fn delete_webauthn(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    id: i64,
) -> QueryResult<usize> {
    diesel::delete(
        webauthn_credentials::table
            .filter(webauthn_credentials::school_id.eq(school_id))
            .filter(webauthn_credentials::user_id.eq(user_id))
            .filter(webauthn_credentials::id.eq(id)),
    )
    .execute(conn)
}

/// Number of usable second factors (active TOTP + WebAuthn credentials).
pub fn active_factor_count(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<i64> {
    let totp: i64 = totp_factors::table
        .filter(totp_factors::school_id.eq(school_id))
        .filter(totp_factors::user_id.eq(user_id))
        .filter(totp_factors::active.eq(true))
        .count()
        .get_result(conn)?;
    let webauthn: i64 = webauthn_credentials::table
        .filter(webauthn_credentials::school_id.eq(school_id))
        .filter(webauthn_credentials::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    Ok(totp + webauthn)
}

/// Replaces all recovery codes of a user by the given hashes.
pub fn replace_recovery_codes(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    hashes: &[String],
) -> QueryResult<()> {
    diesel::delete(
        recovery_codes::table
            .filter(recovery_codes::school_id.eq(school_id))
            .filter(recovery_codes::user_id.eq(user_id)),
    )
    .execute(conn)?;
    for h in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::school_id.eq(school_id),
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(h),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn unused_recovery_codes(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::school_id.eq(school_id))
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Uses a recovery code once (atomic). Returns false if unknown or already used.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    code_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::school_id.eq(school_id))
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(code_hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes every factor and recovery code of a user (admin reset).
pub fn delete_all_factors(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<()> {
    diesel::delete(
        totp_factors::table
            .filter(totp_factors::school_id.eq(school_id))
            .filter(totp_factors::user_id.eq(user_id)),
    )
    .execute(conn)?;
    diesel::delete(
        webauthn_credentials::table
            .filter(webauthn_credentials::school_id.eq(school_id))
            .filter(webauthn_credentials::user_id.eq(user_id)),
    )
    .execute(conn)?;
    diesel::delete(
        recovery_codes::table
            .filter(recovery_codes::school_id.eq(school_id))
            .filter(recovery_codes::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}
