//! The profile of a pupil (personal data, contact, training company) and the photo, sealed.

use crate::auth::extract::Elevation;
use crate::db::DbConnection;
use crate::db::schema::{pupil_photos, pupil_profiles};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The sealed profile values of a pupil.
#[derive(Debug, Clone, Default, Queryable, Selectable)]
#[diesel(table_name = pupil_profiles)]
pub struct ProfileRow {
    pub birth_date_enc: Option<String>,
    pub sex_enc: Option<String>,
    pub address_enc: Option<String>,
    pub email_enc: Option<String>,
    pub phone_enc: Option<String>,
    pub training_company_enc: Option<String>,
}

pub fn profile(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Option<ProfileRow>> {
    pupil_profiles::table
        .filter(pupil_profiles::school_id.eq(school_id))
        .filter(pupil_profiles::pupil_id.eq(pupil_id))
        .select(ProfileRow::as_select())
        .first(conn)
        .optional()
}

/// Sealed new values: `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = pupil_profiles)]
pub struct ProfileChanges {
    pub birth_date_enc: Option<Option<String>>,
    pub sex_enc: Option<Option<String>>,
    pub address_enc: Option<Option<String>>,
    pub email_enc: Option<Option<String>>,
    pub phone_enc: Option<Option<String>>,
    pub training_company_enc: Option<Option<String>>,
}

/// Writes profile values, creating the profile row on first use.
pub fn save_profile(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    changes: &ProfileChanges,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let exists: i64 = pupil_profiles::table
        .filter(pupil_profiles::school_id.eq(school_id))
        .filter(pupil_profiles::pupil_id.eq(pupil_id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(pupil_profiles::table)
            .values((
                pupil_profiles::school_id.eq(school_id),
                pupil_profiles::pupil_id.eq(pupil_id),
                pupil_profiles::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    diesel::update(
        pupil_profiles::table
            .filter(pupil_profiles::school_id.eq(school_id))
            .filter(pupil_profiles::pupil_id.eq(pupil_id)),
    )
    .set((changes, pupil_profiles::updated_at.eq(now)))
    .execute(conn)?;
    Ok(())
}

// Photo.

/// The sealed photo of a pupil.
pub fn photo(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Option<String>> {
    pupil_photos::table
        .filter(pupil_photos::school_id.eq(school_id))
        .filter(pupil_photos::pupil_id.eq(pupil_id))
        .select(pupil_photos::data_enc)
        .first(conn)
        .optional()
}

/// Whether a pupil has a photo (the fact only, not the photo).
pub fn has_photo(conn: &mut DbConnection, school_id: i64, pupil_id: i64) -> QueryResult<bool> {
    let n: i64 = pupil_photos::table
        .filter(pupil_photos::school_id.eq(school_id))
        .filter(pupil_photos::pupil_id.eq(pupil_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Stores a sealed photo, replacing an earlier one; true if one was replaced.
pub fn save_photo(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    data_enc: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let replaced = diesel::update(
        pupil_photos::table
            .filter(pupil_photos::school_id.eq(school_id))
            .filter(pupil_photos::pupil_id.eq(pupil_id)),
    )
    .set((
        pupil_photos::data_enc.eq(data_enc),
        pupil_photos::updated_at.eq(now),
    ))
    .execute(conn)?;
    if replaced == 0 {
        diesel::insert_into(pupil_photos::table)
            .values((
                pupil_photos::school_id.eq(school_id),
                pupil_photos::pupil_id.eq(pupil_id),
                pupil_photos::data_enc.eq(data_enc),
                pupil_photos::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(replaced > 0)
}
