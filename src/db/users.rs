//! Users, their role assignments and one-time setup links.

use super::DbConnection;
use super::schema::{role_assignments, setup_tokens, users};
use crate::auth::roles::Role;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub school_id: i64,
    pub login: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub setup_complete: bool,
    pub created_at: NaiveDateTime,
}

/// Logins are compared case-insensitively; they are stored in this normal form.
pub fn normalize_login(login: &str) -> String {
    login.trim().to_lowercase()
}

pub fn create(
    conn: &mut DbConnection,
    school_id: i64,
    login: &str,
    display_name: &str,
    now: NaiveDateTime,
) -> QueryResult<User> {
    let id = diesel::insert_into(users::table)
        .values((
            users::school_id.eq(school_id),
            users::login.eq(normalize_login(login)),
            users::display_name.eq(display_name),
            users::active.eq(true),
            users::setup_complete.eq(false),
            users::created_at.eq(now),
        ))
        .returning(users::id)
        .get_result::<i64>(conn)?;
    users::table.find(id).select(User::as_select()).first(conn)
}

pub fn find_by_login(conn: &mut DbConnection, login: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::login.eq(normalize_login(login)))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// A user of the given school; `None` for another school's user (tenant isolation).
pub fn find_in_school(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<Option<User>> {
    users::table
        .filter(users::school_id.eq(school_id))
        .filter(users::id.eq(user_id))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// A user of the given school together with the school, in one statement.
pub fn find_in_school_with_school(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<Option<(User, crate::db::schools::School)>> {
    use super::schema::schools;
    users::table
        .inner_join(schools::table)
        .filter(users::school_id.eq(school_id))
        .filter(users::id.eq(user_id))
        .select((User::as_select(), crate::db::schools::School::as_select()))
        .first(conn)
        .optional()
}

pub fn list_in_school(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::school_id.eq(school_id))
        .order(users::display_name)
        .select(User::as_select())
        .load(conn)
}

pub fn set_password_hash(conn: &mut DbConnection, user_id: i64, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
}

pub fn set_setup_complete(conn: &mut DbConnection, user_id: i64, done: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::setup_complete.eq(done))
        .execute(conn)
}

pub fn set_active(conn: &mut DbConnection, user_id: i64, active: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::active.eq(active))
        .execute(conn)
}

/// Grants a role (optionally scoped to a class) from today on.
pub fn assign_role(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    role: Role,
    class_id: Option<i64>,
) -> QueryResult<usize> {
    diesel::insert_into(role_assignments::table)
        .values((
            role_assignments::school_id.eq(school_id),
            role_assignments::user_id.eq(user_id),
            role_assignments::role.eq(role.as_str()),
            role_assignments::class_id.eq(class_id),
        ))
        .execute(conn)
}

/// Role assignments valid on `day` (an open start or end counts as valid).
#[diesel::dsl::auto_type]
pub(crate) fn assignment_valid_on(day: NaiveDate) -> _ {
    role_assignments::valid_from
        .is_null()
        .or(role_assignments::valid_from.le(day))
        .and(
            role_assignments::valid_to
                .is_null()
                .or(role_assignments::valid_to.ge(day)),
        )
}

/// The roles a user holds on `today` (assignments outside their validity do not count).
pub fn roles_on(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    today: NaiveDate,
) -> QueryResult<Vec<Role>> {
    let rows: Vec<String> = role_assignments::table
        .filter(role_assignments::school_id.eq(school_id))
        .filter(role_assignments::user_id.eq(user_id))
        .filter(assignment_valid_on(today))
        .select(role_assignments::role)
        .load(conn)?;
    let mut roles: Vec<Role> = rows.iter().filter_map(|r| Role::parse(r)).collect();
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// Stores a setup token (only its hash).
pub fn create_setup_token(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(setup_tokens::table)
        .values((
            setup_tokens::school_id.eq(school_id),
            setup_tokens::user_id.eq(user_id),
            setup_tokens::token_hash.eq(token_hash),
            setup_tokens::created_at.eq(now),
            setup_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// The user a setup token is for, if it is valid now (does not use it up).
pub fn peek_setup_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<User>> {
    let user_id = setup_tokens::table
        .filter(setup_tokens::token_hash.eq(token_hash))
        .filter(setup_tokens::used_at.is_null())
        .filter(setup_tokens::expires_at.gt(now))
        .select(setup_tokens::user_id)
        .first::<i64>(conn)
        .optional()?;
    match user_id {
        Some(id) => users::table
            .find(id)
            .filter(users::active.eq(true))
            .select(User::as_select())
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// Invalidates every unused setup token of a user (reset, deactivation).
pub fn revoke_setup_tokens(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        setup_tokens::table
            .filter(setup_tokens::school_id.eq(school_id))
            .filter(setup_tokens::user_id.eq(user_id))
            .filter(setup_tokens::used_at.is_null()),
    )
    .set(setup_tokens::used_at.eq(now))
    .execute(conn)
}

/// Redeems a setup token: marks it used (once) and returns its user, if it is valid now.
pub fn redeem_setup_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<User>> {
    let updated = diesel::update(
        setup_tokens::table
            .filter(setup_tokens::token_hash.eq(token_hash))
            .filter(setup_tokens::used_at.is_null())
            .filter(setup_tokens::expires_at.gt(now)),
    )
    .set(setup_tokens::used_at.eq(now))
    .returning(setup_tokens::user_id)
    .get_results::<i64>(conn)?;
    match updated.first() {
        Some(user_id) => users::table
            .find(user_id)
            .filter(users::active.eq(true))
            .select(User::as_select())
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// Removes the password (admin reset; the user sets a new one via a setup link).
pub fn clear_password(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(None::<String>))
        .execute(conn)
}
