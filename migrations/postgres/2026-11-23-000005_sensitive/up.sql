-- Class B pupil data. Every *_enc column holds XChaCha20-Poly1305 ciphertext
-- (`<key-id>$<base64url>`) under a key kept outside the database.
CREATE TABLE pupil_profiles (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    pupil_id BIGINT NOT NULL UNIQUE REFERENCES pupils(id),
    birth_date_enc TEXT,
    sex_enc TEXT,
    address_enc TEXT,
    email_enc TEXT,
    phone_enc TEXT,
    training_company_enc TEXT,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE pupil_photos (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    pupil_id BIGINT NOT NULL UNIQUE REFERENCES pupils(id),
    data_enc TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE guardians (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    name_enc TEXT NOT NULL,
    relation_enc TEXT NOT NULL,
    custody_enc TEXT NOT NULL,
    contact_enc TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX guardians_pupil ON guardians(school_id, pupil_id);

-- The school's code list for health impairments; the meaning of a code is class B too.
CREATE TABLE health_codes (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    code TEXT NOT NULL,
    meaning_enc TEXT NOT NULL,
    UNIQUE (school_id, code)
);

CREATE TABLE pupil_health_codes (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    health_code_id BIGINT NOT NULL REFERENCES health_codes(id),
    UNIQUE (pupil_id, health_code_id)
);

CREATE TABLE support_measures (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    kind TEXT NOT NULL CHECK (kind IN ('nachteilsausgleich', 'notenschutz', 'rechtschreibung')),
    detail_enc TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX support_measures_pupil ON support_measures(school_id, pupil_id);

CREATE TABLE conduct_notes (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    date DATE NOT NULL,
    text_enc TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX conduct_notes_pupil ON conduct_notes(school_id, pupil_id);

-- A teacher's notebook: interim assessments and grades, visible to its owner only.
CREATE TABLE notebook_entries (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    class_id BIGINT NOT NULL REFERENCES classes(id),
    subject_id BIGINT REFERENCES subjects(id),
    date DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('beitrag', 'lernverhalten', 'zwischennote')),
    text_enc TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notebook_entries_owner ON notebook_entries(school_id, owner_id, pupil_id);

-- Which pupils a school social worker looks after, and for how long.
CREATE TABLE social_work_assignments (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    pupil_id BIGINT NOT NULL REFERENCES pupils(id),
    valid_from DATE NOT NULL,
    valid_to DATE,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX social_work_assignments_user ON social_work_assignments(school_id, user_id);
