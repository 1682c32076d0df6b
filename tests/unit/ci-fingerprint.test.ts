import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { attributedFailures } from "../../shared/ci-context/attribution";
import { breakagesOf, type JobRead } from "../../shared/ci-context/breakages";
import { ciFingerprintParts, ciFingerprintText } from "../../shared/ci-context/fingerprint";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { fingerprint, fingerprintText } from "../../shared/fingerprint";
import { createRedactor } from "../../shared/redact";
import { Settings, type SettingsInput } from "../../shared/settings";
import { checkRun, checkSuite, workflowRun } from "../helpers/events";

// Issue 16: a CI failure is grouped by what broke — repo + workflow + failed job + failed step + the normalised
// first error — not by run, commit or (by default) branch. That is grouping v2 (issue 18's versions): under v1,
// frozen, CI failures hash as they always did, so the v1→v2 transition finds their ongoing clusters.

const V2 = "v2" as const;

const ctx = (input: SettingsInput = {}) => ({ kernelStateId: "k", receivedAt: "2026-11-24T00:00:00.000Z", settings: v.parse(Settings, { allowWorkflowEvents: true, ...input }), redactor: createRedactor() });

function run(opts: Parameters<typeof workflowRun>[0] = {}, settings: SettingsInput = {}): FailureEvent {
  const c = toFailure("workflow_run.completed", workflowRun(opts), ctx(settings));
  if (c.outcome !== "failure") throw new Error(`expected a failure, got ${JSON.stringify(c)}`);
  return { ...c.failure, eventId: "0".repeat(32) };
}

interface Broke {
  job?: string;
  step?: string;
  path?: string;
  line?: number;
  message?: string;
  logLine?: string;
}

function read(b: Broke): JobRead {
  return {
    job: { id: 1, name: b.job ?? "test (ubuntu-latest)", conclusion: "failure", failedSteps: [{ name: b.step ?? "Run npm test", number: 3 }] },
    annotations: b.message ? [{ path: b.path ?? "tests/a.test.ts", line: b.line ?? 12, level: "failure", message: b.message }] : [],
    ...(b.logLine ? { excerpt: { job: b.job ?? "test", lines: [b.logLine], truncated: false } } : {}),
  };
}

/** The fingerprints of a failing run whose failed jobs broke as described. */
async function fingerprints(opts: Parameters<typeof workflowRun>[0], broke: Broke[], settings: SettingsInput = {}): Promise<string[]> {
  const failure = run(opts, settings);
  const derived = attributedFailures(failure, { resolution: "read", readRunId: 1, breakages: breakagesOf(broke.map(read), "failure") });
  return Promise.all(derived.map((f) => fingerprint(f, [], V2)));
}

const one = async (opts: Parameters<typeof workflowRun>[0], broke: Broke, settings: SettingsInput = {}) => (await fingerprints(opts, [broke], settings))[0];
const base: Broke = { message: "AssertionError: expected 1 to be 2" };

