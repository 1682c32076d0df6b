import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FailureMessage } from "../../shared/queue-message";
import { draftPluginError, kernelPluginError } from "../helpers/events";
import { eventually, github } from "../helpers/github";
import { CANARY_SECRETS, leaksPartOf, PROVIDER_CANARIES } from "../helpers/secrets";
import { AUTH_TOKEN_CANARY, KERNEL_JWT_CANARY, jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { kernelToken } from "../helpers/kernel-token";

/** The input's own attestation token (valid: the input is accepted), known before signing so it can be planted too. */
const STATE_ID = crypto.randomUUID();
const INPUT_KERNEL_TOKEN = await kernelToken({ stateId: STATE_ID, authToken: AUTH_TOKEN_CANARY });

/** Secrets of every kind the redactor knows, planted where a real failure could carry them. */
const CANARIES = {
  pat: "ghp_CANARYpat0123456789abcdefghijklmnopqr",
  fineGrained: "github_pat_11CANARY0000fineGrained_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJjYW5hcnkiOiJqd3QifQ.Q0FOQVJZLXNpZ25hdHVyZQ",
  bearer: "CANARYbearer0123456789",
  basic: "Q0FOQVJZOmJhc2ljLXBhc3N3b3Jk",
  pemBody: "MIIEvCANARYpemBodyQIBADANBgkqhkiG9w0BAQEFAASC",
  aws: "AKIACANARY0AWS00KEY0",
  slack: "xoxb-000000000000-CANARYslackToken01",
  password: "CANARY-hunter2",
  authToken: AUTH_TOKEN_CANARY,
  kernelJwt: KERNEL_JWT_CANARY,
  // Issue 13: provider tokens (their secret parts), planted in the message, the stack, the log trail and the raw error.
  ...CANARY_SECRETS,
  inputKernelToken: INPUT_KERNEL_TOKEN,
};
const PROVIDER = Object.values(PROVIDER_CANARIES);

/** Signed like the kernel, with the input's own token (the one planted in the event). */
const signPlanted = (event: Record<string, unknown>, settings: Record<string, unknown> = {}) =>
  signAsKernel(event, { stateId: STATE_ID, ubiquityKernelToken: INPUT_KERNEL_TOKEN, settings });

function plantedEvent(owner = "o"): Record<string, unknown> {
  const event = draftPluginError({
    plugin: { type: "http", id: `https://canary-plugin.deno.dev/?token=${CANARIES.password}`, owner: undefined, repo: undefined, workflowId: undefined },
    error: {
      message: `HTTP (target: https://canary-plugin.deno.dev) 500: auth failed for Bearer ${CANARIES.bearer} using ${CANARIES.pat} ${PROVIDER.slice(0, 4).join(" ")}`,
      status: null,
      stack: `Error: boom\n  ${PROVIDER.slice(4, 8).join("\n  ")}\n  token=${CANARIES.authToken}\n  -----BEGIN PRIVATE KEY-----\n${CANARIES.pemBody}\n-----END PRIVATE KEY-----`,
      raw: { headers: { authorization: `Basic ${CANARIES.basic}` }, env: `AWS_KEY=${CANARIES.aws}`, providers: PROVIDER },
    },
  });
  return {
    ...event,
    trigger: { githubEvent: "issue_comment.created", deliveryId: "canary-delivery", repo: `${owner}/r`, issueOrPr: 1, actor: "octocat" },
    context: { requestId: `canary-${crypto.randomUUID()}`, responseSnippet: `{"error":"bad creds ${CANARIES.fineGrained}"}`, pluginInputs: { authToken: CANARIES.authToken } },
    logTrail: {
      lines: [
        `DEBUG sending Authorization: Bearer ${CANARIES.jwt}`,
        `DEBUG kernel token ${CANARIES.kernelJwt}`,
        `DEBUG forwarded ubiquityKernelToken=${CANARIES.inputKernelToken}`,
        `WARN slack ${CANARIES.slack}`,
        `DEBUG password=${CANARIES.password}`,
        `DEBUG raw installation token seen: ${CANARIES.authToken}`,
        ...PROVIDER.slice(8).map((token) => `WARN \u001b[33mprovider\u001b[0m ${token}`),
        // The installation token where the log line is clipped (500 characters): removed whole, not half-kept.
        `${"w".repeat(490)} ${CANARIES.authToken}`,
      ],
    },
  };
}

function leaks(text: string): string[] {
  return Object.entries(CANARIES)
    .filter(([, secret]) => leaksPartOf(secret, text))
    .map(([name]) => name);
}

describe("secret canaries", () => {
  it("never appear in the enqueued message", async () => {
    const queue = new RecordingQueue();
    const res = await postWith(jsonRequest(await signPlanted(plantedEvent())), { EVENTS: queue });
    expect(res.status).toBe(200);
    expect(queue.sent).toHaveLength(1);
    const text = JSON.stringify(queue.sent);
    expect(leaks(text)).toEqual([]);
    const message = queue.sent[0] as FailureMessage;
    expect(message.failure.message).toContain("[REDACTED]");
    expect(message.failure.status).toBe(500);
  });

  it("never appear in the raw payload either, when a setting opts in to keeping it", async () => {
    const queue = new RecordingQueue();
    const res = await postWith(jsonRequest(await signPlanted(plantedEvent(), { keepRawPayload: true })), { EVENTS: queue });
    expect(res.status).toBe(200);
    const message = queue.sent[0] as FailureMessage;
    expect(message.raw).toBeDefined();
    expect(leaks(JSON.stringify(message))).toEqual([]);
  });

  it("never reach GitHub or storage when the event goes through the real queue and consumer", async () => {
    const owner = `canary-${crypto.randomUUID().slice(0, 8)}`;
    const res = await postToWorker(jsonRequest(await signPlanted(plantedEvent(owner))));
    expect(res.status).toBe(200);
    const plugin = "canary-plugin.deno.dev";
    let rows: unknown[] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      rows = (await env.DB.prepare(`SELECT * FROM counters WHERE name = 'events_processed' AND labels LIKE ?`).bind(`%${plugin}%`).all()).results;
    }
    expect(rows.length).toBeGreaterThan(0);
    // No manifest answers for the plugin's URL, so the issue goes to the trigger owner's config repo.
    const repo = `${owner}/.ubiquity-os`;
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    expect(issue?.body).toContain("[REDACTED]");
    const sentToGitHub = JSON.stringify((await github.calls(repo)).map((c) => c.requestBody));
    expect(sentToGitHub).toContain("daemon-hotfix:fingerprint=");
    expect(leaks(sentToGitHub)).toEqual([]);
    const tables = ["counters", "dead_letters", "clusters", "event_errors"];
    const everything = JSON.stringify(await Promise.all(tables.map(async (t) => (await env.DB.prepare(`SELECT * FROM ${t}`).all()).results)));
    expect(leaks(everything)).toEqual([]);
  });
});
