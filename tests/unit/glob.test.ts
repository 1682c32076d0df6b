import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { GLOB_LIMITS, globMatch } from "../../shared/glob";
import { FingerprintRule } from "../../shared/settings";

/** The old RegExp translation, kept here as the reference for what a glob means (on short inputs only). */
function reference(glob: string, text: string): boolean {
  let source = "";
  for (const char of glob) {
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "iu").test(text);
}

describe("glob matching (linear, issue 13)", () => {
  it.each([
    ["https://*.deno.dev", "https://command-start-stop-main.deno.dev", true],
    ["*start-stop*", "https://command-start-stop-main.deno.dev", true],
    ["HTTP 5??: *", "http 502: Bad Gateway", true],
    ["HTTP 5??: *", "HTTP 42: x", false],
    ["a*b*c", "a-b", false],
    ["*", "", true],
    ["?", "", false],
    ["exact", "exact", true],
    ["exact", "exactly", false],
    ["*a*a*ab", "a".repeat(2000), false],
    ["*a*a*ab", `${"a".repeat(2000)}b`, true],
  ])("%s against %s → %s", (glob, text, expected) => {
    expect(globMatch(glob, text)).toBe(expected);
  });

  it("means what the RegExp translation meant (property, short inputs)", () => {
    const chars = fc.constantFrom("a", "b", "A", "*", "?", ".", "/", "\n", "é", "😀");
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 8 }), fc.string({ unit: fc.constantFrom("a", "b", "B", ".", "/", "\n", "é", "😀"), maxLength: 12 }), (glob, text) => {
        expect(globMatch(glob, text)).toBe(reference(glob, text));
      }),
      { numRuns: 2000, seed: 13 },
    );
  });

  it("the settings schema bounds a rule's globs in length and stars", () => {
    const rule = (message: string) => v.safeParse(FingerprintRule, { match: { message }, group: "g" });
    expect(rule("*a*".repeat(5)).success).toBe(true);
    expect(rule("*".repeat(GLOB_LIMITS.maxStars + 1)).success).toBe(false);
    expect(rule("x".repeat(GLOB_LIMITS.maxLength + 1)).success).toBe(false);
    const refused = rule("*a".repeat(GLOB_LIMITS.maxStars + 1));
    expect(refused.success ? [] : refused.issues.map((i) => i.message)).toEqual([`must have at most ${GLOB_LIMITS.maxStars} "*"`]);
  });
});
