-- Master-data import (docs/import/README.md): the school software's stable ids on pupils,
-- staff and classes; uploads waiting between preview and apply; the school's own header
-- names.
ALTER TABLE pupils ADD COLUMN external_id TEXT;
CREATE INDEX pupils_external ON pupils(school_id, external_id);
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_external ON users(school_id, external_id);
ALTER TABLE classes ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX classes_external ON classes(school_id, external_id);

-- An uploaded file that passed validation, kept on the server until it is applied or
-- expires. The browser holds only the token; the row holds its SHA-256.
CREATE TABLE pending_imports (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_imports_school ON pending_imports(school_id, expires_at);

-- The school's header name for a field of an import kind (overrides the defaults).
CREATE TABLE import_mappings (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    kind TEXT NOT NULL,
    field TEXT NOT NULL,
    header TEXT NOT NULL,
    UNIQUE (school_id, kind, field)
);
