-- The tenant root and the identities of the foundation. Every table that holds school data
-- carries school_id, so a school can be isolated, exported, deleted or moved on its own.
CREATE TABLE schools (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    second_factor_policy TEXT NOT NULL DEFAULT 'lesson_mode'
        CHECK (second_factor_policy IN ('lesson_mode', 'always')),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    setup_complete BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX users_school ON users(school_id);

CREATE TABLE role_assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL CHECK (role IN ('schulleitung', 'verwaltung', 'klassenlehrkraft',
        'lehrkraft', 'sekretariat', 'schulsozialarbeit')),
    class_id BIGINT,
    valid_from DATE,
    valid_to DATE
);
CREATE INDEX role_assignments_user ON role_assignments(school_id, user_id);

CREATE TABLE setup_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

-- Server-side sessions; the primary key is the SHA-256 of the cookie value, never the value.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    school_id BIGINT REFERENCES schools(id),
    user_id BIGINT REFERENCES users(id),
    stage TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    elevated_at TIMESTAMP,
    elevation_seen_at TIMESTAMP,
    user_agent TEXT NOT NULL DEFAULT '',
    client_addr TEXT NOT NULL DEFAULT '',
    flash TEXT,
    pending TEXT
);
CREATE INDEX sessions_user ON sessions(school_id, user_id);

-- Append-only, hash-chained audit trail.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT,
    at TIMESTAMP NOT NULL,
    actor_user_id BIGINT,
    action TEXT NOT NULL,
    object TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL,
    assurance TEXT NOT NULL,
    client_addr TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_school_at ON audit_log(school_id, at);

CREATE TABLE classes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL,
    UNIQUE (school_id, name)
);

CREATE TABLE subjects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    short_name TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (school_id, short_name)
);

CREATE TABLE pupils (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    class_id BIGINT NOT NULL REFERENCES classes(id),
    surname TEXT NOT NULL,
    first_name TEXT NOT NULL,
    enrolled_from DATE NOT NULL,
    enrolled_to DATE
);
CREATE INDEX pupils_class ON pupils(school_id, class_id);

CREATE TABLE timetable_slots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    class_id BIGINT NOT NULL REFERENCES classes(id),
    subject_id BIGINT NOT NULL REFERENCES subjects(id),
    teacher_id BIGINT NOT NULL REFERENCES users(id),
    weekday SMALLINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    period SMALLINT NOT NULL CHECK (period BETWEEN 1 AND 16),
    room TEXT NOT NULL DEFAULT '',
    valid_from DATE NOT NULL,
    valid_to DATE
);
CREATE INDEX timetable_slots_teacher ON timetable_slots(school_id, teacher_id, weekday);
