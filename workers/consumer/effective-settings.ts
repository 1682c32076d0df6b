import type { FailureEvent } from "../../shared/failure-event";
import type { Settings } from "../../shared/settings";
import { effectiveSettings } from "../../shared/trust/effective-settings";
import { configOf } from "../config";
import { operatorSettings } from "../config/operator-settings";

/**
 * The settings the consumer handles `failure` with: the event's where the reporter owns the target (else the
 * operator's `HOTFIX_CONFIG` for every target-shaping key), under the operator's PR gate, floors and ceilings.
 */
export function settingsFor(env: Env, settings: Settings, failure: FailureEvent): Settings {
  return effectiveSettings(settings, { failure, policy: configOf(env).policy, operator: operatorSettings(env) }).settings;
}
