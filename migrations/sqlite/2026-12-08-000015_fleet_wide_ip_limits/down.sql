-- No change on this backend: the per-address limits are shared through PostgreSQL. An SQLite
-- database serves one instance, which counts them in memory; this migration keeps both trees'
-- histories in step.
SELECT 1;
