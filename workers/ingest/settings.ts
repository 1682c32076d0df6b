import * as v from "valibot";
import { isPlainObject, mergeSettings, Settings } from "../../shared/settings";
import { toFieldIssues } from "../../shared/validation";
import { AppError } from "../errors";

const defaultsCache = new Map<string, Record<string, unknown>>();

/** `HOTFIX_CONFIG` as an object; an operator error (not the kernel's) when it is not a valid settings object. */
export function operatorDefaults(hotfixConfig: string | undefined): Record<string, unknown> {
  const raw = hotfixConfig?.trim() || "{}";
  const cached = defaultsCache.get(raw);
  if (cached) return cached;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch {
    throw new AppError(503, "misconfigured", "HOTFIX_CONFIG is not valid JSON");
  }
  if (!isPlainObject(parsed)) throw new AppError(503, "misconfigured", "HOTFIX_CONFIG must be a JSON object");
  const checked = v.safeParse(Settings, parsed);
  if (!checked.success) {
    const issues = toFieldIssues(checked.issues, "HOTFIX_CONFIG");
    throw new AppError(503, "misconfigured", `HOTFIX_CONFIG is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, issues);
  }
  defaultsCache.set(raw, parsed);
  return parsed;
}

/** The event's `settings` string (the `with:` block) merged over `HOTFIX_CONFIG`, validated by the one schema. */
export function resolveSettings(settingsText: string, hotfixConfig: string | undefined): Settings {
  const defaults = operatorDefaults(hotfixConfig);
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
