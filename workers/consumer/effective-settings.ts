import * as v from "valibot";
import type { FailureEvent } from "../../shared/failure-event";
import { Settings } from "../../shared/settings";
import { effectiveSettings } from "../../shared/trust/effective-settings";
import { configOf } from "../config";

const operatorCache = new WeakMap<object, Settings>();

/** `HOTFIX_CONFIG` as settings (defaults filled in): its usable part, as at ingest (/healthz names what is not). */
function operatorSettings(env: Env): Settings {
  let parsed = operatorCache.get(env);
  if (!parsed) {
    const defaults = configOf(env).operatorDefaults;
    const checked = v.safeParse(Settings, defaults.value);
    parsed = checked.success ? checked.output : v.parse(Settings, {});
    operatorCache.set(env, parsed);
  }
  return parsed;
}

/** The settings the consumer handles `failure` with: the event's, under the operator's PR gate, floors and ceilings. */
export function settingsFor(env: Env, settings: Settings, failure: FailureEvent): Settings {
  return effectiveSettings(settings, { failure, policy: configOf(env).policy, operator: operatorSettings(env) }).settings;
}
