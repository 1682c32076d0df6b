/** Issue 18: the issue body names the grouping version its fingerprint was computed under. */
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { addOccurrence, clusterView } from "../../shared/cluster-state";
import { toFailure } from "../../shared/convert";
import { renderBody } from "../../shared/render/issue";
import { Settings } from "../../shared/settings";
import { kernelPluginError } from "../helpers/events";

const settings = { windowMinutes: 60, updateIntervalSeconds: 60, issueLabels: [], notify: [], modes: ["issue" as const], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" as const } };

function body(grouping?: string): string {
  const c = toFailure("kernel.plugin_error", kernelPluginError(), { kernelStateId: "k", receivedAt: "2026-12-01T00:00:00.000Z", settings: v.parse(Settings, {}) });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  const state = addOccurrence(null, { fingerprint: "f".repeat(40), ...(grouping ? { grouping } : {}), failure: { ...c.failure, eventId: "e".repeat(32) }, settings, nowMs: Date.parse("2026-12-01T00:00:00Z") });
  return renderBody(clusterView(state), { windowMinutes: 60, updateIntervalSeconds: 60, isNew: true });
}

describe("the issue body names the grouping version", () => {
  it("in the summary and beside the fingerprint", () => {
    const text = body("v2");
    expect(text).toContain("| Grouping | `v2` (how messages are normalised into this issue's fingerprint) |");
    expect(text).toContain(`fingerprint \`${"f".repeat(40)}\` (grouping \`v2\`)`);
  });

  it("a cluster from before versioned grouping is v1", () => {
    expect(body()).toContain("| Grouping | `v1` ");
  });
});
