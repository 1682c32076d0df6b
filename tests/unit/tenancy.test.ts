import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { addOccurrence, ClusterSettings, clusterView, MAX_REPORTERS } from "../../shared/cluster-state";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { renderBody } from "../../shared/render/issue";
import { reportedBy } from "../../shared/render/placement";
import { Settings } from "../../shared/settings";
import { visibleToTarget } from "../../shared/trust/privacy";
import { scopeSettings, TARGET_SHAPING_KEYS } from "../../shared/trust/settings-scope";
import { namesOrigin, ownerMayReceive, settleTarget } from "../../shared/trust/target-rules";
import { kernelPluginError } from "../helpers/events";

const settings = (input: Record<string, unknown> = {}) => v.parse(Settings, input);

function failure(plugin: Record<string, unknown>, trigger: Record<string, unknown>, targetOwners: string[] = [], logLines?: string[]): FailureEvent {
  const c = toFailure("kernel.plugin_error", kernelPluginError({ plugin, trigger, ...(logLines ? { logLines } : {}) }), { kernelStateId: "k", receivedAt: "2026-12-01T00:00:00.000Z", settings: settings(), targetOwners });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: "f".repeat(32) };
}
const CLUSTER_SETTINGS = v.parse(ClusterSettings, { windowMinutes: 60, updateIntervalSeconds: 60, issueLabels: [], notify: [] });
const marketPlugin = { type: "workflow", id: "market/plugin:compute.yml@main", owner: "market", repo: "plugin" };

describe("target rules (issue 12)", () => {
  it("an owner may receive a failure when it is the reporter's or in targetOwners, case-insensitively", () => {
    expect(ownerMayReceive("Acme/x", "acme", [])).toBe(true);
    expect(ownerMayReceive("market/x", "acme", ["MARKET"])).toBe(true);
    expect(ownerMayReceive("victim/x", "acme", ["market"])).toBe(false);
    expect(ownerMayReceive("victim/x", null, [])).toBe(false);
  });

  it("a claim verifies only by a URL on the plugin's origin", () => {
    expect(namesOrigin("https://plugin.deno.dev/docs", "https://plugin.deno.dev")).toBe(true);
    expect(namesOrigin("https://PLUGIN.deno.dev:443", "https://plugin.deno.dev")).toBe(true);
    expect(namesOrigin("http://plugin.deno.dev", "https://plugin.deno.dev")).toBe(false);
    expect(namesOrigin("https://plugin.deno.dev.evil.test", "https://plugin.deno.dev")).toBe(false);
    expect(namesOrigin("plugin.deno.dev", "https://plugin.deno.dev")).toBe(false);
    expect(namesOrigin(undefined, "https://plugin.deno.dev")).toBe(false);
  });

  it("settles on the verified claim; else on the reporter's .ubiquity-os naming every refusal; else where ingest put it", () => {
    const pending = { repo: "acme/fallback", resolvedBy: "fallback_repo" as const, manifestUrl: "https://p.dev/manifest.json", claims: [{ repo: "acme/p", by: "plugin_repos" as const }] };
    expect(settleTarget(pending, "acme", { verified: { repo: "acme/p", by: "plugin_repos" }, refused: [] })).toEqual({ repo: "acme/p", resolvedBy: "plugin_repos" });
    const refused = [{ repo: "acme/p", by: "plugin_repos" as const, reason: "acme/p does not name https://p.dev" }];
    expect(settleTarget(pending, "acme", { verified: null, refused })).toEqual({ repo: "acme/.ubiquity-os", resolvedBy: "org_config_repo", refused });
    expect(settleTarget(pending, "acme", { verified: null, refused: [] })).toEqual({ repo: "acme/fallback", resolvedBy: "fallback_repo" });
  });
});

describe("settings scope (issue 12)", () => {
  it("keeps the reporter's settings in its own repos, and takes every target-shaping key from the operator elsewhere", () => {
    const reporter = settings({ issueLabels: ["mine"], notify: ["@me"], modes: ["issue", "pr"], riskPolicy: { autoMerge: true }, windowMinutes: 1, updateIntervalSeconds: 0, fingerprintRules: [{ match: { message: "*" }, group: "g" }], allowWorkflowEvents: true });
    const operator = settings({ issueLabels: ["operator"] });
    expect(scopeSettings(reporter, operator, true)).toEqual(reporter);
    const scoped = scopeSettings(reporter, operator, false);
    for (const key of TARGET_SHAPING_KEYS) expect(scoped[key], key).toEqual(operator[key]);
    expect(scoped.allowWorkflowEvents).toBe(true);
  });
});

describe("privacy across owners (issue 12)", () => {
  it("strips the trigger, the reporter, its GitHub App ids and every log line naming it when another owner's repo gets the failure", () => {
    const lines = ["INFO dispatching | plugin=market/plugin", "ERROR for acme/secret-app#3", "WARN by Acme-Dev", "INFO secret-app done"];
    const f = failure(marketPlugin, { repo: "acme/secret-app", actor: "acme-dev", deliveryId: "d-1" }, ["market"], lines);
    expect(f.target.repo).toBe("market/plugin");
    const seen = visibleToTarget(f);
    expect(seen.trigger).toEqual({ githubEvent: "issue_comment.created" });
    expect(seen).not.toHaveProperty("reporter");
    expect(seen.correlation).not.toHaveProperty("deliveryId");
    expect(seen.correlation).not.toHaveProperty("installationId");
    expect(seen.correlation.requestId).toBe(f.correlation.requestId);
    expect(seen.logTrail).toEqual(["INFO dispatching | plugin=market/plugin"]);
    const body = renderBody({ ...clusterView(addOccurrence(null, { fingerprint: "a".repeat(40), failure: seen, settings: CLUSTER_SETTINGS, nowMs: 0, reporter: "acme" })) }, { windowMinutes: 60, updateIntervalSeconds: 60, isNew: true });
    for (const secret of ["acme", "secret-app", "d-1", "48381972"]) expect(body.toLowerCase(), secret).not.toContain(secret);
    expect(body).toContain("affects 1 org");
  });

  it("leaves a failure in the reporter's own repo as it is", () => {
    const f = failure({ ...marketPlugin, id: "acme/plugin:compute.yml", owner: "acme" }, { repo: "acme/secret-app" });
    expect(visibleToTarget(f)).toBe(f);
  });

  it("counts distinct reporters, bounded, and says how many — never which", () => {
    const seen = visibleToTarget(failure(marketPlugin, { repo: "acme/app" }, ["market"]));
    const base = { fingerprint: "b".repeat(40), failure: seen, settings: CLUSTER_SETTINGS, nowMs: 0 };
    let state = addOccurrence(null, { ...base, reporter: "Acme" });
    state = addOccurrence(state, { ...base, failure: { ...seen, eventId: "1".repeat(32) }, reporter: "acme" });
    state = addOccurrence(state, { ...base, failure: { ...seen, eventId: "2".repeat(32) }, reporter: "beta" });
    expect(state.reporters).toEqual(["acme", "beta"]);
    expect(reportedBy(clusterView(state).reporters)).toBe("affects 2 orgs");
    for (let i = 0; i < MAX_REPORTERS + 5; i++) state = addOccurrence(state, { ...base, failure: { ...seen, eventId: i.toString(16).padStart(32, "0") }, reporter: `org-${i}` });
    expect(state.reporters).toHaveLength(MAX_REPORTERS);
    expect(reportedBy(clusterView(state).reporters)).toBe(`affects at least ${MAX_REPORTERS} orgs`);
  });
});
