import type { FailureEvent } from "../failure-event";
import { ownerOf } from "../repo-name";

/**
 * The reporter: the owner of the repo whose event made the kernel dispatch (contract: "Trust and tenancy") —
 * `trigger.repo`'s owner for `kernel.plugin_error` (ingest falls back to `repository.full_name` when the kernel
 * sent no trigger repo), `repository.owner.login` for workflow/check events (their `trigger.repo` is
 * `repository.full_name`, whose owner part is that login). Ingest records it as `failure.reporter` (the trigger
 * repo is not rendered across owners); older failures fall back to the trigger repo. It wrote the `with:` block;
 * null when the event names no repo at all (then it owns nothing).
 */
export function reporterOwner(failure: Pick<FailureEvent, "trigger"> & Partial<Pick<FailureEvent, "reporter">>): string | null {
  return failure.reporter ?? ownerOf(failure.trigger.repo);
}

/** Whether the reporter owns `repo` (GitHub logins compare case-insensitively). */
export function reporterOwns(failure: Pick<FailureEvent, "trigger"> & Partial<Pick<FailureEvent, "reporter">>, repo: string): boolean {
  const reporter = reporterOwner(failure);
  const owner = ownerOf(repo);
  return reporter !== null && owner !== null && reporter.toLowerCase() === owner.toLowerCase();
}
