import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import type { ClusterState } from "../../shared/cluster-state";
import { deliver, type Operator } from "../helpers/deliver";
import { kernelPluginError } from "../helpers/events";
import { eventually, github, GITHUB_API } from "../helpers/github";
import { unique } from "../helpers/send";

// Issue 12: "One org reconfigures another's issue" and "Private details cross owners".

afterAll(async () => {
  expect(await github.violations()).toEqual([]);
});

const testPolicy = JSON.parse(env.HOTFIX_POLICY) as Record<string, unknown>;

/** An operator that lets every reporter's failures be filed in `market`'s repos (a marketplace org), with its own defaults. */
function marketplaceOperator(market: string, config: Record<string, unknown> = {}, policy: Record<string, unknown> = {}): Operator {
  return {
    HOTFIX_POLICY: JSON.stringify({ ...testPolicy, targetOwners: [market], ...policy }),
    HOTFIX_CONFIG: JSON.stringify({ issueLabels: ["from-operator"], updateIntervalSeconds: 0, windowMinutes: 60, ...config }),
  };
}

/** The workflow plugin `repo` failing, reported from `triggerRepo` (whose owner is the reporter) with private details. */
function failureOf(repo: string, triggerRepo: string, extra: { actor?: string; deliveryId?: string; lines?: string[] } = {}) {
  const [owner, name] = repo.split("/");
  return kernelPluginError({
    plugin: { type: "workflow", id: `${repo}:compute.yml@main`, owner, repo: name },
    error: { message: "HTTP 500: Internal Server Error", status: null, category: "workflow" },
    trigger: { repo: triggerRepo, issueOrPr: 77, actor: extra.actor ?? "someone", deliveryId: extra.deliveryId ?? crypto.randomUUID() },
    requestId: unique(),
    timestamp: new Date().toISOString(),
    ...(extra.lines ? { logLines: extra.lines } : {}),
  });
}

const storedState = (fp: string) =>
  runInDurableObject(env.CLUSTER.getByName(fp), async (_instance, state) => JSON.parse(state.storage.sql.exec<{ state: string }>(`SELECT state FROM cluster`).one().state) as ClusterState);

/** Everything the double was sent for `repo`: request bodies of every call (issues, comments, blobs, PRs). */
async function bodiesSentTo(repo: string): Promise<string> {
  return JSON.stringify((await github.calls(repo)).map((c) => c.requestBody ?? null));
}

describe("whose settings shape an issue (issue 12)", () => {
  it("two reporters of one failure in a third owner's repo cannot set its labels, mentions, cadence or grouping: the operator's apply", async () => {
    const id = unique();
    const market = `market-${id}`;
    const repo = `${market}/plugin`;
    const operator = marketplaceOperator(market);
    const shaping = (org: string) => ({
      issueLabels: [`${org}-label`],
      notify: [`@${org}-team`],
      windowMinutes: 1,
      updateIntervalSeconds: 0,
      fingerprintRules: [{ match: { message: "*" }, group: `${org}-group` }],
    });
    const [a] = await deliver([{ payload: failureOf(repo, `alpha-${id}/app`), settings: shaping(`alpha-${id}`) }], operator);
    const [b] = await deliver([{ payload: failureOf(repo, `beta-${id}/app`), settings: shaping(`beta-${id}`) }], operator);
    // The same fingerprint for both: neither reporter's fingerprintRules group failures in someone else's repo.
    expect(a?.output.fingerprint).toMatch(/^[0-9a-f]{40}$/);
    expect(b?.output.fingerprint).toBe(a?.output.fingerprint);
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && (issues[0]?.body ?? "").includes("affects 2 orgs"));
    expect(issue?.labels.map((l) => l.name)).toEqual(["from-operator"]);
    const sent = await bodiesSentTo(repo);
    expect(sent).not.toContain(`alpha-${id}-team`);
    expect(sent).not.toContain(`beta-${id}-team`);
    expect(sent).not.toContain(`-label`);
    const state = await storedState(a?.output.fingerprint ?? "");
    expect(state.settings).toMatchObject({ issueLabels: ["from-operator"], notify: [], windowMinutes: 60 });
  });

  it("the repo's own owner shapes its issue; another owner's later event does not change that", async () => {
    const id = unique();
    const market = `market-${id}`;
    const repo = `${market}/plugin`;
    const operator = marketplaceOperator(market);
    const [foreign] = await deliver([{ payload: failureOf(repo, `alpha-${id}/app`), settings: { issueLabels: ["alpha"], windowMinutes: 1 } }], operator);
    const fp = foreign?.output.fingerprint ?? "";
    expect((await storedState(fp)).settings).toMatchObject({ issueLabels: ["from-operator"], windowMinutes: 60 });
    await deliver([{ payload: failureOf(repo, `${market}/website`), settings: { issueLabels: ["owner-label"], windowMinutes: 30 } }], operator);
    expect((await storedState(fp)).settings).toMatchObject({ issueLabels: ["owner-label"], windowMinutes: 30 });
    await deliver([{ payload: failureOf(repo, `beta-${id}/app`), settings: { issueLabels: ["beta"], windowMinutes: 1, updateIntervalSeconds: 0 } }], operator);
    expect((await storedState(fp)).settings).toMatchObject({ issueLabels: ["owner-label"], windowMinutes: 30 });
    const state = await storedState(fp);
    expect(state.reporters).toEqual([`alpha-${id}`, market, `beta-${id}`]);
    const [issue] = await eventually(() => github.issues(repo), (issues) => (issues[0]?.body ?? "").includes("affects 3 orgs"));
    expect(issue?.body).not.toContain(`alpha-${id}`);
    expect(issue?.body).not.toContain(`beta-${id}`);
  });
});

