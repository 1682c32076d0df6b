import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { backoffSeconds } from "../../workers/consumer/queue";
import worker, { isDeadLetterQueue } from "../../workers/index";

interface DeadLetterRow {
  id: string;
  queue: string;
  reason: string;
  body: string;
  event_id: string | null;
}

const row = (id: string) => env.DB.prepare(`SELECT * FROM dead_letters WHERE id = ?`).bind(id).first<DeadLetterRow>();

describe("consumer", () => {
  it("stores an unreadable message as a dead letter with its reason, and acknowledges it", async () => {
    const id = `bad-${crypto.randomUUID()}`;
    const batch = createMessageBatch("daemon-hotfix-events", [{ id, timestamp: new Date(), attempts: 1, body: { version: 1, type: "failure", failure: { eventId: "nope" }, password: "hunter2-canary" } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([id]);
    const stored = await row(id);
    expect(stored?.reason).toMatch(/^unreadable message: failure\.eventId/);
    expect(stored?.body).not.toContain("hunter2-canary");
  });

  it("stores every message reaching the dead-letter queue, once", async () => {
    const id = `dlq-${crypto.randomUUID()}`;
    const message = { id, timestamp: new Date(), attempts: 11, body: { version: 1, note: "exhausted" } };
    const ctx = createExecutionContext();
    for (let i = 0; i < 2; i++) {
      const batch = createMessageBatch("daemon-hotfix-dlq", [message]);
      await worker.queue(batch, env, ctx);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([id]);
    }
    expect(await row(id)).toMatchObject({ queue: "daemon-hotfix-dlq", reason: expect.stringContaining("retries exhausted") });
    const count = await env.DB.prepare(`SELECT COUNT(*) AS n FROM dead_letters WHERE id = ?`).bind(id).first<{ n: number }>();
    expect(count?.n).toBe(1);
  });

  it("routes queues by name and backs off exponentially, capped", () => {
    expect(isDeadLetterQueue("daemon-hotfix-dlq")).toBe(true);
    expect(isDeadLetterQueue("daemon-hotfix-staging-dlq")).toBe(true);
    expect(isDeadLetterQueue("daemon-hotfix-events")).toBe(false);
    expect([1, 2, 3, 10, 20].map((attempts) => backoffSeconds(attempts))).toEqual([2, 4, 8, 900, 900]);
  });
});
