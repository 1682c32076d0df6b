import { CURRENT_GROUPING, GROUPING_VERSIONS, type GroupingVersion } from "./grouping/versions";

/**
 * The message with its variable parts replaced by tokens and white space folded, as grouping `version` (default:
 * the current one) normalises it. The normalisations themselves live in `grouping/normalize-v<N>.ts`, frozen.
 */
export function normalizeMessage(message: string, version: GroupingVersion = CURRENT_GROUPING): string {
  return GROUPING_VERSIONS[version].normalize(message);
}
