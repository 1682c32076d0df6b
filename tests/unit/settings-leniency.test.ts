import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { Settings } from "../../shared/settings";
import { cleanSettingsBlock, MAX_WARNINGS, readSettingsLeniently, warningText } from "../../shared/settings-leniency";

const defaults = v.parse(Settings, {});
const read = (block: unknown, operator: Record<string, unknown> = {}) => readSettingsLeniently(JSON.stringify(block), operator);

// Issue 13: the kernel never retries, so a with: block never costs an event — it is read leniently and every
// problem is a warning.
describe("settings read leniently", () => {
  it("ignores an unknown key (the upstream prototype's maxBodyChars, a typo) and names it", () => {
    const { settings, warnings } = read({ maxBodyChars: 5000, issueLables: ["bug"], issueLabels: ["autofix"] });
    expect(settings).toEqual({ ...defaults, issueLabels: ["autofix"] });
    expect(warnings.map(warningText)).toEqual(["settings.maxBodyChars: unknown setting, ignored", "settings.issueLables: unknown setting, ignored"]);
    expect(warnings.map((w) => w.key)).toEqual(["maxBodyChars", "issueLables"]);
  });

  it("falls back to the default of an unusable value, keeping the usable ones", () => {
    const { settings, warnings } = read({ windowMinutes: "sixty", updateIntervalSeconds: 30, enabled: "yes", fallbackRepo: "not a repo" });
    expect(settings).toEqual({ ...defaults, updateIntervalSeconds: 30 });
    expect(warnings.map((w) => w.path)).toEqual(["settings.windowMinutes", "settings.enabled", "settings.fallbackRepo"]);
    expect(warnings[0]?.message).toMatch(/Expected number but received "sixty"; the default is used$/);
  });

  it("reads a nested object key by key", () => {
    const { settings, warnings } = read({ riskPolicy: { autoMerge: true, maxAutofixPerDay: -1, autoMerg: false } });
    expect(settings.riskPolicy).toEqual({ autoMerge: true, maxAutofixPerDay: 3, maxRiskTier: "low", minOccurrences: 3, minConfidence: 0.7 });
    expect(warnings.map((w) => [w.path, w.key])).toEqual([
      ["settings.riskPolicy.maxAutofixPerDay", "riskPolicy.maxAutofixPerDay"],
      ["settings.riskPolicy.autoMerg", "riskPolicy.autoMerg"],
    ]);
  });

  it("drops unusable array items and record entries, and falls back when what is left is unusable", () => {
    const { settings, warnings } = read({
      issueLabels: ["bug", "", 5],
      modes: ["prr"],
      pluginRepos: { "https://a.example.dev": "o/a", "not a url": "o/b", "https://c.example.dev": "nope" },
    });
    expect(settings.issueLabels).toEqual(["bug"]);
    expect(settings.modes).toEqual(["issue"]);
    expect(settings.pluginRepos).toEqual({ "https://a.example.dev": "o/a" });
    expect(warnings.map((w) => w.path)).toEqual([
      "settings.issueLabels[1]",
      "settings.issueLabels[2]",
      "settings.modes[0]",
      "settings.modes",
      'settings.pluginRepos["not a url"]',
      'settings.pluginRepos["https://c.example.dev"]',
    ]);
    // Metric labels stay few: indexes and record keys are not in them.
    expect(new Set(warnings.map((w) => w.key))).toEqual(new Set(["issueLabels[]", "modes[]", "modes", "pluginRepos[*]"]));
  });

  it("falls back to the operator's default (HOTFIX_CONFIG), not the schema's, for an unusable value", () => {
    const { settings, warnings } = read({ issueLabels: "bug", riskPolicy: { maxAutofixPerDay: "many" } }, { issueLabels: ["ops"], riskPolicy: { maxAutofixPerDay: 1 } });
    expect(settings.issueLabels).toEqual(["ops"]);
    expect(settings.riskPolicy.maxAutofixPerDay).toBe(1);
    expect(warnings).toHaveLength(2);
  });

  it("takes a with: block that is not an object as no settings at all, with one warning", () => {
    for (const text of ["[1,2]", '"text"', "{not json"]) {
      const { settings, warnings } = readSettingsLeniently(text, {});
      expect(settings).toEqual(defaults);
      expect(warnings.map((w) => [w.path, w.key])).toEqual([["settings", "(root)"]]);
    }
    expect(readSettingsLeniently("null", {}).warnings).toEqual([]);
    expect(readSettingsLeniently("", {}).warnings).toEqual([]);
  });

  it("cannot be made to pollute a prototype, and bounds the warnings, their text and their labels", () => {
    const { settings, warnings } = readSettingsLeniently('{"__proto__": {"polluted": true}, "constructor": 1}', {});
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(settings).toEqual(defaults);
    expect(warnings.map((w) => w.key)).toEqual(["__proto__", "constructor"]);

    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}\u0007${"x".repeat(200)}`, i]));
    const bounded = cleanSettingsBlock(many).warnings;
    expect(bounded).toHaveLength(MAX_WARNINGS + 1);
    expect(bounded.at(-1)).toMatchObject({ key: "(more)", message: "30 more warnings not listed" });
    for (const w of bounded.slice(0, -1)) {
      expect(w.key).toMatch(/^[A-Za-z0-9_$-]{1,64}$/);
      expect(w.path).not.toMatch(/[\u0000-\u001f]/);
      expect(w.path.length).toBeLessThanOrEqual("settings.".length + 64);
    }
  });
});
