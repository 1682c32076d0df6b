import { describe, expect, it } from "vitest";
import { errorAnnotations, firstSpecific, isRunnerMessage } from "../../shared/ci-context/annotations";
import { attributedFailures } from "../../shared/ci-context/attribution";
import { ciBranchGate } from "../../shared/ci-context/branches";
import { breakageHeadline, breakagesOf, type JobRead } from "../../shared/ci-context/breakages";
import { compareUrl, foldBrokenBetween, lastGreenBefore } from "../../shared/ci-context/broken-between";
import { checkRunIdOf, failedJobs, jobFamily } from "../../shared/ci-context/jobs";
import { errorLine, failedStepExcerpt, logLines } from "../../shared/ci-context/log-excerpt";
import type { CiJob } from "../../shared/ci-context/schema";
import { createRedactor } from "../../shared/redact";

// Issue 16: what failed, from GitHub's own structure — pure parsing of jobs, annotations and Actions logs.

const ts = (n: number) => `2026-11-20T10:01:${String(n % 60).padStart(2, "0")}.1234567Z`;
const actionsLog = (bodies: string[]) => `\ufeff${bodies.map((b, i) => `${ts(i)} ${b}`).join("\r\n")}\r\n`;

const LOG = actionsLog([
  "Current runner version: '2.321.0'",
  "##[group]Operating System",
  "Ubuntu",
  "##[endgroup]",
  "##[group]Run actions/checkout@v4",
  "with:",
  "  repository: acme/widgets",
  "##[endgroup]",
  "Syncing repository: acme/widgets",
  "##[group]Run npm test",
  "npm test",
  "shell: /usr/bin/bash -e {0}",
  "##[endgroup]",
  "> widgets@1.0.0 test",
  "\u001b[31m FAIL \u001b[39m tests/a.test.ts > adds",
  "AssertionError: expected 1 to be 2",
  "##[error]Process completed with exit code 1.",
  "Post job cleanup.",
  "[command]/usr/bin/git version",
  "Cleaning up orphan processes",
]);

describe("Actions log lines", () => {
  it("drop the byte-order mark, timestamps, colour codes and carriage returns", () => {
    const lines = logLines(LOG);
    expect(lines[0]).toBe("Current runner version: '2.321.0'");
    expect(lines).toContain(" FAIL  tests/a.test.ts > adds");
    expect(lines.every((l) => !l.includes("\r") && !/^\d{4}-/.test(l) && !l.includes("\u001b"))).toBe(true);
  });

  it("drop a partial first line when only the tail of a log was read", () => {
    expect(logLines(`ner version: '2.3'\n${ts(1)} next`, { partialFirstLine: true })).toEqual(["next"]);
  });
});

describe("the failed step's excerpt", () => {
  it("is the section of the failed step, by its name as the runner prints it, ending at its error", () => {
    const excerpt = failedStepExcerpt(logLines(LOG), "Run npm test");
    expect(excerpt.step).toBe("Run npm test");
    expect(excerpt.lines).toEqual(["Run npm test", "npm test", "shell: /usr/bin/bash -e {0}", "> widgets@1.0.0 test", " FAIL  tests/a.test.ts > adds", "AssertionError: expected 1 to be 2", "##[error]Process completed with exit code 1."]);
  });

  it("is the section holding the error when the step's name is not the one the runner prints", () => {
    expect(failedStepExcerpt(logLines(LOG), "Unit tests").step).toBe("Run npm test");
    expect(failedStepExcerpt(logLines(LOG)).lines.at(-1)).toBe("##[error]Process completed with exit code 1.");
  });

  it("keeps only the last 50 lines of a long step, never a post step's", () => {
    const noisy = actionsLog(["##[group]Run make", "##[endgroup]", ...Array.from({ length: 500 }, (_, i) => `line ${i}`), "##[error]boom", "Post job cleanup.", "after"]);
    const excerpt = failedStepExcerpt(logLines(noisy), "Run make");
    expect(excerpt.lines).toHaveLength(50);
    expect(excerpt.lines.at(-1)).toBe("##[error]boom");
    expect(excerpt.lines).not.toContain("after");
  });

  it("clips a very long line", () => {
    const excerpt = failedStepExcerpt(logLines(actionsLog(["##[group]Run x", "y".repeat(5_000), "##[error]z"])));
    expect(excerpt.lines.every((l) => l.length <= 500)).toBe(true);
  });
});

