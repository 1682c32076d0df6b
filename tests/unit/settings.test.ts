import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { mergeSettings, Settings } from "../../shared/settings";
import { settingsJsonSchema } from "../../shared/manifest";

describe("settings", () => {
  it("fills the contract's defaults", () => {
    expect(v.parse(Settings, {})).toEqual({
      enabled: true,
      modes: ["issue"],
      riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low", minOccurrences: 3, minConfidence: 0.7 },
      issueLabels: [],
      notify: [],
      allowlistRepos: [],
      allowWorkflowEvents: false,
      windowMinutes: 60,
      updateIntervalSeconds: 60,
      pluginRepos: {},
      fingerprintRules: [],
      autoClose: true,
      fileAfter: { occurrences: 1, withinMinutes: 60 },
      resolveAfterQuietDays: 7,
      keepRawPayload: false,
    });
  });

  it("accepts the proposal's example configuration", () => {
    const parsed = v.parse(Settings, {
      enabled: true,
      modes: ["issue", "pr"],
      riskPolicy: { autoMerge: false, maxAutofixPerDay: 3 },
      issueLabels: ["bug", "autofix"],
      notify: ["@team-bot"],
      allowlistRepos: ["ubiquity-os-marketplace/command-codex"],
    });
    expect(parsed.modes).toEqual(["issue", "pr"]);
  });

  it("takes ciBranches as bounded branch globs, unset by default (the repository's default branch) (issue 16)", () => {
    expect(v.parse(Settings, {}).ciBranches).toBeUndefined();
    expect(v.parse(Settings, { ciBranches: ["main", "release/*"] }).ciBranches).toEqual(["main", "release/*"]);
    for (const bad of [[], [""], ["*".repeat(11)], "main"]) expect(v.safeParse(Settings, { ciBranches: bad }).success).toBe(false);
    expect(settingsJsonSchema()).toMatchObject({ properties: { ciBranches: { type: "array", items: { type: "string" } } } });
  });

  it("merges an event's with: block over operator defaults, riskPolicy key by key", () => {
    expect(mergeSettings({ issueLabels: ["ops"], riskPolicy: { autoMerge: true, maxAutofixPerDay: 1 } }, { riskPolicy: { maxAutofixPerDay: 5 } })).toEqual({
      issueLabels: ["ops"],
      riskPolicy: { autoMerge: true, maxAutofixPerDay: 5 },
    });
  });

  it("generates the manifest's JSON schema from the same valibot schema", () => {
    const schema = settingsJsonSchema() as { type: string; properties: Record<string, { default?: unknown; type?: string }>; additionalProperties: unknown };
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(Settings.entries).sort());
    expect(schema.properties["windowMinutes"]).toMatchObject({ type: "integer", default: 60 });
    expect(schema.properties["modes"]).toMatchObject({ default: ["issue"] });
    // Unknown keys are accepted (ignored, with a warning): the schema says so, at every level (issue 13).
    expect(schema.additionalProperties).toBeUndefined();
    expect(JSON.stringify(schema)).not.toContain('"additionalProperties":false');
  });
});
