-- Counters in hourly buckets: events by outcome, processed events, and later GitHub calls. They survive
-- restarts and feed /metrics and the dashboard. `labels` is canonical JSON (keys sorted).
CREATE TABLE IF NOT EXISTS counters (
  bucket_start INTEGER NOT NULL, -- unix seconds, start of the hour
  name TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  value INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket_start, name, labels)
);
CREATE INDEX IF NOT EXISTS counters_by_name ON counters (name, bucket_start);
