import { cleanSettingsBlock } from "../../shared/settings-leniency";
import { isPlainObject } from "../../shared/settings";

/**
 * `HOTFIX_CONFIG` (the operator's defaults for the `with:` block): its usable part, and the problem with the rest.
 * Checked strictly — an unknown key or an unusable value is a configuration problem named by `/healthz` — but never
 * fatal: the kernel does not retry, so events keep flowing with the usable part (the schema's defaults for the rest).
 */
export interface OperatorDefaults {
  value: Record<string, unknown>;
  problem: string | null;
}

export function parseOperatorDefaults(hotfixConfig: string | undefined): OperatorDefaults {
  const raw = hotfixConfig?.trim() || "{}";
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch {
    return { value: {}, problem: "HOTFIX_CONFIG is not valid JSON" };
  }
  if (!isPlainObject(parsed)) return { value: {}, problem: "HOTFIX_CONFIG must be a JSON object" };
  const { block, warnings } = cleanSettingsBlock(parsed);
  if (warnings.length === 0) return { value: block, problem: null };
  const named = warnings.map((w) => `${w.path.replace(/^settings/, "HOTFIX_CONFIG")}: ${w.message}`);
  return { value: block, problem: `HOTFIX_CONFIG is invalid: ${named.join("; ")}` };
}
