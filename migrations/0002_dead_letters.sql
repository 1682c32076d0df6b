-- Events that could not be processed: exhausted retries, a permanent GitHub refusal, or an unreadable
-- message. Bodies are the redacted queue message; nothing here holds a secret.
CREATE TABLE IF NOT EXISTS dead_letters (
  id TEXT PRIMARY KEY,             -- the queue message id
  event_id TEXT,                   -- FailureEvent.eventId when the body is readable
  repo TEXT,
  plugin TEXT,
  queue TEXT NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,              -- redacted JSON of the message
  created_at TEXT NOT NULL,
  replayed_at TEXT
);
CREATE INDEX IF NOT EXISTS dead_letters_by_repo ON dead_letters (repo, created_at);
