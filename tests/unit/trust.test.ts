import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { Settings } from "../../shared/settings";
import { applyCeilings } from "../../shared/trust/ceilings";
import { effectiveSettings } from "../../shared/trust/effective-settings";
import { DEFAULT_HOTFIX_POLICY, HotfixPolicy } from "../../shared/trust/hotfix-policy";
import { gatePrMode, inPrRepos, prGate } from "../../shared/trust/pr-gate";
import { policyWarnings } from "../../shared/trust/policy-warnings";
import { reporterOwner, reporterOwns } from "../../shared/trust/reporter";
import { checkRun, kernelPluginError, workflowRun } from "../helpers/events";

const settings = (input: Record<string, unknown> = {}) => v.parse(Settings, input);
const policy = (input: Record<string, unknown> = {}) => v.parse(HotfixPolicy, input);

function failureOf(eventName: string, payload: Record<string, unknown>): FailureEvent {
  const c = toFailure(eventName, payload, { kernelStateId: "k", receivedAt: new Date().toISOString(), settings: settings({ allowWorkflowEvents: true }), targetOwners: ["acme"] });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: "e".repeat(32) };
}

const pluginError = (triggerRepo: string) => failureOf("kernel.plugin_error", kernelPluginError({ plugin: { type: "workflow", id: "acme/plugin:compute.yml", owner: "acme", repo: "plugin" }, trigger: { repo: triggerRepo } }));

describe("the reporter (issue 12)", () => {
  it("is the trigger repo's owner for kernel.plugin_error and repository.owner.login for CI events", () => {
    expect(reporterOwner(pluginError("Some-Org/app"))).toBe("Some-Org");
    expect(reporterOwner(failureOf("workflow_run.completed", workflowRun({ repo: "ci-org/service" })))).toBe("ci-org");
    expect(reporterOwner(failureOf("check_run.completed", checkRun({ repo: "checks-org/lib" })))).toBe("checks-org");
  });

  it("owns a repo of its own owner (case-insensitive), not another owner's", () => {
    const failure = pluginError("Acme/app");
    expect(reporterOwns(failure, "acme/plugin")).toBe(true);
    expect(reporterOwns(failure, "ubiquity-os-marketplace/plugin")).toBe(false);
    expect(reporterOwns({ trigger: {} }, "acme/plugin")).toBe(false);
  });
});

describe("HOTFIX_POLICY floors and ceilings (issue 12)", () => {
  it("raises updateIntervalSeconds and windowMinutes to their floors and says so", () => {
    const { settings: s, clamped } = applyCeilings(settings({ updateIntervalSeconds: 0, windowMinutes: 1 }), DEFAULT_HOTFIX_POLICY);
    expect(s.updateIntervalSeconds).toBe(60);
    expect(s.windowMinutes).toBe(15);
    expect(clamped).toEqual(["updateIntervalSeconds: 0 → 60 (HOTFIX_POLICY.minUpdateIntervalSeconds)", "windowMinutes: 1 → 15 (HOTFIX_POLICY.minWindowMinutes)"]);
  });

  it("cuts notify to maxNotify handles and riskPolicy.maxAutofixPerDay to its ceiling", () => {
    const handles = Array.from({ length: 20 }, (_, i) => `user${i}`);
    const { settings: s } = applyCeilings(settings({ notify: handles, riskPolicy: { maxAutofixPerDay: 100 } }), DEFAULT_HOTFIX_POLICY);
    expect(s.notify).toEqual(handles.slice(0, 5));
    expect(s.riskPolicy.maxAutofixPerDay).toBe(3);
    expect(applyCeilings(settings({ notify: handles }), policy({ maxNotify: 0 })).settings.notify).toEqual([]);
  });

  it("leaves values within the policy alone (a with: block may always be stricter)", () => {
    const strict = settings({ updateIntervalSeconds: 600, windowMinutes: 120, notify: ["a"], riskPolicy: { maxAutofixPerDay: 1 } });
    const result = applyCeilings(strict, DEFAULT_HOTFIX_POLICY);
    expect(result.settings).toEqual(strict);
    expect(result.clamped).toEqual([]);
  });
});