describe("privacy across owners (issue 12)", () => {
  it("another owner's issue and PR fixture carry no trigger repo, link, actor, delivery id or log line naming the reporter", async () => {
    const id = unique();
    const market = `market-${id}`;
    const repo = `${market}/plugin`;
    const reporter = `secretive-${id}`;
    const deliveryId = crypto.randomUUID();
    const lines = [`INFO handling ${reporter}/private-roadmap#77`, "INFO Dispatching plugin | plugin=the-plugin", `ERROR plugin failed for actor ${reporter}-dev`];
    // PR mode from the operator for the marketplace: the replay fixture is committed into the foreign repo.
    const operator = marketplaceOperator(market, { modes: ["issue", "pr"], riskPolicy: { minOccurrences: 1 } }, { prRepos: [`${market}/*`] });
    const [answer] = await deliver([{ payload: { ...failureOf(repo, `${reporter}/private-roadmap`, { actor: `${reporter}-dev`, deliveryId, lines }), installation: { id: 777_123_456 } } }], operator);
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    const pulls = await eventually(async () => (await (await fetch(`${GITHUB_API}/_double/pulls?repo=${encodeURIComponent(repo)}`)).json()) as unknown[], (list) => list.length === 1);
    expect(pulls).toHaveLength(1);
    const sent = await bodiesSentTo(repo);
    expect(sent).toContain("daemon-hotfix:fingerprint="); // the issue, its body and the fixture were sent…
    expect(sent).toContain("Dispatching plugin"); // …with the log lines that do not name the reporter
    for (const secret of [reporter, "private-roadmap", deliveryId, "777123456"]) expect(sent, secret).not.toContain(secret);
    const [issue] = await github.issues(repo);
    expect(issue?.body).toContain("affects 1 org");
    const state = await storedState(answer?.output.fingerprint ?? "");
    expect(JSON.stringify(state.sample)).not.toContain(reporter);
  });

  it("the reporter's own repo still shows its trigger, actor and full log trail", async () => {
    const id = unique();
    const owner = `own-${id}`;
    const repo = `${owner}/plugin`;
    await deliver([{ payload: failureOf(repo, `${owner}/private-roadmap`, { actor: `${owner}-dev`, lines: [`INFO handling ${owner}/private-roadmap#77`] }) }]);
    const [issue] = await github.issues(repo);
    expect(issue?.body).toContain(`${owner}/private-roadmap`);
    expect(issue?.body).toContain(`${owner}-dev`);
  });
});
