import { generateKeyPairSync } from "node:crypto";
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createAppAuth } from "@octokit/auth-app";
import { describe, expect, it } from "vitest";
import type { FailureMessage } from "../../shared/queue-message";
import { configOf } from "../../workers/config";
import { ConfigError, credentialsFrom, toPkcs8 } from "../../workers/config/github-credentials";
import { createApp } from "../../workers/ingest/app";
import { kernelPluginError } from "../helpers/events";
import { consumeWith } from "../helpers/queue";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";

const rsa = (type: "pkcs1" | "pkcs8") =>
  generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type, format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey as unknown as string;

describe("GitHub credentials", () => {
  it("prefers App credentials, falls back to a token, and says what is missing", () => {
    expect(credentialsFrom({ GITHUB_TOKEN: "t", APP_ID: "1", APP_PRIVATE_KEY: "k" })).toEqual({ kind: "app", appId: "1", privateKey: "k" });
    expect(credentialsFrom({ GITHUB_TOKEN: "t", APP_ID: "", APP_PRIVATE_KEY: "" })).toEqual({ kind: "token", token: "t" });
    expect(() => credentialsFrom({ GITHUB_TOKEN: "", APP_ID: "", APP_PRIVATE_KEY: "" })).toThrow(/no GitHub credentials: set GITHUB_TOKEN, or APP_ID and APP_PRIVATE_KEY/);
    expect(() => credentialsFrom({ GITHUB_TOKEN: "t", APP_ID: "1", APP_PRIVATE_KEY: "" })).toThrow(ConfigError);
  });

  it("accepts the PKCS#1 key GitHub hands out, and PKCS#8, also with \\n escapes — and @octokit/auth-app signs with it inside workerd", async () => {
    const pkcs1 = rsa("pkcs1");
    expect(pkcs1).toContain("BEGIN RSA PRIVATE KEY");
    const converted = toPkcs8(pkcs1);
    expect(converted).toContain("BEGIN PRIVATE KEY");
    expect(toPkcs8(pkcs1.replace(/\n/g, "\\n"))).toBe(converted);
    const pkcs8 = rsa("pkcs8");
    expect(toPkcs8(pkcs8)).toBe(pkcs8);
    const { token } = await createAppAuth({ appId: 42, privateKey: converted })({ type: "app" });
    const [header, payload] = token.split(".").slice(0, 2).map((part) => JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: "RS256" });
    expect(payload).toMatchObject({ iss: 42 });
    expect(() => toPkcs8("not a key")).toThrow(/APP_PRIVATE_KEY is not a PEM RSA private key/);
  });
});

describe("configOf: Env as typed, validated configuration", () => {
  const config = (overrides: Partial<Env>) => configOf({ ...env, ...overrides } as Env);

  it("HOTFIX_POLICY: the contract's defaults when unset; the operator's values when valid", () => {
    expect(config({ HOTFIX_POLICY: "" }).policy).toEqual({ targetOwners: [], prRepos: [], maxNewIssuesPerRepoPerDay: 10, minUpdateIntervalSeconds: 60, minWindowMinutes: 15, maxAutofixPerDay: 3, maxNotify: 5 });
    const policy = config({ HOTFIX_POLICY: JSON.stringify({ targetOwners: ["ubiquity-os-marketplace"], prRepos: ["acme/*"], maxNewIssuesPerRepoPerDay: 4 }) }).policy;
    expect(policy).toMatchObject({ targetOwners: ["ubiquity-os-marketplace"], prRepos: ["acme/*"], maxNewIssuesPerRepoPerDay: 4, maxNotify: 5 });
  });

  it("an unusable HOTFIX_POLICY falls back to the strictest defaults (never looser) and is named as a problem", () => {
    const c = config({ HOTFIX_POLICY: JSON.stringify({ targetOwners: ["ok"], prRepos: "*" }) });
    expect(c.policy.targetOwners).toEqual([]);
    expect(c.policy.prRepos).toEqual([]);
    expect(c.problems.join("\n")).toContain("HOTFIX_POLICY.prRepos");
  });

  it("the fix proposer: OpenAI-compatible from its vars, Workers AI through the AI binding, each problem named", () => {
    const fakeAI = { run: async () => ({ response: "{}" }) };
    const of = (vars: Record<string, unknown>) => configOf({ ...env, AUTOFIX_PROVIDER: "", AUTOFIX_API_URL: "", AUTOFIX_MODEL: "", AUTOFIX_API_KEY: "", ...vars } as unknown as Env);
    expect(of({}).autofix).toBeNull();
    expect(of({ AUTOFIX_API_URL: "https://ai.test/v1", AUTOFIX_MODEL: "m", AUTOFIX_API_KEY: "k" }).autofix).toEqual({ provider: "openai-compatible", apiUrl: "https://ai.test/v1", model: "m", apiKey: "k" });
    expect(of({ AUTOFIX_PROVIDER: "workers-ai", AI: fakeAI }).autofix).toEqual({ provider: "workers-ai", model: "@cf/meta/llama-3.3-70b-instruct-fp8-fast" });
    expect(of({ AUTOFIX_PROVIDER: "workers-ai", AUTOFIX_MODEL: "@cf/x/y", AI: fakeAI }).autofix).toEqual({ provider: "workers-ai", model: "@cf/x/y" });
    const noBinding = of({ AUTOFIX_PROVIDER: "workers-ai", AI: undefined });
    expect(noBinding.autofix).toBeNull();
    expect(noBinding.problems.join("\n")).toMatch(/AUTOFIX_PROVIDER is workers-ai but the Worker has no AI binding/);
    expect(of({ AUTOFIX_PROVIDER: "anthropic" }).problems.join("\n")).toMatch(/AUTOFIX_PROVIDER must be openai-compatible or workers-ai/);
    expect(of({ AUTOFIX_PROVIDER: "openai-compatible" }).problems.join("\n")).toMatch(/AUTOFIX_API_URL or AUTOFIX_MODEL is empty/);
  });

  it("numbers: unusable values take their defaults; the GitHub URL loses trailing slashes", () => {
    const c = config({ GITHUB_WRITES_PER_MINUTE: "lots", GITHUB_WRITES_PER_HOUR: "-5", GITHUB_WRITE_SPACING_MS: "0", GITHUB_TIMEOUT_MS: "-1", RATE_LIMIT_BURST: "2.7", RETRY_BASE_SECONDS: "", GITHUB_API_URL: "https://ghe.example.test/api/v3//" });
    expect(c.github.writeBudget).toEqual({ perMinute: 80, perHour: 500, spacingMs: 0 });
    expect(c.github.timeoutMs).toBe(10_000);
    expect(c.rateLimit.burst).toBe(2);
    expect(c.retryBaseSeconds).toBe(2);
    expect(c.github.apiUrl).toBe("https://ghe.example.test/api/v3");
  });
});

