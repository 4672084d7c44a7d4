-- Public files (api.md §14 "Public files"): a file with public = 1 is served
-- without credentials at /public/<tenant slug>/<file id>/<filename>.
-- Files start private; PATCH /v1/files/{id} {"public": …} flips the flag.
ALTER TABLE files ADD COLUMN public INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1));
