-- The keys fit for Citus (school_id first in every key of a school table) are a PostgreSQL
-- matter; see migrations/postgres/2026-11-23-000009_distribution_keys. Nothing changes here.
SELECT 1;
