-- Issue 15: the refs each plugin was seen failing at, per target repo (one row per ref, its first sighting). A
-- cluster of a kernel.plugin_error whose plugin moved on to another ref after its last occurrence, and stayed quiet
-- for resolveAfterQuietDays, closes its issue as completed.
CREATE TABLE IF NOT EXISTS plugin_versions (
  repo TEXT NOT NULL,
  plugin TEXT NOT NULL,
  ref TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  PRIMARY KEY (repo, plugin, ref)
);
