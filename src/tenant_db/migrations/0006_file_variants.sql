-- Image variants (api.md §14): a scaled copy of an image file, made on its
-- first request and kept in the blob store under storage_key (the file's
-- own key + "." + variant, e.g. "2026/12/03/fil_….256x256.webp"). Their
-- bytes count as stored bytes (file_totals.bytes, so quotas and usage
-- include them), but not as files. DELETE of a file removes its variants in
-- the same transaction (files::DeleteVariants).
CREATE TABLE file_variants (
  file_id TEXT NOT NULL,
  variant TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  sha256 TEXT NOT NULL,
  storage_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (file_id, variant)
) STRICT;
CREATE TRIGGER file_variants_count_insert AFTER INSERT ON file_variants BEGIN
  UPDATE file_totals SET bytes = bytes + NEW.size WHERE id = 1;
END;
CREATE TRIGGER file_variants_count_delete AFTER DELETE ON file_variants BEGIN
  UPDATE file_totals SET bytes = bytes - OLD.size WHERE id = 1;
END;
