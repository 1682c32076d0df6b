import type { Settings } from "../settings";
import type { HotfixPolicy } from "./hotfix-policy";

/** What `applyCeilings` changed, e.g. `windowMinutes: 1 → 15 (HOTFIX_POLICY.minWindowMinutes)`. */
export type Clamp = string;

/**
 * The operator's floors and ceilings (`HOTFIX_POLICY`) applied to settings, which no `with:` block can get past:
 * `updateIntervalSeconds` and `windowMinutes` are raised to their floors, `notify` is cut to `maxNotify` handles
 * (the first ones), and `riskPolicy.maxAutofixPerDay` is lowered to its ceiling. Pure; returns what it changed.
 */
export function applyCeilings(settings: Settings, policy: HotfixPolicy): { settings: Settings; clamped: Clamp[] } {
  const clamped: Clamp[] = [];
  const floor = (key: string, value: number, min: number, rule: string) => {
    if (value >= min) return value;
    clamped.push(`${key}: ${value} → ${min} (HOTFIX_POLICY.${rule})`);
    return min;
  };
  const updateIntervalSeconds = floor("updateIntervalSeconds", settings.updateIntervalSeconds, policy.minUpdateIntervalSeconds, "minUpdateIntervalSeconds");
  const windowMinutes = floor("windowMinutes", settings.windowMinutes, policy.minWindowMinutes, "minWindowMinutes");
  let notify = settings.notify;
  if (notify.length > policy.maxNotify) {
    clamped.push(`notify: ${notify.length} handles → ${policy.maxNotify} (HOTFIX_POLICY.maxNotify)`);
    notify = notify.slice(0, policy.maxNotify);
  }
  let riskPolicy = settings.riskPolicy;
  if (riskPolicy.maxAutofixPerDay > policy.maxAutofixPerDay) {
    clamped.push(`riskPolicy.maxAutofixPerDay: ${riskPolicy.maxAutofixPerDay} → ${policy.maxAutofixPerDay} (HOTFIX_POLICY.maxAutofixPerDay)`);
    riskPolicy = { ...riskPolicy, maxAutofixPerDay: policy.maxAutofixPerDay };
  }
  return { settings: { ...settings, updateIntervalSeconds, windowMinutes, notify, riskPolicy }, clamped };
}
