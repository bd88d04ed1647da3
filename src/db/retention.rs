//! Retention: each school's periods, what is due under them, the deletions themselves, the
//! deletion records (the proof of deletion) and the run-once lock of scheduled jobs.

use super::DbConnection;
use super::schema::{
    absence_cases, attendance, attest_requirements, change_history, conduct_notes, guardians,
    lessons, notebook_entries, pupil_health_codes, pupil_photos, pupil_profiles, pupils,
    register_entries, school_years, schools, social_work_assignments, substitutions,
    support_measures,
};
use super::schema_retention::{deletion_records, job_runs, retention_settings};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

/// A school's retention periods, in years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = retention_settings)]
pub struct Periods {
    /// Register data: years after the end of the closed school year (§ 10 SchulDSVO: 3).
    pub register_years: i32,
    /// Notebook entries: years after the entry's date.
    pub notebook_years: i32,
    /// Profile data: years after the pupil left (at most 5).
    pub profile_years: i32,
    /// Audit records: deleted at the end of the `audit_years`-th year after the year of
    /// creation.
    pub audit_years: i32,
}

impl Default for Periods {
    fn default() -> Self {
        Self {
            register_years: 3,
            notebook_years: 2,
            profile_years: 1,
            audit_years: 1,
        }
    }
}

