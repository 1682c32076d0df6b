import * as v from "valibot";
import { Octokit } from "@octokit/core";
import { describe, expect, it } from "vitest";
import type { ClusterView } from "../../shared/cluster-view";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { Settings } from "../../shared/settings";
import { analyse } from "../../workers/autofix/analyse";
import type { FixProposer, ModelTask } from "../../workers/autofix/proposers";
import { GitHubWriter } from "../../workers/github/writer";
import { kernelPluginError } from "../helpers/events";
import { GITHUB_API, github } from "../helpers/github";
import { pluginRepo } from "../helpers/send";

/** A writer on the double whose writes never wait (the analysis only reads). */
function reader(): GitHubWriter {
  const octokit = new Octokit({ auth: "ghp_testTokenForTheGitHubDouble000000000", baseUrl: GITHUB_API });
  const budget = { reserve: async () => ({ granted: true, atMs: Date.now() }), penalize: async () => undefined };
  return new GitHubWriter(octokit, budget as never, { perMinute: 1_000, perHour: 10_000, spacingMs: 0 });
}

/** A model that records what it was asked and chooses nothing more. */
class Recording implements FixProposer {
  readonly name = "recording";
  readonly model = "m";
  readonly tasks: ModelTask[] = [];
  async ask(task: ModelTask) {
    this.tasks.push(task);
    return { ok: true as const, answer: task.name === "file_choice" ? { paths: [] } : { rootCause: { hypothesis: "h", files: [], confidence: 0.5 }, summary: "s", edits: [], newFiles: [], riskNotes: [] } };
  }
}

const headOf = async (repo: string) => ((await (await fetch(`${GITHUB_API}/_double/refs?repo=${encodeURIComponent(repo)}`)).json()) as Array<{ ref: string; sha: string }>).find((r) => r.ref === "refs/heads/main")?.sha ?? "";

function ciFailure(repo: string, commit: string): FailureEvent {
  const c = toFailure("kernel.plugin_error", kernelPluginError(), { kernelStateId: "k", receivedAt: new Date().toISOString(), settings: v.parse(Settings, {}) });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  const ci = {
    facts: { source: "workflow_run" as const, runMessage: 'Workflow "CI" failed on main', stream: "s", workflow: ".github/workflows/ci.yml", workflowName: "CI", branchInFingerprint: false, commit: { sha: commit, at: new Date().toISOString() } },
    details: { resolution: "read" as const, breakage: { key: { job: "test", step: "Run npm test", error: "AssertionError" }, jobs: [], annotations: [{ path: "tests/start.test.ts", line: 2, level: "failure", message: "AssertionError: expected 'a' to be 'b'" }], error: "AssertionError: expected 'a' to be 'b'" } },
  };
  return { ...c.failure, eventId: "e".repeat(32), target: { ...c.failure.target, repo }, kind: "workflow_run", plugin: { type: "ci", id: `${repo}:CI` }, message: "CI / test › Run npm test: tests/start.test.ts:2 — AssertionError", logTrail: [], ci };
}

describe("auto-fix context of a CI failure (issue 17)", () => {
  it("reads the repo at the failing run's commit and names the file of its error annotation, with the line", async () => {
    const repo = pluginRepo("fixci");
    await github.putFile(repo, "src/start.ts", "export const start = () => 'a';\n");
    await github.putFile(repo, "tests/start.test.ts", "import { start } from '../src/start';\nexpect(start()).toBe('b');\n");
    const failing = await headOf(repo);
    await github.putFile(repo, "tests/start.test.ts", "// fixed later on main\n");
    const sample = ciFailure(repo, failing);
    const view: ClusterView = { fingerprint: "b".repeat(40), grouping: "v2", repo, sample, latest: { occurredAt: sample.occurredAt, message: sample.message, status: null }, total: 3, firstSeen: sample.occurredAt, lastSeen: sample.occurredAt, sinceComment: 0, sinceCommentFrom: sample.occurredAt, recent: [], refs: [] };
    const model = new Recording();
    const analysis = await analyse(reader(), view, model, { maxRiskTier: "low" });
    expect(analysis.commit).toBe(failing);
    expect(analysis.commitFrom).toBe("the failing CI run's commit");
    expect(analysis.named[0]).toEqual({ path: "tests/start.test.ts", line: 2, from: "annotation" });
    expect(analysis.files.find((f) => f.path === "tests/start.test.ts")).toMatchObject({ why: "named", line: 2, content: "import { start } from '../src/start';\nexpect(start()).toBe('b');\n" });
    expect(model.tasks.map((t) => t.name)).toEqual(["file_choice", "edit_proposal"]);
    expect(model.tasks[1]?.prompt.user).toContain('"failingLine":2');
    const reads = (await github.calls(repo)).filter((c) => c.method === "GET").map((c) => c.path);
    expect(reads).toContain(`/repos/${repo}/git/commits/${failing}`);
    expect(reads.some((p) => p.startsWith(`/repos/${repo}/git/trees/`))).toBe(true);
    expect((await github.calls(repo)).filter((c) => c.method !== "GET")).toEqual([]);
  });
});
