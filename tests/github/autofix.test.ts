import { createExecutionContext, createMessageBatch, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fixturePath, shortFingerprint } from "../../shared/autofix/fixture";
import type { ClusterState } from "../../shared/cluster-state";
import type { FailureMessage } from "../../shared/queue-message";
import worker from "../../workers/index";
import { kernelPluginError } from "../helpers/events";
import { consumeWith } from "../helpers/queue";
import { eventually, github, GITHUB_API } from "../helpers/github";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, unique } from "../helpers/send";

interface DoublePull {
  number: number;
  draft: boolean;
  title: string;
  body: string | null;
  head: { ref: string };
  auto_merge: unknown;
  labels: Array<{ name: string }>;
}

const CANARY = "ghp_AUTOFIXcanary00000000000000000000000000";
const pulls = async (repo: string) => (await (await fetch(`${GITHUB_API}/_double/pulls?repo=${encodeURIComponent(repo)}`)).json()) as DoublePull[];
const file = async (repo: string, ref: string, path: string) => fetch(`${GITHUB_API}/_double/file?repo=${encodeURIComponent(repo)}&ref=${encodeURIComponent(ref)}&path=${encodeURIComponent(path)}`);
const aiAnswer = (answer: { content?: string; status?: number }) => fetch("https://ai.test/_control", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(answer) });
const withAI = { ...env, AUTOFIX_API_URL: "https://ai.test/v1", AUTOFIX_MODEL: "test-model", AUTOFIX_API_KEY: "test-ai-key" } as Env;

/**
 * Failures of `repo` (distinct messages → distinct clusters), delivered to the consumer with `workerEnv`. The
 * reporter — the owner of the trigger repo — owns `repo` unless `reporterRepo` says otherwise (PR mode needs it).
 */
async function deliver(repo: string, settings: Record<string, unknown>, options: { workerEnv?: Env; messages?: string[]; reporterRepo?: string } = {}): Promise<string[]> {
  const queue = new RecordingQueue();
  const [owner, name] = repo.split("/");
  const fingerprints: string[] = [];
  for (const message of options.messages ?? ["HTTP 500: Internal Server Error"]) {
    const payload = kernelPluginError({
      plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name },
      error: { message, status: null, category: "workflow" },
      trigger: { repo: options.reporterRepo ?? `${owner}/work.ubq.fi` },
      requestId: unique(),
      timestamp: new Date().toISOString(),
      logLines: [`DEBUG token=${CANARY}`],
    });
    const operator = options.workerEnv ?? env;
    const res = await postWith(jsonRequest(await signAsKernel(payload, { settings: { updateIntervalSeconds: 0, ...settings } })), { EVENTS: queue, HOTFIX_POLICY: operator.HOTFIX_POLICY, HOTFIX_CONFIG: operator.HOTFIX_CONFIG });
    fingerprints.push(((await res.json()) as { output: { fingerprint: string } }).output.fingerprint);
  }
  // A token per repo, so each repo's writes have a budget of their own (as an installation would).
  const token = `ghp_fix${repo.replace(/[^a-z0-9]/gi, "")}`.padEnd(40, "0").slice(0, 40);
  await consumeWith({ ...(options.workerEnv ?? env), GITHUB_TOKEN: token } as Env, queue.sent, `fix-${unique()}`);
  return fingerprints;
}

const pr = { modes: ["issue", "pr"], issueLabels: ["bug", "autofix"] };

/** An operator whose HOTFIX_POLICY lets any reporter's failures be filed in acme's repos (as a marketplace org would be). */
const acmeIsTarget = { ...env, HOTFIX_POLICY: JSON.stringify({ ...(JSON.parse(env.HOTFIX_POLICY) as object), targetOwners: ["acme"] }) } as Env;

/** The settings the cluster stored (what decides whether it wants a PR). */
const storedModes = (fp: string) =>
  runInDurableObject(env.CLUSTER.getByName(fp), async (_instance, state) => (JSON.parse(state.storage.sql.exec<{ state: string }>(`SELECT state FROM cluster`).one().state) as ClusterState).settings.modes);

