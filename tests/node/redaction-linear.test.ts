/**
 * Issue 13: every pattern that runs over event text on its way to GitHub runs in linear time — the secret
 * patterns, the ANSI/control-character stripping (strip-ansi's pattern included) and the escaping layer.
 * recheck analyses each pattern's backtracking automaton (or, when that is too large, fuzzes it with a seed) and
 * must find no super-linear case. In Node: recheck starts a worker thread.
 */
import ansiRegex from "ansi-regex";
import { checkSync } from "recheck";
import { describe, expect, it } from "vitest";
import { SECRET_PATTERNS } from "../../shared/secret-patterns";

type Diagnostics = ReturnType<typeof checkSync>;

function check(pattern: RegExp): Diagnostics {
  const params = { randomSeed: 13, timeout: 60_000 } as const;
  const proved = checkSync(pattern.source, pattern.flags, { ...params, checker: "automaton" });
  return proved.status === "unknown" ? checkSync(pattern.source, pattern.flags, { ...params, checker: "fuzz" }) : proved;
}

const verdict = (result: Diagnostics) => JSON.stringify(result.status === "vulnerable" ? result.attack : result.status === "unknown" ? result.error : null);

describe("text patterns run in linear time (issue 13)", () => {
  it.each(SECRET_PATTERNS.map(([name, pattern]) => [name, pattern] as const))("secret pattern: %s", (_name, pattern) => {
    const result = check(pattern);
    expect(result.status, verdict(result)).toBe("safe");
  }, 120_000);

  it("strip-ansi's pattern (ansi-regex)", () => {
    const result = check(ansiRegex());
    expect(result.status, verdict(result)).toBe("safe");
  }, 120_000);

  it("the checker flags the key=value pattern this replaced", () => {
    const legacy = /\b([A-Za-z0-9_.-]*(?:password|secret|token)[A-Za-z0-9_.-]*)("?'?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;"'}\])]+)/gi;
    expect(check(legacy).status).toBe("vulnerable");
  }, 120_000);
});
