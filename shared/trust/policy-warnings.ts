import type { FailureEvent } from "../failure-event";
import type { SettingsWarning } from "../settings-leniency";
import type { Settings } from "../settings";
import { applyCeilings } from "./ceilings";
import type { HotfixPolicy } from "./hotfix-policy";
import { gatePrMode } from "./pr-gate";

/**
 * What the operator's `HOTFIX_POLICY` changed in a with: block, as settings warnings (the reporter learns that its
 * `windowMinutes: 1` runs as 15, or that PR mode is refused, instead of wondering why): the floors and ceilings
 * (`applyCeilings`), and the PR-mode gate when the target repo is already known. Pure.
 */
export function policyWarnings(settings: Settings, ctx: { failure: FailureEvent; policy: HotfixPolicy; operator: Settings; targetKnown: boolean }): SettingsWarning[] {
  const warnings: SettingsWarning[] = applyCeilings(settings, ctx.policy).clamped.map((clamp) => {
    const colon = clamp.indexOf(": ");
    const key = colon > 0 ? clamp.slice(0, colon) : "settings";
    return { path: `settings.${key}`, key, message: `${clamp.slice(colon + 2)}: the operator's policy applies` };
  });
  if (ctx.targetKnown) {
    const { gate } = gatePrMode(settings, { repo: ctx.failure.target.repo, failure: ctx.failure, prRepos: ctx.policy.prRepos, operator: ctx.operator });
    if (gate && !gate.allowed) warnings.push({ path: "settings.modes", key: "modes", message: `PR mode refused: ${gate.reason}; issues only` });
  }
  return warnings;
}
