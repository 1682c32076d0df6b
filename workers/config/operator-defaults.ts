import * as v from "valibot";
import { isPlainObject, Settings } from "../../shared/settings";
import { toFieldIssues } from "../../shared/validation";

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** `HOTFIX_CONFIG` (the operator's defaults for the `with:` block) as an object, or the problem with it. */
export function parseOperatorDefaults(hotfixConfig: string | undefined): Parsed<Record<string, unknown>> {
  const raw = hotfixConfig?.trim() || "{}";
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch {
    return { ok: false, problem: "HOTFIX_CONFIG is not valid JSON" };
  }
  if (!isPlainObject(parsed)) return { ok: false, problem: "HOTFIX_CONFIG must be a JSON object" };
  const checked = v.safeParse(Settings, parsed);
  if (!checked.success) {
    const issues = toFieldIssues(checked.issues, "HOTFIX_CONFIG");
    return { ok: false, problem: `HOTFIX_CONFIG is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` };
  }
  return { ok: true, value: parsed };
}
