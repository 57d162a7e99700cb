ALTER TABLE links ADD COLUMN spent_code_hash BLOB;
DROP TABLE spent_codes;
