import { globMatch } from "../glob";
import type { FailureEvent } from "../failure-event";
import type { Settings } from "../settings";
import { reporterOwns } from "./reporter";

/** Whether `repo` matches one of the operator's `prRepos` globs (`owner/repo`; `*` and `?` within each part). */
export function inPrRepos(repo: string, prRepos: readonly string[]): boolean {
  const [owner = "", name = ""] = repo.split("/");
  return prRepos.some((glob) => {
    const [ownerGlob = "", nameGlob = ""] = glob.split("/");
    return globMatch(ownerGlob, owner) && globMatch(nameGlob, name);
  });
}

export type PrGate = { allowed: true; by: "reporter" | "operator" } | { allowed: false; reason: string };

/**
 * Whether PR mode may run for a failure filed in `repo` (contract: "Trust and tenancy"): only in repos matching
 * `HOTFIX_POLICY.prRepos`, and only when the reporter owns the repo — or the operator's own `HOTFIX_CONFIG` turns
 * PR mode on, for repos whose settings come from it. Pure.
 */
export function prGate(input: { repo: string; failure: Pick<FailureEvent, "trigger" | "reporter">; prRepos: readonly string[]; operatorModes: readonly string[] }): PrGate {
  if (!inPrRepos(input.repo, input.prRepos)) return { allowed: false, reason: `${input.repo} is not in HOTFIX_POLICY.prRepos` };
  if (reporterOwns(input.failure, input.repo)) return { allowed: true, by: "reporter" };
  if (input.operatorModes.includes("pr")) return { allowed: true, by: "operator" };
  return { allowed: false, reason: `the reporter does not own ${input.repo}` };
}

/**
 * The settings with PR mode as the gate allows it: `"pr"` dropped from `modes` when refused; when only the
 * operator's `HOTFIX_CONFIG` allows it, its `riskPolicy` applies too (a reporter never sets the guard rails of
 * another owner's repo).
 */
export function gatePrMode(settings: Settings, input: { repo: string; failure: Pick<FailureEvent, "trigger" | "reporter">; prRepos: readonly string[]; operator: Settings }): { settings: Settings; gate: PrGate | null } {
  if (!settings.modes.includes("pr")) return { settings, gate: null };
  const gate = prGate({ repo: input.repo, failure: input.failure, prRepos: input.prRepos, operatorModes: input.operator.modes });
  if (!gate.allowed) {
    const modes = settings.modes.filter((mode) => mode !== "pr");
    return { settings: { ...settings, modes: modes.length ? modes : ["issue"] }, gate };
  }
  return { settings: gate.by === "operator" ? { ...settings, riskPolicy: input.operator.riskPolicy } : settings, gate };
}
