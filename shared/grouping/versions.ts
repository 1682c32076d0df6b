import { normalizeV1 } from "./normalize-v1.ts";
import { normalizeV2 } from "./normalize-v2.ts";

/**
 * Every grouping version released, oldest first. A version is a message normalisation, frozen once released: its
 * fingerprints name clusters and issue markers, so changing it would re-key every ongoing failure. An improvement is
 * a new version (README, "Upgrading the grouping"): the consumer then hashes each event under the current and the
 * previous version for a transition period, and an event whose previous-version cluster exists joins it.
 * (Imports carry `.ts` so that `npm run bench` can load this in Node.)
 */
export const GROUPING_VERSIONS = {
  /** The first normalisation: emails, URL queries, IPs, UUIDs, hashes, dates, durations, numbers. */
  v1: { normalize: normalizeV1 },
  /** v1 plus this ecosystem's identifiers: ray ids, node ids, ULIDs, prefixed and random ids, request ids (issue 18). */
  v2: { normalize: normalizeV2 },
} as const satisfies Record<string, { normalize: (message: string) => string }>;

export type GroupingVersion = keyof typeof GROUPING_VERSIONS;

/** The newest version released. */
export const LATEST_GROUPING: GroupingVersion = "v2";

/** The version new failures are grouped under. */
export const CURRENT_GROUPING: GroupingVersion = "v2";

export function isGroupingVersion(value: unknown): value is GroupingVersion {
  return typeof value === "string" && Object.hasOwn(GROUPING_VERSIONS, value);
}