/// The school's periods (the defaults until the headteacher saved others).
pub fn periods(conn: &mut DbConnection, school_id: i64) -> QueryResult<Periods> {
    Ok(retention_settings::table
        .find(school_id)
        .select(Periods::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

pub fn save_periods(
    conn: &mut DbConnection,
    school_id: i64,
    p: &Periods,
    now: NaiveDateTime,
) -> QueryResult<()> {
    super::write_transaction(conn, |conn| {
        diesel::delete(retention_settings::table.find(school_id)).execute(conn)?;
        diesel::insert_into(retention_settings::table)
            .values((
                retention_settings::school_id.eq(school_id),
                retention_settings::register_years.eq(p.register_years),
                retention_settings::notebook_years.eq(p.notebook_years),
                retention_settings::profile_years.eq(p.profile_years),
                retention_settings::audit_years.eq(p.audit_years),
                retention_settings::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })
}

pub fn school_ids(conn: &mut DbConnection) -> QueryResult<Vec<i64>> {
    schools::table
        .select(schools::id)
        .order(schools::id)
        .load(conn)
}

/// A closed school year.
#[derive(Debug, Clone, Queryable)]
pub struct ClosedYear {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Closed school years that ended before `ended_before`.
pub fn closed_years_ended_before(
    conn: &mut DbConnection,
    school_id: i64,
    ended_before: NaiveDate,
) -> QueryResult<Vec<ClosedYear>> {
    school_years::table
        .filter(school_years::school_id.eq(school_id))
        .filter(school_years::closed_at.is_not_null())
        .filter(school_years::ends_on.lt(ended_before))
        .order(school_years::starts_on)
        .select((
            school_years::id,
            school_years::name,
            school_years::starts_on,
            school_years::ends_on,
        ))
        .load(conn)
}

/// The classes with lessons, register entries or absence cases in `[from, to]`.
pub fn classes_with_register(
    conn: &mut DbConnection,
    school_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<i64>> {
    let mut ids: Vec<i64> = lessons::table
        .filter(lessons::school_id.eq(school_id))
        .filter(lessons::date.between(from, to))
        .select(lessons::class_id)
        .distinct()
        .load(conn)?;
    let more: Vec<i64> = register_entries::table
        .filter(register_entries::school_id.eq(school_id))
        .filter(register_entries::date.between(from, to))
        .select(register_entries::class_id)
        .distinct()
        .load(conn)?;
    ids.extend(more);
    // Classes whose pupils have absence cases in the range, even without a recorded lesson.
    let of_cases: Vec<i64> = absence_cases::table
        .inner_join(pupils::table.on(pupils::id.eq(absence_cases::pupil_id)))
        .filter(absence_cases::school_id.eq(school_id))
        .filter(absence_cases::to_date.between(from, to))
        .select(pupils::class_id)
        .distinct()
        .load(conn)?;
    ids.extend(of_cases);
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Rows of register data in `[from, to]`, by kind; counted or deleted by the same filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterCounts {
    pub lessons: i64,
    pub attendance: i64,
    pub history: i64,
    pub entries: i64,
    pub absence_cases: i64,
    pub attests: i64,
    pub substitutions: i64,
}

impl RegisterCounts {
    pub fn total(&self) -> i64 {
        self.lessons
            + self.attendance
            + self.history
            + self.entries
            + self.absence_cases
            + self.attests
            + self.substitutions
    }
}

/// Deletes the rows of the query `$q` (with `$delete`) or counts them; the number of rows
/// either way. Counting and deleting use the same filters, so the dry run shows what a run
/// deletes.
macro_rules! count_or_delete {
    ($conn:expr, $q:expr, $delete:expr) => {
        if $delete {
            diesel::delete($q).execute($conn)? as i64
        } else {
            $q.count().get_result::<i64>($conn)?
        }
    };
}

/// Runs `work` in one write transaction when it deletes; counting needs none.
fn counting_or_deleting<T>(
    conn: &mut DbConnection,
    delete: bool,
    work: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    if delete {
        super::write_transaction(conn, work)
    } else {
        work(conn)
    }
}

/// Counts (with `delete == false`) or deletes the register data of `[from, to]`. The rows
/// are named by subqueries, not id lists, so a school year of 70,000 lessons stays within
/// the bind-parameter limits of both backends.
pub fn register_data(
    conn: &mut DbConnection,
    school_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    delete: bool,
) -> QueryResult<RegisterCounts> {
    // The school's rows of table `$t` whose column `$date` lies in `[from, to]`.
    macro_rules! in_range {
        ($t:ident, $date:ident) => {
            $t::table
                .filter($t::school_id.eq(school_id))
                .filter($t::$date.between(from, to))
        };
    }
    macro_rules! ids {
        ($t:ident, $date:ident) => {
            in_range!($t, $date).select($t::id)
        };
    }
    counting_or_deleting(conn, delete, |conn| {
        let history = |entities: &'static [&'static str]| {
            change_history::table
                .filter(change_history::school_id.eq(school_id))
                .filter(change_history::entity.eq_any(entities))
        };
        // The change history of `entities` whose rows of `$t` lie in `[from, to]`.
        macro_rules! history_of {
            ($entities:expr, $t:ident, $date:ident) => {
                history($entities).filter(change_history::entity_id.eq_any(ids!($t, $date)))
            };
        }
        let mut c = RegisterCounts::default();
        let lesson_history = history_of!(&["lesson", "attendance"], lessons, date);
        c.history += count_or_delete!(conn, lesson_history, delete);
        let absence_history = history_of!(&["absence"], absence_cases, to_date);
        c.history += count_or_delete!(conn, absence_history, delete);
        let attest_history = history_of!(&["attest"], attest_requirements, to_date);
        c.history += count_or_delete!(conn, attest_history, delete);
        let entry_history = history_of!(&["entry"], register_entries, date);
        c.history += count_or_delete!(conn, entry_history, delete);
        c.attendance = count_or_delete!(
            conn,
            attendance::table
                .filter(attendance::school_id.eq(school_id))
                .filter(attendance::lesson_id.eq_any(ids!(lessons, date))),
            delete
        );
        c.lessons = count_or_delete!(conn, in_range!(lessons, date), delete);
        c.absence_cases = count_or_delete!(conn, in_range!(absence_cases, to_date), delete);
        c.attests = count_or_delete!(conn, in_range!(attest_requirements, to_date), delete);
        c.entries = count_or_delete!(conn, in_range!(register_entries, date), delete);
        c.substitutions = count_or_delete!(conn, in_range!(substitutions, date), delete);
        Ok(c)
    })
}

/// Counts or deletes notebook entries dated before `before`.
pub fn notebook_before(
    conn: &mut DbConnection,
    school_id: i64,
    before: NaiveDate,
    delete: bool,
) -> QueryResult<i64> {
    let q = notebook_entries::table
        .filter(notebook_entries::school_id.eq(school_id))
        .filter(notebook_entries::date.lt(before));
    Ok(count_or_delete!(conn, q, delete))
}

/// Enrolment rows of pupils who left before `left_before`. A class change ends one row and
/// starts another with the same name, so a row counts only when every row of that name has
/// ended before `left_before` (two pupils of the same name keep their data until both left).
pub fn pupils_left_before(
    conn: &mut DbConnection,
    school_id: i64,
    left_before: NaiveDate,
) -> QueryResult<Vec<i64>> {
    let rows: Vec<(i64, String, String, Option<NaiveDate>)> = pupils::table
        .filter(pupils::school_id.eq(school_id))
        .select((
            pupils::id,
            pupils::surname,
            pupils::first_name,
            pupils::enrolled_to,
        ))
        .order(pupils::id)
        .load(conn)?;
    let mut still_here = std::collections::HashSet::new();
    for (_, surname, first_name, to) in &rows {
        if to.is_none_or(|t| t >= left_before) {
            still_here.insert((surname.clone(), first_name.clone()));
        }
    }
    Ok(rows
        .into_iter()
        .filter(|(_, s, f, _)| !still_here.contains(&(s.clone(), f.clone())))
        .map(|(id, ..)| id)
        .collect())
}

/// Counts or deletes the profile data (class B data beyond the register) of `pupil_ids`:
/// profile, photo, guardians, health codes, support measures, conduct notes, social-work
/// assignments and the pupil's change history. The name and enrolment stay while the
/// register still names the pupil.
pub fn profile_data(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_ids: &[i64],
    delete: bool,
) -> QueryResult<i64> {
    // The school's rows of table `$t` that belong to one of `pupil_ids`.
    macro_rules! of_pupils {
        ($t:ident) => {
            $t::table
                .filter($t::school_id.eq(school_id))
                .filter($t::pupil_id.eq_any(pupil_ids))
        };
    }
    counting_or_deleting(conn, delete, |conn| {
        let mut n = 0;
        n += count_or_delete!(conn, of_pupils!(pupil_profiles), delete);
        n += count_or_delete!(conn, of_pupils!(pupil_photos), delete);
        n += count_or_delete!(conn, of_pupils!(guardians), delete);
        n += count_or_delete!(conn, of_pupils!(pupil_health_codes), delete);
        n += count_or_delete!(conn, of_pupils!(support_measures), delete);
        n += count_or_delete!(conn, of_pupils!(conduct_notes), delete);
        n += count_or_delete!(conn, of_pupils!(social_work_assignments), delete);
        let history = change_history::table
            .filter(change_history::school_id.eq(school_id))
            .filter(change_history::entity.eq("pupil"))
            .filter(change_history::entity_id.eq_any(pupil_ids));
        n += count_or_delete!(conn, history, delete);
        Ok(n)
    })
}

/// One line of a deletion record as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deletion_records)]
pub struct DeletionRecord {
    pub id: i64,
    #[diesel(embed)]
    pub record: NewDeletionRecord,
}

/// One line of a deletion record: what was deleted under which rule, by whom, when.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = deletion_records)]
pub struct NewDeletionRecord {
    pub school_id: i64,
    pub run_id: String,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub rule: String,
    pub what: String,
    pub count: i64,
    pub archive: String,
}

pub fn add_record(conn: &mut DbConnection, r: &NewDeletionRecord) -> QueryResult<()> {
    diesel::insert_into(deletion_records::table)
        .values(r)
        .execute(conn)?;
    Ok(())
}

/// The school's deletion records, newest first.
pub fn records(
    conn: &mut DbConnection,
    school_id: i64,
    limit: i64,
) -> QueryResult<Vec<DeletionRecord>> {
    deletion_records::table
        .filter(deletion_records::school_id.eq(school_id))
        .order(deletion_records::id.desc())
        .limit(limit)
        .select(DeletionRecord::as_select())
        .load(conn)
}

/// Claims the run of `job` on `day` for `school_id` (0: all schools) by inserting its row.
/// Exactly one caller gets `true`, however many instances try at once; the others get
/// `false` (the primary key refuses their insert).
pub fn claim_job(
    conn: &mut DbConnection,
    job: &str,
    day: NaiveDate,
    school_id: i64,
    instance: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(job_runs::table)
        .values((
            job_runs::job.eq(job),
            job_runs::day.eq(day),
            job_runs::school_id.eq(school_id),
            job_runs::instance.eq(instance),
            job_runs::started_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Marks a claimed run as finished with `outcome`.
pub fn finish_job(
    conn: &mut DbConnection,
    job: &str,
    day: NaiveDate,
    school_id: i64,
    outcome: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(job_runs::table.find((job, day, school_id)))
        .set((
            job_runs::finished_at.eq(Some(now)),
            job_runs::outcome.eq(outcome),
        ))
        .execute(conn)?;
    Ok(())
}