describe("GET /healthz", () => {
  const health = async (overrides: Partial<Env>) => {
    const ctx = createExecutionContext();
    const res = await createApp().fetch(new Request("https://daemon-hotfix.example.test/healthz"), { ...env, ...overrides } as Env, ctx);
    await waitOnExecutionContext(ctx);
    return { status: res.status, body: await res.json<{ status: string; problems?: string[] }>() };
  };

  it("is 200 when the configuration is usable", async () => {
    expect(await health({})).toEqual({ status: 200, body: { status: "ok" } });
    expect((await health({ GITHUB_TOKEN: "", APP_ID: "12345", APP_PRIVATE_KEY: rsa("pkcs1") })).status).toBe(200);
  });

  it.each([
    [{ HOTFIX_CONFIG: '{"windowMinutes": -1}' }, "HOTFIX_CONFIG is invalid: HOTFIX_CONFIG.windowMinutes"],
    [{ HOTFIX_CONFIG: "{not json" }, "HOTFIX_CONFIG is not valid JSON"],
    [{ GITHUB_TOKEN: "", APP_ID: "", APP_PRIVATE_KEY: "" }, "no GitHub credentials"],
    [{ GITHUB_TOKEN: "", APP_ID: "12", APP_PRIVATE_KEY: "" }, "GitHub App credentials are incomplete"],
    [{ GITHUB_TOKEN: "", APP_ID: "12", APP_PRIVATE_KEY: "garbage" }, "APP_PRIVATE_KEY is not a PEM RSA private key"],
    [{ KERNEL_PUBLIC_KEY: "" }, "KERNEL_PUBLIC_KEY is not set"],
    [{ ADMIN_TOKEN: "" }, "ADMIN_TOKEN is not set"],
    [{ HOTFIX_POLICY: "{nope" }, "HOTFIX_POLICY is not valid JSON"],
    [{ HOTFIX_POLICY: '{"maxNewIssuesPerRepoPerDay": -1}' }, "HOTFIX_POLICY is invalid (the default policy applies): HOTFIX_POLICY.maxNewIssuesPerRepoPerDay"],
    [{ HOTFIX_POLICY: '{"targetOwner": ["acme"]}' }, "HOTFIX_POLICY.targetOwner"],
    [{ PUBLIC_URL: "not a url" }, "PUBLIC_URL is not an absolute URL"],
  ] as const)("is 503 naming the problem: %o", async (overrides, problem) => {
    const { status, body } = await health(overrides);
    expect(status).toBe(503);
    expect(body.status).toBe("misconfigured");
    expect(body.problems?.join("\n")).toContain(problem);
  });
});

describe("a deployed Worker without GitHub credentials", () => {
  it("counts the event, asks GitHub again every 5 minutes, and says why in the logs and the metrics", async () => {
    const queue = new RecordingQueue();
    const repo = `acme/nocreds-${crypto.randomUUID().slice(0, 8)}`;
    const [owner, name] = repo.split("/");
    await postWith(jsonRequest(await signAsKernel(kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name }, trigger: { repo: `${owner}/app` } }))), { EVENTS: queue, GATHER_SECONDS: "0" });
    const message = queue.sent[0] as FailureMessage;
    const noCredentials = { ...env, GITHUB_TOKEN: "", APP_ID: "", APP_PRIVATE_KEY: "" } as Env;
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args.map(String).join(" "));
    let batches;
    try {
      batches = await consumeWith(noCredentials, [message], `nocreds-${crypto.randomUUID()}`);
    } finally {
      console.error = original;
    }
    // Counted at once (credentials are needed only to write), and the flush given back to its cluster.
    expect(batches.writes).toHaveLength(1);
    const cluster = env.CLUSTER.getByName(message.fingerprint ?? "");
    expect((await cluster.snapshot())?.total).toBe(1);
    const alarm = await runInDurableObject(cluster, (_instance, state) => state.storage.getAlarm());
    expect((alarm ?? 0) - Date.now()).toBeGreaterThan(290_000);
    expect((alarm ?? 0) - Date.now()).toBeLessThanOrEqual(300_000);
    expect(errors.join("\n")).toContain("misconfigured: cannot write to GitHub");
    const counted = await env.DB.prepare(`SELECT SUM(value) AS n FROM counters WHERE name = 'config_errors'`).first<{ n: number }>();
    expect(counted?.n).toBeGreaterThanOrEqual(1);
  });
});
