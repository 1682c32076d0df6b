import type { Settings } from "../settings";

/**
 * The settings that change what a target repo sees (contract "Trust and tenancy", "Whose settings shape an
 * issue"): labels, mentions, PR mode and its guard rails, cadence and grouping.
 */
export const TARGET_SHAPING_KEYS = ["issueLabels", "notify", "modes", "riskPolicy", "windowMinutes", "updateIntervalSeconds", "fingerprintRules", "autoClose", "fileAfter", "resolveAfterQuietDays"] as const satisfies ReadonlyArray<keyof Settings>;

/**
 * The event's settings as they may shape the target: a reporter's own `with:` block shapes issues only in its own
 * repos; for any other target (an owner in `HOTFIX_POLICY.targetOwners`) the operator's `HOTFIX_CONFIG` values apply
 * to every target-shaping key, so no reporter changes labels, mentions, cadence, grouping or PR mode in another
 * owner's repo. The reporter's other settings (enabled, allowlists, keepRawPayload, …) concern only its own events
 * and stay. Pure.
 */
export function scopeSettings(settings: Settings, operator: Settings, reporterOwnsTarget: boolean): Settings {
  if (reporterOwnsTarget) return settings;
  const scoped: Settings = { ...settings };
  for (const key of TARGET_SHAPING_KEYS) Object.assign(scoped, { [key]: operator[key] });
  return scoped;
}