describe("the error line", () => {
  it.each([
    ["a specific ##[error] first", ["FAIL a", "##[error]Unable to find Node version '99'"], "Unable to find Node version '99'"],
    ["else the first error-looking line", ["ok", " FAIL  tests/a.test.ts > adds", "AssertionError: x", "##[error]Process completed with exit code 1."], "FAIL  tests/a.test.ts > adds"],
    ["tsc", ["> tsc --noEmit", "src/a.ts(3,1): error TS2304: Cannot find name 'x'."], "src/a.ts(3,1): error TS2304: Cannot find name 'x'."],
    ["eslint", ["/w/src/a.ts", "  3:1  error  'x' is defined but never used  no-unused-vars"], "3:1  error  'x' is defined but never used  no-unused-vars"],
    ["rustc", ["error[E0425]: cannot find value `x` in this scope"], "error[E0425]: cannot find value `x` in this scope"],
    ["a thrown exception", ["    at x", "TypeError: cannot read properties of undefined"], "TypeError: cannot read properties of undefined"],
    ["none: the runner's generic message is not an error line", ["all good", "##[error]Process completed with exit code 2."], undefined],
  ])("%s", (_name, lines, expected) => {
    expect(errorLine(lines)).toBe(expected);
  });
});

describe("annotations", () => {
  const redact = createRedactor().string;
  const list = [
    { path: ".github", start_line: 1, annotation_level: "failure", title: null, message: "Process completed with exit code 1." },
    { path: "src/a.ts", start_line: 12, annotation_level: "warning", title: null, message: "unused variable" },
    { path: "src/a.ts", start_line: 40, annotation_level: "failure", title: "tsc", message: "Type 'string' is not assignable to type 'number'. token=ghp_abcdefghijklmnopqrstuvwxyz0123456789" },
  ];

  it("keeps error-level ones, what broke first and the runner's generic one after, redacted", () => {
    const kept = errorAnnotations(list, redact);
    expect(kept.map((a) => [a.path, a.line])).toEqual([["src/a.ts", 40], [".github", 1]]);
    expect(kept[0]?.message).not.toContain("ghp_");
    expect(firstSpecific(kept)?.line).toBe(40);
    expect(firstSpecific(kept.slice(1))).toBeUndefined();
    expect(isRunnerMessage("The operation was canceled.")).toBe(true);
  });
});

describe("jobs and steps", () => {
  const jobs = [
    { id: 1, name: "lint", conclusion: "success", steps: [] },
    { id: 2, name: "test (ubuntu-latest, 20)", conclusion: "failure", html_url: "https://github.com/o/r/actions/runs/9/job/2", check_run_url: "https://api.github.com/repos/o/r/check-runs/2", steps: [{ name: "Set up job", number: 1, conclusion: "success" }, { name: "Run npm test", number: 3, conclusion: "failure" }, { name: "Upload", number: 4, conclusion: "skipped" }] },
    { id: 3, name: "test (windows-latest, 20)", conclusion: "cancelled", steps: [] },
    { id: 4, name: "e2e", conclusion: "timed_out", steps: [{ name: "Run e2e", number: 2, conclusion: "cancelled" }, { name: "Run report", number: 3, conclusion: "cancelled" }] },
  ];

  it("are the failed and timed-out jobs (a job cancelled because another failed is not a breakage), with their failed steps", () => {
    expect(failedJobs(jobs).map((j) => [j.name, j.failedSteps.map((s) => s.name)])).toEqual([["test (ubuntu-latest, 20)", ["Run npm test"]], ["e2e", ["Run e2e"]]]);
  });

  it("fold matrix values out of a job's family name", () => {
    expect(jobFamily("test (ubuntu-latest, 20)")).toBe("test");
    expect(jobFamily("build / test (ubuntu)")).toBe("build / test");
    expect(jobFamily("lint")).toBe("lint");
    expect(jobFamily("(odd)")).toBe("(odd)");
  });

  it("find a job's check run, whose annotations are the job's", () => {
    expect(checkRunIdOf({ id: 2, check_run_url: "https://api.github.com/repos/o/r/check-runs/77" })).toBe(77);
    expect(checkRunIdOf({ id: 2, check_run_url: null })).toBe(2);
  });
});

