// The summary reporter, fed real runs: vitest runs as a child process on the fixtures in ./fixtures (a config of
// their own; the main config never runs them), and every way a run can fail must count as failed in the last line,
// whose verdict agrees with the exit code. Runs in Node (environment: node): it spawns processes.
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const VITEST = join(ROOT, "node_modules", "vitest", "vitest.mjs");
const CONFIG = join(import.meta.dirname, "fixtures", "vitest.config.ts");

/** The child must not think it runs inside this run's worker. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("VITEST") || key === "TEST") delete env[key];
  return env;
}

async function run(project: string, files: string[]): Promise<{ code: number; lastLine: string; output: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [VITEST, "run", "--config", CONFIG, "--project", project, ...files], { cwd: ROOT, env: childEnv(), timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      const lines = stdout.split("\n").filter((line) => line.trim() !== "");
      done({ code, lastLine: lines.at(-1) ?? "", output: `${stdout}\n${stderr}` });
    });
  });
}

const cases: Array<{ what: string; project?: string; files: string[]; line: string; code: number }> = [
  { what: "a run where everything passes", files: ["passes.fixture.ts"], line: "2 passed, 0 failed", code: 0 },
  { what: "a failed test", files: ["test-fails.fixture.ts"], line: "1 passed, 1 failed", code: 1 },
  { what: "a module whose beforeAll throws (its tests did not run)", files: ["before-all-fails.fixture.ts"], line: "0 passed, 1 failed, 2 skipped", code: 1 },
  { what: "a suite whose beforeAll throws", files: ["suite-hook-fails.fixture.ts"], line: "1 passed, 1 failed, 1 skipped", code: 1 },
  { what: "an afterAll that throws after its test passed", files: ["after-all-fails.fixture.ts"], line: "1 passed, 1 failed", code: 1 },
  { what: "a module that fails to import", files: ["import-fails.fixture.ts"], line: "0 passed, 1 failed", code: 1 },
  {
    what: "a failed hook and a failed import beside a passing module",
    files: ["before-all-fails.fixture.ts", "import-fails.fixture.ts", "passes.fixture.ts"],
    line: "2 passed, 2 failed, 2 skipped",
    code: 1,
  },
  { what: "an unhandled error in a passing test", files: ["unhandled.fixture.ts"], line: "1 passed, 1 failed", code: 1 },
  { what: "a test worker killed mid-test", files: ["crash.fixture.ts"], line: "0 passed, 1 failed, 1 skipped", code: 1 },
  { what: "a project whose global setup crashes before any test", project: "setup-crashes", files: ["passes.fixture.ts"], line: "0 passed, 1 failed", code: 1 },
  { what: "a project whose global teardown crashes after every test passed", project: "teardown-crashes", files: ["passes.fixture.ts"], line: "2 passed, 1 failed", code: 1 },
];

describe("the summary line", () => {
  for (const c of cases) {
    it(`counts ${c.what}`, async () => {
      const result = await run(c.project ?? "fixtures", c.files);
      expect(result.lastLine, result.output).toBe(c.line);
      expect(result.code, result.output).toBe(c.code);
      // The verdict agrees with the exit code.
      const failed = Number(/(\d+) failed/.exec(result.lastLine)?.[1]);
      expect(failed === 0).toBe(result.code === 0);
    }, 120_000);
  }
});