describe("PR mode gate: only in HOTFIX_POLICY.prRepos, only for the reporter's own repos (issue 12)", () => {
  it("opens no PR in a repo outside prRepos, even for its owner", async () => {
    const repo = pluginRepo("nopr"); // the test policy's prRepos is ["acme/fix*"]
    const [fp = ""] = await deliver(repo, pr);
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    expect(await storedModes(fp)).toEqual(["issue"]);
    expect(await pulls(repo)).toEqual([]);
    expect((await github.calls(repo)).filter((c) => c.path.includes("/git/") || c.path.includes("/pulls"))).toEqual([]);
  });

  it("opens no PR for a reporter who does not own the repo, even inside prRepos", async () => {
    const repo = pluginRepo("fixforeign");
    const [fp = ""] = await deliver(repo, { ...pr, riskPolicy: { autoMerge: true, maxRiskTier: "high" } }, { reporterRepo: "mallory/app", workerEnv: acmeIsTarget });
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    expect(await storedModes(fp)).toEqual(["issue"]);
    expect(await pulls(repo)).toEqual([]);
  });

  it("opens one when the operator's HOTFIX_CONFIG turns PR mode on for a repo the reporter does not own", async () => {
    const repo = pluginRepo("fixoperator");
    const operatorEnv = { ...acmeIsTarget, HOTFIX_CONFIG: JSON.stringify({ modes: ["issue", "pr"] }) } as Env;
    const [fp = ""] = await deliver(repo, pr, { reporterRepo: "mallory/app", workerEnv: operatorEnv });
    expect(await storedModes(fp)).toEqual(["issue", "pr"]);
    await eventually(() => pulls(repo), (list) => list.length === 1);
  });
});

