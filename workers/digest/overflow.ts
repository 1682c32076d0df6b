import type { DigestedStepResult } from "../../shared/cluster-state";
import { type DigestEntry, utcDay } from "../../shared/digest/digest-state";
import type { HotfixPolicy } from "../../shared/trust/hotfix-policy";
import { configOf } from "../config";
import type { Plan } from "../durable/cluster";
import type { SpikeGuard } from "../durable/spike-guard";

/** The spike guard of a target repo (one per repo, whatever the case GitHub spells it in). */
export function spikeGuardOf(env: Env, repo: string): DurableObjectStub<SpikeGuard> {
  return env.SPIKE_GUARD.getByName(`repo:${repo.toLowerCase()}`);
}

/** How often a digest's body may be edited: the operator's `minUpdateIntervalSeconds`, at least once a second. */
export function digestIntervalMs(policy: HotfixPolicy): number {
  return Math.max(1, policy.minUpdateIntervalSeconds) * 1000;
}

function entryOf(plan: Plan, count: number): DigestEntry {
  return { fingerprint: plan.fingerprint, plugin: plan.view.sample.plugin.id, message: plan.view.sample.message, count, firstSeen: plan.view.firstSeen };
}

async function report(plan: Plan, env: Env, day: string, base: number): Promise<DigestedStepResult> {
  const count = plan.reflects - base;
  if (count > 0) await spikeGuardOf(env, plan.repo).report(plan.repo, day, entryOf(plan, count), digestIntervalMs(configOf(env).policy), Date.now());
  return { wrote: "digested", day, base };
}

/**
 * Spike protection before a cluster's issue is created: claims one of the repo's new issues for today (exact, in
 * the repo's `SpikeGuard`). Null: create the issue. Over `maxNewIssuesPerRepoPerDay`: no issue — the failure is
 * counted into today's digest instead, and the cluster is told so.
 */
export async function admitNewIssue(plan: Plan, env: Env): Promise<DigestedStepResult | null> {
  const day = plan.digest?.day ?? utcDay(Date.now());
  const granted = await spikeGuardOf(env, plan.repo).claimIssue(plan.repo, day, plan.fingerprint, configOf(env).policy.maxNewIssuesPerRepoPerDay);
  return granted ? null : report(plan, env, day, plan.digest?.base ?? 0);
}

/** A failure in a digest recurred the same day: its digest entry gets the cluster's exact count. */
export async function reportDigested(plan: Plan, env: Env): Promise<DigestedStepResult> {
  if (!plan.digest) throw new Error("a digest step needs its day");
  return report(plan, env, plan.digest.day, plan.digest.base);
}
