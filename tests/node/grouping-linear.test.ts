/**
 * Issue 18 (and the hostile-text issue): every pattern grouping v2 runs over event text runs in linear time.
 * recheck (a ReDoS checker) analyses each pattern's backtracking automaton — or, for patterns too large for
 * that, searches for an attack string by seeded fuzzing — and must find no super-linear case. It runs in Node
 * (it starts a worker thread), so this file is in the "node" project.
 */
import { checkSync } from "recheck";
import { describe, expect, it } from "vitest";
import { V2_PATTERNS } from "../../shared/grouping/normalize-v2";

type Diagnostics = ReturnType<typeof checkSync>;

function check(pattern: RegExp): Diagnostics {
  const params = { randomSeed: 18, timeout: 60_000 } as const;
  const proved = checkSync(pattern.source, pattern.flags, { ...params, checker: "automaton" });
  return proved.status === "unknown" ? checkSync(pattern.source, pattern.flags, { ...params, checker: "fuzz" }) : proved;
}

describe("grouping v2 runs in linear time", () => {
  it.each(V2_PATTERNS.map((p) => [p.source.slice(0, 60), p] as const))("%s", (_name, pattern) => {
    const result = check(pattern);
    expect(result.status, JSON.stringify(result.status === "vulnerable" ? result.attack : result.status === "unknown" ? result.error : null)).toBe("safe");
  }, 120_000);

  it("the checker does flag what v2 avoids: v1's e-mail and URL-scheme patterns are quadratic", () => {
    for (const pattern of [/\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g, /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#:"'<>]+)/gi]) {
      const result = check(pattern);
      expect(result.status).toBe("vulnerable");
      expect(result.status === "vulnerable" && result.complexity.type).toBe("polynomial");
    }
  }, 120_000);
});
