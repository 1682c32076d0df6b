import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ClusterState } from "../../shared/cluster-state";
import { repoAuth } from "../../workers/github/credentials";
import { failingRun, runId, sendWorkflowRun, warmActions } from "../helpers/ci";
import { eventually, github, writes } from "../helpers/github";
import { pluginRepo } from "../helpers/send";

// Issue 16's budget line: CI-context reads are GitHub requests of the primary limit — counted like every request
// (`daemon_hotfix_github_requests_total`, by method) — and never a write's: they neither take nor wait for a slot
// of the token's write budget, so they cannot delay a create. (Its own file: the last test closes the budget.)

/** `github_requests` of this file's Worker (D1 is per test file) with method GET. */
async function countedGets(): Promise<number> {
  const row = await env.DB.prepare(`SELECT SUM(value) AS n FROM counters WHERE name = 'github_requests' AND labels LIKE '%"method":"GET"%'`).first<{ n: number | null }>();
  return row?.n ?? 0;
}

/** GET requests the double answered on its API host for `repo` (the log host is not GitHub's API). */
const apiGets = async (repo: string) => (await github.calls(repo)).filter((c) => c.method === "GET" && !c.path.startsWith("/_actions-logs/"));

beforeAll(warmActions, 60_000);

describe("CI-context reads", () => {
  it("are counted in daemon_hotfix_github_requests_total{method=\"GET\"}: the jobs, the annotations and the log redirect", async () => {
    const repo = pluginRepo("ci-counted");
    const id = runId();
    // No annotation says what broke: the log is read too (302 to the log host).
    await github.actionsRun({ repo, runId: id, jobs: [{ name: "build", steps: [{ name: "Run npm run build", conclusion: "failure", log: ["src/a.ts(3,1): error TS2304: Cannot find name 'x'."] }] }] });
    const before = await countedGets();
    await sendWorkflowRun(repo, { id });
    await eventually(() => github.issues(repo), (list) => list.length === 1);
    const gets = await apiGets(repo);
    expect(gets.map((c) => c.path).filter((p) => !p.endsWith("/issues"))).toEqual([`/repos/${repo}/actions/runs/${id}/jobs`, expect.stringMatching(/\/check-runs\/\d+\/annotations$/), expect.stringMatching(/\/actions\/jobs\/\d+\/logs$/)]);
    // Every GET GitHub answered for this repo (the reads, and the writer's own look-ups if any) is counted.
    await eventually(countedGets, (n) => n - before === gets.length);
  });

  it("never wait for the write budget: with the token's budget closed for an hour, the run is still read and counted, and only its create waits", async () => {
    const repo = pluginRepo("ci-closed-budget");
    const id = runId();
    await github.actionsRun(failingRun(repo, id));
    const auth = await repoAuth(env, repo);
    await env.WRITE_BUDGET.getByName(auth.budgetKey).penalize(Date.now() + 3_600_000);
    await sendWorkflowRun(repo, { id });
    const reads = await eventually(
      () => apiGets(repo),
      (calls) => calls.some((c) => c.path.endsWith(`/actions/runs/${id}/jobs`)) && calls.some((c) => c.path.endsWith("/annotations")),
    );
    expect(reads.every((c) => c.status === 200)).toBe(true);
    // Read, and counted into the breakage's cluster (keyed and titled by what broke)…
    const row = await eventually(
      () => env.DB.prepare(`SELECT fingerprint, total FROM clusters WHERE repo = ?`).bind(repo).first<{ fingerprint: string; total: number }>(),
      (r) => r !== null && r.total === 1,
    );
    const sample = await runInDurableObject(env.CLUSTER.getByName(row?.fingerprint ?? ""), async (_instance, state) => (JSON.parse(state.storage.sql.exec<{ state: string }>(`SELECT state FROM cluster`).one().state) as ClusterState).sample);
    expect(sample.message).toContain("CI / test › Run npm test");
    expect(sample.ci?.details?.resolution).toBe("read");
    // …while the create waits for a write slot: nothing was written.
    expect(await writes(repo)).toEqual([]);
  });
});
