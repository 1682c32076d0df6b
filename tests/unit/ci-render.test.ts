import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { attributedFailures } from "../../shared/ci-context/attribution";
import type { Breakage } from "../../shared/ci-context/schema";
import { addOccurrence, clusterView } from "../../shared/cluster-state";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { createRedactor } from "../../shared/redact";
import { MAX_BODY, renderBody, renderTitle } from "../../shared/render/issue";
import { Settings } from "../../shared/settings";
import { workflowRun } from "../helpers/events";
import { lex, liveElements } from "../helpers/markdown";

// Issue 16: the issue body of a CI failure — failed jobs and steps, annotations, excerpt, broken between, run,
// attempts, a re-run hint — inert and within GitHub's limit.

const settings = { windowMinutes: 60, updateIntervalSeconds: 60, issueLabels: [], notify: [], modes: ["issue" as const], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" as const } };
const options = { windowMinutes: 60, updateIntervalSeconds: 60 };
const GREEN = "1111111111111111111111111111111111111111";
const RED = "2222222222222222222222222222222222222222";

function runFailure(opts: Parameters<typeof workflowRun>[0] = {}): FailureEvent {
  const c = toFailure("workflow_run.completed", workflowRun({ repo: "acme/widgets", name: "CI", id: 4242, attempt: 2, sha: RED, ...opts }), {
    kernelStateId: "k",
    receivedAt: "2026-11-24T00:00:00.000Z",
    settings: v.parse(Settings, { allowWorkflowEvents: true }),
    redactor: createRedactor(),
  });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: "a".repeat(32) };
}

function breakage(overrides: Partial<Breakage> = {}): Breakage {
  return {
    key: { job: "test", step: "Run npm test", error: "x" },
    jobs: [{ id: 77, name: "test (ubuntu-latest)", conclusion: "failure", url: "https://github.com/acme/widgets/actions/runs/4242/job/77", failedSteps: [{ name: "Run npm test", number: 3 }] }],
    annotations: [{ path: "tests/a.test.ts", line: 12, level: "failure", message: "AssertionError: expected 1 to be 2" }],
    excerpt: { job: "test (ubuntu-latest)", step: "Run npm test", lines: ["> vitest run", " FAIL  tests/a.test.ts > adds", "##[error]Process completed with exit code 1."], truncated: false },
    error: "tests/a.test.ts:12 — AssertionError: expected 1 to be 2",
    ...overrides,
  };
}

function bodyOf(b: Breakage, lastGreen = { sha: GREEN, at: "2026-11-20T09:00:00Z", title: "Bump deps", runId: 4241, url: "https://github.com/acme/widgets/actions/runs/4241" }) {
  const [failure] = attributedFailures(runFailure(), { resolution: "read", readRunId: 4242, breakages: [b], lastGreen });
  const state = addOccurrence(null, { fingerprint: "f".repeat(40), failure: failure ?? (undefined as never), settings, nowMs: Date.parse("2026-11-20T10:05:00Z") });
  const view = clusterView(state);
  return { view, body: renderBody(view, { ...options, isNew: true }) };
}

describe("CI issue body", () => {
  it("shows the failed jobs and steps with links, the annotations, the excerpt, broken between, the run and a re-run hint", () => {
    const { view, body } = bodyOf(breakage());
    expect(renderTitle(view)).toBe("[daemon-hotfix] widgets: CI / test › Run npm test: tests/a.test.ts:12 — AssertionError: expected 1 to be 2");
    for (const expected of [
      "| `test (ubuntu-latest)` | `Run npm test` (step 3) | `failure` | <https://github.com/acme/widgets/actions/runs/4242/job/77> |",
      "### Error annotations\n\n```text\ntests/a.test.ts:12 — AssertionError: expected 1 to be 2\n```",
      "### Log excerpt\n\nThe last 3 lines of `test (ubuntu-latest)` › `Run npm test`, redacted.",
      `- Last passing: \`111111111111\` \`Bump deps\` · <https://github.com/acme/widgets/actions/runs/4241>`,
      `- First failing: \`222222222222\``,
      `- Compare: <https://github.com/acme/widgets/compare/${GREEN}...${RED}>`,
      "`gh run rerun 4242 --failed --repo acme/widgets` (attempt 2 failed)",
      "<https://github.com/acme/widgets/actions/runs/4242>",
    ]) {
      expect(body).toContain(expected);
    }
    expect(liveElements(lex(body))).toEqual([]);
  });

  it("keeps hostile annotations, log lines and commit titles inert", () => {
    const hostile = "@admin [click](https://evil.example) <img src=x onerror=alert(1)> # heading ![i](https://evil.example/i.png) ```";
    const { body } = bodyOf(breakage({ annotations: [{ path: "src/<b>.ts", line: 1, level: "failure", title: hostile, message: hostile }], excerpt: { job: hostile, step: hostile, lines: [hostile, "```", "## not a heading"], truncated: true }, error: hostile }), {
      sha: GREEN,
      at: "2026-11-20T09:00:00Z",
      title: hostile,
      runId: 1,
      url: "https://evil.example/x",
    });
    expect(liveElements(lex(body))).toEqual([]);
    expect(body).toContain("The log was longer than what was read (1 MB): this is from its tail.");
  });

  it("stays within GitHub's body limit with the longest details a breakage can hold", () => {
    const long = (n: number) => "y".repeat(n);
    const { body } = bodyOf(
      breakage({
        jobs: Array.from({ length: 10 }, (_, i) => ({ id: i, name: long(300), conclusion: "failure", failedSteps: Array.from({ length: 5 }, (_, n) => ({ name: long(300), number: n })) })),
        annotations: Array.from({ length: 10 }, () => ({ path: long(500), line: 1, level: "failure", message: long(1_000) })),
        excerpt: { job: long(300), step: long(300), lines: Array.from({ length: 50 }, () => long(500)), truncated: true },
      }),
    );
    expect(body.length).toBeLessThanOrEqual(MAX_BODY);
  });

  it("says so when the run could not be read, and still files from the event", () => {
    const [failure] = attributedFailures(runFailure(), { resolution: "unreadable", breakages: null, reason: "the run's jobs: GitHub answered 403 (Resource not accessible by integration)" });
    const view = clusterView(addOccurrence(null, { fingerprint: "f".repeat(40), failure: failure ?? (undefined as never), settings, nowMs: 0 }));
    const body = renderBody(view, { ...options, isNew: true });
    expect(renderTitle(view)).toBe('[daemon-hotfix] widgets: Workflow "CI" failed on main');
    expect(body).toContain("> The run's details could not be read from GitHub, so this issue is filed from the event alone: `the run's jobs: GitHub answered 403 (Resource not accessible by integration)`.");
    expect(body).toContain("- Last passing: none seen yet");
  });

  it("says which run was read when this one was counted by its workflow", () => {
    const [failure] = attributedFailures(runFailure(), { resolution: "inferred", readRunId: 4000, breakages: [breakage()] });
    const body = renderBody(clusterView(addOccurrence(null, { fingerprint: "f".repeat(40), failure: failure ?? (undefined as never), settings, nowMs: 0 })), { ...options, isNew: true });
    expect(body).toContain("counted into the breakage read from run 4000");
  });
});
