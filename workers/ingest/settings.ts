import * as v from "valibot";
import { isPlainObject, mergeSettings, Settings } from "../../shared/settings";
import { toFieldIssues } from "../../shared/validation";
import type { Parsed } from "../config/operator-defaults";
import { AppError } from "../errors";

/** The event's `settings` string (the `with:` block) merged over `HOTFIX_CONFIG`, validated by the one schema. */
export function resolveSettings(settingsText: string, operatorDefaults: Parsed<Record<string, unknown>>): Settings {
  if (!operatorDefaults.ok) throw new AppError(503, "misconfigured", operatorDefaults.problem);
  const defaults = operatorDefaults.value;
  let fromEvent: unknown;
  try {
    fromEvent = settingsText.trim() === "" ? {} : (JSON.parse(settingsText) as unknown);
  } catch {
    throw new AppError(400, "invalid_settings", "settings is not valid JSON", [{ path: "settings", message: "must be a JSON object (the plugin's with: block)" }]);
  }
  if (fromEvent === null) fromEvent = {};
  if (!isPlainObject(fromEvent)) {
    throw new AppError(400, "invalid_settings", "settings must be a JSON object", [{ path: "settings", message: "must be a JSON object (the plugin's with: block)" }]);
  }
  const parsed = v.safeParse(Settings, mergeSettings(defaults, fromEvent));
  if (!parsed.success) throw new AppError(400, "invalid_settings", "settings are invalid", toFieldIssues(parsed.issues, "settings"));
  return parsed.output;
}
