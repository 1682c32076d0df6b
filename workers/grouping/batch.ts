import type { FailureEvent } from "../../shared/failure-event";
import type { GroupingKey } from "../../shared/grouping/route";
import { activeGrouping, type GroupingUpgrade } from "../../shared/grouping/transition";
import type { FingerprintRule } from "../../shared/settings";
import { configOf } from "../config";
import { batchRouter, candidatesOf } from "./cluster-route";
import { groupingUpgrade } from "./upgrade";

/** What a consumer run groups with; tests inject an upgrade and a clock. */
export interface GroupingOptions {
  /** Default: D1 `grouping_versions` for the current version (workers/grouping/upgrade.ts). */
  upgrade?: GroupingUpgrade;
  nowMs?: () => number;
}

/**
 * For one consumer batch: which cluster a failure goes to (issue 18). Hashes it under the current grouping version
 * and, during a transition (`GROUPING_TRANSITION_DAYS` after the current version was taken into use), under the
 * previous one, then routes it (workers/grouping/cluster-route.ts), asking the cluster objects once per pair of keys.
 */
export function batchGrouping(env: Env, options: GroupingOptions = {}): (failure: FailureEvent, rules: readonly FingerprintRule[], carried?: GroupingKey) => Promise<GroupingKey> {
  const now = options.nowMs ?? Date.now;
  const route = batchRouter(env.CLUSTER, now);
  let upgrade: Promise<GroupingUpgrade> | null = options.upgrade ? Promise.resolve(options.upgrade) : null;
  return async (failure, rules, carried) => {
    upgrade ??= groupingUpgrade(env.DB, now());
    const active = activeGrouping(await upgrade, configOf(env).grouping.transitionDays, now());
    // The fingerprint ingest computed and carried (issue 14): used as it is outside a transition, when it was
    // computed under the version in use; otherwise the keys are computed here.
    if (carried && carried.version === active.current && !active.previous) return carried;
    return route(await candidatesOf(failure, rules, active));
  };
}
