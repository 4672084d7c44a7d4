-- Products (api.md §5). The id is a time-sortable "prd_" id, so ordering by
-- id is creation order and serves cursor pagination. version counts writes
-- and is the ETag. attributes is a JSON object stored as text.
CREATE TABLE products (
  id TEXT PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  price_cents INTEGER NOT NULL,
  currency TEXT NOT NULL,
  attributes TEXT NOT NULL DEFAULT '{}',
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
