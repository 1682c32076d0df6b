import type { FailureEvent } from "../failure-event";
import type { Settings } from "../settings";
import { applyCeilings, type Clamp } from "./ceilings";
import type { HotfixPolicy } from "./hotfix-policy";
import { gatePrMode, type PrGate } from "./pr-gate";
import { reporterOwns } from "./reporter";
import { scopeSettings } from "./settings-scope";

/**
 * The settings a failure is handled with once the operator's rules are applied to what the event asked for: the
 * reporter's settings only for its own repos (else `HOTFIX_CONFIG`'s, see settings-scope.ts), the PR-mode gate for
 * the failure's target repo, then `HOTFIX_POLICY`'s floors and ceilings. Pure.
 */
export function effectiveSettings(settings: Settings, ctx: { failure: FailureEvent; policy: HotfixPolicy; operator: Settings }): { settings: Settings; clamped: Clamp[]; prGate: PrGate | null } {
  const scoped = scopeSettings(settings, ctx.operator, reporterOwns(ctx.failure, ctx.failure.target.repo));
  const gated = gatePrMode(scoped, { repo: ctx.failure.target.repo, failure: ctx.failure, prRepos: ctx.policy.prRepos, operator: ctx.operator });
  const { settings: ceiled, clamped } = applyCeilings(gated.settings, ctx.policy);
  return { settings: ceiled, clamped, prGate: gated.gate };
}
