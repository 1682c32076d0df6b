-- daemon-hotfix's own failures as the kernel reports them back (kernel.plugin_error about daemon-hotfix): never
-- filed on GitHub (a loop), listed on the dashboard. The newest 200 are kept; messages are redacted.
CREATE TABLE IF NOT EXISTS self_failures (
  event_id TEXT PRIMARY KEY,
  occurred_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  plugin TEXT NOT NULL,
  category TEXT NOT NULL,
  status INTEGER,
  message TEXT NOT NULL,
  trigger_repo TEXT,
  reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS self_failures_by_time ON self_failures (received_at);