describe("guarded auto-fix PRs", () => {
  it("opens none while modes is [\"issue\"] (the default)", async () => {
    const repo = pluginRepo("nofix");
    await deliver(repo, {});
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    expect(await pulls(repo)).toEqual([]);
  });

  it("opens one draft PR with the replay fixture on hotfix/<fingerprint>, linked from the issue, never auto-merged by default", async () => {
    const repo = pluginRepo("fix");
    const [fp = ""] = await deliver(repo, pr);
    // (Done by the time deliver() returns, unless a GitHub fault handed the step back to its cluster for a retry.)
    const [pull] = await eventually(() => pulls(repo), (list) => list.length === 1 && (list[0]?.labels.length ?? 0) > 0);
    expect(pull).toMatchObject({ draft: true, head: { ref: `hotfix/${shortFingerprint(fp)}` }, auto_merge: null });
    expect(pull?.body).toContain("Refs #1");
    expect(pull?.body).toContain("## Risk: **low**");
    expect(pull?.labels.map((l) => l.name).sort()).toEqual(["autofix", "bug"]);
    const fixture = await file(repo, `hotfix/${shortFingerprint(fp)}`, fixturePath(fp));
    expect(fixture.status).toBe(200);
    const content = await fixture.text();
    expect(content).toContain(`"fingerprint": "${fp}"`);
    expect(content).toContain('"expected"');
    expect(content).not.toContain(CANARY);
    expect((await file(repo, "main", fixturePath(fp))).status).toBe(404);
    const [issue] = await eventually(() => github.issues(repo), (issues) => (issues[0]?.comments_list?.length ?? 0) > 0);
    expect(issue?.comments_list?.some((c) => c.body.includes(`#${pull?.number}`))).toBe(true);
    const graphql = (await github.calls(repo)).filter((c) => c.path === "/graphql");
    expect(graphql).toEqual([]);
  });

  it("creates one branch and one PR when GitHub's answers get lost and the step is retried", async () => {
    const repo = pluginRepo("fixretry");
    await github.fault({ kind: "commit_then_status", status: 502, times: 1, match: { repo, method: "POST", path: "/pulls" } });
    await github.fault({ kind: "commit_then_status", status: 502, times: 1, match: { repo, method: "POST", path: "/git/refs" } });
    await deliver(repo, pr);
    await deliver(repo, pr); // the next occurrence (or the queue's retry) performs the step again
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await deliver(repo, pr);
    const list = await eventually(() => pulls(repo), (l) => l.length >= 1);
    expect(list).toHaveLength(1);
    const refs = (await (await fetch(`${GITHUB_API}/_double/refs?repo=${encodeURIComponent(repo)}`)).json()) as Array<{ ref: string }>;
    expect(refs.filter((r) => r.ref.startsWith("refs/heads/hotfix/"))).toHaveLength(1);
  });

  it("stops at riskPolicy.maxAutofixPerDay PRs per repo per day", async () => {
    const repo = pluginRepo("fixcap");
    await deliver(repo, { ...pr, riskPolicy: { maxAutofixPerDay: 1 } }, { messages: ["HTTP 500: one", "HTTP 502: two", "HTTP 503: three"] });
    await eventually(() => github.issues(repo), (issues) => issues.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await pulls(repo)).toHaveLength(1);
  });

  it("opens no PR for a change above the allowed risk tier, and says why on the issue", async () => {
    const repo = pluginRepo("fixrisk");
    await aiAnswer({ content: JSON.stringify({ summary: "Guard against a null payload in the handler.", files: [{ path: "src/handlers/start.ts", content: "export const fixed = true;\n" }], riskNotes: ["touches the handler"] }) });
    await deliver(repo, pr, { workerEnv: withAI });
    const [issue] = await eventually(() => github.issues(repo), (issues) => (issues[0]?.comments_list ?? []).some((c) => c.body.includes("did not open a PR")));
    expect(issue?.comments_list?.find((c) => c.body.includes("did not open a PR"))?.body).toContain("**high** risk");
    expect(await pulls(repo)).toEqual([]);
  });

  it("uses a valid proposal when the tier is allowed (a test file is executable: medium)", async () => {
    const repo = pluginRepo("fixai");
    await aiAnswer({ content: JSON.stringify({ summary: "Add a regression test for the failing dispatch.", files: [{ path: "tests/dispatch.test.ts", content: "it('dispatches', () => {});\n" }], riskNotes: [] }) });
    const [fp = ""] = await deliver(repo, { ...pr, riskPolicy: { maxRiskTier: "medium" } }, { workerEnv: withAI });
    const [pull] = await eventually(() => pulls(repo), (list) => list.length === 1);
    expect(pull?.body).toContain("Add a regression test");
    expect(pull?.body).toContain("## Risk: **medium**");
    expect((await file(repo, `hotfix/${shortFingerprint(fp)}`, "tests/dispatch.test.ts")).status).toBe(200);
  });

  it.each([
    ["not JSON", { content: "I think you should restart the server." }],
    ["the wrong shape", { content: JSON.stringify({ patch: "diff --git a/x b/x" }) }],
    ["an unsafe path", { content: JSON.stringify({ summary: "x", files: [{ path: "../../etc/passwd", content: "x" }] }) }],
    ["an HTTP error", { status: 500 }],
  ])("falls back to a fixture-only PR when the proposer answers %s", async (_name, answer) => {
    const repo = pluginRepo("fixbad");
    await aiAnswer(answer);
    const [fp = ""] = await deliver(repo, pr, { workerEnv: withAI });
    const [pull] = await eventually(() => pulls(repo), (list) => list.length === 1);
    expect(pull?.body).toMatch(/replay fixture only/);
    expect((await file(repo, `hotfix/${shortFingerprint(fp)}`, fixturePath(fp))).status).toBe(200);
  });

  it("enables GitHub's auto-merge only with riskPolicy.autoMerge and a low tier", async () => {
    const repo = pluginRepo("fixmerge");
    await fetch(`${GITHUB_API}/_double/repos/auto-merge`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ repo, allow: true }) });
    await deliver(repo, { ...pr, riskPolicy: { autoMerge: true } });
    const [pull] = await eventually(() => pulls(repo), (list) => list.length === 1 && list[0]?.auto_merge !== null);
    expect(pull?.draft).toBe(false);
    const medium = pluginRepo("fixmedium");
    await fetch(`${GITHUB_API}/_double/repos/auto-merge`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ repo: medium, allow: true }) });
    await aiAnswer({ content: JSON.stringify({ summary: "Raise the timeout.", files: [{ path: "config/plugin.yml", content: "timeout: 30\n" }] }) });
    await deliver(medium, { ...pr, riskPolicy: { autoMerge: true, maxRiskTier: "medium" } }, { workerEnv: withAI });
    const [mediumPull] = await eventually(() => pulls(medium), (list) => list.length === 1);
    expect(mediumPull).toMatchObject({ draft: true, auto_merge: null });
    expect(mediumPull?.body).toContain("## Risk: **medium**");
  });
});
