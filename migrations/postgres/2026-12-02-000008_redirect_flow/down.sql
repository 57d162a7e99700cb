ALTER TABLE links DROP COLUMN claimed_at;
ALTER TABLE links DROP COLUMN return_url;
DROP TABLE authorization_states;
