-- The cross-cluster view: one row per fingerprint, written when its issue changes on GitHub.
-- The cluster Durable Object stays the source of truth for live counts.
CREATE TABLE IF NOT EXISTS clusters (
  fingerprint TEXT PRIMARY KEY,
  repo TEXT NOT NULL,
  plugin TEXT NOT NULL,
  category TEXT NOT NULL,
  issue_number INTEGER,
  state TEXT NOT NULL,          -- pending | creating | open | closed | blocked
  state_reason TEXT,
  total INTEGER NOT NULL,
  reflected INTEGER NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  blocked_reason TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clusters_by_repo ON clusters (repo, last_seen);
CREATE INDEX IF NOT EXISTS clusters_by_plugin ON clusters (plugin, last_seen);

-- The last transient error of an event, so that a dead letter says why its retries ran out.
CREATE TABLE IF NOT EXISTS event_errors (
  event_id TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
