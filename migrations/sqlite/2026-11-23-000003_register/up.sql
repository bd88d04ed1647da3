-- The register: school calendar, time grids, groups, substitutions, lessons, attendance,
-- change history, register entries, absence cases and Attestpflicht.
ALTER TABLE schools ADD COLUMN lock_days INTEGER NOT NULL DEFAULT 7;

CREATE TABLE school_years (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    closed_at TIMESTAMP,
    UNIQUE (school_id, name)
);

CREATE TABLE terms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    school_year_id BIGINT NOT NULL REFERENCES school_years(id),
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL
);
CREATE INDEX terms_school ON terms(school_id, starts_on);

CREATE TABLE holidays (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL
);
CREATE INDEX holidays_school ON holidays(school_id, starts_on);

-- A time grid says when each period starts and ends; a school may switch grids mid-year.
CREATE TABLE time_grids (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE
);

CREATE TABLE periods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    time_grid_id BIGINT NOT NULL REFERENCES time_grids(id),
    number SMALLINT NOT NULL,
    start_minute INTEGER NOT NULL,
    end_minute INTEGER NOT NULL,
    UNIQUE (time_grid_id, number)
);

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL,
    UNIQUE (school_id, name)
);

-- Teaching groups / courses across or within classes (e.g. "Religion ev. 7", "Spanisch Q1").
CREATE TABLE teaching_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL,
    UNIQUE (school_id, name)
);

CREATE TABLE group_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    group_id BIGINT NOT NULL REFERENCES teaching_groups(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    valid_from DATE NOT NULL,
    valid_to DATE
);
CREATE INDEX group_members_group ON group_members(school_id, group_id);

-- No REFERENCES here: SQLite cannot drop a column that is part of a foreign key.
ALTER TABLE timetable_slots ADD COLUMN group_id BIGINT;

-- A substitution or cancellation of one slot on one date.
CREATE TABLE substitutions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    slot_id BIGINT NOT NULL REFERENCES timetable_slots(id),
    date DATE NOT NULL,
    substitute_id BIGINT REFERENCES users(id),
    cancelled BOOLEAN NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (slot_id, date)
);
CREATE INDEX substitutions_date ON substitutions(school_id, date);

-- A lesson as given: times and length are copied from the grid valid on that date, so a
-- later grid switch never re-counts past lessons.
CREATE TABLE lessons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    slot_id BIGINT NOT NULL REFERENCES timetable_slots(id),
    date DATE NOT NULL,
    class_id BIGINT NOT NULL REFERENCES classes(id),
    group_id BIGINT REFERENCES teaching_groups(id),
    subject_id BIGINT NOT NULL REFERENCES subjects(id),
    teacher_id BIGINT NOT NULL REFERENCES users(id),
    period SMALLINT NOT NULL,
    start_minute INTEGER NOT NULL,
    end_minute INTEGER NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    homework TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('dokumentiert', 'ausgefallen')),
    documented_by BIGINT NOT NULL REFERENCES users(id),
    documented_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (slot_id, date)
);
CREATE INDEX lessons_class_date ON lessons(school_id, class_id, date);
CREATE INDEX lessons_teacher_date ON lessons(school_id, teacher_id, date);

-- Only deviations from "present" are stored.
CREATE TABLE attendance (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    lesson_id BIGINT NOT NULL REFERENCES lessons(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    status TEXT NOT NULL CHECK (status IN ('abwesend', 'verspaetet', 'frueh_gegangen')),
    minutes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (lesson_id, pupil_id)
);
CREATE INDEX attendance_pupil ON attendance(school_id, pupil_id);

-- Every change of attendance, absences and lesson data: who, when, old -> new, assurance;
-- after the lock, with the reason of the amendment.
CREATE TABLE change_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    at TIMESTAMP NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    assurance TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    amendment_reason TEXT
);
CREATE INDEX change_history_entity ON change_history(school_id, entity, entity_id);

CREATE TABLE register_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    class_id BIGINT NOT NULL REFERENCES classes(id),
    group_id BIGINT REFERENCES teaching_groups(id),
    date DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('klassenarbeit', 'belehrung', 'notiz', 'verhalten')),
    text TEXT NOT NULL,
    pupil_id BIGINT REFERENCES pupils(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX register_entries_class ON register_entries(school_id, class_id, date);

CREATE TABLE absence_cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    from_date DATE NOT NULL,
    to_date DATE NOT NULL,
    from_period SMALLINT,
    to_period SMALLINT,
    reason TEXT NOT NULL CHECK (reason IN ('krank', 'beurlaubt', 'schulische_veranstaltung',
        'schulsozialarbeit', 'sonstige')),
    note_enc TEXT,
    excuse TEXT NOT NULL DEFAULT 'offen' CHECK (excuse IN ('offen', 'entschuldigt', 'unentschuldigt')),
    excuse_received_on DATE,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX absence_cases_pupil ON absence_cases(school_id, pupil_id, from_date);

CREATE TABLE attest_requirements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    from_date DATE NOT NULL,
    to_date DATE NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attest_requirements_pupil ON attest_requirements(school_id, pupil_id);