describe("breakages", () => {
  const job = (id: number, name: string, step: string): CiJob => ({ id, name, conclusion: "failure", failedSteps: [{ name: step, number: 3 }] });
  const annotation = (message: string, line = 12) => ({ path: "tests/a.test.ts", line, level: "failure", message });

  it("one breakage on every matrix leg is one breakage listing its jobs", () => {
    const reads: JobRead[] = [
      { job: job(1, "test (ubuntu, 20)", "Run npm test"), annotations: [annotation("expected 1 to be 2", 12)] },
      { job: job(2, "test (windows, 20)", "Run npm test"), annotations: [annotation("expected 1 to be 2", 12)] },
    ];
    const [only, ...rest] = breakagesOf(reads, "failure");
    expect(rest).toEqual([]);
    expect(only?.jobs.map((j) => j.id)).toEqual([1, 2]);
    expect(only?.key).toEqual({ job: "test", step: "Run npm test", error: "tests/a.test.ts: expected 1 to be 2" });
    expect(only?.error).toBe("tests/a.test.ts:12 — expected 1 to be 2");
  });

  it("two ways of breaking in one run are two breakages", () => {
    const reads: JobRead[] = [
      { job: job(1, "test", "Run npm test"), annotations: [annotation("expected 1 to be 2")] },
      { job: job(2, "lint", "Run npm run lint"), annotations: [{ path: "src/x.ts", line: 3, level: "failure", message: "'x' is defined but never used" }] },
    ];
    expect(breakagesOf(reads, "failure").map((b) => b.key.job)).toEqual(["test", "lint"]);
  });

  it("without an error annotation, the log's error line says what broke", () => {
    const read: JobRead = {
      job: job(1, "test", "Run npm test"),
      annotations: [{ path: ".github", line: 1, level: "failure", message: "Process completed with exit code 1." }],
      excerpt: { job: "test", step: "Run npm test", lines: ["> vitest", " FAIL  tests/b.test.ts > subtracts", "##[error]Process completed with exit code 1."], truncated: false },
    };
    const [b] = breakagesOf([read], "failure");
    expect(b?.key.error).toBe("FAIL  tests/b.test.ts > subtracts");
    expect(breakageHeadline("CI", b ?? (undefined as never), "failed")).toBe("CI / test › Run npm test: FAIL  tests/b.test.ts > subtracts");
  });

  it("a run that failed before any job ran is one breakage keyed by its conclusion", () => {
    expect(breakagesOf([], "startup_failure")).toEqual([{ key: { job: "", step: "", error: "startup_failure" }, jobs: [], annotations: [] }]);
  });
});

describe("which branches are watched (ciBranches)", () => {
  it.each([
    ["the default branch, by default", "main", "main", undefined, { watched: true, branchInFingerprint: false }],
    ["a PR branch is not, by default", "feature/x", "main", undefined, { watched: false }],
    ["a repo whose default branch is master", "master", "master", undefined, { watched: true, branchInFingerprint: false }],
    ["all with *", "feature/x", "main", ["*"], { watched: true, branchInFingerprint: true }],
    ["globs", "release/1.2", "main", ["main", "release/*"], { watched: true, branchInFingerprint: true }],
    ["set to the default branch alone: the branch stays out of the fingerprint", "main", "main", ["main"], { watched: true, branchInFingerprint: false }],
    ["no branch named", undefined, "main", undefined, { watched: false }],
    ["no branch named (a fork's pull request, for check events), even with *", undefined, "main", ["*"], { watched: false }],
  ] as const)("%s", (_name, branch, defaultBranch, ciBranches, expected) => {
    expect(ciBranchGate(branch, defaultBranch, ciBranches)).toMatchObject(expected);
  });

  it("says why a branch is not watched", () => {
    expect(ciBranchGate("feature/x", "main", undefined)).toEqual({ watched: false, reason: 'branch "feature/x" is not watched: CI is watched on the default branch "main" (settings.ciBranches)' });
  });
});

