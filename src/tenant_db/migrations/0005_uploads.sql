-- Files on their way in (api.md §14). Neither table holds files yet, so
-- neither touches file_totals (stored bytes, usage reports); while they
-- live, their declared sizes count against the plan's quota
-- (files::UsedBytes), and once expired they count for nothing and
-- housekeeping removes them with their bytes (files::TakeExpired).
--
-- pending_files: a direct upload (POST /v1/files/upload-url) whose bytes go
-- straight to the blob store under storage_key; POST /v1/files/{id}/complete
-- checks them and moves the row into files. sha256 is what the client
-- announced ('' = none); received_sha256 is what the local store's one-time
-- PUT received ('' = nothing yet, or S3, where the bytes bypass tenantd).
CREATE TABLE pending_files (
  id TEXT PRIMARY KEY,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  sha256 TEXT NOT NULL,
  storage_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  received_sha256 TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX pending_files_expires_at ON pending_files (expires_at);

-- uploads: a tus 1.0 resumable upload (/v1/uploads). Its bytes so far are
-- the first `received` bytes of its staging file (files/upload_staging.h);
-- bytes past `received` were never acknowledged and are cut off before the
-- next append. metadata is the Upload-Metadata header as sent (echoed by HEAD).
CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  metadata TEXT NOT NULL,
  length INTEGER NOT NULL CHECK (length >= 0),
  received INTEGER NOT NULL CHECK (received >= 0 AND received <= length),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX uploads_expires_at ON uploads (expires_at);
