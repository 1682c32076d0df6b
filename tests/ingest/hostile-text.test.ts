import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../shared/bound-message";
import type { FailureMessage } from "../../shared/queue-message";
import { draftPluginError, kernelPluginError } from "../helpers/events";
import { eventually, github } from "../helpers/github";
import { lex, liveElements } from "../helpers/markdown";
import { jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";

// Issue 13: hostile text at the door — bounded messages, control characters stripped, inert issues.

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;

describe("hostile text at the door (issue 13)", () => {
  it("40 log lines full of control characters are queued as one message under 120 KB (it was 131 KB → 503 → lost)", async () => {
    const queue = new RecordingQueue();
    const event = kernelPluginError({ requestId: `ctl-${crypto.randomUUID()}`, logLines: Array.from({ length: 40 }, () => "\u0001\u001b[31m".repeat(100)) });
    const res = await postWith(jsonRequest(await signAsKernel(event, { settings: { keepRawPayload: true } })), { EVENTS: queue });
    expect(res.status).toBe(200);
    expect(queue.sent).toHaveLength(1);
    expect(bytes(queue.sent[0])).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });

  it("a message too big for the queue is trimmed, and the note says what was trimmed", async () => {
    const queue = new RecordingQueue();
    const lines = Array.from({ length: 40 }, (_, i) => `${i} ${"字".repeat(495)}`);
    const event = draftPluginError({ error: { message: "HTTP 500: boom", status: 500, stack: "漢".repeat(9000), raw: { blob: "r".repeat(300_000) } } });
    const res = await postWith(jsonRequest(await signAsKernel({ ...event, logTrail: { lines } }, { settings: { keepRawPayload: true } })), { EVENTS: queue });
    expect(res.status).toBe(200);
    const message = queue.sent[0] as FailureMessage;
    expect(bytes(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(message.raw).toBeUndefined();
    expect(message.failure.trimmed?.[0]).toMatch(/^raw payload: \d+ bytes$/);
    expect(message.failure.logTrail.at(-1)).toContain("39 ");
  });

  it("a message with @someone and a markdown image renders inert in the issue", async () => {
    const owner = `inert-${crypto.randomUUID().slice(0, 8)}`;
    const hostile = "x/y)\n\n@someone [click](https://evil.example/phish) ![](https://evil.example/pixel.png) <img src=x>";
    const event = kernelPluginError({
      plugin: { type: "workflow", id: `${owner}/plugin:compute.yml@main`, owner, repo: "plugin", workflowId: "compute.yml", ref: "main" },
      error: { message: `HTTP 500: ${hostile}` },
      trigger: { githubEvent: "issue_comment.created", deliveryId: crypto.randomUUID(), repo: `${owner}/${hostile}`, issueOrPr: 7, actor: "@someone" }, // the reporter owns the plugin (issue 12), so the trigger is shown
      requestId: `inert-${crypto.randomUUID()}`,
    });
    const res = await postToWorker(jsonRequest(await signAsKernel(event)));
    expect(res.status).toBe(200);
    const [issue] = await eventually(() => github.issues(`${owner}/plugin`), (issues) => issues.length === 1);
    const body = issue?.body ?? "";
    expect(liveElements(lex(body))).toEqual([]);
    expect(issue?.title).not.toMatch(/@someone/);
  });
});
