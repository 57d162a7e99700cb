-- No change on this backend: the Wise call budget is shared through PostgreSQL. An SQLite
-- database serves one instance, which counts its Wise calls in memory; this migration keeps both
-- trees' histories in step.
SELECT 1;
