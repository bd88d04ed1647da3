//! The school's documents: the data for the privacy notice and the documentation pack
//! (`document_settings`), the school-specific sections of the Dienstanweisung
//! (`document_sections`) and every issued version (`issued_documents`).

use super::DbConnection;
use super::schema::{role_assignments, users};
use super::schema_documents::{document_sections, document_settings, issued_documents};
use super::users::assignment_valid_on;
use crate::auth::roles::Role;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// What a school states about itself in its documents. Every field may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = document_settings)]
pub struct SchoolDetails {
    pub school_address: String,
    pub dpo_name: String,
    pub dpo_email: String,
    pub dpo_phone: String,
    pub operator: String,
}

/// The school's details, or empty ones if it has never saved any.
pub fn details(conn: &mut DbConnection, school_id: i64) -> QueryResult<SchoolDetails> {
    Ok(document_settings::table
        .filter(document_settings::school_id.eq(school_id))
        .select(SchoolDetails::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// Stores the school's details (one row per school).
pub fn save_details(
    conn: &mut DbConnection,
    school_id: i64,
    d: &SchoolDetails,
    by: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    // The same values for the update and, if the school has no row yet, the insert.
    let values = || {
        (
            document_settings::school_address.eq(&d.school_address),
            document_settings::dpo_name.eq(&d.dpo_name),
            document_settings::dpo_email.eq(&d.dpo_email),
            document_settings::dpo_phone.eq(&d.dpo_phone),
            document_settings::operator.eq(&d.operator),
            document_settings::updated_at.eq(now),
            document_settings::updated_by.eq(Some(by)),
        )
    };
    super::write_transaction(conn, |c| {
        let updated = diesel::update(
            document_settings::table.filter(document_settings::school_id.eq(school_id)),
        )
        .set(values())
        .execute(c)?;
        if updated == 0 {
            diesel::insert_into(document_settings::table)
                .values((document_settings::school_id.eq(school_id), values()))
                .execute(c)?;
        }
        Ok(())
    })
}

/// The school's own texts for the editable sections of `document`: section key → text.
pub fn sections(
    conn: &mut DbConnection,
    school_id: i64,
    document: &str,
) -> QueryResult<Vec<(String, String)>> {
    document_sections::table
        .filter(document_sections::school_id.eq(school_id))
        .filter(document_sections::document.eq(document))
        .order(document_sections::section)
        .select((document_sections::section, document_sections::body))
        .load(conn)
}

/// Sets the school's text of one section; `None` returns it to the template's text.
pub fn set_section(
    conn: &mut DbConnection,
    school_id: i64,
    document: &str,
    section: &str,
    body: Option<&str>,
    by: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    super::write_transaction(conn, |c| {
        let row = document_sections::table
            .filter(document_sections::school_id.eq(school_id))
            .filter(document_sections::document.eq(document))
            .filter(document_sections::section.eq(section));
        diesel::delete(row).execute(c)?;
        if let Some(body) = body {
            diesel::insert_into(document_sections::table)
                .values((
                    document_sections::school_id.eq(school_id),
                    document_sections::document.eq(document),
                    document_sections::section.eq(section),
                    document_sections::body.eq(body),
                    document_sections::updated_at.eq(now),
                    document_sections::updated_by.eq(Some(by)),
                ))
                .execute(c)?;
        }
        Ok(())
    })
}

/// One issued version of a document.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = issued_documents)]
pub struct Issued {
    pub id: i64,
    pub version_no: i32,
    /// The version recorded with an acknowledgement (`<number>-<hash>`).
    pub version: String,
    pub content_hash: String,
    pub body: String,
    pub effective_from: NaiveDate,
    pub issued_at: NaiveDateTime,
    pub issued_by: i64,
}

/// The school's issued versions of `document`.
#[diesel::dsl::auto_type]
fn versions_of<'a>(school_id: i64, document: &'a str) -> _ {
    issued_documents::table
        .filter(issued_documents::school_id.eq(school_id))
        .filter(issued_documents::document.eq(document))
}

/// The latest issued version of `document`, if any: the one every user must acknowledge.
pub fn current(
    conn: &mut DbConnection,
    school_id: i64,
    document: &str,
) -> QueryResult<Option<Issued>> {
    versions_of(school_id, document)
        .order(issued_documents::version_no.desc())
        .select(Issued::as_select())
        .first(conn)
        .optional()
}

/// Every issued version of `document`, newest first.
pub fn all_issued(
    conn: &mut DbConnection,
    school_id: i64,
    document: &str,
) -> QueryResult<Vec<Issued>> {
    versions_of(school_id, document)
        .order(issued_documents::version_no.desc())
        .select(Issued::as_select())
        .load(conn)
}

/// One issued version by its number.
pub fn issued_by_number(
    conn: &mut DbConnection,
    school_id: i64,
    document: &str,
    version_no: i32,
) -> QueryResult<Option<Issued>> {
    versions_of(school_id, document)
        .filter(issued_documents::version_no.eq(version_no))
        .select(Issued::as_select())
        .first(conn)
        .optional()
}

/// A version about to be issued.
#[derive(Debug, Clone, Copy)]
pub struct NewIssue<'a> {
    pub school_id: i64,
    pub document: &'a str,
    pub body: &'a str,
    pub content_hash: &'a str,
    pub effective_from: NaiveDate,
    pub by: i64,
    pub now: NaiveDateTime,
}

/// Issues a new version of `document` with the next number; returns it.
pub fn issue(conn: &mut DbConnection, new: NewIssue<'_>) -> QueryResult<Issued> {
    let NewIssue {
        school_id,
        document,
        body,
        content_hash,
        effective_from,
        by,
        now,
    } = new;
    super::write_transaction(conn, |c| {
        let last: Option<i32> = versions_of(school_id, document)
            .select(diesel::dsl::max(issued_documents::version_no))
            .first(c)?;
        let number = last.unwrap_or(0) + 1;
        let version = format!("{number}-{}", &content_hash[..content_hash.len().min(8)]);
        let id = diesel::insert_into(issued_documents::table)
            .values((
                issued_documents::school_id.eq(school_id),
                issued_documents::document.eq(document),
                issued_documents::version_no.eq(number),
                issued_documents::version.eq(&version),
                issued_documents::content_hash.eq(content_hash),
                issued_documents::body.eq(body),
                issued_documents::effective_from.eq(effective_from),
                issued_documents::issued_at.eq(now),
                issued_documents::issued_by.eq(by),
            ))
            .returning(issued_documents::id)
            .get_result::<i64>(c)?;
        issued_documents::table
            .find(id)
            .select(Issued::as_select())
            .first(c)
    })
}

/// Display names of the active users holding `role` on `today`, sorted.
pub fn holders_of(
    conn: &mut DbConnection,
    school_id: i64,
    role: Role,
    today: NaiveDate,
) -> QueryResult<Vec<String>> {
    let mut names: Vec<String> = role_assignments::table
        .inner_join(users::table)
        .filter(role_assignments::school_id.eq(school_id))
        .filter(users::school_id.eq(school_id))
        .filter(users::active.eq(true))
        .filter(role_assignments::role.eq(role.as_str()))
        .filter(assignment_valid_on(today))
        .select(users::display_name)
        .load(conn)?;
    names.sort();
    names.dedup();
    Ok(names)
}
