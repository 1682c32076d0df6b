-- Write budgets in use (one per token or App installation), so /metrics and the dashboard can show what is left.
-- Keys are `token:<sha256 prefix>` or `installation:<id>`: never a token.
CREATE TABLE IF NOT EXISTS budgets (
  key TEXT PRIMARY KEY,
  updated_at TEXT NOT NULL
);
