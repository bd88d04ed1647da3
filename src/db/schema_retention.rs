//! Diesel tables of retention, deletion records, audit anchors and the job lock
//! (`migrations/<backend>/2026-11-23-000008_retention`).

diesel::table! {
    retention_settings (school_id) {
        school_id -> BigInt,
        register_years -> Integer,
        notebook_years -> Integer,
        profile_years -> Integer,
        audit_years -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    deletion_records (id) {
        id -> BigInt,
        school_id -> BigInt,
        run_id -> Text,
        at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        rule -> Text,
        what -> Text,
        count -> BigInt,
        archive -> Text,
    }
}

diesel::table! {
    audit_anchors (school_id) {
        school_id -> BigInt,
        last_deleted_id -> BigInt,
        last_hash -> Text,
        deleted_total -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    job_runs (job, day, school_id) {
        job -> Text,
        day -> Date,
        school_id -> BigInt,
        instance -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        outcome -> Text,
    }
}
