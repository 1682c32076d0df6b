/**
 * Issue 13: every pattern that runs over event text on its way to GitHub runs in linear time — the secret
 * patterns and the ANSI/control-character stripping.
 * recheck analyses each pattern's backtracking automaton (or, when that is too large, fuzzes it with a seed) and
 * must find no super-linear case. In Node: recheck starts a worker thread.
 */
import { checkSync } from "recheck";
import { describe, expect, it } from "vitest";
import { ANSI_ESCAPES, CONTROLS } from "../../shared/convert/text";
import { SECRET_PATTERNS } from "../../shared/secret-patterns";

type Diagnostics = ReturnType<typeof checkSync>;

function check(pattern: RegExp): Diagnostics {
  const params = { randomSeed: 13, timeout: 60_000 } as const;
  const proved = checkSync(pattern.source, pattern.flags, { ...params, checker: "automaton" });
  return proved.status === "unknown" ? checkSync(pattern.source, pattern.flags, { ...params, checker: "fuzz" }) : proved;
}

/** What recheck found, short enough to read in a failure message (its attack strings run to megabytes). */
const verdict = (result: Diagnostics) => (result.status === "vulnerable" ? `${result.complexity.type}: ${result.attack.pattern.slice(0, 200)}` : result.status === "unknown" ? JSON.stringify(result.error) : "safe");

describe("text patterns run in linear time (issue 13)", () => {
  it.each(SECRET_PATTERNS.map(([name, pattern]) => [name, pattern] as const))("secret pattern: %s", (_name, pattern) => {
    const result = check(pattern);
    expect(result.status, verdict(result)).toBe("safe");
  }, 120_000);

  it.each([
    ["ANSI escape sequences", ANSI_ESCAPES],
    ["control characters", CONTROLS],
  ] as const)("stripping: %s", (_name, pattern) => {
    const result = check(pattern);
    expect(result.status, verdict(result)).toBe("safe");
  }, 120_000);

  it("the checker flags what this replaced: the glob RegExp of `*a*a*ab`", () => {
    const result = check(/^[\s\S]*a[\s\S]*a[\s\S]*ab$/i);
    expect(result.status).toBe("vulnerable");
    expect(result.status === "vulnerable" && result.complexity.type).toBe("polynomial");
  }, 120_000);
});
