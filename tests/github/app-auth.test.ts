import { generateKeyPairSync } from "node:crypto";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { kernelPluginError } from "../helpers/events";
import { consumeWith } from "../helpers/queue";
import { eventually, github, GITHUB_API } from "../helpers/github";
import { AUTH_TOKEN_CANARY, jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { unique } from "../helpers/send";

const APP_ID = 424242;
const OWNER = `appco-${unique()}`;
let appEnv: Env;

async function control(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${GITHUB_API}/_double/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
}

async function stats(): Promise<{ appTokensIssued: number; jwtRequests: number }> {
  return (await fetch(`${GITHUB_API}/_double/stats`)).json();
}

/** A failure in `repo`, delivered to the consumer running with the App's credentials (no GITHUB_TOKEN). */
async function deliver(repo: string, n = 1): Promise<void> {
  const queue = new RecordingQueue();
  const [owner, name] = repo.split("/");
  for (let i = 0; i < n; i++) {
    const payload = kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name }, trigger: { repo: `${owner}/app` }, requestId: unique(), timestamp: new Date().toISOString() });
    await postWith(jsonRequest(await signAsKernel(payload, { settings: { updateIntervalSeconds: 0 } })), { EVENTS: queue, GATHER_SECONDS: "0" });
  }
  await consumeWith(appEnv, queue.sent, `app-${unique()}`);
}

beforeAll(async () => {
  // GitHub hands out PKCS#1 keys: use one.
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  await control("app", { appId: APP_ID, publicKeyPem: keys.publicKey });
  await control("app/installations", { installationId: 9001, owner: OWNER, repos: [`${OWNER}/plugin-a`, `${OWNER}/plugin-b`] });
  appEnv = { ...env, GITHUB_TOKEN: "", APP_ID: String(APP_ID), APP_PRIVATE_KEY: keys.privateKey as unknown as string } as Env;
});

describe("GitHub App installation tokens", () => {
  it("mints one installation token, caches it across events and repos of the installation, and writes as the App's bot", async () => {
    const before = await stats();
    await deliver(`${OWNER}/plugin-a`, 3);
    await deliver(`${OWNER}/plugin-b`, 2);
    const [a] = await eventually(() => github.issues(`${OWNER}/plugin-a`), (issues) => issues.length === 1);
    await eventually(() => github.issues(`${OWNER}/plugin-b`), (issues) => issues.length === 1);
    expect((a as unknown as { user: { login: string } }).user.login).toBe("daemon-hotfix[bot]");
    const after = await stats();
    expect(after.appTokensIssued - before.appTokensIssued).toBe(1);
    const budgets = await env.DB.prepare(`SELECT key FROM budgets WHERE key = 'installation:9001'`).all();
    expect(budgets.results).toHaveLength(1);
    const calls = await github.calls(`${OWNER}/plugin-a`);
    expect(JSON.stringify(calls)).not.toContain(AUTH_TOKEN_CANARY);
  });

  it("refreshes the token once when GitHub answers 401 for an expired one", async () => {
    await deliver(`${OWNER}/plugin-a`);
    const before = await stats();
    await control("app/expire-tokens", {});
    await deliver(`${OWNER}/plugin-a`);
    const after = await stats();
    expect(after.appTokensIssued - before.appTokensIssued).toBe(1);
    const unauthorised = (await github.calls(`${OWNER}/plugin-a`)).filter((c) => c.status === 401);
    expect(unauthorised).toHaveLength(1);
    const [issue] = await github.issues(`${OWNER}/plugin-a`);
    expect(/\| Occurrences \| \*\*(\d+)\*\* \|/.exec(issue?.body ?? "")?.[1]).toBe("5");
  });

  it("dead-letters the events of a repo where the App is not installed, with that reason", async () => {
    const repo = `${OWNER}-elsewhere/plugin-c`;
    await deliver(repo);
    const row = await eventually(
      () => env.DB.prepare(`SELECT reason FROM dead_letters WHERE repo = ?`).bind(repo).first<{ reason: string }>(),
      (r) => r !== null,
    );
    expect(row?.reason).toContain(`the GitHub App is not installed on ${repo}`);
    expect(await github.issues(repo)).toHaveLength(0);
  });
});
