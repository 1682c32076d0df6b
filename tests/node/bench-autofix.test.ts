// Runs in Node: `npm run bench:autofix` as a new user would (offline, from the repo), writing to a temporary file.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CASES } from "../../bench/autofix/cases.ts";

describe("npm run bench:autofix (issue 17)", () => {
  it("runs the whole pipeline offline on every case and reports context files, hunks applied and the check", { timeout: 180_000 }, () => {
    const dir = mkdtempSync(join(os.tmpdir(), "bench-autofix-"));
    try {
      const out = join(dir, "results.md");
      const env = { ...process.env, BENCH_AUTOFIX_OUT: out, AUTOFIX_API_URL: "", AUTOFIX_MODEL: "", AUTOFIX_API_KEY: "" };
      const run = spawnSync(process.execPath, ["--experimental-transform-types", "--no-warnings=ExperimentalWarning", "bench/autofix/run.ts"], { env, encoding: "utf8", timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      const report = readFileSync(out, "utf8");
      expect(report).toContain("| case | context files (why) | model chose | hunks applied | PR | check passed | check tells good from bad |");
      for (const c of CASES) {
        const row = report.split("\n").find((line) => line.startsWith(`| ${c.name} |`)) ?? "";
        expect(row, c.name).toMatch(/\| yes \| yes \|$/);
        expect(row, c.name).toMatch(c.expectRefusal ? /refused: .*nothing under \.github\/ is edited/ : /\| 1 hunk\(s\)/);
      }
      expect(report).toContain(`${CASES.length} of ${CASES.length} cases as expected`);
      expect(report).toContain("No real endpoint configured");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
