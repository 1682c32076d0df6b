import { afterAll, describe, expect, it } from "vitest";
import { deliver } from "../helpers/deliver";
import { kernelPluginError } from "../helpers/events";
import { github, type DoubleCall } from "../helpers/github";
import { unique } from "../helpers/send";

// Issue 12: "Any org can direct writes anywhere the App is installed." fallbackRepo, pluginRepos, a plugin's
// sourceRepo and the short_name of <url>/manifest.json chose the target repo; the only check was the App's install.

afterAll(async () => {
  expect(await github.violations()).toEqual([]);
});

/** A fresh reporter org, a victim org, and a URL plugin hosted somewhere. */
function world() {
  const id = unique();
  return { reporter: `rep-${id}`, victim: `victim-${id}`, url: `https://plugin-${id}.deno.dev` };
}

/** A URL plugin's failure, triggered in a repo of `reporter`. */
function urlFailure(reporter: string, url: string, plugin: Record<string, unknown> = {}) {
  return kernelPluginError({
    plugin: { type: "http", id: url, ...plugin },
    error: { message: `HTTP (target: ${url}) 500: Internal Server Error` },
    trigger: { repo: `${reporter}/app`, actor: `${reporter}-dev` },
    requestId: unique(),
    timestamp: new Date().toISOString(),
  });
}

/** Every call the double received that names `owner` (its repos, or a path with it). */
async function callsTouching(owner: string): Promise<DoubleCall[]> {
  const key = owner.toLowerCase();
  return (await github.allCalls()).filter((c) => (c.repo ?? "").toLowerCase().startsWith(`${key}/`) || c.path.toLowerCase().includes(`/${key}/`));
}

/** A repo of `owner` that really is the plugin at `url`: its manifest.json on the default branch names it. */
async function pluginRepoNaming(repo: string, url: string): Promise<void> {
  await github.putFile(repo, "manifest.json", JSON.stringify({ name: repo.split("/")[1], short_name: `${repo}@main`, homepage_url: url }));
}

describe("where a failure goes: never into another owner's repo (issue 12)", () => {
  it("a fallbackRepo of another owner is ignored, with a warning: the failure lands in the reporter's .ubiquity-os and nowhere else", async () => {
    const { reporter, victim, url } = world();
    const [answer] = await deliver([{ payload: urlFailure(reporter, url), settings: { fallbackRepo: `${victim}/private-repo` } }]);
    expect(answer?.output.warnings).toEqual([expect.stringContaining(`settings.fallbackRepo: ${victim}/private-repo is not a repo of the reporter's owner`)]);
    expect(await github.issues(`${reporter}/.ubiquity-os`)).toHaveLength(1);
    expect(await callsTouching(victim)).toEqual([]);
  });

  it("a pluginRepos entry naming another owner's repo is never asked about, and the issue names the refused claim", async () => {
    const { reporter, victim, url } = world();
    await deliver([{ payload: urlFailure(reporter, url), settings: { pluginRepos: { [url]: `${victim}/private-repo` } } }]);
    const [issue] = await github.issues(`${reporter}/.ubiquity-os`);
    expect(issue?.body).toContain(`${victim}/private-repo`);
    expect(issue?.body).toContain("pluginRepos");
    expect(await callsTouching(victim)).toEqual([]);
  });

  it("a plugin's sourceRepo naming another owner's repo is never asked about", async () => {
    const { reporter, victim, url } = world();
    await deliver([{ payload: urlFailure(reporter, url, { settings: { with: { sourceRepo: `${victim}/private-repo` } } }) }]);
    const [issue] = await github.issues(`${reporter}/.ubiquity-os`);
    expect(issue?.body).toContain("sourceRepo");
    expect(await callsTouching(victim)).toEqual([]);
  });

  it("a manifest short_name naming another owner's repo (whoever hosts the plugin writes it) is never asked about", async () => {
    const { reporter, victim, url } = world();
    await github.manifest(`${url}/manifest.json`, { name: "evil", short_name: `${victim}/private-repo@main` });
    await deliver([{ payload: urlFailure(reporter, url) }]);
    const [issue] = await github.issues(`${reporter}/.ubiquity-os`);
    expect(issue?.body).toContain("short_name");
    expect(await callsTouching(victim)).toEqual([]);
  });

  it("a workflow plugin of another owner goes to the reporter's .ubiquity-os", async () => {
    const { reporter, victim } = world();
    const payload = kernelPluginError({ plugin: { type: "workflow", id: `${victim}/private-repo:compute.yml@main`, owner: victim, repo: "private-repo" }, trigger: { repo: `${reporter}/app` }, requestId: unique() });
    await deliver([{ payload }]);
    expect(await github.issues(`${reporter}/.ubiquity-os`)).toHaveLength(1);
    expect(await callsTouching(victim)).toEqual([]);
  });

  it("a kernel-level failure goes to the reporter's .ubiquity-os", async () => {
    const { reporter } = world();
    const payload = kernelPluginError({ plugin: { type: "kernel", id: "ubiquity-os/ubiquity-os-kernel", owner: reporter, repo: "app", ref: "a1b2c3d" }, error: { message: "Manifest is invalid.", category: "kernel" }, trigger: { repo: `${reporter}/app` }, requestId: unique() });
    await deliver([{ payload }], {});
    expect(await github.issues(`${reporter}/.ubiquity-os`)).toHaveLength(1);
    expect(await github.issues(`${reporter}/app`)).toHaveLength(0);
  });
});

