import { createExecutionContext, createMessageBatch, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { IngestAnswer } from "../../shared/ingest-output";
import type { FailureMessage } from "../../shared/queue-message";
import worker from "../../workers/index";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "./kernel";
import { unique } from "./send";

/** Worker vars of one test operator (e.g. its HOTFIX_POLICY), over the test bindings. */
export type Operator = Partial<Pick<Env, "HOTFIX_POLICY" | "HOTFIX_CONFIG">>;

/**
 * Events as the kernel sends them, through ingest and then the consumer, both under `operator`'s configuration;
 * the ingest answers. The consumer's GitHub work is done when this returns.
 */
export async function deliver(payloads: Array<{ payload: Record<string, unknown>; settings?: Record<string, unknown>; eventName?: string }>, operator: Operator = {}): Promise<IngestAnswer[]> {
  const queue = new RecordingQueue();
  const answers: IngestAnswer[] = [];
  for (const { payload, settings, eventName } of payloads) {
    const res = await postWith(jsonRequest(await signAsKernel(payload, { settings: settings ?? {}, ...(eventName ? { eventName } : {}) })), { EVENTS: queue, ...operator });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    answers.push(await res.json<IngestAnswer>());
  }
  const batch = createMessageBatch("daemon-hotfix-events", (queue.sent as FailureMessage[]).map((body, i) => ({ id: `deliver-${unique()}-${i}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...operator } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return answers;
}
