import type { GroupingVersion } from "../grouping/versions";
import { normalizeMessage } from "../normalize-message";
import type { Breakage, CiFacts } from "./schema";

/** Grouping versions that key CI failures by what broke (v1, frozen, keys them by the event alone). */
export function groupsCiByBreakage(version: GroupingVersion): boolean {
  return version !== "v1";
}

/**
 * The CI failure's fingerprint, apart from the plugin-error one (shared/fingerprint.ts) — what broke, not where
 * it ran:
 * - the repo (lower-cased) and the kind of event (`workflow_run`, `check_run`, `check_suite`);
 * - the workflow file (or the check's name, or the suite's app);
 * - the branch ONLY when `ciBranches` is set to something other than the default branch (by default only the
 *   default branch is watched, so the branch says nothing);
 * - the failed job's family (its name without matrix values), its first failed step, and the first error
 *   annotation's file and message — or, without one, the failed step's first error line — (`breakagesOf`), the
 *   error normalised as the grouping version normalises messages;
 * - the grouping version (`ci-v2\n…`): a grouping upgrade re-keys CI failures through its transition like others.
 * Not in: the run, its attempt, the commit, the time, the runner, the log around the error.
 * A run whose jobs GitHub would not let us read has no breakage: it is keyed `unread` by the event alone.
 */
export interface CiFingerprintParts {
  version: GroupingVersion;
  repo: string;
  source: string;
  workflow: string;
  branch?: string;
  job: string;
  step: string;
  error: string;
  unread: boolean;
}

export function ciFingerprintParts(repo: string, facts: CiFacts, breakage: Breakage | undefined, version: GroupingVersion): CiFingerprintParts {
  return {
    version,
    repo: repo.toLowerCase(),
    source: facts.source,
    workflow: facts.workflow.toLowerCase(),
    ...(facts.branchInFingerprint && facts.branch ? { branch: facts.branch } : {}),
    job: (breakage?.key.job ?? "").toLowerCase(),
    step: (breakage?.key.step ?? "").toLowerCase(),
    error: normalizeMessage(breakage?.key.error ?? "", version),
    unread: breakage === undefined,
  };
}

/** The text hashed into the fingerprint (one `name=value` line each; values cannot hold a newline that matters). */
export function ciFingerprintText(parts: CiFingerprintParts): string {
  const line = (name: string, value: string) => `${name}=${value.replace(/\n/g, " ")}`;
  return [
    `ci-${parts.version}`,
    line("repo", parts.repo),
    line("source", parts.source),
    line("workflow", parts.workflow),
    ...(parts.branch !== undefined ? [line("branch", parts.branch)] : []),
    ...(parts.unread ? ["unread"] : [line("job", parts.job), line("step", parts.step), line("error", parts.error)]),
  ].join("\n");
}
