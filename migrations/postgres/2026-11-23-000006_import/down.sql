DROP TABLE import_mappings;
DROP TABLE pending_imports;
DROP INDEX classes_external;
ALTER TABLE classes DROP COLUMN external_id;
DROP INDEX users_external;
ALTER TABLE users DROP COLUMN external_id;
DROP INDEX pupils_external;
ALTER TABLE pupils DROP COLUMN external_id;
