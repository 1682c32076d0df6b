import * as v from "valibot";
import { DEFAULT_HOTFIX_POLICY, HotfixPolicy } from "../../shared/trust/hotfix-policy";
import { isPlainObject } from "../../shared/settings";
import { toFieldIssues } from "../../shared/validation";

/**
 * `HOTFIX_POLICY` as the typed policy. Unusable → the defaults (the strictest ceilings) and the problem, which
 * /healthz names: a broken policy never loosens what reporters may do, and never loses an event.
 */
export function parseHotfixPolicy(text: string | undefined): { policy: HotfixPolicy; problem: string | null } {
  const raw = text?.trim() || "{}";
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch {
    return { policy: DEFAULT_HOTFIX_POLICY, problem: "HOTFIX_POLICY is not valid JSON (the default policy applies)" };
  }
  if (!isPlainObject(parsed)) return { policy: DEFAULT_HOTFIX_POLICY, problem: "HOTFIX_POLICY must be a JSON object (the default policy applies)" };
  const checked = v.safeParse(HotfixPolicy, parsed);
  if (!checked.success) {
    const issues = toFieldIssues(checked.issues, "HOTFIX_POLICY");
    return { policy: DEFAULT_HOTFIX_POLICY, problem: `HOTFIX_POLICY is invalid (the default policy applies): ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` };
  }
  return { policy: checked.output, problem: null };
}
