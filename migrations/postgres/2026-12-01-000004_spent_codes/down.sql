ALTER TABLE links ADD COLUMN spent_code_hash BYTEA;
DROP TABLE spent_codes;
