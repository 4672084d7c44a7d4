-- Files (api.md §6). The bytes live in the blob store under storage_key
-- (for the local store: a path below <data>/storage/uploads/<tenant_id>/);
-- a row exists only once its bytes are complete, verified and fsynced.
-- The id is a time-sortable "fil_" id: ordering by id is creation order.
CREATE TABLE files (
  id TEXT PRIMARY KEY,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  sha256 TEXT NOT NULL,
  storage_key TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

-- Stored bytes and file count, kept exact by triggers so the plan's storage
-- quota and usage reports read one row instead of summing every file.
CREATE TABLE file_totals (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  files INTEGER NOT NULL,
  bytes INTEGER NOT NULL
) STRICT;
INSERT INTO file_totals (id, files, bytes) VALUES (1, 0, 0);
CREATE TRIGGER files_count_insert AFTER INSERT ON files BEGIN
  UPDATE file_totals SET files = files + 1, bytes = bytes + NEW.size WHERE id = 1;
END;
CREATE TRIGGER files_count_delete AFTER DELETE ON files BEGIN
  UPDATE file_totals SET files = files - 1, bytes = bytes - OLD.size WHERE id = 1;
END;