describe("claims verified through GitHub (issue 12)", () => {
  it("a claim is filed in once verified: the claimed repo's manifest.json homepage_url is on the plugin's origin", async () => {
    const { reporter, url } = world();
    const repo = `${reporter}/command-x`;
    await pluginRepoNaming(repo, `${url}/`);
    await deliver([{ payload: urlFailure(reporter, url), settings: { pluginRepos: { [url]: repo } } }]);
    expect(await github.issues(repo)).toHaveLength(1);
    expect(await github.issues(`${reporter}/.ubiquity-os`)).toHaveLength(0);
  });

  it("…or the repo's homepage is on that origin (a verified sourceRepo)", async () => {
    const { reporter, url } = world();
    const repo = `${reporter}/worker-y`;
    await github.homepage(repo, `${url}/docs`);
    await deliver([{ payload: urlFailure(reporter, url, { settings: { with: { sourceRepo: repo } } }) }]);
    expect(await github.issues(repo)).toHaveLength(1);
  });

  it("a claim in HOTFIX_POLICY.targetOwners that verifies is filed there: another owner's repo only when the operator allows it and the repo names the plugin", async () => {
    const { reporter, victim: marketplace, url } = world();
    const repo = `${marketplace}/command-start-stop`;
    await pluginRepoNaming(repo, url);
    await github.manifest(`${url}/manifest.json`, { name: "command-start-stop", short_name: `${repo}@main` });
    await deliver([{ payload: urlFailure(reporter, url) }], { HOTFIX_POLICY: JSON.stringify({ targetOwners: [marketplace], minUpdateIntervalSeconds: 0, minWindowMinutes: 1 }) });
    expect(await github.issues(repo)).toHaveLength(1);
    // Without the operator's say-so the same verified repo is not a target.
    const other = world();
    await deliver([{ payload: urlFailure(other.reporter, url) }]);
    expect(await github.issues(repo)).toHaveLength(1);
    expect(await github.issues(`${other.reporter}/.ubiquity-os`)).toHaveLength(1);
  });

  it("a claim whose repo does not name the plugin's origin is not filed in: the reporter's .ubiquity-os names the unverified claim", async () => {
    const { reporter, url } = world();
    const repo = `${reporter}/unrelated`;
    await github.homepage(repo, "https://elsewhere.example");
    await pluginRepoNaming(repo, "https://another-plugin.deno.dev");
    await deliver([{ payload: urlFailure(reporter, url), settings: { pluginRepos: { [url]: repo }, fallbackRepo: `${reporter}/fallback` } }]);
    expect(await github.issues(repo)).toHaveLength(0);
    expect(await github.issues(`${reporter}/fallback`)).toHaveLength(0);
    const [issue] = await github.issues(`${reporter}/.ubiquity-os`);
    expect(issue?.body).toContain(repo);
    expect(issue?.body).toContain(`does not name ${url}`);
  });

  it("verifies a claim once and caches the answer (later events read nothing more from the claimed repo)", async () => {
    const { reporter, url } = world();
    const repo = `${reporter}/cached`;
    await pluginRepoNaming(repo, url);
    const settings = { pluginRepos: { [url]: repo } };
    // Three events of one batch (handled at once) share one look-up, and later batches use the cached answer.
    await deliver([{ payload: urlFailure(reporter, url), settings }, { payload: urlFailure(reporter, url), settings }, { payload: urlFailure(reporter, url), settings }]);
    await deliver([{ payload: urlFailure(reporter, url), settings }, { payload: urlFailure(reporter, url), settings }]);
    const reads = (await github.calls(repo)).filter((c) => c.method === "GET" && c.path.endsWith("/contents/manifest.json"));
    expect(reads).toHaveLength(1);
  });
});
