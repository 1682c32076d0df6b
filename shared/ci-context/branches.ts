import { globMatch } from "../glob";

/** Used when an event does not name its repository's default branch (GitHub's webhooks always do). */
export const FALLBACK_DEFAULT_BRANCH = "main";

export type BranchGate = { watched: true; branchInFingerprint: boolean } | { watched: false; reason: string };

/**
 * Whether CI on `branch` is watched: `ciBranches` globs (`*` any run of characters, `/` included), by default
 * only the repository's default branch; a run that names no branch (GitHub's check events of a fork's pull request)
 * never is. The branch is part of the fingerprint unless only the default branch is watched.
 */
export function ciBranchGate(branch: string | undefined, defaultBranch: string | undefined, ciBranches: readonly string[] | undefined): BranchGate {
  const main = defaultBranch || FALLBACK_DEFAULT_BRANCH;
  const patterns = ciBranches ?? [main];
  const onlyDefault = ciBranches === undefined || (ciBranches.length === 1 && ciBranches[0] === main);
  const described = ciBranches === undefined ? `the default branch "${main}" (settings.ciBranches)` : `settings.ciBranches (${patterns.map((p) => JSON.stringify(p)).join(", ")})`;
  // GitHub names no head branch for a check suite (or check run) of a fork's pull request: never watched, `*` included.
  if (branch === undefined || branch === "") return { watched: false, reason: `the run names no branch (as for a fork's pull request); CI is watched on ${described}` };
  if (!patterns.some((pattern) => globMatch(pattern, branch))) return { watched: false, reason: `branch "${branch}" is not watched: CI is watched on ${described}` };
  return { watched: true, branchInFingerprint: !onlyDefault };
}
