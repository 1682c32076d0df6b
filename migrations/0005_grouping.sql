-- Versioned grouping (issue 18).
-- The grouping version each cluster's fingerprint was computed under; rows from before are v1.
ALTER TABLE clusters ADD COLUMN grouping TEXT NOT NULL DEFAULT 'v1';

-- When this deployment took each grouping version into use, and the version it replaced: during the transition
-- (GROUPING_TRANSITION_DAYS from started_at) events are hashed under both, and join the previous version's
-- cluster when it exists. Written once per version by the first consumer that groups with it.
CREATE TABLE IF NOT EXISTS grouping_versions (
  version TEXT PRIMARY KEY,
  previous TEXT,              -- NULL: nothing to carry over (a deployment with no clusters yet)
  started_at TEXT NOT NULL    -- ISO 8601
);
