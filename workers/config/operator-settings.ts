import * as v from "valibot";
import { Settings } from "../../shared/settings";
import { configOf } from "./index";

const cache = new WeakMap<object, Settings>();

/**
 * `HOTFIX_CONFIG` as settings (defaults filled in): what applies to every target-shaping key in repos the reporter
 * does not own: its usable part, as at ingest (/healthz names what is not).
 */
export function operatorSettings(env: Env): Settings {
  let parsed = cache.get(env);
  if (!parsed) {
    const defaults = configOf(env).operatorDefaults;
    const checked = v.safeParse(Settings, defaults.value);
    parsed = checked.success ? checked.output : v.parse(Settings, {});
    cache.set(env, parsed);
  }
  return parsed;
}
