-- The school's own documents: data for the privacy notice and the documentation pack, the
-- school-specific sections of the Dienstanweisung, and every issued version of it.
CREATE TABLE document_settings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL UNIQUE REFERENCES schools(id),
    school_address TEXT NOT NULL DEFAULT '',
    dpo_name TEXT NOT NULL DEFAULT '',
    dpo_email TEXT NOT NULL DEFAULT '',
    dpo_phone TEXT NOT NULL DEFAULT '',
    operator TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT REFERENCES users(id)
);

CREATE TABLE document_sections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    document TEXT NOT NULL,
    section TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    UNIQUE (school_id, document, section)
);

CREATE TABLE issued_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    document TEXT NOT NULL,
    version_no INTEGER NOT NULL,
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    effective_from DATE NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    issued_by BIGINT NOT NULL REFERENCES users(id),
    UNIQUE (school_id, document, version_no)
);
