DROP TABLE job_runs;
DROP TABLE audit_anchors;
DROP INDEX deletion_records_school_at;
DROP TABLE deletion_records;
DROP TABLE retention_settings;
