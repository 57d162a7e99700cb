ALTER TABLE links DROP COLUMN imported_at;