describe("broken between A and B", () => {
  const commit = (sha: string, at: string) => ({ sha: sha.repeat(40).slice(0, 40), at });
  const greens = [commit("a", "2026-11-20T09:00:00Z"), commit("b", "2026-11-20T10:00:00Z"), commit("d", "2026-11-20T12:00:00Z")];

  it("the last green is the newest passing run before the red one", () => {
    expect(lastGreenBefore(greens, "2026-11-20T11:00:00Z")?.sha.startsWith("b")).toBe(true);
    expect(lastGreenBefore(greens, "2026-11-20T08:00:00Z")).toBeUndefined();
  });

  it("an earlier failing run moves the first red back; a later one keeps it; a red after a new green starts a new streak", () => {
    const first = foldBrokenBetween(undefined, commit("c", "2026-11-20T11:00:00Z"), greens[1]);
    expect(foldBrokenBetween(first, commit("e", "2026-11-20T11:30:00Z"), greens[1])).toBe(first);
    expect(foldBrokenBetween(first, commit("f", "2026-11-20T10:30:00Z"), greens[1]).firstRed.sha.startsWith("f")).toBe(true);
    const again = foldBrokenBetween(first, commit("9", "2026-11-20T13:00:00Z"), greens[2]);
    expect([again.lastGreen?.sha[0], again.firstRed.sha[0]]).toEqual(["d", "9"]);
  });

  it("a passing run learnt of after the first failure (delivered late) fills in, or moves up, the last green", () => {
    const unknown = foldBrokenBetween(undefined, commit("c", "2026-11-20T11:00:00Z"), undefined);
    const filled = foldBrokenBetween(unknown, commit("e", "2026-11-20T11:30:00Z"), greens[0]);
    expect([filled.lastGreen?.sha[0], filled.firstRed.sha[0]]).toEqual(["a", "c"]);
    const moved = foldBrokenBetween(filled, commit("e", "2026-11-20T11:30:00Z"), greens[1]);
    expect([moved.lastGreen?.sha[0], moved.firstRed.sha[0]]).toEqual(["b", "c"]);
    expect(foldBrokenBetween(moved, commit("e", "2026-11-20T11:30:00Z"), greens[0])).toBe(moved);
  });

  it("links GitHub's comparison of the two commits, from validated parts only", () => {
    const between = { lastGreen: commit("b", "2026-11-20T10:00:00Z"), firstRed: commit("c", "2026-11-20T11:00:00Z") };
    expect(compareUrl("acme/widgets", between)).toBe(`https://github.com/acme/widgets/compare/${"b".repeat(40)}...${"c".repeat(40)}`);
    expect(compareUrl("acme/widgets", { firstRed: between.firstRed })).toBeUndefined();
    expect(compareUrl("acme/../x", between)).toBeUndefined();
  });
});

describe("attribution", () => {
  const run = {
    eventId: "0".repeat(32),
    kind: "workflow_run" as const,
    sourceEvent: "workflow_run.completed",
    occurredAt: "2026-11-20T10:04:00.000Z",
    receivedAt: "2026-11-20T10:04:01.000Z",
    target: { repo: "acme/widgets", resolvedBy: "repository" as const },
    plugin: { type: "ci" as const, id: "acme/widgets:.github/workflows/ci.yml@main" },
    category: "workflow",
    status: null,
    conclusion: "failure",
    message: 'Workflow "CI" failed on main',
    trigger: {},
    correlation: { runId: 9 },
    logTrail: [],
    ci: { facts: { source: "workflow_run" as const, runMessage: 'Workflow "CI" failed on main', stream: "s", workflow: ".github/workflows/ci.yml", workflowName: "CI", branch: "main", branchInFingerprint: false } },
  };

  it("an unreadable run stays one failure, saying why", () => {
    const [only, ...rest] = attributedFailures(run, { resolution: "unreadable", breakages: null, reason: "GitHub answered 403" });
    expect(rest).toEqual([]);
    expect(only?.message).toBe(run.message);
    expect(only?.ci?.details).toEqual({ resolution: "unreadable", reason: "GitHub answered 403" });
  });

  it("a read run becomes one failure per breakage, titled by what broke, keeping its event id", () => {
    const breakage = (jobName: string) => ({ key: { job: jobName, step: "Run npm test", error: "x" }, jobs: [], annotations: [], error: "boom" });
    const out = attributedFailures(run, { resolution: "read", readRunId: 9, breakages: [breakage("test"), breakage("lint")] });
    expect(out.map((f) => f.message)).toEqual(["CI / test › Run npm test: boom", "CI / lint › Run npm test: boom"]);
    expect(new Set(out.map((f) => f.eventId))).toEqual(new Set([run.eventId]));
  });
});