describe("CI fingerprint: the same breakage is one fingerprint", () => {
  it.each<[string, Parameters<typeof workflowRun>[0], Broke]>([
    ["in another run and attempt", { id: 555, attempt: 2 }, base],
    ["at another commit (another SHA, message, time)", { sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", commitMessage: "Other change", createdAt: "2026-11-21T08:00:00Z" }, base],
    ["on another matrix leg", {}, { ...base, job: "test (windows-latest)" }],
    ["with other numbers in its message", {}, { message: "AssertionError: expected 7 to be 9" }],
    ["at another line of the same file", {}, { ...base, line: 99 }],
  ])("%s", async (_name, opts, broke) => {
    expect(await one(opts, broke)).toBe(await one({}, base));
  });
});

describe("CI fingerprint: different breakages are different fingerprints", () => {
  it.each<[string, Parameters<typeof workflowRun>[0], Broke]>([
    ["another failed job", {}, { ...base, job: "lint" }],
    ["another failed step", {}, { ...base, step: "Run npm run build" }],
    ["another error", {}, { message: "TypeError: x is not a function" }],
    ["the same error in another file", {}, { ...base, path: "tests/b.test.ts" }],
    ["another workflow", { path: ".github/workflows/release.yml" }, base],
    ["another repo", { repo: "acme/other" }, base],
  ])("%s", async (_name, opts, broke) => {
    expect(await one(opts, broke)).not.toBe(await one({}, base));
  });

  it("two breakages of one workflow in one run → two fingerprints", async () => {
    const fps = await fingerprints({}, [base, { job: "lint", step: "Run npm run lint", message: "'x' is defined but never used" }]);
    expect(fps).toHaveLength(2);
    expect(new Set(fps).size).toBe(2);
  });

  it("without an annotation, the failed step's error line tells breakages apart", async () => {
    const a = await one({}, { logLine: " FAIL  tests/a.test.ts > adds" });
    expect(await one({ id: 2 }, { logLine: " FAIL  tests/a.test.ts > adds" })).toBe(a);
    expect(await one({}, { logLine: " FAIL  tests/b.test.ts > subtracts" })).not.toBe(a);
  });
});

describe("CI fingerprint: the branch", () => {
  it("a PR branch is ignored by default (only the default branch is watched), with the reason", () => {
    expect(toFailure("workflow_run.completed", workflowRun({ branch: "fix/typo" }), ctx())).toEqual({
      outcome: "ignored",
      reason: 'branch "fix/typo" is not watched: CI is watched on the default branch "main" (settings.ciBranches)',
    });
  });

  it("a fork's pull request is ignored, even on a branch named like the default one", () => {
    expect(toFailure("workflow_run.completed", workflowRun({ headRepo: "someone/fork" }), ctx({ ciBranches: ["*"] }))).toMatchObject({ outcome: "ignored", reason: expect.stringContaining("fork") });
  });

  it("a fork's check suite or check run (GitHub names no head branch for them) is ignored, with ciBranches [\"*\"] too", () => {
    const suite = checkSuite();
    (suite["check_suite"] as Record<string, unknown>)["head_branch"] = null;
    const check = checkRun();
    (check["check_run"] as Record<string, unknown>)["check_suite"] = { id: 5, head_branch: null };
    for (const [name, payload] of [["check_suite.completed", suite], ["check_run.completed", check]] as const) {
      for (const settings of [{}, { ciBranches: ["*"] }]) expect(toFailure(name, payload, ctx(settings))).toMatchObject({ outcome: "ignored", reason: expect.stringContaining("fork") });
    }
  });

  it("GitHub Actions' own check suites and check runs are left to their workflow_run: one breakage, one issue", () => {
    const actions = { slug: "github-actions", name: "GitHub Actions" };
    for (const [name, payload] of [["check_suite.completed", checkSuite({ app: actions })], ["check_run.completed", checkRun({ app: actions })], ["check_run.completed", checkRun({ app: actions, conclusion: "success" })]] as const) {
      expect(toFailure(name, payload, ctx())).toEqual({ outcome: "ignored", reason: "a GitHub Actions check: its workflow_run.completed event files it (with its jobs, steps and log)" });
    }
    expect(toFailure("workflow_run.completed", workflowRun(), ctx()).outcome).toBe("failure");
    expect(toFailure("check_suite.completed", checkSuite(), ctx()).outcome).toBe("failure");
  });

  it("stays out of the fingerprint by default, and is in it when ciBranches watches more", async () => {
    expect(ciFingerprintParts("acme/widgets", run().ci?.facts ?? (undefined as never), undefined, V2).branch).toBeUndefined();
    const all = { ciBranches: ["*"] };
    expect(await one({ branch: "main" }, base, all)).not.toBe(await one({ branch: "release/1" }, base, all));
    expect(await one({ branch: "main" }, base, all)).not.toBe(await one({ branch: "main" }, base));
  });
});

describe("CI fingerprint: what it is made of", () => {
  it("names each part, one line each (documented beside the plugin-error fingerprint)", () => {
    const failure = attributedFailures(run(), { resolution: "read", breakages: breakagesOf([read(base)], "failure") })[0];
    const parts = ciFingerprintParts(failure?.target.repo ?? "", failure?.ci?.facts ?? (undefined as never), failure?.ci?.details?.breakage, V2);
    expect(ciFingerprintText(parts)).toBe(
      [
        "ci-v2",
        "repo=ubiquity-os-marketplace/text-conversation-rewards",
        "source=workflow_run",
        "workflow=.github/workflows/compute.yml",
        "job=test",
        "step=run npm test",
        "error=tests/a.test.ts: AssertionError: expected <n> to be <n>",
      ].join("\n"),
    );
  });

  it("a run whose jobs could not be read is keyed by its event alone, apart from every read breakage", async () => {
    const unread = attributedFailures(run(), { resolution: "unreadable", breakages: null, reason: "403" })[0];
    expect(ciFingerprintText(ciFingerprintParts(unread?.target.repo ?? "", unread?.ci?.facts ?? (undefined as never), undefined, V2)).split("\n").slice(-1)).toEqual(["unread"]);
    expect(await fingerprint(unread ?? (undefined as never), [], V2)).not.toBe(await one({}, base));
    const otherRun = attributedFailures(run({ id: 77, sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821" }), { resolution: "unreadable", breakages: null, reason: "timeout" })[0];
    expect(await fingerprint(otherRun ?? (undefined as never), [], V2)).toBe(await fingerprint(unread ?? (undefined as never), [], V2));
  });

  it("under grouping v1 (frozen) a CI failure hashes exactly as it did before issue 16, whatever broke", async () => {
    const derived = attributedFailures(run(), { resolution: "read", breakages: breakagesOf([read(base), read({ job: "lint", message: "other" })], "failure") });
    const legacy = fingerprintText({ repo: "ubiquity-os-marketplace/text-conversation-rewards", plugin: "ubiquity-os-marketplace/text-conversation-rewards:.github/workflows/compute.yml@main", category: "workflow", message: 'Workflow "Compute" failed on main' }, "v1");
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(legacy)))].slice(0, 20).map((b) => b.toString(16).padStart(2, "0")).join("");
    for (const failure of [run(), ...derived]) expect(await fingerprint(failure, [], "v1")).toBe(digest);
  });
});
