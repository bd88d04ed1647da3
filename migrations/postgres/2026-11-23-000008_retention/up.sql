-- Retention (product.md § 4.6): each school's periods, the proof of every deletion, the
-- anchors that let the audit chains verify after their oldest records were deleted, and the
-- run-once lock of scheduled jobs shared by all app instances.
CREATE TABLE retention_settings (
    school_id BIGINT PRIMARY KEY REFERENCES schools(id),
    register_years INTEGER NOT NULL DEFAULT 3,
    notebook_years INTEGER NOT NULL DEFAULT 2,
    profile_years INTEGER NOT NULL DEFAULT 1,
    audit_years INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE deletion_records (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    run_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_user_id BIGINT,
    rule TEXT NOT NULL,
    what TEXT NOT NULL,
    count BIGINT NOT NULL,
    archive TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deletion_records_school_at ON deletion_records (school_id, at);

-- One row per audit chain whose oldest records were deleted: the hash of the last deleted
-- record, which the first remaining record names as its predecessor. school_id 0 is the
-- operator chain.
CREATE TABLE audit_anchors (
    school_id BIGINT PRIMARY KEY,
    last_deleted_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    deleted_total BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The run-once lock: the instance that inserts (job, day, school) runs the job; the others
-- get a unique violation and skip. school_id 0 means a run over all schools.
CREATE TABLE job_runs (
    job TEXT NOT NULL,
    day DATE NOT NULL,
    school_id BIGINT NOT NULL,
    instance TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job, day, school_id)
);
