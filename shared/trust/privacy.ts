import type { FailureEvent } from "../failure-event";
import { repoNameOf } from "../repo-name";
import { reporterOwner, reporterOwns } from "./reporter";

/** Lower-cased words that point at the reporter: its login, its trigger repo (full and short name) and the actor. */
function reporterNames(failure: FailureEvent): string[] {
  const names = [reporterOwner(failure), failure.trigger.repo, repoNameOf(failure.trigger.repo), failure.trigger.actor];
  return names.filter((n): n is string => typeof n === "string" && n.trim().length >= 2).map((n) => n.toLowerCase());
}

/**
 * What of a failure another owner's issue may carry (contract "Trust and tenancy", "Privacy across owners"). When
 * the reporter does not own the target repo, the failure keeps no trigger repo, issue/PR link or actor (only the
 * GitHub event's name), no reporter login, no delivery or installation id of the reporter's GitHub App, and no
 * log-trail line (nor kernel error line) that names the reporter, its trigger repo or the actor. The cluster, the issue body, its comments
 * and PR fixtures are all built from what this returns. Pure; the reporter's own repos see everything.
 */
export function visibleToTarget(failure: FailureEvent): FailureEvent {
  if (reporterOwns(failure, failure.target.repo)) return failure;
  const names = reporterNames(failure);
  // Substring tests over bounded lines: linear in the trail.
  const namesReporter = (line: string) => {
    const lower = line.toLowerCase();
    return names.some((name) => lower.includes(name));
  };
  const { reporter: _reporter, logErrorLine, ...rest } = failure;
  const { deliveryId: _delivery, installationId: _installation, ...correlation } = failure.correlation;
  return {
    ...rest,
    trigger: failure.trigger.githubEvent ? { githubEvent: failure.trigger.githubEvent } : {},
    correlation,
    logTrail: failure.logTrail.filter((line) => !namesReporter(line)),
    ...(logErrorLine !== undefined && !namesReporter(logErrorLine) ? { logErrorLine } : {}),
  };
}
