-- Test API keys (wiselink api-key create --test): they work only while wise.api_url is the
-- simulator, and they alone may pull the test triggers (POST /v1/test/links/{id}/…). Every key
-- made before this migration is a live key.
ALTER TABLE api_keys ADD COLUMN mode TEXT NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'test'));