describe("PR mode gate (issue 12)", () => {
  it("matches prRepos globs part by part", () => {
    expect(inPrRepos("acme/fix-1", ["acme/fix*"])).toBe(true);
    expect(inPrRepos("ACME/Fix-1", ["acme/fix*"])).toBe(true);
    expect(inPrRepos("acme/other", ["acme/fix*"])).toBe(false);
    expect(inPrRepos("acme-evil/fix", ["acme/*"])).toBe(false);
    expect(inPrRepos("acme/fix", [])).toBe(false);
  });

  it("refuses outside prRepos, and for a reporter who does not own the repo unless HOTFIX_CONFIG turns PR mode on", () => {
    const own = pluginError("acme/app");
    const foreign = pluginError("mallory/app");
    expect(prGate({ repo: "acme/plugin", failure: own, prRepos: [], operatorModes: ["issue"] })).toEqual({ allowed: false, reason: "acme/plugin is not in HOTFIX_POLICY.prRepos" });
    expect(prGate({ repo: "acme/plugin", failure: own, prRepos: ["acme/*"], operatorModes: ["issue"] })).toEqual({ allowed: true, by: "reporter" });
    expect(prGate({ repo: "acme/plugin", failure: foreign, prRepos: ["acme/*"], operatorModes: ["issue"] })).toEqual({ allowed: false, reason: "the reporter does not own acme/plugin" });
    expect(prGate({ repo: "acme/plugin", failure: foreign, prRepos: ["acme/*"], operatorModes: ["issue", "pr"] })).toEqual({ allowed: true, by: "operator" });
    expect(prGate({ repo: "acme/plugin", failure: own, prRepos: ["other/*"], operatorModes: ["issue", "pr"] }).allowed).toBe(false);
  });

  it("drops \"pr\" from modes when refused, and takes the operator's riskPolicy when only the operator allows it", () => {
    const wanted = settings({ modes: ["issue", "pr"], riskPolicy: { autoMerge: true, maxRiskTier: "high" } });
    const operator = settings({ modes: ["issue", "pr"], riskPolicy: { autoMerge: false, maxRiskTier: "low", maxAutofixPerDay: 1 } });
    const refused = gatePrMode(wanted, { repo: "acme/plugin", failure: pluginError("mallory/app"), prRepos: ["acme/*"], operator: settings() });
    expect(refused.settings.modes).toEqual(["issue"]);
    const byOperator = gatePrMode(wanted, { repo: "acme/plugin", failure: pluginError("mallory/app"), prRepos: ["acme/*"], operator });
    expect(byOperator.settings.modes).toEqual(["issue", "pr"]);
    expect(byOperator.settings.riskPolicy).toEqual({ autoMerge: false, maxRiskTier: "low", maxAutofixPerDay: 1, minOccurrences: 3, minConfidence: 0.7 });
    const byReporter = gatePrMode(wanted, { repo: "acme/plugin", failure: pluginError("acme/app"), prRepos: ["acme/*"], operator });
    expect(byReporter.settings.riskPolicy).toEqual(wanted.riskPolicy);
  });

  it("is applied with the ceilings to the settings a failure is handled with", () => {
    const failure = pluginError("mallory/app");
    const { settings: s, prGate: gate } = effectiveSettings(settings({ modes: ["issue", "pr"], updateIntervalSeconds: 0 }), { failure, policy: policy({ prRepos: ["acme/*"] }), operator: settings() });
    expect(s.modes).toEqual(["issue"]);
    expect(s.updateIntervalSeconds).toBe(60);
    // The reporter's modes never reach another owner's repo (settings scope, issue 12): the operator's apply, so
    // there is no PR mode left to gate.
    expect(gate).toBeNull();
    // The gate itself still refuses it, should the operator's settings ask for PR mode.
    const operatorPr = effectiveSettings(settings({ modes: ["issue", "pr"] }), { failure, policy: policy({ prRepos: ["other/*"] }), operator: settings({ modes: ["issue", "pr"] }) });
    expect(operatorPr.settings.modes).toEqual(["issue"]);
    expect(operatorPr.prGate).toEqual({ allowed: false, reason: "acme/plugin is not in HOTFIX_POLICY.prRepos" });
  });
});

describe("what HOTFIX_POLICY changed is said (settings warnings)", () => {
  it("names each floor and ceiling applied, and a refused PR mode once the target is known", () => {
    const failure = pluginError("acme/app");
    const asked = settings({ windowMinutes: 1, notify: ["a", "b", "c", "d", "e", "f"], modes: ["issue", "pr"] });
    const warnings = policyWarnings(asked, { failure, policy: DEFAULT_HOTFIX_POLICY, operator: settings(), targetKnown: true });
    expect(warnings.map((w) => w.key)).toEqual(["windowMinutes", "notify", "modes"]);
    expect(warnings[0]?.path).toBe("settings.windowMinutes");
    expect(warnings[0]?.message).toBe("1 → 15 (HOTFIX_POLICY.minWindowMinutes): the operator's policy applies");
    expect(warnings[2]?.message).toBe("PR mode refused: acme/plugin is not in HOTFIX_POLICY.prRepos; issues only");
  });

  it("says nothing of settings within the policy, nor of PR mode while the repo is still to be settled", () => {
    const failure = pluginError("acme/app");
    expect(policyWarnings(settings(), { failure, policy: DEFAULT_HOTFIX_POLICY, operator: settings(), targetKnown: true })).toEqual([]);
    const pr = settings({ modes: ["issue", "pr"] });
    expect(policyWarnings(pr, { failure, policy: DEFAULT_HOTFIX_POLICY, operator: settings(), targetKnown: false })).toEqual([]);
    expect(policyWarnings(pr, { failure, policy: policy({ prRepos: ["acme/*"] }), operator: settings(), targetKnown: true })).toEqual([]);
  });
});
