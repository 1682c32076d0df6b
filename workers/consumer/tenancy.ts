import type { FailureEvent } from "../../shared/failure-event";
import type { FailureMessage } from "../../shared/queue-message";
import type { Settings } from "../../shared/settings";
import { visibleToTarget } from "../../shared/trust/privacy";
import { reporterOwner, reporterOwns } from "../../shared/trust/reporter";
import type { MetricsBuffer } from "../metrics/buffer";
import { settingsFor } from "./effective-settings";
import { resolveTarget } from "./resolve-target";

/** A queued failure once the trust rules have placed it (contract "Trust and tenancy"). */
export interface Placed {
  /** The failure with its settled target, stripped of the reporter's private details when another owner's repo gets it. */
  failure: FailureEvent;
  /** The settings it is handled with (the reporter's only in its own repos), its fingerprintRules included. */
  settings: Settings;
  /** The reporter (owner of the trigger repo), counted once per cluster. */
  reporter: string | null;
  /** Whether the reporter owns the target repo: only then may its event change a cluster's settings. */
  ownsTarget: boolean;
  /** Whether the target was settled here (a claim verified or refused): a fingerprint carried from ingest is then not the one. */
  resolvedHere: boolean;
}

/**
 * Places a queued failure: verifies a URL plugin's claimed repo through GitHub (else the reporter's config repo),
 * scopes its settings to what the reporter may shape there, and keeps its private details out of another owner's
 * repo. The cluster, the issue and any PR fixture are built from what this returns.
 */
export async function placeFailure(message: Pick<FailureMessage, "failure" | "settings">, env: Env, metrics: MetricsBuffer): Promise<Placed> {
  const settled = await resolveTarget(message.failure, env, metrics);
  const ownsTarget = reporterOwns(settled, settled.target.repo);
  return {
    failure: visibleToTarget(settled),
    settings: settingsFor(env, message.settings, settled),
    reporter: reporterOwner(settled),
    ownsTarget,
    resolvedHere: settled !== message.failure,
  };
}
