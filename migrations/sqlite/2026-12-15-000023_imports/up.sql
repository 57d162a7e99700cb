-- Links brought by an import (wiselink import, POST /v1/links/import): when the row arrived. An
-- imported link starts in verifying, holding only the partner's refresh token, until its proof
-- (a refresh at Wise, then the identity check) decides it. A customer whose newest link was
-- imported is left alone by a later import of the same file.
ALTER TABLE links ADD COLUMN imported_at TIMESTAMP;
